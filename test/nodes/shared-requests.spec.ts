/**
 * Identical requests in flight share one server call, with the cache off: two nodes, or two
 * messages to one node, through a real Node-RED runtime and the simulator over real HTTP.
 */
import assert from 'node:assert/strict';
import { gather, loadTwo, useToneSimulator } from '../support/flows';
import { calls, expectSent, helper, IDS, loadFlow } from '../support/runtime';

describe('identical requests in flight share one server call', function () {
  this.timeout(20000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));

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
