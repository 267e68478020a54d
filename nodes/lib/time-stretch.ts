/**
 * Speech time-stretching that keeps the pitch: WSOLA (waveform-similarity
 * overlap-add; W. Verhelst and M. Roelands, "An overlap-add technique based on
 * waveform similarity (WSOLA) for high quality time-scale modification of
 * speech", ICASSP 1993; the layout follows J. Driedger and M. Müller, "A Review
 * of Time-Scale Modification of Music Signals", Applied Sciences 6(2), 2016).
 *
 * Written by hand: the npm time-stretchers are a seventh runtime dependency
 * (all six slots are taken) and each brings more than this needs
 * (rubberband-wasm is GPL, soundtouchjs/soundtouch-ts are built around Web
 * Audio nodes). WSOLA is ~150 lines and suits speech well.
 *
 * How: the output is built from Hann-windowed frames of 30 ms, one every
 * 15 ms (50 % overlap, where periodic Hann windows sum to exactly 1, so the
 * joins are smooth). Output frame m is taken from the input near m × 15 ms ×
 * speed, shifted by up to ±8 ms (more than half of any voice's pitch period)
 * to where it best continues the frame before it (normalised
 * cross-correlation, over the half that is overlap-added, with the natural
 * continuation of the previous frame), so
 * that the pitch periods line up and the pitch is kept. The search runs on a
 * ~4 kHz box-filtered mix of the channels first, then to the sample at the full
 * rate around the best match (as Sonic does for its pitch search); every
 * channel is cut at the same places, so channels stay aligned.
 */

import { SPEED_RANGE } from './defaults';

/** Slowest and fastest speed accepted (0.5 = twice as long, 2 = half as long): the setting's range. */
export const MIN_SPEED = SPEED_RANGE.min;
export const MAX_SPEED = SPEED_RANGE.max;

/** Synthesis hop (half the frame) and the search tolerance, in seconds. */
const HOP_S = 0.015;
const TOLERANCE_S = 0.008;
/** Rate of the coarse search's signal. */
const SEARCH_RATE = 4000;

/**
 * The channels played `speed` times as fast with the pitch kept: planar
 * (one array per channel, all of one length), samples in −1…1, returned as new
 * arrays of round(length / speed) samples each. Speed 1 returns `channels`
 * itself. Synchronous CPU work (~0.1–0.4 s per minute of 48 kHz mono): run it
 * off the event loop. Throws RangeError for a speed outside 0.5–2, a sample
 * rate that is not a positive finite number, or channels of different lengths.
 */
export function timeStretch(channels: Float32Array[], sampleRate: number, speed: number): Float32Array[] {
  if (!(typeof speed === 'number' && speed >= MIN_SPEED && speed <= MAX_SPEED)) {
    throw new RangeError(`the speed must be a number from ${MIN_SPEED} to ${MAX_SPEED}, not ${String(speed)}`);
  }
  if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`the sample rate must be a positive number, not ${String(sampleRate)}`);
  }
  if (speed === 1 || channels.length === 0) return channels;
  const length = channels[0].length;
  if (channels.some((c) => c.length !== length)) throw new RangeError('every channel must have the same length');
  const outLength = Math.round(length / speed);
  if (length === 0) return channels.map(() => new Float32Array(0));

  const hop = Math.max(2, Math.round(sampleRate * HOP_S));
  const frame = 2 * hop;
  const half = hop;
  const tolerance = Math.max(1, Math.round(sampleRate * TOLERANCE_S));
  const step = Math.max(1, Math.floor(sampleRate / SEARCH_RATE));
  const analysisHop = hop * speed;
  const frames = Math.ceil(outLength / hop) + 2;

  // Padded input: zeros before (frame 0 is centred on sample 0) and after (the last frames read past the end).
  const front = half + tolerance + step;
  const paddedLength = front + Math.ceil(frames * analysisHop) + frame + 2 * hop + tolerance + 2 * step;
  const padded = channels.map((c) => {
    const p = new Float32Array(paddedLength);
    p.set(c, front);
    return p;
  });
  const mix = mixOf(padded);
  const coarse = decimate(mix, step);
  // Compared: the first half of a frame, where it is overlap-added onto the frame before.
  const coarseLength = Math.max(1, Math.floor(hop / step));

  const window = new Float32Array(frame);
  for (let n = 0; n < frame; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / frame);

  const out = channels.map(() => new Float32Array(frames * hop + frame));
  const fineStride = Math.max(1, Math.floor(step / 4));
  let previous = -1;
  for (let m = 0; m < frames; m++) {
    const nominal = front - half + Math.round(m * analysisHop);
    let start = nominal;
    if (previous >= 0) {
      const natural = previous + hop;
      const lo = nominal - tolerance;
      const hi = nominal + tolerance;
      // Coarse: on the decimated mix, in steps of `step` samples.
      const q = bestMatch(coarse, Math.round(natural / step), Math.ceil(lo / step), Math.floor(hi / step), coarseLength, 1);
      // Fine: at the full rate, within half a coarse step (and one sample) of the coarse answer.
      const reach = (step >> 1) + 1;
      start = bestMatch(mix, natural, Math.max(lo, q * step - reach), Math.min(hi, q * step + reach), hop, fineStride);
    }
    previous = start;
    const at = m * hop;
    for (let c = 0; c < padded.length; c++) {
      const src = padded[c];
      const dst = out[c];
      for (let n = 0; n < frame; n++) dst[at + n] += window[n] * src[start + n];
    }
  }
  return out.map((y) => y.slice(half, half + outLength));
}

/** The average of the channels (the channel itself for mono). */
function mixOf(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const mix = new Float32Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < mix.length; i++) mix[i] += c[i];
  const k = 1 / channels.length;
  for (let i = 0; i < mix.length; i++) mix[i] *= k;
  return mix;
}

/** Box-filtered and decimated by `step` (a crude low-pass, enough to find where periods line up). */
function decimate(x: Float32Array, step: number): Float32Array {
  if (step === 1) return x;
  const out = new Float32Array(Math.floor(x.length / step));
  for (let i = 0, j = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < step; k++, j++) s += x[j];
    out[i] = s / step;
  }
  return out;
}

/**
 * The start in [lo, hi] whose `length` samples of `x` best match those at
 * `target`: the highest cross-correlation divided by the candidate's RMS
 * (looking at every `stride`-th sample). Ties and silence keep the candidate
 * nearest `target`.
 */
function bestMatch(x: Float32Array, target: number, lo: number, hi: number, length: number, stride: number): number {
  const first = Math.max(0, lo);
  const last = Math.min(hi, x.length - length);
  if (last < first) return Math.min(Math.max(target, 0), x.length - length);
  let best = Math.min(Math.max(target, first), last);
  let bestScore = -Infinity;
  const t0 = Math.max(0, Math.min(target, x.length - length));
  for (let p = first; p <= last; p++) {
    let dot = 0;
    let energy = 0;
    for (let n = 0; n < length; n += stride) {
      const v = x[p + n];
      dot += x[t0 + n] * v;
      energy += v * v;
    }
    const score = energy > 0 ? dot / Math.sqrt(energy) : 0;
    if (score > bestScore || (score === bestScore && Math.abs(p - target) < Math.abs(best - target))) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
