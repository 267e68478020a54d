/**
 * Reads a WAV file's header without decoding its samples.
 *
 * Written by hand rather than with wavefile's `fromBuffer`, which unpacks every
 * sample into typed arrays: the nodes only need the format, the rate and the
 * length, and a minute of 48 kHz float audio is 11 MB that need not be touched.
 */

export type SampleFormat = 'pcm' | 'float';

export interface WavInfo {
  format: SampleFormat;
  /** The fmt chunk's tag: 1 PCM, 3 IEEE float, 0xFFFE extensible. */
  formatTag: number;
  sampleRate: number;
  channels: number;
  bitDepth: number;
  /** Byte offset and length of the samples in the buffer. */
  dataOffset: number;
  dataLength: number;
  /** Sample frames (one sample per channel). */
  frames: number;
  /** Seconds. */
  duration: number;
}

export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** True when the bytes start like a RIFF/WAVE file (cheap test, no validation). */
export function looksLikeWav(buf: Buffer): boolean {
  return buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WAVE';
}

export function parseWav(buf: Buffer): WavInfo {
  if (!looksLikeWav(buf)) {
    throw new WavFormatError('it does not start with a RIFF/WAVE header');
  }
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataLength' | 'frames' | 'duration'> | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = readFmt(buf, body, size);
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('its data chunk comes before the fmt chunk');
      // Streaming writers leave the size at 0 or 0xFFFFFFFF; a cut file is shorter
      // than announced. Either way the samples are what is actually there.
      const available = buf.length - body;
      const announced = size === 0 || size === 0xffffffff ? available : size;
      const blockAlign = (fmt.channels * fmt.bitDepth) / 8;
      const dataLength = Math.min(announced, available);
      const frames = Math.floor(dataLength / blockAlign);
      return { ...fmt, dataOffset: body, dataLength, frames, duration: frames / fmt.sampleRate };
    }
    // RIFF chunks are word-aligned: an odd-sized chunk is followed by a pad byte.
    offset = body + size + (size % 2);
  }
  throw new WavFormatError(fmt ? 'it has no data chunk' : 'it has no fmt chunk');
}

function readFmt(buf: Buffer, at: number, size: number): Omit<WavInfo, 'dataOffset' | 'dataLength' | 'frames' | 'duration'> {
  if (size < 16 || at + 16 > buf.length) throw new WavFormatError('its fmt chunk is truncated');
  const formatTag = buf.readUInt16LE(at);
  const channels = buf.readUInt16LE(at + 2);
  const sampleRate = buf.readUInt32LE(at + 4);
  const bitDepth = buf.readUInt16LE(at + 14);
  let effectiveTag = formatTag;
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40 || at + 40 > buf.length) throw new WavFormatError('its WAVE_FORMAT_EXTENSIBLE fmt chunk is truncated');
    // The sub-format GUID starts with the plain format tag.
    effectiveTag = buf.readUInt16LE(at + 24);
  }
  let format: SampleFormat;
  if (effectiveTag === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bitDepth)) format = 'pcm';
  else if (effectiveTag === WAVE_FORMAT_IEEE_FLOAT && (bitDepth === 32 || bitDepth === 64)) format = 'float';
  else throw new WavFormatError(`its sample format is not supported (format tag ${effectiveTag}, ${bitDepth} bits)`);
  if (channels < 1 || channels > 8) throw new WavFormatError(`it declares ${channels} channels`);
  if (sampleRate < 1000 || sampleRate > 384000) throw new WavFormatError(`it declares a sample rate of ${sampleRate} Hz`);
  return { format, formatTag, sampleRate, channels, bitDepth };
}
