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

/** `"audio"` as bytes: where the audio's string is found without parsing it. */
const AUDIO_KEY = Buffer.from('"audio"', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Reads a body as the API's JSON answer (`{"status","sample_rate","audio"}`):
 * parse, take the base64 audio out and decode it. The audio's string is cut
 * out of the bytes and decoded directly, and only the rest is parsed: 60 s of
 * audio (15 MB) takes ~10 ms instead of ~50 ms of UTF-8 decoding and JSON.parse.
 * An answer where that cut does not hold (escapes in the value, no such key)
 * is parsed whole. Still grows with the size, so large answers are read in the
 * worker thread (offload.ts).
 */
export function readAnswerBody(body: Buffer): AnswerBody {
  return readWithAudioCut(body) ?? readWhole(body);
}

/** The answer with its audio value cut out of the bytes, or undefined when the body does not allow it. */
function readWithAudioCut(body: Buffer): AnswerBody | undefined {
  let key = body.indexOf(AUDIO_KEY);
  // A key inside another string would have escaped quotes: \"audio\".
  while (key > 0 && body[key - 1] === BACKSLASH) key = body.indexOf(AUDIO_KEY, key + 1);
  if (key < 0) return undefined;
  let at = key + AUDIO_KEY.length;
  while (isSpace(body[at])) at++;
  if (body[at] !== 0x3a) return undefined; // ':'
  at++;
  while (isSpace(body[at])) at++;
  if (body[at] !== QUOTE) return undefined;
  const start = at + 1;
  const end = body.indexOf(QUOTE, start);
  if (end < 0 || body.subarray(start, end).includes(BACKSLASH)) return undefined;
  const rest = readWhole(Buffer.concat([body.subarray(0, start), body.subarray(end)]));
  const fields = rest.json;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || (fields as Record<string, unknown>).audio !== '') return undefined;
  const { audio: _emptied, ...json } = fields as Record<string, unknown>;
  if (end === start) return { json: fields, head: rest.head };
  // Base64 is ASCII: latin1 makes the string without decoding UTF-8.
  return { json, audio: decodeBase64Text(body.toString('latin1', start, end)) ?? null, head: rest.head };
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** The answer parsed whole (the general way). */
function readWhole(body: Buffer): AnswerBody {
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
