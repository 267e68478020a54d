// Static checks of the editor side of the package: the editor definitions (nodes/*.html), the
// message catalogs and help (nodes/locales/<lang>/*), and the icons. Reads the source files
// only; node:vm runs the editor scripts against a stub RED to check the definitions and the
// validators. No Node-RED, no browser.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

// Compiled to dist/test/ (root two levels up); also works when run from test/ by ts-node.
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'nodes', 'locales'))) {
      return dir;
    }
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../..');
  }
}
const root = findRoot();

const NODES = ['voxcpm-server', 'voxcpm-tts', 'voxcpm-clone'] as const;
type NodeType = (typeof NODES)[number];
const FLOW_NODES: NodeType[] = ['voxcpm-tts', 'voxcpm-clone'];
const LANGS = ['en-US', 'zh-CN'] as const;
type Lang = (typeof LANGS)[number];

// The <h3> sections of each help text, in this order. A config node has no wires, so its
// help has no Inputs/Outputs.
const HEADINGS: Record<Lang, { inputs: string; outputs: string; details: string; references: string }> = {
  'en-US': { inputs: 'Inputs', outputs: 'Outputs', details: 'Details', references: 'References' },
  'zh-CN': { inputs: '输入', outputs: '输出', details: '详细', references: '参考' },
};

// Words that read the same in Chinese: brands, formats, units. A zh-CN value may equal the
// English one only if nothing but these, __params__, URLs, numbers and punctuation is left.
const SAME_IN_CHINESE = ['VoxCPM2', 'VoxCPM', 'Node-RED', 'WAV', 'URL', 'HTTP', 'https', 'http', 'Hz', 'ms', 's'];

// What the runtime reads from the catalogs (RED._ in nodes/*.ts) and the editor's validators.
const RUNTIME_KEYS: Record<NodeType, string[]> = {
  'voxcpm-server': ['status.configError', 'errors.urlRequired', 'errors.urlInvalid', 'errors.timeoutInvalid'],
  'voxcpm-tts': ['status.working', 'status.done', 'status.failed', 'status.noServer', 'status.configError'],
  'voxcpm-clone': ['status.working', 'status.done', 'status.failed', 'status.noServer', 'status.configError'],
};

// The properties the runtime reads from each node's config.
const DEFAULTS: Record<NodeType, string[]> = {
  'voxcpm-server': ['name', 'url', 'timeout'],
  'voxcpm-tts': ['name', 'server', 'prompt'],
  'voxcpm-clone': ['name', 'server', 'prompt', 'reference', 'referenceText'],
};

type Catalog = { [key: string]: string | Catalog };

const read = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
const catalogPath = (lang: Lang, node: NodeType): string => `nodes/locales/${lang}/${node}.json`;
const helpPath = (lang: Lang, node: NodeType): string => `nodes/locales/${lang}/${node}.html`;

function catalog(lang: Lang, node: NodeType): Catalog {
  return JSON.parse(read(catalogPath(lang, node))) as Catalog;
}

/** Every leaf of a catalog as "a.b.c" -> value; fails on anything but nested objects of strings. */
function leaves(obj: Catalog, where: string, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') {
      assert.ok(v.trim() !== '', `${where}: ${key} is empty`);
      out.set(key, v);
    } else {
      assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${where}: ${key} is not a string or object`);
      for (const [lk, lv] of leaves(v, where, key)) out.set(lk, lv);
    }
  }
  return out;
}

/** Looks a dotted key up in a catalog: the string, or undefined (also for a non-leaf). */
function lookup(cat: Catalog, key: string): string | undefined {
  let cur: string | Catalog | undefined = cat;
  for (const part of key.split('.')) {
    if (cur === undefined || typeof cur === 'string') return undefined;
    cur = cur[part];
  }
  return typeof cur === 'string' ? cur : undefined;
}

const params = (s: string): string[] => (s.match(/__[A-Za-z0-9]+__/g) ?? []).sort();

/** A translator like the editor's node._ for one node's namespace: the text, or the key if missing. */
function translator(cat: Catalog) {
  return (key: string, opts?: Record<string, unknown>): string => {
    const v = lookup(cat, key);
    if (v === undefined) return key;
    return v.replace(/__([A-Za-z0-9]+)__/g, (m, p: string) => (opts && p in opts ? String(opts[p]) : m));
  };
}

/** Inner text of the one <script ...attr="name"> block, failing if there is not exactly one. */
function scriptBlock(src: string, attr: string, name: string, where: string): string {
  const re = new RegExp(`<script type="text/html" ${attr}="([^"]*)">([\\s\\S]*?)</script>`, 'g');
  const blocks = [...src.matchAll(re)];
  assert.deepEqual(blocks.map((b) => b[1]), [name], `${where}: expected one ${attr}="${name}" block`);
  return blocks[0][2];
}

/**
 * A small well-formedness check for markup: every tag parses, non-void elements nest and
 * close, no stray "<" is left in text. Returns the names of the top-level elements.
 */
function checkMarkup(src: string, where: string, voids: ReadonlySet<string> = new Set()): string[] {
  const body = src.replace(/<!--[\s\S]*?-->/g, '').replace(/^\s*<\?xml[\s\S]*?\?>/, '');
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>/g;
  const stack: string[] = [];
  const top: string[] = [];
  let last = 0;
  for (const m of body.matchAll(tag)) {
    const text = body.slice(last, m.index);
    assert.ok(!text.includes('<'), `${where}: unparsable markup near ${JSON.stringify(text.slice(text.indexOf('<'), text.indexOf('<') + 40))}`);
    last = (m.index ?? 0) + m[0].length;
    const [, closing, rawName, , selfClosing] = m;
    const name = rawName.toLowerCase();
    if (closing) {
      const open = stack.pop();
      assert.equal(open, name, `${where}: </${name}> closes <${open ?? 'nothing'}>`);
    } else {
      if (stack.length === 0) top.push(name);
      if (!selfClosing && !voids.has(name)) stack.push(name);
    }
  }
  assert.ok(!body.slice(last).includes('<'), `${where}: unparsable markup at the end`);
  assert.deepEqual(stack, [], `${where}: unclosed ${stack.join(', ')}`);
  return top;
}
const HTML_VOIDS = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr', 'col', 'source']);

type Validator = (this: unknown, v: unknown, opt?: unknown) => unknown;
interface PropDef {
  value?: unknown;
  type?: string;
  required?: boolean;
  validate?: Validator;
}
interface NodeDef {
  category?: string;
  color?: string;
  defaults: Record<string, PropDef>;
  inputs?: number;
  outputs?: number;
  icon?: string;
  paletteLabel?: string | ((this: unknown) => string);
  label?: (this: unknown) => string;
  inputLabels?: (this: unknown, i: number) => string;
  outputLabels?: (this: unknown, i: number) => string;
}

/** Runs a node's editor script against a stub RED and returns what it registered. */
function loadEditorDef(node: NodeType): NodeDef {
  const src = read(`nodes/${node}.html`);
  const scripts = [...src.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, `nodes/${node}.html: expected one text/javascript script`);
  const registered: Record<string, NodeDef> = {};
  const RED = {
    nodes: {
      registerType(type: string, def: NodeDef) {
        registered[type] = def;
      },
    },
    _: (key: string) => key,
    validators: {},
  };
  const $ = () => ({ spinner: () => undefined, on: () => undefined, val: () => '' });
  vm.runInNewContext(scripts[0], { RED, $, URL, console }, { filename: `nodes/${node}.html` });
  assert.deepEqual(Object.keys(registered), [node], `nodes/${node}.html registers ${Object.keys(registered).join(', ')}`);
  return registered[node];
}

describe('editor i18n, help and icons', function () {
  describe('message catalogs', function () {
    for (const node of NODES) {
      it(`${node}: en-US and zh-CN have the same keys and __params__`, function () {
        const en = catalog('en-US', node);
        const zh = catalog('zh-CN', node);
        assert.deepEqual(Object.keys(en), [node], `${catalogPath('en-US', node)}: one top key named ${node}`);
        assert.deepEqual(Object.keys(zh), [node], `${catalogPath('zh-CN', node)}: one top key named ${node}`);
        const enLeaves = leaves(en, catalogPath('en-US', node));
        const zhLeaves = leaves(zh, catalogPath('zh-CN', node));
        assert.deepEqual([...zhLeaves.keys()].sort(), [...enLeaves.keys()].sort(), `${node}: key sets differ`);
        for (const [key, enValue] of enLeaves) {
          assert.deepEqual(params(zhLeaves.get(key) ?? ''), params(enValue), `${node}: ${key} has other __params__ in zh-CN`);
        }
      });

      it(`${node}: has the keys the runtime and validators use`, function () {
        const en = catalog('en-US', node);
        for (const key of RUNTIME_KEYS[node]) {
          assert.equal(typeof lookup(en, `${node}.${key}`), 'string', `${node}.${key} missing`);
        }
        if (node !== 'voxcpm-server') {
          assert.deepEqual(params(lookup(en, `${node}.status.done`) ?? ''), ['__duration__', '__elapsed__']);
          assert.deepEqual(params(lookup(en, `${node}.status.failed`) ?? ''), ['__code__']);
        }
      });

      it(`${node}: zh-CN is translated`, function () {
        const en = leaves(catalog('en-US', node), 'en');
        const zh = leaves(catalog('zh-CN', node), 'zh');
        const words = new RegExp(`\\b(?:${SAME_IN_CHINESE.join('|')})\\b`, 'g');
        for (const [key, zhValue] of zh) {
          if (zhValue !== en.get(key)) continue;
          const rest = zhValue
            .replace(/https?:\/\/\S+/g, '')
            .replace(/__[A-Za-z0-9]+__/g, '')
            .replace(words, '')
            .replace(/[\s\d.,:;/()\-–—…%]+/g, '');
          assert.equal(rest, '', `${key} is untranslated in zh-CN: ${JSON.stringify(zhValue)}`);
        }
        assert.match(zh.get(`${node}.paletteLabel`) ?? '', /[\u4e00-\u9fff]/, `${node}: zh-CN paletteLabel is not Chinese`);
      });
    }
  });

  describe('help', function () {
    for (const node of NODES) {
      for (const lang of LANGS) {
        it(`${node}: ${lang} help`, function () {
          const file = helpPath(lang, node);
          assert.ok(fs.existsSync(path.join(root, file)), `${file} missing`);
          const body = scriptBlock(read(file), 'data-help-name', node, file);
          const top = checkMarkup(body, file, HTML_VOIDS);
          assert.equal(top[0], 'p', `${file}: must start with the one-line summary <p>`);
          const summary = /^\s*<p>([\s\S]*?)<\/p>/.exec(body);
          assert.ok(summary && summary[1].trim() !== '' && !/<(p|div|ul|dl|h\d)\b/.test(summary[1]), `${file}: bad summary`);

          const h = HEADINGS[lang];
          const want = FLOW_NODES.includes(node) ? [h.inputs, h.outputs, h.details, h.references] : [h.details, h.references];
          const got = [...body.matchAll(/<h3>([\s\S]*?)<\/h3>/g)].map((m) => m[1].trim());
          assert.deepEqual(got, want, `${file}: <h3> sections`);

          if (FLOW_NODES.includes(node)) {
            assert.equal((body.match(/<dl class="message-properties">/g) ?? []).length, 2, `${file}: Inputs and Outputs lists`);
          }
          const refs = body.slice(body.lastIndexOf('<h3>'));
          assert.ok(refs.includes('href="https://github.com/OpenBMB/VoxCPM"'), `${file}: no VoxCPM link in References`);
          assert.match(refs, /href="[^"]*node-red-voxcpm[^"]*readme"/i, `${file}: no README link in References`);
          assert.ok(!/\b(src|href)="(?!https:\/\/)/.test(body), `${file}: a link that is not https`);
        });
      }

      it(`${node}: zh-CN help mirrors en-US (properties, error codes)`, function () {
        const en = scriptBlock(read(helpPath('en-US', node)), 'data-help-name', node, 'en');
        const zh = scriptBlock(read(helpPath('zh-CN', node)), 'data-help-name', node, 'zh');
        const dts = (s: string) => [...s.matchAll(/<dt( class="optional")?>([^<]*)</g)].map((m) => `${m[2].trim()}${m[1] ? '?' : ''}`);
        const codes = (s: string) => [...new Set(s.match(/VOXCPM_[A-Z_]+/g) ?? [])].sort();
        assert.deepEqual(dts(zh), dts(en), 'message properties');
        assert.deepEqual(codes(zh), codes(en), 'error codes');
      });
    }

    it('flow nodes document every error code', function () {
      const common = ['VOXCPM_TEXT_EMPTY', 'VOXCPM_INPUT_INVALID', 'VOXCPM_CONFIG', 'VOXCPM_UNREACHABLE',
        'VOXCPM_TIMEOUT', 'VOXCPM_SERVER_ERROR', 'VOXCPM_HTTP', 'VOXCPM_BAD_RESPONSE'];
      const want: Record<string, string[]> = {
        'voxcpm-tts': common,
        'voxcpm-clone': [...common, 'VOXCPM_AUDIO_MISSING', 'VOXCPM_AUDIO_INVALID'],
      };
      for (const node of FLOW_NODES) {
        const help = read(helpPath('en-US', node));
        const found = [...new Set(help.match(/VOXCPM_[A-Z_]+/g) ?? [])].sort();
        assert.deepEqual(found, [...want[node]].sort(), node);
      }
    });
  });

  describe('editor definitions', function () {
    for (const node of NODES) {
      it(`${node}: every i18n key used in the editor exists in its en-US catalog`, function () {
        const file = `nodes/${node}.html`;
        const src = read(file);
        const en = catalog('en-US', node);
        const keys: string[] = [];
        for (const m of src.matchAll(/data-i18n="([^"]*)"/g)) {
          for (const part of m[1].split(';')) keys.push(part.trim().replace(/^\[[^\]]*\]/, ''));
        }
        for (const m of src.matchAll(/\._\(\s*(["'])(.*?)\1/g)) keys.push(m[2]);
        const own = keys.filter((k) => !k.startsWith('node-red:'));
        assert.ok(own.length > 3, `${file}: suspiciously few i18n keys (${own.length})`);
        for (const key of own) {
          assert.ok(key.startsWith(`${node}.`), `${file}: key ${key} is outside the ${node} namespace`);
          assert.equal(typeof lookup(en, key), 'string', `${file}: ${key} is not in ${catalogPath('en-US', node)}`);
        }
      });

      it(`${node}: template is well-formed and edits every property`, function () {
        const file = `nodes/${node}.html`;
        const src = read(file);
        const template = scriptBlock(src, 'data-template-name', node, file);
        checkMarkup(template, file, HTML_VOIDS);
        const prefix = node === 'voxcpm-server' ? 'node-config-input-' : 'node-input-';
        for (const prop of DEFAULTS[node]) {
          assert.match(template, new RegExp(`id="${prefix}${prop}"`), `${file}: no field for ${prop}`);
          assert.match(template, new RegExp(`<label for="${prefix}${prop}">|<label for="${prefix}${prop}" `), `${file}: no label for ${prop}`);
        }
        assert.ok(!/(src|href)="(https?:)?\/\//.test(src), `${file}: loads an external resource`);
      });

      it(`${node}: registers the fixed properties and translated labels`, function () {
        const def = loadEditorDef(node);
        assert.deepEqual(Object.keys(def.defaults).sort(), [...DEFAULTS[node]].sort());
        const en = catalog('en-US', node);
        const self = { _: translator(en), name: '', url: '' };
        const palette = typeof def.paletteLabel === 'function' ? def.paletteLabel.call(self) : def.paletteLabel;
        assert.equal(palette, lookup(en, `${node}.paletteLabel`));
        if (node === 'voxcpm-server') {
          assert.equal(def.category, 'config');
          assert.equal(def.defaults.url.value, 'http://127.0.0.1:5022');
          assert.equal(def.defaults.timeout.value, 300);
          assert.equal(def.label?.call({ ...self, url: 'http://h:5022' }), 'http://h:5022');
        } else {
          assert.equal(def.category, 'VoxCPM');
          assert.match(def.color ?? '', /^#[0-9A-Fa-f]{6}$/);
          assert.equal(def.inputs, 1);
          assert.equal(def.outputs, 1);
          assert.equal(def.icon, `${node}.svg`);
          assert.ok(fs.existsSync(path.join(root, 'icons', def.icon ?? '')), `icons/${def.icon} missing`);
          assert.equal(def.defaults.server.type, 'voxcpm-server');
          assert.equal(def.defaults.server.required, true);
          assert.equal(def.label?.call(self), lookup(en, `${node}.paletteLabel`));
          assert.equal(def.label?.call({ ...self, name: 'Lobby' }), 'Lobby');
          for (const fn of [def.inputLabels, def.outputLabels]) {
            const text = fn?.call(self, 0) ?? '';
            assert.ok(text !== '' && !text.startsWith(`${node}.`), `untranslated port label ${text}`);
          }
        }
        for (const [prop, pd] of Object.entries(def.defaults)) {
          // Node-RED only shows a validator's message if it declares (v, opt).
          if (pd.validate) assert.equal(pd.validate.length, 2, `${prop}: validate must take (v, opt)`);
        }
      });
    }

    it('voxcpm-server validates the URL and the timeout', function () {
      const def = loadEditorDef('voxcpm-server');
      const en = catalog('en-US', 'voxcpm-server');
      const self = { _: translator(en) };
      const url = (v: unknown) => def.defaults.url.validate?.call(self, v, {});
      const timeout = (v: unknown) => def.defaults.timeout.validate?.call(self, v, {});
      for (const ok of [
        'http://127.0.0.1:5022',
        'http://192.168.1.50:5022/api/tts',
        'https://tts.example.com/voxcpm',
        'https://tts.example.com',
        '192.168.1.50:5022',
        '192.168.1.50',
        'localhost:5022',
        'http://h:5022/voxcpm?key=1',
        'gpu-box.lan:5022/voxcpm',
        'http://[::1]:5022',
        '  http://127.0.0.1:5022  ',
        'http://a:5022\n\nb.lan:5022\r\n',
      ]) {
        assert.equal(url(ok), true, JSON.stringify(ok));
      }
      assert.equal(url(''), lookup(en, 'voxcpm-server.errors.urlRequired'));
      assert.equal(url(' \n '), lookup(en, 'voxcpm-server.errors.urlRequired'));
      for (const bad of [
        'ftp://example.com',
        'not a url',
        '5022',
        'http:/h:5022',
        'http://',
        'http://h:99999',
        'h:0',
        'javascript:alert(1)',
        'http://user:secret@h:5022',
        'user:secret@h:5022',
        'http://a:5022\nnot a url',
      ]) {
        const r = url(bad);
        assert.equal(typeof r, 'string', JSON.stringify(bad));
        assert.match(r as string, /^Not an http\(s\) URL or host:port: /, JSON.stringify(bad));
      }
      for (const ok of [300, '300', '0.5', ' 30 ']) assert.equal(timeout(ok), true, JSON.stringify(ok));
      for (const bad of [0, -1, '', 'abc', 'Infinity', null]) {
        assert.equal(timeout(bad), lookup(en, 'voxcpm-server.errors.timeoutInvalid'), JSON.stringify(bad));
      }
    });
    it('voxcpm-server accepts in the editor what the runtime accepts', function () {
      // Cross-check with the runtime's resolveEndpoint (built to dist/nodes/lib), if present.
      const built = path.join(root, 'dist', 'nodes', 'lib', 'endpoint.js');
      if (!fs.existsSync(built)) this.skip();
      const { resolveEndpoint } = require(built) as { resolveEndpoint?: (v: unknown) => string };
      if (typeof resolveEndpoint !== 'function') this.skip();
      const def = loadEditorDef('voxcpm-server');
      const self = { _: translator(catalog('en-US', 'voxcpm-server')) };
      for (const input of [
        'http://127.0.0.1:5022', 'https://h/voxcpm', 'http://h:5022/api/tts', 'http://h:5022/api/tts/',
        '192.168.1.50:5022', '192.168.1.50', 'gpu_box:5022/x', '[::1]:5022', 'http://[::1]:5022',
        'http://h:5022/voxcpm?key=1', 'http://h:5022#x',
        'ftp://h', 'http://', 'http:/h', '5022', 'h:abc', 'http://h:99999', 'javascript:alert(1)',
        'http://user:pw@h:5022', 'user:pw@h:5022', 'https://@h',
      ]) {
        let runtimeOk = true;
        try {
          resolveEndpoint(input);
        } catch {
          runtimeOk = false;
        }
        assert.equal(def.defaults.url.validate?.call(self, input, {}) === true, runtimeOk, JSON.stringify(input));
      }
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
        for (const m of src.matchAll(/\b(fill|stroke)="([^"]*)"/g)) {
          assert.match(m[2], /^(#fff|#ffffff|white|none)$/i, `${name}: ${m[1]}="${m[2]}" is not white`);
        }
        assert.ok(/<path\b[^>]*\bd="M/.test(src), `${name}: no glyph`);
      });
    }
  });
});
