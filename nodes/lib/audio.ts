/**
 * WAV operations for text spoken in pieces: the pieces' samples converted to the output
 * layout (resampled, mixed, re-quantised), silence, plain WAV headers, the output's encoding.
 *
 * Headers are read with parseWav (wav.ts), so every WAV it reads is accepted
 * (PCM 8/16/24/32, float 32/64, WAVE_FORMAT_EXTENSIBLE, extra chunks, streaming
 * sizes). Every WAV made here is a plain one: RIFF, a 16-byte fmt chunk (tag 1
 * for PCM, 3 for float) and the data chunk.
 *
 * Resampling is the Speex resampler's (resample.ts). Written by hand, and why:
 * - the samples' decoding and encoding: Buffer's own reads and writes (~0.2 s
 *   for 60 s of 48 kHz float32 mono), where a generic bit-level codec such as
 *   wavefile's takes ~2 s to decode and ~6 s to encode;
 * - the headers: a plain one for any number of channels;
 * - channel mixing, silence and concatenation, which no resampler does.
 */

import { describeType } from './errors';
import { resample } from './resample';
import { parseWav, WavFormatError, type SampleFormat, type WavInfo } from './wav';

/** What `encodeOutput` can make of a WAV. */
export type OutputFormat = 'wav' | 'base64' | 'dataurl';

/** The sample layout of a WAV. */
export interface AudioShape {
  format: SampleFormat;
  bitDepth: number;
  sampleRate: number;
  channels: number;
}

/** The RIFF size field is 32 bits: data plus the 36 bytes of header it counts. */
const MAX_DATA_BYTES = 0xffffffff - 37;

interface Wav {
  info: WavInfo;
  /** The whole sample frames, a view into the input. */
  data: Buffer;
}

/**
 * Frames in `ms` milliseconds at `sampleRate` Hz: sampleRate × ms / 1000 rounded to the
 * nearest frame, halves up (Math.round), so that a lead-in, a pause or an SSML break has
 * the same length wherever it is made. 0 for a zero, negative or non-finite `ms`.
 */
export function msToFrames(sampleRate: number, ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.round((sampleRate * ms) / 1000) : 0;
}

/** The sample layout of a parsed WAV. */
export function shapeOf(info: WavInfo): AudioShape {
  return { format: info.format, bitDepth: info.bitDepth, sampleRate: info.sampleRate, channels: info.channels };
}

/** True when two layouts need no conversion between them. */
export function sameShape(a: AudioShape, b: AudioShape): boolean {
  return a.format === b.format && a.bitDepth === b.bitDepth && a.sampleRate === b.sampleRate && a.channels === b.channels;
}

/** Bytes of one sample frame (all channels). */
export function blockAlign(shape: { channels: number; bitDepth: number }): number {
  return (shape.channels * shape.bitDepth) / 8;
}

/** Bytes of the samples of `info` once converted to `target`, computed from the header alone. */
export function convertedBytes(info: WavInfo, target: AudioShape): number {
  return Math.ceil((info.frames * target.sampleRate) / info.sampleRate) * blockAlign(target);
}

/**
 * The sample bytes of a WAV (header and chunks skipped) in the `target` layout:
 * a view into `wav` when it already has that layout, else decoded, mixed,
 * resampled and encoded (CPU work that grows with the length: run it off the
 * event loop, see offload.ts). Asynchronous only because loading the resampler
 * is (once per thread); the work itself runs in one go. Rejects with
 * WavFormatError for a WAV it cannot read, RangeError past the 4 GB a WAV can hold.
 */
export async function convertSamples(wav: Buffer, target: AudioShape): Promise<Buffer> {
  const source = read(wav);
  if (!sameShape(source.info, target)) checkSize(convertedBytes(source.info, target));
  return convert(source, target);
}

/** The 44-byte header of a plain WAV whose data chunk holds `dataLength` bytes (a pad byte follows odd data). */
export function wavHeader(shape: AudioShape, dataLength: number): Buffer {
  checkSize(dataLength);
  const pad = dataLength % 2;
  const align = blockAlign(shape);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(36 + dataLength + pad, 4);
  head.write('WAVE', 8, 'latin1');
  head.write('fmt ', 12, 'latin1');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(shape.format === 'float' ? 3 : 1, 20);
  head.writeUInt16LE(shape.channels, 22);
  head.writeUInt32LE(shape.sampleRate, 24);
  head.writeUInt32LE(shape.sampleRate * align, 28);
  head.writeUInt16LE(align, 32);
  head.writeUInt16LE(shape.bitDepth, 34);
  head.write('data', 36, 'latin1');
  head.writeUInt32LE(dataLength, 40);
  return head;
}

/**
 * The file (a WAV, or an MP3 of `mediaType` audio/mpeg) as a Buffer (itself), as base64
 * text, or as a `data:<mediaType>;base64,` URL.
 */
export function encodeOutput(wav: Buffer, format: 'wav', mediaType?: string): Buffer;
export function encodeOutput(wav: Buffer, format: 'base64' | 'dataurl', mediaType?: string): string;
export function encodeOutput(wav: Buffer, format: OutputFormat, mediaType?: string): Buffer | string;
export function encodeOutput(wav: Buffer, format: OutputFormat, mediaType = 'audio/wav'): Buffer | string {
  switch (format) {
    case 'wav':
      return wav;
    case 'base64':
      return wav.toString('base64');
    case 'dataurl':
      return `data:${mediaType};base64,${wav.toString('base64')}`;
    default:
      throw new RangeError(`unknown audio encoding "${String(format)}" (wav, base64 or dataurl)`);
  }
}

function read(buf: unknown): Wav {
  if (!Buffer.isBuffer(buf)) throw new WavFormatError(`it is ${describeType(buf)}, not a Buffer`);
  const info = parseWav(buf);
  return { info, data: sampleData(buf, info) };
}

/** The sample bytes of a parsed WAV: a view of its whole frames (no pad byte, no chunk after). */
export function sampleData(wav: Buffer, info: WavInfo): Buffer {
  return wav.subarray(info.dataOffset, info.dataOffset + info.frames * blockAlign(info));
}

function checkSize(dataBytes: number): void {
  if (dataBytes > MAX_DATA_BYTES) {
    throw new RangeError(`the audio would take ${Math.ceil(dataBytes / 2 ** 20)} MB, more than a WAV file can hold (4 GB)`);
  }
}

/** `frames` of silence: zeros, except for 8-bit PCM, whose samples are unsigned around 128. */
export function makeSilence(shape: AudioShape, frames: number): Buffer {
  return Buffer.alloc(frames * blockAlign(shape), shape.format === 'pcm' && shape.bitDepth === 8 ? 0x80 : 0);
}

/** A plain WAV: RIFF, a 16-byte fmt chunk, the data (and its pad byte when odd). */
export function buildWav(shape: AudioShape, data: Buffer[]): Buffer {
  const dataLength = data.reduce((n, part) => n + part.length, 0);
  const head = wavHeader(shape, dataLength);
  const pad = dataLength % 2;
  const chunks = pad ? [head, ...data, Buffer.alloc(1)] : [head, ...data];
  return Buffer.concat(chunks, 44 + dataLength + pad);
}

/** The WAV's sample bytes in the target shape (its own bytes when it already has it). */
async function convert(wav: Wav, target: AudioShape): Promise<Buffer> {
  const { info } = wav;
  if (sameShape(info, target)) return wav.data;
  let channels = decode(wav.data, info, info.frames);
  // Mix down before resampling and duplicate after: fewer channels to resample.
  if (target.channels < channels.length) channels = remix(channels, target.channels);
  if (info.sampleRate !== target.sampleRate) channels = await resample(channels, info.sampleRate, target.sampleRate);
  if (target.channels !== channels.length) channels = remix(channels, target.channels);
  return encodeSamples(channels, target);
}

/** Integers are scaled by 2^(bits-1), so that int → float → int gives the same integers back. */
function sampleReader(format: SampleFormat, bitDepth: number): (buf: Buffer, at: number) => number {
  if (format === 'float') return bitDepth === 64 ? (b, at) => b.readDoubleLE(at) : (b, at) => b.readFloatLE(at);
  switch (bitDepth) {
    case 8:
      return (b, at) => (b[at] - 128) / 128;
    case 16:
      return (b, at) => b.readInt16LE(at) / 32768;
    case 24:
      return (b, at) => b.readIntLE(at, 3) / 8388608;
    default:
      return (b, at) => b.readInt32LE(at) / 2147483648;
  }
}

function sampleWriter(format: SampleFormat, bitDepth: number): (buf: Buffer, value: number, at: number) => void {
  if (format === 'float') {
    return bitDepth === 64 ? (b, v, at) => b.writeDoubleLE(v, at) : (b, v, at) => b.writeFloatLE(v, at);
  }
  switch (bitDepth) {
    case 8:
      return (b, v, at) => {
        b[at] = quantise(v, 128) + 128;
      };
    case 16:
      return (b, v, at) => b.writeInt16LE(quantise(v, 32768), at);
    case 24:
      return (b, v, at) => b.writeIntLE(quantise(v, 8388608), at, 3);
    default:
      return (b, v, at) => b.writeInt32LE(quantise(v, 2147483648), at);
  }
}

/** Rounds to the integer grid and clips to the range (NaN becomes 0). */
function quantise(value: number, scale: number): number {
  const n = Math.round(value * scale);
  if (n >= scale) return scale - 1;
  if (n < -scale) return -scale;
  return n || 0;
}

/**
 * The samples of `data` as a typed array view when the machine is little-endian (as WAV is) and
 * the bytes are aligned, else undefined: a typed loop is ~10× faster than Buffer's read/write
 * per sample (60 s of 48 kHz float: ~10 ms instead of ~120 ms).
 */
function typedView(data: Buffer, format: SampleFormat, bitDepth: number): Float32Array | Int16Array | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  if (format === 'float' && bitDepth === 32 && data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, data.length >> 2);
  if (format === 'pcm' && bitDepth === 16 && data.byteOffset % 2 === 0) return new Int16Array(data.buffer, data.byteOffset, data.length >> 1);
  return undefined;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The samples of `data` as a typed array to read (never to write): a view when the bytes are
 * aligned, else a view of an aligned copy. libsndfile (python-soundfile, what VoxCPM2 servers
 * write WAV with) puts a float WAV's data at byte 58, after an 18-byte fmt and a fact chunk: the
 * copy takes ~1 ms a minute, Buffer's per-sample reads ~70 ms. Undefined on a big-endian machine
 * or for other layouts.
 */
function readableView(data: Buffer, format: SampleFormat, bitDepth: number): Float32Array | Int16Array | undefined {
  const view = typedView(data, format, bitDepth);
  if (view || !LITTLE_ENDIAN || !typedView(Buffer.alloc(0), format, bitDepth)) return view;
  const aligned = Buffer.from(new ArrayBuffer(data.length));
  data.copy(aligned);
  return typedView(aligned, format, bitDepth);
}

/**
 * Planar samples, −1…1: 32-bit floats where they hold the source exactly (float32, 8- and
 * 16-bit PCM: half the memory and no widening copy before the resampler, which works in
 * float32), 64-bit for 24/32-bit PCM and float64.
 */
type Channels = Array<Float32Array | Float64Array>;

/**
 * Interleaved 32-bit float sample bytes (`count` channels) as one Float32Array per channel,
 * decoded as conversion decodes (typed arrays where it can). Mono may be a view into `data`:
 * the audio steps (audio-steps.ts) never write into their input.
 */
export function decodeFloat32(data: Buffer, count: number): Float32Array[] {
  const frames = Math.floor(data.length / (4 * count));
  // Float64Array only on a big-endian machine: float32 values, exact.
  return decode(data, { format: 'float', bitDepth: 32, channels: count }, frames).map((c) => (c instanceof Float32Array ? c : Float32Array.from(c)));
}

/** The samples as floats, one array per channel (integers scaled to -1…1). */
function decode(data: Buffer, layout: Omit<AudioShape, 'sampleRate'>, frames: number): Channels {
  const { channels: count } = layout;
  const view = readableView(data, layout.format, layout.bitDepth);
  // Mono float: the samples themselves, read in place (nothing downstream writes into its input).
  if (view instanceof Float32Array && count === 1) return [view.subarray(0, frames)];
  if (view) {
    const scale = view instanceof Int16Array ? 1 / 32768 : 1;
    return Array.from({ length: count }, (_, c) => {
      const out = new Float32Array(frames);
      for (let f = 0, at = c; f < frames; f++, at += count) out[f] = view[at] * scale;
      return out;
    });
  }
  const readSample = sampleReader(layout.format, layout.bitDepth);
  const size = layout.bitDepth / 8;
  const channels = Array.from({ length: count }, () => new Float64Array(frames));
  let at = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < count; c++, at += size) channels[c][f] = readSample(data, at);
  }
  return channels;
}

/**
 * Planar samples (−1…1, one array per channel, of equal length) as the interleaved sample
 * bytes of `shape` (its format and bit depth; channels as given): integers rounded to the
 * nearest step and clipped, no dither.
 */
export function encodeSamples(channels: ReadonlyArray<ArrayLike<number>>, shape: AudioShape): Buffer {
  const count = channels.length;
  const frames = count > 0 ? channels[0].length : 0;
  const size = shape.bitDepth / 8;
  const writeSample = sampleWriter(shape.format, shape.bitDepth);
  const out = Buffer.alloc(frames * count * size);
  // Buffer.alloc's memory of this size is its own and aligned: the typed loop writes it directly.
  const view = typedView(out, shape.format, shape.bitDepth);
  if (view instanceof Float32Array) {
    for (let c = 0; c < count; c++) {
      const ch = channels[c];
      for (let f = 0, at = c; f < frames; f++, at += count) view[at] = ch[f];
    }
    return out;
  }
  if (view instanceof Int16Array) {
    for (let c = 0; c < count; c++) {
      const ch = channels[c];
      for (let f = 0, at = c; f < frames; f++, at += count) view[at] = quantise(ch[f], 32768);
    }
    return out;
  }
  let at = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < count; c++, at += size) writeSample(out, channels[c][f], at);
  }
  return out;
}

/**
 * To mono: the average of all channels. From mono: the same samples on every
 * channel. Otherwise output channel c is the average of the input channels i
 * with i mod n = c (mixing down), or input channel c mod m (adding channels).
 */
function remix(channels: Channels, count: number): Channels {
  const from = channels.length;
  if (from === count) return channels;
  if (from === 1 || count > from) return Array.from({ length: count }, (_, c) => channels[c % from]);
  const frames = channels[0].length;
  return Array.from({ length: count }, (_, c) => {
    const sources = channels.filter((_, i) => i % count === c);
    const mixed = new Float64Array(frames);
    for (const source of sources) for (let f = 0; f < frames; f++) mixed[f] += source[f];
    for (let f = 0; f < frames; f++) mixed[f] /= sources.length;
    return mixed;
  });
}
