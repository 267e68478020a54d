// Audio sources for the VoxCPM2 simulator: real spoken words from eSpeak NG (the `espeak-ng`
// npm package, a WASM build; GPL, so it is a dev-only dependency and never reaches dist/nodes),
// a cheap sine tone, and the small amount of WAV decoding and resampling needed to reshape them.
// Everything here works on mono float samples in [-1, 1].

/** Mono float samples at a known rate. */
export interface Pcm {
  sampleRate: number;
  samples: Float32Array;
}

/** The eSpeak NG voices the simulator uses. */
export type EspeakVoice = 'cmn' | 'en-us';

/** The little of the Emscripten module that we touch. */
interface EspeakInstance {
  FS: { readFile(path: string): Uint8Array };
}
interface EspeakModuleOptions {
  arguments: string[];
  quit: (status: number, toThrow: unknown) => never;
  print: (line: string) => void;
  printErr: (line: string) => void;
}
type EspeakFactory = (options: EspeakModuleOptions) => Promise<EspeakInstance>;

// espeak-ng is ESM-only; tsc would turn a plain import() into require() under CommonJS.
const load = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: EspeakFactory }>;

/** Longest text handed to eSpeak: the simulator has to answer in reasonable time, not read a book. */
export const MAX_SPOKEN_CHARS = 2000;
const CACHE_MAX = 200;

const HAN = /\p{Script=Han}/u;

/** `cmn` (Mandarin) when the text contains Chinese characters, else `en-us`. */
export function espeakVoiceFor(text: string): EspeakVoice {
  return HAN.test(text) ? 'cmn' : 'en-us';
}

/** Default tone length for a text: 0.08 s per character, within [0.3 s, 60 s]. */
export function toneDuration(text: string): number {
  return Math.min(60, Math.max(0.3, [...text].length * 0.08));
}

/** A soft 220 Hz sine of `seconds` at `sampleRate`, with 10 ms fades so it does not click. */
export function tone(seconds: number, sampleRate: number, frequency = 220): Float32Array {
  const n = Math.max(1, Math.round(seconds * sampleRate));
  const out = new Float32Array(n);
  const fade = Math.max(1, Math.min(Math.round(0.01 * sampleRate), Math.floor(n / 2)));
  for (let i = 0; i < n; i++) {
    const edge = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = 0.3 * edge * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  }
  return out;
}

/** Linear-interpolation resampling; good enough for test audio. */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to || samples.length === 0) return samples;
  const n = Math.max(1, Math.round((samples.length * to) / from));
  const out = new Float32Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const pos = i * step;
    const j = Math.floor(pos);
    const a = samples[Math.min(j, samples.length - 1)];
    const b = samples[Math.min(j + 1, samples.length - 1)];
    out[i] = a + (b - a) * (pos - j);
  }
  return out;
}

/**
 * Decodes a RIFF/WAVE file (PCM 8/16/24/32-bit or IEEE float 32/64, any channel count, plain or
 * extensible fmt) to mono floats. Channels are averaged. Throws on anything else.
 */
export function decodeWav(bytes: Uint8Array): Pcm {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: { tag: number; channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = buf.subarray(off + 8, Math.min(buf.length, off + 8 + size));
    if (id === 'fmt ' && body.length >= 16) {
      let tag = body.readUInt16LE(0);
      if (tag === 0xfffe && body.length >= 26) tag = body.readUInt16LE(24); // first two bytes of the subformat GUID
      fmt = { tag, channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body; // streaming writers may leave a bogus size; subarray clamps it to the file
      break;
    }
    off += 8 + size + (size & 1);
  }
  if (!fmt || !data) throw new Error('WAV without fmt or data chunk');
  const { tag, channels, rate, bits } = fmt;
  const width = bits / 8;
  if (channels < 1 || !Number.isInteger(width) || width < 1) throw new Error('unsupported WAV layout');
  const read = sampleReader(tag, bits);
  const frames = Math.floor(data.length / (width * channels));
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(data, (f * channels + c) * width);
    samples[f] = sum / channels;
  }
  return { sampleRate: rate, samples };
}

function sampleReader(tag: number, bits: number): (b: Buffer, at: number) => number {
  if (tag === 1 && bits === 8) return (b, at) => (b[at] - 128) / 128;
  if (tag === 1 && bits === 16) return (b, at) => b.readInt16LE(at) / 32768;
  if (tag === 1 && bits === 24) return (b, at) => b.readIntLE(at, 3) / 8388608;
  if (tag === 1 && bits === 32) return (b, at) => b.readInt32LE(at) / 2147483648;
  if (tag === 3 && bits === 32) return (b, at) => b.readFloatLE(at);
  if (tag === 3 && bits === 64) return (b, at) => b.readDoubleLE(at);
  throw new Error(`unsupported WAV encoding (tag ${tag}, ${bits} bits)`);
}

let factory: Promise<EspeakFactory> | undefined;
// One synthesis at a time: each call instantiates an 18 MB WASM module, and tests may fire many.
let queue: Promise<unknown> = Promise.resolve();
const cache = new Map<string, Pcm>();

/** Runs eSpeak NG once and returns its WAV bytes (22050 Hz, 16-bit mono). */
async function runEspeak(voice: EspeakVoice, text: string): Promise<Uint8Array> {
  factory ??= load('espeak-ng').then((m) => m.default);
  const ESpeakNg = await factory;
  const messages: string[] = [];
  const instance = await ESpeakNg({
    // `--` so a text starting with '-' is spoken, not parsed as an option.
    arguments: ['-v', voice, '-w', 'out.wav', '--', text],
    // The default quit handler sets process.exitCode, which would leak into the test run's exit status.
    quit: (_status, toThrow) => {
      throw toThrow;
    },
    print: (line) => messages.push(line),
    printErr: (line) => messages.push(line),
  });
  try {
    return instance.FS.readFile('out.wav');
  } catch {
    throw new Error(`espeak-ng wrote no audio${messages.length ? ': ' + messages.join('; ') : ''}`);
  }
}

/**
 * Speaks `text` with eSpeak NG (Mandarin for Chinese text, else US English) and returns mono
 * floats at eSpeak's own rate. Results are cached per (voice, text). Rejects if eSpeak fails.
 */
export function speak(text: string): Promise<Pcm> {
  const spoken = [...text].slice(0, MAX_SPOKEN_CHARS).join('');
  const voice = espeakVoiceFor(spoken);
  const key = `${voice}\u0000${spoken}`;
  const hit = cache.get(key);
  if (hit) {
    // Refresh its position so the map evicts the least recently used entry.
    cache.delete(key);
    cache.set(key, hit);
    return Promise.resolve(hit);
  }
  const job = queue.then(async () => {
    const pcm = decodeWav(await runEspeak(voice, spoken));
    if (pcm.samples.length === 0) throw new Error('espeak-ng produced no samples');
    cache.set(key, pcm);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
    return pcm;
  });
  queue = job.catch(() => undefined);
  return job;
}

/** Forgets every cached synthesis. */
export function clearSpeechCache(): void {
  cache.clear();
}
