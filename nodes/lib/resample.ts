/**
 * Resampling: the Speex resampler (SpeexDSP's resample.c, BSD-3-Clause) in
 * WebAssembly, from @echogarden/speex-resampler-wasm (no install script, no
 * download, the .wasm is in the package).
 *
 * Why Speex and not libsamplerate-js's SRC_SINC_FASTEST (used before): the
 * time there is the converter's own arithmetic, not its JavaScript glue
 * (SRC_LINEAR through the same glue takes ~45 ms per minute of 48 kHz mono,
 * SRC_SINC_FASTEST ~0.8 s): libsamplerate interpolates its filter's
 * coefficients for every tap of every output sample, in doubles, for any
 * ratio. Speex precomputes a polyphase filter bank for ratios such as 3:1, and
 * runs it in SIMD here; a ratio such as 48 → 44.1 kHz (160:147), for which it
 * would interpolate its table too, goes through a chain of passes that each
 * run a bank (stagePlan). See QUALITY and stagePlan for the figures.
 *
 * The package is ESM-only; it is loaded with a real import() (tsc turns a
 * plain one into require() under CommonJS), once per thread.
 */

/**
 * Speex quality 0–10; 3 is SpeexDSP's VoIP preset (a 48-tap Kaiser-8
 * windowed sinc, passband to 0.895 of the lower Nyquist frequency). Measured
 * by tools/resampler-check.ts (60 s of 48 kHz float mono, one core of this
 * 2-CPU VM, CPU time of the resampler alone): quality 2 / 3 / 4 / 5 take
 * 36 / 46 / 45 / 91 ms to 16 kHz; the sweep's aliases to 16 kHz are −85 dB
 * from 3 up (−82.5 at 2, sox −86), and a 12 kHz tone's alias at 4 kHz is
 * −98 dB at 3. Above 3 buys nothing audible for speech and costs time; below
 * 3 the table is too coarse for ratios such as 7:8 (see SPEEX_TABLE), so 3 is
 * also the fastest to 44.1 kHz.
 */
export const QUALITY = 3;

/**
 * Speex's filter table per quality (resample.c, quality_map): its length in
 * taps at 1:1, and how finely it is sampled between taps. Speex runs a
 * precomputed polyphase bank (one multiply-add per tap) when the ratio, in
 * lowest terms, has an output factor of at most `oversample`; past that it
 * interpolates the table for every tap, which is four multiply-adds (48→44.1
 * kHz is 160:147: ~150–220 ms a minute in one stage). See stagePlan.
 */
const SPEEX_TABLE: ReadonlyArray<{ taps: number; oversample: number }> = [
  { taps: 8, oversample: 4 },
  { taps: 16, oversample: 4 },
  { taps: 32, oversample: 4 },
  { taps: 48, oversample: 8 },
  { taps: 64, oversample: 8 },
  { taps: 80, oversample: 16 },
  { taps: 96, oversample: 16 },
  { taps: 128, oversample: 16 },
  { taps: 160, oversample: 16 },
  { taps: 192, oversample: 32 },
  { taps: 256, oversample: 32 },
];

/** Rates further apart than this go through their geometric mean first: Speex's filter grows with the ratio. */
const MAX_RATIO = 256;

/** Input samples handed to the WebAssembly memory at a time. */
const CHUNK = 1 << 16;

/** The part of the Emscripten module used here. */
interface SpeexModule {
  HEAPF32: Float32Array;
  HEAPU32: Uint32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _speex_resampler_init(channels: number, inRate: number, outRate: number, quality: number, errPointer: number): number;
  _speex_resampler_destroy(state: number): void;
  _speex_resampler_process_float(state: number, channel: number, input: number, inLength: number, output: number, outLength: number): number;
  _speex_resampler_skip_zeros(state: number): number;
  _speex_resampler_reset_mem(state: number): number;
  _speex_resampler_get_input_latency(state: number): number;
}
type SpeexFactory = (options?: object) => Promise<SpeexModule>;

// A real import(): tsc would turn a plain one into require(), which cannot load ES modules on Node 20.
const importModule = new Function('s', 'return import(s)') as (specifier: string) => Promise<{ default: SpeexFactory }>;

/** This thread's module, loaded on first use: the SIMD build, else the plain one. */
let speex: Promise<SpeexModule> | undefined;

/** Loads the resampler (once per thread; later calls cost nothing). Rejects when neither build loads. */
export async function loadResampler(): Promise<void> {
  await speexModule();
}

function speexModule(): Promise<SpeexModule> {
  speex ??= importModule('@echogarden/speex-resampler-wasm/simd')
    .then((m) => m.default())
    .catch(() => importModule('@echogarden/speex-resampler-wasm').then((m) => m.default()))
    .catch((err: unknown) => {
      speex = undefined;
      throw new Error(`the Speex resampler did not load: ${err instanceof Error ? err.message : String(err)}`);
    });
  return speex;
}

/**
 * Each channel at the `to` rate: ceil(length × to / from) samples, aligned
 * with the input (the filter's delay removed), by Speex's windowed-sinc
 * polyphase filter at `quality` (0–10, QUALITY unless told), in one pass or
 * in the chain of passes stagePlan gives. Channels are
 * planar, samples in −1…1; the input is not changed. Returns copies of the
 * input when the rates are equal. CPU work that grows with the length (per
 * minute of 48 kHz mono ~0.03 s to 16 kHz, ~0.12 s to 44.1 kHz): run it off
 * the event loop. Rejects with RangeError for rates that are not whole numbers
 * of Hz from 1 up, or when the module cannot load or fails.
 */
export async function resample(
  channels: (Float32Array | Float64Array)[],
  from: number,
  to: number,
  quality = QUALITY,
): Promise<Float32Array[]> {
  for (const rate of [from, to]) {
    if (!Number.isInteger(rate) || rate < 1) throw new RangeError(`a sample rate must be a whole number of Hz, not ${String(rate)}`);
  }
  if (from === to) return channels.map((c) => Float32Array.from(c));
  if (from / to > MAX_RATIO || to / from > MAX_RATIO) {
    const via = Math.round(Math.sqrt(from * to));
    return resample(await resample(channels, from, via, quality), via, to, quality);
  }
  return resampleThrough(channels, stagePlan(from, to, quality), quality);
}

/**
 * Each channel through Speex passes from rates[0] to rates[1], then on to each next rate (rates
 * already checked), streamed: a pass's output in the WebAssembly memory is the next pass's
 * input, so that a chain copies no more than one pass (and holds no whole intermediate signal).
 */
async function resampleThrough(channels: (Float32Array | Float64Array)[], rates: number[], quality: number): Promise<Float32Array[]> {
  const mod = await speexModule();
  const from = rates[0];
  const to = rates[rates.length - 1];
  // Pass k writes into outputs[k], room for all that one full buffer of its input makes.
  const caps: number[] = [];
  for (let k = 1; k < rates.length; k++) caps.push(Math.ceil(((k === 1 ? CHUNK : caps[k - 2]) * rates[k]) / rates[k - 1]) + 64);
  const pointers: number[] = [];
  /** `bytes` of the module's memory; malloc answers 0 when the memory cannot grow. */
  const allocate = (bytes: number) => {
    const pointer = mod._malloc(bytes);
    if (pointer === 0) throw new RangeError(`the resampler could not get ${Math.ceil(bytes / 1024)} kB of memory`);
    pointers.push(pointer);
    return pointer;
  };
  const states: number[] = [];
  try {
    const err = allocate(4);
    const inLength = allocate(4);
    const outLength = allocate(4);
    const input = allocate(CHUNK * 4);
    const outputs = caps.map((cap) => allocate(cap * 4));
    for (let k = 1; k < rates.length; k++) {
      const state = mod._speex_resampler_init(1, rates[k - 1], rates[k], quality, err);
      if (state === 0) throw new RangeError(`the resampler refused ${rates[k - 1]} Hz → ${rates[k]} Hz (error ${mod.HEAP32[err >> 2]})`);
      states.push(state);
    }
    // Zeros that carry every pass's filter delay out, counted in input samples of the first pass.
    const flush = Math.min(CHUNK, 64 + states.reduce((n, state, k) => n + Math.ceil((mod._speex_resampler_get_input_latency(state) * from) / rates[k]), 0));
    return channels.map((channel) => {
      const length = Math.ceil((channel.length * to) / from);
      const out = new Float32Array(length);
      for (const state of states) {
        mod._speex_resampler_reset_mem(state);
        mod._speex_resampler_skip_zeros(state);
      }
      let made = 0;
      /** Runs `n` samples at `at` through pass k and on, collecting what the last pass makes. */
      const run = (k: number, at: number, n: number) => {
        let offset = 0;
        while (offset < n) {
          // Views are taken after every call that may grow the memory (none below does; init may have).
          mod.HEAPU32[inLength >> 2] = n - offset;
          mod.HEAPU32[outLength >> 2] = caps[k];
          const code = mod._speex_resampler_process_float(states[k], 0, at + offset * 4, inLength, outputs[k], outLength);
          if (code !== 0) throw new Error(`the resampler failed (error ${code})`);
          const used = mod.HEAPU32[inLength >> 2];
          const got = mod.HEAPU32[outLength >> 2];
          if (k + 1 < states.length) {
            run(k + 1, outputs[k], got);
          } else {
            const kept = Math.min(got, length - made);
            out.set(mod.HEAPF32.subarray(outputs[k] >> 2, (outputs[k] >> 2) + kept), made);
            made += kept;
          }
          offset += used;
          if (used === 0 && got === 0) break;
        }
      };
      for (let at = 0; at < channel.length; at += CHUNK) {
        const n = Math.min(CHUNK, channel.length - at);
        mod.HEAPF32.set(channel.subarray(at, at + n), input >> 2);
        run(0, input, n);
      }
      // Zeros until the filters' delay is out, then cut to the exact length.
      mod.HEAPF32.fill(0, input >> 2, (input >> 2) + CHUNK);
      for (let tries = 0; made < length && tries < 64; tries++) run(0, input, flush);
      if (made < length) throw new Error(`the resampler gave ${made} of ${length} samples`);
      return out;
    });
  } finally {
    for (const state of states) mod._speex_resampler_destroy(state);
    for (const pointer of pointers) mod._free(pointer);
  }
}

/**
 * The rates to pass through from `from` to `to` Hz (both ends included):
 * `[from, to]`, or a chain of two or three Speex passes whose ratios each run
 * Speex's precomputed polyphase bank (output factor in lowest terms at most
 * the table's oversampling, see SPEEX_TABLE) where one pass would interpolate
 * it, chosen when it takes fewer multiply-adds. No rate in the chain is below
 * min(from, to), so no pass narrows the band. 48000 → 44100 (160:147, 3·7·7)
 * goes 48000 → 67200 → 50400 → 44100 (7:5 up, then 3:4, then 7:8): measured
 * ~115–190 ms for 60 s of mono against ~145–220 ms in one pass (the resampler
 * alone, on this 2-core VM; whole conversion: tools/bench.ts).
 */
export function stagePlan(from: number, to: number, quality = QUALITY): number[] {
  const key = `${from}:${to}:${quality}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = searchPlan(from, to, quality);
    // A handful of rate pairs in practice; the bound only guards against odd WAV headers.
    if (plans.size >= 64) plans.clear();
    plans.set(key, plan);
  }
  return [...plan];
}

/** stagePlan's answers so far (the search takes up to a few ms). */
const plans = new Map<string, readonly number[]>();

function searchPlan(from: number, to: number, quality: number): number[] {
  const { taps, oversample } = SPEEX_TABLE[Math.min(Math.max(Math.round(quality), 0), 10)];
  const g = gcd(from, to);
  const inFactor = from / g;
  const outFactor = to / g;
  /**
   * Whether Speex runs its bank for in:out = p:q in lowest terms (resample.c, update_filter): q at
   * most the table's oversampling, which it halves when downsampling by more than 2, 4, 8 and 16.
   */
  const banked = (p: number, q: number) => {
    let limit = oversample;
    for (const step of [2, 4, 8, 16]) if (p > step * q) limit >>= 1;
    return q <= Math.max(1, limit);
  };
  // Three passes of at most `oversample` each reach oversample³; a huge input factor means a rate no device uses.
  if (banked(inFactor, outFactor) || outFactor > oversample ** 3 || inFactor > MAX_CHAIN_IN_FACTOR) return [from, to];
  // Multiply-adds per input second of one pass: taps × max(1, in:out) per output sample.
  const cost = (a: number, b: number, interpolated: boolean) => b * taps * Math.max(1, a / b) * (interpolated ? 4 : 1);
  let best = { rates: [from, to], cost: cost(from, to, true) };
  const lowest = Math.min(from, to);
  const outs = divisors(outFactor).filter((d) => d <= oversample);
  const ins = divisors(inFactor);
  /** Adds a pass to a chain that has reached `rate`, with `outLeft`/`inLeft` of the factors still to apply. */
  const extend = (rates: number[], spent: number, outLeft: number, inLeft: number) => {
    const rate = rates[rates.length - 1];
    const last = rates.length === 3;
    for (const q of last ? [outLeft] : outs.filter((d) => outLeft % d === 0)) {
      for (const p of last ? [inLeft] : ins.filter((d) => inLeft % d === 0)) {
        const next = (rate / p) * q;
        if (p === q || next < lowest || !banked(p, q)) continue;
        const total = spent + cost(rate, next, false);
        if (q === outLeft && p === inLeft) {
          if (total < best.cost) best = { rates: [...rates, next], cost: total };
        } else if (!last) {
          extend([...rates, next], total, outLeft / q, inLeft / p);
        }
      }
    }
  };
  extend([from], 0, outFactor, inFactor);
  return best.rates;
}

/** Chains are looked for only below this input factor (160 for 48 → 44.1 kHz): it bounds the search. */
const MAX_CHAIN_IN_FACTOR = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The divisors of a whole number n ≥ 1, in no particular order. */
function divisors(n: number): number[] {
  const found: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d === 0) found.push(d, ...(d * d === n ? [] : [n / d]));
  }
  return found;
}
