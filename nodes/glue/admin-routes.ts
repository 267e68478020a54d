import type { NextFunction, Request, Response } from 'express';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import { resolveEndpoint } from '../lib/endpoint';
import type { ErrorKey, ErrorParams } from '../lib/error-texts';
import { internalError, phrase, Phrase, rewriteQuoted, VoxcpmError, type VoxcpmErrorCode } from '../lib/errors';
import { renderIn } from './render-error';
import { FileReadError, readRegularFile } from '../lib/files';
import { referenceFromValue, REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from '../lib/reference';
import { buildCloneRequest, buildTtsRequest } from '../lib/request';
import { VoxcpmService } from '../lib/service';
import { WARMUP_TEXT } from '../lib/defaults';
import { Synthesizer } from '../lib/synthesis';
import { parseWav, WavFormatError } from '../lib/wav';
import { audioSettingsOf, readSettings, type SettingsSource } from '../lib/node-settings';
import { serviceSettings } from './server-settings';
import type { ServerCredentials, ServerNodeDef } from './types';

const REFERENCE_DIR = 'voxcpm-references';
/** The largest recording uploaded, read or sent from a file. */
const MAX_UPLOAD = 50 * 1024 * 1024;
/** What the password inputs of the editor send for a credential that is stored and unchanged. */
const STORED = '__PWRD__';
const CREDENTIAL_KEYS = ['token', 'username', 'password', 'headerValue', 'proxyUsername', 'proxyPassword'] as const;
type CredentialKey = (typeof CREDENTIAL_KEYS)[number];
/** The password-type credentials, which Node-RED never hands to the editor. */
const SECRET_KEYS: readonly CredentialKey[] = ['token', 'password', 'headerValue', 'proxyPassword'];
/** These go to the proxy, the others to the TTS server. */
const PROXY_KEYS: readonly CredentialKey[] = ['proxyUsername', 'proxyPassword'];
/** Shorter values are not masked in error texts: masking them would garble every message. */
const MIN_MASKED = 4;

/** The admin apps the routes are on: once per app (the test helper makes a new one per load). */
const registeredOn = new WeakSet<object>();

/**
 * The editor's admin routes, registered once per admin app, each behind a
 * permission: Test connection, Preview, and the reference recordings. Each
 * leaves an audit line, as Node-RED's own admin routes do.
 */
export function registerAdminRoutes(RED: NodeAPI): void {
  if (registeredOn.has(RED.httpAdmin)) return;
  registeredOn.add(RED.httpAdmin);
  const userDir = RED.settings.userDir ?? process.cwd();
  const write = RED.auth.needsPermission('voxcpm-server.write');
  const audit = (req: Request, entry: AuditEntry, err?: unknown) =>
    // audit() sets the level itself; the typings ask for one anyway.
    RED.log.audit({ level: RED.log.AUDIT, ...entry, ...(err === undefined ? {} : { error: errorCode(err) }) }, req);
  // A form or text/plain POST is "simple" for CORS: another site could make the browser send it.
  const jsonOnly = (event: string) => (req: Request, res: Response, next: NextFunction) => {
    if (req.is('application/json')) return next();
    audit(req, { event }, 'unsupported_media_type');
    res.status(415).json({ ok: false, code: 'VOXCPM_INPUT_INVALID', message: renderIn(RED, 'routes.jsonOnly') });
  };

  RED.httpAdmin.post('/voxcpm/test', write, jsonOnly('voxcpm.test'), (req: Request, res: Response) => {
    const entry: AuditEntry = { event: 'voxcpm.test' };
    void withSynthesizer(RED, req.body as RouteBody, entry, async (synthesizer) => {
      const started = Date.now();
      const audio = await synthesizer.speak({ text: WARMUP_TEXT, prompt: '', audio: '', reference_text: '' }, PLAIN, { owner: 'test', cache: false });
      return {
        ok: true,
        sampleRate: audio.info.sampleRate,
        seconds: Math.round(audio.info.duration * 100) / 100,
        latencyMs: Date.now() - started,
        endpoint: synthesizer.service.endpoint,
      };
    }).then(
      (answer) => (audit(req, entry), res.json(answer)),
      (err: unknown) => (audit(req, entry, err), sendError(RED, res, err)),
    );
  });

  RED.httpAdmin.post('/voxcpm/preview', write, jsonOnly('voxcpm.preview'), (req: Request, res: Response) => {
    const body = req.body as { server?: RouteBody; node?: PreviewNode; text?: unknown };
    const entry: AuditEntry = { event: 'voxcpm.preview' };
    void withSynthesizer(RED, body.server ?? {}, entry, async (synthesizer) => {
      const node = body.node ?? {};
      const input = { payload: typeof body.text === 'string' ? body.text : '' };
      const prompt = typeof node.prompt === 'string' ? node.prompt : '';
      // The same limits as a message: the server's text limit, the node's pieces.
      const common = { prompt, maxTextChars: synthesizer.limits.maxTextChars };
      const request =
        node.type === 'voxcpm-clone'
          ? await buildCloneRequest(
              input,
              { ...common, reference: String(node.reference ?? ''), referenceText: String(node.referenceText ?? '') },
              (file) => referenceFromPath(userDir, file, entry),
            )
          : buildTtsRequest(input, common);
      const warnings = request.warnings.map((w) => w.message);
      const onWarning = (_kind: string, message: string) => void warnings.push(message);
      // The text prepared and the audio made as the node would (pieces, cleaning, numbers, format,
      // bitrate, speed, loudness, rate, lead-in): its settings read by the node's own rules.
      const settings = audioSettingsOf({}, readSettings(node));
      const audio = await synthesizer.speak(request.body, settings, { owner: 'preview', cache: false, onWarning });
      return { audio, warnings };
    }).then(
      ({ audio, warnings }) => {
        audit(req, entry);
        res.set({
          'Content-Type': audio.contentType,
          'X-VoxCPM-Sample-Rate': String(audio.info.sampleRate),
          'X-VoxCPM-Duration': audio.info.duration.toFixed(2),
          // What the node would warn about (ignored SSML tags, a dropped voice description), URI-encoded JSON.
          ...(warnings.length > 0 ? { 'X-VoxCPM-Warnings': encodeURIComponent(JSON.stringify(warnings)) } : {}),
          'Cache-Control': 'no-store',
        });
        res.send(audio.file);
      },
      (err: unknown) => (audit(req, entry, err), sendError(RED, res, err)),
    );
  });

  RED.httpAdmin.post('/voxcpm/reference', write, (req: Request, res: Response) => {
    const entry: AuditEntry = { event: 'voxcpm.reference.upload' };
    void (async () => {
      const bytes = await readUpload(req);
      const info = wavInfo(bytes, phrase('routes.uploadedFile'));
      const name = String(req.query.name ?? 'reference').replace(/\.wav$/i, '').replace(/[^\p{L}\p{N}_-]+/gu, '-').slice(0, 40) || 'reference';
      const file = `${REFERENCE_DIR}/${name}-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}.wav`;
      entry.file = file;
      await saveUpload(userDir, file, bytes);
      return { ok: true, path: file, ...info };
    })().then(
      (answer) => (audit(req, entry), res.json(answer)),
      (err: unknown) => (audit(req, entry, err), sendError(RED, res, err)),
    );
  });

  // Reading a recording anywhere on the host is for those who may change flows.
  RED.httpAdmin.get('/voxcpm/reference/info', write, (req: Request, res: Response) => {
    const entry: AuditEntry = { event: 'voxcpm.reference.info', file: String(req.query.path ?? '') };
    readReference(userDir, req.query.path)
      .then(({ bytes }) => ({ ok: true, ...wavInfo(bytes, phrase('routes.referenceFile')) }))
      .then(
        (answer) => (audit(req, entry), res.json(answer)),
        (err: unknown) => (audit(req, entry, err), sendError(RED, res, err)),
      );
  });

  RED.httpAdmin.get('/voxcpm/reference', write, (req: Request, res: Response) => {
    const entry: AuditEntry = { event: 'voxcpm.reference.get', file: String(req.query.path ?? '') };
    readReference(userDir, req.query.path)
      .then(({ bytes }) => (wavInfo(bytes, phrase('routes.referenceFile')), bytes))
      .then(
        (bytes) => (audit(req, entry), res.set({ 'Content-Type': 'audio/wav', 'Cache-Control': 'no-store' }).send(bytes)),
        (err: unknown) => (audit(req, entry, err), sendError(RED, res, err)),
      );
  });
}

/** Test connection speaks plainly: no splitting, no cleaning, no resampling. */
const PLAIN = { maxChunk: 10_000, pause: 0, sampleRate: 0, leadIn: 0, cleanText: false, normalizeNumbers: false };

/** What an audit line says: what was done, to which server or file; never a credential. */
interface AuditEntry {
  event: string;
  server?: string;
  /** Whether credentials stored with a deployed voxcpm-server were used. */
  storedCredentials?: boolean;
  file?: string;
}

/** The server of Test connection (the body itself) and of Preview (`body.server`). */
interface RouteBody {
  /** The voxcpm-server's id: where stored credentials may come from. */
  id?: unknown;
  /** The dialog's current values, saved or not. */
  config?: Partial<ServerNodeDef>;
  credentials?: Partial<Record<CredentialKey, unknown>>;
}

/** The open dialog's node: its type, voice, and the settings it sends of pieces, text and audio. */
interface PreviewNode extends SettingsSource {
  type?: string;
  prompt?: unknown;
  reference?: unknown;
  referenceText?: unknown;
}

/** The deployed settings that decide where a stored credential may go. */
type DeployedServer = Pick<ServerNodeDef, 'url' | 'timeout' | 'maxResponseMB' | 'authType' | 'headerName' | 'tls' | 'proxy'>;

/**
 * A throw-away pipeline with the dialog's values: one attempt, no cache.
 *
 * A credential left as the editor's placeholder (or not sent) is the stored
 * one, but only when `id` is a deployed voxcpm-server and the dialog still
 * points where it was deployed: the server credentials only toward its
 * deployed URL(s), TLS and proxy, the proxy credentials only toward its
 * deployed proxy. Anything else needs the secret typed again, or an admin
 * could send any node's stored secret to a host of their choosing.
 */
async function withSynthesizer<T>(RED: NodeAPI, server: RouteBody, entry: AuditEntry, use: (synthesizer: Synthesizer) => Promise<T>): Promise<T> {
  const id = typeof server.id === 'string' ? server.id : '';
  const deployed = deployedServer(RED, id);
  let config: Partial<ServerNodeDef> = { ...server.config };
  if (!config.url && deployed) {
    // No URL from the dialog: the deployed server as deployed, its first endpoint.
    config = { ...deployed, url: urlLines(deployed.url)[0] };
  }
  const sameServer = !!deployed && within(config.url, deployed.url) && same(config.tls, deployed.tls) && same(config.proxy, deployed.proxy);
  const sameProxy = !!deployed && same(config.proxy, deployed.proxy);

  const creds: ServerCredentials = {};
  const withheld: CredentialKey[] = [];
  let stored = false;
  for (const k of CREDENTIAL_KEYS) {
    const given = server.credentials?.[k];
    if (given !== undefined && given !== STORED) {
      creds[k] = typeof given === 'string' ? given : '';
    } else if (deployed && (PROXY_KEYS.includes(k) ? sameProxy : sameServer)) {
      creds[k] = deployed.creds[k];
      stored ||= !!deployed.creds[k];
    } else if (given === STORED) {
      withheld.push(k);
    }
  }
  entry.server = id || undefined;
  entry.storedCredentials = stored;
  const secrets = secretsOf(creds);

  const settings = serviceSettings(RED, { ...config, retries: 0, cache: false, concurrency: 1 }, creds);
  if (settings.configError && withheld.length > 0) {
    settings.configError = new VoxcpmError('VOXCPM_CONFIG', 'routes.secretNeedsRetype', { cause: settings.configError });
  }
  const service = new VoxcpmService(settings);
  try {
    if (service.configError) throw service.configError;
    return await use(new Synthesizer(service));
  } catch (err) {
    throw masked(err, secrets);
  } finally {
    await service.close();
  }
}

/** A deployed voxcpm-server (no other node type), its deployed settings and its stored credentials. */
function deployedServer(RED: NodeAPI, id: string): (DeployedServer & { creds: ServerCredentials }) | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as { type?: string; credentials?: ServerCredentials } | null;
  if (node?.type !== 'voxcpm-server') return undefined;
  let def: Partial<ServerNodeDef> | undefined;
  RED.nodes.eachNode((n) => {
    if (n.id === id && n.type === 'voxcpm-server') def = n as Partial<ServerNodeDef>;
  });
  if (!def) return undefined;
  const { url, timeout, maxResponseMB, authType, headerName, tls, proxy } = def;
  return { url: String(url ?? ''), timeout, maxResponseMB, authType, headerName, tls, proxy, creds: node.credentials ?? {} };
}

/** The URL field's lines, as the service reads them. */
function urlLines(url: unknown): string[] {
  return typeof url === 'string' ? url.split(/\r?\n/).filter((l) => l.trim() !== '') : [];
}

/** Whether every endpoint the dialog names is one the server was deployed with (however written). */
function within(given: unknown, deployed: unknown): boolean {
  const endpoints = (url: unknown) => {
    try {
      return urlLines(url).map((l) => resolveEndpoint(l));
    } catch {
      return [];
    }
  };
  const allowed = new Set(endpoints(deployed));
  const asked = endpoints(given);
  return asked.length > 0 && asked.every((e) => allowed.has(e));
}

function same(a: unknown, b: unknown): boolean {
  return String(a ?? '').trim() === String(b ?? '').trim();
}

/**
 * The secrets as they could show up in a text: plain, URL-encoded, and inside
 * a Basic header. User names are not masked: the editor shows them in clear.
 */
function secretsOf(creds: ServerCredentials): string[] {
  const values = SECRET_KEYS.map((k) => creds[k]).filter((v): v is string => typeof v === 'string' && v.trim().length >= MIN_MASKED);
  const forms = values.flatMap((v) => [v, v.trim(), encodeURIComponent(v)]);
  if (creds.password) forms.push(Buffer.from(`${creds.username ?? ''}:${creds.password}`).toString('base64'));
  if (creds.proxyPassword) forms.push(Buffer.from(`${creds.proxyUsername ?? ''}:${creds.proxyPassword}`).toString('base64'));
  return [...new Set(forms)].filter((f) => f.length >= MIN_MASKED).sort((a, b) => b.length - a.length);
}

/** The error with every credential masked out of its message (a server may quote what it was sent). */
function masked(err: unknown, secrets: string[]): unknown {
  const mask = (text: string) => secrets.reduce((m, s) => m.split(s).join('***'), text);
  if (err instanceof VoxcpmError) return rewriteQuoted(err, mask);
  const message = err instanceof Error ? err.message : String(err);
  return secrets.some((s) => message.includes(s)) ? internalError(mask(message)) : err;
}

/** A route error with its own HTTP status (413 for an upload too large). */
class RouteError extends VoxcpmError {
  constructor(
    readonly status: number,
    code: VoxcpmErrorCode,
    key: ErrorKey,
    params: ErrorParams = {},
  ) {
    super(code, key, params);
  }
}

function errorCode(err: unknown): string {
  return typeof err === 'string' ? err : err instanceof VoxcpmError ? err.code : 'error';
}

/** The answer of a failed admin route, its message in the runtime's language. */
function sendError(RED: NodeAPI, res: Response, err: unknown): void {
  const e = err instanceof VoxcpmError ? err : internalError(err);
  const status =
    e instanceof RouteError
      ? e.status
      : e.code === 'VOXCPM_CONFIG' || e.code.startsWith('VOXCPM_AUDIO') || e.code === 'VOXCPM_TEXT_EMPTY' || e.code === 'VOXCPM_INPUT_INVALID'
        ? 400
        : e.code === 'VOXCPM_INTERNAL'
          ? 500
          : 502;
  if (res.headersSent) return;
  res.status(status).json({ ok: false, code: e.code, message: renderIn(RED, e.key, e.params) });
}

function wavInfo(bytes: Buffer, what: Phrase) {
  try {
    const info = parseWav(bytes);
    const duration = Math.round(info.duration * 100) / 100;
    const warning =
      duration < REFERENCE_MIN_SECONDS || duration > REFERENCE_MAX_SECONDS
        ? `VoxCPM clones best from 5–30 s of clear speech; this is ${duration} s`
        : undefined;
    return { duration, sampleRate: info.sampleRate, channels: info.channels, bitDepth: info.bitDepth, warning };
  } catch (err) {
    if (err instanceof WavFormatError) throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'routes.notWav', { what, detail: err.message });
    throw err;
  }
}

/**
 * A recording on the host, named relative to the user directory or absolute:
 * only a readable regular `.wav` file of at most 50 MB (a FIFO, a device or a
 * link to one is refused before it is read).
 */
async function readReference(userDir: string, given: unknown): Promise<{ file: string; bytes: Buffer }> {
  if (typeof given !== 'string' || !given.trim()) throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'routes.noReference');
  const file = path.resolve(userDir, given.trim());
  if (!/\.wav$/i.test(file)) throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'routes.referenceNotWavName');
  const missing = () => new VoxcpmError('VOXCPM_AUDIO_MISSING', 'reference.fileMissing', { file });
  const notFile = () => new VoxcpmError('VOXCPM_AUDIO_INVALID', 'routes.referenceNotRegular', { file });
  // Checked before opening too: opening some devices does something (a watchdog, a tape, a modem line).
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw missing();
  if (!stat.isFile()) throw notFile();
  try {
    return { file, bytes: await readRegularFile(file, MAX_UPLOAD) };
  } catch (err) {
    if (!(err instanceof FileReadError)) throw err;
    if (err.problem === 'missing') throw missing();
    if (err.problem === 'not-a-file') throw notFile();
    throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'routes.referenceTooLarge', { file, mb: MAX_UPLOAD / 1024 / 1024 });
  }
}

/**
 * Preview's reference file: read once, and sent only if it parses as WAV.
 * The checked bytes are what is sent, so nothing can swap the file in between.
 */
async function referenceFromPath(userDir: string, given: string, entry: AuditEntry) {
  const { file, bytes } = await readReference(userDir, given);
  entry.file = file;
  wavInfo(bytes, phrase('routes.referenceFile'));
  return referenceFromValue(bytes, phrase('reference.fileSource', { file: path.basename(file) }));
}

/**
 * The raw body of an upload. The admin app parses JSON and forms itself: such
 * a body is already consumed, and is refused at once instead of waiting for
 * data that never comes. Past 50 MB nothing more is kept: the answer is a
 * 413 at once, and the rest of the body is read and dropped, so the socket
 * is not reset under the client before it reads that answer.
 */
function readUpload(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (!req.is(['audio/*', 'application/octet-stream']) || req.readableEnded || (req.complete && req.readableLength === 0)) {
      reject(new VoxcpmError('VOXCPM_AUDIO_INVALID', 'routes.uploadNotRaw'));
      return;
    }
    const tooLarge = () => new RouteError(413, 'VOXCPM_AUDIO_INVALID', 'routes.uploadTooLarge', { mb: MAX_UPLOAD / 1024 / 1024 });
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number(req.headers['content-length']) > MAX_UPLOAD;
    if (over) reject(tooLarge());
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_UPLOAD) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Saves an upload without going through a link someone planted: the folder
 * must be a real folder, the bytes go to a new file (O_EXCL) under a random
 * name, which is then renamed over the final name (a link there is replaced,
 * not followed).
 */
async function saveUpload(userDir: string, file: string, bytes: Buffer): Promise<void> {
  const dir = path.join(userDir, REFERENCE_DIR);
  const temp = path.join(dir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
  try {
    await fs.mkdir(dir, { recursive: true });
    if (!(await fs.lstat(dir)).isDirectory()) {
      throw new VoxcpmError('VOXCPM_CONFIG', 'routes.folderIsLink', { dir });
    }
    await fs.writeFile(temp, bytes, { flag: 'wx' });
    await fs.rename(temp, path.join(userDir, file));
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    if (err instanceof VoxcpmError) throw err;
    throw new VoxcpmError('VOXCPM_CONFIG', 'routes.saveFailed', { dir, reason: String((err as NodeJS.ErrnoException).code ?? err) });
  }
}
