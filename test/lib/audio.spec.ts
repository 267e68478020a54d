import assert from 'node:assert/strict';
import { WaveFile } from 'wavefile';
import { convertSamples, decodeFloat32, encodeOutput, msToFrames, shapeOf, wavHeader as wavHeaderOf } from '../../nodes/lib/audio';
import { joinWavs, resampleWav, withLeadIn } from '../support/wav-ops';
import { parseWav, WavFormatError, type SampleFormat } from '../../nodes/lib/wav';
import { chunk, fmtBody, makeWav, oddListChunk, riff, sampleBytes, WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_PCM } from './wav-fixtures';

/** A WAV made by wavefile (independent of the code under test). */
function scratch(channels: number, sampleRate: number, code: string, samples: number[] | number[][]): Buffer {
  const wav = new WaveFile();
  wav.fromScratch(channels, sampleRate, code, samples);
  return Buffer.from(wav.toBuffer());
}

/** The samples per channel, as wavefile reads them (integers for PCM, floats for float). */
function samplesOf(wav: Buffer): number[][] {
  const read = new WaveFile(wav).getSamples(false);
  const channels = read instanceof Float64Array ? [read] : (read as unknown as Float64Array[]);
  return channels.map((c) => Array.from(c));
}

function tone(frames: number, sampleRate: number, hz: number, amplitude: number, round?: number): number[] {
  return Array.from({ length: frames }, (_, i) => {
    const v = amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate);
    return round ? Math.round(v * round) + 0 : Math.fround(v);
  });
}

function rms(values: number[]): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
}

/** The power of the `hz` component of `x` (Goertzel over a Hann window), unnormalised: compare two of them only. */
function goertzel(x: ArrayLike<number>, sampleRate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1));
    const s0 = x[i] * w + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/** The frequency of a sine by its zero crossings (interpolated between samples). */
function zeroCrossingHz(x: ArrayLike<number>, sampleRate: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const at = i - 1 + -x[i - 1] / (x[i] - x[i - 1]);
      if (first < 0) first = at;
      else count++;
      last = at;
    }
  }
  return (count * sampleRate) / (last - first);
}

function db(ratio: number): number {
  return 10 * Math.log10(ratio);
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

interface Expected {
  format: SampleFormat;
  bitDepth: number;
  sampleRate: number;
  channels: number;
  frames?: number;
}

/** A plain WAV whose header agrees with its data; returns its frame count. */
function assertPlainWav(wav: Buffer, expected: Expected): number {
  const info = parseWav(wav);
  assert.equal(info.format, expected.format);
  assert.equal(info.formatTag, expected.format === 'float' ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM);
  assert.equal(info.bitDepth, expected.bitDepth);
  assert.equal(info.sampleRate, expected.sampleRate);
  assert.equal(info.channels, expected.channels);
  if (expected.frames !== undefined) assert.equal(info.frames, expected.frames);
  const blockAlign = (expected.channels * expected.bitDepth) / 8;
  assert.equal(wav.readUInt32LE(16), 16, 'a 16-byte fmt chunk');
  assert.equal(info.dataOffset, 44);
  assert.equal(wav.readUInt32LE(40), info.frames * blockAlign, 'data size');
  assert.equal(wav.readUInt32LE(28), expected.sampleRate * blockAlign, 'byte rate');
  assert.equal(wav.readUInt16LE(32), blockAlign, 'block align');
  assert.equal(wav.readUInt32LE(4), wav.length - 8, 'RIFF size');
  assert.equal(wav.length % 2, 0, 'padded to an even length');
  return info.frames;
}

async function assertWavRejects(fn: () => Promise<unknown>, pattern?: RegExp): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof WavFormatError, `expected a WavFormatError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe('lib/audio', () => {
  describe('msToFrames', () => {
    it('rounds rate × ms / 1000 to the nearest frame, halves up', () => {
      assert.equal(msToFrames(16000, 250), 4000);
      assert.equal(msToFrames(44100, 10), 441);
      assert.equal(msToFrames(22050, 1), 22); // 22.05
      assert.equal(msToFrames(1000, 2.5), 3);
      assert.equal(msToFrames(1000, 0.5), 1);
      assert.equal(msToFrames(1000, 0.49), 0);
      assert.equal(msToFrames(48000, 0.01), 0); // 0.48 frames
    });

    it('gives 0 for 0, a negative or a non-finite length', () => {
      for (const ms of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) assert.equal(msToFrames(16000, ms), 0, String(ms));
    });
  });

  describe('decodeFloat32', () => {
    it('gives interleaved float32 bytes as one Float32Array per channel, aligned or not', () => {
      const left = [0.5, -0.25, 1.5, -2].map(Math.fround);
      const right = [0.125, 0, -1, Math.fround(0.1)];
      const bytes = Buffer.alloc(4 * 8);
      left.forEach((v, i) => bytes.writeFloatLE(v, 8 * i));
      right.forEach((v, i) => bytes.writeFloatLE(v, 8 * i + 4));
      // A copy at an odd byte offset: decoded by Buffer reads instead of a typed view.
      const unaligned = Buffer.alloc(bytes.length + 1).fill(7);
      bytes.copy(unaligned, 1);
      for (const data of [bytes, unaligned.subarray(1)]) {
        const channels = decodeFloat32(data, 2);
        assert.ok(channels.every((c) => c instanceof Float32Array));
        assert.deepEqual(channels.map((c) => Array.from(c)), [left, right]);
        assert.deepEqual(Array.from(decodeFloat32(data, 1)[0]), left.flatMap((v, i) => [v, right[i]]));
      }
      // A trailing partial frame is left out.
      assert.deepEqual(decodeFloat32(bytes.subarray(0, 12), 2).map((c) => c.length), [1, 1]);
    });
  });

  describe('convertSamples', () => {
    it('gives a view of the samples, no copy, when the layout already matches', async () => {
      const part = makeWav({ extensibleSubFormat: WAVE_FORMAT_PCM, before: [oddListChunk()] });
      const info = parseWav(part);
      const out = await convertSamples(part, shapeOf(info));
      assert.equal(out.buffer, part.buffer);
      assert.equal(out.byteOffset, part.byteOffset + info.dataOffset);
      assert.equal(out.length, info.frames * info.channels * (info.bitDepth / 8));
    });

    it('throws WavFormatError for what is not a readable WAV', async () => {
      const target = { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 1 } as const;
      await assertWavRejects(() => convertSamples(Buffer.from('not a wav at all'), target), /RIFF/);
      await assertWavRejects(() => convertSamples(makeWav().subarray(0, 30), target));
      await assertWavRejects(() => convertSamples(Buffer.from('RIFF'), target));
      await assertWavRejects(() => convertSamples('UklGR' as unknown as Buffer, target), /a string, not a Buffer/);
    });

    it('refuses a rate that is not a whole number of Hz', async () => {
      const wav = scratch(1, 24000, '16', [1, 2, 3]);
      for (const rate of [44100.5, Number.NaN, -8000]) {
        await assert.rejects(() => convertSamples(wav, { format: 'pcm', bitDepth: 16, sampleRate: rate, channels: 1 }), RangeError, String(rate));
      }
    });
  });

  describe('joining (test/support/wav-ops.ts, on convertSamples)', () => {
    it('joins PCM16 parts with pauses between them, samples unchanged', async () => {
      const a = tone(1000, 16000, 440, 0.5, 32767);
      const b = tone(1500, 16000, 220, 0.3, 32767);
      const c = tone(700, 16000, 880, 0.7, 32767);
      const out = await joinWavs([scratch(1, 16000, '16', a), scratch(1, 16000, '16', b), scratch(1, 16000, '16', c)], 250);
      const pause = Math.round((16000 * 250) / 1000);
      assertPlainWav(out, { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 1, frames: 3200 + 2 * pause });
      assert.deepEqual(samplesOf(out)[0], [...a, ...zeros(pause), ...b, ...zeros(pause), ...c]);
    });

    it('joins float32 stereo parts, samples unchanged', async () => {
      const left = tone(480, 48000, 440, 0.8);
      const right = tone(480, 48000, 660, -0.4);
      const part = scratch(2, 48000, '32f', [left, right]);
      const out = await joinWavs([part, part], 10);
      assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: 48000, channels: 2, frames: 480 * 2 + 480 });
      const [l, r] = samplesOf(out);
      assert.deepEqual(l, [...left, ...zeros(480), ...left]);
      assert.deepEqual(r, [...right, ...zeros(480), ...right]);
    });

    it('keeps 24-bit and 8-bit PCM, with 8-bit silence at 128 and odd lengths padded', async () => {
      const s24 = tone(101, 8000, 300, 0.9, 8388607);
      const out24 = await joinWavs([scratch(1, 8000, '24', s24), scratch(1, 8000, '24', s24)], 1);
      assertPlainWav(out24, { format: 'pcm', bitDepth: 24, sampleRate: 8000, channels: 1, frames: 202 + 8 });
      assert.deepEqual(samplesOf(out24)[0], [...s24, ...zeros(8), ...s24]);

      const bytes8 = Buffer.from([0, 64, 128, 200, 255]);
      const wav8 = makeWav({ bitDepth: 8, sampleRate: 8000, frames: 5 });
      bytes8.copy(wav8, 44);
      const out8 = await joinWavs([wav8, wav8], 1);
      assertPlainWav(out8, { format: 'pcm', bitDepth: 8, sampleRate: 8000, channels: 1, frames: 18 });
      assert.deepEqual([...out8.subarray(44, 44 + 18)], [...bytes8, ...new Array(8).fill(128), ...bytes8]);
    });

    it('reads WAVE_FORMAT_EXTENSIBLE and extra chunks (LIST, fact) before the data', async () => {
      const fact = chunk('fact', Buffer.from([0xe0, 0x01, 0, 0]));
      const first = makeWav({
        extensibleSubFormat: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 32, sampleRate: 48000, frames: 480, before: [oddListChunk(), fact], seed: 3,
      });
      const second = tone(240, 48000, 440, 0.5);
      const out = await joinWavs([first, scratch(1, 48000, '32f', second)], 5);
      assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: 48000, channels: 1, frames: 480 + 240 + 240 });
      const firstInfo = parseWav(first);
      assert.ok(out.subarray(44, 44 + 480 * 4).equals(first.subarray(firstInfo.dataOffset, firstInfo.dataOffset + 480 * 4)), 'the first part byte for byte');
      assert.deepEqual(samplesOf(out)[0].slice(720), second);

      // PCM16 extensible stereo with a LIST chunk after a plain PCM16 stereo part: copied as it is.
      const ext16 = makeWav({
        extensibleSubFormat: WAVE_FORMAT_PCM, channels: 2, bitDepth: 16, sampleRate: 16000, frames: 100, before: [oddListChunk()], seed: 9,
      });
      const plain16 = scratch(2, 16000, '16', [tone(50, 16000, 100, 0.5, 32767), tone(50, 16000, 200, 0.5, 32767)]);
      const joined = await joinWavs([plain16, ext16], 0);
      assertPlainWav(joined, { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 2, frames: 150 });
      assert.ok(joined.subarray(44 + 50 * 4).equals(sampleBytes(100 * 4, 9)));
    });

    it('puts no silence for a pause of 0, a negative or a non-numeric one', async () => {
      const part = scratch(1, 16000, '16', [1, 2, 3]);
      for (const pause of [0, -100, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.deepEqual(samplesOf(await joinWavs([part, part], pause))[0], [1, 2, 3, 1, 2, 3]);
      }
    });

    it('converts a float part to the first part\'s 16-bit PCM, and back', async () => {
      const pcm = scratch(1, 16000, '16', [1000, -1000]);
      const float = scratch(1, 16000, '32f', [0.5, -0.5, 0.25, 1.5, -2, 0]);
      const out = await joinWavs([pcm, float], 0);
      assertPlainWav(out, { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 1, frames: 8 });
      assert.deepEqual(samplesOf(out)[0], [1000, -1000, 16384, -16384, 8192, 32767, -32768, 0]);

      const back = await joinWavs([float, pcm], 0);
      assertPlainWav(back, { format: 'float', bitDepth: 32, sampleRate: 16000, channels: 1, frames: 8 });
      assert.deepEqual(samplesOf(back)[0].slice(6), [1000 / 32768, -1000 / 32768].map(Math.fround));
    });

    it('resamples a 16 kHz part to the first part\'s 48 kHz', async () => {
      const first = scratch(1, 48000, '32f', tone(4800, 48000, 440, 0.5));
      const second = scratch(1, 16000, '32f', tone(1600, 16000, 440, 0.5));
      const out = await joinWavs([first, second], 100);
      const frames = assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: 48000, channels: 1 });
      assert.ok(Math.abs(frames - (4800 + 4800 + 4800)) <= 1, `${frames} frames`);
      const converted = samplesOf(out)[0].slice(9600);
      // The same tone at the same level (away from the edges, where the filter rings).
      assert.ok(Math.abs(rms(converted.slice(200, -200)) - 0.5 / Math.SQRT2) < 0.02, `rms ${rms(converted)}`);
    });

    it('mixes a stereo part down to mono, and duplicates a mono part to stereo', async () => {
      const mono = scratch(1, 16000, '16', [100, 200]);
      const stereo = scratch(2, 16000, '16', [
        [1000, -3000],
        [3000, -1000],
      ]);
      const down = await joinWavs([mono, stereo], 0);
      assertPlainWav(down, { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 1, frames: 4 });
      assert.deepEqual(samplesOf(down)[0], [100, 200, 2000, -2000]);

      // Other layouts: channel c takes the average of input channels c, c + n...; added channels repeat.
      const four = scratch(4, 16000, '16', [[100], [200], [300], [400]]);
      assert.deepEqual(samplesOf(await joinWavs([stereo, four], 0)).map((c) => c[2]), [200, 300]);
      const three = scratch(3, 16000, '16', [[1], [2], [3]]);
      assert.deepEqual(samplesOf(await joinWavs([three, stereo], 0)).map((c) => c.slice(1)), [
        [1000, -3000],
        [3000, -1000],
        [1000, -3000],
      ]);

      const up = await joinWavs([stereo, mono], 0);
      assertPlainWav(up, { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 2, frames: 4 });
      assert.deepEqual(samplesOf(up), [
        [1000, -3000, 100, 200],
        [3000, -1000, 100, 200],
      ]);
    });

    it('converts rate, channels and sample format at once', async () => {
      const first = scratch(2, 16000, '24', [tone(160, 16000, 200, 0.5, 8388607), zeros(160)]);
      const second = scratch(1, 48000, '32f', tone(4800, 48000, 200, 0.5));
      const out = await joinWavs([first, second], 20);
      const frames = assertPlainWav(out, { format: 'pcm', bitDepth: 24, sampleRate: 16000, channels: 2 });
      assert.ok(Math.abs(frames - (160 + 320 + 1600)) <= 1, `${frames} frames`);
      const [left, right] = samplesOf(out).map((c) => c.slice(480 + 100, -100));
      assert.deepEqual(left, right, 'the mono part on both channels');
      assert.ok(Math.abs(rms(left) / 8388608 - 0.5 / Math.SQRT2) < 0.02);
    });

    it('joins 10 parts of 6 s of 48 kHz float, each in its place', async () => {
      const parts = Array.from({ length: 10 }, (_, i) =>
        makeWav({ formatTag: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 32, sampleRate: 48000, seconds: 6, seed: i }),
      );
      const out = await joinWavs(parts, 150);
      assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: 48000, channels: 1, frames: 10 * 288000 + 9 * 7200 });
      // The last part's samples end the file, byte for byte (speed belongs to npm run bench, not here).
      const last = parts[9];
      assert.deepEqual(out.subarray(out.length - 288000 * 4), last.subarray(last.length - 288000 * 4));
    });
  });

  describe('resampling (convertSamples)', () => {
    it('reads float data at an unaligned offset (libsndfile\'s byte 58) exactly as aligned data', async () => {
      const samples = Float32Array.from({ length: 4801 }, (_, i) => Math.sin(i / 7) * 0.9 + 1e-7 * i);
      const data = Buffer.from(samples.buffer);
      const shape = { format: 'float' as const, bitDepth: 32, sampleRate: 48000, channels: 1 };
      const aligned = Buffer.concat([Buffer.from(wavHeaderOf(shape, data.length)), data]);
      // The same WAV with a fact chunk (12 bytes) and an 18-byte fmt: the data starts at byte 58.
      const fmt18 = Buffer.concat([fmtBody({ formatTag: WAVE_FORMAT_IEEE_FLOAT, channels: 1, sampleRate: 48000, bitDepth: 32 }), Buffer.alloc(2)]);
      const fact = Buffer.alloc(4);
      fact.writeUInt32LE(samples.length);
      const unaligned = riff([chunk('fmt ', fmt18), chunk('fact', fact), chunk('data', data)]);
      assert.equal(parseWav(unaligned).dataOffset % 4, 2, 'the fixture is unaligned');
      for (const rate of [48000, 16000, 44100]) {
        const target = { ...shape, sampleRate: rate };
        const a = await convertSamples(aligned, target);
        const b = await convertSamples(unaligned, target);
        assert.ok(a.equals(b), `→ ${rate} Hz`);
      }
      assert.deepEqual(decodeFloat32(unaligned.subarray(parseWav(unaligned).dataOffset), 1)[0], samples);
    });

    it('resamples 48 kHz float mono to 16 kHz and 44.1 kHz', async () => {
      const wav = scratch(1, 48000, '32f', tone(4800, 48000, 440, 0.5));
      for (const rate of [16000, 44100]) {
        const out = await resampleWav(wav, rate);
        const frames = assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: rate, channels: 1 });
        assert.ok(Math.abs(frames - (4800 * rate) / 48000) <= 1, `${frames} frames at ${rate} Hz`);
        assert.ok(Math.abs(rms(samplesOf(out)[0].slice(100, -100)) - 0.5 / Math.SQRT2) < 0.02);
      }
    });

    it('keeps the channels and the sample format', async () => {
      const left = tone(2205, 22050, 300, 0.5, 32767);
      const wav = scratch(2, 22050, '16', [left, zeros(2205)]);
      const out = await resampleWav(wav, 48000);
      const frames = assertPlainWav(out, { format: 'pcm', bitDepth: 16, sampleRate: 48000, channels: 2 });
      assert.ok(Math.abs(frames - 4800) <= 1, `${frames} frames`);
      const [l, r] = samplesOf(out);
      assert.ok(Math.abs(rms(l.slice(100, -100)) / 32768 - 0.5 / Math.SQRT2) < 0.02);
      assert.ok(r.every((v) => v === 0), 'the silent channel stays silent');
    });

    it('filters out what the lower rate cannot hold instead of aliasing it', async () => {
      const wav = scratch(1, 48000, '32f', tone(9600, 48000, 15000, 0.5));
      const out = samplesOf(await resampleWav(wav, 16000))[0];
      assert.ok(rms(out.slice(200, -200)) < 0.02, `rms ${rms(out.slice(200, -200))}`);
    });

    it('gives ceil(frames × to / from) frames, also past many of the resampler\'s 64k-sample chunks', async () => {
      const cases = [[48000, 4801, 16000], [48000, 4801, 44100], [16000, 7, 48000], [48000, 1_500_001, 16000], [16000, 700_001, 44100], [22050, 1, 8000]];
      for (const [from, frames, to] of cases) {
        const wav = makeWav({ formatTag: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 32, sampleRate: from, frames, seed: 5 });
        const out = await resampleWav(wav, to);
        assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: to, channels: 1, frames: Math.ceil((frames * to) / from) });
      }
    });

    it('keeps a 1 kHz sine at 1 kHz and at its level (within 0.5 dB), with no delay, to the last sample', async () => {
      const input = tone(96000, 48000, 1000, 0.5);
      for (const rate of [16000, 44100, 8000, 96000]) {
        const out = samplesOf(await resampleWav(scratch(1, 48000, '32f', input), rate))[0];
        const middle = out.slice(rate / 10, -rate / 10);
        assert.ok(Math.abs(zeroCrossingHz(middle, rate) - 1000) < 0.01, `${zeroCrossingHz(middle, rate)} Hz at ${rate} Hz`);
        const level = 20 * Math.log10(rms(middle) / (0.5 / Math.SQRT2));
        assert.ok(Math.abs(level) < 0.5, `${level.toFixed(2)} dB at ${rate} Hz`);
        // In phase with the input: sample n of the output is the sine at n / rate seconds (no filter delay).
        const expected = tone(out.length, rate, 1000, 0.5);
        let worst = 0;
        for (let i = rate / 100; i < out.length - rate / 100; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
        assert.ok(worst < 0.01, `off by up to ${worst} at ${rate} Hz`);
        // The end is not cut short (the filter's tail is flushed): the last 5 ms are still the sine.
        assert.ok(rms(out.slice(-rate / 200)) > 0.3, `rms of the end ${rms(out.slice(-rate / 200))}`);
      }
    });

    it('does not fold what lies above 8 kHz back below it at 16 kHz (a 12 kHz tone: < -60 dB at 4 kHz)', async () => {
      // 12 kHz at 48 kHz would alias to 16 - 12 = 4 kHz. Measured against a 1 kHz tone of the same level kept in the same signal.
      const n = 48000;
      const input = tone(n, 48000, 12000, 0.5).map((v, i) => v + 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
      const out = samplesOf(await resampleWav(scratch(1, 48000, '32f', input), 16000))[0];
      const alias = db(goertzel(out, 16000, 4000) / goertzel(out, 16000, 1000));
      assert.ok(alias < -60, `alias at ${alias.toFixed(1)} dB`);
    });

    it('a 20 Hz–24 kHz sweep to 16 kHz: kept below 7.2 kHz (±0.5 dB), < -60 dB left once it is past 8.6 kHz', async () => {
      // An exponential sweep over 4 s: the time at which it passes f is log(f / 20) / log(24000 / 20) of the length.
      const n = 48000 * 4;
      const k = Math.log(24000 / 20) / 4;
      const sweep = Array.from({ length: n }, (_, i) => 0.5 * Math.sin(((2 * Math.PI * 20) / k) * (Math.exp((k * i) / 48000) - 1)));
      const out = samplesOf(await resampleWav(scratch(1, 48000, '32f', sweep), 16000))[0];
      const at = (hz: number) => Math.log(hz / 20) / Math.log(24000 / 20);
      const energy = (x: number[]) => x.reduce((a, v) => a + v * v, 0);
      const inBand = energy(sweep.slice(0, Math.round(at(7200) * n)));
      // × 3: a third of the samples for the same stretch of time.
      const kept = db((3 * energy(out.slice(0, Math.round((at(7200) * n) / 3)))) / inBand);
      assert.ok(Math.abs(kept) < 0.5, `the sweep up to 7.2 kHz at ${kept.toFixed(2)} dB`);
      // From 8.6 kHz on, all the output holds is what folded back (aliases) or leaked through.
      const left = db((3 * energy(out.slice(Math.round((at(8600) * n) / 3)))) / inBand);
      assert.ok(left < -60, `the sweep above 8.6 kHz left ${left.toFixed(1)} dB`);
    });

    it('resamples each channel on its own (nothing of one channel in the next) and across the 256:1 limit', async () => {
      const left = tone(48000, 48000, 1000, 0.5);
      const stereo = scratch(2, 48000, '32f', [left, zeros(48000)]);
      const [l, r] = samplesOf(await resampleWav(stereo, 16000));
      assert.ok(rms(l) > 0.3);
      assert.ok(r.every((v) => v === 0), 'the silent channel stays silent');
      const low = scratch(1, 1000, '32f', tone(1000, 1000, 100, 0.5));
      const high = await resampleWav(low, 384000);
      assertPlainWav(high, { format: 'float', bitDepth: 32, sampleRate: 384000, channels: 1, frames: 384000 });
      const middle = samplesOf(high)[0].slice(38400, -38400);
      assert.ok(Math.abs(zeroCrossingHz(middle, 384000) - 100) < 0.01);
      assert.ok(Math.abs(20 * Math.log10(rms(middle) / (0.5 / Math.SQRT2))) < 0.5);
    });

    it('reads an extensible WAV with a LIST chunk and writes a plain one', async () => {
      const wav = makeWav({ extensibleSubFormat: WAVE_FORMAT_PCM, bitDepth: 16, sampleRate: 16000, frames: 1600, before: [oddListChunk()] });
      const frames = assertPlainWav(await resampleWav(wav, 8000), { format: 'pcm', bitDepth: 16, sampleRate: 8000, channels: 1 });
      assert.ok(Math.abs(frames - 800) <= 1);
    });
  });

  describe('lead-in (makeSilence, msToFrames)', () => {
    it('prepends silence', async () => {
      const samples = tone(800, 16000, 440, 0.5, 32767);
      const out = await withLeadIn(scratch(1, 16000, '16', samples), 250);
      assertPlainWav(out, { format: 'pcm', bitDepth: 16, sampleRate: 16000, channels: 1, frames: 4000 + 800 });
      assert.deepEqual(samplesOf(out)[0], [...zeros(4000), ...samples]);

      const stereo = await withLeadIn(scratch(2, 48000, '32f', [tone(10, 48000, 440, 0.5), tone(10, 48000, 440, 0.5)]), 100);
      assertPlainWav(stereo, { format: 'float', bitDepth: 32, sampleRate: 48000, channels: 2, frames: 4800 + 10 });
    });

    it('makes 8-bit silence of 128', async () => {
      const out = await withLeadIn(makeWav({ bitDepth: 8, sampleRate: 8000, frames: 3 }), 1);
      assertPlainWav(out, { format: 'pcm', bitDepth: 8, sampleRate: 8000, channels: 1, frames: 11 });
      assert.deepEqual([...out.subarray(44, 52)], new Array(8).fill(128));
    });

    it('writes a plain WAV for an extensible float input', async () => {
      const wav = makeWav({ extensibleSubFormat: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 32, sampleRate: 48000, frames: 10, before: [oddListChunk()] });
      const out = await withLeadIn(wav, 1);
      assertPlainWav(out, { format: 'float', bitDepth: 32, sampleRate: 48000, channels: 1, frames: 58 });
      assert.ok(out.subarray(44 + 48 * 4).equals(wav.subarray(parseWav(wav).dataOffset)));
    });
  });

  describe('encodeOutput', () => {
    const wav = scratch(1, 16000, '16', [1, 2, 3]);

    it('returns the Buffer itself for wav', () => {
      assert.equal(encodeOutput(wav, 'wav'), wav);
    });

    it('returns base64 text', () => {
      const text = encodeOutput(wav, 'base64');
      assert.equal(typeof text, 'string');
      assert.ok(Buffer.from(text, 'base64').equals(wav));
      assert.match(text, /^UklGR/);
    });

    it('returns a data URL', () => {
      const url = encodeOutput(wav, 'dataurl');
      assert.ok(url.startsWith('data:audio/wav;base64,UklGR'));
      assert.ok(Buffer.from(url.slice('data:audio/wav;base64,'.length), 'base64').equals(wav));
    });

    it('refuses an unknown encoding', () => {
      assert.throws(() => encodeOutput(wav, 'mp3' as 'wav'), RangeError);
    });
  });
});
