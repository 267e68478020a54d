import assert from 'node:assert/strict';
import { VoxCpmSimulator, WAV_SHAPES } from '../../simulator/simulator';
import { calls, expectCaught, expectSent, helper, IDS, loadFlow, run, useSimulator, warnings } from '../support/runtime';

/** The bodies the simulator received, parsed. */
function bodies(sim: VoxCpmSimulator): Array<Record<string, unknown>> {
  return calls(sim).map((r) => r.body as Record<string, unknown>);
}

describe('voxcpm-tts through a real Node-RED runtime', function () {
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  let url = '';

  useSimulator(sim, (u) => (url = u));

  it('loads with its config node and shows no status until it works', async () => {
    const node = await loadFlow({ type: 'voxcpm-tts', url });
    assert.equal(node.type, 'voxcpm-tts');
    const server = helper.getNode(IDS.server) as unknown as { service: { endpoint?: string } };
    assert.equal(server.service.endpoint, `${url}/api/tts`);
  });

  it('mode 1: sends all four keys as strings and sends the WAV on with its metadata, keeping the msg', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const res = { marker: 'http response object' };
    const msg = await expectSent({ payload: '  洗衣机已经洗好了。 ', topic: 'laundry', filename: '/tmp/x.wav', res });
    assert.deepEqual(bodies(sim), [{ text: '洗衣机已经洗好了。', prompt: '', audio: '', reference_text: '' }]);
    assert.equal(calls(sim)[0].headers['content-type'], 'application/json');
    const wav = msg.payload as Buffer;
    assert.ok(Buffer.isBuffer(wav));
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    assert.equal(wav.toString('latin1', 8, 12), 'WAVE');
    assert.equal(msg.sampleRate, 48000);
    assert.equal(msg.channels, 1);
    assert.equal(msg.bitDepth, 16, "the simulator's default: 16-bit PCM, as python-soundfile writes");
    assert.equal(msg.contentType, 'audio/wav');
    assert.equal(typeof msg.duration, 'number');
    assert.ok((msg.duration as number) > 0.3, `duration ${String(msg.duration)}`);
    assert.equal(msg.topic, 'laundry');
    assert.equal(msg.filename, '/tmp/x.wav');
    assert.deepEqual(msg.res, res);
    assert.equal(typeof msg._msgid, 'string');
  });

  it('speaks numbers in msg.payload as text', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    await expectSent({ payload: 42 });
    assert.equal(bodies(sim)[0].text, '42');
  });

  it('mode 2: node prompt < msg.prompt < payload.prompt, and an empty payload.prompt means none', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, props: { prompt: '正式、清晰、语速稍慢' } });
    await expectSent({ payload: 'a' + 'b'.repeat(5) });
    await expectSent({ payload: 'hello there', prompt: 'cheerful child' });
    await expectSent({ payload: { text: 'hello there', prompt: '年轻女性,声音温柔甜美,语速适中' }, prompt: 'cheerful child' });
    await expectSent({ payload: { text: 'hello there', prompt: '' }, prompt: 'cheerful child' });
    // Another text: the same text and prompt again would come from the cache.
    await expectSent({ payload: 'hello once more', prompt: '' });
    assert.deepEqual(
      bodies(sim).map((b) => b.prompt),
      ['正式、清晰、语速稍慢', 'cheerful child', '年轻女性,声音温柔甜美,语速适中', '', ''],
    );
  });

  it("accepts a request body copied from the service's document unchanged", async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const body = { text: '欢迎使用 VoxCPM2 语音合成服务。', prompt: '年轻女性,声音温柔甜美,语速适中', audio: '', reference_text: '' };
    await expectSent({ payload: { ...body } });
    assert.deepEqual(bodies(sim), [body]);
  });

  it('never sends reference audio: drops it with one warning per node that points to voxcpm-clone', async () => {
    const node = await loadFlow({ type: 'voxcpm-tts', url });
    await expectSent({ payload: { text: 'one', audio: 'UklGRiQAAABXQVZF', reference_text: 'hi' } });
    await expectSent({ payload: 'two', audio: Buffer.from('RIFF'), referenceText: 'hi' });
    for (const b of bodies(sim)) {
      assert.equal(b.audio, '');
      assert.equal(b.reference_text, '');
    }
    const w = warnings(node).filter((t) => t.includes('voxcpm-clone'));
    assert.equal(w.length, 1, `warnings: ${JSON.stringify(warnings(node))}`);
  });

  for (const shape of WAV_SHAPES) {
    it(`reads the server's WAV when it is ${shape}`, async () => {
      sim.setFormat(shape);
      await loadFlow({ type: 'voxcpm-tts', url });
      const msg = await expectSent({ payload: 'The washing machine is done.' });
      assert.equal(msg.sampleRate, 48000);
      assert.equal(msg.channels, shape === 'stereo' ? 2 : 1);
      assert.equal(msg.bitDepth, shape === 'pcm16' || shape === 'stereo' || shape === 'list-chunk' ? 16 : 32);
      const seconds = (msg.payload as Buffer).length / (48000 * (msg.channels as number) * ((msg.bitDepth as number) / 8));
      assert.ok(Math.abs(seconds - (msg.duration as number)) < 0.05, `${seconds} vs ${String(msg.duration)}`);
    });
  }

  it('reads the rate from the WAV header when the JSON sample_rate disagrees, and warns once', async () => {
    sim.setFormat('pcm16');
    sim.setSampleRate(16000);
    const node = await loadFlow({ type: 'voxcpm-tts', url });
    sim.setFault({ kind: 'rate-mismatch', sampleRate: 48000 });
    const msg = await expectSent({ payload: 'rate check' });
    await expectSent({ payload: 'rate check again' });
    assert.equal(msg.sampleRate, 16000);
    assert.equal(warnings(node).filter((w) => w.includes('sample_rate')).length, 1);
  });

  it('works behind a reverse-proxy path prefix and with the full endpoint URL', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: `${url}/voxcpm/` });
    await expectSent({ payload: 'prefixed' });
    await helper.unload();
    await loadFlow({ type: 'voxcpm-tts', url: `${url}/api/tts` });
    await expectSent({ payload: 'full endpoint' });
    assert.deepEqual(
      calls(sim).map((r) => r.path),
      ['/voxcpm/api/tts', '/api/tts'],
    );
  });

  it('shows working while the request is out, then the result; red ring with the code on failure', async () => {
    const node = await loadFlow({ type: 'voxcpm-tts', url });
    sim.setFault({ kind: 'slow', ms: 300, times: 1 });
    const statuses: unknown[] = [];
    (node as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: unknown[] }) => statuses.push(call.args[0]));
    await expectSent({ payload: 'status please' });
    // Status updates are batched every 100 ms: let the result show before the next message.
    await new Promise((r) => setTimeout(r, 200));
    sim.setFault({ kind: 'inference-failed', times: 1 });
    await expectCaught({ payload: 'this fails' });
    await new Promise((r) => setTimeout(r, 200));
    // Before the message: the idle status ("ready" once the server answered its probe).
    const working = statuses.findIndex((x) => JSON.stringify(x) === JSON.stringify({ fill: 'blue', shape: 'dot', text: 'voxcpm-tts.status.working' }));
    assert.ok(working >= 0, JSON.stringify(statuses));
    assert.deepEqual(statuses[working + 1], { fill: 'green', shape: 'dot', text: 'voxcpm-tts.status.done' });
    assert.deepEqual(statuses[statuses.length - 1], { fill: 'red', shape: 'ring', text: 'VOXCPM_SERVER_ERROR' });
  });

  it('stops promptly on redeploy/close while a request is out, without sending anything', async () => {
    const node = await loadFlow({ type: 'voxcpm-tts', url });
    sim.setFault({ kind: 'slow', ms: 5000 });
    const out = helper.getNode(IDS.out);
    let sent = 0;
    (out as unknown as NodeJS.EventEmitter).on('input', () => sent++);
    node.receive({ payload: 'long one' } as never);
    while (sim.inflight === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    for (let i = 0; i < 50 && sim.inflight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sim.inflight, 0, 'the server still sees the request');
    assert.equal(sent, 0);
  });

  it('handles several messages at once, each with exactly one outcome', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const outcomes = await run(
      Array.from({ length: 6 }, (_, i) => ({ payload: i % 3 === 2 ? '' : `message ${i}`, n: i })),
      { settleMs: 100 },
    );
    assert.equal(outcomes.length, 6);
    const byN = new Map(outcomes.map((o) => [o.msg.n, o.kind]));
    assert.equal(byN.size, 6);
    for (let i = 0; i < 6; i++) assert.equal(byN.get(i), i % 3 === 2 ? 'caught' : 'sent');
  });
});
