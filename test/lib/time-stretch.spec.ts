import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { timeStretch } from '../../nodes/lib/time-stretch';
import { speak } from '../../simulator/speech';
import { dominantHz, floatWav, harmonic, hasTool, maxStep, readFloatWav, rmsWindows, scratchDir, sine, soxStat } from './dsp-fixtures';

const SPEEDS = [0.5, 0.75, 1.5, 2];

describe('lib/time-stretch', function () {
  this.timeout(60000);

  it('returns the input itself at speed 1', () => {
    const x = [sine(48000, 0.5, 220, 0.3)];
    assert.equal(timeStretch(x, 48000, 1), x);
  });

  it('refuses a speed outside 0.5–2, a bad rate and channels of different lengths', () => {
    const x = [sine(16000, 0.1, 220, 0.3)];
    for (const speed of [0.49, 2.01, NaN, Infinity, 0, -1, '1.5' as unknown as number]) {
      assert.throws(() => timeStretch(x, 16000, speed), RangeError, String(speed));
    }
    assert.throws(() => timeStretch(x, 0, 1.5), RangeError);
    assert.throws(() => timeStretch(x, NaN, 1.5), RangeError);
    assert.throws(() => timeStretch([x[0], new Float32Array(3)], 16000, 1.5), /same length/);
  });

  it('handles empty and very short input', () => {
    assert.deepEqual(timeStretch([new Float32Array(0)], 16000, 2), [new Float32Array(0)]);
    const y = timeStretch([new Float32Array([0.5, -0.5, 0.25])], 16000, 0.5);
    assert.equal(y[0].length, 6);
    assert.deepEqual(timeStretch([], 16000, 2), []);
  });

  for (const rate of [48000, 16000]) {
    for (const speed of SPEEDS) {
      it(`${rate / 1000} kHz, speed ${speed}: a 220 Hz tone keeps its frequency (1 %) and level, length round(n / speed), no clicks`, () => {
        const amp = 0.5;
        const x = sine(rate, 2, 220, amp);
        const [y] = timeStretch([x], rate, speed);
        assert.equal(y.length, Math.round(x.length / speed));
        const mid = y.subarray(Math.round(0.1 * rate), y.length - Math.round(0.1 * rate));
        const hz = dominantHz(mid, rate, 200, 240);
        assert.ok(Math.abs(hz / 220 - 1) < 0.01, `${hz} Hz`);
        // A click is a jump larger than the sine's own steepest step; a bad join also shows as a dip in level.
        const slope = (amp * 2 * Math.PI * 220) / rate;
        assert.ok(maxStep(y) <= slope * 1.05, `largest step ${maxStep(y)} vs the sine's ${slope}`);
        const levels = rmsWindows(mid, Math.round(0.005 * rate));
        const expected = amp / Math.SQRT2;
        for (const level of levels) assert.ok(Math.abs(20 * Math.log10(level / expected)) < 0.5, `level ${level} vs ${expected}`);
      });
    }
  }

  for (const speed of SPEEDS) {
    it(`speed ${speed}: a voiced-like harmonic signal (f0 140 Hz) keeps its fundamental (1 %), spectrum and smoothness`, () => {
      const rate = 24000;
      const x = harmonic(rate, 2, 140, 0.6);
      const [y] = timeStretch([x], rate, speed);
      assert.equal(y.length, Math.round(x.length / speed));
      const mid = y.subarray(Math.round(0.1 * rate), y.length - Math.round(0.1 * rate));
      const hz = dominantHz(mid, rate, 120, 160);
      assert.ok(Math.abs(hz / 140 - 1) < 0.01, `${hz} Hz`);
      // The third harmonic stays where it was, too (a resampling stretcher would move it).
      const h3 = dominantHz(mid, rate, 400, 440);
      assert.ok(Math.abs(h3 / 420 - 1) < 0.01, `${h3} Hz`);
      assert.ok(maxStep(y) <= maxStep(x) * 1.1, `largest step ${maxStep(y)} vs the input's ${maxStep(x)}`);
      const inLevel = rmsWindows(x.subarray(rate / 2, rate), rate / 2)[0];
      for (const level of rmsWindows(mid, Math.round(0.02 * rate))) {
        assert.ok(Math.abs(20 * Math.log10(level / inLevel)) < 1, `level ${level} vs ${inLevel}`);
      }
    });
  }

  it('keeps stereo channels aligned (the same cuts in each)', () => {
    const rate = 16000;
    const left = harmonic(rate, 1, 180, 0.5);
    const right = left.map((v) => -v);
    const [l, r] = timeStretch([left, right], rate, 1.5);
    for (let i = 0; i < l.length; i++) assert.equal(l[i], -r[i]);
  });

  it('speech from the simulator: length round(n / speed), level kept, no sample beyond the input\'s peak × 1.05', async () => {
    const pcm = await speak('The quick brown fox jumps over the lazy dog. Announcement for platform two.');
    const x = pcm.samples;
    let peak = 0;
    for (const v of x) peak = Math.max(peak, Math.abs(v));
    const energy = (s: Float32Array) => s.reduce((e, v) => e + v * v, 0) / s.length;
    for (const speed of SPEEDS) {
      const [y] = timeStretch([x], pcm.sampleRate, speed);
      assert.equal(y.length, Math.round(x.length / speed));
      let out = 0;
      for (const v of y) out = Math.max(out, Math.abs(v));
      assert.ok(out <= peak * 1.05, `speed ${speed}: peak ${out} vs ${peak}`);
      // Mean power of speech is kept within 1.5 dB (frames are moved, not scaled).
      const db = 10 * Math.log10(energy(y) / energy(x));
      assert.ok(Math.abs(db) < 1.5, `speed ${speed}: ${db.toFixed(2)} dB`);
    }
  });

  it('agrees with sox\'s WSOLA (`tempo -s`) on length and frequency (sox stat, an independent reading)', function () {
    if (!hasTool('sox')) this.skip();
    const rate = 48000;
    const scratch = scratchDir();
    try {
      fs.writeFileSync(scratch.file('in.wav'), floatWav([sine(rate, 3, 220, 0.5)], rate));
      for (const speed of SPEEDS) {
        const [y] = timeStretch([sine(rate, 3, 220, 0.5)], rate, speed);
        fs.writeFileSync(scratch.file('ours.wav'), floatWav([y], rate));
        const run = spawnSync('sox', [scratch.file('in.wav'), scratch.file('sox.wav'), 'tempo', '-s', String(speed)], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        const ours = soxStat(scratch.file('ours.wav'));
        const theirs = soxStat(scratch.file('sox.wav'));
        assert.ok(Math.abs(ours.seconds - theirs.seconds) < 0.005, `speed ${speed}: ${ours.seconds} s vs sox ${theirs.seconds} s`);
        assert.ok(Math.abs(ours.roughHz / 220 - 1) < 0.01, `speed ${speed}: sox reads ${ours.roughHz} Hz in ours`);
        assert.ok(Math.abs(ours.roughHz / theirs.roughHz - 1) < 0.01, `speed ${speed}: ${ours.roughHz} Hz vs sox's ${theirs.roughHz}`);
        // And our own reading of sox's output, to check the reader against a second stretcher.
        const back = readFloatWav(fs.readFileSync(scratch.file('sox.wav')));
        assert.ok(Math.abs(dominantHz(back.channels[0], rate, 200, 240) / 220 - 1) < 0.01);
      }
    } finally {
      scratch.done();
    }
  });
});
