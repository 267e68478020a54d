/**
 * "Fast": the audio cache, identical requests in flight sharing one server call,
 * long text in pieces, streaming, output formats and msg.url, all through a real
 * Node-RED runtime (node-red-node-test-helper) and the simulator over real HTTP.
 *
 * msg.url is fetched over real HTTP: the runtime's httpNode app (what the helper
 * gives the nodes as RED.httpNode) is served on a port of our own, and the
 * server's Public URL points at it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeInitializer } from 'node-red';
import type { VoxcpmService } from '../../nodes/lib/service';
import { parseWav } from '../../nodes/lib/wav';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { sleep, statusTexts, waitFor } from '../support/faults';
import {
  buildFlow,
  calls,
  codeOf,
  expectCaught,
  expectSent,
  helper,
  IDS,
  loadFlow,
  NODE_MODULES,
  NODES_DIR,
  serverKnown,
  unhandledDuring,
  type ErrorMessage,
  type FlowItem,
  type FlowOptions,
  type TestMessage,
} from '../support/runtime';

const RATE = 48000;
/** Seconds of tone per character: short audio, so that long texts stay small. */
const SECONDS_PER_CHAR = 0.02;
const toneSeconds = (text: string) => Math.min(60, Math.max(0.3, [...text].length * SECONDS_PER_CHAR));
/** What the simulator makes of a text: whole frames at 48 kHz. */
const toneFrames = (text: string) => Math.max(1, Math.round(toneSeconds(text) * RATE));

/** About 700 Chinese characters in sentences ending with 。！？, some followed by a space or a line break. */
function longChinese(tag: string): string {
  const sentences = [
    '今天的天气非常好，阳光明媚，微风轻轻地吹过湖面，我们决定一起去公园散步。',
    '你知道这个系统最核心的功能是什么吗？',
    '语音合成技术在过去几年里取得了非常惊人的进步！',
    '它可以把任意一段文字变成自然流畅的声音，听起来几乎和真人一样。',
    '家里的洗衣机已经洗好了，请记得把衣服拿出来晾干。',
    '下午三点的会议改到了四点，地点仍然是三楼的大会议室。',
    '如果明天下雨，我们就在家里看电影，好不好？',
    '请注意，前方道路正在施工，请大家绕行并注意安全！',
  ];
  let text = '';
  for (let i = 0; text.length < 690; i++) {
    const s = sentences[i % sentences.length];
    text += `${tag}${i}${s}` + (i % 3 === 1 ? ' ' : i % 5 === 4 ? '\n' : '');
  }
  return text.trim();
}

/** Asserts that the pieces, in order, are the text with only white space left out between them. */
function assertCovers(text: string, pieces: string[]): void {
  let at = 0;
  for (const [i, piece] of pieces.entries()) {
    while (at < text.length && /\s/.test(text[at])) at++;
    assert.ok(piece.length > 0, `piece ${i} is empty`);
    assert.equal(text.slice(at, at + piece.length), piece, `piece ${i} is not the text at ${at}`);
    at += piece.length;
  }
  while (at < text.length && /\s/.test(text[at])) at++;
  assert.equal(at, text.length, 'the pieces end before the text does');
}

function service(id: string = IDS.server): VoxcpmService {
  return (helper.getNode(id) as unknown as { service: VoxcpmService }).service;
}

function bodyText(r: { body: unknown }): string {
  return String((r.body as { text?: unknown }).text);
}

interface Seen {
  kind: 'sent' | 'caught';
  msg: TestMessage;
  at: number;
}

/**
 * Runs `act` and collects every message reaching the helper nodes `outs` (sent on)
 * and `caughtIds` (through the Catch node), until `count` arrived and `settleMs` more.
 */
function gather(act: () => void, count: number, { outs = [IDS.out], caughtIds = [IDS.caught], settleMs = 100, timeoutMs = 15000 } = {}): Promise<Seen[]> {
  const seen: Seen[] = [];
  const emitters = [
    ...outs.map((id) => ({ node: helper.getNode(id) as unknown as NodeJS.EventEmitter, kind: 'sent' as const })),
    ...caughtIds.map((id) => ({ node: helper.getNode(id) as unknown as NodeJS.EventEmitter, kind: 'caught' as const })),
  ];
  return new Promise<Seen[]>((resolve, reject) => {
    let settle: NodeJS.Timeout | undefined;
    const handlers = emitters.map(({ node, kind }) => {
      const h = (msg: TestMessage) => {
        seen.push({ kind, msg, at: Date.now() });
        if (seen.length >= count && !settle) settle = setTimeout(finish, settleMs);
      };
      node.on('input', h);
      return () => node.removeListener('input', h);
    });
    const timer = setTimeout(() => {
      for (const off of handlers) off();
      reject(new Error(`expected ${count} messages, got ${seen.length}: ${seen.map((s) => s.kind).join(', ')}`));
    }, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      for (const off of handlers) off();
      resolve(seen);
    }
    act();
  });
}

/** Two flow nodes of the same type on one server, both wired to `out`, a Catch node for both. */
function twoNodeFlow(url: string, props: [Record<string, unknown>, Record<string, unknown>], serverProps: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: IDS.tab, type: 'tab', label: 'test' },
    { id: 'a', type: 'voxcpm-tts', z: IDS.tab, server: IDS.server, prompt: '', ...props[0], wires: [[IDS.out]] },
    { id: 'b', type: 'voxcpm-tts', z: IDS.tab, server: IDS.server, prompt: '', ...props[1], wires: [[IDS.out]] },
    { id: IDS.out, type: 'helper', z: IDS.tab },
    { id: IDS.catcher, type: 'catch', z: IDS.tab, scope: ['a', 'b'], uncaught: false, wires: [[IDS.caught]] },
    { id: IDS.caught, type: 'helper', z: IDS.tab },
    { id: IDS.server, type: 'voxcpm-server', name: 'sim', url, timeout: '10', ...serverProps },
  ];
}

async function loadTwo(url: string, props: [Record<string, unknown>, Record<string, unknown>], serverProps: Record<string, unknown> = {}): Promise<void> {
  await helper.load(NODE_MODULES, twoNodeFlow(url, props, serverProps));
  await serverKnown();
}

/** The core join node (17-split.js holds split and join) of the runtime under test. */
function sequenceNodes(): NodeInitializer {
  const runtime = process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red');
  const nodesPkg = require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(runtime)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(nodesPkg), 'core', 'sequence', '17-split.js')) as NodeInitializer;
}

/**
 * The package's modules with a voxcpm-server (and its routes module) loaded afresh, plus
 * a module that only captures the RED object the runtime hands the nodes. routes.ts
 * registers its HTTP routes once per process (a module-level flag), on the first RED
 * it sees; the test helper makes new admin and node apps at every load, so a test that
 * needs the routes loads a fresh copy (see routes.spec.ts for the BUG this works around).
 */
function freshModules(): { modules: NodeInitializer[]; red: () => { httpNode: http.RequestListener } } {
  for (const file of ['voxcpm-server.js', path.join('glue', 'admin-routes.js'), path.join('glue', 'audio-links.js')]) {
    delete require.cache[require.resolve(path.join(NODES_DIR, file))];
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const server = require(path.join(NODES_DIR, 'voxcpm-server.js')) as NodeInitializer;
  let captured: { httpNode: http.RequestListener } | undefined;
  const capture = ((red: unknown) => {
    captured = red as { httpNode: http.RequestListener };
  }) as unknown as NodeInitializer;
  return {
    modules: [capture, server, NODE_MODULES[1], NODE_MODULES[2]],
    red: () => {
      if (!captured) throw new Error('the runtime did not load the capture module');
      return captured;
    },
  };
}


describe('fast: cache, shared requests, long text, streaming, output formats (real Node-RED)', function () {
  this.timeout(20000);
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: toneSeconds });
  let url = '';
  const tmpDirs: string[] = [];
  const extraSims: VoxCpmSimulator[] = [];
  /** Serves whatever httpNode app the current test loaded (503 when none). */
  let nodeApp: http.RequestListener | undefined;
  let nodeServer: http.Server;
  let nodeBase = '';

  const tmpDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-speed-'));
    tmpDirs.push(dir);
    return dir;
  };
  const extraSim = async () => {
    const s = new VoxCpmSimulator({ voice: 'tone', durationFor: toneSeconds });
    extraSims.push(s);
    return { s, url: await s.start() };
  };

  before(async () => {
    url = await sim.start();
    nodeServer = http.createServer((req, res) => {
      if (nodeApp) return nodeApp(req, res);
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((r) => nodeServer.listen(0, '127.0.0.1', () => r()));
    nodeBase = `http://127.0.0.1:${(nodeServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await sim.stop();
    await new Promise<void>((r) => nodeServer.close(() => r()));
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });
  beforeEach((done) => {
    sim.reset();
    nodeApp = undefined;
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    for (const s of extraSims.splice(0)) await s.stop();
  });

  describe('the audio cache (voxcpm-server, on by default)', function () {
    it('speaks the same text twice with one server call: the second is cached, byte for byte', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      const first = await expectSent({ payload: '门铃响了，请开门。' });
      const second = await expectSent({ payload: '门铃响了，请开门。' });
      assert.equal(calls(sim).length, 1);
      assert.equal(first.cached, false);
      assert.equal(second.cached, true);
      assert.ok((second.payload as Buffer).equals(first.payload as Buffer));
      assert.notEqual(second.payload, first.payload, 'the cache hands out its own copy');
      assert.equal(second.duration, first.duration);
      assert.equal(second.sampleRate, 48000);
    });

    it('msg.cache = false bypasses it: a server call, msg.cached false', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      await expectSent({ payload: 'bypass me' });
      const again = await expectSent({ payload: 'bypass me', cache: false });
      assert.equal(again.cached, false);
      assert.equal(calls(sim).length, 2);
      // The cached entry is still there for the next message.
      assert.equal((await expectSent({ payload: 'bypass me' })).cached, true);
      assert.equal(calls(sim).length, 2);
    });

    it('a different prompt, or other output settings on another node, is another entry; the same settings share one', async () => {
      await helper.load(NODE_MODULES, [
        ...twoNodeFlow(url, [{}, { sampleRate: 16000 }]),
        { id: 'c', type: 'voxcpm-tts', z: IDS.tab, server: IDS.server, prompt: '', wires: [[IDS.out]] },
      ]);
      await serverKnown();
      const a = helper.getNode('a');
      const b = helper.getNode('b');
      const c = helper.getNode('c');
      const send = async (node: Node, msg: TestMessage) => (await gather(() => node.receive(msg as never), 1))[0];
      const plain = await send(a, { payload: 'same words' });
      const prompted = await send(a, { payload: 'same words', prompt: 'cheerful child' });
      const resampled = await send(b, { payload: 'same words' });
      const other = await send(c, { payload: 'same words' });
      for (const s of [plain, prompted, resampled, other]) assert.equal(s.kind, 'sent');
      assert.deepEqual(
        [plain, prompted, resampled, other].map((s) => s.msg.cached),
        [false, false, false, true],
      );
      assert.equal(calls(sim).length, 3);
      assert.equal(resampled.msg.sampleRate, 16000);
      assert.equal(other.msg.sampleRate, 48000);
      assert.ok((other.msg.payload as Buffer).equals(plain.msg.payload as Buffer));
    });

    it('plays a cached phrase while the server is down', async () => {
      const { s, url: u } = await extraSim();
      await loadFlow({ type: 'voxcpm-tts', url: u, serverProps: { retries: 0 } });
      const first = await expectSent({ payload: 'the washing machine is done' });
      await s.stop();
      const again = await expectSent({ payload: 'the washing machine is done' });
      assert.equal(again.cached, true);
      assert.ok((again.payload as Buffer).equals(first.payload as Buffer));
      // The server really is down: anything new fails.
      const err = await expectCaught({ payload: 'something new' });
      assert.equal(codeOf(err), 'VOXCPM_UNREACHABLE');
    });

    it('cache off on the server: every message calls', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { cache: false } });
      for (let i = 0; i < 3; i++) assert.equal((await expectSent({ payload: 'no cache here' })).cached, false);
      assert.equal(calls(sim).length, 3);
    });

    it('a disk cache survives a new deploy: the phrase plays from disk with the server stopped', async () => {
      const dir = tmpDir();
      const { s, url: u } = await extraSim();
      const o: FlowOptions = { type: 'voxcpm-tts', url: u, serverProps: { cacheDir: dir, retries: 0 } };
      await loadFlow(o);
      const first = await expectSent({ payload: '晚饭准备好了。' });
      // The cache keeps to a folder of its own inside the one it is given.
      await waitFor(() => fs.existsSync(path.join(dir, 'voxcpm-cache')) && fs.readdirSync(path.join(dir, 'voxcpm-cache')).some((f) => f.endsWith('.wav')), 'the cache file');
      await helper.unload();
      await s.stop();
      await loadFlow(o);
      const again = await expectSent({ payload: '晚饭准备好了。' });
      assert.equal(again.cached, true);
      assert.ok((again.payload as Buffer).equals(first.payload as Buffer));
      assert.equal(s.requests.filter((r) => bodyText(r) !== '').length, 1);
    });

    it('a corrupt file in the cache folder is a miss (with a warning), not an error', async () => {
      const dir = tmpDir();
      const o: FlowOptions = { type: 'voxcpm-tts', url, serverProps: { cacheDir: dir } };
      await loadFlow(o);
      const first = await expectSent({ payload: 'corrupt me please' });
      const own = path.join(dir, 'voxcpm-cache');
      await waitFor(() => fs.existsSync(own) && fs.readdirSync(own).some((f) => f.endsWith('.wav')), 'the cache file');
      await helper.unload();
      const files = fs.readdirSync(own).filter((f) => f.endsWith('.wav'));
      assert.equal(files.length, 1);
      const file = path.join(own, files[0]);
      // Bytes flipped in the audio: the trailer (the cache's proof of its own file) is intact, its hash is not.
      const garbage = fs.readFileSync(file);
      garbage.fill(0x5a, 44, 244);
      fs.writeFileSync(file, garbage);
      await loadFlow(o);
      const again = await expectSent({ payload: 'corrupt me please' });
      assert.equal(again.cached, false);
      assert.ok((again.payload as Buffer).equals(first.payload as Buffer));
      assert.equal(calls(sim).length, 2);
      const warned = (helper.getNode(IDS.server).warn as unknown as { args: unknown[][] }).args.map((a) => String(a[0]));
      assert.ok(warned.some((w) => /corrupt/i.test(w)), JSON.stringify(warned));
      // Written again, whole: a new deploy finds it on disk.
      await waitFor(() => fs.existsSync(file) && !fs.readFileSync(file).subarray(0, 200).equals(garbage.subarray(0, 200)), 'the file rewritten');
      await helper.unload();
      await loadFlow(o);
      assert.equal((await expectSent({ payload: 'corrupt me please' })).cached, true);
      assert.equal(calls(sim).length, 2);
    });

    it('a Buffer delivered and then changed does not change what the cache serves next', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      const first = await expectSent({ payload: 'do not touch' });
      const original = Buffer.from(first.payload as Buffer);
      (first.payload as Buffer).fill(0); // a miss: the buffer the server's answer became
      const second = await expectSent({ payload: 'do not touch' });
      assert.equal(second.cached, true);
      assert.ok((second.payload as Buffer).equals(original));
      (second.payload as Buffer).fill(1); // a hit: the cache's copy
      const third = await expectSent({ payload: 'do not touch' });
      assert.ok((third.payload as Buffer).equals(original));
      assert.equal(calls(sim).length, 1);
    });
  });

  describe('identical requests in flight share one server call', function () {
    it('two nodes asking for the same audio at once: one call, two outputs, each its own Buffer', async () => {
      await loadTwo(url, [{}, {}], { cache: false, concurrency: 2 });
      sim.setFault({ kind: 'slow', ms: 300 });
      const seen = await gather(() => {
        helper.getNode('a').receive({ payload: '同一句话。', from: 'a' } as never);
        helper.getNode('b').receive({ payload: '同一句话。', from: 'b' } as never);
      }, 2);
      assert.deepEqual(seen.map((s) => s.kind), ['sent', 'sent']);
      assert.deepEqual(seen.map((s) => s.msg.from).sort(), ['a', 'b']);
      assert.equal(calls(sim).length, 1);
      const [x, y] = seen.map((s) => s.msg.payload as Buffer);
      assert.notEqual(x, y);
      assert.ok(x.equals(y));
      const copy = Buffer.from(y);
      x.fill(0);
      assert.ok(y.equals(copy), 'changing one output changed the other');
      for (const s of seen) assert.equal(s.msg.cached, false);
    });

    it('two identical messages to one node at once: one call, two outputs', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { cache: false } });
      sim.setFault({ kind: 'slow', ms: 300 });
      const node = helper.getNode(IDS.node);
      const seen = await gather(() => {
        node.receive({ payload: 'twice at once', n: 1 } as never);
        node.receive({ payload: 'twice at once', n: 2 } as never);
      }, 2);
      assert.deepEqual(seen.map((s) => s.kind), ['sent', 'sent']);
      assert.equal(calls(sim).length, 1);
      assert.notEqual(seen[0].msg.payload, seen[1].msg.payload);
      assert.ok((seen[0].msg.payload as Buffer).equals(seen[1].msg.payload as Buffer));
      // Once it is done, the same text is a new call (the cache is off).
      await expectSent({ payload: 'twice at once' });
      assert.equal(calls(sim).length, 2);
    });
  });

  describe('long text', function () {
    it('is spoken in pieces of at most 150 characters, in order, nothing lost, joined into ONE message with pauses', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150, pause: 150 } });
      sim.setFault({ kind: 'slow', ms: 120 });
      const text = longChinese('甲');
      assert.ok(text.length >= 690 && text.length <= 720, `${text.length} characters`);
      const seen = await gather(() => node.receive({ payload: text, topic: 'story' } as never), 1, { settleMs: 300 });
      assert.equal(seen.length, 1, 'one message for the whole text');
      assert.equal(seen[0].kind, 'sent');
      const msg = seen[0].msg;
      const pieces = calls(sim).map(bodyText);
      assert.ok(pieces.length >= 5, `${pieces.length} pieces`);
      for (const p of pieces) assert.ok(p.length <= 150, `a piece of ${p.length} characters`);
      assertCovers(text, pieces);
      const expected = pieces.reduce((sum, p) => sum + toneFrames(p) / RATE, 0) + 0.15 * (pieces.length - 1);
      assert.ok(Math.abs((msg.duration as number) - expected) < 0.005, `duration ${String(msg.duration)}, expected ${expected}`);
      const info = parseWav(msg.payload as Buffer);
      assert.ok(Math.abs(info.duration - expected) < 0.001);
      assert.equal(msg.topic, 'story');
      assert.equal(msg.cached, false);
      await sleep(150);
      const shown = statusTexts(node);
      assert.ok(shown.includes('voxcpm-tts.status.progress'), JSON.stringify(shown));
      assert.equal(shown[shown.length - 1], 'voxcpm-tts.status.done');
      // The whole text is cached as one: again, no call.
      assert.equal((await expectSent({ payload: text })).cached, true);
      assert.equal(calls(sim).length, pieces.length);
    });

    it('a failed piece fails the message once, and no other piece keeps running', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150 } });
      sim.setFault({ kind: 'slow', ms: 300, times: 1 });
      const text = longChinese('乙');
      const pending = gather(() => node.receive({ payload: text, n: 1 } as never), 1, { settleMs: 500 });
      await waitFor(() => sim.inflight === 1, 'the first piece at the server');
      sim.setFault({ kind: 'inference-failed', times: 1 });
      const seen = await pending;
      assert.deepEqual(seen.map((s) => s.kind), ['caught']);
      assert.equal(codeOf(seen[0].msg as ErrorMessage), 'VOXCPM_SERVER_ERROR');
      assert.equal(calls(sim).length, 2, 'the pieces after the failed one were never sent');
      assert.equal(sim.inflight, 0);
      assert.deepEqual({ queued: service().state().queued, inflight: service().state().inflight }, { queued: 0, inflight: 0 });
      assert.equal(statusTexts(node).pop(), 'VOXCPM_SERVER_ERROR');
    });

    // Fixed (regression test): every piece of a long text took a place in the server's queue (synthesis.ts submits all
    // pieces at once, scheduler.ts counts each against queueLimit), so a message with more pieces
    // than the Queue setting fails with VOXCPM_QUEUE_FULL "The queue is full (3 messages waiting)"
    // while it is the only message. The server's help says the Queue is how many MESSAGES may wait;
    // with the default of 100, any text over ~100 pieces (about 15,000 characters) can never be spoken.
    it('a long text alone in the queue is spoken even when it has more pieces than the queue limit', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150 }, serverProps: { queueLimit: 3 } });
      const text = longChinese('庚');
      const seen = await gather(() => helper.getNode(IDS.node).receive({ payload: text } as never), 1, { settleMs: 200 });
      const caught = seen.find((s) => s.kind === 'caught')?.msg as ErrorMessage | undefined;
      assert.equal(caught, undefined, caught ? `${String(codeOf(caught))}: ${caught.error.message}` : '');
      assert.deepEqual(seen.map((s) => s.kind), ['sent']);
    });
  });

  describe('streaming', function () {
    it('sends one message per piece, in order, with msg.parts; the first arrives well before the last', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150, streaming: true } });
      sim.setFault({ kind: 'slow', ms: 150 });
      const text = longChinese('丙');
      const t0 = Date.now();
      const seen = await gatherAll(() => node.receive({ payload: text, topic: 'stream' } as never));
      const pieces = calls(sim).map(bodyText);
      assert.ok(pieces.length >= 5);
      assert.equal(seen.length, pieces.length);
      const ids = new Set(seen.map((s) => (s.msg.parts as { id: string }).id));
      assert.equal(ids.size, 1);
      seen.forEach((s, i) => {
        assert.equal(s.kind, 'sent');
        const parts = s.msg.parts as { index: number; count: number };
        assert.equal(parts.index, i);
        assert.equal(parts.count, pieces.length);
        assert.equal(s.msg.topic, 'stream');
        assert.ok(Math.abs((s.msg.duration as number) - toneFrames(pieces[i]) / RATE) < 0.002, `piece ${i}: ${String(s.msg.duration)}`);
        assert.notEqual(s.msg._msgid, undefined);
      });
      assertCovers(text, pieces);
      const first = seen[0].at - t0;
      const total = seen[seen.length - 1].at - t0;
      assert.ok(first < 0.4 * total, `first piece after ${first} ms, last after ${total} ms`);

      async function gatherAll(act: () => void): Promise<Seen[]> {
        // The count is not known in advance: wait until the last piece (index = count - 1) arrived.
        const all: Seen[] = [];
        const out = helper.getNode(IDS.out) as unknown as NodeJS.EventEmitter;
        const caught = helper.getNode(IDS.caught) as unknown as NodeJS.EventEmitter;
        return new Promise<Seen[]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`only ${all.length} pieces`)), 10000);
          const onOut = (msg: TestMessage) => {
            all.push({ kind: 'sent', msg, at: Date.now() });
            const p = msg.parts as { index: number; count: number };
            if (p.index === p.count - 1) setTimeout(done, 150);
          };
          const onCaught = (msg: TestMessage) => {
            all.push({ kind: 'caught', msg, at: Date.now() });
            setTimeout(done, 150);
          };
          function done(): void {
            clearTimeout(timer);
            out.removeListener('input', onOut);
            caught.removeListener('input', onCaught);
            resolve(all);
          }
          out.on('input', onOut);
          caught.on('input', onCaught);
          act();
        });
      }
    });

    it('a core join node (automatic mode) puts the pieces back into one message: an array of WAV Buffers', async () => {
      const flow = buildFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150, streaming: true } });
      const tts = flow.find((n) => n.id === IDS.node) as FlowItem;
      tts.wires = [['join1']];
      flow.push({
        id: 'join1',
        type: 'join',
        z: IDS.tab,
        mode: 'auto',
        build: 'array',
        property: 'payload',
        propertyType: 'msg',
        key: 'topic',
        joiner: '\\n',
        joinerType: 'str',
        accumulate: false,
        timeout: '',
        count: '',
        reduceRight: false,
        wires: [[IDS.out]],
      });
      await helper.load([...NODE_MODULES, sequenceNodes()], flow);
      await serverKnown();
      const text = longChinese('丁');
      const seen = await gather(() => helper.getNode(IDS.node).receive({ payload: text } as never), 1, { settleMs: 300 });
      assert.equal(seen.length, 1);
      assert.equal(seen[0].kind, 'sent');
      const joined = seen[0].msg.payload as Buffer[];
      const pieces = calls(sim).map(bodyText);
      assert.ok(Array.isArray(joined), `payload is ${typeof joined}`);
      assert.equal(joined.length, pieces.length);
      joined.forEach((wav, i) => {
        assert.ok(Buffer.isBuffer(wav));
        const info = parseWav(wav);
        assert.equal(info.frames, toneFrames(pieces[i]), `piece ${i} out of order`);
      });
    });

    // speakPieces (nodes/lib/synthesis.ts) asks for every piece up front and awaits them in order:
    // a later piece failing while an earlier one is still at the server must not be an unhandled
    // rejection (a real Node-RED exits on one: Node's default --unhandled-rejections=throw and
    // red.js's uncaughtException handler). Here the queue holds 2 and the text has 5+ pieces, so
    // pieces 4.. are refused with VOXCPM_QUEUE_FULL at once while piece 1 is being synthesized.
    it('streaming more pieces than the queue limit: the message is admitted once, its pieces all leave, nothing unhandled', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150, streaming: true }, serverProps: { queueLimit: 2 } });
      sim.setFault({ kind: 'slow', ms: 200 });
      const text = longChinese('戊');
      let seen: Seen[] = [];
      const unhandled = await unhandledDuring(async () => {
        seen = await gather(() => node.receive({ payload: text } as never), 1, { settleMs: 1200 });
      });
      assert.deepEqual(
        unhandled.map((r) => String((r as { code?: string }).code ?? r)),
        [],
        'unhandled rejections (a real Node-RED exits on the first)',
      );
      // The queue limit counts messages: a long text alone is spoken whole, piece after piece.
      assert.equal(seen.filter((s) => s.kind === 'caught').length, 0);
      assert.ok(seen.filter((s) => s.kind === 'sent').length >= 2, `pieces sent: ${seen.length}`);
    });

    // The same, with two requests at once (concurrency 2): the second piece fails while the
    // first is still at the server.
    it('streaming: a later piece failing before an earlier one is done: no unhandled promise rejection', async () => {
      const failing = await failingServer();
      try {
        const node = await loadFlow({ type: 'voxcpm-tts', url: failing.url, props: { maxChunk: 150, streaming: true }, serverProps: { concurrency: 2 } });
        const text = `${'第一句话说得很慢，'.repeat(10)}。${'这一句会失败ZZFAIL，'.repeat(8)}。`;
        let seen: Seen[] = [];
        const unhandled = await unhandledDuring(async () => {
          seen = await gather(() => node.receive({ payload: text } as never), 1, { settleMs: 600 });
        });
        assert.deepEqual(unhandled.map((r) => String((r as { code?: string }).code ?? r)), [], 'unhandled rejections');
        assert.equal(seen.filter((s) => s.kind === 'caught').length, 1);
        assert.equal(codeOf(seen.find((s) => s.kind === 'caught')?.msg as ErrorMessage), 'VOXCPM_SERVER_ERROR');
      } finally {
        await failing.close();
      }
    });
  });

  describe('output settings', function () {
    it('outputFormat base64 / dataurl, from the node and from msg.outputFormat; an invalid one is VOXCPM_INPUT_INVALID', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { outputFormat: 'base64' } });
      const b64 = await expectSent({ payload: 'format test' });
      assert.equal(typeof b64.payload, 'string');
      const wav = Buffer.from(b64.payload as string, 'base64');
      assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
      assert.equal(parseWav(wav).sampleRate, 48000);
      assert.equal(b64.contentType, 'audio/wav');
      const dataUrl = await expectSent({ payload: 'format test', outputFormat: 'dataurl' });
      assert.equal(dataUrl.payload, `data:audio/wav;base64,${wav.toString('base64')}`);
      const raw = await expectSent({ payload: 'format test', outputFormat: 'wav' });
      assert.ok(Buffer.isBuffer(raw.payload) && (raw.payload as Buffer).equals(wav));
      const calledBefore = calls(sim).length;
      for (const bad of ['mp3', 42, { f: 'wav' }]) {
        const err = await expectCaught({ payload: 'format test', outputFormat: bad });
        assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
      }
      assert.equal(calls(sim).length, calledBefore, 'an invalid format is refused before any request');
    });

    it('sampleRate 16000: msg.sampleRate and the WAV header say 16000, the length is kept', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { sampleRate: 16000 } });
      const msg = await expectSent({ payload: 'telephone quality' });
      const info = parseWav(msg.payload as Buffer);
      assert.equal(msg.sampleRate, 16000);
      assert.equal(info.sampleRate, 16000);
      assert.equal(msg.channels, info.channels);
      assert.equal(msg.bitDepth, info.bitDepth);
      assert.ok(Math.abs(info.duration - toneFrames('telephone quality') / RATE) < 0.002, `${info.duration}`);
    });

    it('leadIn 500 adds half a second; msg.channels and msg.bitDepth are there', async () => {
      await loadTwo(url, [{}, { leadIn: 500 }]);
      const plain = (await gather(() => helper.getNode('a').receive({ payload: 'lead in please' } as never), 1))[0].msg;
      const lead = (await gather(() => helper.getNode('b').receive({ payload: 'lead in please' } as never), 1))[0].msg;
      assert.ok(Math.abs((lead.duration as number) - (plain.duration as number) - 0.5) < 0.0015, `${String(lead.duration)} vs ${String(plain.duration)}`);
      for (const m of [plain, lead]) {
        assert.equal(m.channels, 1);
        assert.equal(m.bitDepth, 32);
      }
      const wav = lead.payload as Buffer;
      const info = parseWav(wav);
      // The first half second is silence.
      for (let i = 0; i < 24000; i += 997) assert.equal(wav.readFloatLE(info.dataOffset + i * 4), 0);
    });

    it('reads the text from msg.speech and puts the audio into msg.audioOut, leaving msg.payload alone', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { text: 'speech', output: 'audioOut' } });
      const msg = await expectSent({ payload: { keep: 'me' }, speech: 'from another property' });
      assert.deepEqual(msg.payload, { keep: 'me' });
      assert.ok(Buffer.isBuffer(msg.audioOut));
      assert.equal((msg.audioOut as Buffer).toString('latin1', 0, 4), 'RIFF');
      assert.equal(msg.speech, 'from another property');
      assert.equal(bodyText(calls(sim)[0]), 'from another property');
    });

    it('takes the prompt from msg, flow or global context (promptType)', async () => {
      const prompts: string[] = [];
      for (const [promptType, set] of [
        ['msg', (_n: Node) => undefined],
        ['flow', (n: Node) => n.context().flow.set('voice', 'from flow')],
        ['global', (n: Node) => n.context().global.set('voice', 'from global')],
      ] as const) {
        const node = await loadFlow({ type: 'voxcpm-tts', url, props: { prompt: 'voice', promptType } });
        set(node);
        await expectSent({ payload: `prompt from ${promptType}`, voice: 'from msg' });
        prompts.push(String((calls(sim).pop()?.body as { prompt?: unknown }).prompt));
        await helper.unload();
      }
      assert.deepEqual(prompts, ['from msg', 'from flow', 'from global']);
    });
  });

  describe('msg.url', function () {
    async function loadServed(serverProps: Record<string, unknown> = {}, props: Record<string, unknown> = {}): Promise<void> {
      const fresh = freshModules();
      await helper.load(fresh.modules, buildFlow({ type: 'voxcpm-tts', url, props, serverProps: { publicUrl: nodeBase, ...serverProps } }));
      await serverKnown();
      nodeApp = fresh.red().httpNode;
    }

    it('is served over HTTP at the Public URL: 200 audio/wav with the same bytes, ranges, 404 for an unknown token', async () => {
      await loadServed();
      const msg = await expectSent({ payload: 'play me on the speaker' });
      const link = msg.url as string;
      assert.match(link, new RegExp(`^${nodeBase}/voxcpm/audio/[0-9a-f]{32}\\.wav$`));
      const res = await fetch(link);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'audio/wav');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(msg.payload as Buffer));

      const part = await fetch(link, { headers: { Range: 'bytes=0-99' } });
      assert.equal(part.status, 206);
      const size = (msg.payload as Buffer).length;
      assert.equal(part.headers.get('content-range'), `bytes 0-99/${size}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals((msg.payload as Buffer).subarray(0, 100)));
      const tail = await fetch(link, { headers: { Range: 'bytes=-10' } });
      assert.equal(tail.status, 206);
      assert.equal(tail.headers.get('content-range'), `bytes ${size - 10}-${size - 1}/${size}`);
      const outside = await fetch(link, { headers: { Range: `bytes=${size}-` } });
      assert.equal(outside.status, 416);

      const unknown = await fetch(`${nodeBase}/voxcpm/audio/${'0'.repeat(32)}.wav`);
      assert.equal(unknown.status, 404);
      const garbage = await fetch(`${nodeBase}/voxcpm/audio/..%2f..%2fetc%2fpasswd`);
      assert.equal(garbage.status, 404);
      // A cached result gets a link of its own too.
      const again = await expectSent({ payload: 'play me on the speaker' });
      assert.equal(again.cached, true);
      assert.notEqual(again.url, link);
      assert.equal((await fetch(again.url as string)).status, 200);
    });

    it('expires after the Link life (urlTtl)', async () => {
      await loadServed({ urlTtl: 0.3 });
      const msg = await expectSent({ payload: 'short lived' });
      assert.equal((await fetch(msg.url as string)).status, 200);
      await sleep(450);
      assert.equal((await fetch(msg.url as string)).status, 404);
    });

    it('is left out when the Link life is 0', async () => {
      await loadServed({ urlTtl: 0 });
      const msg = await expectSent({ payload: 'no link' });
      assert.equal(msg.url, undefined);
    });

    it('with streaming, each piece has a link of its own', async () => {
      await loadServed({}, { maxChunk: 150, streaming: true });
      const text = longChinese('己');
      const seen = await gather(() => helper.getNode(IDS.node).receive({ payload: text } as never), 5, { settleMs: 400 });
      const urls = seen.map((s) => s.msg.url as string);
      assert.equal(new Set(urls).size, seen.length);
      for (const [i, u] of urls.entries()) {
        const res = await fetch(u);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(seen[i].msg.payload as Buffer));
      }
    });

    // The URL store keeps its own copy: a flow that changes msg.payload in place (a function
    // node, a volume node) must not change what a speaker later fetches from msg.url.
    it('what msg.url serves does not change when the flow changes msg.payload in place', async () => {
      await loadServed();
      const msg = await expectSent({ payload: 'mutable payload' });
      const original = Buffer.from(msg.payload as Buffer);
      (msg.payload as Buffer).fill(0, 44);
      const res = await fetch(msg.url as string);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(original), 'msg.url serves the changed bytes');
    });
  });
});

/** A VoxCPM stand-in that fails any text containing ZZFAIL at once and answers the others after 300 ms. */
async function failingServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const voice = new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.3 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = String((JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { text?: unknown }).text ?? '');
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (text.includes('ZZFAIL')) return answer(500, { status: 'error', message: 'inference failed' });
      const delay = text === '' ? 0 : 300;
      setTimeout(() => {
        void voice.synthesize(text || 'probe').then((wav) => answer(200, { status: 'success', sample_rate: 48000, audio: wav.toString('base64') }));
      }, delay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
