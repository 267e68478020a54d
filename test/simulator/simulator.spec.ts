// Tests of the VoxCPM2 simulator itself (simulator/simulator.ts), through real HTTP with Node's fetch.
// The WAV checks read the bytes here rather than reuse the simulator's own code.

import { strict as assert } from 'node:assert';
import { DEFAULT_WAV_SHAPE, VoxCpmSimulator, type SimFault, type WavShape } from '../../simulator/simulator';
import { espeakVoiceFor, speak } from '../../simulator/speech';

interface WavInfo {
  riffSize: number;
  chunks: { id: string; size: number }[];
  fmtSize: number;
  tag: number;
  channels: number;
  rate: number;
  byteRate: number;
  blockAlign: number;
  bits: number;
  subformat?: string;
  dataBytes: number;
}

/** Walks the RIFF chunks, honouring pad bytes. */
function readWav(buf: Buffer): WavInfo {
  assert.equal(buf.toString('latin1', 0, 4), 'RIFF');
  assert.equal(buf.toString('latin1', 8, 12), 'WAVE');
  const chunks: { id: string; size: number }[] = [];
  let fmt: Buffer | undefined;
  let dataBytes = -1;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    chunks.push({ id, size });
    if (id === 'fmt ') fmt = buf.subarray(off + 8, off + 8 + size);
    if (id === 'data') dataBytes = Math.min(size, buf.length - off - 8);
    off += 8 + size + (size & 1);
  }
  assert.ok(fmt, 'fmt chunk present');
  assert.ok(dataBytes >= 0, 'data chunk present');
  return {
    riffSize: buf.readUInt32LE(4),
    chunks,
    fmtSize: fmt.length,
    tag: fmt.readUInt16LE(0),
    channels: fmt.readUInt16LE(2),
    rate: fmt.readUInt32LE(4),
    byteRate: fmt.readUInt32LE(8),
    blockAlign: fmt.readUInt16LE(12),
    bits: fmt.readUInt16LE(14),
    subformat: fmt.length >= 40 ? fmt.subarray(24, 40).toString('hex') : undefined,
    dataBytes,
  };
}

function seconds(info: WavInfo): number {
  return info.dataBytes / info.blockAlign / info.rate;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

interface TtsAnswer {
  status: number;
  type: string | null;
  text: string;
  json?: Record<string, unknown>;
}

describe('VoxCPM2 simulator', function () {
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  let base = '';

  async function tts(body: unknown, path = '/api/tts', init: RequestInit = {}): Promise<TtsAnswer> {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.status, type: res.headers.get('content-type'), text, json };
  }

  const req = (text: string) => ({ text, prompt: '', audio: '', reference_text: '' });

  function wavOf(answer: TtsAnswer): Buffer {
    assert.equal(answer.json?.status, 'success', answer.text.slice(0, 200));
    assert.equal(typeof answer.json?.audio, 'string');
    return Buffer.from(answer.json?.audio as string, 'base64');
  }

  before(async () => {
    base = await sim.start();
  });
  after(() => sim.stop());
  afterEach(() => {
    sim.reset();
    sim.setFormat(DEFAULT_WAV_SHAPE);
    sim.setSampleRate(48000);
  });

  describe('audio', () => {
    const expected: Record<WavShape, { tag: number; channels: number; bits: number; fmtSize: number; chunks: string[] }> = {
      float32: { tag: 3, channels: 1, bits: 32, fmtSize: 18, chunks: ['fmt ', 'fact', 'data'] },
      pcm16: { tag: 1, channels: 1, bits: 16, fmtSize: 16, chunks: ['fmt ', 'data'] },
      stereo: { tag: 1, channels: 2, bits: 16, fmtSize: 16, chunks: ['fmt ', 'data'] },
      extensible: { tag: 0xfffe, channels: 1, bits: 32, fmtSize: 40, chunks: ['fmt ', 'fact', 'data'] },
      'list-chunk': { tag: 1, channels: 1, bits: 16, fmtSize: 16, chunks: ['fmt ', 'LIST', 'data'] },
    };
    it('answers 16-bit PCM by default (python-soundfile\'s default), float32 when asked', async () => {
      assert.equal(DEFAULT_WAV_SHAPE, 'pcm16');
      const plain = new VoxCpmSimulator({ voice: 'tone' });
      const float = new VoxCpmSimulator({ voice: 'tone', format: 'float32' });
      assert.deepEqual([readWav(await plain.synthesize('hi')).tag, readWav(await plain.synthesize('hi')).bits], [1, 16]);
      assert.deepEqual([readWav(await float.synthesize('hi')).tag, readWav(await float.synthesize('hi')).bits], [3, 32]);
    });

    for (const [shape, want] of Object.entries(expected) as [WavShape, (typeof expected)[WavShape]][]) {
      it(`answers a ${shape} WAV with matching header fields`, async () => {
        sim.setFormat(shape);
        const answer = await tts(req('Hello there'));
        assert.equal(answer.status, 200);
        assert.match(answer.type ?? '', /application\/json/);
        assert.equal(answer.json?.sample_rate, 48000);
        const wav = wavOf(answer);
        const info = readWav(wav);
        assert.equal(info.riffSize, wav.length - 8);
        assert.equal(info.tag, want.tag);
        assert.equal(info.channels, want.channels);
        assert.equal(info.bits, want.bits);
        assert.equal(info.rate, 48000);
        assert.equal(info.blockAlign, (want.channels * want.bits) / 8);
        assert.equal(info.byteRate, 48000 * info.blockAlign);
        assert.equal(info.fmtSize, want.fmtSize);
        assert.deepEqual(
          info.chunks.map((c) => c.id),
          want.chunks,
        );
        // 11 characters at 0.08 s each
        assert.ok(Math.abs(seconds(info) - 0.88) < 0.01, `duration ${seconds(info)}`);
      });
    }

    it('extensible carries the IEEE float subformat GUID', async () => {
      sim.setFormat('extensible');
      const info = readWav(wavOf(await tts(req('guid'))));
      assert.equal(info.subformat, '0300000000001000800000aa00389b71');
    });

    it('list-chunk has odd LIST contents followed by a pad byte', async () => {
      sim.setFormat('list-chunk');
      const wav = wavOf(await tts(req('list')));
      const list = readWav(wav).chunks.find((c) => c.id === 'LIST');
      assert.ok(list);
      assert.equal(list.size % 2, 1);
      const at = wav.indexOf('LIST', 12, 'latin1');
      assert.equal(wav.toString('latin1', at + 8, at + 12), 'INFO');
      assert.equal(wav[at + 8 + list.size], 0, 'pad byte');
      assert.equal(wav.toString('latin1', at + 8 + list.size + 1, at + 8 + list.size + 5), 'data');
    });

    it('follows setSampleRate in the header and the JSON', async () => {
      sim.setSampleRate(24000);
      const answer = await tts(req('rate'));
      assert.equal(answer.json?.sample_rate, 24000);
      assert.equal(readWav(wavOf(answer)).rate, 24000);
    });

    it('uses durationFor for the tone length', async () => {
      const timed = new VoxCpmSimulator({ voice: 'tone', format: 'pcm16', sampleRate: 16000, durationFor: () => 1.5 });
      const url = await timed.start();
      try {
        const res = await fetch(url + '/api/tts', { method: 'POST', body: JSON.stringify(req('x')) });
        const json = (await res.json()) as { audio: string };
        const info = readWav(Buffer.from(json.audio, 'base64'));
        assert.equal(info.rate, 16000);
        assert.equal(info.dataBytes, 1.5 * 16000 * 2);
      } finally {
        await timed.stop();
      }
    });

    it('speaks Chinese with eSpeak NG (voice cmn), resampled to 48 kHz', async function () {
      this.timeout(15000);
      const text = '欢迎使用语音合成服务。';
      assert.equal(espeakVoiceFor(text), 'cmn');
      assert.equal(espeakVoiceFor('Hello'), 'en-us');
      const spoken = await speak(text);
      assert.equal(spoken.sampleRate, 22050, 'eSpeak output, not the tone fallback');

      const speech = new VoxCpmSimulator({ voice: 'speech', format: 'float32' }); // its samples are read as floats below
      const url = await speech.start();
      try {
        const res = await fetch(url + '/voxcpm/api/tts', { method: 'POST', body: JSON.stringify(req(text)) });
        assert.equal(res.status, 200);
        const json = (await res.json()) as { sample_rate: number; audio: string };
        const wav = Buffer.from(json.audio, 'base64');
        assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
        const info = readWav(wav);
        assert.equal(info.tag, 3);
        assert.equal(info.rate, 48000);
        assert.ok(seconds(info) > 0.5, `duration ${seconds(info)}`);
        // Same length as eSpeak's own output: the simulator used the speech, not a tone.
        assert.ok(Math.abs(seconds(info) - spoken.samples.length / 22050) < 0.01);
        const samples = new Float32Array(wav.buffer.slice(wav.byteOffset + wav.length - info.dataBytes, wav.byteOffset + wav.length));
        assert.ok(samples.some((s) => Math.abs(s) > 0.05), 'not silence');
      } finally {
        await speech.stop();
      }
    });
  });

  describe('requests and errors', () => {
    it('rejects empty, blank and missing text with 400 "text cannot be empty"', async () => {
      for (const body of [req(''), req('   '), { prompt: 'x' }]) {
        const answer = await tts(body);
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.json, { status: 'error', message: 'text cannot be empty' });
      }
    });

    it('rejects a non-JSON body with 400 error JSON and keeps serving', async () => {
      const answer = await tts('{"text": oops');
      assert.equal(answer.status, 400);
      assert.equal(answer.json?.status, 'error');
      assert.equal(sim.requests[0].body, '{"text": oops');
      assert.equal((await tts(req('still alive'))).status, 200);
    });

    it('checks reference audio is base64, plain or as a data URL', async () => {
      const bad = await tts({ ...req('clone'), audio: 'not*base64!' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json, { status: 'error', message: 'audio is not valid base64' });
      const b64 = Buffer.from('RIFF....WAVE').toString('base64');
      assert.equal((await tts({ ...req('clone'), audio: b64 })).status, 200);
      assert.equal((await tts({ ...req('clone'), audio: `data:audio/wav;base64,${b64}` })).status, 200);
    });

    it('answers 404 JSON elsewhere, 405 for GET, and accepts a path prefix', async () => {
      const missing = await tts(req('x'), '/api/other');
      assert.equal(missing.status, 404);
      assert.equal(missing.json?.status, 'error');
      const get = await fetch(base + '/api/tts');
      assert.equal(get.status, 405);
      assert.equal((await tts(req('x'), '/voxcpm/api/tts?x=1')).status, 200);
      assert.equal(sim.requests.at(-1)?.path, '/voxcpm/api/tts');
    });

    it('records requests in order with path, headers and parsed body', async () => {
      const before = Date.now();
      await tts(req('one'), '/api/tts', { headers: { 'content-type': 'application/json', authorization: 'Bearer k' } });
      await tts({ ...req('two'), prompt: 'calm' });
      assert.equal(sim.requests.length, 2);
      assert.deepEqual(sim.requests[0].body, req('one'));
      assert.equal(sim.requests[0].headers.authorization, 'Bearer k');
      assert.equal((sim.requests[1].body as { prompt: string }).prompt, 'calm');
      assert.ok(sim.requests[0].at >= before && sim.requests[1].at >= sim.requests[0].at);
      sim.clearRequests();
      assert.equal(sim.requests.length, 0);
      assert.equal(sim.maxInflight, 0);
    });

    it('answers 413 to a body over the limit', async () => {
      const small = new VoxCpmSimulator({ voice: 'tone', maxBodyBytes: 1000 });
      const url = await small.start();
      try {
        const res = await fetch(url + '/api/tts', { method: 'POST', body: JSON.stringify(req('x'.repeat(5000))) });
        assert.equal(res.status, 413);
        assert.equal(((await res.json()) as { status: string }).status, 'error');
        const ok = await fetch(url + '/api/tts', { method: 'POST', body: JSON.stringify(req('fits')) });
        assert.equal(ok.status, 200);
      } finally {
        await small.stop();
      }
    });
  });

  describe('faults', () => {
    it('inference-failed: 500 error JSON', async () => {
      sim.setFault({ kind: 'inference-failed' });
      const answer = await tts(req('x'));
      assert.equal(answer.status, 500);
      assert.deepEqual(answer.json, { status: 'error', message: 'inference failed' });
    });

    it('slow: answers normally after the delay', async () => {
      sim.setFault({ kind: 'slow', ms: 300 });
      const t0 = Date.now();
      const answer = await tts(req('slow'));
      assert.ok(Date.now() - t0 >= 280);
      assert.equal(readWav(wavOf(answer)).rate, 48000);
    });

    it('slow: drops its timer when the client goes away', async () => {
      sim.setFault({ kind: 'slow', ms: 5000 });
      const ac = new AbortController();
      const pending = tts(req('bye'), '/api/tts', { signal: ac.signal });
      await until(() => sim.pendingTimers === 1);
      ac.abort();
      await assert.rejects(pending);
      await until(() => sim.pendingTimers === 0 && sim.inflight === 0);
    });

    it('html-502: nginx HTML page', async () => {
      sim.setFault({ kind: 'html-502' });
      const answer = await tts(req('x'));
      assert.equal(answer.status, 502);
      assert.match(answer.type ?? '', /^text\/html/);
      assert.match(answer.text, /502 Bad Gateway/);
      assert.equal(answer.json, undefined);
    });

    it('error-in-200: HTTP 200 with an error body', async () => {
      sim.setFault({ kind: 'error-in-200', message: 'CUDA out of memory' });
      const answer = await tts(req('x'));
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: 'error', message: 'CUDA out of memory' });
    });

    it('bad-base64: success whose audio is not base64', async () => {
      sim.setFault({ kind: 'bad-base64' });
      const answer = await tts(req('x'));
      assert.equal(answer.json?.status, 'success');
      assert.doesNotMatch(answer.json?.audio as string, /^[A-Za-z0-9+/]*={0,2}$/);
    });

    it('not-wav: success whose audio is base64 of something else', async () => {
      sim.setFault({ kind: 'not-wav' });
      const answer = await tts(req('x'));
      const audio = answer.json?.audio as string;
      assert.match(audio, /^[A-Za-z0-9+/]+={0,2}$/);
      const bytes = Buffer.from(audio, 'base64');
      assert.ok(bytes.length > 12);
      assert.notEqual(bytes.toString('latin1', 0, 4), 'RIFF');
    });

    it('not-json: 200 text/plain that does not parse', async () => {
      sim.setFault({ kind: 'not-json' });
      const answer = await tts(req('x'));
      assert.equal(answer.status, 200);
      assert.match(answer.type ?? '', /^text\/plain/);
      assert.ok(answer.text.length > 0);
      assert.equal(answer.json, undefined);
    });

    it('no-audio: success without audio', async () => {
      sim.setFault({ kind: 'no-audio' });
      const answer = await tts(req('x'));
      assert.deepEqual(answer.json, { status: 'success', sample_rate: 48000 });
    });

    it('rate-mismatch: JSON rate differs from the header', async () => {
      sim.setFault({ kind: 'rate-mismatch' });
      const answer = await tts(req('x'));
      assert.equal(answer.json?.sample_rate, 24000);
      assert.equal(readWav(wavOf(answer)).rate, 48000);
    });

    it('reset: the connection drops without an answer', async () => {
      sim.setFault({ kind: 'reset' });
      await assert.rejects(tts(req('x')), TypeError);
      assert.equal(sim.requests.length, 1, 'the request was still recorded');
    });

    it('reset-mid-answer: headers arrive, the body is cut', async () => {
      sim.setFault({ kind: 'reset-mid-answer' });
      const res = await fetch(base + '/api/tts', { method: 'POST', body: JSON.stringify(req('cut me off')) });
      assert.equal(res.status, 200);
      await assert.rejects(res.text());
    });

    it('loading: 503 "model loading" until the seconds pass, then normal', async () => {
      sim.setFault({ kind: 'loading', seconds: 0.3 });
      const early = await tts(req('x'));
      assert.equal(early.status, 503);
      assert.deepEqual(early.json, { status: 'error', message: 'model loading' });
      await sleep(350);
      const later = await tts(req('x'));
      assert.equal(later.status, 200);
      assert.equal(later.json?.status, 'success');
      assert.equal(sim.fault, null);
    });

    it('oversize: a valid answer at least `bytes` long', async () => {
      sim.setFault({ kind: 'oversize', bytes: 3_000_000 });
      const answer = await tts(req('big'));
      assert.ok(answer.text.length >= 3_000_000, `${answer.text.length}`);
      assert.ok(answer.text.length < 3_000_100, `${answer.text.length}`);
      const info = readWav(wavOf(answer));
      assert.equal(info.rate, 48000);
      assert.ok(seconds(info) > 10);
    });

    it('times: fails twice, then succeeds', async () => {
      sim.setFault({ kind: 'inference-failed', times: 2 });
      assert.equal((await tts(req('1'))).status, 500);
      assert.equal((await tts(req('2'))).status, 500);
      assert.equal(sim.fault, null);
      assert.equal((await tts(req('3'))).status, 200);
    });

    it('rejects a malformed fault', () => {
      assert.throws(() => sim.setFault({ kind: 'nope' } as unknown as SimFault), /unknown fault kind/);
      assert.throws(() => sim.setFault({ kind: 'slow', ms: -1 }), /non-negative/);
      assert.throws(() => sim.setFault({ kind: 'reset', times: 0 }), /positive integer/);
      assert.equal(sim.fault, null);
    });
  });

  describe('control endpoints', () => {
    it('sets faults, lists requests without audio, resets', async () => {
      let res = await fetch(base + '/_sim/fault', { method: 'POST', body: JSON.stringify({ kind: 'inference-failed', times: 1 }) });
      assert.equal(res.status, 200);
      assert.equal(sim.fault?.kind, 'inference-failed');
      assert.equal((await tts({ ...req('x'), audio: 'QUJD' })).status, 500);

      res = await fetch(base + '/_sim/requests');
      const listed = (await res.json()) as { requests: { path: string; body: { audio: unknown } }[] };
      assert.equal(listed.requests.length, 1);
      assert.equal(listed.requests[0].body.audio, 4);

      res = await fetch(base + '/_sim/fault', { method: 'POST', body: '{"kind":"bogus"}' });
      assert.equal(res.status, 400);

      sim.setFault({ kind: 'html-502' });
      res = await fetch(base + '/_sim/reset', { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal(sim.fault, null);
      assert.equal(sim.requests.length, 0);

      res = await fetch(base + '/_sim/fault', { method: 'POST', body: 'null' });
      assert.equal(res.status, 200);
    });
  });

  describe('concurrency and shutdown', () => {
    it('counts concurrent requests in maxInflight', async () => {
      sim.setFault({ kind: 'slow', ms: 200 });
      const answers = await Promise.all([1, 2, 3, 4].map((i) => tts(req(`n${i}`))));
      assert.ok(answers.every((a) => a.status === 200));
      assert.equal(sim.maxInflight, 4);
      await until(() => sim.inflight === 0);
      sim.clearRequests();
      assert.equal(sim.maxInflight, 0);
    });

    it('stop() returns promptly with a slow request in progress', async () => {
      const own = new VoxCpmSimulator({ voice: 'tone' });
      const url = await own.start();
      own.setFault({ kind: 'slow', ms: 10000 });
      const pending = fetch(url + '/api/tts', { method: 'POST', body: JSON.stringify(req('x')) });
      pending.catch(() => undefined);
      await until(() => own.inflight === 1 && own.pendingTimers === 1);
      const t0 = Date.now();
      await own.stop();
      assert.ok(Date.now() - t0 < 1000, `stop took ${Date.now() - t0} ms`);
      assert.equal(own.pendingTimers, 0);
      await assert.rejects(pending);
      assert.throws(() => own.url, /not started/);
    });
  });
});
