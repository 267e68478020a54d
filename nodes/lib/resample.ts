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
 * runs it in SIMD here; see QUALITY for the figures.
 *
 * The package is ESM-only; it is loaded with a real import() (tsc turns a
 * plain one into require() under CommonJS), once per thread.
 */

/**
 * Speex quality 0–10; 3 is SpeexDSP's VoIP preset (a 48-tap Kaiser-8
 * windowed sinc, passband to 0.895 of the lower Nyquist frequency). Measured
 * by tools/resampler-check.ts (60 s of 48 kHz float mono, one core of this
 * 2-CPU VM, CPU time of the resampler alone): quality 2 / 3 / 4 / 5 take
 * 36 / 46 / 45 / 91 ms to 16 kHz and 192 / 239 / 335 / 317 ms to 44.1 kHz
 * (48→44.1 has no small ratio, so Speex interpolates its filter table); the
 * sweep's aliases to 16 kHz are −85 dB from 3 up (−82.5 at 2, sox −86), and a
 * 12 kHz tone's alias at 4 kHz is −98 dB at 3. Above 3 buys nothing audible
 * for speech and costs time to 44.1 kHz.
 */
export const QUALITY = 3;

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
 * polyphase filter at `quality` (0–10, QUALITY unless told). Channels are
 * planar, samples in −1…1; the input is not changed. Returns copies of the
 * input when the rates are equal. CPU work that grows with the length (per
 * minute of 48 kHz mono ~0.05 s to 16 kHz, ~0.25 s to 44.1 kHz): run it off
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
  const mod = await speexModule();
  const cap = Math.ceil((CHUNK * to) / from) + 64;
  const err = mod._malloc(4);
  const inLength = mod._malloc(4);
  const outLength = mod._malloc(4);
  const input = mod._malloc(CHUNK * 4);
  const output = mod._malloc(cap * 4);
  const state = mod._speex_resampler_init(1, from, to, quality, err);
  try {
    if (state === 0) throw new RangeError(`the resampler refused ${from} Hz → ${to} Hz (error ${mod.HEAP32[err >> 2]})`);
    const latency = mod._speex_resampler_get_input_latency(state);
    return channels.map((channel) => {
      const length = Math.ceil((channel.length * to) / from);
      const out = new Float32Array(length);
      mod._speex_resampler_reset_mem(state);
      mod._speex_resampler_skip_zeros(state);
      let made = 0;
      /** Feeds `n` samples (already in `input`), collecting the output; returns when all are taken. */
      const feed = (n: number) => {
        let offset = 0;
        while (offset < n) {
          // Views are taken after every call that may grow the memory (none below does; init may have).
          const u32 = mod.HEAPU32;
          u32[inLength >> 2] = n - offset;
          u32[outLength >> 2] = cap;
          const code = mod._speex_resampler_process_float(state, 0, input + offset * 4, inLength, output, outLength);
          if (code !== 0) throw new Error(`the resampler failed (error ${code})`);
          const used = mod.HEAPU32[inLength >> 2];
          const got = Math.min(mod.HEAPU32[outLength >> 2], length - made);
          out.set(mod.HEAPF32.subarray(output >> 2, (output >> 2) + got), made);
          made += got;
          offset += used;
          if (used === 0 && got === 0) break;
        }
      };
      for (let at = 0; at < channel.length; at += CHUNK) {
        const n = Math.min(CHUNK, channel.length - at);
        mod.HEAPF32.set(channel.subarray(at, at + n), input >> 2);
        feed(n);
      }
      // Zeros until the filter's delay is out, then cut to the exact length.
      mod.HEAPF32.fill(0, input >> 2, (input >> 2) + CHUNK);
      for (let tries = 0; made < length && tries < 64; tries++) feed(Math.min(CHUNK, latency + 64));
      if (made < length) throw new Error(`the resampler gave ${made} of ${length} samples`);
      return out;
    });
  } finally {
    if (state !== 0) mod._speex_resampler_destroy(state);
    for (const pointer of [err, inLength, outLength, input, output]) mod._free(pointer);
  }
}
