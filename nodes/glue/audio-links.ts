import type { Request, Response } from 'express';
import os from 'node:os';
import type { NodeAPI } from 'node-red';
import { parseRange, UrlStore } from '../lib/url-store';

/** Results served at msg.url, shared by every voxcpm-server (the HTTP route is one). */
export const audioStore = new UrlStore();

const AUDIO_PATH = 'voxcpm/audio/';

/** The HTTP apps the route is on: once per app (the test helper makes a new one per load). */
const registeredOn = new WeakSet<object>();

/**
 * Serves the results at msg.url on Node-RED's HTTP node app (httpNodeRoot),
 * with range requests, 404 once a result has expired. Nothing when Node-RED
 * serves no HTTP nodes.
 */
export function registerAudioLinks(RED: NodeAPI): void {
  const app = RED.httpNode as unknown as { get?: (path: string, handler: (req: Request, res: Response) => void) => void } | undefined;
  if (!app?.get || registeredOn.has(app)) return;
  registeredOn.add(app);
  app.get(`/${AUDIO_PATH}:file`, (req: Request, res: Response) => serveAudio(req, res));
}

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
