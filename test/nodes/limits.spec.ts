/**
 * One message must never take Node-RED down: huge texts and huge answers end
 * with one outcome within seconds, while a watchdog measures, in the same
 * process as the runtime, how long the event loop was held (perf_hooks), how
 * long Node-RED's own HTTP took to answer, and how far RSS rose.
 *
 * Bounds asserted, generous for a shared 2-core CI machine where the event-loop delay also
 * counts the time the OS gives other threads (measured alone: 10–100 ms; set
 * VOXCPM_WATCHDOG_LOG=1 to print the figures); before this bound existed, these cases held
 * the loop for 13 s to 3.5 minutes:
 * - event loop never held longer than EVENT_LOOP_MAX_MS at a time;
 * - Node-RED's HTTP answers a probe every 50 ms, none slower than PROBE_MAX_MS;
 * - RSS rises by less than RSS_MAX_MB over the test; resampling five minutes of
 *   48 kHz float (a 77 MB answer) by less than RESAMPLE_RSS_MAX_MB: the answer, its
 *   samples and wavefile's working set in the worker (~7 bytes per input byte).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { VoxcpmService } from '../../nodes/lib/service';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { calls, codeOf, helper, IDS, loadFlow, run, useSimulator, type ErrorMessage, type Outcome, type TestMessage } from '../support/runtime';

const EVENT_LOOP_MAX_MS = 250;
const PROBE_MAX_MS = 500;
const RSS_MAX_MB = 300;
const RESAMPLE_RSS_MAX_MB = 700;

interface Watch {
  stop(): Promise<{ maxLoopMs: number; maxProbeMs: number; probes: number; failedProbes: number; rssRiseMB: number }>;
}

/** Starts the watchdog: event-loop delay, an HTTP probe of Node-RED every 50 ms, RSS. */
function watch(): Watch {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const rss0 = process.memoryUsage.rss();
  let rssMax = rss0;
  let maxProbeMs = 0;
  let probes = 0;
  let failedProbes = 0;
  let stopped = false;
  const base = helper.url();
  const probe = async () => {
    while (!stopped) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const req = http.get(`${base}/settings`, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', () => {
          failedProbes++;
          resolve();
        });
      });
      maxProbeMs = Math.max(maxProbeMs, performance.now() - t0);
      probes++;
      rssMax = Math.max(rssMax, process.memoryUsage.rss());
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const probing = probe();
  return {
    async stop() {
      stopped = true;
      await probing;
      loop.disable();
      return {
        maxLoopMs: loop.max / 1e6,
        maxProbeMs,
        probes,
        failedProbes,
        rssRiseMB: (rssMax - rss0) / 2 ** 20,
      };
    },
  };
}

async function watched<T>(fn: () => Promise<T>, rssMaxMB = RSS_MAX_MB): Promise<T> {
  const w = watch();
  let result: T;
  try {
    result = await fn();
  } finally {
    const m = await w.stop();
    const figures = `event loop max ${m.maxLoopMs.toFixed(0)} ms, probe max ${m.maxProbeMs.toFixed(0)} ms over ${m.probes} probes, RSS +${m.rssRiseMB.toFixed(0)} MB`;
    if (process.env.VOXCPM_WATCHDOG_LOG) console.log(`      watchdog: ${figures}`);
    assert.ok(m.maxLoopMs < EVENT_LOOP_MAX_MS, `the event loop was held ${m.maxLoopMs.toFixed(0)} ms (${figures})`);
    assert.ok(m.maxProbeMs < PROBE_MAX_MS, `Node-RED's HTTP took ${m.maxProbeMs.toFixed(0)} ms to answer (${figures})`);
    assert.equal(m.failedProbes, 0, `Node-RED's HTTP failed ${m.failedProbes} probes`);
    assert.ok(m.rssRiseMB < rssMaxMB, `RSS rose ${m.rssRiseMB.toFixed(0)} MB (${figures})`);
  }
  return result;
}

/** Sends one message; its outcomes are counted, not kept (a long stream would hold its audio). */
async function outcomesOf(msg: TestMessage, count = 1, timeoutMs = 20000): Promise<Outcome[]> {
  return run([msg], { count, settleMs: 100, timeoutMs });
}

function caughtCode(outcomes: Outcome[]): string | undefined {
  assert.equal(outcomes.length, 1, `expected one outcome, got ${outcomes.length}`);
  const [o] = outcomes;
  assert.equal(o.kind, 'caught', 'expected an error through Catch');
  return codeOf(o.msg as ErrorMessage);
}

function service(): VoxcpmService {
  return (helper.getNode(IDS.server) as unknown as { service: VoxcpmService }).service;
}

describe('watchdog: one message cannot take Node-RED down', function () {
  this.timeout(60000);
  // A short tone per character keeps long texts' audio small and quick.
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: (t) => Math.max(0.05, [...t].length * 0.002) });
  let url = '';
  useSimulator(sim, (u) => (url = u));

  const huge = [
    { what: "'Dinner is ready soon. ' × 36,000 (0.8 MB)", text: () => 'Dinner is ready soon. '.repeat(36000), streaming: false },
    { what: "streaming, 'Dinner is ready. ' × 12,000", text: () => 'Dinner is ready. '.repeat(12000), streaming: true },
    {
      what: '10 MB of distinct sentences',
      text: () => Array.from({ length: 420000 }, (_, i) => `Sentence number ${i} is here.`).join(' '),
      streaming: false,
    },
  ];
  for (const c of huge) {
    it(`${c.what}: VOXCPM_INPUT_INVALID naming the limit at once, no request, Node-RED answering throughout`, async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { streaming: c.streaming } });
      const payload = c.text();
      const started = Date.now();
      const outcomes = await watched(() => outcomesOf({ payload }));
      assert.equal(caughtCode(outcomes), 'VOXCPM_INPUT_INVALID');
      assert.match((outcomes[0].msg as ErrorMessage).error.message, /limit is 20000/);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      assert.equal(calls(sim).length, 0, 'a request reached the server');
    });
  }

  it('the same text in voxcpm-clone: refused before the reference file is read', async () => {
    await loadFlow({ type: 'voxcpm-clone', url, props: { reference: '/nonexistent/never-read.wav' } });
    const outcomes = await outcomesOf({ payload: 'x'.repeat(20001) });
    assert.equal(caughtCode(outcomes), 'VOXCPM_INPUT_INVALID');
    assert.match((outcomes[0].msg as ErrorMessage).error.message, /text is 20001 characters long; the limit is 20000/);
  });

  it('the text limit is a server setting; a prompt over it is refused too', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, serverProps: { maxText: '50' } });
    let outcomes = await outcomesOf({ payload: 'a'.repeat(51) });
    assert.equal(caughtCode(outcomes), 'VOXCPM_INPUT_INVALID');
    outcomes = await outcomesOf({ payload: 'Hello.', prompt: 'p'.repeat(51) });
    assert.match((outcomes[0].msg as ErrorMessage).error.message, /prompt is 51 characters long; the limit is 50/);
    // Characters are code points: 50 emoji (100 UTF-16 units) pass.
    outcomes = await outcomesOf({ payload: '🎉'.repeat(50), cleanText: false });
    assert.equal(outcomes[0].kind, 'sent');
  });

  it('a text just under the limit: its pieces go out through a window of 2 (one server, concurrency 1), one outcome', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const text = Array.from({ length: 690 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    assert.ok(text.length < 20000 && text.length > 19000);
    let maxOut = 0;
    const s = service();
    const sampler = setInterval(() => {
      const st = s.state();
      maxOut = Math.max(maxOut, st.queued + st.inflight);
    }, 2);
    try {
      const outcomes = await watched(() => outcomesOf({ payload: text }));
      assert.equal(outcomes.length, 1);
      assert.equal(outcomes[0].kind, 'sent');
    } finally {
      clearInterval(sampler);
    }
    assert.ok(maxOut <= 2, `${maxOut} requests were queued or in flight at once`);
    assert.equal(s.limits.window, 2);
    assert.ok(calls(sim).length > 100, `only ${calls(sim).length} pieces`);
  });

  it("identical pieces share one server call and one buffer: 'Dinner is ready soon. ' × 900", async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const outcomes = await watched(() => outcomesOf({ payload: 'Dinner is ready soon. '.repeat(900) }));
    assert.equal(outcomes[0].kind, 'sent');
    const texts = new Set(calls(sim).map((r) => (r.body as { text: string }).text));
    assert.equal(calls(sim).length, texts.size, 'a piece was asked for twice');
  });

  it('the joined audio is checked as it grows: over the response limit it fails early, after few requests', async () => {
    // 1 MB limit; each piece of ~150 characters is ~0.3 s of 48 kHz float: ~58 kB. 1 MB is passed after ~18 pieces of ~130.
    await loadFlow({ type: 'voxcpm-tts', url, serverProps: { maxResponseMB: '1' } });
    const text = Array.from({ length: 690 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const outcomes = await watched(() => outcomesOf({ payload: text }));
    assert.equal(caughtCode(outcomes), 'VOXCPM_INPUT_INVALID');
    const message = (outcomes[0].msg as ErrorMessage).error.message;
    const m = /after (\d+) of (\d+) pieces/.exec(message);
    assert.ok(m, message);
    assert.ok(Number(m[1]) < Number(m[2]) / 2, message);
    assert.ok(calls(sim).length <= Number(m[1]) + 2, `${calls(sim).length} requests for ${m[1]} pieces used`);
  });

  it('streaming a text just under the limit: every piece sent, in order, memory flat', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, props: { streaming: true } });
    const text = 'Dinner is ready. '.repeat(1150);
    const node = helper.getNode(IDS.out) as unknown as NodeJS.EventEmitter;
    let pieces = 0;
    let count = 0;
    let inOrder = true;
    node.on('input', (msg: TestMessage & { parts: { index: number; count: number } }) => {
      inOrder &&= msg.parts.index === pieces;
      count = msg.parts.count;
      pieces++;
    });
    await watched(async () => {
      helper.getNode(IDS.node).receive({ payload: text });
      const end = Date.now() + 30000;
      while ((count === 0 || pieces < count) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    });
    assert.ok(count > 100, `${count} pieces`);
    assert.equal(pieces, count);
    assert.ok(inOrder, 'pieces out of order');
  });
});

/** A WAV of `frames` frames, mono, as given (sample bytes left as zeros, or 0x80 for 8-bit silence). */
function wavOf(frames: number, sampleRate: number, format: 'pcm8' | 'float32'): Buffer {
  const bytes = format === 'pcm8' ? 1 : 4;
  const wav = Buffer.alloc(44 + frames * bytes, format === 'pcm8' ? 0x80 : 0);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + frames * bytes, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(format === 'pcm8' ? 1 : 3, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * bytes, 28);
  wav.writeUInt16LE(bytes, 32);
  wav.writeUInt16LE(bytes * 8, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(frames * bytes, 40);
  if (format === 'float32') for (let i = 0; i < frames; i++) wav.writeFloatLE(0.25 * Math.sin(i / 20), 44 + 4 * i);
  return wav;
}

/** A server that answers every request with the same (large) valid answer; probes get the API's refusal. */
async function answerServer(wav: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  // Bytes ready to write: the server lives in this process and must not hold its event loop either.
  const answer = Buffer.from(JSON.stringify({ status: 'success', sample_rate: wav.readUInt32LE(24), audio: wav.toString('base64') }));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const probe = (JSON.parse(Buffer.concat(chunks).toString()) as { text: string }).text === '';
      res.setHeader('content-type', 'application/json');
      res.end(probe ? '{"status":"error","message":"text cannot be empty"}' : answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('watchdog: huge answers and heavy audio work cannot freeze Node-RED', function () {
  this.timeout(60000);
  let eightBit: { url: string; close(): Promise<void> };
  let fiveMinutes: { url: string; close(): Promise<void> };

  before(async () => {
    // 26 MB of 8-bit audio at 1 kHz (7 hours), and five minutes of 48 kHz float (55 MB): valid answers.
    eightBit = await answerServer(wavOf(26 * 1024 * 1024, 1000, 'pcm8'));
    fiveMinutes = await answerServer(wavOf(300 * 48000, 48000, 'float32'));
  });
  after(async () => {
    await eightBit.close();
    await fiveMinutes.close();
  });
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });

  it('26 MB of 8-bit 1 kHz audio to be resampled to 16 kHz: refused from its header (416 MB > the limit), Node-RED answering', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: eightBit.url, props: { sampleRate: 16000 } });
    const started = Date.now();
    const outcomes = await watched(() => outcomesOf({ payload: 'Hello there.' }));
    assert.equal(caughtCode(outcomes), 'VOXCPM_INPUT_INVALID');
    assert.match((outcomes[0].msg as ErrorMessage).error.message, /would take 41\d(\.\d)? MB, more than the response limit of 100 MB/);
    assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms`);
  });

  it('five minutes of 48 kHz float resampled to 16 kHz: done in the worker thread, Node-RED answering throughout', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: fiveMinutes.url, props: { sampleRate: 16000 }, serverProps: { timeout: '60' } });
    const outcomes = await watched(() => outcomesOf({ payload: 'Hello there.' }, 1, 50000), RESAMPLE_RSS_MAX_MB);
    assert.equal(outcomes[0].kind, 'sent');
    assert.equal(outcomes[0].msg.sampleRate, 16000);
    assert.equal(Math.round(outcomes[0].msg.duration as number), 300);
  });

  // Since resampling got fast (Speex, typed arrays: ~1 s for these five minutes), the work that must
  // outlast a 2 s timeout or a reset at 1.5 s is the whole chain: resampling, speed, loudness and MP3 (~7 s).
  const HEAVY = { sampleRate: 44100, speed: 0.75, loudness: -16, audioFormat: 'mp3' };

  it('the same work ends at msg.timeout: VOXCPM_TIMEOUT in time, and the node keeps working', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: fiveMinutes.url, props: HEAVY, serverProps: { timeout: '60' } });
    const started = Date.now();
    const outcomes = await watched(() => outcomesOf({ payload: 'Hello there.', timeout: 2 }), RESAMPLE_RSS_MAX_MB);
    assert.equal(caughtCode(outcomes), 'VOXCPM_TIMEOUT');
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  });

  it('the same work ends at msg.reset and at a redeploy, at once', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: fiveMinutes.url, props: HEAVY, serverProps: { timeout: '60' } });
    const node = helper.getNode(IDS.node);
    const resetAt = { t: 0 };
    const outcome = run([{ payload: 'Hello there.' }], { count: 1, settleMs: 50, timeoutMs: 10000 });
    setTimeout(() => {
      resetAt.t = Date.now();
      node.receive({ reset: true });
    }, 1500);
    const [o] = await outcome;
    assert.equal(caughtCode([o]), 'VOXCPM_ABORTED');
    assert.ok(Date.now() - resetAt.t < 500, `ended ${Date.now() - resetAt.t} ms after the reset`);
    // A redeploy during the work: close completes at once.
    node.receive({ payload: 'Hello again.' });
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await helper.unload();
    assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
  });
});
