/**
 * Streaming: one message per piece of a long text, in order, with msg.parts (so a join node puts
 * them back together), through a real Node-RED runtime and the simulator over real HTTP.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { NodeInitializer } from 'node-red';
import { parseWav } from '../../nodes/lib/wav';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { assertCovers, bodyText, gather, longChinese, RATE, toneFrames, useToneSimulator, type Seen } from '../support/flows';
import {
  buildFlow,
  calls,
  codeOf,
  helper,
  IDS,
  loadFlow,
  NODE_MODULES,
  serverKnown,
  unhandledDuring,
  type ErrorMessage,
  type FlowItem,
  type TestMessage,
} from '../support/runtime';

/** The core join node (17-split.js holds split and join) of the runtime under test. */
function sequenceNodes(): NodeInitializer {
  const runtime = process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red');
  const nodesPkg = require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(runtime)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(nodesPkg), 'core', 'sequence', '17-split.js')) as NodeInitializer;
}

describe('streaming', function () {
  this.timeout(20000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));

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
