/**
 * msg.url: the audio served at the server's Public URL (nodes/glue/audio-links.ts), fetched over
 * real HTTP: the runtime's httpNode app (what the helper gives the nodes as RED.httpNode) is
 * served on a port of our own, and the server's Public URL points at it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeInitializer } from 'node-red';
import { sleep } from '../support/faults';
import { gather, longChinese, useToneSimulator } from '../support/flows';
import { buildFlow, expectSent, helper, IDS, NODE_MODULES, serverKnown } from '../support/runtime';

/**
 * The package's node set plus a module that only captures the RED object the runtime hands
 * the nodes, whose httpNode app serves msg.url.
 */
function withCapture(): { modules: NodeInitializer[]; red: () => { httpNode: http.RequestListener } } {
  let captured: { httpNode: http.RequestListener } | undefined;
  const capture = ((red: unknown) => {
    captured = red as { httpNode: http.RequestListener };
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
  useToneSimulator((u) => (url = u));

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

  async function loadServed(serverProps: Record<string, unknown> = {}, props: Record<string, unknown> = {}): Promise<void> {
    const fresh = withCapture();
    await helper.load(fresh.modules, buildFlow({ type: 'voxcpm-tts', url, props, serverProps: { publicUrl: nodeBase, ...serverProps } }));
    await serverKnown();
    nodeApp = fresh.red().httpNode;
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

    const unknown = await fetch(`${nodeBase}/voxcpm/audio/${'0'.repeat(32)}.wav`);
    assert.equal(unknown.status, 404);
    const garbage = await fetch(`${nodeBase}/voxcpm/audio/..%2f..%2fetc%2fpasswd`);
    assert.equal(garbage.status, 404);
    // A cached result gets a link of its own too.
    const again = await expectSent({ payload: 'play me on the speaker' });
    assert.equal(again.cached, true);
    assert.notEqual(again.url, link);
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
});
