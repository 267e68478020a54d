/**
 * Test PKI and network stand-ins for the "reaching the server safely" tests:
 * a CA with a server certificate for 127.0.0.1/localhost and a client
 * certificate, made with the `openssl` CLI into a temp dir; an HTTPS front that
 * forwards to a plain-HTTP simulator; and a forward HTTP proxy (absolute URIs
 * and CONNECT tunnels) that counts what passes.
 *
 * `openssl` missing fails the TLS tests with a clear message unless
 * VOXCPM_SKIP_TLS=1 (then they are skipped). VOXCPM_OPENSSL names another binary.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const OPENSSL = process.env.VOXCPM_OPENSSL || 'openssl';

/**
 * In a TLS spec's hook or test: nothing when `problem` is undefined; else skips (VOXCPM_SKIP_TLS=1)
 * or throws an error that says why the TLS tests cannot run. `problem`: opensslProblem() unless given.
 */
export function requireTls(ctx: Mocha.Context, problem: string | undefined = opensslProblem()): void {
  if (problem === undefined) return;
  if (process.env.VOXCPM_SKIP_TLS === '1') ctx.skip();
  throw new Error(`TLS tests cannot run: ${problem}`);
}

/** Why TLS tests cannot run here, or undefined when `openssl` works. */
export function opensslProblem(): string | undefined {
  try {
    execFileSync(OPENSSL, ['version'], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'ENOENT'
      ? `the openssl command-line tool ("${OPENSSL}") is not installed: install it (Debian/Ubuntu: apt-get install openssl) or set VOXCPM_SKIP_TLS=1 to skip the TLS tests`
      : `"${OPENSSL} version" failed: ${e.message}`;
  }
}

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync(OPENSSL, args, { cwd, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`, { cause: err });
  }
}

/** A CA, a server certificate (127.0.0.1, ::1, localhost) and a client certificate, valid for 2 days. */
export function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=VoxCPM test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (name: string, cn: string, ext: string, serial: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}\n`);
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial,
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  };
  leaf('server', 'localhost', 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost', '101');
  leaf('client', 'voxcpm-node-red', 'extendedKeyUsage=clientAuth', '102');
  const p = (f: string) => path.join(dir, f);
  return { dir, caCert: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}

/** Something listening that can be closed at once, its sockets included. */
abstract class Listener {
  protected abstract readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  protected track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}

/** Forwards one request to `target` (http://host:port) and pipes the answer back. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, target: URL, pathAndQuery: string): void {
  const up = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: pathAndQuery, headers: { ...req.headers, host: target.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  res.on('close', () => up.destroy());
  req.pipe(up);
}

export interface FrontRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The subject CN of the client certificate, when one was presented and verified. */
  clientCN?: string;
}

/** An HTTPS server in front of a plain-HTTP backend (the simulator). */
export class HttpsFront extends Listener {
  protected readonly server: https.Server;
  readonly requests: FrontRequest[] = [];

  constructor(pki: Pki, backend: string, { requireClientCert = false } = {}) {
    super();
    const target = new URL(backend);
    this.server = https.createServer(
      {
        key: fs.readFileSync(pki.serverKey),
        cert: fs.readFileSync(pki.serverCert),
        ...(requireClientCert ? { ca: fs.readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true } : {}),
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
        this.requests.push({ path: req.url ?? '', headers: req.headers, clientCN: peer?.subject?.CN as string | undefined });
        forward(req, res, target, req.url ?? '/');
      },
    );
    // Handshake failures (an untrusting client) are expected in some tests.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('connection', (s: net.Socket) => this.track(s));
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }
}

export interface ProxiedRequest {
  /** 'GET' / 'POST' with an absolute URI, or 'CONNECT' with host:port. */
  method: string;
  target: string;
  headers: http.IncomingHttpHeaders;
}

/** A forward HTTP proxy: absolute-URI requests are forwarded, CONNECT is tunnelled; all counted. */
export class ForwardProxy extends Listener {
  protected readonly server: http.Server;
  readonly seen: ProxiedRequest[] = [];
  /** Every byte that went through a CONNECT tunnel, both ways. */
  private tunnelled: Buffer[] = [];

  constructor() {
    super();
    this.server = http.createServer((req, res) => {
      let target: URL;
      try {
        target = new URL(req.url ?? '');
      } catch {
        res.writeHead(400).end('absolute URI required');
        return;
      }
      this.seen.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
      forward(req, res, target, `${target.pathname}${target.search}`);
    });
    this.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      this.track(client);
      this.seen.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
      const m = /^(.*):(\d+)$/.exec(req.url ?? '');
      if (!m) {
        client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      const upstream = net.connect(Number(m[2]), m[1].replace(/^\[|\]$/g, ''), () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        client.on('data', (d: Buffer) => this.tunnelled.push(d));
        upstream.on('data', (d: Buffer) => this.tunnelled.push(d));
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.track(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    this.server.on('connection', (s: net.Socket) => this.track(s));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What passed the tunnels, as Latin-1 text (to look for clear text). */
  tunnelText(): string {
    return Buffer.concat(this.tunnelled).toString('latin1');
  }

  reset(): void {
    this.seen.length = 0;
    this.tunnelled = [];
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was just freed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
