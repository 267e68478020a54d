import fs, { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tls from 'node:tls';
import type { NodeAPI } from 'node-red';
import { formatMB } from '../lib/files';
import { DEFAULT_URL_STORE_LIMITS, parseRange, UrlStore, type Refused } from '../lib/url-store';
import { renderIn } from './render-error';

/** Results served at msg.url, shared by every voxcpm-server (the HTTP route is one). */
export const audioStore = new UrlStore();

const AUDIO_PATH = 'voxcpm/audio/';
/** The folder under Node-RED's user directory that results too large for memory are written to. */
export const AUDIO_FOLDER = 'voxcpm-audio';
const LINK_FILE = /^([0-9a-f]{32})\.(wav|mp3)$/;

/** The settings of settings.js that decide where and how links are served (red.js reads the same). */
interface HttpSettings {
  httpRoot?: string | false;
  httpNodeRoot?: string | false;
  httpAdminRoot?: string | false;
  httpAuth?: unknown;
  httpNodeAuth?: unknown;
  httpAdminAuth?: unknown;
  https?: unknown;
  uiHost?: string;
  uiPort?: number | string;
  userDir?: string;
}

/**
 * Where the links are served. `node`: on RED.httpNode under httpNodeRoot, as
 * any http-in route. `admin`: on RED.httpAdmin under httpAdminRoot, when
 * httpNodeAuth is set: red.js puts httpNodeAuth in front of every route of the
 * node app, so a speaker (which has no password) would get 401 there, while
 * the admin app checks adminAuth only on routes that ask for it
 * (RED.auth.needsPermission), which this one does not: the link's 128-bit
 * token is the only key, as it is without httpNodeAuth. `problem`: a
 * deploy-time warning (the links will not reach speakers, or there are none).
 */
export interface LinkPlace {
  app?: 'node' | 'admin';
  /** The path the app is mounted at, with a leading and trailing slash. */
  root: string;
  problem?: 'nodeAuthNoAdmin' | 'noHttpNodes';
}

/** Where links go under these settings (the rules of red.js: httpRoot, httpAuth as the fallback of both). */
export function linkPlace(settings: HttpSettings): LinkPlace {
  const rootOf = (root: string | false | undefined): string | false => {
    if (settings.httpRoot === false || root === false) return false;
    const r = String(root || settings.httpRoot || '/');
    return `/${r.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  };
  const nodeRoot = rootOf(settings.httpNodeRoot);
  const adminRoot = rootOf(settings.httpAdminRoot);
  if (nodeRoot === false) return { root: '/', problem: 'noHttpNodes' };
  if (!(settings.httpNodeAuth || settings.httpAuth)) return { app: 'node', root: nodeRoot };
  // httpAdminAuth (deprecated basic auth) guards the whole admin app: no way round it there.
  if (adminRoot !== false && !(settings.httpAdminAuth || settings.httpAuth)) return { app: 'admin', root: adminRoot };
  return { app: 'node', root: nodeRoot, problem: 'nodeAuthNoAdmin' };
}

type Route = (path: string, handler: (req: IncomingMessage & { params?: Record<string, string> }, res: ServerResponse) => void) => void;

/** The HTTP apps the route is on: once per app (the test helper makes new ones per load). */
const registeredOn = new WeakSet<object>();

/**
 * Serves the results at msg.url (see LinkPlace for which app), with range
 * requests, HEAD, 404 once a result has expired; and starts the store:
 * files of an earlier run in <userDir>/voxcpm-audio are removed (ours only).
 * Runs when Node-RED loads the node set, i.e. at every start.
 */
export function registerAudioLinks(RED: NodeAPI): void {
  const settings = RED.settings as unknown as HttpSettings;
  const place = linkPlace(settings);
  const app = (place.app === 'admin' ? RED.httpAdmin : place.app === 'node' ? RED.httpNode : undefined) as unknown as { get?: Route } | undefined;
  if (app?.get && !registeredOn.has(app)) {
    registeredOn.add(app);
    app.get(`/${AUDIO_PATH}:file`, (req, res) => {
      serveAudio(req, res).catch(() => res.destroy());
    });
  }
  void audioStore.start(audioFolder(settings));
  if (!exitHooked) {
    exitHooked = true;
    // Links do not outlive the process: their files go with it (start removes what a crash leaves).
    process.once('exit', () => {
      audioStore.closeSync();
      try {
        fs.rmdirSync(audioFolder({})); // the temp folder of this process, when it was used and is empty
      } catch {
        // not there, or not empty
      }
    });
  }
}
let exitHooked = false;

/**
 * The folder results too large for memory go to: <userDir>/voxcpm-audio. Node-RED
 * always sets userDir; an embedding without one gets a folder of this process in the temp dir.
 */
export function audioFolder(settingsOf: unknown): string {
  const settings = settingsOf as HttpSettings;
  return settings.userDir ? path.join(settings.userDir, AUDIO_FOLDER) : path.join(os.tmpdir(), `${AUDIO_FOLDER}-${process.pid}`);
}

/**
 * Why a result got no link, in the runtime's language: its size, the budget it did not fit,
 * the folder and its problem, the link life that frees room.
 */
export function notKeptText(RED: NodeAPI, refused: Refused, size: number, ttlSeconds: number): string {
  const { spillAboveBytes, diskBytes } = DEFAULT_URL_STORE_LIMITS;
  const [mb, disk] = [formatMB(size), formatMB(diskBytes)];
  if (refused.refused === 'tooLarge') return renderIn(RED, 'links.tooLarge', { size: mb, disk });
  if (refused.refused === 'full') return renderIn(RED, 'links.full', { size: mb, disk, ttl: ttlSeconds });
  const folder = audioFolder(RED.settings);
  return renderIn(RED, 'links.noFolder', { size: mb, spill: formatMB(spillAboveBytes), folder, detail: refused.detail ?? '' });
}

/** Why links will not reach speakers under these settings (a catalog key under errors.links), or undefined. */
export function linkProblem(RED: NodeAPI): 'links.nodeAuthNoAdmin' | 'links.noHttpNodes' | undefined {
  const { problem } = linkPlace(RED.settings as unknown as HttpSettings);
  return problem ? `links.${problem}` : undefined;
}

/**
 * The URL speakers fetch a result from, or undefined when Node-RED serves no
 * HTTP nodes. The Public URL, when set, is the base; otherwise the scheme is
 * Node-RED's own (https when settings.js has `https`, object or function: its
 * server is then a TLS server), the host is uiHost when it names one address,
 * else this machine's first LAN address, and the port the one Node-RED listens on.
 */
export function audioUrl(RED: NodeAPI, token: string, extension: string, publicUrl?: string): string | undefined {
  const settings = RED.settings as unknown as HttpSettings;
  const place = linkPlace(settings);
  if (!place.app) return undefined;
  const base = (publicUrl?.trim() || ownBase(RED, settings)).replace(/\/+$/, '');
  return `${base}${place.root}${AUDIO_PATH}${token}.${extension}`;
}

function ownBase(RED: NodeAPI, settings: HttpSettings): string {
  const server = (RED as unknown as { server?: unknown }).server;
  const secure = server ? server instanceof tls.Server : Boolean(settings.https);
  const host = settings.uiHost && !['0.0.0.0', '::', '::0'].includes(settings.uiHost) ? settings.uiHost : lanAddress();
  const address = server && typeof (server as { address?: unknown }).address === 'function' ? (server as { address(): unknown }).address() : undefined;
  const port = address && typeof address === 'object' && (address as AddressInfo).port ? (address as AddressInfo).port : (settings.uiPort ?? 1880);
  return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
}

/** The address a speaker on the LAN can reach this machine at (first non-internal IPv4). */
function lanAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * One link: 200 or 206 (one byte range) or 416, `Content-Type` of the result,
 * `Cache-Control: no-store`, HEAD without a body; 404 for anything else. Written
 * with Node's own response methods, the same under Express 4 and 5.
 */
async function serveAudio(req: IncomingMessage & { params?: Record<string, string> }, res: ServerResponse): Promise<void> {
  const m = LINK_FILE.exec(String(req.params?.file ?? ''));
  const served = m ? audioStore.open(m[1], m[2]) : undefined;
  if (!served) return notFound(res);
  const total = served.size;
  const range = parseRange(req.headers.range, total);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'no-store');
  if (range === 'unsatisfiable') {
    res.statusCode = 416;
    res.setHeader('Content-Range', `bytes */${total}`);
    res.end();
    return;
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : total - 1;
  // The file is opened before anything is sent: one that expired a moment ago is still a 404.
  const handle = served.file ? await fsp.open(served.file, 'r').catch(() => undefined) : undefined;
  if (served.file && !handle) return notFound(res);
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${total}`);
  res.setHeader('Content-Type', served.contentType);
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || end < start) {
    await handle?.close();
    res.end();
    return;
  }
  if (served.bytes) {
    res.end(served.bytes.subarray(start, end + 1));
    return;
  }
  await pipeline((handle as FileHandle).createReadStream({ start, end }), res);
}

function notFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end('Not found (the audio may have expired)');
}
