/**
 * Long text: spoken in pieces (maxChunk), in order, nothing lost, and joined into one message
 * with pauses, through a real Node-RED runtime and the simulator over real HTTP.
 */
import assert from 'node:assert/strict';
import { parseWav } from '../../nodes/lib/wav';
import { sleep, statusTexts, waitFor } from '../support/faults';
import { assertCovers, bodyText, gather, longChinese, RATE, service, toneFrames, useToneSimulator } from '../support/flows';
import { calls, codeOf, expectSent, helper, IDS, loadFlow, type ErrorMessage } from '../support/runtime';

describe('long text', function () {
  this.timeout(20000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));

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

  // Regression: every piece of a long text once took a place in the server's queue, so a message
  // with more pieces than the Queue setting failed with VOXCPM_QUEUE_FULL while it was the only
  // message. The Queue is how many MESSAGES may wait (the server's help).
  it('a long text alone in the queue is spoken even when it has more pieces than the queue limit', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150 }, serverProps: { queueLimit: 3 } });
    const text = longChinese('庚');
    const seen = await gather(() => helper.getNode(IDS.node).receive({ payload: text } as never), 1, { settleMs: 200 });
    const caught = seen.find((s) => s.kind === 'caught')?.msg as ErrorMessage | undefined;
    assert.equal(caught, undefined, caught ? `${String(codeOf(caught))}: ${caught.error.message}` : '');
    assert.deepEqual(seen.map((s) => s.kind), ['sent']);
  });
});
