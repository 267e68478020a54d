/**
 * `npm run bench`: what the nodes add to a synthesis, measured against a
 * server that answers instantly (the simulator's WAVs, answered from memory).
 * Prints a table with each target met or not, and writes it into README.md
 * between the bench markers. Not a test: the numbers depend on the machine.
 *
 * `node --expose-gc dist/tools/bench.js --steps` runs only the audio steps'
 * rows (wav16, mp3, speed, loudness, resampling of 60 s of 48 kHz float mono)
 * and prints them without touching the READMEs; `--steps --json` prints the
 * medians as JSON, which is how the rows get their one-core figures (the steps
 * re-run in a child process under `taskset -c 0` when taskset is there).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node, NodeInitializer, NodeMessage } from 'node-red';
import { convertSamples, decodeFloat32 } from '../nodes/lib/audio';
import { decodeBase64Text } from '../nodes/lib/base64';
import { normalizeLoudness } from '../nodes/lib/loudness';
import { timeStretch } from '../nodes/lib/time-stretch';
import { parseWav } from '../nodes/lib/wav';
import { launchNodeRed } from './launch';
import { encodeWav } from '../simulator/simulator';
import { encodeMp3 } from '../nodes/lib/mp3';

const ROOT = path.resolve(__dirname, '..', '..');
helper.init(require.resolve('node-red'));
// The node set as Node-RED loads it (package.json node-red.nodes).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the built node set, at a path known only at run time
const NODES = [require(path.join(ROOT, 'dist', 'nodes', 'voxcpm.js')) as NodeInitializer];

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`;
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** A WAV of `seconds` of float32 mono at 48 kHz, as VoxCPM2 makes it. */
function wavOf(seconds: number): Buffer {
  const n = Math.round(48000 * seconds);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = 0.2 * Math.sin(i / 17) * Math.sin(i / 4001);
  return encodeWav(samples, 48000, 'float32');
}

/**
 * The fake GPU: answers every POST with a prepared body at once, or after
 * `msPerChar` per character of the text (for the streaming figure).
 */
async function instantServer(bodies: Map<string, Buffer>, pick: (text: string) => string, msPerChar = 0) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let text = '';
      try {
        text = String((JSON.parse(Buffer.concat(chunks).toString()) as { text?: unknown }).text ?? '');
      } catch {
        /* answered below */
      }
      const answer = () => {
        if (!text) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"status":"error","message":"text cannot be empty"}');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(bodies.get(pick(text)));
      };
      if (msPerChar > 0 && text) setTimeout(answer, text.length * msPerChar);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const body = (wav: Buffer) => Buffer.from(JSON.stringify({ status: 'success', sample_rate: 48000, audio: wav.toString('base64') }));

interface FlowOptions {
  url: string;
  server?: Record<string, unknown>;
  node?: Record<string, unknown>;
}

async function load(o: FlowOptions): Promise<{ tts: Node; out: Node }> {
  await helper.load(NODES, <Parameters<typeof helper.load>[1]>[
    { id: 'tab', type: 'tab' },
    { id: 'srv', type: 'voxcpm-server', url: o.url, timeout: '120', ...o.server },
    { id: 'tts', type: 'voxcpm-tts', z: 'tab', server: 'srv', prompt: '', ...o.node, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ]);
  await new Promise((r) => setTimeout(r, 200)); // the first health probe
  return { tts: helper.getNode('tts'), out: helper.getNode('out') };
}

/** Sends one message and resolves with the milliseconds until its output. */
function timeOne(tts: Node, out: Node, msg: NodeMessage & Record<string, unknown>): Promise<{ ms: number; msg: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const t0 = now();
    (out as unknown as NodeJS.EventEmitter).once('input', (m: Record<string, unknown>) => resolve({ ms: now() - t0, msg: m }));
    tts.receive(msg);
  });
}

interface Row {
  figure: string;
  value: string;
  target: string;
  met: boolean | undefined;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const durations = [1, 10, 60];
  const bodies = new Map(durations.map((d) => [String(d), body(wavOf(d))]));
  const srv = await instantServer(bodies, (text) => text.split(':')[0]);
  await new Promise<void>((r) => helper.startServer(() => r()));

  // 1. Node overhead vs a bare node:http call doing the same request (keep-alive, the body read as text and parsed once).
  const agent = new http.Agent({ keepAlive: true });
  const direct = (json: unknown) => new Promise<string>((resolve, reject) => {
    const data = JSON.stringify(json);
    const req = http.request(`${srv.url}/api/tts`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve(Buffer.concat(parts).toString('utf8'))).on('error', reject);
    });
    req.on('error', reject).end(data);
  });
  const { tts, out } = await load({ url: srv.url });
  for (const d of durations) {
    const bare: number[] = [];
    const node: number[] = [];
    const runs = d === 60 ? 15 : 40;
    for (let i = 0; i < runs + 3; i++) {
      const text = `${d}: bench message ${i} ${Math.random()}`;
      // Each call starts with no garbage left by the one before (a full GC), so the
      // figures compare the work of each path, not when the collector happens to run.
      const timeBare = async () => {
        global.gc?.();
        const t0 = now();
        const res = await direct({ text, prompt: '', audio: '', reference_text: '' });
        Buffer.from((JSON.parse(res) as { audio: string }).audio, 'base64');
        return now() - t0;
      };
      const timeNode = async () => {
        global.gc?.();
        return (await timeOne(tts, out, { payload: text })).ms;
      };
      // Alternate which goes first, so neither always runs on a warmer or colder process.
      let b: number;
      let n: number;
      if (i % 2 === 0) {
        b = await timeBare();
        n = await timeNode();
      } else {
        n = await timeNode();
        b = await timeBare();
      }
      if (i >= 3) {
        bare.push(b);
        node.push(n);
      }
    }
    const overhead = node.map((n, i) => n - bare[i]);
    const med = median(overhead);
    const pct = (100 * med) / median(bare);
    rows.push({
      figure: `node overhead, ${d} s of audio (bare node:http ${ms(median(bare))})`,
      value: `median ${ms(med)} (${pct.toFixed(1)} %), p95 ${ms(quantile(overhead, 0.95))}`,
      target: 'median < 2 ms and < 5 %',
      met: med < 2 && pct < 5,
    });
  }

  // 2. Cache hits: latency, and the hit rate of a repeated-phrase workload.
  const hits: number[] = [];
  await timeOne(tts, out, { payload: '1: the doorbell rang' });
  for (let i = 0; i < 50; i++) hits.push((await timeOne(tts, out, { payload: '1: the doorbell rang' })).ms);
  rows.push({ figure: 'cache hit latency (1 s phrase)', value: `median ${ms(median(hits))}, p95 ${ms(quantile(hits, 0.95))}`, target: 'median < 1 ms', met: median(hits) < 1 });
  const phrases = Array.from({ length: 20 }, (_, i) => `1: announcement number ${i}`);
  let cached = 0;
  const total = 500;
  let seed = 7;
  for (let i = 0; i < total; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    // A few phrases are said often, most rarely (Zipf-like), as in a home.
    const k = Math.min(phrases.length - 1, Math.floor((phrases.length * (seed / 2 ** 31)) ** 2 / phrases.length));
    if ((await timeOne(tts, out, { payload: phrases[k] })).msg.cached === true) cached++;
  }
  rows.push({ figure: `cache hit rate, ${total} messages over 20 phrases`, value: `${((100 * cached) / total).toFixed(1)} %`, target: '(reported)', met: undefined });
  await helper.unload();

  // 3. Decoding and checking the WAV vs a plain Buffer.from(base64).
  const b64 = wavOf(60).toString('base64');
  const plain: number[] = [];
  const checked: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t0 = now();
    Buffer.from(b64, 'base64');
    plain.push(now() - t0);
    t0 = now();
    const wav = decodeBase64Text(b64);
    if (wav) parseWav(wav);
    checked.push(now() - t0);
  }
  const ratio = median(checked) / median(plain);
  rows.push({
    figure: 'decode + check a 60 s WAV vs Buffer.from(base64)',
    value: `${ms(median(checked))} vs ${ms(median(plain))} (${ratio.toFixed(1)}x)`,
    target: 'within 5x',
    met: ratio <= 5,
  });

  // 4. 1,000 messages queued at once, in a real Node-RED process (the test helper's
  // spies would keep every message alive and spoil the figure).
  {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-bench-'));
    const z = 'benchtab';
    const nodeRed = await launchNodeRed({
      userDir,
      port: 1896,
      packageDir: ROOT,
      quiet: true,
      exposeGc: true,
      flows: [
        { id: z, type: 'tab', label: 'bench' },
        { id: 'qsrv', type: 'voxcpm-server', url: srv.url, timeout: '300', queueLimit: '1000', cache: false },
        { id: 'qin', type: 'http in', z, url: '/bench/fan', method: 'post', upload: false, wires: [['qfan']] },
        {
          id: 'qfan',
          type: 'function',
          z,
          outputs: 2,
          func: "global.set('done', 0); for (let i = 0; i < 1000; i++) node.send([{ payload: '1: queued message ' + i }, null]); return [null, { res: msg.res, payload: 'ok' }];",
          wires: [['qtts'], ['qres']],
        },
        { id: 'qtts', type: 'voxcpm-tts', z, server: 'qsrv', prompt: '', wires: [['qdone']] },
        { id: 'qdone', type: 'function', z, func: "global.set('done', global.get('done') + 1); return null;", wires: [] },
        { id: 'qmemin', type: 'http in', z, url: '/bench/memory', method: 'get', upload: false, wires: [['qmem']] },
        {
          id: 'qmem',
          type: 'function',
          z,
          func: "global.get('gc')(); global.get('gc')(); const m = global.get('memoryUsage')(); msg.payload = { rss: m.rss, held: m.heapUsed + m.external, done: global.get('done') }; return msg;",
          wires: [['qres']],
        },
        { id: 'qcountin', type: 'http in', z, url: '/bench/count', method: 'get', upload: false, wires: [['qcount']] },
        { id: 'qcount', type: 'function', z, func: "msg.payload = { done: global.get('done') || 0 }; return msg;", wires: [['qres']] },
        { id: 'qres', type: 'http response', z, wires: [] },
      ],
    });
    try {
      const memory = async () => (await (await fetch(`${nodeRed.url}/bench/memory`)).json()) as { rss: number; held: number };
      // Warm up the path once, then measure from a collected heap.
      await fetch(`${nodeRed.url}/bench/fan`, { method: 'POST' });
      while (((await (await fetch(`${nodeRed.url}/bench/count`)).json()) as { done: number }).done < 1000) await new Promise((r) => setTimeout(r, 50));
      const before = await memory();
      let peak = before.rss;
      const pid = nodeRed.child.pid as number;
      const rssNow = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      const t0 = now();
      await fetch(`${nodeRed.url}/bench/fan`, { method: 'POST' });
      for (;;) {
        peak = Math.max(peak, rssNow());
        const { done } = (await (await fetch(`${nodeRed.url}/bench/count`)).json()) as { done: number };
        if (done >= 1000) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const drain = now() - t0;
      const after = await memory();
      const growth = (peak - before.rss) / 1048576;
      const settled = (after.rss - before.rss) / 1048576;
      const held = (after.held - before.held) / 1048576;
      rows.push({
        figure: '1,000 messages queued at once (1 s clips, a real Node-RED process): RSS growth',
        value: `peak ${growth.toFixed(1)} MB while draining; after the drain and a GC ${settled.toFixed(1)} MB (JS heap + buffers ${held.toFixed(1)} MB)`,
        target: '≤ 64 MB',
        met: growth <= 64,
      });
      rows.push({ figure: '1,000 messages queued at once: time to drain', value: `${(drain / 1000).toFixed(2)} s (${(drain / 1000).toFixed(2)} ms per message)`, target: '(reported)', met: undefined });
    } finally {
      await nodeRed.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  }

  // 5. 2,000 characters with streaming: time to first audio vs the whole.
  {
    const slow = await instantServer(new Map([['x', body(wavOf(3))]]), () => 'x', 1);
    const { tts: t, out: o } = await load({ url: slow.url, server: { cache: false }, node: { streaming: true, maxChunk: 150 } });
    // Numbered sentences: no two pieces are the same (identical pieces would share one call).
    let text = '';
    for (let i = 1; text.length < 2000; i++) text += `第${i}条通知：今天下午三点，智能家居系统将进行例行维护，届时灯光和空调可能会短暂重启。`;
    text = text.slice(0, 2000);
    const t0 = now();
    let first = 0;
    let count = 0;
    await new Promise<void>((resolve) => {
      (o as unknown as NodeJS.EventEmitter).on('input', (m: { parts: { count: number } }) => {
        count++;
        if (count === 1) first = now() - t0;
        if (count === m.parts.count) resolve();
      });
      t.receive({ payload: text } as NodeMessage);
    });
    const whole = now() - t0;
    const fraction = (100 * first) / whole;
    rows.push({
      figure: `2,000 characters streamed in ${count} pieces (server: 1 ms per character)`,
      value: `first audio ${ms(first)}, whole ${ms(whole)}: ${fraction.toFixed(1)} %`,
      target: '< 15 %',
      met: fraction < 15,
    });
    await helper.unload();
    await slow.close();
  }

  await new Promise<void>((r) => helper.stopServer(() => r()));
  await srv.close();

  // 6. The audio steps on 60 s of 48 kHz float mono, here and on one core.
  rows.push(...(await stepRows()));

  const table = tableOf(rows);
  console.log(table);
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  for (const name of ['README.md', 'README.zh-CN.md']) {
    const readme = path.join(ROOT, name);
    const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : '';
    if (text.includes(start) && text.includes(end)) {
      fs.writeFileSync(readme, text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), `${start}\n${table}\n${end}`));
      console.log(`(written into ${name})`);
    }
  }
  const missed = rows.filter((r) => r.met === false).length;
  console.log(`bench: ${rows.filter((r) => r.met === true).length} targets met, ${missed} missed`);
}

function tableOf(rows: Row[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed Node-RED's version, read at run time
  const nodeRedVersion = require('node-red/package.json').version as string;
  return [
    `Measured by \`npm run bench\` (a full GC before each timed call) on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, Node-RED ${nodeRedVersion}, ${os.cpus().length} cores:`,
    '',
    '| figure | value | target | met |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.met === undefined ? '–' : r.met ? '✔' : '✘'} |`),
  ].join('\n');
}

/** One audio step: its row's name and what it does to 60 s of 48 kHz float mono (the WAV, and its samples). */
interface Step {
  figure: string;
  run: (wav: Buffer, samples: Float32Array) => Promise<unknown>;
}

const AUDIO_SECONDS = 60;

/**
 * The steps of the audio pipeline, each alone, as the worker thread runs them.
 * mp3: the encoder the pipeline uses (wasm-media-encoders' LAME, mono 48 kHz,
 * 64 kbps, the default), called directly here.
 */
function audioSteps(): Step[] {
  const shape = (format: 'pcm' | 'float', bitDepth: number, sampleRate: number) => ({ format, bitDepth, sampleRate, channels: 1 });
  const steps: Step[] = [
    { figure: 'wav16: float → 16-bit PCM (decode, round, encode)', run: (wav) => convertSamples(wav, shape('pcm', 16, 48000)) },
    { figure: 'mp3: LAME (wasm-media-encoders), mono 64 kbps', run: (_, x) => encodeMp3([x], 48000, 64) },
  ];
  for (const speed of [0.5, 1.5, 2]) {
    steps.push({ figure: `speed ${speed} (WSOLA, pitch kept)`, run: async (_, x) => timeStretch([x], 48000, speed) });
  }
  steps.push({ figure: 'loudness: measure (BS.1770-4, true peak 4×) and normalise to −16 LUFS, ≤ −1 dBTP', run: async (_, x) => normalizeLoudness([x], 48000, -16, -1) });
  for (const rate of [16000, 44100]) {
    steps.push({ figure: `resample → ${rate / 1000} kHz (Speex, decode and encode included)`, run: (wav) => convertSamples(wav, shape('float', 32, rate)) });
  }
  return steps;
}

/** A step's medians: wall-clock ms, and CPU ms of this process (what a busy machine does not inflate). */
interface StepTime {
  wall: number;
  cpu: number;
}
type StepTimes = Record<string, StepTime | string>;

/** Medians of each step (one warm-up run, then 5 timed, a full GC before each), or the error it threw. */
async function timeSteps(): Promise<StepTimes> {
  const wav = wavOf(AUDIO_SECONDS);
  const { dataOffset, frames } = parseWav(wav);
  const [samples] = decodeFloat32(wav.subarray(dataOffset, dataOffset + 4 * frames), 1);
  const result: StepTimes = {};
  for (const step of audioSteps()) {
    try {
      await step.run(wav, samples);
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < 5; i++) {
        global.gc?.();
        const c0 = process.cpuUsage();
        const t0 = now();
        await step.run(wav, samples);
        wall.push(now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      result[step.figure] = { wall: median(wall), cpu: median(cpu) };
    } catch (err) {
      result[step.figure] = err instanceof Error ? err.message : String(err);
    }
  }
  return result;
}

/** The same steps in a child process pinned to core 0 (`taskset -c 0`), or why not. */
function timeStepsOnOneCore(): StepTimes | string {
  if (spawnSync('taskset', ['--version']).status !== 0) return 'taskset is not available';
  const run = spawnSync('taskset', ['-c', '0', process.execPath, '--expose-gc', __filename, '--steps', '--json'], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) return `the pinned run failed: ${run.stderr.trim().split('\n').pop() ?? run.status}`;
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as StepTimes;
}

/**
 * The audio steps' rows: each step's median here and on one core, in ms and %
 * of the audio's length (CPU ms in brackets); target < 2 % on one core.
 */
async function stepRows(): Promise<Row[]> {
  const here = await timeSteps();
  const pinned = timeStepsOnOneCore();
  const pct = (v: number) => `${((100 * v) / (AUDIO_SECONDS * 1000)).toFixed(2)} %`;
  const said = (v: StepTime | string | undefined) => (typeof v === 'object' ? `${ms(v.wall)} (${pct(v.wall)}; CPU ${ms(v.cpu)})` : `– (${v ?? 'not run'})`);
  return audioSteps().map(({ figure }) => {
    const one = typeof pinned === 'string' ? pinned : pinned[figure];
    return {
      figure: `${figure}, 60 s of 48 kHz float mono`,
      value: `median ${said(here[figure])}; one core (taskset -c 0) ${said(one)}`,
      target: '< 2 % of the length on one core',
      met: typeof one === 'object' ? (100 * one.wall) / (AUDIO_SECONDS * 1000) < 2 : undefined,
    };
  });
}

const json = process.argv.includes('--json');
const run = !process.argv.includes('--steps')
  ? main()
  : json
    ? timeSteps().then((r) => console.log(JSON.stringify(r)))
    : stepRows().then((rows) => console.log(tableOf(rows)));
run.then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
