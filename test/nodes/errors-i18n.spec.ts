/**
 * Error texts in the runtime's language, through a real Node-RED runtime: with
 * lang zh-CN a Catch node reads Chinese msg.error.message, codes unchanged;
 * with en-US English; a failure that is no VoxcpmError (our bug) is VOXCPM_INTERNAL.
 *
 * The test helper hands nodes a RED._ that returns the key (no catalogs), and
 * sets Node-RED's language only once per process. So, as the registry does for
 * an installed node set, this spec gives the nodes a RED._ bound to a namespace,
 * loads the catalogs into it, and switches Node-RED's i18next to the language.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeAPI, NodeInitializer } from 'node-red';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { buildFlow, codeOf, FlowOptions, helper, IDS, NODE_MODULES, NODES_DIR, run, serverKnown, useSimulator, type ErrorMessage, type TestMessage } from '../support/runtime';

interface I18n {
  _(id: string, subs?: object): string;
  i: {
    language: string;
    changeLanguage(lng: string): Promise<unknown>;
    addResourceBundle(lng: string, ns: string, resources: object, deep?: boolean, overwrite?: boolean): unknown;
  };
}

// The i18n of the Node-RED the helper runs (NODE_RED_RUNTIME in the CI matrix).
const runtimePath = process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { i18n } = require(require.resolve('@node-red/util', { paths: [path.dirname(runtimePath)] })) as { i18n: I18n };

const NS = '@voxcpm/node-red-voxcpm/voxcpm-test';

/** The errors section of a language's catalog (voxcpm.json). */
function errorsCatalog(lang: string): object {
  return (JSON.parse(fs.readFileSync(path.join(NODES_DIR, 'locales', lang, 'voxcpm.json'), 'utf8')) as { errors: object }).errors;
}

/** When set, reading the message's text throws a TypeError: a bug inside the node. */
let breakTextRead = false;

/** Loaded before the package's modules: gives them the RED._ and the RED.util a registry would. */
const asInstalled: NodeInitializer = (RED: NodeAPI) => {
  const red = RED as unknown as { _: (id: string, subs?: object) => string; util: NodeAPI['util'] };
  red._ = (id, subs) => i18n._(id.includes(':') ? id : `${NS}:${id}`, subs);
  const util = red.util;
  red.util = {
    ...util,
    getMessageProperty: (...args: Parameters<NodeAPI['util']['getMessageProperty']>) => {
      if (breakTextRead) throw new TypeError("Cannot read properties of undefined (reading 'text')");
      return util.getMessageProperty(...args) as unknown;
    },
  } as NodeAPI['util'];
};

async function load(o: FlowOptions): Promise<void> {
  await helper.load([asInstalled, ...NODE_MODULES], buildFlow(o));
  await serverKnown();
}

async function caught(msg: TestMessage): Promise<ErrorMessage> {
  const [o] = await run([msg], { count: 1, settleMs: 50 });
  if (o.kind !== 'caught') throw new Error('expected an error through the Catch node, got audio');
  return o.msg;
}

describe('error texts in the runtime language (real Node-RED, Catch node)', function () {
  this.timeout(15000);
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  let url = '';
  let before = 'en-US';

  useSimulator(sim, (u) => (url = u));

  beforeEach(() => {
    before = i18n.i.language;
    for (const lang of ['en-US', 'zh-CN']) i18n.i.addResourceBundle(lang, NS, { errors: errorsCatalog(lang) }, true, false);
    breakTextRead = false;
  });
  afterEach(async () => {
    breakTextRead = false;
    await i18n.i.changeLanguage(before);
  });

  describe('lang zh-CN', () => {
    beforeEach(() => i18n.i.changeLanguage('zh-CN'));

    it('an empty text: Chinese text, code VOXCPM_TEXT_EMPTY', async () => {
      await load({ type: 'voxcpm-tts', url });
      const msg = await caught({ payload: '   ' });
      assert.equal(codeOf(msg), 'VOXCPM_TEXT_EMPTY');
      assert.match(msg.error.message, /^(?:VOXCPM_TEXT_EMPTY: )?没有要朗读的文本：msg\.payload 为空$/);
    });

    it('a type named in Chinese too (a boolean payload)', async () => {
      await load({ type: 'voxcpm-tts', url });
      const msg = await caught({ payload: true });
      assert.equal(codeOf(msg), 'VOXCPM_TEXT_EMPTY');
      assert.match(msg.error.message, /msg\.payload 是布尔值，不是文本$/);
    });

    it('the server\'s "inference failed" is quoted as it is, in a Chinese sentence; code VOXCPM_SERVER_ERROR', async () => {
      await load({ type: 'voxcpm-tts', url, serverProps: { retries: '0' } });
      sim.setFault({ kind: 'inference-failed', times: 1 });
      const msg = await caught({ payload: 'hello' });
      assert.equal(codeOf(msg), 'VOXCPM_SERVER_ERROR');
      assert.match(msg.error.message, /^(?:VOXCPM_SERVER_ERROR: )?VoxCPM2 服务返回了错误（HTTP 500）：“inference failed”$/);
    });

    it('the queue full: VOXCPM_QUEUE_FULL in Chinese', async () => {
      await load({ type: 'voxcpm-tts', url, serverProps: { queueLimit: '1' } });
      sim.setFault({ kind: 'slow', ms: 400 });
      const outcomes = await run(
        [0, 1, 2].map((n) => ({ payload: `message ${n}`, n })),
        { count: 3, settleMs: 50 },
      );
      const full = outcomes.filter((o) => o.kind === 'caught').map((o) => o.msg as ErrorMessage);
      assert.equal(full.length, 1);
      assert.equal(codeOf(full[0]), 'VOXCPM_QUEUE_FULL');
      assert.match(full[0].error.message, /^(?:VOXCPM_QUEUE_FULL: )?队列已满（1 条消息在等待）：这条消息被丢弃$/);
    });

    it('retried until the deadline: the fault and its attempts, both in Chinese; code of the fault', async () => {
      await load({ type: 'voxcpm-tts', url, serverProps: { retries: '3', timeout: '10' } });
      sim.setFault({ kind: 'reset' });
      const msg = await caught({ payload: 'the deadline falls in a backoff', timeout: 1 });
      assert.equal(codeOf(msg), 'VOXCPM_UNREACHABLE');
      assert.match(msg.error.message, /^(?:VOXCPM_UNREACHABLE: )?与 http:\/\/127\.0\.0\.1:\d+\/api\/tts 的连接在应答完整之前被切断（\d+(\.\d)? s 内尝试了 \d+ 次）$/);
    });

    it("the server node's deploy-time config error is logged in Chinese", async () => {
      await load({ type: 'voxcpm-tts', url: 'ftp://nas.local/voxcpm' });
      const server = helper.getNode(IDS.server) as unknown as { error: { args: unknown[][] } };
      assert.deepEqual(server.error.args.map((a) => a[0]), ['服务器 URL“ftp://nas.local/voxcpm”必须以 http:// 或 https:// 开头']);
      const msg = await caught({ payload: 'hello' });
      assert.equal(codeOf(msg), 'VOXCPM_CONFIG');
      assert.match(msg.error.message, /必须以 http:\/\/ 或 https:\/\/ 开头/);
    });

    it('a bug of ours (a TypeError inside) reaches Catch as VOXCPM_INTERNAL, never VOXCPM_BAD_RESPONSE', async () => {
      await load({ type: 'voxcpm-tts', url });
      breakTextRead = true;
      const msg = await caught({ payload: 'hello' });
      assert.equal(codeOf(msg), 'VOXCPM_INTERNAL');
      assert.match(msg.error.message, /^(?:VOXCPM_INTERNAL: )?VoxCPM 节点内部错误：TypeError: Cannot read properties of undefined \(reading 'text'\)；请报告此问题$/);
      const node = helper.getNode(IDS.node) as unknown as { debug: { args: unknown[][] } };
      assert.ok(node.debug.args.some((a) => /^VOXCPM_INTERNAL: TypeError: .*\n\s+at /s.test(String(a[0]))), 'the stack is in the debug log');
      breakTextRead = false;
      const [o] = await run([{ payload: 'the node still works' }], { count: 1 });
      assert.equal(o.kind, 'sent');
    });
  });

  describe('lang en-US', () => {
    beforeEach(() => i18n.i.changeLanguage('en-US'));

    it('the same failures in English, the same codes', async () => {
      await load({ type: 'voxcpm-tts', url, serverProps: { retries: '0' } });
      const empty = await caught({ payload: '   ' });
      assert.equal(codeOf(empty), 'VOXCPM_TEXT_EMPTY');
      assert.match(empty.error.message, /^(?:VOXCPM_TEXT_EMPTY: )?No text to speak: msg\.payload is empty$/);
      sim.setFault({ kind: 'inference-failed', times: 1 });
      const failed = await caught({ payload: 'hello' });
      assert.equal(codeOf(failed), 'VOXCPM_SERVER_ERROR');
      assert.match(failed.error.message, /^(?:VOXCPM_SERVER_ERROR: )?The VoxCPM2 server answered with an error \(HTTP 500\): "inference failed"$/);
    });

    it('VOXCPM_INTERNAL in English', async () => {
      await load({ type: 'voxcpm-tts', url });
      breakTextRead = true;
      const msg = await caught({ payload: 'hello' });
      assert.equal(codeOf(msg), 'VOXCPM_INTERNAL');
      assert.match(msg.error.message, /An internal error of the VoxCPM nodes: TypeError: .*; please report it$/);
    });
  });
});
