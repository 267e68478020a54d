/** Strict base64 handling: Node's own decoder silently skips characters it does not know. */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i;

export interface Base64Payload {
  /** The base64 text without a data-URL prefix or white space. */
  base64: string;
  /** The media type from a data URL, if there was one. */
  mediaType?: string;
}

/** Splits off a `data:<type>;base64,` prefix and removes white space (line-wrapped base64). */
export function unwrapBase64(text: string): Base64Payload {
  let body = text.trim();
  let mediaType: string | undefined;
  const m = DATA_URL.exec(body);
  if (m) {
    mediaType = m[1] || undefined;
    body = body.slice(m[0].length);
  }
  if (/\s/.test(body)) body = body.replace(/\s+/g, '');
  return { base64: body, mediaType };
}

/** Decodes base64 text, or returns undefined when it is not base64. */
export function decodeBase64(base64: string): Buffer | undefined {
  const n = base64.length;
  // Padding, when present, must complete a 4-character group; "A=" is no byte at all.
  if (n === 0 || n % 4 === 1 || (base64.endsWith('=') && n % 4 !== 0) || !BASE64.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}
