import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ClientOptions, DEFAULT_MAX_RESPONSE_BYTES, MIN_SECRET_LENGTH, secretForms, TtsRequestBody, VoxcpmClient } from '../../nodes/lib/client';
import { abortError, VoxcpmError, VoxcpmErrorCode } from '../../nodes/lib/errors';
import { offload } from '../../nodes/lib/offload';
import { makeWav, WAVE_FORMAT_IEEE_FLOAT } from './wav-fixtures';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const BODY: TtsRequestBody = { text: 'Hello', prompt: 'warm', audio: '', reference_text: '' };
const SECRET = 'Bearer TOPSECRET-0123456789';
const SECRET_KEY = 'KEY-SECRET-abcdef';
const QUERY_SECRET = 'QSECRET-42';

/** 0.25 s of 24 kHz float32 mono. */
const WAV = makeWav({ formatTag: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 32, sampleRate: 24000, frames: 6000 });

function success(res: http.ServerResponse, extra: Record<string, unknown> = {}): void {
  json(res, 200, { status: 'success', sample_rate: 24000, audio: WAV.toString('base64'), ...extra });
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

function isCode(code: VoxcpmErrorCode, pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof VoxcpmError, `expected a VoxcpmError, got ${err instanceof Error ? err.stack : String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    assert.ok(err.message.length <= 300);
    return true;
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was just freed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('lib/client VoxcpmClient (against a local HTTP server)', function () {
  this.timeout(10000);

  let server: http.Server;
  let base: string;
  let handler: Handler;
  let seen: Seen[];
  const clients: VoxcpmClient[] = [];

  function client(options: Partial<ClientOptions> = {}): VoxcpmClient {
    const c = new VoxcpmClient({ endpoint: `${base}/api/tts`, timeoutMs: 5000, ...options });
    clients.push(c);
    return c;
  }

  before(async () => {
    server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    seen = [];
    handler = (_req, res) => success(res);
  });

  afterEach(() => {
    while (clients.length > 0) clients.pop()?.close();
    // Requests the tests left hanging (timeout, abort) must not keep the server open.
    server.closeAllConnections();
  });

  describe('success', () => {
    it('POSTs the four keys as JSON to the endpoint and returns the WAV', async () => {
      const r = await client().synthesize(BODY);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].method, 'POST');
      assert.equal(seen[0].url, '/api/tts');
      assert.match(String(seen[0].headers['content-type']), /^application\/json/);
      assert.match(String(seen[0].headers.accept), /application\/json/);
      assert.deepEqual(JSON.parse(seen[0].body), BODY);
      assert.ok(r.wav.equals(WAV));
      assert.equal(r.info.format, 'float');
      assert.equal(r.info.sampleRate, 24000);
      assert.equal(r.info.frames, 6000);
      assert.equal(r.info.duration, 0.25);
      assert.equal(r.reportedSampleRate, 24000);
      assert.ok(r.elapsedMs >= 0 && r.elapsedMs < 5000);
    });

    it('the WAV header wins over the JSON sample_rate, which is still reported', async () => {
      handler = (_req, res) => success(res, { sample_rate: 48000 });
      const r = await client().synthesize(BODY);
      assert.equal(r.info.sampleRate, 24000);
      assert.equal(r.reportedSampleRate, 48000);
    });

    it('a sample_rate that is not a number is not reported', async () => {
      handler = (_req, res) => success(res, { sample_rate: '48000' });
      assert.equal((await client().synthesize(BODY)).reportedSampleRate, undefined);
      handler = (_req, res) => json(res, 200, { status: 'success', audio: WAV.toString('base64') });
      assert.equal((await client().synthesize(BODY)).reportedSampleRate, undefined);
    });

    it('accepts the audio as a data URL', async () => {
      handler = (_req, res) => success(res, { audio: `data:audio/wav;base64,${WAV.toString('base64')}` });
      assert.ok((await client().synthesize(BODY)).wav.equals(WAV));
    });

    it('accepts a JSON answer served as text/html or with a BOM', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`\uFEFF${JSON.stringify({ status: 'success', sample_rate: 24000, audio: WAV.toString('base64') })}`);
      };
      assert.ok((await client().synthesize(BODY)).wav.equals(WAV));
    });

    it('sends the configured extra headers', async () => {
      await client({ headers: { Authorization: SECRET, 'X-Api-Key': SECRET_KEY } }).synthesize(BODY);
      assert.equal(seen[0].headers.authorization, SECRET);
      assert.equal(seen[0].headers['x-api-key'], SECRET_KEY);
    });

    it('keeps the query string of the endpoint in the request', async () => {
      await client({ endpoint: `${base}/api/tts?key=${QUERY_SECRET}` }).synthesize(BODY);
      assert.equal(seen[0].url, `/api/tts?key=${QUERY_SECRET}`);
    });

    it('serves several requests in a row with one client (keep-alive)', async () => {
      const c = client();
      for (let i = 0; i < 3; i++) assert.ok((await c.synthesize({ ...BODY, text: `n${i}` })).wav.equals(WAV));
      assert.deepEqual(
        seen.map((s) => (JSON.parse(s.body) as TtsRequestBody).text),
        ['n0', 'n1', 'n2'],
      );
    });

    it('displayEndpoint drops the query string', () => {
      const c = client({ endpoint: `${base}/voxcpm/api/tts?key=${QUERY_SECRET}` });
      assert.equal(c.displayEndpoint, `${base}/voxcpm/api/tts`);
      assert.equal(c.endpoint, `${base}/voxcpm/api/tts?key=${QUERY_SECRET}`);
    });

    it('defaults the response limit to 100 MB', () => {
      assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 100 * 1024 * 1024);
    });
  });

  describe('error answers', () => {
    it('a JSON error inside HTTP 200 -> VOXCPM_SERVER_ERROR quoting the message', async () => {
      handler = (_req, res) => json(res, 200, { status: 'error', message: 'text cannot be empty' });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_SERVER_ERROR', /"text cannot be empty"/));
      await assert.rejects(client().synthesize(BODY), (err: unknown) => err instanceof VoxcpmError && !/HTTP/.test(err.message));
    });

    it('a JSON error inside HTTP 500 -> VOXCPM_SERVER_ERROR naming the status', async () => {
      handler = (_req, res) => json(res, 500, { status: 'error', message: 'inference failed' });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_SERVER_ERROR', /\(HTTP 500\).*"inference failed"/));
    });

    it('a JSON error inside HTTP 400 -> VOXCPM_SERVER_ERROR', async () => {
      handler = (_req, res) => json(res, 400, { status: 'error', message: 'audio is not valid base64' });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_SERVER_ERROR', /HTTP 400.*audio is not valid base64/));
    });

    it('a JSON error without a message', async () => {
      handler = (_req, res) => json(res, 200, { status: 'error' });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_SERVER_ERROR', /\(no message\)/));
    });

    it('a very long server message is clipped', async () => {
      handler = (_req, res) => json(res, 500, { status: 'error', message: `Traceback ${'x'.repeat(5000)}` });
      await assert.rejects(client().synthesize(BODY), (err: unknown) => {
        assert.ok(err instanceof VoxcpmError);
        assert.equal(err.code, 'VOXCPM_SERVER_ERROR');
        assert.ok(err.message.length <= 300, `length ${err.message.length}`);
        assert.ok(err.message.includes('Traceback'));
        return true;
      });
    });

    it('an HTML 502 page -> VOXCPM_HTTP with the status and the page title', async () => {
      handler = (_req, res) => {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end('<html><head><title> 502 Bad Gateway </title></head><body><h1>nginx</h1></body></html>');
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_HTTP', /^HTTP 502 Bad Gateway from http:\/\/127\.0\.0\.1:\d+\/api\/tts: 502 Bad Gateway$/));
    });

    it('the title is quoted with its HTML entities decoded', async () => {
      handler = (_req, res) => {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end('<title>Bad &amp; broken &lt;gateway&gt; &#34;x&#x27;</title>');
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_HTTP', /: Bad & broken <gateway> "x'$/));
    });

    it('a plain-text error body is quoted (its first line) with the content type', async () => {
      handler = (_req, res) => {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('\nInvalid API key\nsee the docs\n');
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_HTTP', /^HTTP 401 Unauthorized from http:\/\/127\.0\.0\.1:\d+\/api\/tts: "Invalid API key" \(text\/plain; charset=utf-8\)$/));
    });

    it('a non-2xx answer without a title names the content type', async () => {
      handler = (_req, res) => {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end('Service Unavailable');
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_HTTP', /HTTP 503.*\(text\/plain\)/));
    });

    it('a non-2xx JSON answer that is not an API error (404) -> VOXCPM_HTTP', async () => {
      handler = (_req, res) => json(res, 404, { detail: 'Not Found' });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_HTTP', /HTTP 404/));
    });

    it('a redirect is not followed -> VOXCPM_HTTP', async () => {
      handler = (_req, res) => {
        res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' });
        res.end();
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_HTTP', /HTTP 302/));
      assert.equal(seen.length, 1);
    });

    it('a 200 answer that is not JSON -> VOXCPM_BAD_RESPONSE', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html><body>It works!</body></html>');
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /not JSON \(text\/html\)/));
    });

    it('broken JSON -> VOXCPM_BAD_RESPONSE', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status":"success","audio":"UklG');
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /not JSON/));
    });

    it('an empty 200 answer -> VOXCPM_BAD_RESPONSE', async () => {
      handler = (_req, res) => {
        res.writeHead(200);
        res.end();
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /not JSON/));
    });

    it('JSON that is not the API answer -> VOXCPM_BAD_RESPONSE', async () => {
      for (const value of [{ ok: true }, [1, 2], { status: 'ok', audio: WAV.toString('base64') }]) {
        handler = (_req, res) => json(res, 200, value);
        await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /no "status":"success"/), JSON.stringify(value));
      }
    });

    it('success without audio -> VOXCPM_BAD_RESPONSE', async () => {
      for (const audio of [undefined, '', 42, null]) {
        handler = (_req, res) => json(res, 200, { status: 'success', sample_rate: 48000, audio });
        await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /carries no audio/), String(audio));
      }
    });

    it('audio that is not base64 -> VOXCPM_BAD_RESPONSE', async () => {
      handler = (_req, res) => success(res, { audio: 'this is *not* base64!' });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /not valid base64/));
    });

    it('audio that is not WAV -> VOXCPM_BAD_RESPONSE with the reason', async () => {
      handler = (_req, res) => success(res, { audio: Buffer.from('ID3\x04 not a wav file, an mp3 maybe').toString('base64') });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /not a usable WAV file: it does not start with a RIFF\/WAVE header/));
    });

    it('a WAV without samples -> VOXCPM_BAD_RESPONSE', async () => {
      handler = (_req, res) => success(res, { audio: makeWav({ frames: 0 }).toString('base64') });
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /without samples/));
    });

    it('an answer larger than maxResponseBytes -> VOXCPM_BAD_RESPONSE', async () => {
      const big = makeWav({ frames: 50000 });
      handler = (_req, res) => success(res, { audio: big.toString('base64') });
      await assert.rejects(client({ maxResponseBytes: 10000 }).synthesize(BODY), isCode('VOXCPM_BAD_RESPONSE', /larger than the limit/));
      // The same answer passes with the default limit.
      assert.equal((await client().synthesize(BODY)).info.frames, 50000);
    });
  });

  describe('transport failures', () => {
    it('the deadline falls while the answer is read in the worker thread -> VOXCPM_TIMEOUT, not VOXCPM_ABORTED', async () => {
      // A large answer is read (JSON, base64) in the worker thread; a slow read there is simulated.
      const read = offload.readAnswer.bind(offload);
      offload.readAnswer = (_body: Buffer, signal?: AbortSignal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(abortError(signal)), { once: true }));
      try {
        await assert.rejects(client({ timeoutMs: 150 }).synthesize(BODY), isCode('VOXCPM_TIMEOUT', /^No answer from .* within 0\.2 s$/));
      } finally {
        offload.readAnswer = read;
      }
    });

    it('connection refused (a closed port) -> VOXCPM_UNREACHABLE', async () => {
      const port = await closedPort();
      const c = client({ endpoint: `http://127.0.0.1:${port}/api/tts` });
      await assert.rejects(c.synthesize(BODY), isCode('VOXCPM_UNREACHABLE', new RegExp(`Connection refused by http://127\\.0\\.0\\.1:${port}/api/tts`)));
    });

    it('a proxy whose name does not resolve -> VOXCPM_UNREACHABLE naming the proxy, not the server (http and https targets)', async () => {
      // .invalid never resolves (RFC 6761): nothing leaves the machine.
      for (const endpoint of [`${base}/api/tts`, `${base.replace('http:', 'https:')}/api/tts`]) {
        const c = client({ endpoint, proxy: 'http://alice:proxy-pw-5150@proxy.invalid:3128' });
        await assert.rejects(c.synthesize(BODY), (err: unknown) => {
          isCode('VOXCPM_UNREACHABLE', /^The proxy proxy\.invalid:3128 could not be found \(DNS\)$/)(err);
          assert.ok(!(err as Error).message.includes('127.0.0.1'), (err as Error).message);
          assert.ok(!String((err as Error).stack).includes('proxy-pw-5150'));
          return true;
        });
      }
      assert.equal(seen.length, 0);
    });

    it('without a proxy, a name that does not resolve is the server\'s', async () => {
      const c = client({ endpoint: 'http://voxcpm.invalid:5022/api/tts' });
      await assert.rejects(c.synthesize(BODY), isCode('VOXCPM_UNREACHABLE', /^The host of http:\/\/voxcpm\.invalid:5022\/api\/tts cannot be found \(DNS\)$/));
    });

    it('a proxy that refuses the CONNECT tunnel (https target) -> VOXCPM_UNREACHABLE naming the proxy and the status', async () => {
      handler = (_req, res) => success(res);
      // This server is no proxy: it answers CONNECT with 407.
      const refuse = (_req: http.IncomingMessage, socket: import('node:net').Socket) => {
        socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      };
      server.on('connect', refuse);
      try {
        const c = client({ endpoint: 'https://127.0.0.1:1/api/tts', proxy: base });
        await assert.rejects(c.synthesize(BODY), isCode('VOXCPM_UNREACHABLE', /^The proxy 127\.0\.0\.1:\d+ refused the tunnel to https:\/\/127\.0\.0\.1:1\/api\/tts with HTTP 407: it asks for credentials/));
      } finally {
        server.off('connect', refuse);
      }
    });

    it('https:// to a plain HTTP server (TLS handshake fails) -> VOXCPM_UNREACHABLE naming TLS', async () => {
      const c = client({ endpoint: `${base.replace('http:', 'https:')}/api/tts` });
      await assert.rejects(c.synthesize(BODY), isCode('VOXCPM_UNREACHABLE', /^TLS failed with https:\/\/127\.0\.0\.1:\d+\/api\/tts/));
    });

    it('connection reset before an answer (socket.destroy()) -> VOXCPM_UNREACHABLE', async () => {
      handler = (req) => req.socket.destroy();
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_UNREACHABLE', /cut before the answer was complete/));
    });

    it('connection cut in the middle of the answer -> VOXCPM_UNREACHABLE', async () => {
      handler = (req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100000' });
        res.write('{"status":"success","audio":"UklGR');
        setTimeout(() => req.socket.destroy(), 20);
      };
      await assert.rejects(client().synthesize(BODY), isCode('VOXCPM_UNREACHABLE'));
    });

    it('no answer within timeoutMs -> VOXCPM_TIMEOUT, promptly', async () => {
      handler = () => undefined; // never answers
      const started = Date.now();
      await assert.rejects(client({ timeoutMs: 150 }).synthesize(BODY), isCode('VOXCPM_TIMEOUT', /within 0\.2 s/));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 140 && elapsed < 3000, `took ${elapsed} ms`);
    });

    it('the timeout can be given per call', async () => {
      handler = () => undefined;
      const started = Date.now();
      await assert.rejects(client({ timeoutMs: 60000 }).synthesize(BODY, undefined, 100), isCode('VOXCPM_TIMEOUT', /within 0\.1 s/));
      assert.ok(Date.now() - started < 3000);
    });

    it('a timeout too long for setTimeout (over 2^31-1 ms) does not fire at once', async () => {
      handler = (_req, res) => setTimeout(() => success(res), 100);
      assert.ok((await client({ timeoutMs: 3e9 }).synthesize(BODY)).wav.equals(WAV));
    });

    it('a slow answer within the timeout succeeds', async () => {
      handler = (_req, res) => setTimeout(() => success(res), 100);
      assert.ok((await client({ timeoutMs: 3000 }).synthesize(BODY)).wav.equals(WAV));
    });

    it('abort via AbortSignal -> VOXCPM_ABORTED', async () => {
      handler = () => undefined;
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(client({ timeoutMs: 5000 }).synthesize(BODY, ac.signal), isCode('VOXCPM_ABORTED', /aborted/));
      assert.ok(Date.now() - started < 3000);
    });

    it('an already aborted signal -> VOXCPM_ABORTED', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(client().synthesize(BODY, ac.signal), isCode('VOXCPM_ABORTED'));
    });

    it('the caller\'s signal keeps no listener of the client after an answer, an error or a timeout', async () => {
      const ac = new AbortController();
      await client().synthesize(BODY, ac.signal);
      handler = (_req, res) => json(res, 500, { status: 'error', message: 'inference failed' });
      await assert.rejects(client().synthesize(BODY, ac.signal), isCode('VOXCPM_SERVER_ERROR'));
      handler = () => undefined;
      await assert.rejects(client({ timeoutMs: 100 }).synthesize(BODY, ac.signal), isCode('VOXCPM_TIMEOUT'));
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });

    it('a signal aborted after the answer changes nothing', async () => {
      const ac = new AbortController();
      const r = await client().synthesize(BODY, ac.signal);
      ac.abort();
      assert.ok(r.wav.equals(WAV));
    });
  });

  describe('secrets', () => {
    it('no header value and no query string appears in any error message', async () => {
      const headers = { Authorization: SECRET, 'X-Api-Key': SECRET_KEY };
      const endpoint = `${base}/api/tts?key=${QUERY_SECRET}`;
      const scenarios: Array<[string, Handler | undefined, Partial<ClientOptions>]> = [
        ['server error 200', (_q, s) => json(s, 200, { status: 'error', message: 'inference failed' }), {}],
        ['server error 500', (_q, s) => json(s, 500, { status: 'error', message: 'inference failed' }), {}],
        [
          'html 502',
          (_q, s) => {
            s.writeHead(502, { 'Content-Type': 'text/html' });
            s.end('<title>Bad Gateway</title>');
          },
          {},
        ],
        [
          'not json',
          (_q, s) => {
            s.writeHead(200, { 'Content-Type': 'text/plain' });
            s.end('hello');
          },
          {},
        ],
        ['no audio', (_q, s) => json(s, 200, { status: 'success' }), {}],
        ['bad base64', (_q, s) => success(s, { audio: '!!!' }), {}],
        ['not wav', (_q, s) => success(s, { audio: Buffer.alloc(64, 1).toString('base64') }), {}],
        ['too large', (_q, s) => success(s, { audio: makeWav({ frames: 20000 }).toString('base64') }), { maxResponseBytes: 1000 }],
        ['reset', (q) => q.socket.destroy(), {}],
        ['timeout', () => undefined, { timeoutMs: 100 }],
        ['refused', undefined, { endpoint: `http://127.0.0.1:${await closedPort()}/api/tts?key=${QUERY_SECRET}` }],
        ['tls', undefined, { endpoint: `${base.replace('http:', 'https:')}/api/tts?key=${QUERY_SECRET}` }],
      ];
      for (const [name, h, over] of scenarios) {
        if (h) handler = h;
        const c = client({ endpoint, headers, ...over });
        await assert.rejects(c.synthesize(BODY), (err: unknown) => {
          assert.ok(err instanceof VoxcpmError, `${name}: ${String(err)}`);
          for (const secret of [SECRET, 'TOPSECRET', SECRET_KEY, QUERY_SECRET]) {
            assert.ok(!err.message.includes(secret), `${name}: "${err.message}" contains ${secret}`);
            assert.ok(!String(err.stack).includes(secret), `${name}: stack contains ${secret}`);
          }
          return true;
        });
      }
      // The secrets did reach the server, so the check above meant something.
      assert.ok(seen.length >= 9);
      assert.ok(seen.every((s) => s.headers.authorization === SECRET && s.headers['x-api-key'] === SECRET_KEY));
      assert.ok(seen.every((s) => s.url === `/api/tts?key=${QUERY_SECRET}`));
    });

    describe('secrets a server or a proxy echoes back are redacted from every error', () => {
      // Characters that URL-, form- and HTML-encoding change, so each form is its own string.
      const TOKEN = 'tok+en/S3cret=42&x"y';
      const USER = 'kitchen pi';
      const PASSWORD = 'pa ss/w&rd=7"';
      const HEADER_VALUE = 'hv-Secr3t+value/9';
      const PROXY_PASSWORD = 'pr0xy pw&=/';
      const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
      const PROXY_BASIC = Buffer.from(`proxy-user:${PROXY_PASSWORD}`).toString('base64');
      const RAW = [TOKEN, PASSWORD, `${USER}:${PASSWORD}`, BASIC, HEADER_VALUE, PROXY_PASSWORD, PROXY_BASIC];
      /** Every form a leak could take. */
      const LEAKS = RAW.flatMap((s) => [s, encodeURIComponent(s), encodeURIComponent(s).replace(/%20/g, '+')]);

      /** What the server echoes: everything secret it received in a request, in one string. */
      function echoOf(req: http.IncomingMessage): string {
        const parts: string[] = [];
        for (const name of ['authorization', 'x-api-key', 'proxy-authorization']) {
          const v = req.headers[name];
          if (typeof v !== 'string') continue;
          parts.push(v);
          const [scheme, cred] = v.split(' ');
          if (cred) {
            parts.push(cred);
            if (/basic/i.test(scheme)) {
              const pair = Buffer.from(cred, 'base64').toString('utf8');
              parts.push(pair, pair.slice(pair.indexOf(':') + 1));
            }
          }
        }
        return parts.join(' | ');
      }

      const ANSWERS: Array<[string, (req: http.IncomingMessage, res: http.ServerResponse) => void]> = [
        ['JSON error in a 401', (q, s) => json(s, 401, { status: 'error', message: `bad credentials: ${echoOf(q)}` })],
        ['JSON error in a 200', (q, s) => json(s, 200, { status: 'error', message: `bad credentials: ${echoOf(q)}` })],
        ['URL-encoded in a JSON error', (q, s) => json(s, 403, { status: 'error', message: `denied ${encodeURIComponent(echoOf(q))}` })],
        [
          'HTML 401 page whose title quotes it',
          (q, s) => {
            s.writeHead(401, { 'Content-Type': 'text/html' });
            s.end(`<html><head><title>Denied: ${echoOf(q)}</title></head></html>`);
          },
        ],
        [
          'HTML-escaped in a title',
          (q, s) => {
            const escaped = echoOf(q).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
            s.writeHead(401, { 'Content-Type': 'text/html' });
            s.end(`<title>${escaped}</title>`);
          },
        ],
        [
          'partly HTML-escaped in a title (& escaped, " not)',
          (q, s) => {
            s.writeHead(401, { 'Content-Type': 'text/html' });
            s.end(`<title>${echoOf(q).replace(/&/g, '&amp;')}</title>`);
          },
        ],
        [
          'a plain-text 401 body',
          (q, s) => {
            s.writeHead(401, { 'Content-Type': 'text/plain' });
            s.end(`bad credentials: ${echoOf(q)}\n`);
          },
        ],
        [
          'the status line\'s reason phrase',
          (q, s) => {
            s.writeHead(401, `Bad ${echoOf(q).replace(/[^\x20-\x7e]/g, '')}`, { 'Content-Type': 'text/plain' });
            s.end();
          },
        ],
        [
          'a 407 from the proxy',
          (q, s) => {
            s.writeHead(407, { 'Content-Type': 'text/html' });
            s.end(`<title>Proxy says no to ${echoOf(q)}</title>`);
          },
        ],
        [
          'cut by the 200-character clip in the middle of the secret',
          (q, s) => json(s, 500, { status: 'error', message: `${'x'.repeat(186)}${echoOf(q)}` }),
        ],
      ];

      const AUTH: Array<[string, Partial<ClientOptions>]> = [
        ['bearer', { headers: { Authorization: `Bearer ${TOKEN}` } }],
        ['basic', { headers: { Authorization: `Basic ${BASIC}` } }],
        ['custom header', { headers: { 'X-Api-Key': HEADER_VALUE } }],
        // This test server is also the proxy: an http target goes to it as an absolute URI.
        ['proxy password', { proxy: '' }],
      ];

      for (const [auth, over] of AUTH) {
        it(`${auth}: redacted as *** from the JSON message, the HTML title, a plain body, the reason phrase, in every encoding`, async () => {
          const options: Partial<ClientOptions> =
            over.proxy === undefined
              ? over
              : { endpoint: 'http://voxcpm.invalid:5022/api/tts', proxy: `http://proxy-user:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${new URL(base).port}` };
          for (const [name, answer] of ANSWERS) {
            handler = answer;
            await assert.rejects(client(options).synthesize(BODY), (err: unknown) => {
              assert.ok(err instanceof VoxcpmError, `${name}: ${String(err)}`);
              for (const leak of LEAKS) {
                // A secret cut by a clip must not survive in part either: not even its first 6 characters.
                assert.ok(!err.message.includes(leak.slice(0, 6)), `${auth}, ${name}: "${err.message}" contains ${leak}`);
                assert.ok(!String(err.stack).includes(leak), `${auth}, ${name}: the stack contains ${leak}`);
              }
              assert.match(err.message, /\*\*\*/, `${auth}, ${name}: nothing was redacted: ${err.message}`);
              return true;
            });
          }
          // The secrets did travel, so the checks above meant something.
          assert.ok(seen.length >= ANSWERS.length);
          assert.ok(seen.every((r) => echoOf({ headers: r.headers } as http.IncomingMessage) !== ''));
        });
      }

      it('what is not secret stays: the status, the server, the rest of the text', async () => {
        handler = (q, s) => json(s, 401, { status: 'error', message: `bad credentials: ${echoOf(q)} (expired)` });
        await assert.rejects(
          client({ headers: { Authorization: `Bearer ${TOKEN}` } }).synthesize(BODY),
          isCode('VOXCPM_SERVER_ERROR', /^The VoxCPM2 server answered with an error \(HTTP 401\): "bad credentials: \*\*\* \| \*\*\* \(expired\)"$/),
        );
      });

      it('network error texts are redacted the same way (the redactor every error goes through)', () => {
        const c = client({ headers: { Authorization: `Bearer ${TOKEN}` }, proxy: `http://u:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:3128` });
        const text = `connect ECONNRESET ${TOKEN} ${encodeURIComponent(TOKEN)} via ${encodeURIComponent(PROXY_PASSWORD)} ${PROXY_PASSWORD}`;
        assert.equal(c.redact(text), 'connect ECONNRESET *** *** via *** ***');
      });

      it(`secrets shorter than ${MIN_SECRET_LENGTH} characters are not redacted as bare text; their longer forms are`, () => {
        const basic = Buffer.from('al:pw1').toString('base64');
        const c = client({ headers: { Authorization: `Basic ${basic}`, 'X-Key': 'abc' } });
        assert.equal(c.redact('a password pw1 and abc'), 'a password pw1 and abc');
        assert.equal(c.redact(`sent Basic ${basic}, i.e. al:pw1`), 'sent ***, i.e. ***');
        assert.ok(secretForms({ endpoint: base, headers: { 'X-Key': 'abc' } }).length === 0);
      });

      it('the query-string values of the endpoint count as secrets', () => {
        const c = client({ endpoint: `${base}/api/tts?key=${QUERY_SECRET}` });
        assert.equal(c.redact(`GET /api/tts?key=${QUERY_SECRET} denied`), 'GET /api/tts?key=*** denied');
      });
    });
  });
});
