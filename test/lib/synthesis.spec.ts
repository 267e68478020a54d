/**
 * speak / speakPieces against a stand-in for VoxcpmService: what is asked of the
 * server, in which order, what is joined, what the cache gives back, and that a
 * failure ends everything else still running (and is never left unhandled).
 */
import assert from 'node:assert/strict';
import { AudioCache } from '../../nodes/lib/cache';
import type { TtsRequestBody } from '../../nodes/lib/client';
import { abortError, VoxcpmError } from '../../nodes/lib/errors';
import type { RequestOptions, ServiceLimits, SharedResult, VoxcpmService } from '../../nodes/lib/service';
import { AudioSettings, outputShape, Piece, Synthesizer, type SpeakOptions, type SpokenAudio } from '../../nodes/lib/synthesis';
import { parseWav, type WavInfo } from '../../nodes/lib/wav';
import { encodeWav } from '../../simulator/simulator';
import { tone } from '../../simulator/speech';

const RATE = 48000;
/** 10 ms of audio per character, whole frames. */
const framesOf = (text: string) => Math.round(text.length * 0.01 * RATE);
/** The WAV header of a result (these tests make WAV only). */
const wavInfo = (audio: SpokenAudio): WavInfo => parseWav(audio.file);

interface Behaviour {
  delay?: number;
  fail?: VoxcpmError;
}

/** Records every call; answers each text after its delay, with a tone as long as the text. */
class FakeService {
  readonly endpoints = ['http://fake:5022/api/tts'];
  readonly timeoutMs = 300_000;
  limits: ServiceLimits = { maxTextChars: 20_000, maxAudioBytes: 100 * 1024 * 1024, window: 8 };
  cache?: AudioCache;
  ticket(): number {
    return 0;
  }
  readonly calls: Array<{ text: string; signal?: AbortSignal; settled: boolean }> = [];
  constructor(private readonly behaviour: (text: string) => Behaviour = () => ({})) {}

  async synthesize(body: TtsRequestBody, options: RequestOptions): Promise<SharedResult> {
    const call = { text: body.text, signal: options.signal, settled: false };
    this.calls.push(call);
    const b = this.behaviour(body.text);
    try {
      await new Promise<void>((resolve, reject) => {
        if (options.signal?.aborted) return reject(abortError(options.signal));
        const timer = setTimeout(resolve, b.delay ?? 0);
        options.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(abortError(options.signal));
          },
          { once: true },
        );
      });
      if (b.fail) throw b.fail;
      const wav = encodeWav(tone(framesOf(body.text) / RATE, RATE), RATE, 'float32');
      return { wav, info: parseWav(wav), elapsedMs: 0, shared: false };
    } finally {
      call.settled = true;
    }
  }
}

const as = (s: FakeService) => s as unknown as VoxcpmService;
/** The pipeline around the stand-in service, with its cache (if any). */
const pipeline = (s: FakeService) => new Synthesizer(as(s), s.cache, undefined);
const speak = (s: VoxcpmService, b: TtsRequestBody, a: AudioSettings, o: SpeakOptions) =>
  pipeline(s as unknown as FakeService).speak(b, a, o);
const speakPieces = (s: VoxcpmService, b: TtsRequestBody, a: AudioSettings, o: SpeakOptions, on: (p: Piece) => void) =>
  pipeline(s as unknown as FakeService).speakPieces(b, a, o, on);
const body = (text: string, prompt = ''): TtsRequestBody => ({ text, prompt, audio: '', reference_text: '' });
const settings = (over: Partial<AudioSettings> = {}): AudioSettings => ({ maxChunk: 20, pause: 100, sampleRate: 0, leadIn: 0, ...over });
const TEXT = 'Alpha one here. Bravo two here! Charlie three? Delta four here.';
const PIECES = ['Alpha one here.', 'Bravo two here!', 'Charlie three?', 'Delta four here.'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lib/synthesis', function () {
  describe('speak', function () {
    it('a short text: one call, the server audio as it is', async () => {
      const service = new FakeService();
      const out = await speak(as(service), body('Hello there.'), settings({ maxChunk: 150 }), { owner: 'n' });
      assert.deepEqual(service.calls.map((c) => c.text), ['Hello there.']);
      assert.equal(out.cached, false);
      assert.equal(wavInfo(out).frames, framesOf('Hello there.'));
    });

    it('a long text: trimmed pieces asked in order, joined with the pause, progress reported', async () => {
      // The later pieces answer first: the result is still in text order.
      const service = new FakeService((t) => ({ delay: 40 - 10 * PIECES.indexOf(t) }));
      const progress: Array<[number, number]> = [];
      const out = await speak(as(service), body(TEXT), settings(), { owner: 'n', onProgress: (d, c) => progress.push([d, c]) });
      assert.deepEqual(service.calls.map((c) => c.text), PIECES);
      const pause = Math.round(RATE * 0.1);
      assert.equal(wavInfo(out).frames, PIECES.reduce((n, p) => n + framesOf(p), 0) + pause * (PIECES.length - 1));
      assert.deepEqual(progress, [[1, 4], [2, 4], [3, 4], [4, 4]]);
      // The pause is silence, right after the first piece.
      const at = wavInfo(out).dataOffset + framesOf(PIECES[0]) * 4;
      for (let i = 0; i < pause; i += 331) assert.equal(out.file.readFloatLE(at + i * 4), 0);
    });

    it('resamples and adds the lead-in once, to the whole', async () => {
      const service = new FakeService();
      const out = await speak(as(service), body(TEXT), settings({ sampleRate: 16000, leadIn: 250 }), { owner: 'n' });
      assert.equal(out.info.sampleRate, 16000);
      const seconds = (PIECES.reduce((n, p) => n + framesOf(p), 0) + Math.round(RATE * 0.1) * 3) / RATE + 0.25;
      assert.ok(Math.abs(out.info.duration - seconds) < 0.001, `${out.info.duration} vs ${seconds}`);
    });

    it('audio steps in their order: resampled pieces joined, then speed, loudness, and the lead-in after them (exact silence)', async () => {
      const service = new FakeService();
      const joined = await speak(as(service), body(TEXT), settings({ sampleRate: 16000 }), { owner: 'n' });
      const out = await speak(as(service), body(TEXT), settings({ sampleRate: 16000, speed: 2, loudness: -20, leadIn: 250 }), { owner: 'n' });
      assert.equal(out.contentType, 'audio/wav');
      assert.deepEqual([wavInfo(out).format, out.info.bitDepth, out.info.sampleRate], ['float', 32, 16000]);
      // Speed halves the joined audio (pauses included); the lead-in is not stretched.
      assert.ok(Math.abs(out.info.duration - (joined.info.duration / 2 + 0.25)) < 0.01, `${out.info.duration} vs ${joined.info.duration}`);
      const lead = Math.round(16000 * 0.25);
      const at = wavInfo(out).dataOffset;
      for (let i = 0; i < lead; i++) assert.equal(out.file.readFloatLE(at + 4 * i), 0, `lead-in sample ${i}`);
      // Loudness took the tone (0.3 peak, about −13.5 LUFS) down to −20 LUFS: its peak to about 0.14.
      let peak = 0;
      for (let i = lead; i < wavInfo(out).frames; i++) peak = Math.max(peak, Math.abs(out.file.readFloatLE(at + 4 * i)));
      assert.ok(peak < 0.25 && peak > 0.05, `peak ${peak}`);
    });

    it('mp3: the pieces joined and encoded once; contentType audio/mpeg, no bit depth, the MP3 rate nearest the asked one', async () => {
      const service = new FakeService();
      const out = await speak(as(service), body(TEXT), settings({ audioFormat: 'mp3', sampleRate: 22000, mp3Bitrate: 48 }), { owner: 'n' });
      assert.equal(out.contentType, 'audio/mpeg');
      assert.equal(out.info.bitDepth, undefined);
      assert.equal(out.info.sampleRate, 22050);
      assert.equal(out.file[0], 0xff, 'MP3 frames, no WAV header');
      const seconds = (PIECES.reduce((n, p) => n + framesOf(p), 0) + Math.round(RATE * 0.1) * 3) / RATE;
      assert.ok(out.info.duration >= seconds && out.info.duration < seconds + 0.1, `${out.info.duration} vs ${seconds}`);
    });

    it('audioFormat wav16: float pieces become 16-bit PCM (rounded, in the audio thread), joined with 16-bit silence', async () => {
      const service = new FakeService();
      const floats = await speak(as(service), body(TEXT), settings(), { owner: 'n' });
      const out = await speak(as(service), body(TEXT), settings({ audioFormat: 'wav16' }), { owner: 'n' });
      assert.deepEqual([wavInfo(out).format, out.info.bitDepth, out.info.sampleRate, out.info.channels], ['pcm', 16, RATE, 1]);
      assert.equal(wavInfo(out).frames, wavInfo(floats).frames);
      for (let i = 0; i < wavInfo(out).frames; i++) {
        const f = floats.file.readFloatLE(wavInfo(floats).dataOffset + 4 * i);
        const n = out.file.readInt16LE(wavInfo(out).dataOffset + 2 * i);
        assert.ok(Math.abs(n - Math.round(f * 32767)) <= 1, `frame ${i}: ${n} vs ${f}`);
      }
      const pieces: Piece[] = [];
      await speakPieces(as(service), body(TEXT), settings({ audioFormat: 'wav16', leadIn: 50 }), { owner: 'n' }, (p) => pieces.push(p));
      assert.deepEqual(pieces.map((p) => p.info.bitDepth), [16, 16, 16, 16]);
    });

    it('outputShape: the first piece\'s layout at the asked rate, 16-bit PCM for wav16', () => {
      const info = parseWav(encodeWav(tone(0.01, RATE), RATE, 'stereo'));
      assert.deepEqual(outputShape(info, settings()), { format: 'pcm', bitDepth: 16, sampleRate: RATE, channels: 2 });
      const float = parseWav(encodeWav(tone(0.01, RATE), RATE, 'float32'));
      assert.deepEqual(outputShape(float, settings({ sampleRate: 8000 })), { format: 'float', bitDepth: 32, sampleRate: 8000, channels: 1 });
      assert.deepEqual(outputShape(float, settings({ audioFormat: 'wav16' })), { format: 'pcm', bitDepth: 16, sampleRate: RATE, channels: 1 });
      assert.deepEqual(outputShape(float, settings({ audioFormat: 'wav16', sampleRate: 16000 })), { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 1 });
    });

    it('one failing piece rejects with its error and aborts the others', async () => {
      const failure = new VoxcpmError('VOXCPM_SERVER_ERROR', 'client.serverError', { said: 'inference failed' });
      const service = new FakeService((t) => (t === PIECES[1] ? { delay: 10, fail: failure } : { delay: 200 }));
      const started = Date.now();
      await assert.rejects(speak(as(service), body(TEXT), settings(), { owner: 'n' }), (e) => e === failure);
      assert.ok(Date.now() - started < 150, 'it did not wait for the slow pieces');
      assert.ok(service.calls.every((c) => c.settled), 'a piece is still running');
      assert.ok(service.calls.filter((c) => c.text !== PIECES[1]).every((c) => c.signal?.aborted));
    });

    it('the cache: a second identical request is a hit with equal bytes; cache:false neither reads nor writes', async () => {
      const service = new FakeService();
      service.cache = new AudioCache({ maxBytes: 1 << 24 });
      const first = await speak(as(service), body(TEXT), settings(), { owner: 'n' });
      await sleep(5);
      const second = await speak(as(service), body(TEXT), settings(), { owner: 'n' });
      assert.equal(second.cached, true);
      assert.ok(second.file.equals(first.file));
      assert.equal(service.calls.length, PIECES.length);
      const bypass = await speak(as(service), body(TEXT), settings(), { owner: 'n', cache: false });
      assert.equal(bypass.cached, false);
      assert.equal(service.calls.length, 2 * PIECES.length);
      const fresh = await speak(as(service), body('Never cached.'), settings(), { owner: 'n', cache: false });
      assert.equal(fresh.cached, false);
      const again = await speak(as(service), body('Never cached.'), settings(), { owner: 'n' });
      assert.equal(again.cached, false, 'cache:false wrote to the cache');
    });

    it('the cache key holds the prompt and every audio setting', async () => {
      const service = new FakeService();
      service.cache = new AudioCache({ maxBytes: 1 << 24 });
      const variants: Array<[TtsRequestBody, AudioSettings]> = [
        [body('Same words.'), settings()],
        [body('Same words.', 'cheerful'), settings()],
        [body('Same words.'), settings({ sampleRate: 16000 })],
        [body('Same words.'), settings({ leadIn: 100 })],
        [body('Same words.'), settings({ maxChunk: 10 })],
        [body('Same words.'), settings({ pause: 300 })],
        [body('Same words.'), settings({ audioFormat: 'wav16' })],
        [body('Same words.'), settings({ audioFormat: 'wav16', sampleRate: 16000 })],
      ];
      for (const [b, s] of variants) {
        assert.equal((await speak(as(service), b, s, { owner: 'n' })).cached, false);
        await sleep(2);
      }
      for (const [b, s] of variants) assert.equal((await speak(as(service), b, s, { owner: 'n' })).cached, true);
    });
  });

  describe('speakPieces', function () {
    it('hands each piece over in order as soon as it and those before it are ready', async () => {
      const service = new FakeService((t) => ({ delay: 10 + 15 * PIECES.indexOf(t) }));
      const got: Array<{ piece: Piece; at: number }> = [];
      const started = Date.now();
      const count = await speakPieces(as(service), body(TEXT), settings({ leadIn: 100 }), { owner: 'n' }, (piece) => got.push({ piece, at: Date.now() - started }));
      assert.equal(count, 4);
      assert.deepEqual(got.map((g) => [g.piece.index, g.piece.count]), [[0, 4], [1, 4], [2, 4], [3, 4]]);
      got.forEach((g, i) => assert.equal(wavInfo(g.piece).frames, framesOf(PIECES[i]) + Math.round(RATE * 0.1), 'lead-in on each piece'));
      assert.ok(got[0].at < got[3].at);
    });

    it('a later piece failing while an earlier one is awaited: the earlier ones are delivered, then the error; never unhandled', async () => {
      const failure = new VoxcpmError('VOXCPM_SERVER_ERROR', 'client.serverError', { said: 'inference failed' });
      const service = new FakeService((t) => (t === PIECES[2] ? { delay: 5, fail: failure } : { delay: 60 }));
      const unhandled: unknown[] = [];
      const others = process.listeners('unhandledRejection');
      process.removeAllListeners('unhandledRejection');
      const listener = (r: unknown) => unhandled.push(r);
      process.on('unhandledRejection', listener);
      const got: number[] = [];
      try {
        await assert.rejects(
          speakPieces(as(service), body(TEXT), settings(), { owner: 'n' }, (p) => got.push(p.index)),
          (e) => e === failure,
        );
        await sleep(20);
      } finally {
        process.removeListener('unhandledRejection', listener);
        for (const l of others) process.on('unhandledRejection', l as (...args: unknown[]) => void);
      }
      assert.deepEqual(unhandled, []);
      assert.deepEqual(got, [0, 1]);
      assert.ok(service.calls.every((c) => c.settled));
      assert.equal(service.calls.find((c) => c.text === PIECES[3])?.signal?.aborted, true);
    });

    it("ends with the caller's abort reason when the caller aborts", async () => {
      const service = new FakeService(() => ({ delay: 200 }));
      const ac = new AbortController();
      const reason = new VoxcpmError('VOXCPM_ABORTED', 'node.stopped');
      setTimeout(() => ac.abort(reason), 20);
      await assert.rejects(speakPieces(as(service), body(TEXT), settings(), { owner: 'n', signal: ac.signal }, () => undefined), (e) => e === reason);
      assert.ok(service.calls.every((c) => c.settled));
    });

    it('caches piece by piece, apart from the whole text', async () => {
      const service = new FakeService();
      service.cache = new AudioCache({ maxBytes: 1 << 24 });
      await speakPieces(as(service), body(TEXT), settings(), { owner: 'n' }, () => undefined);
      await sleep(5);
      const cached: boolean[] = [];
      await speakPieces(as(service), body(TEXT), settings(), { owner: 'n' }, (p) => cached.push(p.cached));
      assert.deepEqual(cached, [true, true, true, true]);
      assert.equal(service.calls.length, 4);
      // The whole text, joined, is another entry.
      assert.equal((await speak(as(service), body(TEXT), settings(), { owner: 'n' })).cached, false);
    });
  });
});
