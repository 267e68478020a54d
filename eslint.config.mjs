// ESLint (flat config) for the runtime (nodes/), the editor bundle (editor/), the tests,
// the tools and the build scripts: `npm run lint`, run by .ci/run.
//
// typescript-eslint's `recommended` everywhere, plus three type-aware rules about promises
// (a promise nobody awaits, a promise where a boolean or a callback's void is expected, an
// await of a non-promise) on the runtime and the editor, with the types of the programs the
// build compiles (tsconfig.build.json, editor/tsconfig.json). The full `recommendedTypeChecked`
// set takes ~50 s on a 2-core machine; the typed rules on the tests too (the root tsconfig's
// program, with mocha, Node-RED's test helper and playwright) ~12 s more than this.
// Formatting: @stylistic rules the code already follows, no Prettier.
//
// `npm run lint` keeps a cache (.eslintcache, by file content): a file that has not changed keeps
// its result even when a type it uses changed in another file; `rm .eslintcache` to lint all
// afresh. CI lints a fresh clone, so it has no cache.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Node.js globals the CommonJS build scripts use (the `globals` package is not a dependency). */
const nodeGlobals = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'fetch',
    'AbortController', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'globalThis']
    .map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['dist/', 'resources/', 'coverage/', 'node_modules/', '.build-*/', '.matrix/', '.demo/', 'test-results/'] },

  // Every linted file: ESLint's recommended rules and the formatting the code is written in.
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    plugins: { '@stylistic': stylistic },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true }],
      '@stylistic/semi': ['error', 'always'],
      // offsetTernaryExpressions: a call in a ternary branch indents its arguments from the `?`/`:`.
      '@stylistic/indent': ['error', 2, { offsetTernaryExpressions: true }],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0 }],
      '@stylistic/no-tabs': 'error',
      '@stylistic/linebreak-style': ['error', 'unix'],
      // Long strings, URLs, regular expressions, template literals and comments may run on.
      '@stylistic/max-len': ['error', {
        code: 160,
        ignoreStrings: true,
        ignoreUrls: true,
        ignoreRegExpLiterals: true,
        ignoreTemplateLiterals: true,
        ignoreComments: true,
      }],
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/space-unary-ops': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
      '@stylistic/space-in-parens': ['error', 'never'],
      '@stylistic/arrow-parens': ['error', 'always'],
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/block-spacing': 'error',
      '@stylistic/comma-spacing': 'error',
      '@stylistic/comma-style': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/semi-spacing': 'error',
      '@stylistic/computed-property-spacing': 'error',
      '@stylistic/function-call-spacing': 'error',
      '@stylistic/template-curly-spacing': 'error',
      '@stylistic/rest-spread-spacing': 'error',
      '@stylistic/no-multi-spaces': 'error',
      '@stylistic/no-whitespace-before-property': 'error',
      '@stylistic/no-extra-semi': 'error',
      '@stylistic/spaced-comment': ['error', 'always', { markers: ['/'] }],
      '@stylistic/quote-props': ['error', 'as-needed'],
      '@stylistic/padded-blocks': ['error', 'never'],
      '@stylistic/new-parens': 'error',
      '@stylistic/dot-location': ['error', 'property'],
      '@stylistic/type-annotation-spacing': 'error',
      '@stylistic/member-delimiter-style': 'error',
      // ESLint core's (deprecated, still shipped) spacing rules: @stylistic replaced its own by
      // `list-style`, which also forces where lists wrap (dozens of reformatted lines), and
      // prints a deprecation warning on every run for the old ones.
      'object-curly-spacing': ['error', 'always'],
      'array-bracket-spacing': ['error', 'never'],
    },
  },

  // TypeScript: typescript-eslint's recommended rules.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // `_name` marks a value kept on purpose (a placeholder parameter, a destructured-away field).
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrorsIgnorePattern: '^_',
        destructuredArrayIgnorePattern: '^_',
        ignoreRestSiblings: true,
      }],
      // `import x = require('./x')` is TypeScript's import of a CommonJS `export =` module
      // (nodes/voxcpm.ts); a bare `require()` call still needs a reason.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },

  // The runtime and the editor: three typed rules about promises, with the types of the programs
  // the build compiles (tsconfig.build.json: nodes/ only; editor/tsconfig.json).
  {
    files: ['nodes/**/*.ts', 'editor/**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['tsconfig.build.json', 'editor/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },

  // The Chromium driver: the functions it sends to the page run in the browser, where the
  // editor's globals (RED, jQuery, the DOM) have no types in this Node project.
  {
    files: ['tools/editor-test.ts', 'test/e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // The build and check scripts: plain CommonJS on Node.js.
  {
    files: ['scripts/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
  },
  {
    files: ['eslint.config.mjs'],
    languageOptions: { globals: { ...nodeGlobals } },
  },
);
