/**
 * The packed package, as a user gets it: deploys its example flows (and an
 * error flow) in a real Node-RED process whose user directory has the tarball
 * installed without dev dependencies, clicks every inject through the admin
 * API, and checks what comes out against the simulator.
 *
 *   node dist/tools/smoke.js --user DIR [--red path/to/red.js] [--node path/to/node] [--port 1899]
 */
import fs from 'node:fs';
import path from 'node:path';
import { exampleFlows, FlowNode, launchNodeRed } from './launch';
import { VoxCpmSimulator } from './simulator';

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

async function main(): Promise<void> {
  const userDir = path.resolve(arg('user') ?? '');
  const packageDir = path.join(userDir, 'node_modules', '@voxcpm', 'node-red-voxcpm');
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) throw new Error(`the package is not installed in ${userDir}`);
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  const url = await sim.start();
  const errorFile = path.join(userDir, 'caught.json');
  fs.rmSync(errorFile, { force: true });
  const flows: FlowNode[] = [
    ...exampleFlows(url, packageDir),
    { id: 'smoketab', type: 'tab', label: 'errors' },
    { id: 'smokeinject', type: 'inject', z: 'smoketab', props: [{ p: 'payload' }], payload: '   ', payloadType: 'str', wires: [['smoketts']] },
    { id: 'smoketts', type: 'voxcpm-tts', z: 'smoketab', server: 'smokesrv', prompt: '', wires: [[]] },
    { id: 'smokesrv', type: 'voxcpm-server', url, timeout: '30' },
    { id: 'smokecatch', type: 'catch', z: 'smoketab', scope: null, uncaught: false, wires: [['smokecode']] },
    {
      id: 'smokecode',
      type: 'change',
      z: 'smoketab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error.code', tot: 'msg' }],
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
    await check('the palette has voxcpm-server, voxcpm-tts and voxcpm-clone', async () => {
      const all = types.flatMap((t) => t.types);
      for (const t of ['voxcpm-server', 'voxcpm-tts', 'voxcpm-clone']) if (!all.includes(t)) throw new Error(`${t} missing`);
    });
    for (const node of flows.filter((n) => n.type === 'inject' && n.id !== 'smokeinject')) {
      const next = flows.find((n) => n.id === (node.wires as string[][])[0][0]);
      const file = flows.find((n) => n.type === 'file' && (next?.wires as string[][])[0].includes(n.id));
      await check(`inject "${String(node.name)}" -> ${String(next?.type)} -> ${String(file?.filename)}`, async () => {
        const since = Date.now() - 1;
        await click(node.id);
        await waitFor('the WAV file', () => wavAfter(String(file?.filename), since));
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
