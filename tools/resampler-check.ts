/**
 * `node dist/tools/resampler-check.js`: how much our resampler (Speex in
 * WebAssembly, nodes/lib/resample.ts, through audio.ts's convertSamples) aliases, next to sox's (`sox in.wav -r RATE out.wav`,
 * its default very high quality), and how long it takes on 60 s of 48 kHz
 * float mono. Needs `sox` on the PATH (Debian: apt-get install sox). Not a
 * test: prints the figures.
 *
 * - tone: 1 kHz and a tone above the new Nyquist frequency, both at -6 dBFS;
 *   the energy at the alias's frequency (rate - tone), in dB against 1 kHz;
 * - sweep: an exponential 20 Hz–24 kHz sweep over 8 s; what is left in the
 *   output once the sweep is past 1.075 × the new Nyquist frequency (where
 *   only aliases and leakage can be), in dB against the energy of the sweep
 *   below 0.9 × that frequency.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertSamples, wavHeader } from '../nodes/lib/audio';
import { QUALITY, resample } from '../nodes/lib/resample';
import { parseWav } from '../nodes/lib/wav';

const FROM = 48000;

function floatWav(samples: Float32Array, rate: number): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return Buffer.concat([wavHeader({ format: 'float', bitDepth: 32, sampleRate: rate, channels: 1 }, data.length), data]);
}

/** The first channel of a float32 or 16-bit WAV, as numbers. */
function samplesOf(wav: Buffer): Float64Array {
  const info = parseWav(wav);
  const size = info.bitDepth / 8;
  const out = new Float64Array(info.frames);
  for (let f = 0; f < info.frames; f++) {
    const at = info.dataOffset + f * size * info.channels;
    out[f] = info.format === 'float' ? wav.readFloatLE(at) : wav.readInt16LE(at) / 32768;
  }
  return out;
}

/** Power of the `hz` component (Goertzel over a Hann window); compare two of them only. */
function goertzel(x: Float64Array, rate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1))) + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

const energy = (x: ArrayLike<number>, from = 0, to = x.length) => {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return e;
};
const db = (ratio: number) => (10 * Math.log10(ratio)).toFixed(1);

async function ours(input: Float32Array, rate: number): Promise<Float64Array> {
  const data = await convertSamples(floatWav(input, FROM), { format: 'float', bitDepth: 32, sampleRate: rate, channels: 1 });
  return samplesOf(Buffer.concat([wavHeader({ format: 'float', bitDepth: 32, sampleRate: rate, channels: 1 }, data.length), data]));
}

function sox(input: Float32Array, rate: number, dir: string): { out: Float64Array; ms: number } {
  const src = path.join(dir, 'in.wav');
  const dst = path.join(dir, 'out.wav');
  fs.writeFileSync(src, floatWav(input, FROM));
  const t0 = performance.now();
  execFileSync('sox', ['-V1', src, '-r', String(rate), dst]);
  const ms = performance.now() - t0;
  return { out: samplesOf(fs.readFileSync(dst)), ms };
}

/** The median of five timed runs of `run`, in ms. */
async function medianOf5(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times.sort((x, y) => x - y)[2];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resampler-check-'));
  try {
    console.log(`alias energy (dB; lower is better)        ours (Speex quality ${QUALITY})               sox (default VHQ)`);
    for (const rate of [16000, 44100]) {
      const nyquist = rate / 2;
      // A tone between the new Nyquist frequency and the old: it should vanish, not fold back to rate - tone.
      const high = rate === 16000 ? 12000 : 23000;
      const n = FROM * 2;
      const tone = new Float32Array(n);
      for (let i = 0; i < n; i++) tone[i] = 0.25 * Math.sin((2 * Math.PI * 1000 * i) / FROM) + 0.25 * Math.sin((2 * Math.PI * high * i) / FROM);
      const alias = rate - high;
      const toneDb = (x: Float64Array) => db(goertzel(x, rate, alias) / goertzel(x, rate, 1000));
      const a = await ours(tone, rate);
      const b = sox(tone, rate, dir).out;
      console.log(`${FROM / 1000} → ${rate / 1000} kHz, ${high / 1000} kHz tone, at ${alias / 1000} kHz vs 1 kHz:`.padEnd(44), toneDb(a).padStart(8), toneDb(b).padStart(34));

      const seconds = 8;
      const sweep = new Float32Array(FROM * seconds);
      const k = Math.log(24000 / 20) / seconds;
      for (let i = 0; i < sweep.length; i++) sweep[i] = 0.5 * Math.sin(((2 * Math.PI * 20) / k) * (Math.exp((k * i) / FROM) - 1));
      const at = (hz: number) => Math.log(hz / 20) / Math.log(24000 / 20);
      const sweepDb = (x: Float64Array) => {
        const inBand = energy(x, 0, Math.round(at(0.9 * nyquist) * x.length));
        const left = energy(x, Math.round(at(1.075 * nyquist) * x.length));
        return db(left / inBand);
      };
      const c = await ours(sweep, rate);
      const d = sox(sweep, rate, dir).out;
      console.log(`${FROM / 1000} → ${rate / 1000} kHz, 20 Hz–24 kHz sweep, left past ${(1.075 * nyquist) / 1000} kHz:`.padEnd(44), sweepDb(c).padStart(8), sweepDb(d).padStart(34));
    }

    console.log('\ntime for 60 s of 48 kHz float mono (decode, resample, encode; median of 5)');
    const minute = new Float32Array(FROM * 60);
    for (let i = 0; i < minute.length; i++) minute[i] = 0.2 * Math.sin(i / 17) * Math.sin(i / 4001);
    const wav = floatWav(minute, FROM);
    for (const rate of [16000, 44100]) {
      const target = { format: 'float' as const, bitDepth: 32, sampleRate: rate, channels: 1 };
      await convertSamples(wav, target);
      const whole = await medianOf5(() => convertSamples(wav, target));
      const alone = await medianOf5(() => resample([minute], FROM, rate));
      const soxMs = sox(minute, rate, dir).ms;
      const pct = (ms: number) => ((100 * ms) / 60000).toFixed(2);
      console.log(
        `→ ${rate / 1000} kHz: ours ${whole.toFixed(0)} ms (${pct(whole)} % of the length), the resampler alone ${alone.toFixed(0)} ms (${pct(alone)} %);`,
        `sox (a process, file in and out) ${soxMs.toFixed(0)} ms`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
