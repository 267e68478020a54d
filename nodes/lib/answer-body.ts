import { decodeBase64Text } from './base64';

/** Bytes of an answer's start kept as text, for an error page's title or first line. */
const HEAD_CHARS = 64 * 1024;

/** A server's answer body, read: its JSON without the audio, and the audio decoded. */
export interface AnswerBody {
  /** The parsed JSON (its "audio" string taken out), or undefined when the body is not JSON. */
  json: unknown;
  /** "audio" was a non-empty string: its bytes, or null when it is not base64. */
  audio?: Buffer | null;
  /** The body's start as text (at most 64 K characters). */
  head: string;
}

/**
 * Reads a body as the API's JSON answer (`{"status","sample_rate","audio"}`):
 * parse, take the base64 audio out and decode it. CPU time grows with the
 * size (~10 ms per MB), so large answers are read in the worker thread (offload.ts).
 */
export function readAnswerBody(body: Buffer): AnswerBody {
  // A byte order mark is allowed before JSON text (RFC 8259 §8.1 lets a parser ignore it); JSON.parse is not.
  const raw = body.toString('utf8');
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const head = text.length > HEAD_CHARS ? text.slice(0, HEAD_CHARS) : text;
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return { json: undefined, head };
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    return { json: undefined, head };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { json, head };
  const fields = json as Record<string, unknown>;
  if (typeof fields.audio !== 'string' || fields.audio === '') return { json, head };
  const audio = decodeBase64Text(fields.audio) ?? null;
  const { audio: _taken, ...rest } = fields;
  return { json: rest, audio, head };
}
