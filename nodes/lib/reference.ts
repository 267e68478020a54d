import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { standardBase64, unwrapBase64 } from './base64';
import { renderParam } from './error-texts';
import { ErrorParam, phrase, typePhrase, VoxcpmError } from './errors';
import { FileReadError, formatMB, kindOf, readRegularFileWithStat } from './files';
import { parseWav, WavFormatError } from './wav';

/** VoxCPM clones best from 5–30 s of clear speech; below 3 s or above 30 s it is warned about. */
export { REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from './defaults';
import { REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from './defaults';
/** A WAV header alone is 44 bytes: anything shorter cannot be audio. */
const MIN_AUDIO_BYTES = 44;
/**
 * Largest reference audio, in bytes: a reference file (checked from its size before it is read)
 * and reference audio in a message (a Buffer, or base64 text that would decode to more, checked
 * before it is encoded or decoded). 50 MB is minutes of 16-bit WAV, far more than the 5–30 s
 * VoxCPM clones from.
 */
export const MAX_REFERENCE_BYTES = 50 * 1024 * 1024;
/** Base64 characters of MAX_REFERENCE_BYTES bytes. */
const MAX_REFERENCE_BASE64 = 4 * Math.ceil(MAX_REFERENCE_BYTES / 3);

export interface Reference {
  /** Plain base64, as the server receives it. */
  base64: string;
  /** audioDigest(base64): hashed once, here, for the cache and shared-call keys. */
  digest: string;
  /** Seconds, when the reference is a readable WAV. */
  duration?: number;
  /** What to tell the user about it, if anything. */
  warning?: { kind: 'reference-not-wav' | 'reference-duration'; message: string };
}

/**
 * Node-RED's JSON form of a Buffer, `{"type":"Buffer","data":[…]}`: what Buffer's toJSON makes,
 * and so what a file-backed context store gives back after a restart.
 */
interface JsonBuffer {
  type: 'Buffer';
  data: unknown[];
}

function isJsonBuffer(value: unknown): value is JsonBuffer {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  const v = value as { type?: unknown; data?: unknown };
  return v.type === 'Buffer' && Array.isArray(v.data);
}

/**
 * The bytes of a JSON Buffer. Its length is checked against MAX_REFERENCE_BYTES before anything
 * is allocated, and each entry must be a byte: Buffer.from would turn 256 or "x" into 0 silently.
 */
function fromJsonBuffer(value: JsonBuffer, source: ErrorParam): Buffer {
  const { data } = value;
  if (data.length > MAX_REFERENCE_BYTES) throw tooLarge(source, data.length);
  const bytes = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
      throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.jsonBufferInvalid', { source });
    }
    bytes[i] = b;
  }
  return bytes;
}

/**
 * Normalises reference audio given as a Buffer (or its JSON form, as context storage keeps it),
 * base64 text or a data URL.
 * `source` names where it came from (`msg.audio`) for the error messages.
 *
 * Base64 text may be line-wrapped, unpadded or URL-safe (`-_`): it is sent as standard padded
 * base64 whatever the input. Any audio container is accepted; one that is not WAV is sent with a
 * `reference-not-wav` warning.
 *
 * Throws VoxcpmError VOXCPM_AUDIO_INVALID: not a Buffer or text, text that is not base64 (or is a
 * file path or a sentence), a JSON Buffer whose data are not bytes, fewer than 44 bytes, or more
 * than MAX_REFERENCE_BYTES (checked before any encoding or decoding).
 */
export function referenceFromValue(given: unknown, source: ErrorParam): Reference {
  const value = isJsonBuffer(given) ? fromJsonBuffer(given, source) : given;
  let bytes: Buffer | undefined;
  let base64: string;
  if (Buffer.isBuffer(value)) {
    if (value.length > MAX_REFERENCE_BYTES) throw tooLarge(source, value.length);
    bytes = value;
    base64 = value.toString('base64');
  } else if (typeof value === 'string') {
    // Cheap bound first (line breaks and a data-URL prefix make the text a little longer), exact after unwrapping.
    if (value.length > 2 * MAX_REFERENCE_BASE64) throw tooLarge(source, Math.floor((value.length * 3) / 4));
    const text = unwrapBase64(value).base64;
    if (text.length > MAX_REFERENCE_BASE64 + 2) throw tooLarge(source, Math.floor((text.length * 3) / 4));
    const normalised = standardBase64(text);
    bytes = normalised?.bytes;
    base64 = normalised?.base64 ?? '';
    // "/home/pi/voices/anna" and "hello there friend" pass as base64 once spaces are dropped:
    // a path-like or spaced text must decode to a known audio format.
    if (!bytes || ((looksLikePath(value) || / /.test(value.trim())) && !hasAudioSignature(bytes))) {
      const hint = phrase(looksLikePath(value) ? 'reference.hintPath' : 'reference.hintNotBase64');
      throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.notAudio', { source, hint });
    }
  } else {
    throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.wrongType', { source, type: typePhrase(value) });
  }
  if (bytes.length < MIN_AUDIO_BYTES) {
    throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.tooShort', { source, bytes: bytes.length });
  }
  if (bytes.length > MAX_REFERENCE_BYTES) throw tooLarge(source, bytes.length);
  return describeReference(bytes, base64, source);
}

function tooLarge(source: ErrorParam, bytes: number): VoxcpmError {
  return new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.tooLarge', { source, size: formatMB(bytes), limit: formatMB(MAX_REFERENCE_BYTES) });
}

/**
 * The sha256 (hex) of reference audio as sent (its base64), '' for none: the
 * cache and shared-call keys hold it instead of the megabytes themselves.
 */
export function audioDigest(base64: string): string {
  return base64 ? createHash('sha256').update(base64).digest('hex') : '';
}

function describeReference(bytes: Buffer, base64: string, from: ErrorParam): Reference {
  const digest = audioDigest(base64);
  const source = renderParam(from);
  try {
    const { duration } = parseWav(bytes);
    if (duration < REFERENCE_MIN_SECONDS || duration > REFERENCE_MAX_SECONDS) {
      const message = `The reference audio (${source}) is ${duration.toFixed(1)} s long; VoxCPM clones best from 5–30 s of clear speech`;
      return { base64, digest, duration, warning: { kind: 'reference-duration', message } };
    }
    return { base64, digest, duration };
  } catch (err) {
    if (!(err instanceof WavFormatError)) throw err;
    const message = `The reference audio (${source}) is not a WAV file (${err.message}); it is sent as it is, but the server may reject it`;
    return { base64, digest, warning: { kind: 'reference-not-wav', message } };
  }
}

/** The first bytes of the audio containers a server may accept: WAV, MP3, Ogg, FLAC, MP4/M4A. */
function hasAudioSignature(bytes: Buffer): boolean {
  const head = bytes.toString('latin1', 0, 4);
  return (
    ['RIFF', 'OggS', 'fLaC'].includes(head) ||
    head.startsWith('ID3') ||
    bytes.toString('latin1', 4, 8) === 'ftyp' ||
    (bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)
  );
}

function looksLikePath(text: string): boolean {
  const t = text.trim();
  return /^(~|\.{1,2})?[\\/]/.test(t) || /^[a-z]:[\\/]/i.test(t) || /\.(wav|mp3|flac|ogg|m4a|aac|opus)$/i.test(t);
}

/**
 * Reads the node's reference file when needed and again only when it changed
 * (size or modification time), so a user can replace the file without a redeploy.
 *
 * Only a readable regular WAV file of at most MAX_REFERENCE_BYTES is ever read and sent: the
 * file is checked from its stat first (a FIFO, device or directory is refused at once, never
 * opened for a blocking read), then read with a bound, then parsed as WAV.
 */
export class ReferenceFile {
  private cached?: { file: string; size: number; mtimeMs: number; reference: Reference };

  /** @param baseDir where relative paths start: Node-RED's user directory. */
  constructor(private readonly baseDir: string) {}

  resolve(file: string): string {
    return path.resolve(this.baseDir, file);
  }

  /**
   * The reference in `file` (relative to the base directory), as base64 with its duration and
   * a duration warning if it is outside 3–30 s. Rejects with VoxcpmError naming the file:
   * VOXCPM_AUDIO_MISSING when it does not exist, cannot be read or is a directory;
   * VOXCPM_AUDIO_INVALID when it is a FIFO, device or socket, larger than MAX_REFERENCE_BYTES,
   * shorter than a WAV header, or not a WAV file (e.g. /etc/passwd: never sent).
   */
  async load(file: string): Promise<Reference> {
    const full = this.resolve(file);
    let stat;
    try {
      stat = await fs.stat(full);
    } catch {
      throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'reference.fileMissing', { file: full });
    }
    if (stat.isDirectory()) {
      throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'reference.fileIsDirectory', { file: full });
    }
    if (!stat.isFile()) {
      throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.fileNotRegular', { file: full, kind: kindOf(stat) });
    }
    if (stat.size > MAX_REFERENCE_BYTES) throw referenceTooLarge(full, stat.size);
    const c = this.cached;
    if (c && c.file === full && c.size === stat.size && c.mtimeMs === stat.mtimeMs) return c.reference;
    let read;
    try {
      // Checked again on the open handle: the path may have been swapped since the stat.
      read = await readRegularFileWithStat(full, MAX_REFERENCE_BYTES);
    } catch (err) {
      if (!(err instanceof FileReadError)) throw err;
      if (err.problem === 'too-large') throw referenceTooLarge(full, undefined);
      if (err.problem === 'not-a-file') {
        throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.fileNotRegular', { file: full, kind: err.kind ?? 'not a regular file' });
      }
      throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'reference.fileMissing', { file: full });
    }
    const { bytes } = read;
    if (bytes.length < MIN_AUDIO_BYTES) {
      throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.fileTooShort', { file: full, bytes: bytes.length });
    }
    // A path can name any file on the host (the editor's Preview too): only a WAV is ever sent.
    try {
      parseWav(bytes);
    } catch (err) {
      if (!(err instanceof WavFormatError)) throw err;
      throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.fileNotWav', { file: full, detail: err.message });
    }
    const reference = describeReference(bytes, bytes.toString('base64'), phrase('reference.fileSource', { file: path.basename(full) }));
    this.cached = { file: full, size: read.stat.size, mtimeMs: read.stat.mtimeMs, reference };
    return reference;
  }
}

function referenceTooLarge(full: string, size: number | undefined): VoxcpmError {
  const limit = formatMB(MAX_REFERENCE_BYTES);
  return size === undefined
    ? new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.fileTooLarge', { file: full, limit })
    : new VoxcpmError('VOXCPM_AUDIO_INVALID', 'reference.fileTooLargeSize', { file: full, size: formatMB(size), limit });
}
