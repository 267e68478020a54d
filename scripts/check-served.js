#!/usr/bin/env node
// Starts a real Node-RED with this package installed and checks what its editor gets: the node
// set `voxcpm` with its four types, the .html with the templates and the one script tag, the
// editor bundle at resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js, the catalogs in both
// languages and the help. Needs the tools built (npm run build:all).
//
// Usage: node scripts/check-served.js [--user DIR] [--package DIR] [--red RED_JS] [--node NODE_BIN]
//   --user     a user directory whose node_modules holds the installed package (the tarball test)
//   --package  a package directory to link in instead (default: this repository, built)
//   --red      Node-RED's red.js (default: the dev dependency); --node the Node binary to run it
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const pkg = require(path.join(root, 'package.json'));
const BUNDLE = `resources/${pkg.name}/voxcpm-editor.js`;
// The node set's types, as the launcher and the e2e tests know them (tools/launch.ts, built).
const TYPES = [...require(path.join(root, 'dist', 'tools', 'launch.js')).OUR_TYPES];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  const { launchNodeRed } = require(path.join(root, 'dist', 'tools', 'launch.js'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-served-'));
  const installed = arg('user');
  if (installed) fs.symlinkSync(path.resolve(installed, 'node_modules'), path.join(userDir, 'node_modules'), 'dir');
  const problems = [];
  const check = (ok, what) => {
    if (!ok) problems.push(what);
  };
  let red;
  try {
    red = await launchNodeRed({
      userDir,
      port: await freePort(),
      flows: [{ id: 'servedtab00000001', type: 'tab', label: 'served', disabled: false, info: '' }],
      packageDir: installed ? undefined : path.resolve(arg('package') ?? root),
      redJs: arg('red') ? path.resolve(arg('red')) : undefined,
      nodeBin: arg('node'),
      quiet: true,
    });
    const get = (url, headers = {}) => fetch(`${red.url}/${url}`, { headers });

    const list = await (await get('nodes', { Accept: 'application/json' })).json();
    const set = list.find((s) => s.module === pkg.name);
    check(set, `${pkg.name} is not in Node-RED's node list`);
    if (set) {
      check(set.name === 'voxcpm' && set.enabled && !set.err, `the node set: ${JSON.stringify({ name: set.name, enabled: set.enabled, err: set.err })}`);
      check(JSON.stringify([...set.types].sort()) === JSON.stringify([...TYPES].sort()), `the set's types: ${set.types}`);
    }
    for (const lang of ['en-US', 'zh-CN']) {
      const html = await (await get('nodes', { Accept: 'text/html', 'Accept-Language': lang })).text();
      check(html.includes(`<script src="${BUNDLE}"></script>`), `${lang}: the editor page has no <script src="${BUNDLE}">`);
      for (const t of TYPES) {
        check(html.includes(`data-template-name="${t}"`), `${lang}: no template for ${t}`);
        check(html.includes(`data-help-name="${t}"`), `${lang}: no help for ${t}`);
      }
      const messages = await (await get(`nodes/${pkg.name}/voxcpm/messages?lng=${lang}`)).json();
      const ready = messages && messages['voxcpm-tts'] && messages['voxcpm-tts'].status && messages['voxcpm-tts'].status.ready;
      check(typeof ready === 'string' && (lang === 'zh-CN') === /[\u4e00-\u9fff]/.test(ready), `${lang}: voxcpm-tts.status.ready is ${JSON.stringify(ready)}`);
      check(messages && messages.common && messages['voxcpm-server'], `${lang}: the catalog lacks common or voxcpm-server`);
    }
    const bundle = await get(BUNDLE);
    const body = await bundle.text();
    check(bundle.status === 200, `${BUNDLE}: HTTP ${bundle.status}`);
    check(/javascript/.test(bundle.headers.get('content-type') || ''), `${BUNDLE}: content-type ${bundle.headers.get('content-type')}`);
    for (const t of TYPES) check(body.includes(`registerType("${t}"`), `${BUNDLE} does not register ${t}`);
    const version = (await (await get('settings')).json()).version;
    if (problems.length) {
      console.error(`served check against Node-RED ${version}:\n  ${problems.join('\n  ')}`);
      return 1;
    }
    console.log(`served check: Node-RED ${version} loads the node set voxcpm (${TYPES.join(', ')}), serves ${BUNDLE} (${(body.length / 1024).toFixed(0)} kB), the templates, help and catalogs in en-US and zh-CN`);
    return 0;
  } finally {
    if (red) await red.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
