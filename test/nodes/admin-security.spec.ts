/**
 * The security review of the editor's admin routes, each finding as it was
 * reported, through a real Node-RED (the test helper), the simulator and
 * helper.request():
 *
 * 1. Test connection / Preview sent any node's stored secret to any URL.
 * 2. Preview sent any host file (/etc/passwd) to the server.
 * 3. The upload reset the socket past 50 MB, hung on a parsed body and wrote
 *    through a planted link; the GET routes hung on a FIFO.
 * 4. Error answers quoted credentials.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { NodeInitializer } from 'node-red';
import type { Response as SuperagentResponse } from 'superagent';
import { encodeWav, VoxCpmSimulator } from '../../simulator/simulator';
import { tone } from '../../simulator/speech';
import { buildFlow, calls, helper, IDS, NODE_MODULES, serverKnown, type FlowItem } from '../support/runtime';
import { ForwardProxy } from '../support/tls';

const SECRET = 'stored-secret-9f3a7c';
const PROXY_SECRET = 'proxy-secret-41d2e8';

/** A core node module (mqtt-broker, http request) from the runtime under test. */
function coreModule(file: string): NodeInitializer {
  const runtime = process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red');
  const pkg = require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(runtime)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(pkg), 'core', 'network', file)) as NodeInitializer;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Fails if a secret, plain or inside a Basic header, is anywhere in `what`. */
function assertNoSecret(what: unknown, secrets: string[], where: string): void {
  const text = JSON.stringify(what);
  const decoded = [...text.matchAll(/Basic ([A-Za-z0-9+/=]+)/g)].map((m) => Buffer.from(m[1], 'base64').toString());
  for (const s of secrets) {
    assert.ok(!text.includes(s) && !decoded.some((d) => d.includes(s)), `${where} holds a credential: ${text.slice(0, 400)}`);
  }
}

function binary(res: SuperagentResponse, cb: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** The audit lines Node-RED logged (level 98) for the voxcpm routes. */
function auditLines(): Array<Record<string, unknown>> {
  const spy = helper.log() as unknown as { args: unknown[][] };
  return spy.args.map((a) => a[0] as Record<string, unknown>).filter((m) => m.level === 98 && String(m.event).startsWith('voxcpm.'));
}

describe('admin routes: security review', function () {
  this.timeout(20000);
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.3 });
  const attacker = new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.3 });
  let url = '';
  let evil = '';
  let userDir = '';

  before(async () => {
    url = await sim.start();
    evil = await attacker.start();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-security-'));
    helper.settings({ userDir });
  });
  after(async () => {
    helper.settings({});
    await sim.stop();
    await attacker.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  beforeEach((done) => {
    sim.reset();
    attacker.reset();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  /** The standard flow (a voxcpm-server srv1 at the simulator) plus `extra` nodes and credentials. */
  async function load(
    serverProps: Record<string, unknown> = {},
    creds: Record<string, Record<string, string>> = {},
    extra: FlowItem[] = [],
    modules: NodeInitializer[] = [],
  ) {
    const flow = [...buildFlow({ type: 'voxcpm-tts', url, serverProps }), ...extra];
    await helper.load([...NODE_MODULES, ...modules], flow, creds);
    await serverKnown();
    sim.clearRequests();
  }

  describe('1. stored credentials: only a voxcpm-server, only toward where it was deployed', function () {
    const probe = (body: object) => helper.request().post('/voxcpm/test').send(body);

    it("another node's stored password (mqtt-broker, http request) is never sent, to any URL", async () => {
      await load(
        {},
        { broker: { user: 'mq', password: SECRET }, req: { user: 'web', password: SECRET } },
        [
          { id: 'broker', type: 'mqtt-broker', name: 'b', broker: '127.0.0.1', port: '1', clientid: '', autoConnect: false },
          { id: 'req', type: 'http request', z: IDS.tab, method: 'GET', url: 'http://127.0.0.1:1/', authType: 'basic', wires: [[]] },
        ],
        [coreModule('10-mqtt.js'), coreModule('21-httprequest.js')],
      );
      for (const id of ['broker', 'req']) {
        const res = await probe({ id, config: { url: evil, authType: 'basic' }, credentials: { username: 'x' } });
        assert.equal(res.status, 200, `${id}: ${JSON.stringify(res.body)}`);
        // Preview, the same attempt through body.server.
        const prev = await helper
          .request()
          .post('/voxcpm/preview')
          .send({ server: { id, config: { url: evil, authType: 'basic' }, credentials: { username: 'x', password: '__PWRD__' } }, node: { type: 'voxcpm-tts' }, text: 'hi' });
        assert.equal(prev.status, 200, id);
      }
      const seen = calls(attacker).map((r) => r.headers.authorization);
      assert.deepEqual(seen, [basic('x', ''), basic('x', ''), basic('x', ''), basic('x', '')]);
      assertNoSecret(attacker.requests.map((r) => r.headers), [SECRET], 'the requests the attacker got');
    });

    it("the voxcpm-server's own secret: not toward a changed URL, nor a list that adds one; yes toward its URL however written", async () => {
      await load({ authType: 'bearer' }, { [IDS.server]: { token: SECRET } });
      const tries = [
        { url: evil, what: 'another URL' },
        { url: `${url}\n${evil}`, what: 'its URL plus another' },
      ];
      for (const t of tries) {
        const res = await probe({ id: IDS.server, config: { url: t.url, authType: 'bearer' }, credentials: { token: '__PWRD__' } });
        assert.equal(res.status, 400, t.what);
        assert.equal(res.body.code, 'VOXCPM_CONFIG', t.what);
        assert.match(res.body.message, /type it again/, t.what);
        const prev = await helper
          .request()
          .post('/voxcpm/preview')
          .send({ server: { id: IDS.server, config: { url: t.url, authType: 'bearer' }, credentials: {} }, node: { type: 'voxcpm-tts' }, text: 'hi' });
        assert.equal(prev.body.code, 'VOXCPM_CONFIG', `preview, ${t.what}`);
      }
      // Basic with a user name typed and the password "stored": the password stays home.
      const b = await probe({ id: IDS.server, config: { url: evil, authType: 'basic' }, credentials: { username: 'x' } });
      assert.equal(b.status, 200);
      assert.equal(calls(attacker).length, 1);
      assert.equal(calls(attacker)[0].headers.authorization, basic('x', ''));
      assert.equal(calls(sim).length, 0);
      // The deployed URL, written as typed, with a slash, or as the full endpoint: the stored token is used.
      for (const same of [url, `${url}/`, `${url}/api/tts`]) {
        const res = await probe({ id: IDS.server, config: { url: same, authType: 'bearer' }, credentials: { token: '__PWRD__' } });
        assert.equal(res.status, 200, same);
        assert.equal(calls(sim).pop()?.headers.authorization, `Bearer ${SECRET}`, same);
      }
      assertNoSecret(attacker.requests.map((r) => r.headers), [SECRET], 'the requests the attacker got');
    });

    it('a form-encoded or text/plain POST (CORS-simple) is refused with 415 and reaches no server', async () => {
      await load({ authType: 'bearer' }, { [IDS.server]: { token: SECRET } });
      const form = `id=${IDS.server}&config[url]=${encodeURIComponent(url)}&config[authType]=bearer`;
      for (const route of ['/voxcpm/test', '/voxcpm/preview']) {
        for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
          const res = await helper.request().post(route).set('Content-Type', type).send(form);
          assert.equal(res.status, 415, `${route} ${type}`);
          assert.equal(res.body.ok, false);
          assert.equal(res.body.code, 'VOXCPM_INPUT_INVALID');
        }
      }
      assert.equal(calls(sim).length + calls(attacker).length, 0);
      const refused = auditLines().filter((l) => l.error === 'unsupported_media_type');
      assert.equal(refused.length, 6);
    });

    it('proxy credentials only toward the deployed proxy; the server token not through another proxy', async () => {
      const home = new ForwardProxy();
      const rogue = new ForwardProxy();
      await home.listen();
      await rogue.listen();
      const proxyUrl = (p: ForwardProxy) => `http://127.0.0.1:${p.port}`;
      try {
        await load({ proxy: proxyUrl(home), authType: 'bearer' }, { [IDS.server]: { token: SECRET, proxyUsername: 'pu', proxyPassword: PROXY_SECRET } });
        home.seen.length = 0;
        // Another proxy: neither the proxy password nor the server token goes.
        const creds = { token: '__PWRD__', proxyUsername: 'pu', proxyPassword: '__PWRD__' };
        const away = await probe({ id: IDS.server, config: { url, authType: 'bearer', proxy: proxyUrl(rogue) }, credentials: creds });
        assert.equal(away.body.code, 'VOXCPM_CONFIG');
        const noAuth = await probe({ id: IDS.server, config: { url, authType: 'none', proxy: proxyUrl(rogue) }, credentials: creds });
        assert.equal(noAuth.status, 200, JSON.stringify(noAuth.body));
        assert.equal(rogue.seen.length, 1);
        assert.equal(rogue.seen[0].headers['proxy-authorization'], basic('pu', ''));
        assertNoSecret(rogue.seen, [SECRET, PROXY_SECRET], 'what the other proxy saw');
        // The deployed proxy: both stored values are used.
        const there = await probe({ id: IDS.server, config: { url, authType: 'bearer', proxy: proxyUrl(home) }, credentials: creds });
        assert.equal(there.status, 200, JSON.stringify(there.body));
        assert.equal(home.seen.at(-1)?.headers['proxy-authorization'], basic('pu', PROXY_SECRET));
        assert.equal(calls(sim).at(-1)?.headers.authorization, `Bearer ${SECRET}`);
      } finally {
        await home.close();
        await rogue.close();
      }
    });

    it('each call leaves an audit line (event, server, whether stored credentials were used, error code), never a secret', async () => {
      await load({ authType: 'bearer' }, { [IDS.server]: { token: SECRET } });
      await probe({ id: IDS.server, config: { url, authType: 'bearer' }, credentials: { token: '__PWRD__' } }).expect(200);
      await probe({ id: IDS.server, config: { url: evil, authType: 'bearer' }, credentials: { token: '__PWRD__' } }).expect(400);
      await helper
        .request()
        .post('/voxcpm/preview')
        .send({ server: { id: IDS.server, config: { url, authType: 'bearer' } }, node: { type: 'voxcpm-tts' }, text: 'hi' })
        .expect(200);
      const lines = auditLines();
      assert.deepEqual(
        lines.map((l) => [l.event, l.server, l.storedCredentials, l.error]),
        [
          ['voxcpm.test', IDS.server, true, undefined],
          ['voxcpm.test', IDS.server, false, 'VOXCPM_CONFIG'],
          ['voxcpm.preview', IDS.server, true, undefined],
        ],
      );
      for (const l of lines) assert.equal(l.path, l.event === 'voxcpm.test' ? '/voxcpm/test' : '/voxcpm/preview');
      assertNoSecret(lines, [SECRET], 'the audit log');
    });
  });

  describe('2. Preview sends only a readable regular WAV file from a path', function () {
    const preview = (reference: string) =>
      helper
        .request()
        .post('/voxcpm/preview')
        .timeout(3000)
        .send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-clone', reference }, text: 'hello' });

    it('refuses /etc/passwd, a .wav link to it, a FIFO, /dev/zero and a file over 50 MB, at once; nothing reaches the server', async function () {
      await load();
      const dir = fs.mkdtempSync(path.join(userDir, 'odd-'));
      fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.wav'));
      fs.symlinkSync('/dev/zero', path.join(dir, 'zero.wav'));
      execFileSync('mkfifo', [path.join(dir, 'fifo.wav')]);
      fs.closeSync(fs.openSync(path.join(dir, 'big.wav'), 'w'));
      fs.truncateSync(path.join(dir, 'big.wav'), 50 * 1024 * 1024 + 1);
      const cases: Array<[string, RegExp]> = [
        ['/etc/passwd', /must be a \.wav file/],
        [path.join(dir, 'passwd.wav'), /not a WAV file/],
        [path.join(dir, 'zero.wav'), /not a regular file/],
        [path.join(dir, 'fifo.wav'), /not a regular file/],
        [path.join(dir, 'big.wav'), /larger than 50 MB/],
      ];
      for (const [file, why] of cases) {
        const started = Date.now();
        const res = await preview(file);
        assert.equal(res.status, 400, file);
        assert.equal(res.body.code, 'VOXCPM_AUDIO_INVALID', file);
        assert.match(res.body.message, why, file);
        assert.ok(Date.now() - started < 2000, `${file} took ${Date.now() - started} ms`);
        assert.ok(!JSON.stringify(res.body).includes('root:'), 'no file content in the answer');
        for (const route of ['/voxcpm/reference/info', '/voxcpm/reference']) {
          const get = await helper.request().get(route).query({ path: file }).timeout(3000);
          assert.equal(get.status, 400, `${route} ${file}`);
          assert.match(get.body.message, why, `${route} ${file}`);
        }
      }
      assert.equal(calls(sim).length, 0);
    });

    it('a real WAV is sent byte for byte', async () => {
      await load();
      const wav = encodeWav(tone(5.5, 16000), 16000, 'pcm16');
      fs.writeFileSync(path.join(userDir, 'good.wav'), wav);
      const res = await preview('good.wav').buffer(true).parse(binary);
      assert.equal(res.status, 200);
      assert.ok(Buffer.from((calls(sim)[0].body as { audio: string }).audio, 'base64').equals(wav));
    });
  });

  describe('3. the upload', function () {
    const refDir = () => path.join(userDir, 'voxcpm-references');
    const wav = encodeWav(tone(5.5, 16000), 16000, 'pcm16');

    it('past 50 MB: 413 with {ok:false, code, message}, no reset, nothing saved (with and without Content-Length)', async () => {
      await load();
      const before = fs.existsSync(refDir()) ? fs.readdirSync(refDir()) : [];
      const big = Buffer.alloc(50 * 1024 * 1024 + 1);
      wav.copy(big);
      const res = await helper.request().post('/voxcpm/reference').query({ name: 'big' }).set('Content-Type', 'audio/wav').send(big);
      assert.equal(res.status, 413);
      assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'ok']);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.code, 'VOXCPM_AUDIO_INVALID');
      assert.match(res.body.message, /larger than 50 MB/);

      // Chunked, so only counting finds out.
      const chunked = helper.request().post('/voxcpm/reference').query({ name: 'chunked' }).set('Content-Type', 'audio/wav');
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 52; i++) chunked.write(chunk);
      const { status, body } = await chunked;
      assert.equal(chunked.get('Content-Length'), undefined, 'sent chunked');
      assert.equal(status, 413);
      assert.equal(body.code, 'VOXCPM_AUDIO_INVALID');
      assert.deepEqual(fs.existsSync(refDir()) ? fs.readdirSync(refDir()) : [], before);
    });

    it('a body the admin app already parsed (JSON, form) or no audio type: 400 at once, never a hang', async () => {
      await load();
      const tries: Array<[string, string]> = [
        ['application/json', JSON.stringify({ a: 1 })],
        ['application/x-www-form-urlencoded', 'a=1'],
        ['text/plain', 'RIFF'],
      ];
      for (const [type, body] of tries) {
        const res = await helper.request().post('/voxcpm/reference').query({ name: 'x' }).set('Content-Type', type).send(body).timeout(1500);
        assert.equal(res.status, 400, type);
        assert.equal(res.body.code, 'VOXCPM_AUDIO_INVALID', type);
      }
    });

    it('never writes through a link planted in voxcpm-references/, and refuses the folder if it is a link', async () => {
      await load();
      // The name the upload will get is known in advance: plant a link there.
      const first = await helper.request().post('/voxcpm/reference').query({ name: 'victim' }).set('Content-Type', 'audio/wav').send(wav).expect(200);
      const target = path.join(userDir, first.body.path as string);
      const outside = path.join(userDir, 'outside.txt');
      fs.writeFileSync(outside, 'keep me');
      fs.rmSync(target);
      fs.symlinkSync(outside, target);
      const again = await helper.request().post('/voxcpm/reference').query({ name: 'victim' }).set('Content-Type', 'audio/wav').send(wav).expect(200);
      assert.equal(again.body.path, first.body.path);
      assert.equal(fs.readFileSync(outside, 'utf8'), 'keep me');
      assert.ok(fs.lstatSync(target).isFile(), 'the link was replaced by the recording');
      assert.ok(fs.readFileSync(target).equals(wav));
      assert.deepEqual(fs.readdirSync(refDir()).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');

      // The folder itself a link to elsewhere: nothing is written there.
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-elsewhere-'));
      const moved = `${refDir()}-moved`;
      fs.renameSync(refDir(), moved);
      fs.symlinkSync(elsewhere, refDir());
      try {
        const res = await helper.request().post('/voxcpm/reference').query({ name: 'victim' }).set('Content-Type', 'audio/wav').send(wav);
        assert.equal(res.status, 400);
        assert.equal(res.body.code, 'VOXCPM_CONFIG');
        assert.deepEqual(fs.readdirSync(elsewhere), []);
      } finally {
        fs.rmSync(refDir());
        fs.renameSync(moved, refDir());
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });
  });

  describe('4. error answers never hold a credential', function () {
    it('a server that quotes the Authorization header back: the answer shows *** instead', async () => {
      const echo = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ status: 'error', message: `refused ${String(req.headers.authorization)}` }));
        });
      });
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
      const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      try {
        for (const [auth, creds] of [
          ['bearer', { token: SECRET }],
          ['basic', { username: 'user', password: SECRET }],
        ] as const) {
          await helper.unload();
          await helper.load(NODE_MODULES, buildFlow({ type: 'voxcpm-tts', url: echoUrl, serverProps: { authType: auth } }), { [IDS.server]: creds });
          for (const res of [
            await helper.request().post('/voxcpm/test').send({ id: IDS.server }),
            await helper.request().post('/voxcpm/test').send({ config: { url: echoUrl, authType: auth }, credentials: creds }),
          ]) {
            assert.equal(res.body.ok, false);
            assert.equal(res.body.code, 'VOXCPM_SERVER_ERROR');
            assert.match(res.body.message, /refused (?:(?:Bearer|Basic) )?\*\*\*/);
            assertNoSecret(res.body, [SECRET], `the ${auth} answer`);
          }
        }
      } finally {
        echo.closeAllConnections();
        await new Promise<void>((r) => echo.close(() => r()));
      }
    });
  });
});
