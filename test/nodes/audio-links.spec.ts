/**
 * msg.url: the audio served at the server's Public URL (nodes/glue/audio-links.ts), fetched over
 * real HTTP: the runtime's httpNode app (what the helper gives the nodes as RED.httpNode) is
 * served on a port of our own, and the server's Public URL points at it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeInitializer } from 'node-red';
import path from 'node:path';
import { sleep } from '../support/faults';
import { gather, longChinese, useToneSimulator } from '../support/flows';
import { buildFlow, expectSent, helper, IDS, NODE_MODULES, NODES_DIR, serverKnown, warnings } from '../support/runtime';
import type { UrlStore } from '../../nodes/lib/url-store';

/**
 * The package's node set plus a module that only captures the RED object the runtime hands
 * the nodes, whose httpNode app serves msg.url.
 */
function withCapture(): { modules: NodeInitializer[]; red: () => { httpNode: http.RequestListener; httpAdmin: http.RequestListener } } {
  let captured: { httpNode: http.RequestListener; httpAdmin: http.RequestListener } | undefined;
  const capture = ((red: unknown) => {
    captured = red as { httpNode: http.RequestListener; httpAdmin: http.RequestListener };
  }) as unknown as NodeInitializer;
  return {
    modules: [capture, ...NODE_MODULES],
    red: () => {
      if (!captured) throw new Error('the runtime did not load the capture module');
      return captured;
    },
  };
}

describe('msg.url: the audio at the Public URL', function () {
  this.timeout(20000);
  let url = '';
  const tone = useToneSimulator((u) => (url = u));

  /** Serves whatever httpNode app the current test loaded (503 when none). */
  let nodeApp: http.RequestListener | undefined;
  let nodeServer: http.Server;
  let nodeBase = '';

  before(async () => {
    nodeServer = http.createServer((req, res) => {
      if (nodeApp) return nodeApp(req, res);
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((r) => nodeServer.listen(0, '127.0.0.1', () => r()));
    nodeBase = `http://127.0.0.1:${(nodeServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => nodeServer.close(() => r()));
  });
  beforeEach(() => {
    nodeApp = undefined;
  });

  afterEach(() => {
    helper.settings({});
  });

  /** Loads the flow; the Public URL points at our port, which serves the app the links are on (`app`). */
  async function loadServed(
    serverProps: Record<string, unknown> = {},
    props: Record<string, unknown> = {},
    app: 'httpNode' | 'httpAdmin' = 'httpNode',
  ): Promise<{ httpNode: http.RequestListener; httpAdmin: http.RequestListener }> {
    const fresh = withCapture();
    await helper.load(fresh.modules, buildFlow({ type: 'voxcpm-tts', url, props, serverProps: { publicUrl: nodeBase, ...serverProps } }));
    await serverKnown();
    nodeApp = fresh.red()[app];
    return fresh.red();
  }

  it('is served over HTTP at the Public URL: 200 audio/wav with the same bytes, ranges, 404 for an unknown token', async () => {
    await loadServed();
    const msg = await expectSent({ payload: 'play me on the speaker' });
    const link = msg.url as string;
    assert.match(link, new RegExp(`^${nodeBase}/voxcpm/audio/[0-9a-f]{32}\\.wav$`));
    const res = await fetch(link);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(msg.payload as Buffer));

    const part = await fetch(link, { headers: { Range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    const size = (msg.payload as Buffer).length;
    assert.equal(part.headers.get('content-range'), `bytes 0-99/${size}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals((msg.payload as Buffer).subarray(0, 100)));
    const tail = await fetch(link, { headers: { Range: 'bytes=-10' } });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get('content-range'), `bytes ${size - 10}-${size - 1}/${size}`);
    const outside = await fetch(link, { headers: { Range: `bytes=${size}-` } });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), `bytes */${size}`);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    const head = await fetch(link, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(size));
    assert.equal(head.headers.get('content-type'), 'audio/wav');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    // The token names a WAV: the same token as .mp3 is not found.
    assert.equal((await fetch(link.replace(/\.wav$/, '.mp3'))).status, 404);

    const unknown = await fetch(`${nodeBase}/voxcpm/audio/${'0'.repeat(32)}.wav`);
    assert.equal(unknown.status, 404);
    const garbage = await fetch(`${nodeBase}/voxcpm/audio/..%2f..%2fetc%2fpasswd`);
    assert.equal(garbage.status, 404);
    // A cached result gets a link too: the first one, while it lives.
    const again = await expectSent({ payload: 'play me on the speaker' });
    assert.equal(again.cached, true);
    assert.equal(again.url, link);
    assert.equal((await fetch(again.url as string)).status, 200);
  });

  it('expires after the Link life (urlTtl)', async () => {
    await loadServed({ urlTtl: 0.3 });
    const msg = await expectSent({ payload: 'short lived' });
    assert.equal((await fetch(msg.url as string)).status, 200);
    await sleep(450);
    assert.equal((await fetch(msg.url as string)).status, 404);
  });

  it('is left out when the Link life is 0', async () => {
    await loadServed({ urlTtl: 0 });
    const msg = await expectSent({ payload: 'no link' });
    assert.equal(msg.url, undefined);
  });

  it('with streaming, each piece has a link of its own', async () => {
    await loadServed({}, { maxChunk: 150, streaming: true });
    const text = longChinese('己');
    const seen = await gather(() => helper.getNode(IDS.node).receive({ payload: text } as never), 5, { settleMs: 400 });
    const urls = seen.map((s) => s.msg.url as string);
    assert.equal(new Set(urls).size, seen.length);
    for (const [i, u] of urls.entries()) {
      const res = await fetch(u);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(seen[i].msg.payload as Buffer));
    }
  });

  // The URL store keeps its own copy: a flow that changes msg.payload in place (a function
  // node, a volume node) must not change what a speaker later fetches from msg.url.
  it('what msg.url serves does not change when the flow changes msg.payload in place', async () => {
    await loadServed();
    const msg = await expectSent({ payload: 'mutable payload' });
    const original = Buffer.from(msg.payload as Buffer);
    (msg.payload as Buffer).fill(0, 44);
    const res = await fetch(msg.url as string);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(original), 'msg.url serves the changed bytes');
  });

  // A repeated phrase comes from the cache: it keeps the first message's link (no new copy, no
  // second file for a long one), and each message still has a payload of its own to change.
  it('a repeated phrase (a cache hit) keeps the link of the first; changing either payload changes nothing served', async () => {
    await loadServed();
    const first = await expectSent({ payload: 'say it again' });
    const original = Buffer.from(first.payload as Buffer);
    (first.payload as Buffer).fill(0, 44);
    const second = await expectSent({ payload: 'say it again' });
    assert.equal(second.cached, true);
    assert.equal(second.url, first.url);
    assert.ok((second.payload as Buffer).equals(original), 'the cache kept the bytes as they came');
    (second.payload as Buffer).fill(0, 44);
    const res = await fetch(second.url as string);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(original), 'msg.url serves the bytes as they came');
    const third = await expectSent({ payload: 'say it again' });
    assert.equal(third.url, first.url);
    assert.ok((third.payload as Buffer).equals(original));
  });

  it('an MP3 result (audio/mpeg) is a .mp3 link served as audio/mpeg, from memory and from a file, with ranges and HEAD', async () => {
    helper.settings({ userDir: tone.tmpDir() });
    await loadServed();
    // The store of the node set the runtime loaded (the same build, wherever VOXCPM_NODES_DIR points).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { audioStore } = require(path.join(NODES_DIR, 'glue', 'audio-links.js')) as { audioStore: UrlStore };
    const small = Buffer.from([0xff, 0xfb, 0x90, 0x64, ...Array.from({ length: 996 }, (_, i) => i & 0xff)]);
    const large = Buffer.alloc(5 * 1024 * 1024, 0x55);
    for (const mp3 of [small, large]) {
      const kept = audioStore.put(mp3, 'audio/mpeg', 60000);
      if ('refused' in kept) throw new Error(kept.refused);
      assert.equal(kept.where, mp3 === small ? 'memory' : 'disk');
      for (let i = 0; mp3 === large && !audioStore.open(kept.token, 'mp3')?.file; i++) {
        if (i > 200) throw new Error('the file was not written within 2 s');
        await sleep(10);
      }
      const link = `${nodeBase}/voxcpm/audio/${kept.token}.mp3`;
      const res = await fetch(link);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'audio/mpeg');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(mp3));
      const part = await fetch(link, { headers: { Range: 'bytes=4-' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 4-${mp3.length - 1}/${mp3.length}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(mp3.subarray(4)));
      const head = await fetch(link, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), String(mp3.length));
      assert.equal((await fetch(link.replace(/\.mp3$/, '.wav'))).status, 404);
    }
  });

  describe('with httpNodeAuth (settings.js)', function () {
    const auth = { user: 'speaker', pass: '$2b$08$abcdefghijklmnopqrstuuJ0mq2dD2S7mGzO5b5S0L9oUu0Ba2n2i' };

    it('the link is on the admin app (httpAdminRoot), where httpNodeAuth does not apply; nothing is served on the node app', async () => {
      helper.settings({ httpNodeAuth: auth, httpAdminRoot: '/admin' });
      const apps = await loadServed({}, {}, 'httpAdmin');
      const msg = await expectSent({ payload: 'behind node auth' });
      const link = msg.url as string;
      assert.match(link, new RegExp(`^${nodeBase}/admin/voxcpm/audio/[0-9a-f]{32}\\.wav$`));
      // Our port serves the admin app at its root here: the path under it is what the route sees.
      const res = await fetch(link.replace('/admin/', '/'));
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(msg.payload as Buffer));
      const part = await fetch(link.replace('/admin/', '/'), { headers: { Range: 'bytes=10-19' } });
      assert.equal(part.status, 206);
      assert.deepEqual(warnings(helper.getNode(IDS.server)), []);
      nodeApp = apps.httpNode;
      assert.equal((await fetch(link.replace('/admin/', '/'))).status, 404);
    });

    it('httpAuth (the old setting for both) or an admin root that is off -> links on the node app and a warning at deploy', async () => {
      for (const settings of [{ httpAuth: auth }, { httpNodeAuth: auth, httpAdminRoot: false as const }]) {
        helper.settings(settings);
        await loadServed();
        const said = warnings(helper.getNode(IDS.server));
        assert.equal(said.length, 1, JSON.stringify(settings));
        assert.match(said[0], /httpNodeAuth.*401/);
        const msg = await expectSent({ payload: 'still a link' });
        assert.match(msg.url as string, new RegExp(`^${nodeBase}/voxcpm/audio/`));
        await helper.unload();
      }
    });

    it('httpNodeRoot false -> no msg.url, and a warning at deploy says why', async () => {
      helper.settings({ httpNodeRoot: false });
      await loadServed();
      assert.match(warnings(helper.getNode(IDS.server)).join('\n'), /httpNodeRoot is false/);
      const msg = await expectSent({ payload: 'no http' });
      assert.equal(msg.url, undefined);
    });
  });

  describe('results larger than the memory budget: files under the user directory', function () {
    /** About 60 s of tone (the simulator's most): 5.8 MB as 16-bit, 11.5 MB as float, over the 4 MB kept in memory. */
    const longText = (tag: string) => Array.from({ length: 130 }, (_, i) => `${tag} announcement, sentence ${i}.`).join(' ');
    let userDir = '';
    let folder = '';
    const ownFiles = () => (fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => /^voxcpm-[0-9a-f]{32}\.wav$/.test(f)) : []);
    const fileOf = (link: string) => path.join(folder, `voxcpm-${/([0-9a-f]{32})\.wav$/.exec(link)?.[1]}.wav`);
    async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
        await sleep(20);
      }
    }
    beforeEach(() => {
      userDir = tone.tmpDir();
      folder = path.join(userDir, 'voxcpm-audio');
      helper.settings({ userDir });
    });

    it('is served from a file (same bytes, ranges), survives a second long result, both files removed at expiry', async function () {
      this.timeout(60000);
      // Long enough a link life for both results to be made (a few seconds each) while the first lives.
      await loadServed({ urlTtl: 15 }, { maxChunk: 150 });
      const first = await expectSent({ payload: longText('First') });
      const firstWav = first.payload as Buffer;
      assert.ok(firstWav.length > 4 * 1024 * 1024, `${firstWav.length} bytes is not over the memory budget`);
      // The file appears when its write starts (the link serves from memory meanwhile): wait for all of it.
      const firstFile = fileOf(first.url as string);
      await until(() => fs.existsSync(firstFile) && fs.statSync(firstFile).size === firstWav.length, 'the first file written');
      assert.ok(fs.readFileSync(firstFile).equals(firstWav));
      const second = await expectSent({ payload: longText('Second') });
      await until(() => ownFiles().length === 2, 'both files there');
      for (const m of [first, second]) {
        const res = await fetch(m.url as string);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-length'), String((m.payload as Buffer).length));
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(m.payload as Buffer), 'the whole file');
      }
      const size = firstWav.length;
      const part = await fetch(first.url as string, { headers: { Range: `bytes=${size - 1000}-` } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes ${size - 1000}-${size - 1}/${size}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(firstWav.subarray(size - 1000)));
      const head = await fetch(second.url as string, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), String((second.payload as Buffer).length));
      assert.deepEqual(warnings(helper.getNode(IDS.node)), []);
      await until(() => ownFiles().length === 0, 'the files removed at expiry', 20000);
      assert.equal((await fetch(first.url as string)).status, 404);
      assert.equal((await fetch(second.url as string)).status, 404);
    });

    it('a restart removes the files; a leftover of ours is removed at start, a foreign file is left alone', async () => {
      fs.mkdirSync(folder, { recursive: true });
      const leftover = path.join(folder, `voxcpm-${'e'.repeat(32)}.wav`);
      const foreign = [path.join(folder, 'my-notes.txt'), path.join(folder, `voxcpm-${'f'.repeat(32)}.wav.keep`)];
      for (const f of [leftover, ...foreign]) fs.writeFileSync(f, 'x');
      await loadServed();
      await until(() => !fs.existsSync(leftover), 'the leftover removed at start');
      for (const f of foreign) assert.ok(fs.existsSync(f), `${f} was removed`);
      const long = await expectSent({ payload: longText('Restart') });
      await until(() => fs.existsSync(fileOf(long.url as string)), 'the file written');
      await helper.unload();
      await loadServed();
      await until(() => ownFiles().length === 0, 'the file removed at restart');
      assert.equal((await fetch(long.url as string)).status, 404);
      for (const f of foreign) assert.ok(fs.existsSync(f), `${f} was removed`);
    });

    it('a result that cannot be kept (the folder cannot be made) -> no msg.url and a warning that says why; small results still get links', async () => {
      fs.writeFileSync(folder, 'a file where the folder should be');
      await loadServed();
      const long = await expectSent({ payload: longText('Refused') });
      assert.equal(long.url, undefined);
      const said = warnings(helper.getNode(IDS.node));
      assert.equal(said.length, 1);
      assert.match(said[0], /No msg\.url for this result \([\d.]+ MB\): results over 4 MB are served from files in .*voxcpm-audio, which cannot be used/);
      const small = await expectSent({ payload: 'small enough' });
      assert.equal((await fetch(small.url as string)).status, 200);
    });
  });
});
