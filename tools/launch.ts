import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The project's root: dist/tools/ -> ../.. */
export const ROOT = path.resolve(__dirname, '..', '..');

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

/**
 * Reads the example flows and lays each on its own tab, with every
 * voxcpm-server pointed at `url`: the flows the demo and the smoke test deploy.
 */
export function exampleFlows(url: string, packageDir = ROOT): FlowNode[] {
  const dir = path.join(packageDir, 'examples');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const flows: FlowNode[] = [];
  files.forEach((file, i) => {
    const tab = `demo00000000tab${i}`;
    flows.push({ id: tab, type: 'tab', label: file.replace(/^\d+\s*/, '').replace(/\.json$/, '') });
    for (const node of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[]) {
      if (node.type === 'voxcpm-server') flows.push({ ...node, url });
      else flows.push({ ...node, z: tab });
    }
  });
  return flows;
}

export interface LaunchOptions {
  /** Node-RED's user directory; created if missing. */
  userDir: string;
  port: number;
  flows: FlowNode[];
  /** Directory of the package to load, linked into userDir/node_modules (the way `npm install <dir>` does). */
  packageDir?: string;
  /** Node-RED's red.js; default: the project's dev dependency. */
  redJs?: string;
  /** Node binary; default: this one. */
  nodeBin?: string;
  quiet?: boolean;
  /** Start Node.js with --expose-gc and hand `gc` and `memoryUsage` to function nodes (global context): for the soak. */
  exposeGc?: boolean;
}

export interface NodeRedProcess {
  child: ChildProcess;
  /** The editor's and admin API's base URL. */
  url: string;
  /** What Node-RED printed so far (when quiet). */
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts a real Node-RED process and resolves once its editor answers with the flows deployed. */
export async function launchNodeRed(options: LaunchOptions): Promise<NodeRedProcess> {
  const { userDir, port } = options;
  fs.mkdirSync(userDir, { recursive: true });
  if (options.packageDir) {
    const pkg = JSON.parse(fs.readFileSync(path.join(options.packageDir, 'package.json'), 'utf8')) as { name: string };
    const link = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(options.packageDir, link, 'dir');
  }
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows, null, 2));
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  uiPort: ${port},
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: 'voxcpm-demo',
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false },${options.exposeGc ? "\n  functionGlobalContext: { gc: global.gc, memoryUsage: () => process.memoryUsage() }," : ''}
};
`,
  );
  const redJs = options.redJs ?? require.resolve('node-red/red.js');
  const nodeArgs = options.exposeGc ? ['--expose-gc'] : [];
  const child = spawn(options.nodeBin ?? process.execPath, [...nodeArgs, redJs, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}\n${output}`);
    try {
      const res = await fetch(`${url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
      if (res.ok) {
        const body = (await res.json()) as { flows?: unknown[] };
        if (Array.isArray(body.flows) && body.flows.length > 0) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not start within 60 s\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, url, stop, output: () => output };
}
