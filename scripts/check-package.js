#!/usr/bin/env node
// Checks the packed tarball's file list (`npm pack --dry-run --json`): every node
// named in package.json's node-red.nodes has its .html, both locales and its icon
// beside it, and no tests or TypeScript sources are shipped.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const [pack] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
const files = new Set(pack.files.map((f) => f.path));
const problems = [];
for (const [type, js] of Object.entries(pkg['node-red'].nodes)) {
  const dir = path.posix.dirname(js);
  const base = path.posix.basename(js, '.js');
  const needed = [js, `${dir}/${base}.html`];
  for (const lang of ['en-US', 'zh-CN']) needed.push(`${dir}/locales/${lang}/${base}.json`, `${dir}/locales/${lang}/${base}.html`);
  if (type !== 'voxcpm-server') needed.push(`${dir}/icons/${base}.svg`);
  for (const f of needed) if (!files.has(f)) problems.push(`${type}: ${f} is not in the tarball`);
}
for (const f of files) {
  if (/(^|\/)test\//.test(f) || /\.spec\./.test(f)) problems.push(`ships a test file: ${f}`);
  if (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) problems.push(`ships a TypeScript source: ${f}`);
  if (/^dist\/(tools|test)\//.test(f)) problems.push(`ships a dev tool: ${f}`);
}
if (!pack.files.some((f) => f.path.startsWith('examples/') && f.path.endsWith('.json'))) problems.push('no examples in the tarball');
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`package check: ${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} kB packed; every node has its html, locales and icon; no tests or sources`);
