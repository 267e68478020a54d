// Static checks of the editor side of the package: the editor definitions (nodes/*.html), the
// message catalogs and help (nodes/locales/<lang>/*), and the icons. Reads the source files
// only; node:vm runs the editor scripts against a stub RED to check the definitions and the
// validators, and against a small fake jQuery (below) to run the dialogs' oneditprepare and
// their buttons (test connection, preview, upload). No Node-RED, no browser.
import { strict as assert } from 'node:assert';
import { Blob } from 'node:buffer';
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
/** Punctuation and symbols that need no translation (✔ ✘ · in the test and preview results). */
const NEUTRAL = /[\s\d.,:;/()\-–—…%+✔✘·]+/g;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

// The status texts the runtime shows (RED._ in nodes/shared/synthesis-node.ts), with their
// parameters: all are kept in both languages.
const STATUS_PARAMS: Record<string, string[]> = {
  working: [],
  workingQueued: ['__count__'],
  progress: ['__count__', '__done__'],
  queued: ['__count__'],
  done: ['__duration__', '__elapsed__'],
  failed: ['__code__'],
  ready: [],
  unreachable: [],
  unreachableQueued: ['__count__'],
  partial: ['__down__', '__total__'],
  warming: [],
  warm: ['__seconds__'],
  warmFailed: ['__code__'],
  noServer: [],
  configError: [],
};
const FLOW_STATUS_KEYS = Object.keys(STATUS_PARAMS).map((k) => `status.${k}`);

// What the runtime reads from the catalogs (RED._ in nodes/*.ts) and the editor's validators.
const RUNTIME_KEYS: Record<NodeType, string[]> = {
  'voxcpm-server': ['status.configError', 'errors.urlRequired', 'errors.urlInvalid', 'errors.timeoutInvalid'],
  'voxcpm-tts': FLOW_STATUS_KEYS,
  'voxcpm-clone': FLOW_STATUS_KEYS,
};

// The properties each node's config carries, with their defaults, exactly: the runtime reads
// them by these names. Credentials are never among them.
const FLOW_DEFAULTS: Record<string, unknown> = {
  name: '',
  server: '',
  text: 'payload',
  output: 'payload',
  prompt: '',
  promptType: 'str',
  maxChunk: 150,
  pause: 150,
  streaming: false,
  outputFormat: 'wav',
  sampleRate: 0,
  leadIn: 0,
};
const DEFAULT_VALUES: Record<NodeType, Record<string, unknown>> = {
  'voxcpm-server': {
    name: '',
    url: 'http://127.0.0.1:5022',
    timeout: 300,
    concurrency: 1,
    queueLimit: 100,
    retries: 3,
    maxResponseMB: 100,
    maxText: 20000,
    warmup: false,
    cache: true,
    cacheSize: 64,
    cacheDir: '',
    urlTtl: 600,
    publicUrl: '',
    authType: 'none',
    headerName: '',
    tls: '',
    proxy: '',
  },
  'voxcpm-tts': FLOW_DEFAULTS,
  'voxcpm-clone': { ...FLOW_DEFAULTS, reference: '', referenceText: '' },
};
const DEFAULTS: Record<NodeType, string[]> = {
  'voxcpm-server': Object.keys(DEFAULT_VALUES['voxcpm-server']),
  'voxcpm-tts': Object.keys(DEFAULT_VALUES['voxcpm-tts']),
  'voxcpm-clone': Object.keys(DEFAULT_VALUES['voxcpm-clone']),
};
/** Properties edited through a TypedInput's hidden type field: no label of their own. */
const TYPE_FIELDS = ['promptType'];

// The voxcpm-server's credentials, in Node-RED's credential store only.
const SERVER_CREDENTIALS: Record<string, 'text' | 'password'> = {
  token: 'password',
  username: 'text',
  password: 'password',
  headerValue: 'password',
  proxyUsername: 'text',
  proxyPassword: 'password',
};

// Elements that browser tests and users rely on, by id.
const ELEMENT_IDS: Record<NodeType, string[]> = {
  'voxcpm-server': ['voxcpm-test-button', 'voxcpm-test-result'],
  'voxcpm-tts': ['voxcpm-presets', 'voxcpm-preview-text', 'voxcpm-preview-button', 'voxcpm-preview-audio', 'voxcpm-preview-result'],
  'voxcpm-clone': [
    'voxcpm-presets', 'voxcpm-preview-text', 'voxcpm-preview-button', 'voxcpm-preview-audio', 'voxcpm-preview-result',
    'voxcpm-reference-file', 'voxcpm-reference-audio', 'voxcpm-reference-info',
  ],
};

// The ready-made prompts, the same text in every language.
const PRESET_PROMPTS = [
  '年轻女性，声音温柔甜美，语速适中',
  '正式、清晰、语速稍慢',
  '活泼可爱的小孩，语气欢快',
  '新闻播音员，字正腔圆，沉稳大气',
  '粤语，中年男性，声音浑厚',
  '温暖的讲故事语气，语速偏慢',
  '热情洋溢的主持人，语速较快',
  '平静友好的语音助手',
  '轻声细语，像在耳边低语',
];

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
  credentials?: Record<string, { type?: string; required?: boolean }>;
  inputs?: number;
  outputs?: number;
  icon?: string;
  paletteLabel?: string | ((this: unknown) => string);
  label?: (this: unknown) => string;
  inputLabels?: (this: unknown, i: number) => string;
  outputLabels?: (this: unknown, i: number) => string;
  oneditprepare?: (this: unknown) => void;
  oneditsave?: (this: unknown) => void;
  oneditcancel?: (this: unknown) => void;
}

/** The one text/javascript script of a node's editor file. */
function editorScript(node: NodeType): string {
  const src = read(`nodes/${node}.html`);
  const scripts = [...src.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, `nodes/${node}.html: expected one text/javascript script`);
  return scripts[0];
}

/** Runs a node's editor script against a stub RED and returns what it registered. */
function loadEditorDef(node: NodeType, globals: Record<string, unknown> = {}): NodeDef {
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
  vm.runInNewContext(editorScript(node), { RED, $, URL, console, ...globals }, { filename: `nodes/${node}.html` });
  assert.deepEqual(Object.keys(registered), [node], `nodes/${node}.html registers ${Object.keys(registered).join(', ')}`);
  return registered[node];
}

// ---------------------------------------------------------------------------------------------
// A small fake of the editor's jQuery, enough to run oneditprepare and click the dialogs'
// buttons: elements by selector, values, checked/disabled state, visibility, text, event
// handlers, TypedInputs, and $.ajax calls that a test answers by hand.

interface FakeAjax {
  opts: Record<string, unknown>;
  raw?: FakeXhr;
  done(data: unknown): void;
  fail(xhr: unknown): void;
}
interface FakeXhr {
  status: number;
  statusText: string;
  response: unknown;
  headers: Record<string, string>;
  getResponseHeader(name: string): string | null;
}

class FakeEl {
  value: unknown = '';
  own = '';
  children: FakeEl[] = [];
  checked = false;
  disabled = false;
  visible: boolean | undefined;
  style: Record<string, unknown> = {};
  attrs: Record<string, unknown> = {};
  handlers: Record<string, ((this: unknown, e: unknown) => void)[]> = {};
  typed?: { types: string[]; type: string; typeField?: string; disabled?: boolean };
  files: unknown[] = [];
  readonly raw: { el: FakeEl; files?: unknown[]; value?: unknown };
  constructor(readonly sel: string) {
    const self = this;
    this.raw = {
      el: this,
      get files() {
        return self.files;
      },
      get value() {
        return self.value;
      },
      set value(v) {
        self.value = v;
      },
    };
  }
  text(): string {
    return this.own + this.children.map((c) => c.text()).join('');
  }
}

class FakeDom {
  readonly els = new Map<string, FakeEl>();
  readonly ajax: FakeAjax[] = [];
  readonly notes: unknown[][] = [];
  readonly $: ((sel: unknown) => unknown) & Record<string, unknown>;

  constructor() {
    const dom = this;
    const $ = ((sel: unknown) => dom.wrap(dom.resolve(sel))) as ((sel: unknown) => unknown) & Record<string, unknown>;
    $.ajaxSettings = { xhr: () => dom.newXhr() };
    $.ajax = (opts: Record<string, unknown>) => {
      const call: FakeAjax & { cbs: Record<string, ((...a: unknown[]) => void)[]> } = {
        opts,
        cbs: { done: [], fail: [], always: [] },
        done(data: unknown) {
          for (const f of this.cbs.done) f(data, 'success', this.raw);
          for (const f of this.cbs.always) f();
        },
        fail(xhr: unknown) {
          for (const f of this.cbs.fail) f(xhr, 'error', '');
          for (const f of this.cbs.always) f();
        },
      };
      if (typeof opts.xhr === 'function') call.raw = (opts.xhr as () => FakeXhr)();
      dom.ajax.push(call);
      const chain = {
        done: (f: (...a: unknown[]) => void) => (call.cbs.done.push(f), chain),
        fail: (f: (...a: unknown[]) => void) => (call.cbs.fail.push(f), chain),
        always: (f: (...a: unknown[]) => void) => (call.cbs.always.push(f), chain),
      };
      return chain;
    };
    this.$ = $;
  }

  newXhr(): FakeXhr {
    return {
      status: 200,
      statusText: 'OK',
      response: null,
      headers: {},
      getResponseHeader(name: string) {
        const k = Object.keys(this.headers).find((h) => h.toLowerCase() === name.toLowerCase());
        return k === undefined ? null : this.headers[k];
      },
    };
  }

  el(sel: string): FakeEl {
    let e = this.els.get(sel);
    if (!e) {
      e = new FakeEl(sel);
      this.els.set(sel, e);
    }
    return e;
  }

  resolve(sel: unknown): FakeEl {
    if (typeof sel === 'string') {
      // "<span>", '<i class="…"></i>': a new element of its own.
      return sel.trim().startsWith('<') ? new FakeEl(sel) : this.el(sel);
    }
    if (sel && typeof sel === 'object') {
      const wrapped = (sel as { __fakeEl?: FakeEl }).__fakeEl;
      if (wrapped instanceof FakeEl) return wrapped;
      if ('el' in sel) return (sel as { el: FakeEl }).el;
    }
    return new FakeEl('?');
  }

  trigger(sel: string, event: string): void {
    const e = this.el(sel);
    for (const h of e.handlers[event] ?? []) h.call(e.raw, { preventDefault() {}, type: event });
  }

  last(url: RegExp): FakeAjax {
    const found = [...this.ajax].reverse().find((a) => url.test(String(a.opts.url)));
    assert.ok(found, `no $.ajax call to ${url}: ${this.ajax.map((a) => a.opts.url).join(', ')}`);
    return found;
  }

  /** A jQuery-like wrapper: known methods act on the element, the rest chain. */
  wrap(e: FakeEl): unknown {
    const dom = this;
    const api: Record<string, (...a: unknown[]) => unknown> = {
      val: (...a) => {
        if (a.length === 0) return e.value;
        e.value = a[0];
        return proxy;
      },
      text: (...a) => {
        if (a.length === 0) return e.text();
        e.own = String(a[0]);
        e.children = [];
        return proxy;
      },
      prop: (name, ...a) => {
        const key = name === 'checked' ? 'checked' : name === 'disabled' ? 'disabled' : undefined;
        if (a.length === 0) return key ? e[key] : undefined;
        if (key) e[key] = Boolean(a[0]);
        return proxy;
      },
      is: (what) => (what === ':checked' ? e.checked : false),
      attr: (name, ...a) => {
        if (a.length === 0) return e.attrs[String(name)];
        e.attrs[String(name)] = a[0];
        return proxy;
      },
      removeAttr: (name) => {
        delete e.attrs[String(name)];
        return proxy;
      },
      css: (name, ...a) => {
        if (a.length === 0) return e.style[String(name)];
        e.style[String(name)] = a[0];
        return proxy;
      },
      toggle: (...a) => {
        e.visible = a.length === 0 ? !e.visible : Boolean(a[0]);
        return proxy;
      },
      show: () => ((e.visible = true), proxy),
      hide: () => ((e.visible = false), proxy),
      empty: () => {
        e.own = '';
        e.children = [];
        return proxy;
      },
      append: (x) => {
        if (typeof x === 'string') e.children.push(Object.assign(new FakeEl('#text'), { own: x }));
        else e.children.push(dom.resolve(x));
        return proxy;
      },
      appendTo: (target) => {
        const t = typeof target === 'string' ? dom.el(target) : dom.resolve(target);
        t.children.push(e);
        return proxy;
      },
      on: (events, fn) => {
        for (const ev of String(events).split(/\s+/)) (e.handlers[ev] ??= []).push(fn as (e: unknown) => void);
        return proxy;
      },
      trigger: (ev) => {
        dom.trigger(e.sel, String(ev));
        return proxy;
      },
      children: () => dom.wrap(new FakeEl(`${e.sel} > *`)),
      find: (s) => dom.wrap(new FakeEl(`${e.sel} ${String(s)}`)),
      typedInput: (arg, ...a) => {
        if (typeof arg === 'object' && arg !== null) {
          const o = arg as { default?: string; types: string[]; typeField?: string };
          const fromField = o.typeField ? String(dom.el(o.typeField).value || '') : '';
          e.typed = { types: o.types, type: fromField || o.default || o.types[0], typeField: o.typeField };
          return proxy;
        }
        assert.ok(e.typed, `typedInput("${String(arg)}") on ${e.sel} before it was made`);
        if (arg === 'type') {
          if (a.length === 0) return e.typed.type;
          assert.ok(e.typed.types.includes(String(a[0])), `type ${String(a[0])} not offered by ${e.sel}`);
          e.typed.type = String(a[0]);
          if (e.typed.typeField) dom.el(e.typed.typeField).value = a[0];
          return proxy;
        }
        if (arg === 'value') {
          if (a.length === 0) return e.value;
          e.value = a[0];
          return proxy;
        }
        if (arg === 'disable') e.typed.disabled = true;
        if (arg === 'enable') e.typed.disabled = false;
        return proxy;
      },
    };
    const proxy: unknown = new Proxy(api, {
      get(target, prop) {
        if (prop === 'length') return 1;
        if (prop === '0') return e.raw;
        if (prop === '__fakeEl') return e;
        if (typeof prop === 'string' && prop in target) return target[prop];
        return () => proxy;
      },
    });
    return proxy;
  }
}

/** A FileReader for the Blobs of node:buffer, as the editor uses it (readAsText, onload). */
class FakeFileReader {
  result: unknown = null;
  onload?: () => void;
  onerror?: () => void;
  readAsText(blob: Blob): void {
    blob.text().then(
      (t) => {
        this.result = t;
        this.onload?.();
      },
      () => this.onerror?.(),
    );
  }
}

interface FakeAudio {
  src: string;
  played: number;
  paused: number;
  pause(): void;
  play(): Promise<void>;
  removeAttribute(name: string): void;
}

/** Opens a node's edit dialog against the fakes: runs oneditprepare with `props` as the node. */
function openDialog(node: NodeType, props: Record<string, unknown>, configNodes: Record<string, unknown> = {}) {
  const dom = new FakeDom();
  const audios: Record<string, FakeAudio> = {};
  const blobUrls: string[] = [];
  const document = {
    getElementById(id: string) {
      return (audios[id] ??= {
        src: '',
        played: 0,
        paused: 0,
        pause() {
          this.paused++;
        },
        play() {
          this.played++;
          return Promise.resolve();
        },
        removeAttribute(name: string) {
          if (name === 'src') this.src = '';
        },
      });
    },
  };
  class BlobURL extends URL {
    static override createObjectURL(): string {
      const u = `blob:fake/${blobUrls.length + 1}`;
      blobUrls.push(u);
      return u;
    }
    static override revokeObjectURL(): void {}
  }
  const registered: Record<string, NodeDef> = {};
  const cat = catalog('en-US', node);
  const RED = {
    nodes: {
      registerType(type: string, def: NodeDef) {
        registered[type] = def;
      },
      node: (id: string) => configNodes[id] ?? null,
    },
    _: translator(cat),
    validators: {},
    tabs: { create: () => ({ addTab() {}, resize() {} }) },
    tray: { resize() {} },
    popover: { tooltip() {} },
    notify: (...a: unknown[]) => dom.notes.push(a),
  };
  vm.runInNewContext(
    editorScript(node),
    { RED, $: dom.$, URL: BlobURL, Blob, FileReader: FakeFileReader, document, console, setTimeout, clearTimeout },
    { filename: `nodes/${node}.html` },
  );
  const def = registered[node];
  const prefix = node === 'voxcpm-server' ? '#node-config-input-' : '#node-input-';
  const self: Record<string, unknown> = { id: 'n1', type: node, _: translator(cat), ...props };
  // What Node-RED does before oneditprepare: each property's value into its input.
  for (const prop of Object.keys(def.defaults)) {
    const el = dom.el(prefix + prop);
    if (typeof DEFAULT_VALUES[node][prop] === 'boolean') el.checked = Boolean(self[prop]);
    else el.value = self[prop] === undefined ? '' : self[prop];
  }
  def.oneditprepare?.call(self);
  return { dom, def, self, audios, blobUrls, el: (sel: string) => dom.el(sel) };
}

const tick = () => new Promise((r) => setTimeout(r, 10));
/** Objects made inside the vm have other prototypes: compare them as plain data. */
const plain = (x: unknown): unknown => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));

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
        for (const lang of LANGS) {
          const cat = catalog(lang, node);
          for (const key of RUNTIME_KEYS[node]) {
            assert.equal(typeof lookup(cat, `${node}.${key}`), 'string', `${lang}: ${node}.${key} missing`);
          }
          if (node !== 'voxcpm-server') {
            for (const [key, want] of Object.entries(STATUS_PARAMS)) {
              assert.deepEqual(params(lookup(cat, `${node}.status.${key}`) ?? ''), [...want].sort(), `${lang}: ${node}.status.${key} params`);
            }
          }
        }
      });

      it(`${node}: zh-CN is translated, en-US has no Chinese`, function () {
        const en = leaves(catalog('en-US', node), 'en');
        const zh = leaves(catalog('zh-CN', node), 'zh');
        const words = new RegExp(`\\b(?:${SAME_IN_CHINESE.join('|')})\\b`, 'g');
        const rest = (v: string) =>
          v
            .replace(/<[^>]*>/g, '')
            .replace(/https?:\/\/\S+/g, '')
            .replace(/__[A-Za-z0-9]+__/g, '')
            .replace(words, '')
            .replace(NEUTRAL, '');
        for (const [key, zhValue] of zh) {
          if (zhValue === en.get(key)) {
            assert.equal(rest(zhValue), '', `${key} is untranslated in zh-CN: ${JSON.stringify(zhValue)}`);
          }
          // Whatever is left after names, codes and symbols must be Chinese: no English label.
          const left = rest(zhValue.replace(/<code>[\s\S]*?<\/code>/g, ''));
          assert.ok(left === '' || CJK.test(left), `${key} shows no Chinese in zh-CN: ${JSON.stringify(zhValue)}`);
        }
        for (const [key, enValue] of en) {
          assert.ok(!CJK.test(enValue), `en-US ${key} contains Chinese: ${JSON.stringify(enValue)}`);
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
        'VOXCPM_TIMEOUT', 'VOXCPM_SERVER_ERROR', 'VOXCPM_HTTP', 'VOXCPM_BAD_RESPONSE', 'VOXCPM_QUEUE_FULL', 'VOXCPM_ABORTED', 'VOXCPM_INTERNAL'];
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

    it('flow nodes document the message properties of queue, cache, streaming and output', function () {
      for (const node of FLOW_NODES) {
        const help = scriptBlock(read(helpPath('en-US', node)), 'data-help-name', node, node);
        const [inputs, outputs] = help.split('<h3>Outputs</h3>');
        const dts = (s: string) => [...s.matchAll(/<dt( class="optional")?>([^<]*)</g)].map((m) => m[2].trim());
        for (const p of ['payload', 'prompt', 'priority', 'reset', 'timeout', 'cache', 'outputFormat']) {
          assert.ok(dts(inputs).includes(p), `${node}: input msg.${p} undocumented`);
        }
        for (const p of ['payload', 'sampleRate', 'duration', 'channels', 'bitDepth', 'contentType', 'cached', 'url', 'parts']) {
          assert.ok(dts(outputs).includes(p), `${node}: output msg.${p} undocumented`);
        }
        // What a user must know to count outcomes and read codes on older Node-RED.
        assert.match(help, /exactly one outcome/);
        assert.match(help, /Node-RED 3\.1 to 4\.0/);
        assert.match(help, /502, 503 or 504/);
      }
    });

    it('voxcpm-server documents servers, queue, retries, cache, msg.url, credentials, TLS and proxy', function () {
      const help = read(helpPath('en-US', 'voxcpm-server'));
      for (const re of [/Several servers/, /msg\.priority/, /Retries/, /VOXCPM_QUEUE_FULL/, /marked down/, /msg\.cache = false/,
        /msg\.url/, /Public URL/, /credential store/, /TLS configuration/, /no_proxy/, /Warm up/]) {
        assert.match(help, re);
      }
    });
  });

  describe('editor definitions', function () {
    for (const node of NODES) {
      it(`${node}: every i18n key used in the editor exists in its catalogs, and every editor key is used`, function () {
        const file = `nodes/${node}.html`;
        const src = read(file);
        const keys: string[] = [];
        for (const m of src.matchAll(/data-i18n="([^"]*)"/g)) {
          for (const part of m[1].split(';')) keys.push(part.trim().replace(/^\[[^\]]*\]/, ''));
        }
        for (const m of src.matchAll(/\._\(\s*(["'])(.*?)\1/g)) keys.push(m[2]);
        // Keys kept in tables (presets, validators' messages): any quoted "<node>.…" string.
        for (const m of editorScript(node).matchAll(/(["'])((?:voxcpm-server|voxcpm-tts|voxcpm-clone)\.[^"']*)\1/g)) {
          if (!/\.svg$/.test(m[2])) keys.push(m[2]);
        }
        const own = keys.filter((k) => !k.startsWith('node-red:'));
        assert.ok(own.length > 3, `${file}: suspiciously few i18n keys (${own.length})`);
        for (const lang of LANGS) {
          const cat = catalog(lang, node);
          for (const key of own) {
            assert.ok(key.startsWith(`${node}.`), `${file}: key ${key} is outside the ${node} namespace`);
            assert.equal(typeof lookup(cat, key), 'string', `${file}: ${key} is not in ${catalogPath(lang, node)}`);
          }
        }
        // The other way round: a catalog key that neither the editor nor the runtime reads is dead.
        const used = new Set(own.map((k) => k.slice(node.length + 1)));
        for (const key of leaves(catalog('en-US', node), 'en').keys()) {
          const rel = key.slice(node.length + 1);
          if (/^(status|errors)\./.test(rel) || RUNTIME_KEYS[node].includes(rel)) continue;
          assert.ok(used.has(rel), `${catalogPath('en-US', node)}: ${key} is never used`);
        }
      });

      it(`${node}: template is well-formed and edits every property`, function () {
        const file = `nodes/${node}.html`;
        const src = read(file);
        const template = scriptBlock(src, 'data-template-name', node, file);
        checkMarkup(template, file, HTML_VOIDS);
        const prefix = node === 'voxcpm-server' ? 'node-config-input-' : 'node-input-';
        const fields = [...DEFAULTS[node], ...(node === 'voxcpm-server' ? Object.keys(SERVER_CREDENTIALS) : [])];
        for (const prop of fields) {
          assert.equal((template.match(new RegExp(`id="${prefix}${prop}"`, 'g')) ?? []).length, 1, `${file}: no (or two) field for ${prop}`);
          if (TYPE_FIELDS.includes(prop)) {
            assert.match(template, new RegExp(`<input type="hidden" id="${prefix}${prop}">`), `${file}: ${prop} is a hidden type field`);
            continue;
          }
          assert.match(template, new RegExp(`<label for="${prefix}${prop}">|<label for="${prefix}${prop}" `), `${file}: no label for ${prop}`);
        }
        for (const id of ELEMENT_IDS[node]) {
          assert.equal((template.match(new RegExp(`id="${id}"`, 'g')) ?? []).length, 1, `${file}: no element #${id}`);
        }
        // Labels come from the catalogs: no Chinese and no English sentence in the markup itself.
        assert.ok(!CJK.test(template), `${file}: Chinese text in the template`);
        const bare = template.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').trim();
        assert.equal(bare, '', `${file}: text outside data-i18n: ${bare.slice(0, 60)}`);
        assert.ok(!/(src|href)="(https?:)?\/\//.test(src), `${file}: loads an external resource`);
      });

      it(`${node}: registers the properties, their defaults and translated labels`, function () {
        const def = loadEditorDef(node);
        assert.deepEqual(Object.keys(def.defaults).sort(), [...DEFAULTS[node]].sort());
        for (const [prop, value] of Object.entries(DEFAULT_VALUES[node])) {
          assert.deepEqual(def.defaults[prop].value, value, `${node}.${prop} default`);
        }
        const en = catalog('en-US', node);
        const self = { _: translator(en), name: '', url: '' };
        const palette = typeof def.paletteLabel === 'function' ? def.paletteLabel.call(self) : def.paletteLabel;
        assert.equal(palette, lookup(en, `${node}.paletteLabel`));
        if (node === 'voxcpm-server') {
          assert.equal(def.category, 'config');
          assert.equal(def.defaults.tls.type, 'tls-config');
          assert.equal(def.defaults.tls.required, false);
          assert.equal(def.label?.call({ ...self, url: 'http://h:5022' }), 'http://h:5022');
          assert.equal(def.label?.call({ ...self, url: 'http://a:5022\nhttp://b:5022\nc:5022' }), 'http://a:5022 + 2 more');
          assert.equal(def.label?.call({ ...self, name: 'GPU', url: 'http://a:5022' }), 'GPU');
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

    it('voxcpm-server declares its six credentials, none of them in defaults', function () {
      const def = loadEditorDef('voxcpm-server');
      const creds = def.credentials ?? {};
      assert.deepEqual(Object.keys(creds).sort(), Object.keys(SERVER_CREDENTIALS).sort());
      for (const [name, type] of Object.entries(SERVER_CREDENTIALS)) {
        assert.equal(creds[name].type, type, `${name} type`);
        assert.notEqual(creds[name].required, true, `${name}: the editor only sees has_${name}, never mark it required`);
        assert.ok(!(name in def.defaults), `${name} must not be in defaults`);
      }
      const template = scriptBlock(read('nodes/voxcpm-server.html'), 'data-template-name', 'voxcpm-server', 'server');
      for (const [name, type] of Object.entries(SERVER_CREDENTIALS)) {
        assert.match(template, new RegExp(`<input type="${type}" id="node-config-input-${name}"`), `${name}: an <input type="${type}">`);
      }
      // Nor in any flow node.
      for (const node of FLOW_NODES) {
        const d = loadEditorDef(node);
        assert.equal(d.credentials, undefined, node);
        for (const name of Object.keys(SERVER_CREDENTIALS)) assert.ok(!(name in d.defaults), `${node}: ${name}`);
      }
    });

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
      for (const ok of [300, '300', '0.5', ' 30 ', undefined]) assert.equal(timeout(ok), true, JSON.stringify(ok));
      for (const bad of [0, -1, '', 'abc', 'Infinity', null]) {
        assert.equal(timeout(bad), lookup(en, 'voxcpm-server.errors.timeoutInvalid'), JSON.stringify(bad));
      }
    });

    it('voxcpm-server validates queue, cache, playback, login and proxy settings', function () {
      const def = loadEditorDef('voxcpm-server');
      const en = catalog('en-US', 'voxcpm-server');
      const check = (prop: string, v: unknown, self: Record<string, unknown> = {}) =>
        def.defaults[prop].validate?.call({ _: translator(en), ...self }, v, {});
      const cases: [string, unknown[], unknown[], string][] = [
        ['concurrency', [1, '2', 8, undefined], [0, 1.5, '', 'x', -1, null], 'concurrencyInvalid'],
        ['queueLimit', [1, '100', undefined], [0, 2.5, '', 'many'], 'queueLimitInvalid'],
        ['retries', [0, 3, '10', undefined], [-1, 1.5, '', 'x'], 'retriesInvalid'],
        ['maxResponseMB', [100, '0.5', undefined], [0, -1, '', 'x'], 'maxResponseInvalid'],
        ['maxText', [1, '20000', undefined], [0, 2.5, -1, '', 'x'], 'maxTextInvalid'],
        ['cacheSize', [0, 64, '12.5', undefined], [-1, '', 'x'], 'cacheSizeInvalid'],
        ['urlTtl', [600, '30', undefined], [0, -5, '', 'x'], 'urlTtlInvalid'],
        ['publicUrl', ['', undefined, 'http://192.168.1.10:1880', 'https://ha.local/nodered/'], ['192.168.1.10:1880', 'ftp://x', 'http://u:p@h:1880', 'not a url'], 'publicUrlInvalid'],
        ['proxy', ['', undefined, 'http://proxy:3128', 'proxy.lan:3128', 'https://p:8443'], ['socks5://p:1080', 'http://u:p@proxy:3128', 'not a url'], 'proxyInvalid'],
        ['authType', ['none', 'bearer', 'basic', 'header', undefined, ''], ['oauth', 'BEARER'], 'authTypeInvalid'],
      ];
      for (const [prop, goods, bads, key] of cases) {
        for (const v of goods) assert.equal(check(prop, v), true, `${prop} ${JSON.stringify(v)}`);
        for (const v of bads) {
          const r = check(prop, v);
          assert.equal(typeof r, 'string', `${prop} ${JSON.stringify(v)}`);
          assert.ok((r as string).startsWith((lookup(en, `voxcpm-server.errors.${key}`) ?? '?').split('__')[0]), `${prop}: ${String(r)}`);
        }
      }
      // The header name is needed (and checked) only for a custom header.
      assert.equal(check('headerName', '', { authType: 'bearer' }), true);
      assert.equal(check('headerName', '', { authType: undefined }), true);
      assert.equal(check('headerName', 'X-API-Key', { authType: 'header' }), true);
      for (const bad of ['', 'X API Key', 'X:Key', undefined]) {
        assert.equal(check('headerName', bad, { authType: 'header' }), lookup(en, 'voxcpm-server.errors.headerNameInvalid'), String(bad));
      }
    });

    for (const node of FLOW_NODES) {
      it(`${node} validates its message properties, prompt and long-text settings`, function () {
        const def = loadEditorDef(node);
        const en = catalog('en-US', node);
        const check = (prop: string, v: unknown, self: Record<string, unknown> = {}) =>
          def.defaults[prop].validate?.call({ _: translator(en), ...self }, v, {});
        const cases: [string, unknown[], unknown[], string][] = [
          ['text', ['payload', 'data.text', undefined], ['', ' ', 'a b'], 'propertyInvalid'],
          ['output', ['payload', 'audio', undefined], ['', 'a b'], 'propertyInvalid'],
          ['promptType', ['str', 'msg', 'flow', 'global', undefined], ['env', 'json'], 'promptTypeInvalid'],
          ['maxChunk', [150, '10', 300, undefined], [9, 0, 150.5, '', 'x'], 'maxChunkInvalid'],
          ['pause', [0, 150, '500', undefined], [-1, 1.5, '', 'x'], 'pauseInvalid'],
          ['outputFormat', ['wav', 'base64', 'dataurl', undefined], ['mp3', 'WAV'], 'outputFormatInvalid'],
          ['sampleRate', [0, 16000, '48000', undefined], [-1, 22050.5, '', 'x'], 'sampleRateInvalid'],
          ['leadIn', [0, 500, '250', undefined], [-1, 0.5, '', 'x'], 'leadInInvalid'],
        ];
        for (const [prop, goods, bads, key] of cases) {
          for (const v of goods) assert.equal(check(prop, v), true, `${prop} ${JSON.stringify(v)}`);
          for (const v of bads) assert.equal(check(prop, v), lookup(en, `${node}.errors.${key}`), `${prop} ${JSON.stringify(v)}`);
        }
        // A fixed prompt may be anything; a msg/flow/global prompt names a property.
        assert.equal(check('prompt', '', { promptType: 'str' }), true);
        assert.equal(check('prompt', '年轻女性 ，语速适中', { promptType: undefined }), true);
        assert.equal(check('prompt', 'voice.prompt', { promptType: 'msg' }), true);
        assert.equal(check('prompt', '', { promptType: 'flow' }), lookup(en, `${node}.errors.promptPropertyInvalid`));
      });
    }

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

  describe('editor dialogs (oneditprepare against a fake jQuery)', function () {
    const serverProps = {
      name: '', url: 'http://a:5022\nhttp://b:5022', timeout: 300, concurrency: 1, queueLimit: 100, retries: 3,
      maxResponseMB: 100, maxText: 20000, warmup: false, cache: true, cacheSize: 64, cacheDir: '', urlTtl: 600, publicUrl: '',
      authType: 'bearer', headerName: '', tls: 'tls1', proxy: 'http://proxy:3128',
    };

    it('voxcpm-server: shows the fields of the selected login, and the TLS picker only when asked', function () {
      const d = openDialog('voxcpm-server', serverProps);
      assert.equal(d.el('#node-config-input-usetls').checked, true);
      assert.equal(d.el('#voxcpm-server-row-tls').visible, true);
      assert.equal(d.el('.voxcpm-auth-row').visible, false);
      assert.equal(d.el('.voxcpm-auth-bearer').visible, true);
      d.el('#node-config-input-authType').value = 'header';
      d.dom.trigger('#node-config-input-authType', 'change');
      assert.equal(d.el('.voxcpm-auth-header').visible, true);
      d.el('#node-config-input-usetls').checked = false;
      d.dom.trigger('#node-config-input-usetls', 'change');
      assert.equal(d.el('#voxcpm-server-row-tls').visible, false);
      d.def.oneditsave?.call(d.self);
      assert.equal(d.el('#node-config-input-tls').value, '_ADD_', 'unchecked TLS is saved as none');
      d.el('#node-config-input-cache').checked = false;
      d.dom.trigger('#node-config-input-cache', 'change');
      assert.equal(d.el('.voxcpm-cache-row').style.opacity, 0.5);
    });

    it('voxcpm-server: an older flow gets the new defaults in the dialog', function () {
      const d = openDialog('voxcpm-server', { url: 'http://h:5022', timeout: 300 });
      assert.equal(d.el('#node-config-input-concurrency').value, 1);
      assert.equal(d.el('#node-config-input-queueLimit').value, 100);
      assert.equal(d.el('#node-config-input-urlTtl').value, 600);
      assert.equal(d.el('#node-config-input-cache').checked, true);
      assert.equal(d.el('#node-config-input-authType').value, 'none');
      assert.equal(d.el('#node-config-input-usetls').checked, false);
    });

    it('voxcpm-server: Test connection posts the dialog\'s current values and shows the outcome', async function () {
      const d = openDialog('voxcpm-server', serverProps);
      d.el('#node-config-input-url').value = 'http://gpu:5022';
      d.el('#node-config-input-timeout').value = '60';
      d.el('#node-config-input-token').value = '__PWRD__';
      d.el('#node-config-input-username').value = 'anna';
      d.el('#node-config-input-proxyPassword').value = 'pw';
      d.dom.trigger('#voxcpm-test-button', 'click');
      const call = d.dom.last(/^voxcpm\/test$/);
      assert.equal(call.opts.method, 'POST');
      assert.equal(call.opts.contentType, 'application/json');
      const body = JSON.parse(String(call.opts.data));
      assert.deepEqual(body, {
        id: 'n1',
        config: { url: 'http://gpu:5022', timeout: '60', authType: 'bearer', headerName: '', tls: 'tls1', proxy: 'http://proxy:3128' },
        credentials: { token: '__PWRD__', username: 'anna', password: '', headerValue: '', proxyUsername: '', proxyPassword: 'pw' },
      });
      assert.equal(d.el('#voxcpm-test-button').disabled, true);
      assert.match(d.el('#voxcpm-test-result').text(), /Testing…/);
      call.done({ ok: true, sampleRate: 48000, seconds: 1.23, latencyMs: 1234, endpoint: 'http://gpu:5022/api/tts' });
      assert.equal(d.el('#voxcpm-test-result').text(), '✔ OK · 48000 Hz · 1.2 s');
      assert.match(String(d.el('#voxcpm-test-result').style.color), /success/);
      assert.equal(d.el('#voxcpm-test-button').disabled, false);

      // Unchecked TLS is sent as none; an answer of ok:false, or an HTTP error with the same JSON.
      d.el('#node-config-input-usetls').checked = false;
      d.dom.trigger('#voxcpm-test-button', 'click');
      const second = d.dom.last(/^voxcpm\/test$/);
      assert.equal(JSON.parse(String(second.opts.data)).config.tls, '');
      second.done({ ok: false, code: 'VOXCPM_UNREACHABLE', message: 'connection refused' });
      assert.equal(d.el('#voxcpm-test-result').text(), '✘ VOXCPM_UNREACHABLE — connection refused');
      assert.match(String(d.el('#voxcpm-test-result').style.color), /error/);
      d.dom.trigger('#voxcpm-test-button', 'click');
      d.dom.last(/^voxcpm\/test$/).fail({ status: 400, statusText: 'Bad Request', responseJSON: { ok: false, code: 'VOXCPM_CONFIG', message: 'bad URL' } });
      assert.equal(d.el('#voxcpm-test-result').text(), '✘ VOXCPM_CONFIG — bad URL');
      d.dom.trigger('#voxcpm-test-button', 'click');
      d.dom.last(/^voxcpm\/test$/).fail({ status: 404, statusText: 'Not Found' });
      assert.equal(d.el('#voxcpm-test-result').text(), '✘ HTTP 404 — Not Found');
    });

    for (const node of FLOW_NODES) {
      const props: Record<string, unknown> = { ...DEFAULT_VALUES[node], server: '' };

      it(`${node}: presets fill the prompt; TypedInputs offer the right types`, function () {
        const d = openDialog(node, { ...props, prompt: 'old', promptType: 'msg' });
        assert.deepEqual(plain(d.el('#node-input-text').typed?.types), ['msg']);
        assert.deepEqual(plain(d.el('#node-input-output').typed?.types), ['msg']);
        assert.deepEqual(plain(d.el('#node-input-prompt').typed?.types), ['str', 'msg', 'flow', 'global']);
        assert.equal(d.el('#node-input-prompt').typed?.typeField, '#node-input-promptType');
        const options = d.el('#voxcpm-presets').children;
        assert.equal(options.length, PRESET_PROMPTS.length + 1);
        assert.deepEqual(options.slice(1).map((o) => o.attrs.title), PRESET_PROMPTS);
        for (const o of options) assert.ok(o.text() !== '' && !o.text().startsWith(node) && !CJK.test(o.text()), o.text());
        d.el('#voxcpm-presets').value = '3';
        d.dom.trigger('#voxcpm-presets', 'change');
        assert.equal(d.el('#node-input-prompt').value, '新闻播音员，字正腔圆，沉稳大气');
        assert.equal(d.el('#node-input-prompt').typed?.type, 'str');
        assert.equal(d.el('#node-input-promptType').value, 'str');
        assert.equal(d.el('#voxcpm-presets').value, '', 'the menu resets');
      });

      it(`${node}: sample rates offered, older flows get the new defaults`, function () {
        const d = openDialog(node, { name: '', server: '', prompt: '' });
        assert.deepEqual(plain(d.el('#node-input-sampleRate').children.map((o) => o.value)), ['0', '8000', '16000', '22050', '24000', '44100', '48000']);
        assert.equal(d.el('#node-input-sampleRate').value, '0');
        assert.equal(d.el('#node-input-text').value, 'payload');
        assert.equal(d.el('#node-input-output').value, 'payload');
        assert.equal(d.el('#node-input-maxChunk').value, 150);
        assert.equal(d.el('#node-input-outputFormat').value, 'wav');
        const odd = openDialog(node, { ...props, sampleRate: '32000' });
        assert.equal(odd.el('#node-input-sampleRate').value, '32000');
        assert.ok(odd.el('#node-input-sampleRate').children.some((o) => o.value === '32000'));
      });

      it(`${node}: Preview is disabled without a server, posts the dialog's voice and plays the answer`, async function () {
        const server = { id: 's1', type: 'voxcpm-server', url: 'http://gpu:5022', timeout: 300, authType: 'basic', headerName: '', tls: '', proxy: '' };
        const d = openDialog(node, { ...props, prompt: '平静友好的语音助手', promptType: 'str', reference: 'voices/anna.wav', referenceText: '' }, { s1: server });
        assert.equal(d.el('#voxcpm-preview-button').disabled, true);
        assert.equal(d.el('#voxcpm-preview-hint').visible, true);
        d.el('#node-input-server').value = 's1';
        d.dom.trigger('#node-input-server', 'change');
        assert.equal(d.el('#voxcpm-preview-button').disabled, false);
        assert.equal(d.el('#voxcpm-preview-hint').visible, false);

        d.el('#voxcpm-preview-text').value = '测试一下。';
        d.dom.trigger('#voxcpm-preview-button', 'click');
        const call = d.dom.last(/^voxcpm\/preview$/);
        assert.equal(call.opts.method, 'POST');
        assert.deepEqual(plain(call.opts.xhrFields), { responseType: 'blob' });
        assert.deepEqual(JSON.parse(String(call.opts.data)), {
          server: { id: 's1', config: { url: 'http://gpu:5022', timeout: 300, authType: 'basic', headerName: '', tls: '', proxy: '' }, credentials: {} },
          node: {
            type: node,
            prompt: '平静友好的语音助手',
            reference: node === 'voxcpm-clone' ? 'voices/anna.wav' : '',
            referenceText: '',
          },
          text: '测试一下。',
        });
        assert.ok(call.raw, 'the raw XHR is kept, to read headers and error bodies');
        call.raw.headers = { 'Content-Type': 'audio/wav', 'X-VoxCPM-Sample-Rate': '48000', 'X-VoxCPM-Duration': '2.31' };
        call.done(new Blob([Buffer.from('RIFF')], { type: 'audio/wav' }));
        assert.equal(d.el('#voxcpm-preview-result').text(), 'OK · 48000 Hz · 2.3 s');
        assert.match(d.audios['voxcpm-preview-audio'].src, /^blob:/);
        assert.equal(d.audios['voxcpm-preview-audio'].played, 1);

        // A non-str prompt is not sent; an error answer arrives as a Blob of JSON.
        d.el('#node-input-prompt').typed!.type = 'msg';
        d.dom.trigger('#voxcpm-preview-button', 'click');
        const failing = d.dom.last(/^voxcpm\/preview$/);
        assert.equal(JSON.parse(String(failing.opts.data)).node.prompt, '');
        failing.raw!.status = 502;
        failing.raw!.response = new Blob([JSON.stringify({ ok: false, code: 'VOXCPM_UNREACHABLE', message: 'connect ECONNREFUSED' })]);
        failing.fail({ status: 502, statusText: 'Bad Gateway' });
        await tick();
        assert.equal(d.el('#voxcpm-preview-result').text(), '✘ VOXCPM_UNREACHABLE — connect ECONNREFUSED');
        assert.match(String(d.el('#voxcpm-preview-result').style.color), /error/);

        // The placeholder is spoken when the text is empty; closing the dialog stops the audio.
        d.el('#voxcpm-preview-text').value = '';
        d.el('#voxcpm-preview-text').attrs.placeholder = 'Hello from VoxCPM2.';
        d.dom.trigger('#voxcpm-preview-button', 'click');
        assert.equal(JSON.parse(String(d.dom.last(/^voxcpm\/preview$/).opts.data)).text, 'Hello from VoxCPM2.');
        d.def.oneditcancel?.call(d.self);
        assert.ok(d.audios['voxcpm-preview-audio'].paused >= 1);
        assert.equal(d.audios['voxcpm-preview-audio'].src, '');
      });
    }

    it('voxcpm-clone: a transcript greys the prompt out and says why', function () {
      const d = openDialog('voxcpm-clone', { ...DEFAULT_VALUES['voxcpm-clone'], referenceText: '' });
      assert.equal(d.el('#voxcpm-prompt-ultimate').visible, false);
      assert.equal(d.el('#node-input-prompt').typed?.disabled, false);
      d.el('#node-input-referenceText').value = '大家好，欢迎。';
      d.dom.trigger('#node-input-referenceText', 'input');
      assert.equal(d.el('#voxcpm-prompt-ultimate').visible, true);
      assert.equal(d.el('#node-input-prompt').typed?.disabled, true);
      assert.equal(d.el('#voxcpm-presets').disabled, true);
      d.el('#node-input-referenceText').value = '  ';
      d.dom.trigger('#node-input-referenceText', 'input');
      assert.equal(d.el('#voxcpm-prompt-ultimate').visible, false);
      assert.equal(d.el('#voxcpm-presets').disabled, false);
    });

    it('voxcpm-clone: uploads a WAV, fills the reference, shows its info and plays it', async function () {
      const d = openDialog('voxcpm-clone', { ...DEFAULT_VALUES['voxcpm-clone'] });
      assert.equal(d.el('#voxcpm-reference-info').text(), lookup(catalog('en-US', 'voxcpm-clone'), 'voxcpm-clone.reference.none'));
      const file = { name: 'Anna Voice.wav', size: 4 };
      d.el('#voxcpm-reference-file').files = [file];
      d.dom.trigger('#voxcpm-reference-file', 'change');
      const upload = d.dom.last(/^voxcpm\/reference\?name=/);
      assert.equal(upload.opts.url, 'voxcpm/reference?name=Anna%20Voice.wav');
      assert.equal(upload.opts.method, 'POST');
      assert.equal(upload.opts.contentType, 'audio/wav');
      assert.equal(upload.opts.processData, false);
      assert.equal(upload.opts.data, file);
      upload.done({ ok: true, path: 'voxcpm-references/anna-1a2b3c4d.wav', duration: 9.8, sampleRate: 16000, channels: 1 });
      assert.equal(d.el('#node-input-reference').value, 'voxcpm-references/anna-1a2b3c4d.wav');
      assert.equal(d.el('#voxcpm-reference-file').value, '', 'the file input is cleared for the next upload');

      const info = d.dom.last(/^voxcpm\/reference\/info\?/);
      assert.equal(info.opts.url, 'voxcpm/reference/info?path=voxcpm-references%2Fanna-1a2b3c4d.wav');
      info.done({ ok: true, duration: 9.8, sampleRate: 16000, channels: 1 });
      assert.equal(d.el('#voxcpm-reference-info').text(), '9.8 s · 16000 Hz · mono');
      const audio = d.dom.last(/^voxcpm\/reference\?path=/);
      assert.equal(audio.opts.url, 'voxcpm/reference?path=voxcpm-references%2Fanna-1a2b3c4d.wav');
      assert.deepEqual(plain(audio.opts.xhrFields), { responseType: 'blob' });
      audio.done(new Blob([Buffer.from('RIFF')]));
      assert.match(d.audios['voxcpm-reference-audio'].src, /^blob:/);

      // Outside 3–30 s: a yellow warning; a missing file: the runtime's code, red.
      d.el('#node-input-reference').value = '/data/short.wav';
      d.dom.trigger('#node-input-reference', 'change');
      await new Promise((r) => setTimeout(r, 450));
      d.dom.last(/^voxcpm\/reference\/info\?path=%2Fdata%2Fshort\.wav/).done({ ok: true, duration: 2, sampleRate: 48000, channels: 2 });
      assert.equal(d.el('#voxcpm-reference-info').text(), '2.0 s · 48000 Hz · stereo — VoxCPM clones best from 5–30 s of clear speech');
      assert.match(String(d.el('#voxcpm-reference-info').style.color), /warning/);
      d.el('#node-input-reference').value = 'gone.wav';
      d.dom.trigger('#node-input-reference', 'input');
      await new Promise((r) => setTimeout(r, 450));
      d.dom.last(/^voxcpm\/reference\/info\?path=gone\.wav/).fail({
        status: 404, statusText: 'Not Found', responseJSON: { ok: false, code: 'VOXCPM_AUDIO_MISSING', message: 'no such file' },
      });
      assert.equal(d.el('#voxcpm-reference-info').text(), '✘ VOXCPM_AUDIO_MISSING — no such file');

      // A failed upload is said in the dialog and in a notification.
      d.el('#voxcpm-reference-file').files = [file];
      d.dom.trigger('#voxcpm-reference-file', 'change');
      d.dom.last(/^voxcpm\/reference\?name=/).fail({ status: 413, statusText: 'Payload Too Large', responseJSON: { ok: false, code: 'VOXCPM_AUDIO_INVALID', message: 'too large' } });
      assert.equal(d.el('#voxcpm-reference-info').text(), '✘ VOXCPM_AUDIO_INVALID — too large');
      assert.equal(d.dom.notes.length, 2, 'one success and one error notification');
      d.def.oneditsave?.call(d.self);
      assert.equal(d.audios['voxcpm-reference-audio'].src, '');
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
