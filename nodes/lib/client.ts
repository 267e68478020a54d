import { HttpsProxyAgent } from 'hpagent';
import http from 'node:http';
import https from 'node:https';
import type { AnswerBody } from './answer-body';
import { clip, ErrorParam, internalError, phrase, RetryKind, rewriteQuoted, VoxcpmError } from './errors';
import { BodyTooLargeError, postJson, safeDecode } from './http-request';
import { offload } from './offload';
import { parseWav, WavFormatError, WavInfo } from './wav';

/** The JSON body of `POST /api/tts`. The documented examples always send all four keys. */
export interface TtsRequestBody {
  text: string;
  prompt: string;
  audio: string;
  reference_text: string;
}

export interface SynthesisResult {
  /** The whole WAV file as the server sent it. */
  wav: Buffer;
  /** What its header says; the header wins over the JSON `sample_rate`. */
  info: WavInfo;
  /** The JSON `sample_rate`, when it is a number. */
  reportedSampleRate?: number;
  /** Wall time of the HTTP exchange, in milliseconds. */
  elapsedMs: number;
}

export interface ClientOptions {
  /** The endpoint to POST to, as `resolveEndpoint` returns it. */
  endpoint: string;
  /** Longest wait for one answer, in milliseconds. */
  timeoutMs: number;
  /** Larger answers are cut off (a base64 minute of 48 kHz float audio is ~15 MB). */
  maxResponseBytes?: number;
  /**
   * Extra request headers (authorisation). Every value is a secret: never logged,
   * and redacted from any server or proxy text an error quotes (see `secretForms`).
   */
  headers?: Record<string, string>;
  /** TLS options for https (from a tls-config node): ca, cert, key, rejectUnauthorized ... */
  tls?: https.AgentOptions;
  /**
   * An HTTP proxy URL, already chosen (setting or environment); none when undefined.
   * Its password is a secret like the headers.
   */
  proxy?: string;
  /** Longest wait for the TCP (and TLS) connection; a down box is noticed before the whole timeout. */
  connectTimeoutMs?: number;
}

export interface ProbeResult {
  ok: boolean;
  /** Milliseconds the server took to answer. */
  ms: number;
  error?: VoxcpmError;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** One VoxCPM2 server: one HTTP exchange per call, no retries, no queue. */
export class VoxcpmClient {
  readonly endpoint: string;
  private readonly options: ClientOptions;
  private readonly url: URL;
  /** A forward proxy for an http:// endpoint (https:// ones go through `agents.https`'s tunnel). */
  private readonly forwardProxy?: URL;
  private readonly agents: { http: http.Agent; https: https.Agent };
  /** The forms of the configured secrets that are cut out of error texts, longest first. */
  private readonly secrets: string[];

  constructor(options: ClientOptions) {
    this.options = options;
    this.endpoint = options.endpoint;
    this.url = new URL(options.endpoint);
    this.secrets = secretForms(options);
    const connectMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, options.timeoutMs, MAX_TIMER_MS);
    // Keep-alive saves the TCP (and TLS) handshake on every announcement.
    const agentOptions = { keepAlive: true };
    let httpsAgent: https.Agent = new (connectTimeout(https.Agent, connectMs))({ ...agentOptions, ...options.tls });
    // Proxies are chosen by the caller (setting, then http_proxy/https_proxy/no_proxy), never here.
    if (options.proxy) {
      const p = new URL(options.proxy);
      // HTTPS goes through the proxy as a CONNECT tunnel (hpagent): the proxy never sees the request.
      if (this.url.protocol === 'https:') httpsAgent = new HttpsProxyAgent({ ...agentOptions, ...options.tls, proxy: p });
      // HTTP goes to the proxy as an absolute URI (postJson), over the agent of the proxy's own scheme.
      else this.forwardProxy = p;
    }
    this.agents = { http: new (connectTimeout(http.Agent, connectMs))(agentOptions), https: httpsAgent };
  }

  /** Where the server is, for messages: no query string (it may carry a key). */
  get displayEndpoint(): string {
    const url = new URL(this.endpoint);
    return `${url.origin}${url.pathname}`;
  }

  async synthesize(body: TtsRequestBody, signal?: AbortSignal, timeoutMs = this.options.timeoutMs): Promise<SynthesisResult> {
    const started = Date.now();
    const deadline = new AbortController();
    let timedOut = false;
    // setTimeout fires at once past 2^31-1 ms (24.8 days): clamp absurd timeouts instead.
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, Math.min(timeoutMs, MAX_TIMER_MS));
    const onAbort = () => deadline.abort();
    if (signal?.aborted) deadline.abort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // The connection's scheme picks the agent: the proxy's for a forward proxy, else the server's.
      const scheme = (this.forwardProxy ?? this.url).protocol;
      const res = await postJson({
        url: this.url,
        body,
        headers: this.options.headers,
        agent: scheme === 'https:' ? this.agents.https : this.agents.http,
        proxy: this.forwardProxy,
        signal: deadline.signal,
        maxBodyBytes: this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      });
      const answer = await offload.readAnswer(res.body, deadline.signal);
      return this.readAnswer(res.status, res.statusText, String(res.headers['content-type'] ?? ''), answer, Date.now() - started);
    } catch (err) {
      // The one way out for every error this client makes: the configured secrets are cut out here.
      throw this.redacted(this.errorFor(err, timedOut, signal, timeoutMs));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Asks whether the server answers, without using its GPU: an empty text is
   * refused by the server's input check ("text cannot be empty") before any
   * inference. Any answer in the API's JSON, error or not, means it is up;
   * refused, 5xx (503 while the model loads), a proxy's page or silence mean not.
   */
  async probe(timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
    const started = Date.now();
    try {
      await this.synthesize({ text: '', prompt: '', audio: '', reference_text: '' }, signal, timeoutMs);
      return { ok: true, ms: Date.now() - started };
    } catch (err) {
      const error = err instanceof VoxcpmError ? err : internalError(err);
      const ok = error.code === 'VOXCPM_SERVER_ERROR' && !error.retry;
      return { ok, ms: Date.now() - started, error: ok ? undefined : error };
    }
  }

  /**
   * `text` with every configured secret (bearer token, basic password and the
   * base64 `user:pass`, custom header value, proxy password, query-string
   * values of the endpoint; also URL-, form-, HTML- and JSON-escaped) replaced
   * by `***`. Secrets shorter than MIN_SECRET_LENGTH characters are left alone.
   */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** Frees the keep-alive sockets. Requests still running are aborted by their signals. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** What a failed exchange ends with, before redaction. */
  private errorFor(err: unknown, timedOut: boolean, signal: AbortSignal | undefined, timeoutMs: number): VoxcpmError {
    // Whatever ended the exchange once the deadline fell (a cut stream, the answer's reading
    // aborted in the worker thread), the deadline did.
    if (timedOut) return new VoxcpmError('VOXCPM_TIMEOUT', 'client.timeout', { where: this.displayEndpoint, seconds: formatSeconds(timeoutMs) });
    if (err instanceof VoxcpmError) return err;
    if (signal?.aborted) return new VoxcpmError('VOXCPM_ABORTED', 'common.aborted');
    return this.transportError(err);
  }

  /**
   * The same error with the secrets cut out of its parameters, and so of its
   * message in every language (and of its stack).
   */
  private redacted(err: VoxcpmError): VoxcpmError {
    return rewriteQuoted(err, (text) => this.redact(text));
  }

  /**
   * A piece of server or proxy text for an error message: redacted first, then
   * clipped, so that a secret cut in two by the clip cannot survive in part.
   */
  private quote(text: string, max: number): string {
    return clip(this.redact(text), max);
  }

  private readAnswer(status: number, statusText: string, contentType: string, answer: AnswerBody, elapsedMs: number): SynthesisResult {
    const { json, head: text } = answer;
    const where = this.displayEndpoint;
    // The document does not say which HTTP status an error body comes with: read it whatever the status.
    if (isObject(json) && json.status === 'error') {
      const said = typeof json.message === 'string' && json.message ? this.quote(json.message, 200) : phrase('client.noMessage');
      const ok = status >= 200 && status < 300;
      throw new VoxcpmError('VOXCPM_SERVER_ERROR', ok ? 'client.serverError' : 'client.serverErrorHttp', { status, said }, retryForStatus(status));
    }
    if (status < 200 || status >= 300) {
      const found = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
      // Entities decoded: the user reads "&", and a secret escaped in any mixture still matches.
      const title = found === undefined ? undefined : decodeEntities(found).trim();
      const said = title ? undefined : plainLine(text, contentType);
      const type = contentType ? this.quote(contentType, 60) : '';
      const params = { status: statusText ? `${status} ${this.quote(statusText, 60)}` : status, by: this.answeredBy(status) };
      const retry = retryForStatus(status);
      if (title) throw new VoxcpmError('VOXCPM_HTTP', 'client.httpTitle', { ...params, title: this.quote(title, 80) }, retry);
      if (said) throw new VoxcpmError('VOXCPM_HTTP', type ? 'client.httpSaidType' : 'client.httpSaid', { ...params, said: this.quote(said, 120), type }, retry);
      throw new VoxcpmError('VOXCPM_HTTP', type ? 'client.httpType' : 'client.http', { ...params, type }, retry);
    }
    if (json === undefined) {
      if (contentType) throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.notJsonType', { where, type: this.quote(contentType, 60) });
      throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.notJson', { where });
    }
    if (!isObject(json) || json.status !== 'success') {
      throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.notApi', { where });
    }
    if (answer.audio === undefined) {
      throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.noAudio', { where });
    }
    const wav = answer.audio;
    if (!wav) {
      throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.badBase64', { where });
    }
    let info: WavInfo;
    try {
      info = parseWav(wav);
    } catch (err) {
      const why = err instanceof WavFormatError ? err.message : String(err);
      throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.badWav', { where, detail: why });
    }
    if (info.frames === 0) {
      throw new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.emptyWav', { where });
    }
    const reportedSampleRate = typeof json.sample_rate === 'number' ? json.sample_rate : undefined;
    return { wav, info, reportedSampleRate, elapsedMs };
  }

  /** Who sent a non-2xx answer: a 407 comes from the proxy, not the server behind it. */
  private answeredBy(status: number): ErrorParam {
    return status === 407 && this.options.proxy ? phrase('client.proxyFor', { proxy: proxyHost(this.options.proxy), where: this.displayEndpoint }) : this.displayEndpoint;
  }

  private transportError(err: unknown): VoxcpmError {
    const where = this.displayEndpoint;
    if (err instanceof BodyTooLargeError) {
      return new VoxcpmError('VOXCPM_BAD_RESPONSE', 'client.tooLarge', { where, limit: formatSize(err.limit) });
    }
    // Node's errors carry their code (an AggregateError of a dual-stack connect too, with an empty
    // message); a wrapped one carries it in its cause.
    const code = codeOf(err);
    const cause = err instanceof Error ? codeOf(err.cause) : '';
    const message = err instanceof Error ? err.message || code : String(err);
    const any = `${code} ${cause} ${message}`;
    // Through a proxy, the only connection this client opens is to the proxy: a failure to
    // connect (DNS, refused, no answer, no route) is the proxy's, never the VoxCPM2 server's.
    const proxy = this.options.proxy ? proxyHost(this.options.proxy) : undefined;
    if (/ECONNREFUSED/.test(any)) {
      return proxy
        ? new VoxcpmError('VOXCPM_UNREACHABLE', 'client.proxyRefused', { proxy }, 'server-down')
        : new VoxcpmError('VOXCPM_UNREACHABLE', 'client.refused', { where }, 'server-down');
    }
    if (/ECONNECT_TIMEOUT/.test(any)) {
      return proxy
        ? new VoxcpmError('VOXCPM_UNREACHABLE', 'client.proxyNoConnection', { proxy }, 'server-down')
        : new VoxcpmError('VOXCPM_UNREACHABLE', 'client.noConnection', { where }, 'server-down');
    }
    if (/ENOTFOUND|EAI_AGAIN/.test(any)) {
      return proxy
        ? new VoxcpmError('VOXCPM_UNREACHABLE', 'client.proxyNotFound', { proxy })
        : new VoxcpmError('VOXCPM_UNREACHABLE', 'client.notFound', { where });
    }
    const tunnel = /^Bad response: (\d{3})/.exec(message);
    if (proxy && tunnel) {
      // hpagent: the proxy refused the CONNECT tunnel to an https server.
      const key = tunnel[1] === '407' ? 'client.tunnelAuth' : 'client.tunnelRefused';
      return new VoxcpmError('VOXCPM_UNREACHABLE', key, { proxy, where, status: tunnel[1] }, retryForStatus(Number(tunnel[1])));
    }
    if (/CERT|SSL|TLS|SELF_SIGNED/i.test(any)) {
      return new VoxcpmError('VOXCPM_UNREACHABLE', 'client.tls', { where, detail: this.quote(message, 120) });
    }
    if (/ECONNRESET|EPIPE|socket hang up|aborted/i.test(any)) {
      return new VoxcpmError('VOXCPM_UNREACHABLE', 'client.cut', { where }, 'transient');
    }
    if (/EHOSTUNREACH|ENETUNREACH|EHOSTDOWN/.test(any)) {
      return proxy
        ? new VoxcpmError('VOXCPM_UNREACHABLE', 'client.proxyNoRoute', { proxy }, 'server-down')
        : new VoxcpmError('VOXCPM_UNREACHABLE', 'client.noRoute', { where }, 'server-down');
    }
    return new VoxcpmError('VOXCPM_UNREACHABLE', 'client.other', { where, detail: this.quote(message, 120) });
  }
}

/** What replaces a secret in an error text. */
export const REDACTED = '***';

/**
 * Secrets shorter than this are not redacted as bare strings: they cannot be
 * told from ordinary words (a 1-character password would turn every "a" into
 * "***"), and the holes would spell them out. Their longer forms (the whole
 * header value, the base64 `user:pass`) still are.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Every form in which the client's configured secrets could come back in a
 * server's or proxy's text, longest first: each header value, its credential
 * without the scheme ("Bearer <token>" -> token), for Basic the decoded
 * `user:pass` and the password; the proxy's password, its `user:pass` and the
 * base64 Proxy-Authorization; the values of the endpoint's query string. Each
 * also URL-encoded, form-encoded, HTML-escaped and JSON-escaped.
 */
export function secretForms(options: Pick<ClientOptions, 'headers' | 'proxy' | 'endpoint'>): string[] {
  const raw: string[] = [];
  for (const value of Object.values(options.headers ?? {})) {
    raw.push(value);
    const scheme = /^([A-Za-z][A-Za-z0-9._~+-]*) +(\S.*)$/.exec(value);
    if (!scheme) continue;
    raw.push(scheme[2]);
    if (scheme[1].toLowerCase() === 'basic') {
      const pair = Buffer.from(scheme[2], 'base64').toString('utf8');
      raw.push(pair, pair.slice(pair.indexOf(':') + 1));
    }
  }
  const proxy = parseUrl(options.proxy);
  if (proxy?.password) {
    const user = safeDecode(proxy.username);
    const password = safeDecode(proxy.password);
    const pair = `${user}:${password}`;
    raw.push(proxy.password, password, pair, Buffer.from(pair).toString('base64'));
  }
  for (const [, value] of parseUrl(options.endpoint)?.searchParams ?? []) raw.push(value);
  const forms = new Set<string>();
  for (const secret of raw) {
    for (const form of [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), escapeHtml(secret), JSON.stringify(secret).slice(1, -1)]) {
      if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

function parseUrl(url: string | undefined): URL | undefined {
  if (!url) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The text of an HTML title: character references and the five named XML entities decoded. */
function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]+));/gi, (all, dec?: string, hex?: string, name?: string) => {
    const code = dec ? Number(dec) : hex ? parseInt(hex, 16) : undefined;
    if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : all;
    return named[(name ?? '').toLowerCase()] ?? all;
  });
}

/**
 * The first line of a non-HTML, non-JSON body (text/plain, or no content type), to quote
 * what a server or proxy said when it refused ("Unauthorized: bad token"); undefined otherwise.
 */
function plainLine(text: string, contentType: string): string | undefined {
  if (contentType && !/^text\/plain\b/i.test(contentType)) return undefined;
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
  return line && !line.startsWith('<') && !line.startsWith('{') ? line : undefined;
}

/** The proxy's host and port, for messages: never its credentials. */
function proxyHost(proxy: string): string {
  return new URL(proxy).host;
}

/** 503: the server is up but not serving (loading its model); 502/504: a proxy lost it for a moment. */
function retryForStatus(status: number): RetryKind | undefined {
  if (status === 503) return 'server-down';
  if (status === 502 || status === 504) return 'transient';
  return undefined;
}

type AgentClass<A> = new (options: https.AgentOptions) => A;

/**
 * An Agent whose new sockets give up when the connection is not made within
 * `ms`: a powered-off box is noticed in seconds, not after the whole timeout.
 * Node's agents have no connect timeout of their own (their `timeout` is idle time).
 */
function connectTimeout<A extends http.Agent>(Base: AgentClass<A>, ms: number): AgentClass<A> {
  class WithConnectTimeout extends (Base as AgentClass<http.Agent>) {
    override createConnection(...args: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
      const socket = super.createConnection(...args);
      if (!socket) return socket;
      const timer = setTimeout(() => {
        socket.destroy(Object.assign(new Error(`connect timeout after ${ms} ms`), { code: 'ECONNECT_TIMEOUT' }));
      }, ms);
      const clear = () => clearTimeout(timer);
      socket.once('connect', clear);
      socket.once('close', clear);
      return socket;
    }
  }
  return WithConnectTimeout as unknown as AgentClass<A>;
}

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code?: unknown }).code ?? '') : '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatSize(bytes: number): string {
  return bytes >= 1048576 ? `${Math.round((bytes / 1048576) * 10) / 10} MB` : `${Math.round(bytes / 1024)} kB`;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
