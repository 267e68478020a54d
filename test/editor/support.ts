/** What the editor specs share: the package root, the catalogs, the templates, a translator. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Compiled to dist/test/editor/ (root three levels up); also works from test/editor/ by ts-node. */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'nodes', 'locales'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../../..');
  }
}
export const root = findRoot();
export const read = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
/**
 * The node set's templates as Node-RED gets them: dist/nodes/voxcpm.html, where the build has
 * put the template voxcpm-tts and voxcpm-clone share (editor/templates/) into both.
 */
export const builtTemplates = (): string => read('dist/nodes/voxcpm.html');

export const NODES = ['voxcpm-server', 'voxcpm-voice', 'voxcpm-tts', 'voxcpm-clone'] as const;
/** The config nodes (no wires; their fields are node-config-input-*). */
export const CONFIG_NODES: readonly NodeType[] = ['voxcpm-server', 'voxcpm-voice'];
export type NodeType = (typeof NODES)[number];
export const FLOW_NODES: NodeType[] = ['voxcpm-tts', 'voxcpm-clone'];
export const LANGS = ['en-US', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];
/** The catalog's sections, in order: `errors` is kept for the runtime's error texts. */
export const SECTIONS = ['common', ...NODES, 'errors'];

export interface Catalog {
  [key: string]: string | Catalog;
}

export function catalog(lang: Lang): Catalog {
  return JSON.parse(read(`nodes/locales/${lang}/voxcpm.json`)) as Catalog;
}

/** Every leaf of a catalog as "a.b.c" -> value; fails on anything but nested objects of non-empty strings. */
export function leaves(obj: Catalog, where: string, prefix = ''): Map<string, string> {
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

/** A dotted key's string, or undefined (also for a section). */
export function lookup(cat: Catalog, key: string): string | undefined {
  let cur: string | Catalog | undefined = cat;
  for (const part of key.split('.')) {
    if (cur === undefined || typeof cur === 'string') return undefined;
    cur = cur[part];
  }
  return typeof cur === 'string' ? cur : undefined;
}

export const params = (s: string): string[] => (s.match(/__[A-Za-z0-9]+__/g) ?? []).sort();

/**
 * The editor's `node._` for the node set's namespace: the text with its __params__ filled, or
 * the key when it is missing. `used` collects every key asked for.
 */
export function translator(cat: Catalog, used?: Set<string>) {
  return {
    _(key: string, opts?: Record<string, string | number>): string {
      used?.add(key);
      const v = lookup(cat, key);
      if (v === undefined) return key;
      return v.replace(/__([A-Za-z0-9]+)__/g, (m, p: string) => (opts && p in opts ? String(opts[p]) : m));
    },
  };
}

/** The `<script type="text/html" attr="name">` blocks of a file, by name. */
export function scriptBlocks(src: string, attr: string): Map<string, string> {
  const re = new RegExp(`<script type="text/html" ${attr}="([^"]*)">([\\s\\S]*?)</script>`, 'g');
  const out = new Map<string, string>();
  for (const m of src.matchAll(re)) {
    assert.ok(!out.has(m[1]), `two ${attr}="${m[1]}" blocks`);
    out.set(m[1], m[2]);
  }
  return out;
}

/**
 * A small well-formedness check for markup: every tag parses, non-void elements nest and
 * close, no stray "<" is left in text. Returns the names of the top-level elements.
 */
export function checkMarkup(src: string, where: string, voids: ReadonlySet<string> = new Set()): string[] {
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
export const HTML_VOIDS = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'wbr', 'col', 'source']);

/** The `data-i18n` keys of a template, without their [attr] prefix; `node-red:` keys left out. */
export function templateKeys(html: string): string[] {
  return [...html.matchAll(/data-i18n="([^"]*)"/g)]
    .flatMap((m) => m[1].split(';'))
    .map((k) => k.replace(/^\[[a-z]+\]/, ''))
    .filter((k) => !k.startsWith('node-red:'));
}
