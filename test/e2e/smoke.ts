/**
 * The packed package, as a user gets it: deploys its example flows (and an
 * error flow) in a real Node-RED process whose user directory has the tarball
 * installed without dev dependencies, clicks every inject through the admin
 * API, and checks what comes out against the simulator.
 *
 *   node dist/test/e2e/smoke.js --user DIR [--red path/to/red.js] [--node path/to/node] [--port 1899]
 */
import fs from 'node:fs';
import path from 'node:path';
import { exampleSet, FlowNode, launchNodeRed } from '../../tools/launch';
import { VoxCpmSimulator } from '../../simulator/simulator';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function wavAfter(file: string, since: number): Buffer | undefined {
  try {
    if (fs.statSync(file).mtimeMs < since) return undefined;
    const b = fs.readFileSync(file);
    return b.length > 44 && b.toString('latin1', 0, 4) === 'RIFF' ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The nodes a message leaving `start` can reach: along wires, and from an
 * mqtt out node to the mqtt in nodes of the same broker and topic.
 */
function downstream(flows: FlowNode[], start: FlowNode): FlowNode[] {
  const byId = new Map(flows.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const reached: FlowNode[] = [];
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as FlowNode;
    const next = ((node.wires as string[][] | undefined) ?? []).flat().map((id) => byId.get(id));
    if (node.type === 'mqtt out') {
      next.push(...flows.filter((n) => n.type === 'mqtt in' && n.broker === node.broker && n.topic === node.topic));
    }
    for (const n of next) {
      if (!n || seen.has(n.id)) continue;
      seen.add(n.id);
      reached.push(n);
      queue.push(n);
    }
  }
  return reached;
}

/** The WAV files a message from `inject` ends up in: write-file nodes with a fixed .wav name. */
function wavFiles(flows: FlowNode[], inject: FlowNode): string[] {
  return downstream(flows, inject)
    .filter((n) => n.type === 'file' && (n.filenameType === 'str' || !n.filenameType) && /\.wav$/i.test(String(n.filename ?? '')))
    .map((n) => String(n.filename));
}

async function main(): Promise<void> {
  const userDir = path.resolve(arg('user') ?? '');
  const packageDir = path.join(userDir, 'node_modules', '@voxcpm', 'node-red-voxcpm');
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) throw new Error(`the package is not installed in ${userDir}`);
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  const url = await sim.start();
  const errorFile = path.join(userDir, 'caught.json');
  fs.rmSync(errorFile, { force: true });
  const examples = exampleSet(url, packageDir);
  for (const { file, reason } of examples.skipped) console.log(`  skip ${file}: ${reason}`);
  // The examples' delays are there for people (a retry after 10 s); the smoke test waits 1 s.
  for (const n of examples.flows) if (n.type === 'delay' && n.pauseType === 'delay') Object.assign(n, { timeout: '1', timeoutUnits: 'seconds' });
  const flows: FlowNode[] = [
    ...examples.flows,
    { id: 'smoketab', type: 'tab', label: 'errors' },
    { id: 'smokeinject', type: 'inject', z: 'smoketab', props: [{ p: 'payload' }], payload: '   ', payloadType: 'str', wires: [['smoketts']] },
    { id: 'smoketts', type: 'voxcpm-tts', z: 'smoketab', server: 'smokesrv', prompt: '', wires: [[]] },
    { id: 'smokesrv', type: 'voxcpm-server', url, timeout: '30' },
    { id: 'smokecatch', type: 'catch', z: 'smoketab', scope: null, uncaught: false, wires: [['smokecode']] },
    {
      id: 'smokecode',
      type: 'change',
      z: 'smoketab',
      // msg.error.code from Node-RED 4.1 on; before, the code leads msg.error.message.
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '$exists(error.code) ? error.code : $substringBefore(error.message, ":")', tot: 'jsonata' }],
      wires: [['smokefile']],
    },
    { id: 'smokefile', type: 'file', z: 'smoketab', filename: errorFile, filenameType: 'str', appendNewline: false, createDir: true, overwriteFile: 'true', encoding: 'utf8', wires: [[]] },
  ];
  const nodeRed = await launchNodeRed({
    userDir,
    port: Number(arg('port') ?? 1899),
    flows,
    redJs: arg('red'),
    nodeBin: arg('node'),
    quiet: true,
  });
  let passed = 0;
  let failed = 0;
  const check = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
      passed++;
      console.log(`  ok   ${name}`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const click = async (id: string) => {
    const res = await fetch(`${nodeRed.url}/inject/${id}`, { method: 'POST' });
    if (!res.ok) throw new Error(`inject ${id}: HTTP ${res.status}`);
  };
  try {
    const types = (await (await fetch(`${nodeRed.url}/nodes`, { headers: { Accept: 'application/json' } })).json()) as Array<{ types: string[] }>;
    await check('the palette has voxcpm-server, voxcpm-voice, voxcpm-tts and voxcpm-clone', async () => {
      const all = types.flatMap((t) => t.types);
      for (const t of ['voxcpm-server', 'voxcpm-voice', 'voxcpm-tts', 'voxcpm-clone']) if (!all.includes(t)) throw new Error(`${t} missing`);
    });
    // Every inject whose message can end in a WAV file (through any chain of nodes) is clicked,
    // in the order of the examples, and each of those files must be written anew.
    for (const node of flows.filter((n) => n.type === 'inject' && n.id !== 'smokeinject')) {
      const files = wavFiles(flows, node);
      if (files.length === 0) continue;
      await check(`inject "${String(node.name)}" -> ${files.join(', ')}`, async () => {
        const since = Date.now() - 1;
        await click(node.id);
        for (const file of files) await waitFor(file, () => wavAfter(file, since));
      });
    }
    // An http in endpoint that leads to an http response answers ?text= with a WAV, and no text with an error.
    for (const node of flows.filter((n) => n.type === 'http in' && n.method === 'get')) {
      if (!downstream(flows, node).some((n) => n.type === 'http response')) continue;
      const endpoint = `${nodeRed.url}${String(node.url)}`;
      await check(`GET ${String(node.url)}?text=... answers with a WAV`, async () => {
        const res = await fetch(`${endpoint}?text=${encodeURIComponent('Hello from the smoke test')}`, { signal: AbortSignal.timeout(30000) });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.toString('utf8', 0, 200)}`);
        if (!/^audio\/wav/.test(res.headers.get('content-type') ?? '')) throw new Error(`content-type ${String(res.headers.get('content-type'))}`);
        if (body.toString('latin1', 0, 4) !== 'RIFF') throw new Error('the body is not a WAV');
      });
      await check(`GET ${String(node.url)} without text answers 400 with the error code`, async () => {
        const res = await fetch(endpoint, { signal: AbortSignal.timeout(10000) });
        const text = await res.text();
        if (res.status !== 400 || !text.includes('VOXCPM_TEXT_EMPTY')) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      });
    }
    // An endpoint that takes ?voice= (msg.voice, examples/13): a cloned voice sends its recording, an unknown one is a 400 listing the voices.
    for (const node of flows.filter((n) => n.type === 'http in' && n.method === 'get')) {
      const reads = downstream(flows, node).some((n) => n.type === 'change' && JSON.stringify(n.rules ?? []).includes('req.query.voice'));
      const voices = flows.filter((n) => n.type === 'voxcpm-voice');
      const cloned = voices.find((n) => String(n.reference ?? '') !== '');
      if (!reads || !cloned) continue;
      const endpoint = `${nodeRed.url}${String(node.url)}`;
      await check(`GET ${String(node.url)}?voice=${String(cloned.name)} speaks the cloned voice (its recording sent)`, async () => {
        const from = sim.requests.length;
        const res = await fetch(`${endpoint}?voice=${encodeURIComponent(String(cloned.name).toUpperCase())}&text=${encodeURIComponent('smoke voice')}`, { signal: AbortSignal.timeout(30000) });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200 || body.toString('latin1', 0, 4) !== 'RIFF') throw new Error(`HTTP ${res.status}: ${body.toString('utf8', 0, 200)}`);
        const sent = sim.requests.slice(from).map((r) => r.body as { text?: string; audio?: string }).find((b) => b && b.text === 'smoke voice');
        if (!sent || String(sent.audio ?? '').length < 10000) throw new Error('the simulator got no reference audio');
      });
      await check(`GET ${String(node.url)}?voice=nobody answers 400 listing the voices`, async () => {
        const res = await fetch(`${endpoint}?voice=nobody&text=hi`, { signal: AbortSignal.timeout(10000) });
        const text = await res.text();
        const named = voices.every((v) => text.includes(String(v.name)));
        if (res.status !== 400 || !text.includes('VOXCPM_INPUT_INVALID') || !named) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      });
    }
    await check('an empty text reaches the Catch node as VOXCPM_TEXT_EMPTY', async () => {
      await click('smokeinject');
      const error = await waitFor('caught.json', () => (fs.existsSync(errorFile) ? fs.readFileSync(errorFile, 'utf8') : undefined));
      if (error !== 'VOXCPM_TEXT_EMPTY') throw new Error(`caught ${JSON.stringify(error)}`);
    });
  } finally {
    await nodeRed.stop();
    await sim.stop();
  }
  if (/Error|Traceback/.test(nodeRed.output()) && /voxcpm/i.test(nodeRed.output())) {
    console.log(nodeRed.output());
  }
  console.log(`smoke: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
