import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeBase64, unwrapBase64 } from './base64';
import { describeType, VoxcpmError } from './errors';
import { parseWav, WavFormatError } from './wav';

/** VoxCPM clones best from 5–30 s of clear speech; below 3 s or above 30 s it is warned about. */
export const REFERENCE_MIN_SECONDS = 3;
export const REFERENCE_MAX_SECONDS = 30;
/** A WAV header alone is 44 bytes: anything shorter cannot be audio. */
const MIN_AUDIO_BYTES = 44;

export interface Reference {
  /** Plain base64, as the server receives it. */
  base64: string;
  /** Seconds, when the reference is a readable WAV. */
  duration?: number;
  /** What to tell the user about it, if anything. */
  warning?: { kind: 'reference-not-wav' | 'reference-duration'; message: string };
}

/**
 * Normalises reference audio given as a Buffer, base64 text or a data URL.
 * `source` names where it came from (`msg.audio`) for the error messages.
 */
export function referenceFromValue(value: unknown, source: string): Reference {
  let bytes: Buffer | undefined;
  let base64: string;
  if (Buffer.isBuffer(value)) {
    bytes = value;
    base64 = value.toString('base64');
  } else if (typeof value === 'string') {
    base64 = unwrapBase64(value).base64;
    bytes = decodeBase64(base64);
    // "/home/pi/voices/anna" and "hello there friend" pass as base64 once spaces are dropped:
    // a path-like or spaced text must decode to a known audio format.
    if (!bytes || ((looksLikePath(value) || / /.test(value.trim())) && !hasAudioSignature(bytes))) {
      const hint = looksLikePath(value) ? 'it looks like a file path, but the server needs the audio itself' : 'it is not base64 audio';
      throw new VoxcpmError(
        'VOXCPM_AUDIO_INVALID',
        `${source} is not usable reference audio: ${hint}. Read the WAV with a file-in node (output: a single Buffer) or set the node's reference file.`,
      );
    }
  } else {
    throw new VoxcpmError(
      'VOXCPM_AUDIO_INVALID',
      `${source} is ${describeType(value)}; reference audio must be a Buffer, base64 text or a data:audio/wav;base64 URL`,
    );
  }
  if (bytes.length < MIN_AUDIO_BYTES) {
    throw new VoxcpmError('VOXCPM_AUDIO_INVALID', `${source} holds only ${bytes.length} bytes: too short to be audio`);
  }
  return describeReference(bytes, base64, source);
}

function describeReference(bytes: Buffer, base64: string, source: string): Reference {
  try {
    const { duration } = parseWav(bytes);
    if (duration < REFERENCE_MIN_SECONDS || duration > REFERENCE_MAX_SECONDS) {
      const message = `The reference audio (${source}) is ${duration.toFixed(1)} s long; VoxCPM clones best from 5–30 s of clear speech`;
      return { base64, duration, warning: { kind: 'reference-duration', message } };
    }
    return { base64, duration };
  } catch (err) {
    if (!(err instanceof WavFormatError)) throw err;
    const message = `The reference audio (${source}) is not a WAV file (${err.message}); it is sent as it is, but the server may reject it`;
    return { base64, warning: { kind: 'reference-not-wav', message } };
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
 */
export class ReferenceFile {
  private cached?: { file: string; size: number; mtimeMs: number; reference: Reference };

  /** @param baseDir where relative paths start: Node-RED's user directory. */
  constructor(private readonly baseDir: string) {}

  resolve(file: string): string {
    return path.resolve(this.baseDir, file);
  }

  async load(file: string): Promise<Reference> {
    const full = this.resolve(file);
    let stat;
    try {
      stat = await fs.stat(full);
    } catch {
      throw new VoxcpmError('VOXCPM_AUDIO_MISSING', `The reference file ${full} does not exist or cannot be read`);
    }
    if (!stat.isFile()) {
      throw new VoxcpmError('VOXCPM_AUDIO_MISSING', `The reference file ${full} is not a file`);
    }
    const c = this.cached;
    if (c && c.file === full && c.size === stat.size && c.mtimeMs === stat.mtimeMs) return c.reference;
    const bytes = await fs.readFile(full);
    if (bytes.length < MIN_AUDIO_BYTES) {
      throw new VoxcpmError('VOXCPM_AUDIO_INVALID', `The reference file ${full} holds only ${bytes.length} bytes: too short to be audio`);
    }
    const reference = describeReference(bytes, bytes.toString('base64'), `file ${path.basename(full)}`);
    this.cached = { file: full, size: stat.size, mtimeMs: stat.mtimeMs, reference };
    return reference;
  }
}
