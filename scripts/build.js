#!/usr/bin/env node
// Compiles the TypeScript and lays out dist/nodes the way Node-RED's loader wants it:
// the node set's .html, its locales/ and icons/ must sit beside its built .js. Bundles the
// editor (editor/*.ts, with nodes/lib/defaults.ts) into resources/voxcpm-editor.js, which
// Node-RED serves at resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js.
// `--all` also compiles the tests, the simulator (simulator/) and the tools (demo launcher,
// soak, bench); the published build (prepare/prepack) compiles only nodes/.
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

// The published build replaces only dist/nodes, so the tests, simulator and tools built by --all survive `npm pack`.
for (const dir of all ? ['nodes', 'test', 'tools', 'simulator'] : ['nodes']) {
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

// voxcpm-tts and voxcpm-clone share one template (editor/templates/flow-node.html), written once:
// `<!-- template:flow-node -->` in a node's <script type="text/html"> becomes that file, with
// __type__ as the node type and `<!-- slot:NAME -->` as editor/templates/<type>.NAME.html (or nothing).
const templates = path.join(root, 'editor', 'templates');
const partial = (name) => fs.readFileSync(path.join(templates, name), 'utf8').replace(/^<!--[\s\S]*?-->\n/, '');
const nodeHtml = path.join(out, 'voxcpm.html');
fs.writeFileSync(
  nodeHtml,
  fs.readFileSync(nodeHtml, 'utf8').replace(
    /(<script type="text\/html" data-template-name="([^"]+)">\n)<!-- template:([a-z-]+) -->\n/g,
    (_, open, type, name) =>
      open +
      partial(`${name}.html`)
        .replace(/<!-- slot:([a-z-]+) -->\n/g, (_s, slot) => {
          const file = `${type}.${slot}.html`;
          return fs.existsSync(path.join(templates, file)) ? partial(file) : '';
        })
        .replace(/__type__/g, type),
  ),
);

// voxcpm-clone's help shares many sections with voxcpm-tts's, written once: in a help file,
// `<!-- help:voxcpm-tts h4 "HEADING" -->` becomes the section of voxcpm-tts's page under that
// <h4> (or <h3>) heading, up to the next heading, and `<!-- help:voxcpm-tts shared "NAME" -->`
// the lines voxcpm-tts's page holds between `<!-- shared:NAME -->` and `<!-- /shared -->`.
for (const lang of fs.readdirSync(path.join(out, 'locales'))) {
  const file = path.join(out, 'locales', lang, 'voxcpm.html');
  if (!fs.existsSync(file)) continue;
  const help = fs.readFileSync(file, 'utf8');
  const pageOf = (type) => {
    const start = help.indexOf(`data-help-name="${type}"`);
    return start < 0 ? '' : help.slice(start, help.indexOf('</script>', start));
  };
  const section = (type, level, heading) => {
    const page = pageOf(type);
    const at = page.indexOf(`\n    <${level}>${heading}</${level}>`);
    if (at < 0) throw new Error(`${file}: ${type} has no help section <${level}>${heading}`);
    const next = page.slice(at + 1).search(/\n {4}<h[34]>/);
    return next < 0 ? page.slice(at).replace(/\n+$/, '') : page.slice(at, at + 1 + next);
  };
  const shared = (type, name) => {
    const m = new RegExp(`\\n *<!-- shared:${name} -->(\\n[\\s\\S]*?)\\n *<!-- /shared -->`).exec(pageOf(type));
    if (!m) throw new Error(`${file}: ${type} has no shared help block "${name}"`);
    return m[1];
  };
  fs.writeFileSync(
    file,
    help
      .replace(/\n {4}<!-- help:([a-z-]+) (h[34]) "([^"]+)" -->/g, (_, type, level, heading) => section(type, level, heading))
      .replace(/\n *<!-- help:([a-z-]+) shared "([a-z-]+)" -->/g, (_, type, name) => shared(type, name))
      .replace(/\n *<!-- (shared:[a-z-]+|\/shared) -->/g, ''),
  );
}

// The runtime sends a status as `voxcpm-tts.status.<key>` / `voxcpm-clone.status.<key>`
// (nodes/glue/flow-node.ts), and the editor translates it in the node set's catalog.
// The strings are written once, in `common.status`; the built catalogs carry them under each
// flow node's section as well.
const STATUS_TYPES = ['voxcpm-tts', 'voxcpm-clone'];
for (const lang of fs.readdirSync(path.join(out, 'locales'))) {
  const file = path.join(out, 'locales', lang, 'voxcpm.json');
  if (!fs.existsSync(file)) continue;
  const catalog = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const type of STATUS_TYPES) {
    if (catalog[type].status) throw new Error(`${file}: ${type}.status is built from common.status; do not write it`);
    catalog[type].status = catalog.common.status;
  }
  fs.writeFileSync(file, `${JSON.stringify(catalog, null, 4)}\n`);
}

// The editor: type-checked with the DOM library (editor/tsconfig.json), then one IIFE bundle.
execFileSync(process.execPath, [tsc, '-p', path.join('editor', 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
require('esbuild').buildSync({
  entryPoints: [path.join(root, 'editor', 'index.ts')],
  outfile: path.join(root, 'resources', 'voxcpm-editor.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Node-RED 3.1's editor supports the browsers of 2020 on.
  target: ['es2019'],
  charset: 'utf8',
  legalComments: 'none',
  banner: { js: '/* @voxcpm/node-red-voxcpm editor: built from editor/*.ts by scripts/build.js; do not edit. */' },
  logLevel: 'warning',
});
