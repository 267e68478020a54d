/**
 * The node set as Node-RED loads it: one .html with the three templates and the bundle's one
 * script tag, the editor definitions (properties, credentials, labels), the help pages in both
 * languages, the icons, and the build's layout (dist/nodes, resources/).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { cloneDef } from '../../editor/clone';
import { serverDef } from '../../editor/server';
import { ttsDef } from '../../editor/tts';
import { voiceDef } from '../../editor/voice';
import { SERVER_CREDENTIALS } from '../../nodes/lib/defaults';
import { catalog, checkMarkup, CONFIG_NODES, FLOW_NODES, HTML_VOIDS, LANGS, NODES, builtTemplates, read, root, scriptBlocks, translator, type Lang, type NodeType } from './support';

const DEFS = { 'voxcpm-server': serverDef, 'voxcpm-voice': voiceDef, 'voxcpm-tts': ttsDef, 'voxcpm-clone': cloneDef } as const;
const BUNDLE_SRC = 'resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js';

// The <h3> sections of each help text, in this order. A config node has no wires, so its
// help has no Inputs/Outputs.
const HEADINGS: Record<Lang, { inputs: string; outputs: string; details: string; references: string }> = {
  'en-US': { inputs: 'Inputs', outputs: 'Outputs', details: 'Details', references: 'References' },
  'zh-CN': { inputs: '输入', outputs: '输出', details: '详细', references: '参考' },
};

describe('editor: the node set', function () {
  const html = builtTemplates();
  const templates = scriptBlocks(html, 'data-template-name');

  it('package.json names one node set, voxcpm, and publishes the editor bundle', function () {
    const pkg = JSON.parse(read('package.json')) as { main: string; files: string[]; 'node-red': { nodes: Record<string, string> } };
    assert.deepEqual(pkg['node-red'].nodes, { voxcpm: 'dist/nodes/voxcpm.js' });
    assert.ok(pkg.files.includes('resources'), 'files: resources');
    for (const node of NODES) assert.ok(!fs.existsSync(path.join(root, 'nodes', `${node}.html`)), `nodes/${node}.html is left over`);
  });

  it('voxcpm.html: the four templates and one script tag that loads the bundle, no inline JavaScript', function () {
    assert.deepEqual([...templates.keys()].sort(), [...NODES].sort());
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    const code = scripts.filter((m) => !/type="text\/html"/.test(m[1]));
    assert.deepEqual(code.map((m) => m[1].trim()), [`src="${BUNDLE_SRC}"`], 'one <script src> to the bundle');
    assert.equal(code[0][2].trim(), '', 'the script tag is empty');
    for (const [name, body] of templates) checkMarkup(body, `template ${name}`, HTML_VOIDS);
    assert.ok(!/\bon[a-z]+=/i.test(html), 'no inline event handlers');
  });

  for (const node of NODES) {
    it(`${node}: its template edits every property, and edits nothing else`, function () {
      const prefix = CONFIG_NODES.includes(node) ? 'node-config-input-' : 'node-input-';
      const ids = new Set([...(templates.get(node) ?? '').matchAll(/id="([^"]+)"/g)].map((m) => m[1]));
      const def = DEFS[node] as { defaults: object; credentials?: object };
      const props = [...Object.keys(def.defaults), ...Object.keys(def.credentials ?? {})];
      for (const p of props) assert.ok(ids.has(`${prefix}${p}`), `#${prefix}${p} missing`);
      // usetls is the TLS picker's checkbox (as in the core HTTP request node), not a property.
      const extra = [...ids].filter((id) => id.startsWith(prefix) && !props.includes(id.slice(prefix.length)) && id !== `${prefix}usetls`);
      assert.deepEqual(extra, [], 'fields that are no property');
    });
  }

  it('voxcpm-server declares its six credentials, none of them in defaults', function () {
    assert.equal(serverDef.credentials, SERVER_CREDENTIALS);
    assert.deepEqual(Object.keys(SERVER_CREDENTIALS), ['token', 'username', 'password', 'headerValue', 'proxyUsername', 'proxyPassword']);
    for (const secret of ['token', 'password', 'headerValue', 'proxyPassword'] as const) assert.equal(SERVER_CREDENTIALS[secret].type, 'password', secret);
    for (const c of Object.keys(serverDef.credentials ?? {})) assert.ok(!(c in serverDef.defaults), `${c} in defaults`);
    assert.equal(serverDef.category, 'config');
  });

  it('the flow nodes: one input, one output, their icon, a server they require, labels in both languages', function () {
    for (const node of FLOW_NODES) {
      const def = DEFS[node] as typeof ttsDef;
      assert.equal(def.category, 'VoxCPM');
      assert.equal(def.inputs, 1);
      assert.equal(def.outputs, 1);
      assert.equal(def.icon, `${node}.svg`);
      assert.ok(fs.existsSync(path.join(root, 'icons', def.icon ?? '')), `icons/${def.icon}`);
      assert.deepEqual(def.defaults.server, { value: '', type: 'voxcpm-server', required: true });
      for (const lang of LANGS) {
        const t = translator(catalog(lang));
        const call = (f: unknown, self: object) => (f as (this: object, i: number) => string).call({ ...t, ...self }, 0);
        const palette = call(def.paletteLabel, {});
        assert.ok(palette && !palette.startsWith(node), `${lang}: paletteLabel ${palette}`);
        assert.equal(call(def.label, {}), palette);
        assert.equal(call(def.label, { name: 'Door bell' }), 'Door bell');
        assert.equal(call(def.labelStyle, { name: 'Door bell' }), 'node_label_italic');
        for (const f of [def.inputLabels, def.outputLabels]) assert.ok(!/^(common|voxcpm)/.test(call(f, {})), `${lang}: a port label is a raw key`);
      }
    }
  });

  it('voxcpm-server: its label is the name, the first URL (+ how many more), or the palette label', function () {
    const t = translator(catalog('en-US'));
    const label = (self: object) => (serverDef.label as (this: object) => string).call({ ...t, ...self });
    assert.equal(label({ name: 'GPU', url: 'http://a' }), 'GPU');
    assert.equal(label({ url: 'http://a:1' }), 'http://a:1');
    assert.equal(label({ url: 'http://a:1\n\nhttp://b:2\nc:3' }), 'http://a:1 + 2 more');
    assert.equal(label({ url: '' }), 'voxcpm server');
  });

  describe('help', function () {
    for (const lang of LANGS) {
      it(`${lang}: one help file with a stand-alone page per node (summary, Inputs, Outputs, Details, References)`, function () {
        // As built: voxcpm-clone's page takes the sections it shares with voxcpm-tts's from there (scripts/build.js).
        const file = `dist/nodes/locales/${lang}/voxcpm.html`;
        const blocks = scriptBlocks(read(file), 'data-help-name');
        assert.deepEqual([...blocks.keys()].sort(), [...NODES].sort());
        for (const [node, body] of blocks) {
          const where = `${file} (${node})`;
          const top = checkMarkup(body, where, HTML_VOIDS);
          assert.equal(top[0], 'p', `${where}: must start with the one-line summary <p>`);
          const h = HEADINGS[lang];
          const flow = FLOW_NODES.includes(node as NodeType);
          const want = flow ? [h.inputs, h.outputs, h.details, h.references] : [h.details, h.references];
          assert.deepEqual([...body.matchAll(/<h3>([\s\S]*?)<\/h3>/g)].map((m) => m[1].trim()), want, `${where}: <h3> sections`);
          if (flow) assert.equal((body.match(/<dl class="message-properties">/g) ?? []).length, 2, `${where}: Inputs and Outputs lists`);
          const refs = body.slice(body.lastIndexOf('<h3>'));
          assert.ok(refs.includes('href="https://github.com/OpenBMB/VoxCPM"'), `${where}: no VoxCPM link in References`);
          assert.ok(!/\b(src|href)="(?!https:\/\/)/.test(body), `${where}: a link that is not https`);
          if (lang === 'en-US') assert.ok(!/[\u3400-\u9fff]{4}/.test(body.replace(/<(code|pre)>[\s\S]*?<\/\1>/g, '')), `${where}: Chinese prose in en-US`);
          else assert.match(body, /[\u4e00-\u9fff]/, `${where}: no Chinese in zh-CN`);
        }
      });
    }

    it('zh-CN help mirrors en-US (message properties, error codes)', function () {
      const en = scriptBlocks(read('dist/nodes/locales/en-US/voxcpm.html'), 'data-help-name');
      const zh = scriptBlocks(read('dist/nodes/locales/zh-CN/voxcpm.html'), 'data-help-name');
      const dts = (s: string) => [...s.matchAll(/<dt( class="optional")?>([^<]*)</g)].map((m) => `${m[2].trim()}${m[1] ? '?' : ''}`);
      const codes = (s: string) => [...new Set(s.match(/VOXCPM_[A-Z_]+/g) ?? [])].sort();
      for (const node of NODES) {
        assert.deepEqual(dts(zh.get(node) ?? ''), dts(en.get(node) ?? ''), `${node}: message properties`);
        assert.deepEqual(codes(zh.get(node) ?? ''), codes(en.get(node) ?? ''), `${node}: error codes`);
      }
    });

    it('voxcpm-clone\'s shared help sections are written once, in voxcpm-tts\'s page, and built into its own', function () {
      for (const lang of LANGS) {
        const source = read(`nodes/locales/${lang}/voxcpm.html`);
        const built = read(`dist/nodes/locales/${lang}/voxcpm.html`);
        const markers = [...source.matchAll(/<!-- help:voxcpm-tts (h[34]) "([^"]+)" -->/g)];
        assert.ok(markers.length >= 8, `${lang}: ${markers.length} shared sections`);
        assert.ok(!/<!-- (help:|shared:|\/shared)/.test(built), `${lang}: a marker left in the built help`);
        assert.match(source, /<!-- help:voxcpm-tts shared "inputs" -->/, `${lang}: the shared message properties`);
        const clone = scriptBlocks(built, 'data-help-name').get('voxcpm-clone') ?? '';
        for (const [, level, heading] of markers) assert.ok(clone.includes(`<${level}>${heading}</${level}>`), `${lang}: ${heading} missing from voxcpm-clone's help`);
      }
    });

    it('the flow nodes document every error code the runtime can give them', function () {
      const defined = [...new Set(read('nodes/lib/errors.ts').match(/VOXCPM_[A-Z_]+/g) ?? [])];
      const help = scriptBlocks(read('dist/nodes/locales/en-US/voxcpm.html'), 'data-help-name');
      const clone = help.get('voxcpm-clone') ?? '';
      for (const code of defined) assert.ok(clone.includes(code) || (help.get('voxcpm-tts') ?? '').includes(code), `${code} is in no help page`);
    });
  });

  describe('icons', function () {
    for (const name of ['voxcpm-tts.svg', 'voxcpm-clone.svg']) {
      it(`${name} is a white, self-contained 40x60 SVG`, function () {
        const src = read(`icons/${name}`);
        assert.deepEqual(checkMarkup(src, name), ['svg'], `${name}: the root must be one <svg>`);
        const open = /<svg\b[^>]*>/.exec(src)?.[0] ?? '';
        assert.match(open, /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        const viewBox = /viewBox="([^"]*)"/.exec(open)?.[1] ?? '';
        assert.deepEqual(viewBox.split(/[\s,]+/).map(Number), [0, 0, 40, 60], `${name}: viewBox`);
        assert.ok(!/<script|<image|<foreignObject|href=|url\(/i.test(src), `${name}: scripts or external references`);
        for (const m of src.matchAll(/\b(fill|stroke)="([^"]*)"/g)) assert.match(m[2], /^(#fff|#ffffff|white|none)$/i, `${name}: ${m[1]}="${m[2]}" is not white`);
        assert.ok(/<path\b[^>]*\bd="M/.test(src), `${name}: no glyph`);
      });
    }
  });

  describe('the build', function () {
    it('dist/nodes holds voxcpm.js with its .html, both locales and the icons beside it', function () {
      const out = path.join(root, 'dist', 'nodes');
      for (const f of ['voxcpm.js', 'voxcpm.html', 'icons/voxcpm-tts.svg', 'icons/voxcpm-clone.svg', ...LANGS.flatMap((l) => [`locales/${l}/voxcpm.json`, `locales/${l}/voxcpm.html`])]) {
        assert.ok(fs.existsSync(path.join(out, f)), `dist/nodes/${f}`);
      }
    });

    it('resources/voxcpm-editor.js is one script that registers the four types with the editor', function () {
      const src = fs.readFileSync(path.join(root, 'resources', 'voxcpm-editor.js'), 'utf8');
      assert.ok(!/\brequire\(|^\s*(import|export)\b/m.test(src), 'a browser script: no require, import or export');
      const registered: Array<{ type: string; def: { category?: string } }> = [];
      const RED = { nodes: { registerType: (type: string, def: { category?: string }) => registered.push({ type, def }) } };
      vm.runInNewContext(src, { RED, URL, setTimeout });
      assert.deepEqual(registered.map((r) => r.type), [...NODES]);
      assert.deepEqual(registered.map((r) => r.def.category), ['config', 'config', 'VoxCPM', 'VoxCPM']);
    });

    it('the node set registers the four node types in a runtime', async function () {
      const { helper, NODES_DIR } = await import('../support/runtime');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const set = require(path.join(NODES_DIR, 'voxcpm.js')) as Parameters<typeof helper.load>[0];
      const flow = [
        { id: 's1', type: 'voxcpm-server', url: 'http://127.0.0.1:9' },
        { id: 't1', type: 'voxcpm-tts', server: 's1', wires: [] },
        { id: 'c1', type: 'voxcpm-clone', server: 's1', wires: [] },
        { id: 'v1', type: 'voxcpm-voice', name: 'Anna', prompt: 'warm' },
      ];
      try {
        await helper.load(set, flow);
        for (const id of ['s1', 't1', 'c1', 'v1']) assert.ok(helper.getNode(id), `${id} did not start`);
      } finally {
        await helper.unload();
      }
    });
  });
});
