#!/usr/bin/env node
// Checks the packed tarball's file list (`npm pack --dry-run --json`): every node set
// named in package.json's node-red.nodes has its .html, both locales and the icons
// beside it, the editor bundle its .html loads is in resources/, and no tests or
// TypeScript sources are shipped.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const [pack] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
const files = new Set(pack.files.map((f) => f.path));
const problems = [];
const ICONS = ['voxcpm-tts.svg', 'voxcpm-clone.svg'];
// The editor's script tags (<script src="resources/<package>/X">) name files Node-RED serves from resources/X.
const RESOURCE = new RegExp(`<script[^>]*\\ssrc="resources/${pkg.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/([^"]+)"`, 'g');
for (const [set, js] of Object.entries(pkg['node-red'].nodes)) {
  const dir = path.posix.dirname(js);
  const base = path.posix.basename(js, '.js');
  const needed = [js, `${dir}/${base}.html`, ...ICONS.map((i) => `${dir}/icons/${i}`)];
  for (const lang of ['en-US', 'zh-CN']) needed.push(`${dir}/locales/${lang}/${base}.json`, `${dir}/locales/${lang}/${base}.html`);
  const html = path.join(root, 'nodes', `${base}.html`);
  const scripts = fs.existsSync(html) ? [...fs.readFileSync(html, 'utf8').matchAll(RESOURCE)].map((m) => `resources/${m[1]}`) : [];
  if (scripts.length === 0) problems.push(`${set}: nodes/${base}.html loads no script from resources/`);
  needed.push(...scripts);
  for (const f of needed) if (!files.has(f)) problems.push(`${set}: ${f} is not in the tarball`);
}
for (const f of files) {
  if (/(^|\/)test\//.test(f) || /\.spec\./.test(f)) problems.push(`ships a test file: ${f}`);
  if (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) problems.push(`ships a TypeScript source: ${f}`);
  if (/^dist\/(tools|test|simulator)\//.test(f)) problems.push(`ships a dev tool: ${f}`);
}
if (!pack.files.some((f) => f.path.startsWith('examples/') && f.path.endsWith('.json'))) problems.push('no examples in the tarball');
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`package check: ${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} kB packed; every node set has its html, locales, icons and editor bundle; no tests or sources`);
