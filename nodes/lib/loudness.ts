/**
 * Loudness by ITU-R BS.1770-4 with EBU R128's gating, and true peak by
 * BS.1770-4 Annex 2; normalisation to a target loudness under a true-peak
 * ceiling.
 *
 * Written by hand: a loudness meter from npm (ebur128-wasm, loudness) would be
 * a seventh runtime dependency, and the rules are short and exactly specified.
 * Sources of each rule:
 * - K-weighting: the two biquads of BS.1770-4 §2.1 (pre-filter, then the RLB
 *   high-pass), with coefficients for any sample rate derived from their analog
 *   prototypes the way libebur128 does (ebur128_init_filter: f0, G and Q below);
 *   at 48 kHz they are the standard's tables.
 * - Blocks: 400 ms (gating blocks) every 100 ms (75 % overlap); a block's
 *   loudness is −0.691 + 10·log10(Σ Gᵢ·zᵢ), zᵢ the mean square of channel i;
 *   100 ms is (rate + 5) / 10 samples, as in libebur128.
 * - Channel weights Gᵢ: L, R, C 1.0; Ls, Rs 1.41 (BS.1770-4 Table 3), in the
 *   WAV/libebur128 default order L, R, C, LFE, Ls, Rs; the LFE (index 3 when
 *   there are 5 or more channels) is left out, as BS.1770 says. Mono is one
 *   channel of weight 1 (not dual mono).
 * - Gating (BS.1770-4 §2.8): blocks above the absolute gate −70 LUFS, then
 *   above the relative gate (their loudness − 10 LU); the integrated loudness
 *   is that of the mean square of the blocks left.
 * - True peak (BS.1770-4 Annex 2): 4× oversampling with the Annex's 48-tap
 *   FIR (four 12-tap phases), the highest absolute value (or sample, if
 *   higher) in dBTP. The Annex's filter is given for 48 kHz; used as it is at
 *   any rate (it scales with the rate, as libebur128's 4× interpolator does
 *   below 96 kHz).
 */

/** What a measurement gives. */
export interface Loudness {
  /** Integrated loudness in LUFS; −Infinity when every block is gated (silence, or under 400 ms). */
  integrated: number;
  /** True peak in dBTP (−Infinity for digital silence). */
  truePeak: number;
}

/** Absolute and relative gates (BS.1770-4 §2.8). */
const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;

/** BS.1770-4 Annex 2: the 4× interpolation filter, as its four polyphase components. */
const TRUE_PEAK_PHASES: readonly (readonly number[])[] = [
  [
    0.001708984375, 0.010986328125, -0.0196533203125, 0.033203125, -0.0594482421875, 0.1373291015625,
    0.97216796875, -0.102294921875, 0.047607421875, -0.0266113281250, 0.014892578125, -0.00830078125,
  ],
  [
    -0.0291748046875, 0.029296875, -0.0517578125, 0.089111328125, -0.166503906250, 0.465087890625,
    0.77978515625, -0.2003173828125, 0.1015625, -0.0582275390625, 0.0330810546875, -0.0189208984375,
  ],
  [
    -0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625, -0.2003173828125, 0.77978515625,
    0.465087890625, -0.166503906250, 0.089111328125, -0.0517578125, 0.029296875, -0.0291748046875,
  ],
  [
    -0.00830078125, 0.014892578125, -0.0266113281250, 0.047607421875, -0.102294921875, 0.97216796875,
    0.1373291015625, -0.0594482421875, 0.033203125, -0.0196533203125, 0.010986328125, 0.001708984375,
  ],
];

/** One second-order section: y = b0·x + b1·x₋₁ + b2·x₋₂ − a1·y₋₁ − a2·y₋₂. */
export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/**
 * BS.1770-4's K-weighting at `rate`, as libebur128 derives it (ebur128.c,
 * ebur128_init_filter): a high-shelf pre-filter (f0 1681.97 Hz, +4 dB) and the
 * RLB high-pass (f0 38.14 Hz), bilinear transforms of their analog prototypes.
 */
export function kWeighting(rate: number): [Biquad, Biquad] {
  let f0 = 1681.974450955533;
  const G = 3.999843853973347;
  let Q = 0.7071752369554196;
  let K = Math.tan((Math.PI * f0) / rate);
  const Vh = 10 ** (G / 20);
  const Vb = Vh ** 0.4996667741545416;
  let a0 = 1 + K / Q + K * K;
  const pre: Biquad = {
    b0: (Vh + (Vb * K) / Q + K * K) / a0,
    b1: (2 * (K * K - Vh)) / a0,
    b2: (Vh - (Vb * K) / Q + K * K) / a0,
    a1: (2 * (K * K - 1)) / a0,
    a2: (1 - K / Q + K * K) / a0,
  };
  f0 = 38.13547087602444;
  Q = 0.5003270373238773;
  K = Math.tan((Math.PI * f0) / rate);
  a0 = 1 + K / Q + K * K;
  const rlb: Biquad = { b0: 1, b1: -2, b2: 1, a1: (2 * (K * K - 1)) / a0, a2: (1 - K / Q + K * K) / a0 };
  return [pre, rlb];
}

/** Channel weight Gᵢ by position (see the module comment). */
function channelWeight(index: number, count: number): number {
  if (count >= 5 && index === 3) return 0;
  if (count >= 5 && (index === 4 || index === 5)) return 1.41;
  return 1;
}

/** Mean squares of the K-weighted channels, weighted and summed, per 100 ms step. */
function stepEnergies(channels: Float32Array[], rate: number): Float64Array {
  const stepLength = Math.floor((rate + 5) / 10);
  const length = channels.length > 0 ? channels[0].length : 0;
  const steps = new Float64Array(Math.floor(length / stepLength));
  const [pre, rlb] = kWeighting(rate);
  for (let c = 0; c < channels.length; c++) {
    const weight = channelWeight(c, channels.length);
    if (weight === 0) continue;
    const x = channels[c];
    // Direct form I, both sections, in doubles.
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    let z1 = 0;
    let z2 = 0;
    for (let s = 0, i = 0; s < steps.length; s++) {
      let sum = 0;
      for (const end = i + stepLength; i < end; i++) {
        const v = x[i];
        const y = pre.b0 * v + pre.b1 * x1 + pre.b2 * x2 - pre.a1 * y1 - pre.a2 * y2;
        x2 = x1;
        x1 = v;
        const z = y - 2 * y1 + y2 - rlb.a1 * z1 - rlb.a2 * z2;
        y2 = y1;
        y1 = y;
        z2 = z1;
        z1 = z;
        sum += z * z;
      }
      steps[s] += (weight * sum) / stepLength;
    }
  }
  return steps;
}

/** The gating blocks' energies (Σ Gᵢ·zᵢ): 400 ms every 100 ms, complete blocks only. */
function blockEnergies(steps: Float64Array): Float64Array {
  const blocks = new Float64Array(Math.max(0, steps.length - 3));
  for (let j = 0; j < blocks.length; j++) blocks[j] = (steps[j] + steps[j + 1] + steps[j + 2] + steps[j + 3]) / 4;
  return blocks;
}

const loudnessOf = (energy: number) => -0.691 + 10 * Math.log10(energy);

/** Integrated loudness of blocks whose energies are scaled by `gain` (a power ratio). */
function gatedLoudness(blocks: Float64Array, gain = 1): number {
  const absolute = 10 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10);
  let sum = 0;
  let count = 0;
  for (const b of blocks) {
    if (b * gain > absolute) {
      sum += b * gain;
      count++;
    }
  }
  if (count === 0) return -Infinity;
  const relative = (sum / count) * 10 ** (RELATIVE_GATE_LU / 10);
  sum = 0;
  count = 0;
  for (const b of blocks) {
    const e = b * gain;
    if (e > absolute && e > relative) {
      sum += e;
      count++;
    }
  }
  return count === 0 ? -Infinity : loudnessOf(sum / count);
}

/** The highest absolute value of the channels 4× oversampled (BS.1770-4 Annex 2), or of the samples if higher. */
function truePeakLinear(channels: Float32Array[]): number {
  let peak = 0;
  for (const x of channels) peak = Math.max(peak, polyphasePeak(x));
  return peak;
}

/**
 * max |Σ h_p[t]·x[k − t]| over every output k and phase p, and |x[k]|, with x
 * zero before and after: the filter runs into and out of the signal, as a
 * stream would (its history starts at zero; 11 zeros after the last sample
 * flush it, without a padded copy). The phases are mirror images (h₃ =
 * reversed h₀, h₂ = reversed h₁), so the last 12 samples, held in locals,
 * give all four outputs (a hot loop: no arrays).
 */
function polyphasePeak(x: Float32Array): number {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11] = TRUE_PEAK_PHASES[0];
  const [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11] = TRUE_PEAK_PHASES[1];
  let peak = 0;
  let x1 = 0, x2 = 0, x3 = 0, x4 = 0, x5 = 0, x6 = 0, x7 = 0, x8 = 0, x9 = 0, x10 = 0, x11 = 0;
  const n = x.length;
  for (let k = 0, end = n + TRUE_PEAK_PHASES[0].length - 1; k < end; k++) {
    const x0 = k < n ? x[k] : 0;
    // h₀·(x₀ … x₁₁) and h₃ = h₀ reversed·(x₀ … x₁₁), likewise h₁ and h₂.
    const p0 = a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3 + a4 * x4 + a5 * x5 + a6 * x6 + a7 * x7 + a8 * x8 + a9 * x9 + a10 * x10 + a11 * x11;
    const p3 = a11 * x0 + a10 * x1 + a9 * x2 + a8 * x3 + a7 * x4 + a6 * x5 + a5 * x6 + a4 * x7 + a3 * x8 + a2 * x9 + a1 * x10 + a0 * x11;
    const p1 = b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3 + b4 * x4 + b5 * x5 + b6 * x6 + b7 * x7 + b8 * x8 + b9 * x9 + b10 * x10 + b11 * x11;
    const p2 = b11 * x0 + b10 * x1 + b9 * x2 + b8 * x3 + b7 * x4 + b6 * x5 + b5 * x6 + b4 * x7 + b3 * x8 + b2 * x9 + b1 * x10 + b0 * x11;
    const m = Math.max(Math.abs(p0), Math.abs(p1), Math.abs(p2), Math.abs(p3), Math.abs(x0));
    if (m > peak) peak = m;
    x11 = x10;
    x10 = x9;
    x9 = x8;
    x8 = x7;
    x7 = x6;
    x6 = x5;
    x5 = x4;
    x4 = x3;
    x3 = x2;
    x2 = x1;
    x1 = x0;
  }
  return peak;
}

const toDb = (linear: number) => 20 * Math.log10(linear);

function check(channels: Float32Array[], sampleRate: number): void {
  if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate >= 1000)) {
    throw new RangeError(`the sample rate must be a number of Hz from 1000 up, not ${String(sampleRate)}`);
  }
  if (channels.some((c) => c.length !== channels[0].length)) throw new RangeError('every channel must have the same length');
}

/**
 * Integrated loudness (LUFS, BS.1770-4 with EBU R128 gating) and true peak
 * (dBTP, BS.1770-4 Annex 2) of planar channels (samples in −1…1, channel order
 * L, R, C, LFE, Ls, Rs). Under 400 ms of audio, or all of it under −70 LUFS,
 * gives integrated −Infinity. Throws RangeError for a sample rate under
 * 1000 Hz or channels of different lengths.
 */
export function measureLoudness(channels: Float32Array[], sampleRate: number): Loudness {
  check(channels, sampleRate);
  const steps = stepEnergies(channels, sampleRate);
  return { integrated: gatedLoudness(blockEnergies(steps)), truePeak: toDb(truePeakLinear(channels)) };
}

/**
 * The channels scaled to `targetLufs` integrated loudness, with the true peak
 * kept at or below `maxTruePeakDbtp`: the gain is target − integrated, lowered
 * to maxTruePeakDbtp − truePeak when that is less (no limiter: the waveform
 * keeps its shape, and the integrated target is then missed by the
 * difference, which `after` reports). Returns new arrays, the gain in dB and
 * both measurements (`after` from the same blocks scaled, gates applied
 * again). When nothing is left after gating (silence, under 400 ms, all under
 * −70 LUFS) the channels are returned as they are with gainDb 0. Throws
 * RangeError as measureLoudness does, and for a target or ceiling that is not
 * a finite number.
 */
export function normalizeLoudness(
  channels: Float32Array[],
  sampleRate: number,
  targetLufs: number,
  maxTruePeakDbtp: number,
): { channels: Float32Array[]; gainDb: number; before: Loudness; after: Loudness } {
  if (!Number.isFinite(targetLufs)) throw new RangeError(`the loudness target must be a number of LUFS, not ${String(targetLufs)}`);
  if (!Number.isFinite(maxTruePeakDbtp)) throw new RangeError(`the true-peak ceiling must be a number of dBTP, not ${String(maxTruePeakDbtp)}`);
  check(channels, sampleRate);
  const steps = stepEnergies(channels, sampleRate);
  const blocks = blockEnergies(steps);
  const before: Loudness = { integrated: gatedLoudness(blocks), truePeak: toDb(truePeakLinear(channels)) };
  if (before.integrated === -Infinity) return { channels, gainDb: 0, before, after: before };
  const gainDb = Math.min(targetLufs - before.integrated, maxTruePeakDbtp - before.truePeak);
  const gain = 10 ** (gainDb / 20);
  const scaled = channels.map((x) => {
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = x[i] * gain;
    return y;
  });
  const after: Loudness = { integrated: gatedLoudness(blocks, gain * gain), truePeak: before.truePeak + gainDb };
  return { channels: scaled, gainDb, before, after };
}
