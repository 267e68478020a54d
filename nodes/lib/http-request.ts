/**
 * One JSON POST over Node's own http/https, its answer body read whole within a size limit.
 *
 * Written by hand on purpose: the platform already has all of it (node:http and node:https,
 * AbortSignal, node:zlib; keep-alive, TLS options, the connect timeout and hpagent's CONNECT
 * tunnel all live in the http.Agent the caller passes), and the client needs one POST, no
 * redirects, no multipart, no retries. An HTTP library (axios: 30 packages, 4.6 MB) would cost
 * one of the package's six runtime dependencies for about a hundred lines.
 *
 * What it does, as axios with the client's former settings did:
 * - sends `body` as JSON with Content-Type/Accept application/json and Content-Length;
 * - never follows a redirect: a 3xx is an answer like any other (the caller turns it into
 *   VOXCPM_HTTP), so credentials never travel to a host that was not configured;
 * - through a forward proxy (http:// targets; https:// ones go through the agent's tunnel):
 *   the request goes to the proxy with the absolute URI, with Proxy-Authorization from the
 *   proxy URL's user name and password;
 * - accepts gzip, deflate and br answers (a reverse proxy may compress the JSON) and counts
 *   the size limit on the decoded bytes, so a compressed bomb is cut off as early as plain text;
 * - ends at once, request and body reading, when `signal` aborts (the caller's deadline and
 *   its user's abort): socket destroyed, no listener left on the signal.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface JsonPost {
  /** The endpoint, query string included. */
  url: URL;
  /** The value sent as the JSON body. */
  body: unknown;
  /** Extra request headers (credentials); they win over the defaults below, in any case. */
  headers?: Record<string, string>;
  /**
   * The agent that makes the connection: to the server, or to `proxy` when one is given.
   * Its kind must match that connection's scheme (https.Agent for https://).
   */
  agent: http.Agent;
  /** A forward proxy for an http:// target; its user name and password (URL-encoded) become Proxy-Authorization. */
  proxy?: URL;
  /** Aborts the exchange, body reading included; the promise rejects with the signal's reason. */
  signal: AbortSignal;
  /** Largest body accepted, in bytes after decoding; larger ones reject with BodyTooLargeError. */
  maxBodyBytes: number;
}

export interface JsonAnswer {
  status: number;
  /** The reason phrase ("Bad Gateway"), possibly empty. */
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** The whole body, decoded (gzip, deflate, br). */
  body: Buffer;
}

/** An answer body past `maxBodyBytes`, by its Content-Length or as it arrived. */
export class BodyTooLargeError extends Error {
  readonly code = 'ERR_BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`answer body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Sent as User-Agent: some servers and WAFs refuse requests without one. */
const USER_AGENT = 'node-red-voxcpm';
/** The encodings decoded below. */
const ACCEPT_ENCODING = 'gzip, deflate, br';
/** The first buffer for a body without Content-Length (or a compressed one); it doubles as needed. */
const UNKNOWN_SIZE_START = 64 * 1024;

/**
 * POSTs `body` as JSON to `url` and reads the whole answer, whatever its status.
 *
 * @returns status, reason phrase, headers and the decoded body (at most `maxBodyBytes`).
 * @throws BodyTooLargeError past the limit; the signal's reason when it aborts; otherwise
 *   Node's own error (code ECONNREFUSED, ENOTFOUND, ECONNRESET, a TLS code, hpagent's
 *   "Bad response: 407" ...), which the caller maps.
 */
export function postJson(options: JsonPost): Promise<JsonAnswer> {
  const { url, proxy, signal } = options;
  return new Promise<JsonAnswer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const payload = Buffer.from(JSON.stringify(options.body), 'utf8');
    let req: http.ClientRequest | undefined;
    let bodyStream: Readable | undefined;
    let settled = false;
    const finish = (err: unknown, answer?: JsonAnswer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err === undefined && answer) return resolve(answer);
      // Whatever failed, the connection is not reused half-read.
      bodyStream?.destroy();
      req?.destroy();
      reject(err);
    };
    const onAbort = () => finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'Accept-Encoding': ACCEPT_ENCODING,
      'User-Agent': USER_AGENT,
      'Content-Length': String(payload.length),
    };
    if (proxy) {
      // The proxy reads the target from the absolute URI and Host; credentials are for it alone.
      headers.Host = url.host;
      if (proxy.username || proxy.password) {
        const pair = `${safeDecode(proxy.username)}:${safeDecode(proxy.password)}`;
        headers['Proxy-Authorization'] = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
      }
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      for (const known of Object.keys(headers)) if (known.toLowerCase() === name.toLowerCase()) delete headers[known];
      headers[name] = value;
    }

    const to = proxy ?? url;
    const send = to.protocol === 'https:' ? https.request : http.request;
    try {
      req = send({
        protocol: to.protocol,
        // URL keeps an IPv6 literal's brackets; the socket wants the bare address.
        hostname: to.hostname.replace(/^\[|\]$/g, ''),
        port: to.port || (to.protocol === 'https:' ? 443 : 80),
        method: 'POST',
        // Never the URL's user name or fragment.
        path: proxy ? `${url.protocol}//${url.host}${url.pathname}${url.search}` : `${url.pathname}${url.search}`,
        headers,
        agent: options.agent,
      });
    } catch (err) {
      // A header Node refuses (ERR_INVALID_CHAR): authHeaders checks first, so only a bug gets here.
      return finish(err);
    }
    // 'on', not 'once': an error after the first (the socket after a destroy) must not go unhandled.
    req.on('error', (err) => finish(err));
    req.once('response', (res) => {
      bodyStream = decoded(res);
      const declared = bodyStream === res ? Number(res.headers['content-length']) : NaN;
      readAll(bodyStream, declared, options.maxBodyBytes).then(
        (body) => finish(undefined, { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body }),
        (err: unknown) => finish(err),
      );
    });
    req.end(payload);
  });
}

/** The body as its bytes were meant: gzip, deflate and br decoded, anything else as sent. */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  // A 204 carries no body to decode, whatever its headers say.
  if (res.statusCode === 204) return res;
  let decoder: zlib.Gunzip | zlib.Unzip | zlib.BrotliDecompress;
  // Unzip reads gzip and zlib-wrapped deflate, what servers send as "deflate".
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') decoder = zlib.createUnzip();
  else if (encoding === 'br') decoder = zlib.createBrotliDecompress();
  else return res;
  // A cut connection reaches the reader as the decoder's error.
  res.on('error', (err) => decoder.destroy(err));
  res.once('aborted', () => decoder.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  res.pipe(decoder);
  // Destroying the decoder (abort, limit) must free the socket too; a whole answer leaves it to keep-alive.
  decoder.once('close', () => {
    if (!res.complete) res.destroy();
  });
  return decoder;
}

/**
 * The whole stream, at most `limit` bytes: copied chunk by chunk as it arrives into one
 * buffer (sized by `declared`, the Content-Length, when given), so no single step copies
 * megabytes. Rejects with BodyTooLargeError past the limit (at once when `declared` says
 * so), with the stream's error, or with ECONNRESET when it closes before its end.
 */
export function readAll(stream: Readable, declared: number, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (declared > limit) {
      stream.destroy();
      return reject(new BodyTooLargeError(limit));
    }
    let buffer = Buffer.allocUnsafe(Number.isInteger(declared) && declared >= 0 ? declared : UNKNOWN_SIZE_START);
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        stream.destroy();
        reject(new BodyTooLargeError(limit));
        return;
      }
      if (size + chunk.length > buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(Math.max(2 * buffer.length, size + chunk.length), limit));
        buffer.copy(grown, 0, 0, size);
        buffer = grown;
      }
      chunk.copy(buffer, size);
      size += chunk.length;
    });
    stream.once('end', () => resolve(size === buffer.length ? buffer : buffer.subarray(0, size)));
    stream.on('error', reject);
    // A connection cut mid-answer ends some streams with 'close' and no 'end' or 'error'.
    stream.once('close', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  });
}

/** `text` percent-decoded (a URL's user or password), or as it is when it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
