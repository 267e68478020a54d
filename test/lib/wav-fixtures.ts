/**
 * WAV fixtures written byte by byte, so that the tests do not depend on the
 * parser (or on wavefile) to build what the parser reads.
 */

export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_IEEE_FLOAT = 3;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** The fixed tail of the KSDATAFORMAT_SUBTYPE_* GUIDs (after the 2-byte format tag). */
const GUID_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

/** A RIFF chunk: id, little-endian size, body and the pad byte an odd body needs. */
export function chunk(id: string, body: Buffer, sizeField = body.length): Buffer {
  if (id.length !== 4) throw new Error(`chunk id must be 4 characters: "${id}"`);
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(sizeField >>> 0, 4);
  const pad = body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([head, body, pad]);
}

/** `RIFF <size> WAVE` followed by the given chunks. */
export function riff(chunks: Buffer[], form = 'WAVE'): Buffer {
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(4 + body.length, 4);
  head.write(form, 8, 'latin1');
  return Buffer.concat([head, body]);
}

export interface FmtSpec {
  formatTag?: number;
  channels?: number;
  sampleRate?: number;
  bitDepth?: number;
  /** Write a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk whose sub-format GUID starts with this tag. */
  extensibleSubFormat?: number;
}

/** The body of a fmt chunk: 16 bytes, or 40 for WAVE_FORMAT_EXTENSIBLE. */
export function fmtBody(spec: FmtSpec = {}): Buffer {
  const channels = spec.channels ?? 1;
  const sampleRate = spec.sampleRate ?? 16000;
  const bitDepth = spec.bitDepth ?? 16;
  const blockAlign = (channels * bitDepth) / 8;
  const extensible = spec.extensibleSubFormat !== undefined;
  const body = Buffer.alloc(extensible ? 40 : 16);
  body.writeUInt16LE(extensible ? WAVE_FORMAT_EXTENSIBLE : spec.formatTag ?? WAVE_FORMAT_PCM, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(sampleRate, 4);
  body.writeUInt32LE(sampleRate * blockAlign, 8);
  body.writeUInt16LE(blockAlign, 12);
  body.writeUInt16LE(bitDepth, 14);
  if (extensible) {
    body.writeUInt16LE(22, 16); // cbSize
    body.writeUInt16LE(bitDepth, 18); // valid bits per sample
    body.writeUInt32LE(channels === 2 ? 0x3 : 0x4, 20); // channel mask
    body.writeUInt16LE(spec.extensibleSubFormat as number, 24);
    GUID_TAIL.copy(body, 26);
  }
  return body;
}

/** Deterministic, non-constant sample bytes (so byte-for-byte comparisons mean something). */
export function sampleBytes(length: number, seed = 0): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = (i * 31 + seed * 7 + 11) & 0xff;
  return buf;
}

export interface WavSpec extends FmtSpec {
  /** Sample frames; or give `seconds`. Default 1600 (0.1 s at 16 kHz). */
  frames?: number;
  seconds?: number;
  /** Chunks placed between fmt and data (e.g. a LIST chunk). */
  before?: Buffer[];
  /** Chunks placed after data. */
  after?: Buffer[];
  /** Value written in the data chunk's size field (default: the real length). */
  dataSizeField?: number;
  /** Seed for the sample bytes. */
  seed?: number;
}

/** A complete, well-formed WAV file (unless the spec asks otherwise). */
export function makeWav(spec: WavSpec = {}): Buffer {
  const channels = spec.channels ?? 1;
  const sampleRate = spec.sampleRate ?? 16000;
  const bitDepth = spec.bitDepth ?? 16;
  const frames = spec.frames ?? (spec.seconds !== undefined ? Math.round(spec.seconds * sampleRate) : 1600);
  const data = sampleBytes((frames * channels * bitDepth) / 8, spec.seed);
  return riff([
    chunk('fmt ', fmtBody({ ...spec, channels, sampleRate, bitDepth })),
    ...(spec.before ?? []),
    chunk('data', data, spec.dataSizeField ?? data.length),
    ...(spec.after ?? []),
  ]);
}

/** PCM16 mono of the given length in seconds (16 kHz unless told). */
export function pcm16Mono(seconds: number, sampleRate = 16000, seed = 0): Buffer {
  return makeWav({ formatTag: WAVE_FORMAT_PCM, channels: 1, sampleRate, bitDepth: 16, seconds, seed });
}

/** A LIST/INFO chunk with an odd-length body (so it is followed by a pad byte). */
export function oddListChunk(): Buffer {
  const body = Buffer.concat([Buffer.from('INFOISFT', 'latin1'), Buffer.from([5, 0, 0, 0]), Buffer.from('Lavf\0', 'latin1')]);
  if (body.length % 2 !== 1) throw new Error('fixture: LIST body must be odd');
  return chunk('LIST', body);
}
