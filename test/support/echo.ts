/**
 * A hostile stand-in for a VoxCPM2 server or an HTTP proxy that quotes back
 * every credential it was sent (as some auth layers do in their 401 pages):
 * the test for "secrets echoed by a server never reach msg.error, the status
 * or the log". Listens on 127.0.0.1 only.
 */
import http from 'node:http';
import net from 'node:net';

/**
 * How a refusal quotes the credentials:
 * - json-401: `{"status":"error","message":"bad credentials: <echo>"}` with HTTP 401
 * - html-401: an HTML page whose <title> quotes them
 * - plain-401: a text/plain body
 * - encoded-401: the JSON error, the echo URL-encoded
 * - proxy-407: a proxy's HTML 407 page quoting the Proxy-Authorization it got
 */
export type EchoMode = 'json-401' | 'html-401' | 'plain-401' | 'encoded-401' | 'proxy-407';

export interface EchoedRequest {
  /** The request line's target: a path, or an absolute URI when used as a proxy. */
  target: string;
  headers: http.IncomingHttpHeaders;
}

/** Every credential a request carries, in the forms a careless server quotes it: raw, scheme-less, decoded. */
export function echoOf(headers: http.IncomingHttpHeaders): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' || !/^(authorization|proxy-authorization|x-)/.test(name)) continue;
    parts.push(value);
    const m = /^(\S+) (.+)$/.exec(value);
    if (!m) continue;
    parts.push(m[2]);
    if (/^basic$/i.test(m[1])) {
      const pair = Buffer.from(m[2], 'base64').toString('utf8');
      parts.push(pair, pair.slice(pair.indexOf(':') + 1));
    }
  }
  return parts.join(' | ');
}

export class EchoingServer {
  readonly requests: EchoedRequest[] = [];
  mode: EchoMode = 'json-401';
  port = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => this.answer(req, res, Buffer.concat(parts).toString('utf8')));
  });

  constructor() {
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    this.requests.push({ target: req.url ?? '', headers: req.headers });
    // Health probes (an empty text) get the API's own refusal: the server counts as up.
    if (/"text"\s*:\s*""/.test(body) && this.mode !== 'proxy-407') {
      return json(res, 400, { status: 'error', message: 'text cannot be empty' });
    }
    const echo = echoOf(req.headers);
    switch (this.mode) {
      case 'json-401':
        return json(res, 401, { status: 'error', message: `bad credentials: ${echo}` });
      case 'encoded-401':
        return json(res, 401, { status: 'error', message: `bad credentials: ${encodeURIComponent(echo)}` });
      case 'html-401':
        res.writeHead(401, { 'Content-Type': 'text/html' });
        res.end(`<html><head><title>401 Unauthorized: ${escapeHtml(echo)}</title></head><body>no</body></html>`);
        return;
      case 'plain-401':
        res.writeHead(401, { 'Content-Type': 'text/plain' });
        res.end(`bad credentials: ${echo}\n`);
        return;
      case 'proxy-407':
        res.writeHead(407, { 'Content-Type': 'text/html', 'Proxy-Authenticate': 'Basic realm="test"' });
        res.end(`<html><head><title>407 Proxy Authentication Required: ${escapeHtml(echo)}</title></head></html>`);
        return;
    }
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
