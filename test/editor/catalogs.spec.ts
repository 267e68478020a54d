/**
 * The node set's catalogs (nodes/locales/<lang>/voxcpm.json): the same keys and __params__ in
 * both languages, each language in its own script, every key the templates, the editor code and
 * the runtime use is there, and nothing is written twice.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cloneDef } from '../../editor/clone';
import { channelsText, referenceInfoText } from '../../editor/reference';
import { voiceDef, voiceNameVerdict } from '../../editor/voice';
import { audioFormatChoices, failureText, previewOkText, sampleRateChoices } from '../../editor/common';
import { serverDef, testOkText, urlVerdict } from '../../editor/server';
import { ttsDef } from '../../editor/tts';
import { PRESETS } from '../../nodes/lib/defaults';
import { catalog, FLOW_NODES, LANGS, leaves, lookup, NODES, params, builtTemplates, read, root, SECTIONS, templateKeys, translator, type Catalog } from './support';

// Words that read the same in Chinese: brands, formats, units. A zh-CN value may equal the
// English one only if nothing but these, __params__, URLs, numbers and punctuation is left.
const SAME_IN_CHINESE = ['VoxCPM2', 'VoxCPM', 'Node-RED', 'WAV', 'URL', 'HTTP', 'https', 'http', 'Hz', 'ms', 's'];
/** Punctuation and symbols that need no translation (✔ ✘ · in the test and preview results). */
const NEUTRAL = /[\s\d.,:;/()\-–—…%+✔✘·]+/g;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

const DEFS = { 'voxcpm-server': serverDef, 'voxcpm-voice': voiceDef, 'voxcpm-tts': ttsDef, 'voxcpm-clone': cloneDef } as const;

/**
 * The status keys the runtime uses, with their parameters, read from its source: `t('key')` or
 * `t('key', { a, b: ... })` in nodes/glue/flow-node.ts.
 */
function runtimeStatuses(): Map<string, string[]> {
  const src = read('nodes/glue/flow-node.ts');
  const out = new Map<string, string[]>();
  for (const m of src.matchAll(/\bt\(\s*'([A-Za-z]+)'\s*(?:,\s*\{([^}]*)\})?/g)) {
    const names = (m[2] ?? '')
      .split(',')
      .map((p) => p.split(':')[0].trim())
      .filter(Boolean)
      .map((p) => `__${p}__`);
    const seen = out.get(m[1]);
    out.set(m[1], [...new Set([...(seen ?? []), ...names])].sort());
  }
  assert.ok(out.size >= 10, `found only ${out.size} status keys in flow-node.ts: has the way it names them changed?`);
  return out;
}

/** Keys written as literals in the editor sources (`${type}` and `${p.key}` expanded). */
function editorLiteralKeys(): Set<string> {
  const keys = new Set<string>();
  for (const file of fs.readdirSync(path.join(root, 'editor')).filter((f) => f.endsWith('.ts'))) {
    const src = read(`editor/${file}`);
    for (const m of src.matchAll(/['`]((?:common|voxcpm-server|voxcpm-voice|voxcpm-tts|voxcpm-clone|\$\{type\})\.[A-Za-z0-9.${}]+)['`]/g)) {
      const expanded = m[1].includes('${type}') ? FLOW_NODES.map((t) => m[1].replace('${type}', t)) : [m[1]];
      for (const k of expanded) {
        if (k.includes('${p.key}')) for (const p of PRESETS) keys.add(k.replace('${p.key}', p.key));
        else if (!k.includes('${') && !/\.svg$/.test(k)) keys.add(k);
      }
    }
  }
  return keys;
}

/** Keys the editor code asks for at run time: labels, every validator's message, every message builder. */
function editorRuntimeKeys(cat: Catalog): Set<string> {
  const used = new Set<string>();
  const t = translator(cat, used);
  for (const def of Object.values(DEFS)) {
    const node = { ...t, name: '', url: 'a\nb', authType: 'header', promptType: 'msg' };
    for (const f of [def.paletteLabel, def.label, def.inputLabels, def.outputLabels]) {
      if (typeof f === 'function') (f as (this: unknown, i: number) => unknown).call(node, 0);
    }
    for (const prop of Object.values(def.defaults) as Array<{ validate?: (this: unknown, v: unknown) => unknown }>) {
      for (const bad of ['', ' x y ', '-5', 'nope', '1.5']) prop.validate?.call(node, bad);
    }
  }
  urlVerdict(t, '');
  urlVerdict(t, 'ftp://x');
  failureText(t, 'common.preview.failed', 'common.preview.noAnswer', { code: 'X' });
  failureText(t, 'voxcpm-server.test.failed', 'voxcpm-server.test.noAnswer');
  sampleRateChoices(t, 12345);
  audioFormatChoices(t, undefined);
  previewOkText(t, '48000', '1.5');
  testOkText(t, { ok: true, sampleRate: 48000, latencyMs: 10 });
  for (const n of [1, 2, 6]) channelsText(t, n);
  referenceInfoText(t, { ok: true, duration: 1, sampleRate: 16000, channels: 1 });
  voiceNameVerdict(t, 'x'.repeat(100));
  return used;
}

describe('editor: the catalogs', function () {
  const cats = Object.fromEntries(LANGS.map((l) => [l, catalog(l)])) as Record<(typeof LANGS)[number], Catalog>;

  it('one catalog per language, sections common, the four nodes and errors (the runtime\'s, checked by test/lib/errors.spec)', function () {
    for (const lang of LANGS) {
      assert.deepEqual(Object.keys(cats[lang]), SECTIONS, `${lang}: sections`);
      for (const node of NODES) assert.ok(!fs.existsSync(path.join(root, `nodes/locales/${lang}/${node}.json`)), `${lang}: ${node}.json is left over`);
    }
  });

  it('en-US and zh-CN have the same keys and the same __params__', function () {
    const en = leaves(cats['en-US'], 'en-US');
    const zh = leaves(cats['zh-CN'], 'zh-CN');
    assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort());
    for (const [key, value] of en) assert.deepEqual(params(zh.get(key) ?? ''), params(value), `${key}: __params__`);
  });

  it('zh-CN is translated, en-US has no Chinese', function () {
    const en = leaves(cats['en-US'], 'en');
    const zh = leaves(cats['zh-CN'], 'zh');
    const words = new RegExp(`\\b(?:${SAME_IN_CHINESE.join('|')})\\b`, 'g');
    const rest = (v: string) => v.replace(/<[^>]*>/g, '').replace(/https?:\/\/\S+/g, '').replace(/__[A-Za-z0-9]+__/g, '').replace(words, '').replace(NEUTRAL, '');
    for (const [key, zhValue] of zh) {
      // The runtime's error texts (a type name such as "null" may stay as it is) are checked by test/lib/errors.spec.
      if (key.startsWith('errors.')) continue;
      if (zhValue === en.get(key)) assert.equal(rest(zhValue), '', `${key} is untranslated in zh-CN: ${JSON.stringify(zhValue)}`);
      const left = rest(zhValue.replace(/<code>[\s\S]*?<\/code>/g, ''));
      assert.ok(left === '' || CJK.test(left), `${key} shows no Chinese in zh-CN: ${JSON.stringify(zhValue)}`);
    }
    for (const [key, enValue] of en) assert.ok(!CJK.test(enValue), `en-US ${key} contains Chinese: ${JSON.stringify(enValue)}`);
    for (const node of NODES) assert.match(zh.get(`${node}.paletteLabel`) ?? '', /[\u4e00-\u9fff]/, `${node}: zh-CN paletteLabel`);
  });

  it('nothing is written twice: a node section does not repeat a string of common', function () {
    for (const lang of LANGS) {
      const common = leaves(cats[lang].common as Catalog, lang);
      for (const node of FLOW_NODES) {
        for (const [key, value] of leaves(cats[lang][node] as Catalog, lang)) {
          assert.notEqual(common.get(key), value, `${lang}: ${node}.${key} repeats common.${key}`);
        }
      }
      for (const key of ['status']) {
        for (const node of FLOW_NODES) assert.equal((cats[lang][node] as Catalog)[key], undefined, `${lang}: ${node}.${key} is built from common.${key}`);
      }
    }
  });

  it('the runtime statuses are in common.status, with the parameters the runtime passes', function () {
    for (const [key, names] of runtimeStatuses()) {
      for (const lang of LANGS) {
        const text = lookup(cats[lang], `common.status.${key}`);
        assert.equal(typeof text, 'string', `${lang}: common.status.${key} missing`);
        for (const p of params(text ?? '')) assert.ok(names.includes(p), `${lang}: common.status.${key} uses ${p}, the runtime passes ${names.join(', ') || 'none'}`);
      }
    }
  });

  it('the built catalogs carry common.status under each flow node, where the runtime looks', function () {
    for (const lang of LANGS) {
      const built = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'nodes', 'locales', lang, 'voxcpm.json'), 'utf8')) as Catalog;
      for (const node of FLOW_NODES) assert.deepEqual((built[node] as Catalog).status, cats[lang].common && (cats[lang].common as Catalog).status, `${lang}: ${node}.status`);
    }
  });

  it('every data-i18n key of the templates exists in both languages', function () {
    const keys = templateKeys(builtTemplates());
    assert.ok(keys.length > 100, `only ${keys.length} data-i18n keys`);
    for (const lang of LANGS) for (const k of keys) assert.equal(typeof lookup(cats[lang], k), 'string', `${lang}: ${k} (data-i18n) missing`);
  });

  it('every key the editor code uses exists in both languages', function () {
    const literal = editorLiteralKeys();
    assert.ok(literal.size > 40, `only ${literal.size} keys found in editor/*.ts`);
    for (const lang of LANGS) {
      const used = editorRuntimeKeys(cats[lang]);
      for (const k of [...literal, ...used]) assert.equal(typeof lookup(cats[lang], k), 'string', `${lang}: ${k} (editor code) missing`);
    }
  });

  it('every key is used: by a template, the editor code or the runtime', function () {
    const used = new Set([...templateKeys(builtTemplates()), ...editorLiteralKeys(), ...editorRuntimeKeys(cats['en-US'])]);
    for (const key of runtimeStatuses().keys()) used.add(`common.status.${key}`);
    // The errors section's keys are used by the runtime's VoxcpmErrors: test/lib/errors.spec scans those.
    const unused = [...leaves(cats['en-US'], 'en').keys()].filter((k) => !used.has(k) && !k.startsWith('errors.'));
    assert.deepEqual(unused, [], 'keys nothing uses');
  });
});
