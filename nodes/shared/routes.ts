import type { Request, Response } from 'express';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import { VoxcpmError } from '../lib/errors';
import { ReferenceFile, REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from '../lib/reference';
import { buildCloneRequest, buildTtsRequest } from '../lib/request';
import { VoxcpmService } from '../lib/service';
import { speak } from '../lib/synthesis';
import { UrlStore, parseRange } from '../lib/url-store';
import { parseWav, WavFormatError } from '../lib/wav';
import { serviceSettings } from './server-settings';
import type { ServerCredentials, ServerNodeDef } from './types';

/** Results served at msg.url, shared by every voxcpm-server (the HTTP route is one). */
export const audioStore = new UrlStore();

const AUDIO_PATH = 'voxcpm/audio/';
const REFERENCE_DIR = 'voxcpm-references';
const MAX_UPLOAD = 50 * 1024 * 1024;
/** What the password inputs of the editor send for a credential that is stored and unchanged. */
const STORED = '__PWRD__';
const CREDENTIAL_KEYS = ['token', 'username', 'password', 'headerValue', 'proxyUsername', 'proxyPassword'] as const;

/** The admin apps the routes are on: once per runtime (the test helper makes a new one per load). */
const registeredOn = new WeakSet<object>();

/** The URL speakers fetch a result from, or undefined when Node-RED serves no HTTP nodes. */
export function audioUrl(RED: NodeAPI, token: string, publicUrl?: string): string | undefined {
  const root = RED.settings.httpNodeRoot as string | false | undefined;
  if (root === false) return undefined;
  const base = (publicUrl?.trim() || `http://${lanAddress()}:${String(RED.settings.uiPort ?? 1880)}`).replace(/\/+$/, '');
  const prefix = `/${String(root ?? '/').replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  return `${base}${prefix}${AUDIO_PATH}${token}.wav`;
}

/** The address a speaker on the LAN can reach this machine at (first non-internal IPv4). */
function lanAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * The HTTP side of the package, registered once per runtime: the audio served
 * at msg.url (httpNode), and the editor's admin routes, each behind a
 * permission: Test connection, Preview, and the reference recordings.
 */
export function registerRoutes(RED: NodeAPI): void {
  if (registeredOn.has(RED.httpAdmin)) return;
  registeredOn.add(RED.httpAdmin);
  const userDir = RED.settings.userDir ?? process.cwd();
  const write = RED.auth.needsPermission('voxcpm-server.write');

  RED.httpNode?.get(`/${AUDIO_PATH}:file`, (req: Request, res: Response) => serveAudio(req, res));

  RED.httpAdmin.post('/voxcpm/test', write, (req: Request, res: Response) => {
    void withService(RED, req.body as RouteBody, async (service) => {
      const started = Date.now();
      const audio = await speak(service, { text: '你好。', prompt: '', audio: '', reference_text: '' }, PLAIN, { owner: 'test', cache: false });
      return {
        ok: true,
        sampleRate: audio.info.sampleRate,
        seconds: Math.round(audio.info.duration * 100) / 100,
        latencyMs: Date.now() - started,
        endpoint: service.endpoint,
      };
    }).then((answer) => res.json(answer), (err: unknown) => sendError(res, err));
  });

  RED.httpAdmin.post('/voxcpm/preview', write, (req: Request, res: Response) => {
    const body = req.body as RouteBody & { node?: PreviewNode; text?: unknown };
    void withService(RED, body, async (service) => {
      const node = body.node ?? {};
      const input = { payload: typeof body.text === 'string' ? body.text : '' };
      const prompt = typeof node.prompt === 'string' ? node.prompt : '';
      const request =
        node.type === 'voxcpm-clone'
          ? await buildCloneRequest(
              input,
              { prompt, reference: String(node.reference ?? ''), referenceText: String(node.referenceText ?? '') },
              (file) => new ReferenceFile(userDir).load(file),
            )
          : buildTtsRequest(input, { prompt });
      return speak(service, request.body, PLAIN, { owner: 'preview', cache: false });
    }).then((audio) => {
      res.set({
        'Content-Type': 'audio/wav',
        'X-VoxCPM-Sample-Rate': String(audio.info.sampleRate),
        'X-VoxCPM-Duration': audio.info.duration.toFixed(2),
        'Cache-Control': 'no-store',
      });
      res.send(audio.wav);
    }, (err: unknown) => sendError(res, err));
  });

  RED.httpAdmin.post('/voxcpm/reference', write, (req: Request, res: Response) => {
    void (async () => {
      const bytes = await readBody(req);
      const info = wavInfo(bytes, 'The uploaded file');
      const name = String(req.query.name ?? 'reference').replace(/\.wav$/i, '').replace(/[^\p{L}\p{N}_-]+/gu, '-').slice(0, 40) || 'reference';
      const file = `${REFERENCE_DIR}/${name}-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}.wav`;
      await fs.mkdir(path.join(userDir, REFERENCE_DIR), { recursive: true });
      await fs.writeFile(path.join(userDir, file), bytes);
      return { ok: true, path: file, ...info };
    })().then((answer) => res.json(answer), (err: unknown) => sendError(res, err));
  });

  // Reading a recording anywhere on the host is for those who may change flows.
  RED.httpAdmin.get('/voxcpm/reference/info', write, (req: Request, res: Response) => {
    readReference(userDir, req.query.path)
      .then((bytes) => ({ ok: true, ...wavInfo(bytes, 'The reference file') }))
      .then((answer) => res.json(answer), (err: unknown) => sendError(res, err));
  });

  RED.httpAdmin.get('/voxcpm/reference', write, (req: Request, res: Response) => {
    readReference(userDir, req.query.path)
      .then((bytes) => (wavInfo(bytes, 'The reference file'), bytes))
      .then(
        (bytes) => res.set({ 'Content-Type': 'audio/wav', 'Cache-Control': 'no-store' }).send(bytes),
        (err: unknown) => sendError(res, err),
      );
  });
}

/** Test connection and Preview speak plainly: no splitting, no resampling. */
const PLAIN = { maxChunk: 10_000, pause: 0, sampleRate: 0, leadIn: 0 };

interface RouteBody {
  /** The voxcpm-server's id: where stored credentials come from. */
  id?: string;
  /** The dialog's current values, saved or not. */
  config?: Partial<ServerNodeDef>;
  credentials?: Partial<Record<(typeof CREDENTIAL_KEYS)[number], string>>;
  /** Preview sends its server like this. */
  server?: { id?: string; config?: Partial<ServerNodeDef>; credentials?: RouteBody['credentials'] };
}

interface PreviewNode {
  type?: string;
  prompt?: unknown;
  reference?: unknown;
  referenceText?: unknown;
}

/**
 * A throw-away service with the dialog's values: one attempt, no cache. A
 * credential left as the editor's placeholder (or not sent) is the stored one.
 */
async function withService<T>(RED: NodeAPI, body: RouteBody, use: (service: VoxcpmService) => Promise<T>): Promise<T> {
  const server = body.server ?? body;
  const id = typeof server.id === 'string' ? server.id : '';
  const deployed = id ? (RED.nodes.getNode(id) as { credentials?: ServerCredentials } | null) : null;
  const stored: ServerCredentials = deployed?.credentials ?? ((id && RED.nodes.getCredentials(id)) as ServerCredentials) ?? {};
  const creds: ServerCredentials = {};
  for (const k of CREDENTIAL_KEYS) {
    const given = server.credentials?.[k];
    creds[k] = given === undefined || given === STORED ? stored[k] : given;
  }
  const config: Partial<ServerNodeDef> = { ...server.config };
  if (!config.url && id) {
    // No values from the dialog: the deployed server's first endpoint.
    const node = RED.nodes.getNode(id) as unknown as { service?: VoxcpmService } | null;
    if (node?.service?.endpoint) config.url = node.service.endpoint;
  }
  const settings = serviceSettings(RED, { ...config, retries: 0, cache: false, concurrency: 1 }, creds);
  const service = new VoxcpmService(settings);
  try {
    if (service.configError) throw service.configError;
    return await use(service);
  } finally {
    await service.close();
  }
}

function sendError(res: Response, err: unknown): void {
  const e = err instanceof VoxcpmError ? err : new VoxcpmError('VOXCPM_BAD_RESPONSE', String(err));
  const status = e.code === 'VOXCPM_CONFIG' || e.code.startsWith('VOXCPM_AUDIO') || e.code === 'VOXCPM_TEXT_EMPTY' ? 400 : 502;
  res.status(status).json({ ok: false, code: e.code, message: e.message });
}

function wavInfo(bytes: Buffer, what: string) {
  try {
    const info = parseWav(bytes);
    const duration = Math.round(info.duration * 100) / 100;
    const warning =
      duration < REFERENCE_MIN_SECONDS || duration > REFERENCE_MAX_SECONDS
        ? `VoxCPM clones best from 5–30 s of clear speech; this is ${duration} s`
        : undefined;
    return { duration, sampleRate: info.sampleRate, channels: info.channels, bitDepth: info.bitDepth, warning };
  } catch (err) {
    if (err instanceof WavFormatError) throw new VoxcpmError('VOXCPM_AUDIO_INVALID', `${what} is not a WAV file: ${err.message}`);
    throw err;
  }
}

async function readReference(userDir: string, given: unknown): Promise<Buffer> {
  if (typeof given !== 'string' || !given.trim()) throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'No reference file is set');
  const file = path.resolve(userDir, given.trim());
  // Only WAV files are served, and only after they parse as WAV.
  if (!/\.wav$/i.test(file)) throw new VoxcpmError('VOXCPM_AUDIO_INVALID', 'The reference must be a .wav file');
  try {
    return await fs.readFile(file);
  } catch {
    throw new VoxcpmError('VOXCPM_AUDIO_MISSING', `The reference file ${file} does not exist or cannot be read`);
  }
}

/** The raw body of an upload (the admin app parses only JSON and forms). */
function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_UPLOAD) {
        reject(new VoxcpmError('VOXCPM_AUDIO_INVALID', 'The uploaded file is larger than 50 MB'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function serveAudio(req: Request, res: Response): void {
  const token = String(req.params.file ?? '').replace(/\.wav$/, '');
  const wav = audioStore.get(token);
  if (!wav) {
    res.status(404).send('Not found (the audio may have expired)');
    return;
  }
  res.set({ 'Content-Type': 'audio/wav', 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' });
  const range = parseRange(req.headers.range, wav.length);
  if (range === 'unsatisfiable') {
    res.status(416).set('Content-Range', `bytes */${wav.length}`).end();
  } else if (range) {
    res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${wav.length}`);
    res.send(wav.subarray(range.start, range.end + 1));
  } else {
    res.send(wav);
  }
}
