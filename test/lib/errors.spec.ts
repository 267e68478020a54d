import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { englishText, ErrorKey, PLACEHOLDER, phrase, renderError, renderPhrase } from '../../nodes/lib/error-texts';
import { clip, describeType, internalError, isVoxcpmError, rewriteQuoted, VoxcpmError } from '../../nodes/lib/errors';
import { localise, runtimeTexts } from '../../nodes/glue/render-error';

/** The sources and catalogs, read from the repository (the tests run from dist/test). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const NODES = path.join(ROOT, 'nodes');

type Catalog = { [key: string]: string | Catalog };

function readCatalog(lang: string): Map<string, string> {
  const json = (JSON.parse(fs.readFileSync(path.join(NODES, 'locales', lang, 'voxcpm.json'), 'utf8')) as { errors: Catalog }).errors;
  const out = new Map<string, string>();
  const walk = (c: Catalog, prefix: string) => {
    for (const [k, v] of Object.entries(c)) {
      if (typeof v === 'string') out.set(prefix + k, v);
      else walk(v, `${prefix}${k}.`);
    }
  };
  walk(json, '');
  return out;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]).sort();
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'locales' ? [] : sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The text from `at` to the bracket that closes the first `{` after it (no params: ''). */
function paramsLiteral(src: string, at: number): string {
  const close = src.slice(at).search(/[)]/);
  const open = src.indexOf('{', at);
  if (open < 0 || (close >= 0 && open > at + close)) return '';
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return src.slice(open, i + 1);
  }
  return src.slice(open);
}

/** A fake RED._ over a nested catalog, answering a missing key with the key itself, as i18next does. */
function fakeRED(catalog: Catalog | undefined): { _: (id: string, subs?: object) => string; calls: Array<[string, object | undefined]> } {
  const calls: Array<[string, object | undefined]> = [];
  return {
    calls,
    _(id: string, subs?: object) {
      calls.push([id, subs]);
      let at: string | Catalog | undefined = catalog;
      for (const part of id.split('.')) at = typeof at === 'object' ? at[part] : undefined;
      return typeof at === 'string' ? at : id;
    },
  };
}

const zhCatalog = (): Catalog => ({
  errors: (JSON.parse(fs.readFileSync(path.join(NODES, 'locales', 'zh-CN', 'voxcpm.json'), 'utf8')) as { errors: Catalog }).errors,
});

describe('lib/errors', () => {
  describe('the catalogs (the errors section of nodes/locales/*/voxcpm.json)', () => {
    const en = readCatalog('en-US');
    const zh = readCatalog('zh-CN');

    it('en-US and zh-CN have the same keys', () => {
      assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort());
      assert.ok(en.size > 100, `only ${en.size} keys`);
    });

    it('each text has the same placeholders in both languages', () => {
      for (const [key, text] of en) assert.deepEqual(placeholders(zh.get(key) ?? ''), placeholders(text), key);
    });

    it('the zh-CN texts are translated (Chinese), except type names and pure codes', () => {
      const same = [...en].filter(([k, v]) => zh.get(k) === v).map(([k]) => k);
      assert.deepEqual(same, ['type.null']);
    });

    it('every key the sources use exists, and every call site gives exactly the placeholders its text needs', () => {
      const used = new Set<string>();
      const problems: string[] = [];
      for (const file of sourceFiles(NODES)) {
        const src = fs.readFileSync(file, 'utf8');
        // A key literal: 'prefix.name' where prefix is a catalog section.
        for (const m of src.matchAll(/'([a-z]+\.[A-Za-z][A-Za-z0-9]*)'/g)) {
          const key = m[1];
          if (!en.has(key)) {
            if ([...en.keys()].some((k) => k.startsWith(`${key.split('.')[0]}.`))) problems.push(`${path.relative(ROOT, file)}: unknown key ${key}`);
            continue;
          }
          used.add(key);
          // A key handed to serverNumber gets its one param ({ value }) where serverNumber builds the error.
          if (/serverNumber\([^;]*$/.test(src.slice(Math.max(0, (m.index ?? 0) - 120), m.index))) continue;
          const literal = paramsLiteral(src, (m.index ?? 0) + m[0].length);
          // The names of the literal's own properties (depth 1): "name:" or a shorthand "name," / "name }".
          let depth = 0;
          let top = '';
          for (const ch of literal) {
            if (ch === '{' || ch === '(') depth++;
            if (depth === 1 && ch !== '{') top += ch;
            if (ch === '}' || ch === ')') depth--;
          }
          const given = new Set([...top.matchAll(/(?:^|,)\s*(?:\.\.\.params\s*,?\s*)?([A-Za-z][A-Za-z0-9]*)\s*(?=[:,}]|$)/g)].map((g) => g[1]));
          const spread = /\.\.\.params/.test(top);
          const needs = placeholders(en.get(key) ?? '');
          // A key handed on to a helper (serverNumber, phrase(name)) is checked where its params are built.
          if (literal === '' && needs.length > 0 && !/\b(serverNumber|phrase|fields)\b/.test(src.slice(Math.max(0, (m.index ?? 0) - 120), m.index))) {
            if (!/\[\s*$/.test(src.slice(0, m.index))) problems.push(`${path.relative(ROOT, file)}: ${key} given no params, needs ${needs.join(', ')}`);
            continue;
          }
          for (const name of needs) {
            if (!given.has(name) && !(spread && ['status', 'by'].includes(name))) problems.push(`${path.relative(ROOT, file)}: ${key} lacks ${name}`);
          }
        }
      }
      assert.deepEqual(problems, []);
      const unused = [...en.keys()].filter((k) => !used.has(k));
      assert.deepEqual(unused, [], 'keys no source uses');
    });
  });

  describe('VoxcpmError', () => {
    it('keeps the code, key and params; its message is the English text; an Error named after its code (Node-RED < 4.1 shows only the name)', () => {
      const err = new VoxcpmError('VOXCPM_TEXT_EMPTY', 'request.textEmpty', { name: 'msg.payload' });
      assert.ok(err instanceof Error);
      assert.ok(err instanceof VoxcpmError);
      assert.equal(err.code, 'VOXCPM_TEXT_EMPTY');
      assert.equal(err.key, 'request.textEmpty');
      assert.deepEqual(err.params, { name: 'msg.payload' });
      assert.equal(err.message, 'No text to speak: msg.payload is empty');
      assert.equal(err.name, 'VOXCPM_TEXT_EMPTY');
      assert.equal(String(err), 'VOXCPM_TEXT_EMPTY: No text to speak: msg.payload is empty');
      assert.match(String(err.stack), /VOXCPM_TEXT_EMPTY/);
    });

    it('clips a long message to at most 300 characters and keeps the code', () => {
      const err = new VoxcpmError('VOXCPM_SERVER_ERROR', 'client.serverError', { said: 'x'.repeat(5000) });
      assert.equal(err.message.length, 300);
      assert.ok(err.message.endsWith('…'));
      assert.ok(err.message.startsWith('The VoxCPM2 server answered with an error: "xxx'));
      assert.equal(err.code, 'VOXCPM_SERVER_ERROR');
    });

    it('keeps a message of exactly 300 characters whole and clips one of 301', () => {
      const base = renderError('client.other', { where: '', detail: '' }).length;
      const exact = new VoxcpmError('VOXCPM_UNREACHABLE', 'client.other', { where: 'h', detail: 'a'.repeat(300 - base - 1) }).message;
      assert.equal(exact.length, 300);
      assert.notEqual(exact.at(-1), '…');
      const over = new VoxcpmError('VOXCPM_UNREACHABLE', 'client.other', { where: 'h', detail: 'a'.repeat(300 - base) }).message;
      assert.equal(over.length, 300);
      assert.equal(over.at(-1), '…');
    });

    it('never quotes a whole base64 blob', () => {
      const blob = Buffer.alloc(30000, 7).toString('base64');
      const err = new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.notAudio', { source: blob, hint: phrase('reference.hintNotBase64') });
      assert.ok(err.message.length <= 300);
      assert.ok(!err.message.includes(blob));
    });

    it('can be thrown and caught with its code', () => {
      assert.throws(
        () => {
          throw new VoxcpmError('VOXCPM_CONFIG', 'service.notConfigured');
        },
        (err: unknown) => err instanceof VoxcpmError && err.code === 'VOXCPM_CONFIG' && err.message === 'The server is not configured',
      );
    });

    it('a cause keeps its whole suffix: the cause is clipped, never the attempts', () => {
      const cause = new VoxcpmError('VOXCPM_SERVER_ERROR', 'client.serverError', { said: 'y'.repeat(400) }, 'transient');
      const err = new VoxcpmError(cause.code, 'scheduler.afterAttempts', { cause, attempts: 3, seconds: 2.5 }, cause.retry);
      assert.equal(err.message.length, 300);
      assert.ok(err.message.endsWith('… (after 3 attempts in 2.5 s)'), err.message);
      assert.equal(err.retry, 'transient');
      assert.equal(err.code, 'VOXCPM_SERVER_ERROR');
    });

    it('a quoted value is inserted once: "__init__" in a server text is not a placeholder', () => {
      const err = new VoxcpmError('VOXCPM_SERVER_ERROR', 'client.serverError', { said: '__init__() got __said__ $t(x)' });
      assert.equal(err.message, 'The VoxCPM2 server answered with an error: "__init__() got __said__ $t(x)"');
    });

    it('a placeholder left without a value stays visible', () => {
      assert.equal(renderError('client.notJson', {}), 'The answer from __where__ is not JSON');
    });

    it('withMessage: another language, same code, name, key, params, retry; stack led by the code', () => {
      const err = new VoxcpmError('VOXCPM_UNREACHABLE', 'client.cut', { where: 'http://h/api' }, 'transient');
      const zh = err.withMessage('与 http://h/api 的连接被切断');
      assert.ok(zh instanceof VoxcpmError);
      assert.equal(zh.code, err.code);
      assert.equal(zh.name, 'VOXCPM_UNREACHABLE');
      assert.equal(zh.key, 'client.cut');
      assert.deepEqual(zh.params, err.params);
      assert.equal(zh.retry, 'transient');
      assert.equal(String(zh), 'VOXCPM_UNREACHABLE: 与 http://h/api 的连接被切断');
      assert.match(String(zh.stack), /^VOXCPM_UNREACHABLE: 与 http:\/\/h\/api 的连接被切断\n {4}at /);
    });
  });

  describe('internalError', () => {
    it('VOXCPM_INTERNAL, with what the exception said, asking for a report', () => {
      const err = internalError(new TypeError("Cannot read properties of undefined (reading 'x')"));
      assert.equal(err.code, 'VOXCPM_INTERNAL');
      assert.equal(err.message, "An internal error of the VoxCPM nodes: TypeError: Cannot read properties of undefined (reading 'x'); please report it");
      assert.equal(internalError('boom').message, 'An internal error of the VoxCPM nodes: boom; please report it');
      assert.equal(err.retry, undefined);
    });
  });

  describe('rewriteQuoted', () => {
    it('rewrites every quoted text, in phrases within phrases too, and renders the message again', () => {
      const cause = new VoxcpmError('VOXCPM_HTTP', 'client.httpSaid', { status: 401, by: phrase('client.proxyFor', { proxy: 'p:3128', where: 'http://h?k=SECRET' }), said: 'bad SECRET' });
      const err = new VoxcpmError('VOXCPM_HTTP', 'scheduler.gaveUp', { cause, seconds: 1 });
      assert.match(err.message, /SECRET/);
      const clean = rewriteQuoted(err, (t) => t.split('SECRET').join('***'));
      assert.doesNotMatch(clean.message, /SECRET/);
      assert.doesNotMatch(JSON.stringify(clean.params), /SECRET/);
      assert.equal(clean.code, 'VOXCPM_HTTP');
      assert.equal(rewriteQuoted(clean, (t) => t.split('SECRET').join('***')), clean, 'unchanged: the same error');
    });
  });

  describe('localise (glue/render-error)', () => {
    it('renders key and params with RED._ in the namespace section errors, fetched raw', () => {
      const RED = fakeRED(zhCatalog());
      const err = new VoxcpmError('VOXCPM_QUEUE_FULL', 'scheduler.queueFull', { limit: 5 });
      const zh = localise(RED, err);
      assert.equal(zh.message, '队列已满（5 条消息在等待）：这条消息被丢弃');
      assert.equal(zh.code, 'VOXCPM_QUEUE_FULL');
      assert.equal(zh.name, 'VOXCPM_QUEUE_FULL');
      assert.ok(zh instanceof Error);
      assert.deepEqual(RED.calls[0], ['errors.scheduler.queueFull', { skipInterpolation: true }]);
    });

    it('renders causes and type names in the same language', () => {
      const RED = fakeRED(zhCatalog());
      const cause = new VoxcpmError('VOXCPM_SERVER_ERROR', 'client.serverError', { said: 'inference failed' });
      const err = new VoxcpmError('VOXCPM_SERVER_ERROR', 'scheduler.afterAttempts', { cause, attempts: 3, seconds: 1.2 });
      assert.equal(localise(RED, err).message, 'VoxCPM2 服务返回了错误：“inference failed”（1.2 s 内尝试了 3 次）');
      const typed = new VoxcpmError('VOXCPM_TEXT_EMPTY', 'request.textNotText', { name: 'msg.payload', type: phrase('type.boolean') });
      assert.equal(localise(RED, typed).message, '没有要朗读的文本：msg.payload 是布尔值，不是文本');
    });

    it('falls back to the English text where RED._ answers with the key (no catalog yet, or the test helper)', () => {
      const err = new VoxcpmError('VOXCPM_QUEUE_FULL', 'scheduler.queueFull', { limit: 5 });
      assert.equal(localise(fakeRED(undefined), err), err);
      assert.equal(localise({ _: (id: string) => `some/ns:${id}` }, err), err);
      assert.equal(localise({ _: (v: string) => v }, err).message, err.message);
      assert.equal(runtimeTexts({ _: () => { throw new Error('no i18n'); } })('scheduler.queueFull'), undefined);
    });

    it('every key renders in zh-CN without English left over where the text is translated', () => {
      const RED = fakeRED(zhCatalog());
      const lookup = runtimeTexts(RED);
      for (const key of readCatalog('en-US').keys()) {
        const text = renderPhrase(lookup, key as ErrorKey, {});
        if (key !== 'type.null') assert.notEqual(text, englishText(key), key);
      }
    });
  });

  describe('isVoxcpmError', () => {
    it('is true only for VoxcpmError instances', () => {
      assert.equal(isVoxcpmError(new VoxcpmError('VOXCPM_HTTP', 'client.http', { status: 500, by: 'x' })), true);
      assert.equal(isVoxcpmError(new Error('x')), false);
      assert.equal(isVoxcpmError({ code: 'VOXCPM_HTTP', message: 'x', name: 'VoxcpmError' }), false);
      assert.equal(isVoxcpmError(undefined), false);
      assert.equal(isVoxcpmError('VOXCPM_HTTP'), false);
    });
  });

  describe('clip', () => {
    it('returns short text unchanged', () => {
      assert.equal(clip('hello', 5), 'hello');
      assert.equal(clip('', 3), '');
    });

    it('cuts long text to max characters, the last one an ellipsis', () => {
      assert.equal(clip('hello world', 6), 'hello…');
      assert.equal(clip('hello world', 6).length, 6);
      assert.equal(clip('abc', 1), '…');
    });

    it('copes with a limit of 0', () => {
      assert.equal(clip('abc', 0), '…');
    });
  });

  describe('describeType', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'null'],
      [undefined, 'nothing'],
      [Buffer.from('a'), 'a Buffer'],
      [[1, 2], 'an array'],
      [{ a: 1 }, 'an object'],
      [new Date(0), 'an object'],
      ['text', 'a string'],
      [42, 'a number'],
      [true, 'a boolean'],
      [10n, 'a bigint'],
      [Symbol('s'), 'a symbol'],
      [() => 1, 'a function'],
    ];
    for (const [value, expected] of cases) {
      it(`describes ${expected === 'nothing' ? 'undefined' : typeof value === 'symbol' ? 'a symbol' : JSON.stringify(String(value))} as "${expected}"`, () => {
        assert.equal(describeType(value), expected);
      });
    }
  });
});
