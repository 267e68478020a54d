/**
 * The audio cache (voxcpm-server, on by default): in memory and in a folder on disk, through a
 * real Node-RED runtime (node-red-node-test-helper) and the simulator over real HTTP.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node } from 'node-red';
import { waitFor } from '../support/faults';
import { bodyText, gather, twoNodeFlow, useToneSimulator } from '../support/flows';
import { calls, codeOf, expectCaught, expectSent, helper, IDS, loadFlow, NODE_MODULES, serverKnown, type FlowOptions, type TestMessage } from '../support/runtime';

describe('the audio cache (voxcpm-server, on by default)', function () {
  this.timeout(20000);
  let url = '';
  const { sim, tmpDir, extraSim } = useToneSimulator((u) => (url = u));

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
