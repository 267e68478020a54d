/**
 * The editor's admin routes (Test connection, Preview, reference recordings)
 * through the runtime's admin app, with helper.request() (supertest), against
 * the simulator over real HTTP; and their permissions through Node-RED's own
 * admin authentication (@node-red/editor-api's auth with adminAuth set).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Response as SuperagentResponse } from 'superagent';
import request from 'supertest';
import { encodeWav, VoxCpmSimulator } from '../../simulator/simulator';
import { tone } from '../../simulator/speech';
import { freePort } from '../support/faults';
import { probe } from '../support/meter';
import { buildFlow, calls, helper, IDS, NODE_MODULES, NODES_DIR, serverKnown, unhandledDuring, useHelperServer, type FlowOptions } from '../support/runtime';

/** A WAV of `seconds` of tone, as the editor would upload it. */
function toneWav(seconds: number, rate = 16000): Buffer {
  return encodeWav(tone(seconds, rate), rate, 'pcm16');
}

/** supertest: the body as raw bytes, whatever the content type. */
function binary(res: SuperagentResponse, cb: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

const SECRET = 'stored-secret-token-1234';
const NEW_SECRET = 'brand-new-token-5678';

describe('admin routes (Test connection, Preview, reference recordings)', function () {
  this.timeout(15000);
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.5 });
  let url = '';
  let userDir = '';

  before(async () => {
    url = await sim.start();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-routes-'));
    helper.settings({ userDir });
  });
  after(async () => {
    helper.settings({});
    await sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  useHelperServer(() => sim.reset());

  /** Loads the standard test flow (and credentials for the server). */
  async function load(o: Partial<FlowOptions> = {}, creds?: Record<string, string>): Promise<void> {
    await helper.load(NODE_MODULES, buildFlow({ type: 'voxcpm-tts', url, ...o }), creds ? { [IDS.server]: creds } : undefined);
    await serverKnown();
  }

  // The routes are registered once per app (RED.httpAdmin, RED.httpNode), not once per process:
  // a runtime that hands the module a new RED (the test helper does at every helper.load(); so
  // would any host that starts Node-RED twice in one process) must still have them.
  it('the routes exist after a new load of the same modules (as the test helper loads them)', async () => {
    await helper.load(NODE_MODULES, buildFlow({ type: 'voxcpm-tts', url }));
    await helper.unload();
    await helper.load(NODE_MODULES, buildFlow({ type: 'voxcpm-tts', url }));
    await serverKnown();
    const res = await helper.request().post('/voxcpm/test').send({ config: { url } });
    assert.equal(res.status, 200, `POST /voxcpm/test answered ${res.status}`);
  });

  describe('POST voxcpm/test', function () {
    it("speaks a short sentence with the dialog's unsaved values: ok, 48000 Hz, seconds, latency", async () => {
      await load();
      const res = await helper.request().post('/voxcpm/test').send({ config: { url, timeout: '5' } }).expect(200);
      assert.equal(res.body.ok, true);
      assert.equal(res.body.sampleRate, 48000);
      assert.equal(typeof res.body.seconds, 'number');
      assert.ok(res.body.seconds > 0.4 && res.body.seconds < 0.6, String(res.body.seconds));
      assert.equal(typeof res.body.latencyMs, 'number');
      assert.ok(res.body.latencyMs >= 0);
      assert.equal(res.body.endpoint, `${url}/api/tts`);
      assert.equal(calls(sim).length, 1);
      assert.equal((calls(sim)[0].body as { text: string }).text, '你好。');
    });

    it('uses the deployed server when only its id is sent, and never the cache', async () => {
      await load();
      for (let i = 0; i < 2; i++) {
        const res = await helper.request().post('/voxcpm/test').send({ id: IDS.server }).expect(200);
        assert.equal(res.body.ok, true);
      }
      assert.equal(calls(sim).length, 2);
    });

    it('answers ok:false with VOXCPM_UNREACHABLE for a dead port', async () => {
      await load();
      const dead = `http://127.0.0.1:${await freePort()}`;
      const res = await helper.request().post('/voxcpm/test').send({ config: { url: dead } });
      assert.equal(res.status, 502);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.code, 'VOXCPM_UNREACHABLE');
      assert.equal(typeof res.body.message, 'string');
    });

    it('answers VOXCPM_CONFIG (400) for a malformed URL', async () => {
      await load();
      const res = await helper.request().post('/voxcpm/test').send({ config: { url: 'http://user:pw@example.com' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'VOXCPM_CONFIG');
      assert.ok(!JSON.stringify(res.body).includes(':pw@'));
    });

    it("a '__PWRD__' placeholder uses the deployed node's stored credential; a new one in the body wins; none is echoed", async () => {
      await load({ serverProps: { authType: 'bearer' } }, { token: SECRET });
      const stored = await helper.request().post('/voxcpm/test').send({ id: IDS.server, config: { url, authType: 'bearer' }, credentials: { token: '__PWRD__' } });
      assert.equal(stored.status, 200);
      assert.equal(calls(sim).pop()?.headers.authorization, `Bearer ${SECRET}`);
      const absent = await helper.request().post('/voxcpm/test').send({ id: IDS.server, config: { url, authType: 'bearer' } });
      assert.equal(absent.status, 200);
      assert.equal(calls(sim).pop()?.headers.authorization, `Bearer ${SECRET}`);
      const fresh = await helper.request().post('/voxcpm/test').send({ id: IDS.server, config: { url, authType: 'bearer' }, credentials: { token: NEW_SECRET } });
      assert.equal(fresh.status, 200);
      assert.equal(calls(sim).pop()?.headers.authorization, `Bearer ${NEW_SECRET}`);
      // Another URL: the stored token is not sent there (it has to be typed again).
      const dead = await helper
        .request()
        .post('/voxcpm/test')
        .send({ id: IDS.server, config: { url: `http://127.0.0.1:${await freePort()}`, authType: 'bearer' }, credentials: { token: '__PWRD__' } });
      assert.equal(dead.status, 400);
      assert.equal(dead.body.code, 'VOXCPM_CONFIG');
      assert.match(dead.body.message, /type it again/);
      for (const res of [stored, absent, fresh, dead]) {
        const text = JSON.stringify(res.body) + JSON.stringify(res.headers);
        assert.ok(!text.includes(SECRET) && !text.includes(NEW_SECRET), `a credential in ${text}`);
      }
    });

    it('a placeholder for a server that has no stored credential is VOXCPM_CONFIG, not a request without it', async () => {
      await load();
      const res = await helper.request().post('/voxcpm/test').send({ id: 'not-deployed', config: { url, authType: 'bearer' }, credentials: { token: '__PWRD__' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'VOXCPM_CONFIG');
      assert.equal(calls(sim).length, 0);
    });
  });

  describe('POST voxcpm/preview', function () {
    it('voxcpm-tts: speaks the text with the prompt, 200 audio/wav with X-VoxCPM-Sample-Rate', async () => {
      await load();
      const res = await helper
        .request()
        .post('/voxcpm/preview')
        .send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-tts', prompt: 'cheerful child' }, text: 'Preview this.' })
        .buffer(true)
        .parse(binary)
        .expect(200);
      assert.equal(res.headers['content-type'], 'audio/wav');
      assert.equal(res.headers['x-voxcpm-sample-rate'], '48000');
      assert.equal(res.headers['x-voxcpm-duration'], '0.50');
      const wav = res.body as Buffer;
      assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
      assert.deepEqual(calls(sim).map((r) => r.body), [{ text: 'Preview this.', prompt: 'cheerful child', audio: '', reference_text: '' }]);
    });

    it('the node\'s audio settings: mp3 at 22050 Hz, speed 2 and a loudness give what the node would send; a bad one is 400', async () => {
      await load();
      const res = await helper
        .request()
        .post('/voxcpm/preview')
        .send({
          server: { id: IDS.server, config: { url } },
          node: { type: 'voxcpm-tts', audioFormat: 'mp3', mp3Bitrate: '32', speed: '2', loudness: '-20', sampleRate: '22050', leadIn: '0' },
          text: 'Preview this.',
        })
        .buffer(true)
        .parse(binary)
        .expect(200);
      assert.equal(res.headers['content-type'], 'audio/mpeg');
      assert.equal(res.headers['x-voxcpm-sample-rate'], '22050');
      const p = probe(res.body as Buffer);
      assert.deepEqual([p.codec, p.sampleRate], ['mp3', 22050]);
      // 0.5 s of tone at speed 2: 0.25 s (and the MP3's frames).
      assert.ok(Number(res.headers['x-voxcpm-duration']) < 0.4, String(res.headers['x-voxcpm-duration']));
      const bad = await helper
        .request()
        .post('/voxcpm/preview')
        .send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-tts', speed: '9' }, text: 'Preview this.' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'VOXCPM_INPUT_INVALID');
      assert.match(bad.body.message, /speed is "9"/);
      assert.equal(calls(sim).length, 1, 'the bad speed is refused before any request');
    });

    it('voxcpm-clone: sends the reference file (relative to the user directory) and its transcript', async () => {
      await load();
      const ref = toneWav(6);
      fs.mkdirSync(path.join(userDir, 'voices'), { recursive: true });
      fs.writeFileSync(path.join(userDir, 'voices', 'anna.wav'), ref);
      const res = await helper
        .request()
        .post('/voxcpm/preview')
        .send({
          server: { id: IDS.server, config: { url } },
          node: { type: 'voxcpm-clone', prompt: '', reference: 'voices/anna.wav', referenceText: '大家好，欢迎来到今天的产品介绍。' },
          text: '接下来我们继续介绍系统的核心功能。',
        })
        .buffer(true)
        .parse(binary)
        .expect(200);
      assert.equal(res.headers['content-type'], 'audio/wav');
      assert.equal(res.headers['x-voxcpm-sample-rate'], '48000');
      const body = calls(sim)[0].body as Record<string, string>;
      assert.equal(body.text, '接下来我们继续介绍系统的核心功能。');
      assert.equal(body.reference_text, '大家好，欢迎来到今天的产品介绍。');
      assert.ok(Buffer.from(body.audio, 'base64').equals(ref), 'the reference reached the server byte for byte');
    });

    it('empty text: 400 with VOXCPM_TEXT_EMPTY as JSON, nothing sent', async () => {
      await load();
      for (const text of ['', '   ', undefined]) {
        const res = await helper.request().post('/voxcpm/preview').send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-tts' }, text });
        assert.equal(res.status, 400);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(res.body.ok, false);
        assert.equal(res.body.code, 'VOXCPM_TEXT_EMPTY');
      }
      assert.equal(calls(sim).length, 0);
    });

    it('prepares the text as the node does: SSML, clean text, numbers, voice description; warnings in a header', async () => {
      await load();
      const text = '<speak>(calm)**Hello** 🔥 it is 21°C.<break time="500ms"/><emphasis>Bye</emphasis>.</speak>';
      const res = await helper
        .request()
        .post('/voxcpm/preview')
        .send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-tts', prompt: '', cleanText: true, normalizeNumbers: true }, text })
        .buffer(true)
        .parse(binary)
        .expect(200);
      assert.equal(res.headers['content-type'], 'audio/wav');
      const bodies = calls(sim).map((r) => r.body as Record<string, string>);
      assert.deepEqual(bodies.map((b) => b.text), ['Hello it is twenty-one degrees Celsius.', 'Bye.']);
      assert.deepEqual(bodies.map((b) => b.prompt), ['calm', 'calm']);
      const warned = JSON.parse(decodeURIComponent(String(res.headers['x-voxcpm-warnings']))) as string[];
      assert.equal(warned.length, 1);
      assert.match(warned[0], /<emphasis>/);
    });

    it('with cleanText and normalizeNumbers off sends the text as written', async () => {
      await load();
      await helper
        .request()
        .post('/voxcpm/preview')
        .send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-tts', cleanText: false, normalizeNumbers: false }, text: '**Hi** 🔥 21°C' })
        .buffer(true)
        .parse(binary)
        .expect(200);
      assert.deepEqual(calls(sim).map((r) => (r.body as Record<string, string>).text), ['**Hi** 🔥 21°C']);
    });

    it('reads the dialog\'s settings as the deployed node does: switches as "true"/"false", a bad format quoted in the node\'s words', async () => {
      await load();
      const preview = (node: Record<string, unknown>, text: string) =>
        helper.request().post('/voxcpm/preview').send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-tts', ...node }, text });
      await preview({ cleanText: 'false', normalizeNumbers: 'false' }, '**Hi** 21').buffer(true).parse(binary).expect(200);
      await preview({ cleanText: 'true', normalizeNumbers: 'true' }, '**Hi** 21').buffer(true).parse(binary).expect(200);
      assert.deepEqual(calls(sim).map((r) => (r.body as Record<string, string>).text), ['**Hi** 21', 'Hi twenty-one']);
      const bad = await preview({ audioFormat: 'flac' }, 'Hi');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'VOXCPM_INPUT_INVALID');
      // The words a voxcpm-tts node with this setting says (output.spec.ts).
      assert.match(bad.body.message, /^audioFormat is "flac"; it must be one of wav, wav16, mp3$/);
      assert.equal(calls(sim).length, 2, 'refused before any request');
    });

    it('voxcpm-clone without a reference file: 400 VOXCPM_AUDIO_MISSING', async () => {
      await load();
      const res = await helper
        .request()
        .post('/voxcpm/preview')
        .send({ server: { id: IDS.server, config: { url } }, node: { type: 'voxcpm-clone', reference: 'voices/nobody.wav' }, text: 'hello' });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'VOXCPM_AUDIO_MISSING');
      assert.equal(calls(sim).length, 0);
    });
  });

  describe('voxcpm/reference', function () {
    it('POST saves a raw WAV upload under <userDir>/voxcpm-references/ and says what it is; GET info and GET serve it back', async () => {
      await load();
      const wav = toneWav(6.5);
      const res = await helper.request().post('/voxcpm/reference').query({ name: 'My voice.wav' }).set('Content-Type', 'audio/wav').send(wav).expect(200);
      assert.equal(res.body.ok, true);
      assert.match(res.body.path, /^voxcpm-references\/My-voice-[0-9a-f]{8}\.wav$/);
      assert.equal(res.body.duration, 6.5);
      assert.equal(res.body.sampleRate, 16000);
      assert.equal(res.body.channels, 1);
      assert.equal(res.body.bitDepth, 16);
      assert.equal(res.body.warning, undefined);
      const saved = path.join(userDir, res.body.path as string);
      assert.ok(fs.readFileSync(saved).equals(wav));

      const info = await helper.request().get('/voxcpm/reference/info').query({ path: res.body.path }).expect(200);
      assert.deepEqual(
        { ok: info.body.ok, duration: info.body.duration, sampleRate: info.body.sampleRate, channels: info.body.channels, bitDepth: info.body.bitDepth },
        { ok: true, duration: 6.5, sampleRate: 16000, channels: 1, bitDepth: 16 },
      );
      const file = await helper.request().get('/voxcpm/reference').query({ path: res.body.path }).buffer(true).parse(binary).expect(200);
      assert.equal(file.headers['content-type'], 'audio/wav');
      assert.ok((file.body as Buffer).equals(wav));
      // An absolute path works as well (the clone node accepts both).
      const abs = await helper.request().get('/voxcpm/reference/info').query({ path: saved }).expect(200);
      assert.equal(abs.body.duration, 6.5);
    });

    it('warns about a reference outside 5–30 s; the same upload twice is the same file', async () => {
      await load();
      const short = toneWav(2);
      const a = await helper.request().post('/voxcpm/reference').query({ name: 'short' }).set('Content-Type', 'application/octet-stream').send(short).expect(200);
      const b = await helper.request().post('/voxcpm/reference').query({ name: 'short' }).set('Content-Type', 'application/octet-stream').send(short).expect(200);
      assert.equal(a.body.path, b.body.path);
      assert.match(String(a.body.warning), /5–30 s/);
    });

    it('a non-WAV upload is 400 VOXCPM_AUDIO_INVALID and nothing is saved', async () => {
      await load();
      const before = fs.existsSync(path.join(userDir, 'voxcpm-references')) ? fs.readdirSync(path.join(userDir, 'voxcpm-references')).length : 0;
      const res = await helper
        .request()
        .post('/voxcpm/reference')
        .query({ name: 'song.mp3' })
        .set('Content-Type', 'audio/mpeg')
        .send(Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00not a wav at all', 'latin1'));
      assert.equal(res.status, 400);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.code, 'VOXCPM_AUDIO_INVALID');
      const after = fs.existsSync(path.join(userDir, 'voxcpm-references')) ? fs.readdirSync(path.join(userDir, 'voxcpm-references')).length : 0;
      assert.equal(after, before);
    });

    it('GET refuses a path that is not .wav (400), a missing file and no path (400 VOXCPM_AUDIO_MISSING)', async () => {
      await load();
      fs.writeFileSync(path.join(userDir, 'notes.txt'), 'hello');
      for (const route of ['/voxcpm/reference', '/voxcpm/reference/info']) {
        const txt = await helper.request().get(route).query({ path: 'notes.txt' });
        assert.equal(txt.status, 400, `${route} notes.txt`);
        assert.equal(txt.body.code, 'VOXCPM_AUDIO_INVALID');
        const etc = await helper.request().get(route).query({ path: '/etc/passwd' });
        assert.equal(etc.status, 400);
        assert.ok(!JSON.stringify(etc.body).includes('root:'), 'no file content in the answer');
        const missing = await helper.request().get(route).query({ path: 'voices/ghost.wav' });
        assert.equal(missing.status, 400);
        assert.equal(missing.body.code, 'VOXCPM_AUDIO_MISSING');
        const none = await helper.request().get(route);
        assert.equal(none.status, 400);
        assert.equal(none.body.code, 'VOXCPM_AUDIO_MISSING');
      }
    });

    // Regression: a .wav file that is no WAV once made both GET handlers leave an unhandled
    // rejection (the error was thrown inside the fulfilment callback of a then() whose promise was
    // dropped), which makes a real Node-RED exit. The clone dialog calls GET info as soon as it
    // opens (refreshReference), so opening a voxcpm-clone whose Reference is, say, an MP3 renamed
    // .wav must answer 400, not stop Node-RED.
    for (const route of ['/voxcpm/reference/info', '/voxcpm/reference']) {
      it(`GET ${route.slice(1)} of a .wav file that is no WAV: 400 VOXCPM_AUDIO_INVALID, no unhandled rejection`, async () => {
        await load();
        fs.writeFileSync(path.join(userDir, 'fake.wav'), 'this is no wav');
        let status = 0;
        let code: unknown;
        const unhandled = await unhandledDuring(async () => {
          try {
            const res = await helper.request().get(route).query({ path: 'fake.wav' }).timeout(1500);
            status = res.status;
            code = res.body.code;
          } catch {
            status = -1; // no answer within 1.5 s
          }
        });
        assert.deepEqual(unhandled.map((r) => String((r as { code?: string }).code ?? r)), [], 'unhandled rejections (a real Node-RED exits on the first)');
        assert.equal(status, 400, status === -1 ? 'no answer at all' : `answered ${status}`);
        assert.equal(code, 'VOXCPM_AUDIO_INVALID');
      });
    }
  });

  describe('permissions (Node-RED admin authentication)', function () {
    /** Node-RED's own admin auth module, from the runtime under test. */
    function editorAuth(): {
      init(settings: unknown, storage: unknown): void;
      needsPermission(p: string): express.RequestHandler;
    } {
      const runtime = process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red');
      const pkg = require.resolve('@node-red/editor-api/package.json', { paths: [path.dirname(runtime)] });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(path.join(path.dirname(pkg), 'lib', 'auth'));
    }
    const storage = { getSessions: async () => ({}), saveSessions: async () => undefined };
    const ADMIN = 'admin-api-token';
    const VIEWER = 'viewer-api-token';
    let app: express.Express;
    let auth: ReturnType<typeof editorAuth>;

    beforeEach(async () => {
      await load();
      auth = editorAuth();
      auth.init(
        {
          adminAuth: {
            type: 'credentials',
            users: [
              { username: 'admin', password: '$2b$08$invalidinvalidinvalidinvalidinvalidinvalidinvalidinvali', permissions: '*' },
              { username: 'viewer', password: '$2b$08$invalidinvalidinvalidinvalidinvalidinvalidinvalidinvali', permissions: 'read' },
            ],
            tokens: [
              { token: ADMIN, user: 'admin', scope: ['*'] },
              { token: VIEWER, user: 'viewer', scope: ['read'] },
            ],
          },
        },
        storage,
      );
      // The routes module registered on a RED that has real authentication.
      app = express();
      app.use(express.json());
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const routes = require(path.join(NODES_DIR, 'glue', 'admin-routes.js')) as { registerAdminRoutes(red: unknown): void };
      routes.registerAdminRoutes({
        settings: { userDir },
        auth,
        httpAdmin: app,
        httpNode: express(),
        nodes: { getNode: () => null, getCredentials: () => undefined },
        log: { AUDIT: 98, audit: () => undefined },
      });
      fs.writeFileSync(path.join(userDir, 'ref.wav'), toneWav(6));
    });
    afterEach(() => {
      auth.init({}, storage);
    });

    it('refuses every route without a token (401), and lets an admin through', async () => {
      const routes: Array<[string, string]> = [
        ['post', '/voxcpm/test'],
        ['post', '/voxcpm/preview'],
        ['post', '/voxcpm/reference'],
        ['get', '/voxcpm/reference/info?path=ref.wav'],
        ['get', '/voxcpm/reference?path=ref.wav'],
      ];
      for (const [method, route] of routes) {
        const res = await (request(app) as unknown as Record<string, (r: string) => request.Test>)[method](route);
        assert.equal(res.status, 401, `${method.toUpperCase()} ${route} without a token: ${res.status}`);
        const bad = await (request(app) as unknown as Record<string, (r: string) => request.Test>)[method](route).set('Authorization', 'Bearer nope');
        assert.equal(bad.status, 401, `${method.toUpperCase()} ${route} with a wrong token: ${bad.status}`);
      }
      const ok = await request(app).post('/voxcpm/test').set('Authorization', `Bearer ${ADMIN}`).send({ config: { url } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.ok, true);
      const info = await request(app).get('/voxcpm/reference/info?path=ref.wav').set('Authorization', `Bearer ${ADMIN}`);
      assert.equal(info.status, 200);
    });

    it('a read-only user may not read recordings on the host, test, preview or upload', async () => {
      // Recordings may sit anywhere on the host: reading them is for those who may change flows.
      for (const route of ['/voxcpm/reference/info?path=ref.wav', '/voxcpm/reference?path=ref.wav']) {
        const res = await request(app).get(route).set('Authorization', `Bearer ${VIEWER}`);
        assert.equal(res.status, 401, route);
      }
      for (const route of ['/voxcpm/test', '/voxcpm/preview', '/voxcpm/reference?name=x']) {
        const res = await request(app).post(route).set('Authorization', `Bearer ${VIEWER}`).send({ config: { url } });
        assert.equal(res.status, 401, route);
      }
      assert.equal(calls(sim).length, 0);
    });
  });
});
