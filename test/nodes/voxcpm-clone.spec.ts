import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VoxCpmSimulator, encodeWav } from '../../simulator/simulator';
import { calls, codeOf, expectCaught, expectSent, helper, loadFlow, run, useSimulator, warnings } from '../support/runtime';

const EXAMPLE_REFERENCE = path.resolve(__dirname, '..', '..', '..', 'examples', 'reference-zh.wav');
const TRANSCRIPT = '大家好，欢迎来到今天的产品介绍。接下来我们将一起了解这个系统的核心功能。';

/** A WAV of `seconds` of a quiet tone at 16 kHz, made the way the simulator makes its answers. */
function wavOf(seconds: number): Buffer {
  const samples = new Float32Array(Math.round(16000 * seconds)).map((_, i) => 0.1 * Math.sin(i / 10));
  return encodeWav(samples, 16000, 'pcm16');
}

function lastBody(sim: VoxCpmSimulator): Record<string, unknown> {
  const all = calls(sim);
  return all[all.length - 1].body as Record<string, unknown>;
}

describe('voxcpm-clone through a real Node-RED runtime', function () {
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  const reference = fs.readFileSync(EXAMPLE_REFERENCE);
  let url = '';
  let tmp = '';

  useSimulator(sim, (u) => (url = u));
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-clone-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('mode 3: text + prompt + audio from a Buffer in msg.audio, sent as base64 byte for byte', async () => {
    await loadFlow({ type: 'voxcpm-clone', url, props: { prompt: '自然、稳定、语速适中' } });
    const msg = await expectSent({ payload: '这是一段通过参考音频克隆生成的新语音。', audio: reference, topic: 't' });
    const body = lastBody(sim);
    assert.deepEqual(Object.keys(body).sort(), ['audio', 'prompt', 'reference_text', 'text']);
    assert.equal(body.text, '这是一段通过参考音频克隆生成的新语音。');
    assert.equal(body.prompt, '自然、稳定、语速适中');
    assert.equal(body.reference_text, '');
    assert.ok(Buffer.from(body.audio as string, 'base64').equals(reference));
    assert.equal((msg.payload as Buffer).toString('latin1', 0, 4), 'RIFF');
    assert.equal(msg.topic, 't');
  });

  it('accepts base64 text and a data URL, and sends plain base64', async () => {
    await loadFlow({ type: 'voxcpm-clone', url });
    await expectSent({ payload: 'one', audio: reference.toString('base64') });
    assert.ok(Buffer.from(lastBody(sim).audio as string, 'base64').equals(reference));
    await expectSent({ payload: 'two', audio: `data:audio/wav;base64,${reference.toString('base64')}` });
    assert.equal(lastBody(sim).audio, reference.toString('base64'));
  });

  it('a Buffer from context storage ({"type":"Buffer","data":[…]} after a restart) is sent as the Buffer would be', async () => {
    const node = await loadFlow({ type: 'voxcpm-clone', url });
    // What a file-backed context store gives back: the Buffer's JSON form.
    node.context().flow.set('voice', JSON.parse(JSON.stringify(reference)));
    const stored = node.context().flow.get('voice') as { type: string; data: number[] };
    assert.equal(Buffer.isBuffer(stored), false);
    assert.equal(stored.type, 'Buffer');
    await expectSent({ payload: 'from a Buffer', audio: reference });
    const asBuffer = lastBody(sim).audio;
    await expectSent({ payload: 'from msg.audio', audio: stored });
    assert.equal(lastBody(sim).audio, asBuffer);
    await expectSent({ payload: { text: 'from payload.audio', audio: stored } });
    assert.equal(lastBody(sim).audio, asBuffer);
    assert.equal(warnings(node).length, 0);
    const err = await expectCaught({ payload: 'broken', audio: { type: 'Buffer', data: [...stored.data.slice(0, 60), 999] } });
    assert.equal(codeOf(err), 'VOXCPM_AUDIO_INVALID');
    assert.match(err.error.message, /msg\.audio is a Buffer stored as JSON/);
  });

  it('mode 4: with a transcript sends the prompt as "" and warns once per node', async () => {
    const node = await loadFlow({ type: 'voxcpm-clone', url, props: { prompt: 'cheerful', referenceText: TRANSCRIPT } });
    await expectSent({ payload: '接下来我们继续介绍系统的核心功能。', audio: reference });
    await expectSent({ payload: 'and again', audio: reference, prompt: 'sad' });
    for (const r of calls(sim)) {
      const b = r.body as Record<string, unknown>;
      assert.equal(b.prompt, '');
      assert.equal(b.reference_text, TRANSCRIPT);
    }
    assert.equal(warnings(node).filter((w) => /ultimate/.test(w)).length, 1);
  });

  it('without a transcript keeps the prompt (the server recognises the reference itself)', async () => {
    await loadFlow({ type: 'voxcpm-clone', url, props: { prompt: 'cheerful' } });
    await expectSent({ payload: 'hello', audio: reference });
    assert.equal(lastBody(sim).prompt, 'cheerful');
    assert.equal(lastBody(sim).reference_text, '');
  });

  it('payload object fields win over msg properties, which win over node settings', async () => {
    await loadFlow({ type: 'voxcpm-clone', url, props: { referenceText: 'node transcript', reference: EXAMPLE_REFERENCE } });
    const other = wavOf(6);
    await expectSent({ payload: 'a', referenceText: 'msg transcript' });
    assert.equal(lastBody(sim).reference_text, 'msg transcript');
    assert.ok(Buffer.from(lastBody(sim).audio as string, 'base64').equals(reference), 'node reference file');
    await expectSent({ payload: { text: 'b', audio: other.toString('base64'), reference_text: 'payload transcript' }, audio: reference, referenceText: 'msg' });
    assert.equal(lastBody(sim).reference_text, 'payload transcript');
    assert.ok(Buffer.from(lastBody(sim).audio as string, 'base64').equals(other));
    await expectSent({ payload: { text: 'c', reference_text: '' }, referenceText: 'msg' });
    assert.equal(lastBody(sim).reference_text, '', 'an empty payload field counts as given');
  });

  it('reads the reference file, relative paths from the user directory, and re-reads it when it changes', async () => {
    const file = path.join(tmp, 'voice.wav');
    fs.writeFileSync(file, wavOf(6));
    await loadFlow({ type: 'voxcpm-clone', url, props: { reference: file } });
    await expectSent({ payload: 'first' });
    assert.ok(Buffer.from(lastBody(sim).audio as string, 'base64').equals(wavOf(6)));
    fs.writeFileSync(file, wavOf(8));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    await expectSent({ payload: 'second' });
    assert.ok(Buffer.from(lastBody(sim).audio as string, 'base64').equals(wavOf(8)));
  });

  it('warns once about a reference outside 3–30 s, and about one that is not WAV, but sends it', async () => {
    const node = await loadFlow({ type: 'voxcpm-clone', url });
    await expectSent({ payload: 'short', audio: wavOf(1.5) });
    await expectSent({ payload: 'short again', audio: wavOf(1.5) });
    const mp3ish = Buffer.concat([Buffer.from('ID3\u0003\u0000'), Buffer.alloc(200, 7)]);
    await expectSent({ payload: 'not wav', audio: mp3ish });
    assert.ok(Buffer.from(lastBody(sim).audio as string, 'base64').equals(mp3ish));
    const w = warnings(node);
    assert.equal(w.filter((t) => /5–30 s/.test(t)).length, 1, JSON.stringify(w));
    assert.equal(w.filter((t) => /not a WAV/.test(t)).length, 1, JSON.stringify(w));
  });

  it('VOXCPM_AUDIO_INVALID for a file path or garbage in msg.audio, before any request', async () => {
    await loadFlow({ type: 'voxcpm-clone', url });
    const a = await expectCaught({ payload: 'x y', audio: '/home/pi/ref.wav' });
    assert.equal(codeOf(a), 'VOXCPM_AUDIO_INVALID');
    assert.match(a.error.message, /file-in/);
    const b = await expectCaught({ payload: 'x y', audio: '%%% not audio %%%' });
    assert.equal(codeOf(b), 'VOXCPM_AUDIO_INVALID');
    const c = await expectCaught({ payload: 'x y', audio: 12345 });
    assert.equal(codeOf(c), 'VOXCPM_AUDIO_INVALID');
    assert.equal(calls(sim).length, 0);
    await expectSent({ payload: 'still works', audio: reference });
  });

  it('VOXCPM_AUDIO_MISSING without a reference anywhere, or with a missing reference file', async () => {
    await loadFlow({ type: 'voxcpm-clone', url });
    const a = await expectCaught({ payload: 'hello' });
    assert.equal(codeOf(a), 'VOXCPM_AUDIO_MISSING');
    assert.match(a.error.message, /reference/);
    const b = await expectCaught({ payload: { text: 'hello', audio: '' }, audio: reference });
    assert.equal(codeOf(b), 'VOXCPM_AUDIO_MISSING');
    await helper.unload();
    await loadFlow({ type: 'voxcpm-clone', url, props: { reference: path.join(tmp, 'nope.wav') } });
    const c = await expectCaught({ payload: 'hello' });
    assert.equal(codeOf(c), 'VOXCPM_AUDIO_MISSING');
    assert.match(c.error.message, /nope\.wav/);
    assert.equal(calls(sim).length, 0);
  });

  it('a reference file that is not WAV (e.g. a copy of /etc/passwd) is VOXCPM_AUDIO_INVALID and never sent', async () => {
    const file = path.join(tmp, 'passwd');
    fs.writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\n'.repeat(4));
    await loadFlow({ type: 'voxcpm-clone', url, props: { reference: file } });
    const e = await expectCaught({ payload: 'hello' });
    assert.equal(codeOf(e), 'VOXCPM_AUDIO_INVALID');
    assert.match(e.error.message, /passwd is not a WAV file/);
    assert.equal(calls(sim).length, 0, 'nothing reached the server');
  });

  it('a FIFO or a link to /dev/zero as the reference file is refused within a second, and the next messages still run', async function () {
    const fifo = path.join(tmp, 'voice.wav');
    if (spawnSync('mkfifo', [fifo]).status !== 0) this.skip();
    fs.symlinkSync('/dev/zero', path.join(tmp, 'zero.wav'));
    for (const [file, kind] of [[fifo, /FIFO/], [path.join(tmp, 'zero.wav'), /character device/]] as const) {
      await helper.unload();
      await loadFlow({ type: 'voxcpm-clone', url, props: { reference: file } });
      const started = Date.now();
      // More messages than libuv has threads: none may block one.
      const outcomes = await run([1, 2, 3, 4, 5].map((i) => ({ payload: `hello ${i}` })), { settleMs: 0, timeoutMs: 5000 });
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.equal(outcomes.length, 5);
      for (const o of outcomes) {
        assert.equal(o.kind, 'caught');
        if (o.kind !== 'caught') continue;
        assert.equal(codeOf(o.msg), 'VOXCPM_AUDIO_INVALID');
        assert.match(o.msg.error.message, kind);
      }
    }
    await expectSent({ payload: 'still works', audio: reference });
  });

  it('unpadded URL-safe base64 in msg.audio is sent as the exact standard padded string', async () => {
    await loadFlow({ type: 'voxcpm-clone', url });
    const wav = Buffer.concat([wavOf(6), Buffer.from([0xfb, 0xff, 0xbf])]);
    const audio = wav.length % 3 === 0 ? wav.subarray(0, wav.length - 1) : wav;
    const urlSafe = audio.toString('base64url');
    assert.match(urlSafe, /[-_]/);
    assert.doesNotMatch(urlSafe, /=/);
    await expectSent({ payload: 'url-safe', audio: urlSafe });
    assert.equal(lastBody(sim).audio, audio.toString('base64'));
    await expectSent({ payload: 'unpadded', audio: audio.toString('base64').replace(/=+$/, '') });
    assert.equal(lastBody(sim).audio, audio.toString('base64'));
  });

  it('a msg.audio over the 50 MB limit is VOXCPM_AUDIO_INVALID naming the limit, before any request', async () => {
    await loadFlow({ type: 'voxcpm-clone', url });
    const big = Buffer.alloc(60 * 1024 * 1024);
    big.write('RIFF', 0, 'latin1');
    const e = await expectCaught({ payload: 'hello', audio: big });
    assert.equal(codeOf(e), 'VOXCPM_AUDIO_INVALID');
    assert.match(e.error.message, /more than the limit of 50 MB/);
    assert.equal(calls(sim).length, 0);
  });

  it('a server error during cloning reaches the Catch node with the server message', async () => {
    await loadFlow({ type: 'voxcpm-clone', url });
    sim.setFault({ kind: 'error-in-200', message: 'audio is not valid base64', times: 1 });
    const e = await expectCaught({ payload: 'hello', audio: reference });
    assert.equal(codeOf(e), 'VOXCPM_SERVER_ERROR');
    assert.match(e.error.message, /audio is not valid base64/);
    assert.equal(e.error.source?.type, 'voxcpm-clone');
  });
});
