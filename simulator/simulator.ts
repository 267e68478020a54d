// A stand-in for the VoxCPM2 TTS server (contract: /work/shared/voxcpm2-api.md), for tests and demos.
//
//   const sim = new VoxCpmSimulator({ voice: 'tone' });
//   const base = await sim.start();            // 'http://127.0.0.1:<port>'
//   sim.setFault({ kind: 'inference-failed', times: 2 });
//   ...; await sim.stop();
//
// API: any POST whose path ends with `/api/tts` (so `/voxcpm/api/tts` emulates a proxy prefix),
// body `{text, prompt?, audio?, reference_text?}`. Success: 200
// `{"status":"success","sample_rate":R,"audio":"<base64 WAV>"}`. Errors: 400 `text cannot be empty`,
// 400 `audio is not valid base64`, 400 `<field> must be a string`, 400 `request body is not JSON`,
// 413 `request body too large`, 405 for other methods, 404 JSON for other paths. Reference audio
// is only checked for being base64 (plain or `data:...;base64,`), never decoded.
//
// Audio (`voice`): 'speech' speaks the text with eSpeak NG (falls back to the tone if that fails),
// 'tone' is a 220 Hz sine lasting `durationFor(text)` seconds (default 0.08 s/char, 0.3..60 s).
// It is shaped to `sampleRate` (default 48000) and `format` (WavShape, default 'pcm16': VoxCPM2's
// Python API returns float32, and python-soundfile, which such servers write WAV with, writes
// 16-bit PCM unless told otherwise; 'float32' is the switch for servers that keep the floats).
// Non-PCM shapes carry a cbSize field and a `fact` chunk, as the RIFF spec (and scipy) write them.
//
// Faults (`setFault`, or `POST /_sim/fault` with the JSON or `null`), all `{ kind, ..., times? }`.
// A fault applies to every POST .../api/tts after its body was read and recorded; with `times: N`
// it applies to the next N such requests, then clears itself. Optional parameters and defaults:
//   inference-failed              500 {"status":"error","message":"inference failed"}
//   slow        ms = 10000        waits, then answers normally (timer dropped if the client leaves or on stop())
//   html-502                      502 nginx HTML page, text/html
//   error-in-200 message = 'inference failed'   200 {"status":"error","message":...}
//   bad-base64                    200 success JSON, audio "%%%not base64%%%"
//   not-wav                       200 success JSON, audio = base64 of MP3-like bytes
//   not-json                      200 text/plain, not JSON
//   no-audio                      200 {"status":"success","sample_rate":R}
//   rate-mismatch sampleRate = 24000 (48000 if the header says 24000)  JSON rate != header rate
//   reset                         socket destroyed without an answer
//   reset-mid-answer              headers and part of the body, then the socket is destroyed
//   loading     seconds = 30      503 {"status":"error","message":"model loading"} until `seconds`
//                                 after setFault, then normal (and the fault clears itself)
//   oversize    bytes = 64 MiB    valid success JSON whose WAV is padded with silence so the body
//                                 is at least `bytes` long
// Control endpoints (standalone use): POST /_sim/fault, GET /_sim/fault, GET /_sim/requests
// (audio replaced by its length), POST /_sim/reset (clears records and fault).

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resample, speak, tone, toneDuration, type Pcm } from './speech';

export type WavShape = 'float32' | 'pcm16' | 'stereo' | 'extensible' | 'list-chunk';
export const WAV_SHAPES: readonly WavShape[] = ['float32', 'pcm16', 'stereo', 'extensible', 'list-chunk'];
/** What a server that writes its WAV with python-soundfile's defaults sends. */
export const DEFAULT_WAV_SHAPE: WavShape = 'pcm16';

export type SimVoice = 'speech' | 'tone';

export type SimFault = { times?: number } & (
  | { kind: 'inference-failed' }
  | { kind: 'slow'; ms?: number }
  | { kind: 'html-502' }
  | { kind: 'error-in-200'; message?: string }
  | { kind: 'bad-base64' }
  | { kind: 'not-wav' }
  | { kind: 'not-json' }
  | { kind: 'no-audio' }
  | { kind: 'rate-mismatch'; sampleRate?: number }
  | { kind: 'reset' }
  | { kind: 'reset-mid-answer' }
  | { kind: 'loading'; seconds?: number }
  | { kind: 'oversize'; bytes?: number }
);
export type SimFaultKind = SimFault['kind'];
export const FAULT_KINDS: readonly SimFaultKind[] = [
  'inference-failed',
  'slow',
  'html-502',
  'error-in-200',
  'bad-base64',
  'not-wav',
  'not-json',
  'no-audio',
  'rate-mismatch',
  'reset',
  'reset-mid-answer',
  'loading',
  'oversize',
];

export interface SimulatorOptions {
  voice?: SimVoice;
  /** The WAV the answers carry: pcm16 by default (see DEFAULT_WAV_SHAPE), float32 for servers that keep the floats. */
  format?: WavShape;
  sampleRate?: number;
  /** Tone length in seconds for a text (tone voice, and the speech fallback). */
  durationFor?: (text: string) => number;
  /** Request bodies above this answer 413. Default 60 MiB. */
  maxBodyBytes?: number;
  /** One line per handled request, e.g. console.log for the CLI. */
  log?: (line: string) => void;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  /** Arrival time, ms since the epoch. */
  at: number;
}

type JsonBody = Record<string, unknown>;

const DEFAULT_MAX_BODY = 60 * 1024 * 1024;
const MIME_JSON = 'application/json';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:[^,]*;base64,/i;

const TOO_LARGE: unique symbol = Symbol('too large');
const ABORTED: unique symbol = Symbol('aborted');

const HTML_502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
`;

/** Throws unless `value` is a fault (or null); fills no defaults, so what was set is what is reported. */
export function parseFault(value: unknown): SimFault | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('fault must be an object or null');
  const f = value as Record<string, unknown>;
  if (typeof f.kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(f.kind)) {
    throw new Error(`unknown fault kind ${JSON.stringify(f.kind)}; expected one of ${FAULT_KINDS.join(', ')}`);
  }
  const nonNegative = (key: string) => {
    const v = f[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new Error(`fault ${key} must be a non-negative number`);
    }
  };
  ['ms', 'seconds', 'bytes', 'sampleRate'].forEach(nonNegative);
  if (f.times !== undefined && (!Number.isInteger(f.times) || (f.times as number) < 1)) {
    throw new Error('fault times must be a positive integer');
  }
  if (f.message !== undefined && typeof f.message !== 'string') throw new Error('fault message must be a string');
  return { ...f } as SimFault;
}

/** Accepts a bare kind ("slow") or fault JSON ('{"kind":"slow","ms":2000}'), e.g. from the command line. */
export function faultFromString(text: string): SimFault | null {
  const t = text.trim();
  if (t === '' || t === 'none' || t === 'null') return null;
  return parseFault(t.startsWith('{') ? JSON.parse(t) : { kind: t });
}

function layout(shape: WavShape): { float: boolean; channels: number; bytesPerSample: number; blockAlign: number } {
  const float = shape === 'float32' || shape === 'extensible';
  const channels = shape === 'stereo' ? 2 : 1;
  const bytesPerSample = float ? 4 : 2;
  return { float, channels, bytesPerSample, blockAlign: channels * bytesPerSample };
}

/** Encodes mono float samples as a WAV file of the given shape. */
export function encodeWav(samples: Float32Array, sampleRate: number, shape: WavShape): Buffer {
  const { float, channels, bytesPerSample, blockAlign } = layout(shape);
  const data = Buffer.alloc(samples.length * blockAlign);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    for (let c = 0; c < channels; c++) {
      const at = i * blockAlign + c * bytesPerSample;
      if (float) data.writeFloatLE(s, at);
      else data.writeInt16LE(Math.round(s * 32767), at);
    }
  }

  const fmt = Buffer.alloc(shape === 'extensible' ? 40 : float ? 18 : 16);
  fmt.writeUInt16LE(shape === 'extensible' ? 0xfffe : float ? 3 : 1, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE(sampleRate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(bytesPerSample * 8, 14);
  if (shape === 'extensible') {
    fmt.writeUInt16LE(22, 16); // cbSize
    fmt.writeUInt16LE(32, 18); // valid bits per sample
    fmt.writeUInt32LE(0x4, 20); // channel mask: front centre
    // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT {00000003-0000-0010-8000-00AA00389B71}
    Buffer.from('0300000000001000800000aa00389b71', 'hex').copy(fmt, 24);
  } else if (float) {
    fmt.writeUInt16LE(0, 16); // cbSize
  }

  const chunks: Buffer[] = [chunk('fmt ', fmt)];
  if (float) {
    const fact = Buffer.alloc(4);
    fact.writeUInt32LE(samples.length, 0);
    chunks.push(chunk('fact', fact));
  }
  if (shape === 'list-chunk') {
    // Odd-length LIST contents: a reader that ignores the RIFF pad byte loses the data chunk.
    const isft = Buffer.from('voxcpm-sim\0', 'latin1'); // 11 bytes
    chunks.push(chunk('LIST', Buffer.concat([Buffer.from('INFO', 'latin1'), subchunkNoPad('ISFT', isft)])));
  }
  chunks.push(chunk('data', data));
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(4 + body.length, 4);
  header.write('WAVE', 8, 'latin1');
  return Buffer.concat([header, body]);
}

/** A RIFF chunk, with the pad byte after odd-sized contents (not counted in its size). */
function chunk(id: string, contents: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(contents.length, 4);
  return Buffer.concat([head, contents, Buffer.alloc(contents.length & 1)]);
}

/** The last subchunk of a LIST: its pad byte is the enclosing chunk's pad. */
function subchunkNoPad(id: string, contents: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(contents.length, 4);
  return Buffer.concat([head, contents]);
}

function isValidBase64(value: string): boolean {
  const b64 = value.replace(DATA_URL, '').replace(/\s+/g, '');
  return b64.length % 4 === 0 && BASE64.test(b64);
}

export class VoxCpmSimulator {
  /** Every request to a path ending with /api/tts, in arrival order. */
  readonly requests: RecordedRequest[] = [];

  private voice: SimVoice;
  private format: WavShape;
  private sampleRate: number;
  private readonly durationFor: (text: string) => number;
  private readonly maxBodyBytes: number;
  private readonly log?: (line: string) => void;

  private server?: http.Server;
  private baseUrl?: string;
  private readonly sockets = new Set<Socket>();
  private readonly cancels = new Set<() => void>();
  private active: { fault: SimFault; setAt: number; remaining?: number } | null = null;
  private current = 0;
  private peak = 0;

  constructor(options: SimulatorOptions = {}) {
    this.voice = options.voice ?? 'speech';
    this.format = options.format ?? DEFAULT_WAV_SHAPE;
    this.sampleRate = options.sampleRate ?? 48000;
    this.durationFor = options.durationFor ?? toneDuration;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.log = options.log;
    this.setFormat(this.format);
    this.setSampleRate(this.sampleRate);
  }

  /** Base URL after start(), e.g. http://127.0.0.1:5022. */
  get url(): string {
    if (!this.baseUrl) throw new Error('simulator is not started');
    return this.baseUrl;
  }

  /** /api/tts requests being handled right now. */
  get inflight(): number {
    return this.current;
  }

  /** Peak of `inflight` since construction or the last clearRequests(). */
  get maxInflight(): number {
    return this.peak;
  }

  /** Delays ('slow' fault) still waiting; 0 once their clients left or stop() ran. */
  get pendingTimers(): number {
    return this.cancels.size;
  }

  get fault(): SimFault | null {
    return this.active?.fault ?? null;
  }

  setFault(fault: SimFault | null): void {
    const f = parseFault(fault);
    this.active = f ? { fault: f, setAt: Date.now(), remaining: f.times } : null;
  }

  setFormat(format: WavShape): void {
    if (!WAV_SHAPES.includes(format)) throw new Error(`unknown WAV shape ${String(format)}`);
    this.format = format;
  }

  setSampleRate(rate: number): void {
    if (!Number.isInteger(rate) || rate < 1000 || rate > 384000) throw new Error(`bad sample rate ${rate}`);
    this.sampleRate = rate;
  }

  setVoice(voice: SimVoice): void {
    this.voice = voice;
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.peak = this.current;
  }

  /** Clears the records and the fault. */
  reset(): void {
    this.clearRequests();
    this.active = null;
  }

  /** The WAV file a successful request for `text` would carry, in the current voice, rate and shape. */
  async synthesize(text: string, padToBytes = 0): Promise<Buffer> {
    const rate = this.sampleRate;
    const shape = this.format;
    let samples = resampled(await this.source(text, rate), rate);
    if (padToBytes > 0) {
      const headerBytes = encodeWav(new Float32Array(0), rate, shape).length;
      const frames = Math.ceil(Math.max(0, padToBytes - headerBytes) / layout(shape).blockAlign);
      if (frames > samples.length) {
        const padded = new Float32Array(frames); // silence after the speech
        padded.set(samples);
        samples = padded;
      }
    }
    return encodeWav(samples, rate, shape);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('simulator already started');
    const server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => this.internalError(res, err));
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port: actual } = server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    return this.baseUrl;
  }

  /** Closes the server, drops every connection and pending timer; never waits for clients. */
  async stop(): Promise<void> {
    for (const cancel of [...this.cancels]) cancel();
    this.cancels.clear();
    const server = this.server;
    this.server = undefined;
    this.baseUrl = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  // ---- request handling ----

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.endsWith('/api/tts')) return this.tts(req, res, path);
    if (path.endsWith('/_sim/fault') && req.method === 'GET') return sendJson(res, 200, { fault: this.fault });
    if (path.endsWith('/_sim/fault') && req.method === 'POST') {
      const raw = await this.readBody(req);
      if (raw === ABORTED) return;
      if (raw === TOO_LARGE) return sendJson(res, 413, { status: 'error', message: 'request body too large' }, true);
      try {
        this.setFault(parseFault(raw.trim() === '' ? null : JSON.parse(raw)));
      } catch (err) {
        return sendJson(res, 400, { status: 'error', message: err instanceof Error ? err.message : String(err) });
      }
      this.log?.(`fault set: ${JSON.stringify(this.fault)}`);
      return sendJson(res, 200, { status: 'ok', fault: this.fault });
    }
    if (path.endsWith('/_sim/requests') && req.method === 'GET') {
      return sendJson(res, 200, { requests: this.requests.map(summarize) });
    }
    if (path.endsWith('/_sim/reset') && req.method === 'POST') {
      req.resume();
      this.reset();
      return sendJson(res, 200, { status: 'ok' });
    }
    req.resume();
    sendJson(res, 404, { status: 'error', message: `not found: ${req.method} ${path}` });
  }

  private async tts(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const at = Date.now();
    this.current++;
    this.peak = Math.max(this.peak, this.current);
    let counted = true;
    res.once('close', () => {
      if (counted) this.current--;
      counted = false;
    });
    if (this.log) {
      const log = this.log;
      res.once('close', () => log(`${req.method} ${path} -> ${res.headersSent ? res.statusCode : 'reset'} (${Date.now() - at} ms)`));
    }

    const raw = await this.readBody(req);
    if (raw === ABORTED) return;
    let body: unknown = raw === TOO_LARGE ? '[request body too large]' : raw;
    if (typeof raw === 'string') {
      try {
        body = JSON.parse(raw);
      } catch {
        // not JSON: record the raw text
      }
    }
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body, at });
    if (raw === TOO_LARGE) return sendJson(res, 413, { status: 'error', message: 'request body too large' }, true);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, { status: 'error', message: 'method not allowed' });
    }

    const fault = this.takeFault();
    const rate = this.sampleRate;
    switch (fault?.kind) {
      case undefined:
        return this.answer(res, body);
      case 'slow':
        if (await this.delay(fault.ms ?? 10000, res)) return this.answer(res, body);
        return;
      case 'inference-failed':
        return sendJson(res, 500, { status: 'error', message: 'inference failed' });
      case 'html-502':
        return send(res, 502, 'text/html', HTML_502);
      case 'error-in-200':
        return sendJson(res, 200, { status: 'error', message: fault.message ?? 'inference failed' });
      case 'bad-base64':
        return sendJson(res, 200, { status: 'success', sample_rate: rate, audio: '%%%not base64%%%' });
      case 'not-wav':
        return sendJson(res, 200, { status: 'success', sample_rate: rate, audio: fakeMp3().toString('base64') });
      case 'not-json':
        return send(res, 200, 'text/plain; charset=utf-8', 'OK - audio generated (this body is not JSON)\n');
      case 'no-audio':
        return sendJson(res, 200, { status: 'success', sample_rate: rate });
      case 'rate-mismatch': {
        const wav = await this.synthesize(textOf(body) || 'rate mismatch');
        const claimed = fault.sampleRate ?? (rate === 24000 ? 48000 : 24000);
        return sendJson(res, 200, { status: 'success', sample_rate: claimed, audio: wav.toString('base64') });
      }
      case 'reset':
        res.socket?.destroy();
        return;
      case 'reset-mid-answer': {
        const wav = await this.synthesize(textOf(body) || 'reset mid answer');
        const payload = Buffer.from(JSON.stringify({ status: 'success', sample_rate: rate, audio: wav.toString('base64') }));
        if (res.destroyed) return;
        res.writeHead(200, { 'Content-Type': MIME_JSON, 'Content-Length': payload.length });
        res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
        return;
      }
      case 'loading':
        res.setHeader('Retry-After', '1');
        return sendJson(res, 503, { status: 'error', message: 'model loading' });
      case 'oversize': {
        const bytes = fault.bytes ?? 64 * 1024 * 1024;
        const overhead = JSON.stringify({ status: 'success', sample_rate: rate, audio: '' }).length;
        // base64 grows 3 -> 4, so this many WAV bytes make a body of at least `bytes`.
        const wavBytes = Math.ceil(Math.max(0, bytes - overhead) / 4) * 3;
        const wav = await this.synthesize(textOf(body) || 'oversize', wavBytes);
        return sendJson(res, 200, { status: 'success', sample_rate: rate, audio: wav.toString('base64') });
      }
    }
  }

  /** The documented behaviour: validate, synthesize, answer. */
  private async answer(res: http.ServerResponse, body: unknown): Promise<void> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendJson(res, 400, { status: 'error', message: 'request body is not JSON' });
    }
    const fields = body as JsonBody;
    for (const key of ['text', 'prompt', 'audio', 'reference_text']) {
      const v = fields[key];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        return sendJson(res, 400, { status: 'error', message: `${key} must be a string` });
      }
    }
    const text = textOf(fields);
    if (text.trim() === '') return sendJson(res, 400, { status: 'error', message: 'text cannot be empty' });
    const audio = typeof fields.audio === 'string' ? fields.audio : '';
    if (audio !== '' && !isValidBase64(audio)) {
      return sendJson(res, 400, { status: 'error', message: 'audio is not valid base64' });
    }
    const wav = await this.synthesize(text);
    sendJson(res, 200, { status: 'success', sample_rate: this.sampleRate, audio: wav.toString('base64') });
  }

  /** The fault for this request, counting down `times` and expiring `loading`. */
  private takeFault(): SimFault | null {
    const a = this.active;
    if (!a) return null;
    if (a.fault.kind === 'loading' && Date.now() - a.setAt >= (a.fault.seconds ?? 30) * 1000) {
      this.active = null; // the model has finished loading
      return null;
    }
    if (a.remaining !== undefined && --a.remaining <= 0) this.active = null;
    return a.fault;
  }

  private async source(text: string, rate: number): Promise<Pcm> {
    if (this.voice === 'speech') {
      try {
        return await speak(text);
      } catch (err) {
        this.log?.(`espeak-ng failed, using a tone: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const seconds = this.durationFor(text);
    return { sampleRate: rate, samples: tone(Number.isFinite(seconds) && seconds > 0 ? seconds : 0, rate) };
  }

  /** Resolves true after `ms`, or false as soon as the client leaves or stop() runs (timer cleared). */
  private delay(ms: number, res: http.ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.cancels.delete(cancel);
        res.off('close', cancel);
        resolve(ok);
      };
      const cancel = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      this.cancels.add(cancel);
      res.once('close', cancel);
    });
  }

  /** Reads the body as UTF-8, or tells why not: too large (the rest is drained and dropped) or cut off. */
  private readBody(req: http.IncomingMessage): Promise<string | typeof TOO_LARGE | typeof ABORTED> {
    return new Promise((resolve) => {
      if (Number(req.headers['content-length']) > this.maxBodyBytes) {
        req.resume();
        resolve(TOO_LARGE);
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (part: Buffer) => {
        if (tooLarge) return;
        size += part.length;
        if (size > this.maxBodyBytes) {
          tooLarge = true;
          parts.length = 0;
          resolve(TOO_LARGE); // answer at once rather than buffer the rest
          return;
        }
        parts.push(part);
      });
      req.on('end', () => resolve(tooLarge ? TOO_LARGE : Buffer.concat(parts).toString('utf8')));
      // After 'end' these are no-ops (a promise settles once); before it, the client gave up.
      req.on('error', () => resolve(ABORTED));
      req.on('close', () => resolve(ABORTED));
    });
  }

  private internalError(res: http.ServerResponse, err: unknown): void {
    this.log?.(`internal error: ${err instanceof Error ? err.stack : String(err)}`);
    if (!res.headersSent && !res.destroyed) sendJson(res, 500, { status: 'error', message: 'simulator internal error' });
    else res.destroy();
  }
}

function resampled(pcm: Pcm, rate: number): Float32Array {
  return resample(pcm.samples, pcm.sampleRate, rate);
}

function textOf(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const text = (body as JsonBody).text;
  return typeof text === 'string' ? text : '';
}

/** An ID3 tag and MPEG frame headers: plausible MP3 bytes that are no WAV. */
function fakeMp3(): Buffer {
  const id3 = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  return Buffer.concat([id3, frame, frame, frame]);
}

/** A recorded request for GET /_sim/requests: long audio and raw bodies shortened. */
function summarize(r: RecordedRequest): RecordedRequest {
  let body = r.body;
  if (typeof body === 'string' && body.length > 1000) body = `${body.slice(0, 1000)}... (${body.length} chars)`;
  else if (typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as JsonBody).audio === 'string') {
    body = { ...(body as JsonBody), audio: ((body as JsonBody).audio as string).length };
  }
  return { ...r, body };
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, close = false): void {
  if (res.destroyed || res.headersSent) return;
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': payload.length,
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(payload);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, close = false): void {
  send(res, status, MIME_JSON, JSON.stringify(value), close);
}
