import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { TtsRequestBody } from '../../nodes/lib/client';
import { VoxcpmError, VoxcpmErrorCode } from '../../nodes/lib/errors';
import { SERVER_DEFAULTS as DEFAULTS } from '../../nodes/lib/defaults';
import { VoxcpmService } from '../../nodes/lib/service';
import { makeWav } from './wav-fixtures';

const BODY: TtsRequestBody = { text: 'Hello', prompt: '', audio: '', reference_text: '' };
const OPTS = { owner: 'test' };
const WAV = makeWav({ sampleRate: 16000, frames: 1600 });

function isCode(code: VoxcpmErrorCode, pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof VoxcpmError, `expected a VoxcpmError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describe('lib/service VoxcpmService', function () {
  this.timeout(10000);

  const services: VoxcpmService[] = [];
  function service(settings: ConstructorParameters<typeof VoxcpmService>[0]): VoxcpmService {
    const s = new VoxcpmService(settings);
    services.push(s);
    return s;
  }

  afterEach(() => {
    while (services.length > 0) void services.pop()?.close();
  });

  describe('configuration', () => {
    it('defaults to a 300 s timeout when none is set', () => {
      assert.equal(DEFAULTS.timeout, 300);
      for (const timeout of ['', undefined]) {
        const s = service({ url: 'http://h:5022', timeout });
        assert.equal(s.configError, undefined);
        assert.equal(s.timeoutMs, 300000);
      }
    });

    it('takes the timeout in seconds, as text or a number', () => {
      assert.equal(service({ url: 'http://h:5022', timeout: '30' }).timeoutMs, 30000);
      assert.equal(service({ url: 'http://h:5022', timeout: 2.5 }).timeoutMs, 2500);
      assert.equal(service({ url: 'http://h:5022', timeout: ' 60 ' }).timeoutMs, 60000);
    });

    it('a timeout that is not a positive number is a VOXCPM_CONFIG error kept for every request', async () => {
      for (const timeout of ['0', 0, '-5', 'abc', 'Infinity', Number.NaN, '  ']) {
        const s = service({ url: 'http://h:5022', timeout });
        assert.ok(s.configError, `timeout ${JSON.stringify(timeout)}`);
        assert.equal(s.configError.code, 'VOXCPM_CONFIG');
        assert.match(s.configError.message, /timeout/);
        assert.equal(s.timeoutMs, 300000);
        assert.equal(s.endpoint, undefined);
        const kept = s.configError;
        await assert.rejects(s.synthesize(BODY, OPTS), (err: unknown) => err === kept);
      }
    });

    it('the response limit defaults to 100 MB and must be a positive number of MB', async () => {
      assert.equal(DEFAULTS.maxResponseMB, 100);
      for (const maxResponseMB of ['', undefined, '5', 0.5]) {
        assert.equal(service({ url: 'http://h:5022', timeout: '', maxResponseMB }).configError, undefined, String(maxResponseMB));
      }
      for (const maxResponseMB of ['0', 0, '-1', 'lots', Number.POSITIVE_INFINITY]) {
        const s = service({ url: 'http://h:5022', timeout: '', maxResponseMB });
        assert.ok(s.configError, String(maxResponseMB));
        assert.equal(s.configError.code, 'VOXCPM_CONFIG');
        assert.match(s.configError.message, /response limit/);
        await assert.rejects(s.synthesize(BODY, OPTS), isCode('VOXCPM_CONFIG', /response limit/));
      }
    });

    it('a bad URL does not throw at construction: it is kept as configError', async () => {
      for (const url of ['', undefined, 'ftp://h', 'http://user:pw@h:5022', 42]) {
        const s = service({ url, timeout: '10' });
        assert.ok(s.configError, `url ${String(url)}`);
        assert.equal(s.configError.code, 'VOXCPM_CONFIG');
        assert.equal(s.endpoint, undefined);
        await assert.rejects(s.synthesize(BODY, OPTS), isCode('VOXCPM_CONFIG'));
      }
    });

    it('a good configuration has no configError and shows the endpoint without query string', () => {
      const s = service({ url: '192.168.1.50:5022', timeout: '' });
      assert.equal(s.configError, undefined);
      assert.equal(s.endpoint, 'http://192.168.1.50:5022/api/tts');
      const q = service({ url: 'https://h/voxcpm?key=SECRET', timeout: '' });
      assert.equal(q.endpoint, 'https://h/voxcpm/api/tts');
    });

    it('close() is safe without a client and twice', () => {
      const bad = service({ url: '', timeout: '' });
      assert.doesNotThrow(() => bad.close());
      const good = service({ url: 'http://h:5022', timeout: '' });
      assert.doesNotThrow(() => {
        good.close();
        good.close();
      });
    });
  });

  describe('synthesize (against a local HTTP server)', () => {
    let server: http.Server;
    let base: string;
    let delayMs: number;
    let seen: Array<{ headers: http.IncomingHttpHeaders; url?: string }>;

    before(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          seen.push({ headers: req.headers, url: req.url });
          setTimeout(() => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ status: 'success', sample_rate: 16000, audio: WAV.toString('base64') }));
          }, delayMs);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    beforeEach(() => {
      delayMs = 0;
      seen = [];
    });

    afterEach(() => server.closeAllConnections());

    it('resolves a bare host:port, posts to /api/tts with the headers, returns the WAV', async () => {
      const s = service({ url: base, timeout: '5', headers: { Authorization: 'Bearer t' } });
      const r = await s.synthesize(BODY, OPTS);
      assert.ok(r.wav.equals(WAV));
      assert.equal(r.info.sampleRate, 16000);
      assert.equal(seen[0].url, '/api/tts');
      assert.equal(seen[0].headers.authorization, 'Bearer t');
    });

    it('applies the configured timeout', async () => {
      delayMs = 2000;
      const s = service({ url: `http://${base}`, timeout: '0.2' });
      assert.equal(s.timeoutMs, 200);
      const started = Date.now();
      await assert.rejects(s.synthesize(BODY, OPTS), isCode('VOXCPM_TIMEOUT', /0\.2 s/));
      assert.ok(Date.now() - started < 1500);
    });

    it('passes the abort signal on', async () => {
      delayMs = 2000;
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(service({ url: `http://${base}`, timeout: '5' }).synthesize(BODY, { owner: 'test', signal: ac.signal }), isCode('VOXCPM_ABORTED'));
    });

    it('applies maxResponseMB', async () => {
      // The answer is about 4.4 kB: over a 0.001 MB (1049 byte) limit, under 0.01 MB.
      await assert.rejects(service({ url: `http://${base}`, timeout: '5', maxResponseMB: 0.001 }).synthesize(BODY, OPTS), isCode('VOXCPM_BAD_RESPONSE', /larger than the limit/));
      assert.ok((await service({ url: `http://${base}`, timeout: '5', maxResponseMB: '0.01' }).synthesize(BODY, OPTS)).wav.equals(WAV));
    });

    // Regression (fixed): the "too large" message rounds the limit to whole MB (client.ts transportError:
    // Math.round(limit / 1048576)), so any limit under 0.5 MB, which the service now accepts,
    // is reported as "larger than the limit of 0 MB and was cut off".
    it('a limit under 0.5 MB is not reported as "the limit of 0 MB"', async () => {
      await assert.rejects(service({ url: `http://${base}`, timeout: '5', maxResponseMB: 0.001 }).synthesize(BODY, OPTS), (err: unknown) => {
        assert.ok(err instanceof VoxcpmError);
        assert.equal(err.code, 'VOXCPM_BAD_RESPONSE');
        assert.doesNotMatch(err.message, /limit of 0 MB/);
        return true;
      });
    });

    // Regression: setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days) and fires after
    // 1 ms instead. A huge timeout ("wait as long as it takes", here 3000000 s) once gave
    // VOXCPM_TIMEOUT at once, even from a server that answers in 100 ms.
    it('a timeout beyond 24.8 days does not time out at once', async () => {
      delayMs = 100;
      const s = service({ url: `http://${base}`, timeout: '3000000' });
      assert.equal(s.configError, undefined);
      const r = await s.synthesize(BODY, OPTS);
      assert.ok(r.wav.equals(WAV));
    });
  });
});
