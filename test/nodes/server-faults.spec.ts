/**
 * "Survives real life": queueing, a server that boots late, several servers,
 * and the server's faults, through real HTTP (the simulator) and a real
 * Node-RED runtime. Every scenario checks that each message has exactly one
 * outcome (matched by msg.n), the error code, the order where the design
 * promises it, that a server never sees more than `concurrency` requests at
 * once, and that the node still speaks a final message.
 */
import assert from 'node:assert/strict';
import type { VoxcpmService } from '../../nodes/lib/service';
import type { VoxCpmSimulator } from '../../simulator/simulator';
import {
  assertAudio,
  assertCaught,
  byTag,
  fastSimulator,
  freePort,
  sleep,
  statuses,
  statusTexts,
  summarize,
  tags,
  texts,
  waitFor,
} from '../support/faults';
import { calls, codeOf, expectCaught, expectSent, helper, IDS, loadFlow, run, type TestMessage } from '../support/runtime';

/** The config node's service (queue and servers' health), as the flow nodes see it. */
function service(): VoxcpmService {
  return (helper.getNode(IDS.server) as unknown as { service: VoxcpmService }).service;
}

/** Messages tagged n = 0..count-1 (or the given tags), with distinct texts. */
function messages(count: number, extra: Partial<TestMessage> = {}): TestMessage[] {
  return Array.from({ length: count }, (_, n) => ({ payload: `message ${n}`, n, ...extra }));
}

/** The probes (empty text) a simulator received. */
function probes(sim: VoxCpmSimulator) {
  return sim.requests.filter((r) => (r.body as { text?: unknown } | null)?.text === '');
}

describe('faults, queueing and several servers, through a real Node-RED runtime', function () {
  const sim = fastSimulator();
  const extras: VoxCpmSimulator[] = [];
  let url = '';

  /** A further simulator, stopped after the test. */
  function track(s: VoxCpmSimulator): VoxCpmSimulator {
    extras.push(s);
    return s;
  }

  /** Node-RED still works: one more message through the same flow is spoken. */
  async function stillWorks(on: VoxCpmSimulator = sim): Promise<void> {
    on.setFault(null);
    const before = calls(on).length;
    const msg = await expectSent({ payload: 'still alive', n: 'final' });
    assert.equal(msg.n, 'final');
    assert.equal(calls(on).length, before + 1);
  }

  before(async () => {
    url = await sim.start();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    // A request aborted by the previous test may still be closing at the simulator.
    await waitFor(() => sim.inflight === 0, 'the previous test to leave the simulator');
    sim.reset();
    await new Promise<void>((resolve) => helper.startServer(() => resolve()));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    for (const s of extras.splice(0)) await s.stop();
  });

  describe('1. a server that is not there yet', () => {
    it('connection refused, then the server starts: a message sent while it was down is spoken within its timeout', async () => {
      const port = await freePort();
      const node = await loadFlow({ type: 'voxcpm-tts', url: `http://127.0.0.1:${port}`, serverProps: { timeout: '8' } });
      const late = track(fastSimulator());
      const started = Date.now();
      const pending = run([{ payload: 'sent while the server was down', n: 1 }], { settleMs: 100 });
      await sleep(1500);
      // Meanwhile the node says the server is unreachable and that a message waits.
      assert.deepEqual(statuses(node).at(-1), { fill: 'red', shape: 'ring', text: 'voxcpm-tts.status.unreachableQueued' });
      await late.start(port);
      const outcomes = await pending;
      const elapsed = Date.now() - started;
      assert.deepEqual(summarize(outcomes), ['1:sent']);
      assertAudio(outcomes[0], 'the message sent while down');
      assert.ok(elapsed >= 1500 && elapsed < 8000, `took ${elapsed} ms`);
      assert.deepEqual(texts(calls(late)), ['sent while the server was down']);
      assert.ok(late.maxInflight <= 1, `maxInflight ${late.maxInflight}`);
      await stillWorks(late);
      // The server answers: the node no longer says it is unreachable.
      await sleep(150);
      assert.equal(statuses(node).at(-1)?.text, 'voxcpm-tts.status.done');
    });

    it('a server that never comes back: the message ends with VOXCPM_UNREACHABLE when its timeout passes, not before', async () => {
      const port = await freePort();
      const node = await loadFlow({ type: 'voxcpm-tts', url: `http://127.0.0.1:${port}`, serverProps: { timeout: '8' } });
      await waitFor(() => statusTexts(node).includes('voxcpm-tts.status.unreachable'), 'the unreachable status');
      const started = Date.now();
      const outcomes = await run([{ payload: 'nobody listens', n: 1, timeout: 1 }], { settleMs: 100 });
      const elapsed = Date.now() - started;
      assertCaught(outcomes[0], 'VOXCPM_UNREACHABLE', 'the message');
      assert.equal(outcomes.length, 1);
      assert.ok(elapsed >= 900 && elapsed < 2000, `took ${elapsed} ms`);
    });
  });

  describe('2. connection cut mid-answer', () => {
    it('cut once: retried, and the audio arrives', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '2' } });
      sim.setFault({ kind: 'reset-mid-answer', times: 1 });
      const outcomes = await run([{ payload: 'cut once', n: 1 }], { settleMs: 100 });
      assert.deepEqual(summarize(outcomes), ['1:sent']);
      assertAudio(outcomes[0], 'the message');
      assert.deepEqual(texts(calls(sim)), ['cut once', 'cut once']);
      assert.ok(sim.maxInflight <= 1, `maxInflight ${sim.maxInflight}`);
      await stillWorks();
    });

    it('cut every time: VOXCPM_UNREACHABLE after exactly retries + 1 attempts', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '2' } });
      sim.setFault({ kind: 'reset-mid-answer' });
      const outcomes = await run([{ payload: 'cut always', n: 1 }], { settleMs: 150 });
      assert.equal(outcomes.length, 1);
      assertCaught(outcomes[0], 'VOXCPM_UNREACHABLE', 'the message');
      assert.match(outcomes[0].kind === 'caught' ? outcomes[0].msg.error.message : '', /cut/);
      assert.equal(calls(sim).length, 3);
      assert.ok(sim.maxInflight <= 1, `maxInflight ${sim.maxInflight}`);
      await stillWorks();
    });
  });

  describe('3. an answer slower than the timeout', () => {
    it('msg.timeout shorter than the configured timeout: VOXCPM_TIMEOUT at msg.timeout, not retried', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { timeout: '10' } });
      sim.setFault({ kind: 'slow', ms: 3000 });
      const started = Date.now();
      const outcomes = await run([{ payload: 'too slow', n: 1, timeout: 0.4 }], { settleMs: 100 });
      const elapsed = Date.now() - started;
      assert.equal(outcomes.length, 1);
      assertCaught(outcomes[0], 'VOXCPM_TIMEOUT', 'the message');
      assert.ok(elapsed >= 350 && elapsed < 1500, `took ${elapsed} ms`);
      assert.equal(calls(sim).length, 1, 'a timeout is not retried');
      await waitFor(() => sim.inflight === 0, 'the simulator to see the request go away', 1000);
      await stillWorks();
    });

    it('msg.timeout longer than the configured timeout: the slow answer arrives; without it the configured timeout applies', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { timeout: '0.5' } });
      sim.setFault({ kind: 'slow', ms: 1000, times: 2 });
      let started = Date.now();
      const ok = await run([{ payload: 'patient', n: 1, timeout: '3' }], { settleMs: 100 });
      assert.deepEqual(summarize(ok), ['1:sent']);
      assert.ok(Date.now() - started >= 1000);
      started = Date.now();
      const late = await run([{ payload: 'impatient', n: 2 }], { settleMs: 100 });
      assert.equal(late.length, 1);
      assertCaught(late[0], 'VOXCPM_TIMEOUT', 'the message without msg.timeout');
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.equal(calls(sim).length, 2);
      await stillWorks();
    });
  });

  describe('4. answers that are wrong, never retried', () => {
    const cases = [
      ['HTTP 500 inference failed', { kind: 'inference-failed' }, 'VOXCPM_SERVER_ERROR'],
      ['an error inside HTTP 200', { kind: 'error-in-200', message: 'text too long' }, 'VOXCPM_SERVER_ERROR'],
      ['audio that is not base64', { kind: 'bad-base64' }, 'VOXCPM_BAD_RESPONSE'],
      ['audio that is not a WAV', { kind: 'not-wav' }, 'VOXCPM_BAD_RESPONSE'],
      ['an answer that is not JSON', { kind: 'not-json' }, 'VOXCPM_BAD_RESPONSE'],
    ] as const;
    for (const [name, fault, code] of cases) {
      it(`${name}: ${code} after exactly 1 attempt (retries 3)`, async () => {
        await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '3' } });
        // The fault stays: a retry would meet it again and show as a second call.
        sim.setFault(fault);
        const outcomes = await run([{ payload: 'wrong answer', n: 1 }], { settleMs: 300 });
        assert.equal(outcomes.length, 1);
        assertCaught(outcomes[0], code, 'the message');
        assert.equal(calls(sim).length, 1);
        await stillWorks();
      });
    }
  });

  describe('5. a proxy\'s HTML 502 page', () => {
    it('once: retried, and the audio arrives', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '2' } });
      sim.setFault({ kind: 'html-502', times: 1 });
      const outcomes = await run([{ payload: 'proxy hiccup', n: 1 }], { settleMs: 100 });
      assert.deepEqual(summarize(outcomes), ['1:sent']);
      assert.equal(calls(sim).length, 2);
      await stillWorks();
    });

    it('always: VOXCPM_HTTP naming the 502 after exactly retries + 1 attempts', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '2' } });
      sim.setFault({ kind: 'html-502' });
      const outcomes = await run([{ payload: 'proxy down', n: 1 }], { settleMs: 150 });
      assert.equal(outcomes.length, 1);
      assertCaught(outcomes[0], 'VOXCPM_HTTP', 'the message');
      assert.match(outcomes[0].kind === 'caught' ? outcomes[0].msg.error.message : '', /502/);
      assert.equal(calls(sim).length, 3);
      assert.ok(sim.maxInflight <= 1, `maxInflight ${sim.maxInflight}`);
      await stillWorks();
    });
  });

  describe('6. a server that is loading its model (HTTP 503)', () => {
    it('every message is spoken once loading ends (~1 s), in order, none lost', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      sim.setFault({ kind: 'loading', seconds: 1 });
      const started = Date.now();
      const outcomes = await run(messages(3), { settleMs: 100 });
      const elapsed = Date.now() - started;
      assert.deepEqual(summarize(outcomes), ['0:sent', '1:sent', '2:sent']);
      for (const o of outcomes) assertAudio(o, `message ${String(o.msg.n)}`);
      assert.ok(elapsed >= 900, `took only ${elapsed} ms`);
      // The first message met the 503; the others waited in the queue, not at the server.
      assert.deepEqual(texts(calls(sim)), ['message 0', 'message 0', 'message 1', 'message 2']);
      assert.ok(sim.maxInflight <= 1, `maxInflight ${sim.maxInflight}`);
      await stillWorks();
    });

    // Regression: the retry was once spent when it was scheduled, and a waiting job with no retry
    // left was then dropped: after a 503 or a refused connection, the last retry was never made.
    it('with retries 1, one 503 leaves one retry: the message waits for the server and is spoken', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '1' } });
      sim.setFault({ kind: 'loading', seconds: 1 });
      const outcomes = await run([{ payload: 'one retry left', n: 1 }], { settleMs: 100 });
      assert.equal(outcomes.length, 1);
      assertAudio(outcomes[0], 'the message (retries 1, one 503)');
      assert.deepEqual(texts(calls(sim)), ['one retry left', 'one retry left']);
      await stillWorks();
    });

    it('with retries 0 a 503 is not retried: it fails at once with the server\'s message', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '0' } });
      sim.setFault({ kind: 'loading', seconds: 1 });
      const started = Date.now();
      const outcomes = await run([{ payload: 'no retry', n: 1 }], { settleMs: 100 });
      assert.equal(outcomes.length, 1);
      assertCaught(outcomes[0], 'VOXCPM_SERVER_ERROR', 'the message');
      assert.match(outcomes[0].kind === 'caught' ? outcomes[0].msg.error.message : '', /model loading/);
      assert.ok(Date.now() - started < 800, `took ${Date.now() - started} ms`);
      assert.equal(calls(sim).length, 1);
    });
  });

  describe('7. an answer beyond maxResponseMB', () => {
    it('VOXCPM_BAD_RESPONSE, not retried', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { maxResponseMB: '1', retries: '3' } });
      sim.setFault({ kind: 'oversize', bytes: 3 * 1024 * 1024 });
      const outcomes = await run([{ payload: 'too big', n: 1 }], { settleMs: 300 });
      assert.equal(outcomes.length, 1);
      assertCaught(outcomes[0], 'VOXCPM_BAD_RESPONSE', 'the message');
      assert.match(outcomes[0].kind === 'caught' ? outcomes[0].msg.error.message : '', /larger than the limit of 1 MB/);
      assert.equal(calls(sim).length, 1);
      await stillWorks();
    });
  });

  describe('8. the server restarts while messages wait', () => {
    it('all are spoken after it is back, in arrival order, none twice', async () => {
      const port = await freePort();
      const first = track(fastSimulator());
      await first.start(port);
      await loadFlow({ type: 'voxcpm-tts', url: `http://127.0.0.1:${port}`, serverProps: { timeout: '15' } });
      first.setFault({ kind: 'slow', ms: 5000 });
      const pending = run(messages(6), { settleMs: 200 });
      await waitFor(() => first.inflight === 1, 'the first message at the server');
      await sleep(100);
      assert.equal(service().state().queued, 5, 'five messages wait behind the slow one');
      await first.stop();
      await sleep(1000);
      const second = track(fastSimulator());
      await second.start(port);
      const outcomes = await pending;
      assert.deepEqual(summarize(outcomes), ['0:sent', '1:sent', '2:sent', '3:sent', '4:sent', '5:sent']);
      for (const o of outcomes) assertAudio(o, `message ${String(o.msg.n)}`);
      assert.deepEqual(texts(calls(first)), ['message 0']);
      assert.deepEqual(texts(calls(second)), ['message 0', 'message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
      assert.ok(first.maxInflight <= 1 && second.maxInflight <= 1, `maxInflight ${first.maxInflight}, ${second.maxInflight}`);
      await stillWorks(second);
    });
  });

  describe('9. redeploy with messages queued', () => {
    it('close is quick, nothing is sent or caught, the running request is aborted', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url });
      sim.setFault({ kind: 'slow', ms: 5000 });
      let sent = 0;
      let caught = 0;
      (helper.getNode(IDS.out) as unknown as NodeJS.EventEmitter).on('input', () => sent++);
      (helper.getNode(IDS.caught) as unknown as NodeJS.EventEmitter).on('input', () => caught++);
      for (const m of messages(6)) node.receive(m);
      await waitFor(() => sim.inflight === 1, 'the first message at the server');
      await sleep(100);
      assert.equal(service().state().queued, 5);
      const started = Date.now();
      await helper.unload();
      assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
      await waitFor(() => sim.inflight === 0, 'the simulator to see the request go away', 1000);
      await sleep(200);
      assert.equal(sent, 0);
      assert.equal(caught, 0);
      assert.equal(calls(sim).length, 1);
      assert.ok(sim.maxInflight <= 1);
      // Deployed again, it works.
      sim.setFault(null);
      await loadFlow({ type: 'voxcpm-tts', url });
      await stillWorks();
    });

    it('while the server is down: close is quick and the waiting messages end quietly', async () => {
      const port = await freePort();
      const node = await loadFlow({ type: 'voxcpm-tts', url: `http://127.0.0.1:${port}` });
      let outcomes = 0;
      (helper.getNode(IDS.out) as unknown as NodeJS.EventEmitter).on('input', () => outcomes++);
      (helper.getNode(IDS.caught) as unknown as NodeJS.EventEmitter).on('input', () => outcomes++);
      for (const m of messages(3)) node.receive(m);
      await waitFor(() => service().state().queued === 3, 'three messages waiting');
      const started = Date.now();
      await helper.unload();
      assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
      await sleep(200);
      assert.equal(outcomes, 0);
    });
  });

  describe('10. several servers', () => {
    it('one dead, one live: every message is spoken by the live one', async () => {
      const dead = await freePort();
      const node = await loadFlow({ type: 'voxcpm-tts', url: `http://127.0.0.1:${dead}\n${url}` });
      const outcomes = await run(messages(6), { settleMs: 100 });
      assert.deepEqual(summarize(outcomes), ['0:sent', '1:sent', '2:sent', '3:sent', '4:sent', '5:sent']);
      assert.deepEqual(texts(calls(sim)), messages(6).map((m) => m.payload));
      assert.ok(sim.maxInflight <= 1, `maxInflight ${sim.maxInflight}`);
      await sleep(150);
      assert.ok(statusTexts(node).includes('voxcpm-tts.status.partial'), JSON.stringify(statusTexts(node)));
      await stillWorks();
    });

    it('two live ones with concurrency 1: both work, one request each at a time, in about half the time of one', async function () {
      const simB = track(fastSimulator());
      const urlB = await simB.start();
      const n = 4;
      const ms = 400;
      // Baseline: the same messages through one server.
      await loadFlow({ type: 'voxcpm-tts', url });
      sim.setFault({ kind: 'slow', ms });
      let started = Date.now();
      assert.equal((await run(messages(n), { settleMs: 50 })).filter((o) => o.kind === 'sent').length, n);
      const one = Date.now() - started;
      await helper.unload();
      await waitFor(() => sim.inflight === 0, 'the simulator to be idle');
      sim.reset();

      await loadFlow({ type: 'voxcpm-tts', url: `${url}\n${urlB}` });
      sim.setFault({ kind: 'slow', ms });
      simB.setFault({ kind: 'slow', ms });
      started = Date.now();
      const outcomes = await run(messages(n), { settleMs: 50 });
      const two = Date.now() - started;
      byTag(outcomes);
      assert.equal(outcomes.filter((o) => o.kind === 'sent').length, n, JSON.stringify(summarize(outcomes)));
      assert.ok(calls(sim).length > 0 && calls(simB).length > 0, `A ${calls(sim).length}, B ${calls(simB).length}`);
      assert.equal(calls(sim).length + calls(simB).length, n);
      assert.equal(sim.maxInflight, 1);
      assert.equal(simB.maxInflight, 1);
      const ratio = two / one;
      assert.ok(ratio > 0.35 && ratio < 0.75, `one server ${one} ms, two servers ${two} ms`);
      await stillWorks(calls(sim).length <= calls(simB).length ? sim : simB);
    });
  });

  describe('11. priority', () => {
    it('an urgent message overtakes the routine ones waiting, not the one running', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url });
      sim.setFault({ kind: 'slow', ms: 300 });
      const routine = ['A', 'B', 'C'].map((n) => ({ payload: `routine ${n}`, n, priority: 0 }));
      const pending = run(routine, { count: 4, settleMs: 100 });
      await waitFor(() => sim.inflight === 1, 'A at the server');
      await sleep(50);
      node.receive({ payload: 'urgent U', n: 'U', priority: 10 } as TestMessage);
      const outcomes = await pending;
      byTag(outcomes);
      assert.deepEqual(summarize(outcomes), ['A:sent', 'U:sent', 'B:sent', 'C:sent']);
      assert.deepEqual(texts(calls(sim)), ['routine A', 'urgent U', 'routine B', 'routine C']);
      assert.equal(sim.maxInflight, 1);
      await stillWorks();
    });

    it('equal priorities keep arrival order (numeric text counts as a number)', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url });
      sim.setFault({ kind: 'slow', ms: 200 });
      const pending = run([{ payload: 'A', n: 'A', priority: 5 }], { count: 6, settleMs: 100 });
      await waitFor(() => sim.inflight === 1, 'A at the server');
      const rest: TestMessage[] = [
        { payload: 'B', n: 'B', priority: 1 },
        { payload: 'C', n: 'C', priority: 5 },
        { payload: 'D', n: 'D', priority: 5 },
        { payload: 'E', n: 'E', priority: 1 },
        { payload: 'F', n: 'F', priority: '2' },
      ];
      for (const m of rest) node.receive(m);
      const outcomes = await pending;
      byTag(outcomes);
      assert.deepEqual(tags(outcomes), ['A', 'C', 'D', 'F', 'B', 'E']);
      assert.ok(outcomes.every((o) => o.kind === 'sent'), JSON.stringify(summarize(outcomes)));
      assert.equal(sim.maxInflight, 1);
      await stillWorks();
    });
  });

  describe('12. queue full', () => {
    it('beyond queueLimit messages fail at once with VOXCPM_QUEUE_FULL, the others are spoken', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, serverProps: { queueLimit: '2' } });
      sim.setFault({ kind: 'slow', ms: 800 });
      const started = Date.now();
      const at = new Map<unknown, number>();
      const stamp = (m: TestMessage) => at.set(m.n, Date.now() - started);
      (helper.getNode(IDS.out) as unknown as NodeJS.EventEmitter).on('input', stamp);
      (helper.getNode(IDS.caught) as unknown as NodeJS.EventEmitter).on('input', stamp);
      const outcomes = await run(messages(5), { settleMs: 100 });
      const map = byTag(outcomes);
      assert.equal(outcomes.length, 5);
      for (const n of [0, 1, 2]) assertAudio(map.get(n), `message ${n}`);
      for (const n of [3, 4]) {
        assertCaught(map.get(n), 'VOXCPM_QUEUE_FULL', `message ${n}`);
        assert.ok((at.get(n) as number) < 400, `message ${n} failed after ${String(at.get(n))} ms`);
      }
      // The two refused ones came out before the running one ended.
      assert.deepEqual(tags(outcomes).slice(0, 2).sort(), [3, 4]);
      assert.deepEqual(tags(outcomes).slice(2), [0, 1, 2]);
      assert.deepEqual(texts(calls(sim)), ['message 0', 'message 1', 'message 2']);
      assert.equal(sim.maxInflight, 1);
      // While one ran and two waited, the node said so.
      assert.ok(statusTexts(node).includes('voxcpm-tts.status.workingQueued'), JSON.stringify(statusTexts(node)));
      await stillWorks();
    });
  });

  describe('13. msg.reset', () => {
    it('ends the running and the queued messages with VOXCPM_ABORTED, and produces nothing itself', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url });
      sim.setFault({ kind: 'slow', ms: 3000 });
      const pending = run(messages(3), { count: 3, settleMs: 300 });
      await waitFor(() => sim.inflight === 1, 'the first message at the server');
      await sleep(50);
      assert.equal(service().state().queued, 2);
      const resetAt = Date.now();
      node.receive({ reset: true, n: 'reset' } as TestMessage);
      const outcomes = await pending;
      const map = byTag(outcomes);
      assert.equal(outcomes.length, 3, JSON.stringify(summarize(outcomes)));
      assert.ok(!map.has('reset'), 'the reset message produced an outcome');
      for (const n of [0, 1, 2]) {
        const o = map.get(n);
        assertCaught(o, 'VOXCPM_ABORTED', `message ${n}`);
        if (o?.kind === 'caught') assert.equal(o.msg.error.source?.type, 'voxcpm-tts');
      }
      assert.ok(Date.now() - resetAt < 1000, 'the messages did not end at once');
      await waitFor(() => sim.inflight === 0, 'the simulator to see the running request go away', 1000);
      assert.equal(calls(sim).length, 1);
      assert.equal(service().state().queued, 0);
      await stillWorks();
    });
  });

  describe('14. concurrency 2', () => {
    it('two requests at once at one server, never more', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { concurrency: '2' } });
      sim.setFault({ kind: 'slow', ms: 300 });
      const outcomes = await run(messages(6), { settleMs: 100 });
      byTag(outcomes);
      assert.equal(outcomes.length, 6);
      assert.ok(outcomes.every((o) => o.kind === 'sent'), JSON.stringify(summarize(outcomes)));
      assert.equal(calls(sim).length, 6);
      assert.equal(sim.maxInflight, 2);
      await stillWorks();
    });
  });

  describe('15. warm-up', () => {
    it('one real request at deploy, before any message, and the node says it is warm', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, serverProps: { warmup: true } });
      await waitFor(() => statusTexts(node).includes('voxcpm-tts.status.warm'), 'the warm status');
      assert.deepEqual(statuses(node).at(-1), { fill: 'green', shape: 'ring', text: 'voxcpm-tts.status.warm' });
      const warm = calls(sim);
      assert.equal(warm.length, 1);
      assert.notEqual(texts(warm)[0].trim(), '');
      const sentAt = Date.now();
      await stillWorks();
      assert.ok((calls(sim)[0] as unknown as { at: number }).at < sentAt, 'the warm-up came after the message');
      assert.deepEqual(texts(calls(sim)).slice(1), ['still alive']);
    });
  });

  describe('16. invalid control properties', () => {
    const cases: Array<[string, TestMessage]> = [
      ['msg.priority "high"', { payload: 'hello', n: 1, priority: 'high' }],
      ['msg.priority as an object', { payload: 'hello', n: 1, priority: { level: 1 } }],
      ['msg.timeout -1', { payload: 'hello', n: 1, timeout: -1 }],
      ['msg.timeout 0', { payload: 'hello', n: 1, timeout: 0 }],
      ['msg.timeout "soon"', { payload: 'hello', n: 1, timeout: 'soon' }],
    ];
    for (const [name, msg] of cases) {
      it(`${name}: VOXCPM_INPUT_INVALID before any request`, async () => {
        await loadFlow({ type: 'voxcpm-tts', url });
        const err = await expectCaught(msg);
        assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID', err.error.message);
        assert.match(err.error.message, /msg\.(priority|timeout)/);
        assert.equal(calls(sim).length, 0);
        await stillWorks();
      });
    }
  });

  describe('17. the deadline falls while a retry waits', () => {
    // msg.error.message is "CODE: text" (the error's toString()).
    // Before: both ended as VOXCPM_TIMEOUT "No answer within 2 s: the message waited in the queue",
    // hiding the 502 or the cut connection from a Catch flow.
    const cases = [
      ["a proxy's HTML 502 page", { kind: 'html-502' }, 'VOXCPM_HTTP', /^(?:VOXCPM_HTTP: )?HTTP 502 Bad Gateway from http:\/\/127\.0\.0\.1:\d+\/api\/tts: 502 Bad Gateway/],
      ['a reset connection', { kind: 'reset' }, 'VOXCPM_UNREACHABLE', /^(?:VOXCPM_UNREACHABLE: )?The connection to http:\/\/127\.0\.0\.1:\d+\/api\/tts was cut/],
    ] as const;
    for (const [name, fault, code, text] of cases) {
      it(`${name}, msg.timeout 2: ${code} with the fault's text and "after N attempts in 2 s", not VOXCPM_TIMEOUT`, async () => {
        await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '3', timeout: '10' } });
        sim.setFault(fault);
        const started = Date.now();
        const outcomes = await run([{ payload: 'the deadline falls in a backoff', n: 1, timeout: 2 }], { settleMs: 150 });
        const elapsed = Date.now() - started;
        assert.equal(outcomes.length, 1);
        assertCaught(outcomes[0], code, 'the message');
        const message = outcomes[0].kind === 'caught' ? outcomes[0].msg.error.message : '';
        assert.match(message, text);
        const attempts = /\(after (\d+) attempts in (\d+(?:\.\d)?) s\)$/.exec(message);
        assert.ok(attempts, message);
        // Cool-downs of 0.5 and 1 s: the third attempt is made at ~1.5 s, the fourth would be at ~3.5 s.
        assert.equal(Number(attempts[1]), calls(sim).length, message);
        assert.ok(calls(sim).length >= 2 && calls(sim).length <= 4, `${calls(sim).length} attempts`);
        assert.ok(Math.abs(Number(attempts[2]) - 2) <= 0.2, message);
        assert.ok(elapsed >= 1900 && elapsed < 3000, `took ${elapsed} ms`);
        await stillWorks();
      });
    }

    it('the last attempt itself runs out of time: VOXCPM_TIMEOUT, saying the attempts', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '3', timeout: '10' } });
      sim.setFault({ kind: 'html-502', times: 1 });
      const pending = run([{ payload: 'the retry is too slow', n: 1, timeout: 2 }], { settleMs: 150 });
      await waitFor(() => calls(sim).length === 1, 'the first attempt');
      sim.setFault({ kind: 'slow', ms: 5000 });
      const outcomes = await pending;
      assert.equal(outcomes.length, 1);
      assertCaught(outcomes[0], 'VOXCPM_TIMEOUT', 'the message');
      const message = outcomes[0].kind === 'caught' ? outcomes[0].msg.error.message : '';
      assert.match(message, /^(?:VOXCPM_TIMEOUT: )?No answer from http:\/\/127\.0\.0\.1:\d+\/api\/tts within \d+(\.\d)? s \(after 2 attempts in 2(\.\d)? s\)$/);
      assert.equal(calls(sim).length, 2);
      await waitFor(() => sim.inflight === 0, 'the simulator to see the request go away', 1000);
      await stillWorks();
    });

    it('no attempt could start (the server busy with another message): VOXCPM_TIMEOUT, waited in the queue', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { timeout: '10' } });
      sim.setFault({ kind: 'slow', ms: 1500, times: 1 });
      const outcomes = await run(
        [
          { payload: 'slow one', n: 1 },
          { payload: 'waits behind it', n: 2, timeout: 0.5 },
        ],
        { settleMs: 100 },
      );
      const map = byTag(outcomes);
      assertAudio(map.get(1), 'the slow message');
      assertCaught(map.get(2), 'VOXCPM_TIMEOUT', 'the waiting message');
      const o = map.get(2);
      assert.match(o?.kind === 'caught' ? o.msg.error.message : '', /^(?:VOXCPM_TIMEOUT: )?No answer within 0\.5 s: the message waited in the queue$/);
      assert.deepEqual(texts(calls(sim)), ['slow one']);
      await stillWorks();
    });
  });

  describe('health probes', () => {
    // Regression: a down server was once probed every 1 s for ever instead of the doubling wait
    // (500 ms, 1 s, 2 s, 4 s, then 5 s) that PoolOptions.probeMinMs documents.
    it('a server that stays down is probed less and less often (the wait doubles)', async () => {
      sim.setFault({ kind: 'loading', seconds: 30 });
      await loadFlow({ type: 'voxcpm-tts', url });
      // Probes due at 0, 0.5, 1.5 and 3.5 s: wait for the fourth.
      await waitFor(() => probes(sim).length >= 4, 'four probes', 4500);
      const at = probes(sim).map((r) => r.at);
      const gaps = at.slice(1).map((t, i) => t - at[i]);
      assert.ok(gaps[1] >= 800, `gaps ${JSON.stringify(gaps)}`);
      assert.ok(gaps[2] >= 1.5 * gaps[1], `the wait between probes does not grow: gaps ${JSON.stringify(gaps)} ms`);
    });
  });
});
