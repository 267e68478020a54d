/**
 * `npm run soak`: 10,000 messages through a real Node-RED process (voxcpm-tts,
 * its Catch node) against the simulator, with faults mixed in, and huge inputs:
 * texts ten times the text limit (refused at once), texts just under it (130
 * pieces each), answers of 30 MB and answers over the 100 MB response limit.
 * Prints messages in and out, outcomes by code, duplicates and lost messages
 * (both must be 0), and Node-RED's heap, buffers and RSS after a full GC at
 * the start, middle and end (must stay flat; msg.url links live 10 s here).
 * Every tenth message repeats one of 20 phrases (a cache hit); every other
 * text is new, so it goes to the server.
 *
 *   node dist/tools/soak.js [--messages 10000] [--port 1897]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlowNode, launchNodeRed, ROOT } from './launch';
import { SimFault, VoxCpmSimulator } from '../simulator/simulator';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const TOTAL = arg('messages', 10000);
const BATCH = 50;
/** Kept under the queue limit (100): the soak measures faults and memory, not QUEUE_FULL. */
const MAX_OUTSTANDING = 80;

/** The faults mixed in, each for the next 1–3 requests. */
const FAULTS: SimFault[] = [
  { kind: 'reset-mid-answer' },
  { kind: 'reset' },
  { kind: 'html-502' },
  { kind: 'inference-failed' },
  { kind: 'error-in-200', message: 'inference failed' },
  { kind: 'bad-base64' },
  { kind: 'not-wav' },
  { kind: 'slow', ms: 30 },
  { kind: 'loading', seconds: 0.2 },
  // Huge answers: 30 MB is worked on; 120 MB passes the response limit (100 MB) and is cut off.
  { kind: 'oversize', bytes: 30 * 1024 * 1024 },
  { kind: 'oversize', bytes: 120 * 1024 * 1024 },
];

/** Every this many messages, a text ten times the text limit (refused before any work). */
const HUGE_EVERY = 250;
/** Every this many messages, a text just under the text limit (20,000 characters): ~130 pieces. */
const LONG_EVERY = 1000;

/** Every this many messages, one of PHRASES phrases said before: a cache hit, whose msg.url is the earlier link while it lives. */
const REPEAT_EVERY = 10;
const PHRASES = 20;

function soakText(seq: number): string {
  if (seq % HUGE_EVERY === HUGE_EVERY - 1) return `Message ${seq}: ${'Dinner is ready soon. '.repeat(9100)}`;
  if (seq % LONG_EVERY === LONG_EVERY / 2) {
    return Array.from({ length: 660 }, (_, i) => `Message ${seq}, sentence ${i} is here.`).join(' ').slice(0, 19900);
  }
  if (seq % REPEAT_EVERY === 3) return `Phrase ${Math.floor(seq / REPEAT_EVERY) % PHRASES}: someone is at the door.`;
  return `Message ${seq}: the washing machine is done.`;
}

interface Stats {
  sent: number;
  outcomes: number;
  audio: number;
  cached: number;
  codes: Record<string, number>;
  duplicates: number;
  badAudio: number;
}

const MB = (bytes: number) => Math.round(bytes / 104857.6) / 10;

function soakFlows(url: string): FlowNode[] {
  const z = 'soaktab';
  return [
    { id: z, type: 'tab', label: 'soak' },
    // Links live 10 s (not the default 10 min), so that msg.url results expire many times over during the
    // run and a flat heap shows expiry frees them; with 10 min every result of the run would still be live.
    { id: 'soaksrv', type: 'voxcpm-server', url, timeout: '60', concurrency: '2', queueLimit: '100', retries: '3', urlTtl: '10' },
    { id: 'soakin', type: 'http in', z, url: '/soak/send', method: 'post', upload: false, wires: [['soakfan']] },
    {
      id: 'soakfan',
      type: 'function',
      z,
      outputs: 2,
      // One HTTP request carries a batch: each item becomes its own message.
      func: `const s = global.get('soak') || { sent: 0, outcomes: 0, audio: 0, cached: 0, codes: {}, seen: {}, duplicates: 0, badAudio: 0 };
global.set('soak', s);
for (const m of msg.payload) { s.sent++; node.send([{ payload: m.text, seq: m.seq, priority: m.priority }, null]); }
return [null, { res: msg.res, req: msg.req, payload: { ok: true }, statusCode: 200 }];`,
      wires: [['soaktts'], ['soakres']],
    },
    { id: 'soakres', type: 'http response', z, wires: [] },
    { id: 'soaktts', type: 'voxcpm-tts', z, server: 'soaksrv', prompt: '', wires: [['soakok']] },
    {
      id: 'soakok',
      type: 'function',
      z,
      outputs: 1,
      func: `const s = global.get('soak'); s.outcomes++;
if (s.seen[msg.seq]) s.duplicates++; s.seen[msg.seq] = 1;
if (!Buffer.isBuffer(msg.payload) || msg.payload.toString('latin1', 0, 4) !== 'RIFF') s.badAudio++; else s.audio++;
if (msg.cached === true) s.cached++;
return null;`,
      wires: [],
    },
    { id: 'soakcatch', type: 'catch', z, scope: ['soaktts'], uncaught: false, wires: [['soakerr']] },
    {
      id: 'soakerr',
      type: 'function',
      z,
      outputs: 1,
      func: `const s = global.get('soak'); s.outcomes++;
if (s.seen[msg.seq]) s.duplicates++; s.seen[msg.seq] = 1;
const c = (msg.error && msg.error.code) || 'NO_CODE'; s.codes[c] = (s.codes[c] || 0) + 1;
return null;`,
      wires: [],
    },
    { id: 'soakmemin', type: 'http in', z, url: '/soak/memory', method: 'get', upload: false, wires: [['soakmem']] },
    {
      id: 'soakmem',
      type: 'function',
      z,
      outputs: 1,
      // A full collection first: what is left is what the runtime really holds.
      func: `global.get('gc')(); global.get('gc')();
const m = global.get('memoryUsage')();
msg.payload = { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
return msg;`,
      wires: [['soakres']],
    },
    { id: 'soakstatsin', type: 'http in', z, url: '/soak/stats', method: 'get', upload: false, wires: [['soakstats']] },
    {
      id: 'soakstats',
      type: 'function',
      z,
      outputs: 1,
      func: `const s = global.get('soak') || { sent: 0, outcomes: 0, audio: 0, cached: 0, codes: {}, duplicates: 0, badAudio: 0 };
msg.payload = { sent: s.sent, outcomes: s.outcomes, audio: s.audio, cached: s.cached, codes: s.codes, duplicates: s.duplicates, badAudio: s.badAudio };
return msg;`,
      wires: [['soakres']],
    },
  ];
}

async function main(): Promise<void> {
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.5 });
  const url = await sim.start();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-soak-'));
  const nodeRed = await launchNodeRed({ userDir, port: arg('port', 1897), flows: soakFlows(url), packageDir: ROOT, quiet: true, exposeGc: true });
  const stats = async (): Promise<Stats> => (await (await fetch(`${nodeRed.url}/soak/stats`)).json()) as Stats;
  const memory: Array<{ when: string; rss: number; heap: number; buffers: number }> = [];
  const sample = async (when: string) => {
    const m = (await (await fetch(`${nodeRed.url}/soak/memory`)).json()) as { rss: number; heapUsed: number; arrayBuffers: number };
    memory.push({ when, rss: MB(m.rss), heap: MB(m.heapUsed), buffers: MB(m.arrayBuffers) });
  };
  const checkpoints = new Map([
    [Math.min(1000, TOTAL), 'start (after 1,000 warm-up messages)'],
    [Math.floor(TOTAL / 4), '25 %'],
    [Math.floor(TOTAL / 2), 'middle'],
    [Math.floor((TOTAL * 3) / 4), '75 %'],
  ]);
  let seq = 0;
  let faultsSet = 0;
  const started = Date.now();
  // A deterministic mix: the same run every time.
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  try {
    while (seq < TOTAL) {
      const s = await stats();
      if (s.sent - s.outcomes > MAX_OUTSTANDING - BATCH) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const checkpoint = checkpoints.get(seq);
      if (checkpoint && !memory.some((m) => m.when === checkpoint)) {
        // Sampled once the messages sent so far are all done, so the queue is empty.
        if (s.outcomes < s.sent) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        await sample(checkpoint);
      }
      if (random() < 0.15) {
        sim.setFault({ ...FAULTS[Math.floor(random() * FAULTS.length)], times: 1 + Math.floor(random() * 3) } as SimFault);
        faultsSet++;
      }
      const batch = [];
      for (let i = 0; i < BATCH && seq < TOTAL; i++, seq++) {
        batch.push({ seq, text: soakText(seq), priority: seq % 10 === 0 ? 5 : 0 });
      }
      const res = await fetch(`${nodeRed.url}/soak/send`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) });
      if (!res.ok) throw new Error(`send: HTTP ${res.status}`);
    }
    let s = await stats();
    const end = Date.now() + 120_000;
    while (s.outcomes < TOTAL && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      s = await stats();
    }
    await new Promise((r) => setTimeout(r, 1000));
    s = await stats();
    await sample('end');
    const seconds = (Date.now() - started) / 1000;
    const lost = TOTAL - (s.outcomes - s.duplicates);
    console.log(`soak: ${TOTAL} messages through voxcpm-tts in a real Node-RED process, ${faultsSet} faults mixed in, ${seconds.toFixed(1)} s`);
    console.log('| figure | value |');
    console.log('|---|---|');
    console.log(`| messages in | ${s.sent} |`);
    console.log(`| messages out (audio + caught errors) | ${s.outcomes} |`);
    console.log(`| audio (valid WAV) | ${s.audio} |`);
    console.log(`| of which from the cache (every ${REPEAT_EVERY}th message repeats one of ${PHRASES} phrases) | ${s.cached} |`);
    for (const [code, n] of Object.entries(s.codes).sort()) console.log(`| caught ${code} | ${n} |`);
    console.log(`| duplicates | ${s.duplicates} |`);
    console.log(`| lost | ${lost} |`);
    console.log(`| output that was not a WAV | ${s.badAudio} |`);
    for (const m of memory) console.log(`| Node-RED after a full GC, ${m.when} | RSS ${m.rss} MB, heap used ${m.heap} MB, buffers ${m.buffers} MB |`);
    console.log(`| simulator requests (incl. probes and retries) | ${sim.requests.length} |`);
    const last = memory[memory.length - 1];
    const heapGrowth = last.heap - memory[0].heap;
    const bufferGrowth = last.buffers - memory[0].buffers;
    // RSS against the highest of the first half (start and 25 %): the allocator keeps some of what a 30 MB answer
    // used, so RSS moves by tens of MB from sample to sample; a leak climbs past all of them.
    const rssGrowth = last.rss - Math.max(...memory.slice(0, Math.floor(memory.length / 2)).map((m) => m.rss));
    // Flat: after a full GC, the heap may not grow by more than noise (5 MB) after the warm-up, nor the
    // buffers (audio: the cache's 64 MB and msg.url's 32 MB in memory are full by then) by more than 50 MB.
    const hugeRefused = s.codes.VOXCPM_INPUT_INVALID ?? 0;
    const ok =
      s.duplicates === 0 && lost === 0 && s.badAudio === 0 && s.sent === TOTAL &&
      heapGrowth < 5 && bufferGrowth < 50 && rssGrowth < 50 && s.cached > 0 && hugeRefused >= Math.floor(TOTAL / HUGE_EVERY);
    console.log(
      `soak: ${ok ? 'PASS' : 'FAIL'} (duplicates ${s.duplicates}, lost ${lost}, huge texts refused ${hugeRefused}, growth after warm-up: heap ${heapGrowth.toFixed(1)} MB (limit 5), buffers ${bufferGrowth.toFixed(1)} MB (limit 50), RSS past the first half's highest ${rssGrowth.toFixed(1)} MB (limit 50))`,
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await nodeRed.stop();
    await sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
