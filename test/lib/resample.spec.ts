import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadResampler, resample, stagePlan } from '../../nodes/lib/resample';
import { speak } from '../../simulator/speech';
import { dominantHz, floatWav, hasTool, readFloatWav, scratchDir, sine } from './dsp-fixtures';

const energy = (x: ArrayLike<number>, from = 0, to = x.length) => {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return e;
};

describe('lib/resample', function () {
  this.timeout(60000);

  it('loads the WebAssembly module (an ES module, from CommonJS)', async () => {
    await loadResampler();
    await loadResampler();
  });

  it('gives ceil(n × to / from) samples for common and odd rate pairs, also past one 64k chunk', async () => {
    for (const [from, to, n] of [
      [48000, 16000, 200001],
      [48000, 44100, 100000],
      [16000, 48000, 77777],
      [22050, 16001, 50000],
      [44100, 48000, 1],
      [8000, 384000, 3000],
    ]) {
      const [y] = await resample([sine(from, n / from, 440, 0.5)], from, to);
      assert.equal(y.length, Math.ceil((n * to) / from), `${from} → ${to}`);
    }
    assert.deepEqual(await resample([new Float32Array(0)], 48000, 16000), [new Float32Array(0)]);
  });

  it('keeps a 1 kHz sine at 1 kHz, at its level (0.1 dB) and in phase (no delay), to the last sample', async () => {
    for (const to of [16000, 44100, 96000]) {
      const x = sine(48000, 1, 1000, 0.5);
      const [y] = await resample([x], 48000, to);
      const expected = sine(to, 1, 1000, 0.5);
      // Away from the ends (where the input stops abruptly), it is the same sine sampled at the new rate.
      let err = 0;
      for (let i = 100; i < y.length - 100; i++) err = Math.max(err, Math.abs(y[i] - expected[i]));
      assert.ok(err < 0.005, `${to}: largest difference ${err}`);
      assert.ok(Math.abs(dominantHz(y, to, 990, 1010) - 1000) < 0.5);
    }
  });

  it('returns copies for equal rates, keeps channels apart, leaves the input as it was', async () => {
    const a = sine(16000, 0.5, 300, 0.5);
    const b = new Float64Array(8000);
    const same = await resample([a], 16000, 16000);
    assert.notEqual(same[0], a);
    assert.deepEqual(same[0], a);
    const before = a.slice();
    const [ya, yb] = await resample([a, b], 16000, 48000);
    assert.deepEqual(a, before);
    assert.equal(energy(yb), 0);
    assert.ok(energy(ya) > 0);
  });

  it('chains passes that each run Speex\'s precomputed bank where one pass would interpolate it, never below the lower rate', () => {
    const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
    // At quality 3 Speex runs its precomputed bank when the output factor in lowest terms is at most 8.
    assert.deepEqual(stagePlan(48000, 16000), [48000, 16000]);
    assert.deepEqual(stagePlan(48000, 24000), [48000, 24000]);
    assert.deepEqual(stagePlan(48000, 44100), [48000, 67200, 50400, 44100]);
    // Speex's own rule (resample.c): the output factor at most 8, halved when downsampling by more than 2, 4, 8, 16.
    const banked = (a: number, b: number) => {
      const [p, q] = [a / gcd(a, b), b / gcd(a, b)];
      let limit = 8;
      for (const step of [2, 4, 8, 16]) if (p > step * q) limit >>= 1;
      return q <= Math.max(1, limit);
    };
    for (const [from, to] of [[48000, 44100], [48000, 22050], [44100, 48000], [22050, 48000], [48000, 11025], [44100, 12000], [44100, 8000], [176400, 48000]]) {
      const rates = stagePlan(from, to);
      assert.ok(rates.length > 2 && rates.length <= 4, `${from} → ${to}: ${rates.join(' → ')}`);
      assert.equal(rates[0], from);
      assert.equal(rates[rates.length - 1], to);
      for (let i = 1; i < rates.length; i++) {
        assert.ok(Number.isInteger(rates[i]) && rates[i] >= Math.min(from, to), `${rates.join(' → ')}`);
        assert.ok(banked(rates[i - 1], rates[i]), `${rates[i - 1]} → ${rates[i]} would interpolate`);
      }
    }
    // 441 = 3·3·7·7 needs four passes of at most 8: one interpolating pass instead; so does a prime.
    assert.deepEqual(stagePlan(16000, 44100), [16000, 44100]);
    assert.deepEqual(stagePlan(48000, 44101), [48000, 44101]);
    // Quality 5 samples its table 16 times: 48 → 43.2 kHz (10:9) runs in one pass.
    assert.deepEqual(stagePlan(48000, 43200, 5), [48000, 43200]);
  });

  it('refuses rates that are not whole positive numbers of Hz', async () => {
    for (const [from, to] of [[0, 16000], [48000, 16000.5], [NaN, 16000], [48000, -1]]) {
      await assert.rejects(resample([new Float32Array(10)], from, to), RangeError);
    }
  });

  it('works in a worker thread (where the audio pipeline runs it)', async () => {
    const script = `
      const { parentPort } = require('node:worker_threads');
      const { resample } = require(${JSON.stringify(path.resolve(__dirname, '../../nodes/lib/resample.js'))});
      resample([new Float32Array(48000).fill(0.25)], 48000, 16000).then(
        ([y]) => parentPort.postMessage({ length: y.length, mid: y[8000] }),
        (err) => parentPort.postMessage({ error: String(err) }),
      );`;
    const result = await new Promise<{ length?: number; mid?: number; error?: string }>((resolve, reject) => {
      const worker = new Worker(script, { eval: true });
      worker.once('message', (m: { length?: number; mid?: number; error?: string }) => {
        void worker.terminate();
        resolve(m);
      });
      worker.once('error', reject);
    });
    assert.equal(result.error, undefined);
    assert.equal(result.length, 16000);
    assert.ok(Math.abs((result.mid ?? 0) - 0.25) < 1e-3);
  });

  it('agrees with sox on speech (difference under −40 dB) and aliases no more than sox on a sweep (within 3 dB)', async function () {
    if (!hasTool('sox')) this.skip();
    const speech = await speak('Resampling must not change what the voice says, nor add anything.');
    const scratch = scratchDir();
    try {
      // The simulator's speech brought to 48 kHz by sox itself, so that both resamplers start from the same file,
      // and cut above 6 kHz (sox `sinc`): below that both resamplers are flat, above it they differ by design.
      fs.writeFileSync(scratch.file('raw.wav'), floatWav([speech.samples], speech.sampleRate));
      const up = spawnSync('sox', ['-V1', scratch.file('raw.wav'), '-e', 'floating-point', '-r', '48000', scratch.file('in.wav'), 'sinc', '-6k'], { encoding: 'utf8' });
      assert.equal(up.status, 0, up.stderr);
      const input = readFloatWav(fs.readFileSync(scratch.file('in.wav'))).channels[0];
      for (const to of [16000, 44100]) {
        const run = spawnSync('sox', ['-V1', scratch.file('in.wav'), '-r', String(to), scratch.file('out.wav')], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        const theirs = readFloatWav(fs.readFileSync(scratch.file('out.wav'))).channels[0];
        const [ours] = await resample([input], 48000, to);
        assert.ok(Math.abs(theirs.length - ours.length) <= 1, `${theirs.length} vs ${ours.length}`);
        const n = Math.min(ours.length, theirs.length);
        const diff = new Float32Array(n);
        for (let i = 0; i < n; i++) diff[i] = ours[i] - theirs[i];
        const db = 10 * Math.log10(energy(diff) / energy(theirs, 0, n));
        assert.ok(db < -40, `→ ${to}: ours − sox is ${db.toFixed(1)} dB`);
      }
      // An exponential 20 Hz–24 kHz sweep: what is left once it is past 1.075 × the new Nyquist frequency.
      const seconds = 8;
      const sweep = new Float32Array(48000 * seconds);
      const k = Math.log(24000 / 20) / seconds;
      for (let i = 0; i < sweep.length; i++) sweep[i] = 0.5 * Math.sin(((2 * Math.PI * 20) / k) * (Math.exp((k * i) / 48000) - 1));
      fs.writeFileSync(scratch.file('sweep.wav'), floatWav([sweep], 48000));
      for (const to of [16000, 44100]) {
        const run = spawnSync('sox', ['-V1', scratch.file('sweep.wav'), '-r', String(to), scratch.file('out.wav')], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        const theirs = readFloatWav(fs.readFileSync(scratch.file('out.wav'))).channels[0];
        const [ours] = await resample([sweep], 48000, to);
        const at = (hz: number) => Math.log(hz / 20) / Math.log(24000 / 20);
        const left = (x: Float32Array) => {
          const inBand = energy(x, 0, Math.round(at(0.45 * to) * x.length));
          return 10 * Math.log10(energy(x, Math.round(at(0.5375 * to) * x.length)) / inBand);
        };
        assert.ok(left(ours) < -60, `→ ${to}: ${left(ours).toFixed(1)} dB left`);
        assert.ok(left(ours) < left(theirs) + 3, `→ ${to}: ${left(ours).toFixed(1)} dB vs sox ${left(theirs).toFixed(1)} dB`);
      }
    } finally {
      scratch.done();
    }
  });
});
