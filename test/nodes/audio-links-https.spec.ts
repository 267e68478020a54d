/**
 * msg.url for every speaker, in a real Node-RED process started with a settings.js as users write
 * it: `https` (a self-signed certificate, made with openssl as in support/tls.ts; as an object and
 * as a function) and `httpNodeAuth` with a bcrypt hash made by the bcryptjs that Node-RED ships.
 * The test helper cannot show this: it applies neither (red.js does, in front of RED.httpNode).
 *
 * The flow: GET /speak?text=… (an ordinary http-in route, behind httpNodeAuth) -> voxcpm-tts ->
 * a function that answers { url, wav (base64) } -> http response. A plain https client with no
 * password then fetches msg.url.
 *
 * NODE_RED_RUNTIME (the matrix) names another install's lib/red.js: its red.js and bcryptjs are used.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { FlowNode, launchNodeRed, ROOT, type NodeRedProcess } from '../../tools/launch';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { freePort } from '../support/faults';
import { toneSeconds } from '../support/flows';
import { makePki, requireTls, type Pki } from '../support/tls';

/** The Node-RED install the process runs: the matrix's, or the project's. */
const NODE_RED_DIR = process.env.NODE_RED_RUNTIME
  ? path.resolve(process.env.NODE_RED_RUNTIME, '..', '..')
  : path.dirname(require.resolve('node-red/package.json'));

/** The bcryptjs Node-RED itself depends on (what `node-red admin hash-pw` uses). */
function bcryptHash(password: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require(require.resolve('bcryptjs', { paths: [NODE_RED_DIR] })) as { hashSync(p: string, rounds: number): string };
  return bcrypt.hashSync(password, 8);
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain https GET trusting the test CA, with no credentials unless `auth` ("user:pass"). */
function get(url: string, ca: Buffer, { auth, range }: { auth?: string; range?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (auth) headers.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    if (range) headers.Range = range;
    https
      .get(url, { ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function flows(simUrl: string): FlowNode[] {
  const z = 'linktab';
  return [
    { id: z, type: 'tab', label: 'links' },
    { id: 'linksrv', type: 'voxcpm-server', url: simUrl, timeout: '20', urlTtl: '120', publicUrl: '' },
    { id: 'linkin', type: 'http in', z, url: '/speak', method: 'get', upload: false, wires: [['linktext']] },
    { id: 'linktext', type: 'function', z, func: 'msg.payload = String(msg.req.query.text || "");\nreturn msg;', outputs: 1, wires: [['linktts']] },
    { id: 'linktts', type: 'voxcpm-tts', z, server: 'linksrv', prompt: '', wires: [['linkout']] },
    {
      id: 'linkout',
      type: 'function',
      z,
      func: 'msg.payload = { url: msg.url, wav: msg.payload.toString("base64") };\nreturn msg;',
      outputs: 1,
      wires: [['linkres']],
    },
    { id: 'linkres', type: 'http response', z, wires: [] },
  ];
}

describe('msg.url with https and httpNodeAuth in settings.js (a real Node-RED process)', function () {
  this.timeout(90000);
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: toneSeconds });
  let simUrl = '';
  let pki: Pki;
  let ca: Buffer;
  const running: NodeRedProcess[] = [];
  const dirs: string[] = [];

  before(async function () {
    requireTls(this);
    pki = makePki();
    ca = fs.readFileSync(pki.caCert);
    simUrl = await sim.start();
  });
  after(async () => {
    await sim.stop();
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function start(settings: string, adminRoot?: string): Promise<{ nodeRed: NodeRedProcess; origin: string }> {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-links-'));
    dirs.push(userDir);
    const redJs = path.join(NODE_RED_DIR, 'red.js');
    const nodeRed = await launchNodeRed({
      userDir, port: await freePort(), flows: flows(simUrl), packageDir: ROOT, quiet: true, settings, httpsCa: pki.caCert, redJs, adminRoot,
    });
    running.push(nodeRed);
    return { nodeRed, origin: new URL(nodeRed.url).origin };
  }

  /** Asks the flow for speech (with the http-in route's password) and checks the link a speaker gets. */
  async function speakAndFetch(origin: string, auth: string, linkPrefix: string): Promise<void> {
    const text = encodeURIComponent('Dinner is ready.');
    const denied = await get(`${origin}/speak?text=${text}`, ca);
    assert.equal(denied.status, 401, 'the http-in route answers without the password');
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="Authorization Required"');

    const asked = await get(`${origin}/speak?text=${text}`, ca, { auth });
    assert.equal(asked.status, 200, asked.body.toString());
    const { url, wav } = JSON.parse(asked.body.toString()) as { url: string; wav: string };
    const bytes = Buffer.from(wav, 'base64');
    assert.equal(bytes.toString('latin1', 0, 4), 'RIFF');
    assert.match(url, new RegExp(`^${linkPrefix.replace(/[.]/g, '\\.')}voxcpm/audio/[0-9a-f]{32}\\.wav$`));

    // A speaker: https, no password.
    const fetched = await get(url, ca);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.headers['content-type'], 'audio/wav');
    assert.equal(fetched.headers['cache-control'], 'no-store');
    assert.ok(fetched.body.equals(bytes), 'the link serves the bytes the flow got');
    const part = await get(url, ca, { range: 'bytes=0-43' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 0-43/${bytes.length}`);
    assert.ok(part.body.equals(bytes.subarray(0, 44)));
    assert.equal((await get(url.replace(/[0-9a-f]{32}/, '0'.repeat(32)), ca)).status, 404);
  }

  it('https as an object, httpNodeAuth with a bcrypt hash: an https link a speaker fetches without the password; the flow route still asks for it', async () => {
    const hash = bcryptHash('s3cret-pass');
    const { origin } = await start(`  https: {
    key: require("fs").readFileSync(${JSON.stringify(pki.serverKey)}),
    cert: require("fs").readFileSync(${JSON.stringify(pki.serverCert)}),
  },
  httpNodeAuth: { user: "speaker", pass: ${JSON.stringify(hash)} },`);
    assert.match(origin, /^https:/);
    await speakAndFetch(origin, 'speaker:s3cret-pass', `${origin}/`);
    assert.equal((await get(`${origin}/speak?text=x`, ca, { auth: 'speaker:wrong' })).status, 401);
  });

  it('https as a function and the editor under /admin: the link is under the admin root, fetched without the password', async () => {
    const hash = bcryptHash('another-pass');
    const { origin } = await start(`  https: function () {
    return {
      key: require("fs").readFileSync(${JSON.stringify(pki.serverKey)}),
      cert: require("fs").readFileSync(${JSON.stringify(pki.serverCert)}),
    };
  },
  httpAdminRoot: "/admin",
  httpNodeAuth: { user: "speaker", pass: ${JSON.stringify(hash)} },`, '/admin');
    await speakAndFetch(origin, 'speaker:another-pass', `${origin}/admin/`);
  });
});
