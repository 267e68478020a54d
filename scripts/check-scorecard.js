#!/usr/bin/env node
// The Node-RED Flow Library scorecard (node-red-dev `validate`, checks P01-P08, N01-N02,
// D01-D03), as far as it can be checked here without a network: package.json, the
// examples and the node files. One line per check, then `scorecard: N passed, M failed`;
// exit 1 on any failure.
//
// Left out, because they need the network: P02 (the package.json in the cloned repository
// has the same name), P08 and N01 (no similar package name / node type in the Flow
// Library catalogue), D03 (dependencies at their latest version on npm), and the live
// part of P06/P07 (the Node-RED versions tagged latest/maintenance on npm today): P06 and
// P07 are checked against fixed versions instead (Node-RED 3.1.0, 4.1.0, 5.0.0; Node 18, 20,
// 22 and 22.9.0, the minimum of Node-RED 5). D02 reads package-lock.json instead of the registry.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const NODE_RED_VERSIONS = ['3.1.0', '4.1.0', '5.0.0'];
const NODE_VERSIONS = ['18.0.0', '20.0.0', '22.0.0', '22.9.0'];
const MAX_DEPENDENCIES = 6; // the scorecard's D01 limit
const BAD_PACKAGES = { 'agent-base': '<6.0.0' }; // node-red-dev's badpackages.json (D02)

let passed = 0;
let failed = 0;
function check(label, problems) {
  const list = (Array.isArray(problems) ? problems : [problems]).filter(Boolean);
  if (list.length === 0) {
    passed++;
    console.log(`✔ ${label}`);
  } else {
    failed++;
    console.log(`✘ ${label}`);
    for (const p of list) console.log(`    ${p}`);
  }
}

// ---- semver: the real package when it is already installed (dev time), else a small subset.
let satisfies;
let semverSource;
try {
  const semver = require(require.resolve('semver', { paths: [root] }));
  satisfies = (version, range) => semver.satisfies(version, range);
  semverSource = 'semver package';
} catch {
  satisfies = satisfiesSubset;
  semverSource = 'built-in subset (>=, >, <=, <, =, ^, ~, x, ||, a - b)';
}

function parseVersion(v) {
  const m = /^\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?\s*$/.exec(v);
  if (!m) throw new Error(`not a version: "${v}"`);
  const part = (s) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  return [part(m[1]), part(m[2]), part(m[3])];
}
function cmp(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
/** A comparator (`>=1.2.3`, `^1.2`, `~1.2.3`, `1.x`, `*`) as [lowest allowed, operator] pairs. */
function comparator(c) {
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.*)$/.exec(c);
  const op = m[1] || '';
  if (m[2] === '' || m[2] === '*' || /^[xX]$/.test(m[2])) return [];
  const [M, mi, p] = parseVersion(m[2]);
  const lo = [M ?? 0, mi ?? 0, p ?? 0];
  const bump = (i) => [i === 0 ? lo[0] + 1 : lo[0], i === 1 ? lo[1] + 1 : i === 0 ? 0 : lo[1], i === 2 ? lo[2] + 1 : 0];
  const wildcard = M === undefined ? -1 : mi === undefined ? 0 : p === undefined ? 1 : -1;
  switch (op) {
    case '^': {
      const i = lo[0] > 0 || mi === undefined ? 0 : lo[1] > 0 || p === undefined ? 1 : 2;
      return [['>=', lo], ['<', bump(i)]];
    }
    case '~':
      return [['>=', lo], ['<', bump(mi === undefined ? 0 : 1)]];
    case '>':
      return wildcard >= 0 ? [['>=', bump(wildcard)]] : [['>', lo]];
    case '<=':
      return wildcard >= 0 ? [['<', bump(wildcard)]] : [['<=', lo]];
    case '>=':
    case '<':
      return [[op, lo]];
    default:
      return wildcard >= 0 ? [['>=', lo], ['<', bump(wildcard)]] : [['=', lo]];
  }
}
function satisfiesSubset(version, range) {
  const v = parseVersion(version);
  return range.split('||').some((alt) => {
    const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(alt);
    const parts = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/);
    return parts.every((part) =>
      comparator(part).every(([op, b]) => {
        const r = cmp(v, b);
        return op === '>=' ? r >= 0 : op === '>' ? r > 0 : op === '<=' ? r <= 0 : op === '<' ? r < 0 : r === 0;
      }),
    );
  });
}
function admits(range, versions) {
  try {
    const no = versions.filter((v) => !satisfies(v, range));
    return no.length ? `"${range}" does not admit ${no.join(', ')}` : undefined;
  } catch (e) {
    return `"${range}" is not a range this script understands: ${e.message}`;
  }
}

// ---- package.json
let pkg;
try {
  pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
} catch (e) {
  console.log(`✘ package.json is readable JSON\n    ${e.message}`);
  console.log('scorecard: 0 passed, 1 failed');
  process.exit(1);
}
const nr = pkg['node-red'] || {};
console.log(`${pkg.name}@${pkg.version} (ranges checked with the ${semverSource})`);

check(`P01 license: ${pkg.license || '(none)'}`, pkg.license ? undefined : 'package.json has no "license"');
if (pkg.license) {
  check('P01 license file', fs.readdirSync(root).some((f) => /^(LICEN[CS]E|COPYING)(\.|$)/i.test(f)) ? undefined : 'no LICENSE file');
}

const repoUrl = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository && pkg.repository.url;
check(
  `P03 repository URL: ${repoUrl || '(none)'}`,
  !repoUrl
    ? 'package.json has no "repository" with a URL'
    : /^(git\+)?(https?|git|ssh):\/\/[^\s/]+\/\S+$|^git@[^\s:]+:\S+$|^(github|gitlab|bitbucket):\S+\/\S+$|^[\w.-]+\/[\w.-]+$/.test(repoUrl)
      ? undefined
      : `"${repoUrl}" does not look like a repository URL`,
);

const scoped = /^@[a-z\d][\w.-]*\/[a-z\d][\w.-]*$/.test(pkg.name || '');
check(
  `P04 scoped name: ${pkg.name}`,
  !scoped
    ? 'new packages must use a scoped name, @scope/node-red-...'
    : /^@[^/]+\/node-red-/.test(pkg.name)
      ? undefined
      : 'scoped, but not in the @scope/node-red-... form',
);

check('P05 keywords contain "node-red"', Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red') ? undefined : 'add "node-red" to "keywords"');

check(
  `P06 node-red.version "${nr.version || ''}" admits Node-RED ${NODE_RED_VERSIONS.join(', ')}`,
  nr.version ? admits(nr.version, NODE_RED_VERSIONS) : 'package.json has no "node-red": {"version": ...}',
);

const engine = pkg.engines && pkg.engines.node;
check(
  `P07 engines.node "${engine || ''}" admits Node ${NODE_VERSIONS.join(', ')}`,
  engine ? admits(engine, NODE_VERSIONS) : 'package.json has no "engines": {"node": ...}',
);

const deps = Object.keys(pkg.dependencies || {});
check(
  `D01 ${deps.length} dependencies (at most ${MAX_DEPENDENCIES}): ${deps.join(', ') || 'none'}`,
  deps.length > MAX_DEPENDENCIES ? `${deps.length} dependencies, the scorecard allows ${MAX_DEPENDENCIES}` : undefined,
);

// D02 from the lock file: every package that is not dev-only is in the published tree.
(() => {
  const lockFile = path.join(root, 'package-lock.json');
  if (!fs.existsSync(lockFile)) {
    check('D02 no known-incompatible package in the dependency tree', 'no package-lock.json to read the tree from');
    return;
  }
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  const bad = [];
  let count = 0;
  for (const [where, info] of Object.entries(lock.packages || {})) {
    if (!where || info.dev || info.devOptional) continue;
    count++;
    const name = info.name || where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (BAD_PACKAGES[name] && info.version && satisfies(info.version, BAD_PACKAGES[name])) bad.push(`${name}@${info.version} (${where})`);
  }
  check(`D02 no known-incompatible package among the ${count} production packages of package-lock.json`, bad);
})();

// ---- the nodes
const nodes = Object.entries(nr.nodes || {});
check(`node-red.nodes lists ${nodes.length} node files`, nodes.length ? undefined : 'package.json has no "node-red": {"nodes": {...}}');

/**
 * Registered types and their categories, from an editor .html (as node-red-dev reads them) and
 * the editor scripts it loads from resources/ (resources/voxcpm-editor.js, bundled from
 * editor/*.ts: read from those sources when the bundle is not built). A type counts when the
 * .html has its template and a script registers it.
 */
function editorTypes(html) {
  const page = fs.readFileSync(html, 'utf8');
  const templates = new Set([...page.matchAll(/data-template-name="([^"]+)"/g)].map((m) => m[1]));
  const sources = [page];
  for (const m of page.matchAll(/<script[^>]*\ssrc="resources\/(?:@[^/"]+\/)?[^/"]+\/([^"]+)"/g)) {
    const built = path.join(root, 'resources', m[1]);
    if (fs.existsSync(built)) sources.push(fs.readFileSync(built, 'utf8'));
    else {
      const dir = path.join(root, 'editor');
      if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ts'))) sources.push(fs.readFileSync(path.join(dir, f), 'utf8'));
    }
  }
  return sources.flatMap((text) => registered(text)).filter((t) => templates.has(t.type));
}

/** `registerType('x', { ... category: 'y' ... })` calls in a script; the category may sit in a spread definition. */
function registered(text) {
  const types = [];
  const re = /registerType\(\s*['"]([^'"]+)['"]\s*,\s*\{/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const after = text.slice(m.index, m.index + 4000);
    const cat = /category\s*:\s*['"]([^'"]+)['"]/.exec(after);
    types.push({ type: m[1], category: cat ? cat[1] : undefined });
  }
  // Definitions built elsewhere (esbuild keeps the names: registerType("voxcpm-tts", ttsDef)).
  const byName = /registerType(?:<[^>]*>)?\(\s*['"]([^'"]+)['"]\s*,\s*([A-Za-z_$][\w$]*)\s*\)/g;
  while ((m = byName.exec(text)) !== null) {
    const def = new RegExp(`\\b${m[2].replace(/\$/g, '\\$')}\\b[^=\\n]*=\\s*\\{([\\s\\S]{0,4000})`).exec(text);
    let cat = def && /category\s*:\s*['"]([^'"]+)['"]/.exec(def[1]);
    if (!cat && def && /flowNodeDef\(/.test(def[1])) cat = [null, /category\s*:\s*['"]([^'"]+)['"]/.exec(text.slice(text.indexOf('function flowNodeDef')))?.[1]];
    types.push({ type: m[1], category: cat ? cat[1] : undefined });
  }
  return types;
}

const types = new Map(); // type -> category
for (const [set, js] of nodes) {
  // dist/nodes/X.js is built from nodes/X.ts; the build copies nodes/X.html beside it.
  const rel = js.replace(/\\/g, '/');
  const base = path.posix.basename(rel, '.js');
  const srcHtml = path.join(root, 'nodes', `${base}.html`);
  const builtJs = path.join(root, rel);
  const builtHtml = builtJs.replace(/\.js$/, '.html');
  const problems = [];
  if (!/\.js$/.test(rel)) problems.push(`"${js}" is not a .js file`);
  if (!fs.existsSync(path.join(root, 'nodes', `${base}.ts`)) && !fs.existsSync(builtJs)) problems.push(`neither nodes/${base}.ts nor ${rel} exists`);
  const html = fs.existsSync(builtHtml) ? builtHtml : srcHtml;
  if (!fs.existsSync(srcHtml)) problems.push(`nodes/${base}.html is missing`);
  if (fs.existsSync(builtJs) && !fs.existsSync(builtHtml)) problems.push(`${rel} is built but ${path.relative(root, builtHtml)} is not beside it`);
  const found = fs.existsSync(html) ? editorTypes(html) : [];
  if (fs.existsSync(html) && found.length === 0) problems.push(`${path.relative(root, html)} registers no node type`);
  for (const t of found) types.set(t.type, t.category);
  if (found.length === 0) types.set(set, undefined); // no editor file to read: the set's name stands for its type
  check(`${set}: ${rel} has its .html${fs.existsSync(builtJs) ? ' (source and build)' : ' (source; not built)'}`, problems);
}

// ---- examples
const exDir = path.join(root, 'examples');
const hasExamples = fs.existsSync(exDir) && fs.statSync(exDir).isDirectory();
check('examples/ directory at the package root', hasExamples ? undefined : 'no examples/ directory');
check(
  'examples/ is published ("files" in package.json)',
  !Array.isArray(pkg.files) || pkg.files.some((f) => /^\.?\/?examples\/?(\*\*?)?$/.test(f)) ? undefined : '"files" does not include examples',
);

const used = new Set();
const exampleFiles = hasExamples ? fs.readdirSync(exDir).filter((f) => f.endsWith('.json')).sort() : [];
if (hasExamples) check(`examples/ holds ${exampleFiles.length} flow file(s)`, exampleFiles.length ? undefined : 'no examples/*.json');
const SECRET_KEY = /pass(word|wd)?$|secret|token|api_?key|credential/i;
for (const file of exampleFiles) {
  const problems = [];
  let flow;
  try {
    flow = JSON.parse(fs.readFileSync(path.join(exDir, file), 'utf8'));
  } catch (e) {
    check(`example "${file}"`, `not valid JSON: ${e.message}`);
    continue;
  }
  if (!Array.isArray(flow)) {
    check(`example "${file}"`, 'not an array of nodes');
    continue;
  }
  const ids = new Set();
  flow.forEach((n, i) => {
    if (!n || typeof n !== 'object' || typeof n.id !== 'string' || !n.id || typeof n.type !== 'string' || !n.type) {
      problems.push(`item ${i} is not a node with a string id and type`);
      return;
    }
    if (ids.has(n.id)) problems.push(`duplicate id ${n.id}`);
    ids.add(n.id);
    used.add(n.type);
    if ('credentials' in n) problems.push(`${n.type} ${n.id} carries credentials`);
    for (const [k, v] of Object.entries(n)) {
      if (SECRET_KEY.test(k) && typeof v === 'string' && v !== '') problems.push(`${n.type} ${n.id} has a value in "${k}"`);
      if (typeof v === 'string' && /\b[a-z][\w+.-]*:\/\/[^/\s@:]+:[^/\s@]+@/i.test(v)) problems.push(`${n.type} ${n.id}.${k} has a password in a URL`);
    }
  });
  for (const n of flow) {
    if (!n || !Array.isArray(n.wires)) continue;
    for (const id of n.wires.flat()) if (!ids.has(id)) problems.push(`${n.type} ${n.id} is wired to missing node ${id}`);
  }
  if (!flow.some((n) => n && n.type === 'comment')) problems.push('no comment node explaining the flow');
  check(`example "${file}": ${flow.length} nodes, valid, no credentials, has a comment`, problems);
}

// N02: the scorecard itself skips config nodes; this package shows all of them, config included.
const declared = [...types.keys()];
const missing = declared.filter((t) => !used.has(t));
check(
  `N02 every node type is used in an example: ${declared.map((t) => (types.get(t) === 'config' ? `${t} (config)` : t)).join(', ')}`,
  missing.length ? `not in any example: ${missing.join(', ')}` : undefined,
);

// ---- documentation
const readme = path.join(root, 'README.md');
check(
  'README.md exists',
  !fs.existsSync(readme) ? 'no README.md' : fs.statSync(readme).size < 200 ? 'README.md is nearly empty' : undefined,
);

console.log(`scorecard: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
