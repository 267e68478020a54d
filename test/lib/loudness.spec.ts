import assert from 'node:assert/strict';
import fs from 'node:fs';
import { kWeighting, measureLoudness, normalizeLoudness } from '../../nodes/lib/loudness';
import { speak, resample } from '../../simulator/speech';
import { ffmpegLoudness, floatWav, hasTool, noise, scratchDir, sine } from './dsp-fixtures';

/** EBU Tech 3341's sine: `dbfs` is the peak level in dBFS. */
const tech3341 = (rate: number, seconds: number, dbfs: number) => sine(rate, seconds, 1000, 10 ** (dbfs / 20));
const concat = (...parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** Fades of 5 ms at both ends (so that no interpolator rings at a hard start). */
const faded = (x: Float32Array, rate: number) => {
  const n = Math.round(0.005 * rate);
  for (let i = 0; i < n && i < x.length; i++) {
    const g = i / n;
    x[i] *= g;
    x[x.length - 1 - i] *= g;
  }
  return x;
};
/** Noise bursts: 0.7 s loud (band-limited by a 4-sample average) and 0.7 s soft, `seconds` long. */
function noiseBursts(rate: number, seconds: number): Float32Array {
  const next = noise(7);
  const x = new Float32Array(Math.round(rate * seconds));
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const v = next();
    const smooth = (v + a + b + c) / 4;
    c = b;
    b = a;
    a = v;
    x[i] = (Math.floor(i / (0.7 * rate)) % 2 ? 0.4 : 0.02) * smooth;
  }
  return faded(x, rate);
}

describe('lib/loudness', function () {
  this.timeout(60000);

  describe('measureLoudness', () => {
    it('K-weighting at 48 kHz has the coefficients of BS.1770-4 Tables 1 and 2', () => {
      const [pre, rlb] = kWeighting(48000);
      const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
      close(pre.b0, 1.53512485958697);
      close(pre.b1, -2.69169618940638);
      close(pre.b2, 1.19839281085285);
      close(pre.a1, -1.69065929318241);
      close(pre.a2, 0.73248077421585);
      close(rlb.a1, -1.99004745483398);
      close(rlb.a2, 0.99007225036621);
    });

    for (const rate of [48000, 44100, 16000]) {
      it(`EBU Tech 3341 cases 1 and 2 at ${rate / 1000} kHz: −23.0 and −33.0 LUFS (±0.1)`, () => {
        const stereo = (x: Float32Array) => [x, x];
        const case1 = measureLoudness(stereo(tech3341(rate, 20, -23)), rate);
        assert.ok(Math.abs(case1.integrated + 23) <= 0.1, `case 1: ${case1.integrated}`);
        const case2 = measureLoudness(stereo(tech3341(rate, 20, -33)), rate);
        assert.ok(Math.abs(case2.integrated + 33) <= 0.1, `case 2: ${case2.integrated}`);
        // The sine's true peak is its amplitude (the Annex 2 filter's ripple: < 0.1 dB).
        assert.ok(Math.abs(case1.truePeak + 23) < 0.1, `true peak ${case1.truePeak}`);
      });
    }

    it('EBU Tech 3341 cases 3 and 5 (relative gate) at 16 kHz: −23.0 LUFS (±0.1)', () => {
      const rate = 16000;
      const stereo = (x: Float32Array) => [x, x];
      // Case 3: −36, −23, −36 dBFS for 10, 60, 10 s: the quiet parts fall under the relative gate.
      const case3 = measureLoudness(stereo(concat(tech3341(rate, 10, -36), tech3341(rate, 60, -23), tech3341(rate, 10, -36))), rate);
      assert.ok(Math.abs(case3.integrated + 23) <= 0.1, `case 3: ${case3.integrated}`);
      // Case 5: −26, −20, −26 dBFS for 20, 20.1, 20 s.
      const case5 = measureLoudness(stereo(concat(tech3341(rate, 20, -26), tech3341(rate, 20.1, -20), tech3341(rate, 20, -26))), rate);
      assert.ok(Math.abs(case5.integrated + 23) <= 0.1, `case 5: ${case5.integrated}`);
    });

    it('EBU Tech 3341 case 4: −72, −36, −23, −36, −72 dBFS: the absolute gate drops the −72 parts', () => {
      const rate = 16000;
      const x = concat(tech3341(rate, 10, -72), tech3341(rate, 10, -36), tech3341(rate, 60, -23), tech3341(rate, 10, -36), tech3341(rate, 10, -72));
      const m = measureLoudness([x, x], rate);
      assert.ok(Math.abs(m.integrated + 23) <= 0.1, String(m.integrated));
    });

    it('true peak (Tech 3341 cases 15 and 16): a 0.5 FS sine at fs/4 reads −6.0 dBTP (+0.2/−0.4) at 0° and 45° phase', () => {
      const rate = 48000;
      for (const phase of [0, Math.PI / 4]) {
        // Faded in and out: a hard start makes any interpolator ring above the sine's peak.
        const x = faded(sine(rate, 1, 12000, 0.5, phase), rate);
        const m = measureLoudness([x], rate);
        assert.ok(m.truePeak <= -5.8 && m.truePeak >= -6.4, `${phase}: ${m.truePeak} dBTP`);
      }
      // At 45° every sample is at 0.354 (−9 dBFS): the peak is between them.
      let sampled = 0;
      for (const v of sine(rate, 1, 12000, 0.5, Math.PI / 4)) sampled = Math.max(sampled, Math.abs(v));
      assert.ok(20 * Math.log10(sampled) < -8.9);
    });

    it('gives −Infinity for silence, for under 400 ms and for all under −70 LUFS; weights surround channels and drops the LFE', () => {
      const rate = 16000;
      assert.deepEqual(measureLoudness([new Float32Array(rate)], rate), { integrated: -Infinity, truePeak: -Infinity });
      assert.equal(measureLoudness([tech3341(rate, 0.39, -10)], rate).integrated, -Infinity);
      assert.ok(measureLoudness([tech3341(rate, 0.41, -10)], rate).integrated > -20);
      assert.equal(measureLoudness([tech3341(rate, 5, -75)], rate).integrated, -Infinity);
      assert.deepEqual(measureLoudness([], rate).integrated, -Infinity);
      const x = tech3341(rate, 2, -23);
      const zero = new Float32Array(x.length);
      const front = measureLoudness([x, zero, zero, zero, zero, zero], rate).integrated;
      const surround = measureLoudness([zero, zero, zero, zero, x, zero], rate).integrated;
      const lfe = measureLoudness([zero, zero, zero, x, zero, zero], rate).integrated;
      assert.ok(Math.abs(surround - front - 10 * Math.log10(1.41)) < 0.01, `${surround} vs ${front}`);
      assert.equal(lfe, -Infinity);
    });

    it('refuses a bad sample rate and channels of different lengths', () => {
      assert.throws(() => measureLoudness([new Float32Array(10)], 0), RangeError);
      assert.throws(() => measureLoudness([new Float32Array(10)], NaN), RangeError);
      assert.throws(() => measureLoudness([new Float32Array(10), new Float32Array(9)], 16000), /same length/);
    });

    it('agrees with ffmpeg\'s ebur128 meter (0.1 LU integrated, 0.3 dB true peak) on tones, noise bursts and speech at 16 and 48 kHz', async function () {
      if (!hasTool('ffmpeg')) this.skip();
      const speech = await speak('Attention please. The train to Shanghai leaves from platform seven in five minutes.');
      const speech48 = resample(speech.samples, speech.sampleRate, 48000);
      const speech16 = resample(speech.samples, speech.sampleRate, 16000);
      const cases: [string, number, Float32Array[]][] = [];
      for (const rate of [16000, 48000]) {
        cases.push(
          [`${rate / 1000} kHz 1 kHz sine, mono, −12 dBFS`, rate, [faded(sine(rate, 8, 1000, 0.25), rate)]],
          [`${rate / 1000} kHz 100 Hz + 3 kHz, stereo`, rate, [faded(sine(rate, 6, 100, 0.4), rate), faded(sine(rate, 6, 3000, 0.1), rate)]],
          [`${rate / 1000} kHz noise bursts`, rate, [noiseBursts(rate, 10)]],
        );
      }
      cases.push(['16 kHz speech', 16000, [speech16]], ['48 kHz speech', 48000, [speech48]]);
      const scratch = scratchDir();
      try {
        for (const [name, rate, channels] of cases) {
          fs.writeFileSync(scratch.file('in.wav'), floatWav(channels, rate));
          const theirs = ffmpegLoudness(scratch.file('in.wav'));
          const ours = measureLoudness(channels, rate);
          assert.ok(Math.abs(ours.integrated - theirs.integrated) <= 0.1, `${name}: ${ours.integrated} LUFS vs ffmpeg ${theirs.integrated}`);
          assert.ok(Math.abs(ours.truePeak - theirs.truePeak) <= 0.3, `${name}: ${ours.truePeak} dBTP vs ffmpeg ${theirs.truePeak}`);
        }
      } finally {
        scratch.done();
      }
    });
  });

  describe('normalizeLoudness', () => {
    it('brings speech to the target (±0.1 LU, checked by ffmpeg) when the ceiling allows it', async function () {
      const { samples, sampleRate } = await speak('Every voice then plays at the same level.');
      const quiet = samples.map((v) => v * 0.05);
      const r = normalizeLoudness([quiet], sampleRate, -23, -1);
      assert.ok(r.before.integrated < -30, String(r.before.integrated));
      assert.ok(Math.abs(r.after.integrated + 23) < 0.01, String(r.after.integrated));
      assert.ok(Math.abs(r.gainDb - (-23 - r.before.integrated)) < 1e-9);
      const again = measureLoudness(r.channels, sampleRate);
      assert.ok(Math.abs(again.integrated - r.after.integrated) < 0.01);
      assert.ok(Math.abs(again.truePeak - r.after.truePeak) < 0.01);
      assert.ok(again.truePeak <= -1 + 1e-3);
      assert.notEqual(r.channels[0], quiet);
      if (hasTool('ffmpeg')) {
        const scratch = scratchDir();
        try {
          fs.writeFileSync(scratch.file('out.wav'), floatWav(r.channels, sampleRate));
          const theirs = ffmpegLoudness(scratch.file('out.wav'));
          assert.ok(Math.abs(theirs.integrated + 23) <= 0.1, `ffmpeg reads ${theirs.integrated}`);
        } finally {
          scratch.done();
        }
      }
    });

    it('lowers the gain to keep the true peak at the ceiling, and reports the missed target in `after`', () => {
      const rate = 48000;
      // A peaky signal: short loud clicks over a quiet tone (high peak-to-loudness ratio).
      const x = sine(rate, 5, 440, 0.05);
      for (let i = rate; i < x.length; i += rate) x[i] = 0.5;
      const r = normalizeLoudness([x], rate, -10, -1);
      const again = measureLoudness(r.channels, rate);
      assert.ok(again.truePeak <= -1 + 1e-3, `${again.truePeak} dBTP`);
      assert.ok(Math.abs(r.after.truePeak + 1) < 1e-9);
      assert.ok(r.after.integrated < -10.5, `${r.after.integrated}`);
      assert.ok(Math.abs(again.integrated - r.after.integrated) < 0.01);
      assert.ok(Math.abs(r.gainDb - (-1 - r.before.truePeak)) < 1e-9);
    });

    it('leaves silence and all-gated input unchanged with gain 0, and does not change its input', () => {
      const rate = 16000;
      for (const x of [new Float32Array(rate), tech3341(rate, 0.3, -10), tech3341(rate, 2, -80)]) {
        const r = normalizeLoudness([x], rate, -16, -1);
        assert.equal(r.channels[0], x);
        assert.equal(r.gainDb, 0);
        assert.equal(r.after, r.before);
      }
      const x = tech3341(rate, 2, -30);
      const copy = x.slice();
      normalizeLoudness([x], rate, -16, -1);
      assert.deepEqual(x, copy);
    });

    it('refuses a target or ceiling that is not a finite number', () => {
      const x = [tech3341(16000, 1, -20)];
      assert.throws(() => normalizeLoudness(x, 16000, NaN, -1), RangeError);
      assert.throws(() => normalizeLoudness(x, 16000, -16, Infinity), RangeError);
    });
  });
});
