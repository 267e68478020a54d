#!/usr/bin/env node
// Compiles the TypeScript and lays out dist/nodes the way Node-RED's loader wants it:
// each node's .html, its locales/ and icons/ must sit beside its built .js.
// `--all` also compiles the tests and tools (simulator, demo launcher); the published
// build (prepare/prepack) compiles only nodes/.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const all = process.argv.includes('--all');
// `--out DIR` builds into another folder at the same depth as dist/ (parallel work, e.g. `.build-x`).
const outArg = process.argv.indexOf('--out');
const dist = outArg > 0 ? path.resolve(root, process.argv[outArg + 1]) : path.join(root, 'dist');
const out = path.join(dist, 'nodes');

// The published build replaces only dist/nodes, so the tests and tools built by --all survive `npm pack`.
for (const dir of all ? ['nodes', 'test', 'tools'] : ['nodes']) {
  fs.rmSync(path.join(dist, dir), { recursive: true, force: true });
}
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', all ? 'tsconfig.json' : 'tsconfig.build.json', '--outDir', dist], {
  cwd: root,
  stdio: 'inherit',
});

function copy(from, to, keep) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copy(src, dst, keep);
    else if (keep(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dst);
    }
  }
}
copy(path.join(root, 'nodes'), out, (name) => /\.(html|json)$/.test(name));
copy(path.join(root, 'icons'), path.join(out, 'icons'), (name) => /\.(svg|png)$/.test(name));
