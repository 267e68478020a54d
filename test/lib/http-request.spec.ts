import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { BodyTooLargeError, postJson, type JsonPost } from '../../nodes/lib/http-request';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Seen {
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

describe('lib/http-request postJson (against a local HTTP server)', function () {
  this.timeout(10000);

  let server: http.Server;
  let base: URL;
  let handler: Handler;
  let seen: Seen[];
  let connections: number;
  const agents: http.Agent[] = [];

  function post(over: Partial<JsonPost> = {}) {
    const agent = new http.Agent({ keepAlive: true });
    agents.push(agent);
    return postJson({ url: new URL('/api/tts?key=k', base), body: { text: 'Hello' }, agent, signal: new AbortController().signal, maxBodyBytes: 1024 * 1024, ...over });
  }

  before(async () => {
    server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(parts).toString('utf8'), socket: req.socket });
        handler(req, res);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    seen = [];
    connections = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"success"}');
    };
  });

  afterEach(() => {
    while (agents.length > 0) agents.pop()?.destroy();
    server.closeAllConnections();
  });

  it('POSTs the JSON with its length, type, Accept and a User-Agent, to the path and query; returns status, headers, body', async () => {
    const answer = await post();
    assert.equal(answer.status, 200);
    assert.equal(answer.statusText, 'OK');
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.body.toString(), '{"status":"success"}');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].url, '/api/tts?key=k');
    assert.deepEqual(JSON.parse(seen[0].body), { text: 'Hello' });
    assert.equal(seen[0].headers['content-type'], 'application/json');
    assert.equal(seen[0].headers['content-length'], String(Buffer.byteLength(seen[0].body)));
    assert.equal(seen[0].headers.accept, 'application/json');
    assert.match(String(seen[0].headers['user-agent']), /node-red-voxcpm/);
  });

  it('extra headers are sent and win over the defaults whatever their case', async () => {
    await post({ headers: { Authorization: 'Bearer t0ken', accept: 'application/json, */*' } });
    assert.equal(seen[0].headers.authorization, 'Bearer t0ken');
    assert.equal(seen[0].headers.accept, 'application/json, */*');
  });

  it('one keep-alive agent serves requests in a row over one connection', async () => {
    const agent = new http.Agent({ keepAlive: true });
    agents.push(agent);
    for (let i = 0; i < 3; i++) await post({ agent });
    assert.equal(seen.length, 3);
    assert.equal(connections, 1);
  });

  it('a redirect is returned as it is, never followed (credentials stay with the configured host)', async () => {
    handler = (_req, res) => {
      res.writeHead(307, { Location: `http://localhost:${base.port}/elsewhere` });
      res.end();
    };
    const answer = await post({ headers: { Authorization: 'Bearer t0ken' } });
    assert.equal(answer.status, 307);
    assert.equal(seen.length, 1);
  });

  for (const [encoding, encode] of [
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
  ] as Array<[string, (b: Buffer) => Buffer]>) {
    it(`a ${encoding} answer is decoded`, async () => {
      const text = JSON.stringify({ status: 'success', audio: 'UklGR'.repeat(10000) });
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': encoding });
        res.end(encode(Buffer.from(text)));
      };
      assert.equal((await post()).body.toString(), text);
      assert.match(String(seen[0].headers['accept-encoding']), new RegExp(encoding));
    });
  }

  describe('the size limit', () => {
    it('a Content-Length over the limit -> BodyTooLargeError before the body is read', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Length': '5000' });
        res.write('x'.repeat(100));
        // The rest never comes: only the declared length can have ended the wait.
      };
      await assert.rejects(post({ maxBodyBytes: 1000 }), (err: unknown) => err instanceof BodyTooLargeError && err.limit === 1000);
    });

    it('a body without Content-Length is cut off as it passes the limit', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('x'.repeat(800));
        setTimeout(() => res.write('x'.repeat(800)), 20);
        // Never ended: the limit, not the end of the body, must end the wait.
      };
      await assert.rejects(post({ maxBodyBytes: 1000 }), BodyTooLargeError);
    });

    it('counts the decoded bytes: a small gzip of a huge body is cut off', async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
      assert.ok(bomb.length < 100 * 1024);
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': String(bomb.length) });
        res.end(bomb);
      };
      await assert.rejects(post({ maxBodyBytes: 1024 * 1024 }), BodyTooLargeError);
    });

    it('a body of exactly the limit passes', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Length': '1000' });
        res.end('y'.repeat(1000));
      };
      assert.equal((await post({ maxBodyBytes: 1000 })).body.length, 1000);
    });
  });

  describe('abort', () => {
    it('an already aborted signal sends nothing', async () => {
      const ac = new AbortController();
      ac.abort(new Error('stop'));
      await assert.rejects(post({ signal: ac.signal }), /stop/);
      assert.equal(connections, 0);
    });

    it('while waiting for the answer: rejects with the reason, closes the connection, leaves no listener', async () => {
      handler = () => undefined;
      const ac = new AbortController();
      const request = post({ signal: ac.signal });
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      const closed = new Promise<void>((resolve) => seen[0].socket.once('close', () => resolve()));
      ac.abort(new Error('deadline'));
      await assert.rejects(request, /deadline/);
      await closed;
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });

    it('while the body arrives: the same', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Length': '100000' });
        res.write('{"status":');
      };
      const ac = new AbortController();
      const request = post({ signal: ac.signal });
      while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      const closed = new Promise<void>((resolve) => seen[0].socket.once('close', () => resolve()));
      setTimeout(() => ac.abort(new Error('user abort')), 30);
      await assert.rejects(request, /user abort/);
      await closed;
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });

    it('a finished exchange leaves no listener on the signal', async () => {
      const ac = new AbortController();
      await post({ signal: ac.signal });
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });
  });

  it('a connection cut mid-body -> ECONNRESET', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Length': '100000' });
      res.write('{"status":');
      setTimeout(() => req.socket.destroy(), 20);
    };
    await assert.rejects(post(), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  });

  it('a forward proxy gets the absolute URI, the target as Host and Proxy-Authorization (decoded user:password)', async () => {
    // This server plays the proxy: the target's name need not resolve.
    const proxy = new URL(base);
    proxy.username = 'alice';
    proxy.password = encodeURIComponent('p@ss word');
    await postJson({
      url: new URL('http://voxcpm.invalid:5022/api/tts?key=k'),
      body: {},
      agent: agents[agents.push(new http.Agent({ keepAlive: true })) - 1],
      proxy,
      signal: new AbortController().signal,
      maxBodyBytes: 1000,
    });
    assert.equal(seen[0].url, 'http://voxcpm.invalid:5022/api/tts?key=k');
    assert.equal(seen[0].headers.host, 'voxcpm.invalid:5022');
    assert.equal(seen[0].headers['proxy-authorization'], `Basic ${Buffer.from('alice:p@ss word').toString('base64')}`);
  });

  it('without a proxy, no Proxy-Authorization is ever sent', async () => {
    await post();
    assert.equal(seen[0].headers['proxy-authorization'], undefined);
    assert.equal(seen[0].headers.host, base.host);
  });
});
