import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
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
 * The node types of Node-RED itself that the examples use. With ours, they are
 * all a bare Node-RED has: an example that needs anything else (Dashboard 2,
 * Home Assistant, Sonos, Cast) would stop every flow with "missing node types".
 */
export const CORE_TYPES: ReadonlySet<string> = new Set([
  'tab',
  'comment',
  'inject',
  'debug',
  'change',
  'switch',
  'function',
  'delay',
  'join',
  'catch',
  'file',
  'file in',
  'http in',
  'http response',
  'mqtt in',
  'mqtt out',
  'mqtt-broker',
]);
export const OUR_TYPES: ReadonlySet<string> = new Set(['voxcpm-server', 'voxcpm-voice', 'voxcpm-tts', 'voxcpm-clone']);

export interface ExampleOptions {
  /**
   * Deploy the examples that talk to an MQTT broker. Default: when something
   * listens where their broker node points (localhost:1883); without a broker
   * they would only log a failed connection every few seconds.
   */
  mqtt?: boolean;
  /** Where to say which examples are left out; default console.log. */
  log?: (line: string) => void;
}

export interface ExampleSet {
  flows: FlowNode[];
  /** The files deployed, and those left out with the reason. */
  deployed: string[];
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * Reads the example flows and lays each on its own tab, with every
 * voxcpm-server pointed at `url`: the flows the demo and the smoke test deploy.
 * Examples that need nodes a bare Node-RED lacks, or an MQTT broker that does
 * not answer, are left out (and named through `options.log`).
 */
export function exampleFlows(url: string, packageDir = ROOT, options: ExampleOptions = {}): FlowNode[] {
  const set = exampleSet(url, packageDir, options);
  const log = options.log ?? console.log;
  for (const { file, reason } of set.skipped) log(`[examples] not deployed: ${file} (${reason})`);
  return set.flows;
}

/** exampleFlows, with the list of what was deployed and what was not. */
export function exampleSet(url: string, packageDir = ROOT, options: ExampleOptions = {}): ExampleSet {
  const dir = path.join(packageDir, 'examples');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const set: ExampleSet = { flows: [], deployed: [], skipped: [] };
  const brokers = new Map<string, boolean>();
  files.forEach((file, i) => {
    const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[];
    const missing = [...new Set(nodes.map((n) => n.type).filter((t) => !CORE_TYPES.has(t) && !OUR_TYPES.has(t)))];
    if (missing.length > 0) {
      set.skipped.push({ file, reason: `needs ${missing.join(', ')}: not in a bare Node-RED` });
      return;
    }
    const down = nodes
      .filter((n) => n.type === 'mqtt-broker')
      .map((n) => `${String(n.broker || 'localhost')}:${String(n.port || 1883)}`)
      .filter((where) => {
        if (options.mqtt !== undefined) return !options.mqtt;
        if (!brokers.has(where)) brokers.set(where, listening(where));
        return !brokers.get(where);
      });
    if (down.length > 0) {
      set.skipped.push({
        file,
        reason: options.mqtt === false ? 'MQTT examples turned off' : `needs an MQTT broker at ${down.join(', ')}; none answers`,
      });
      return;
    }
    const tab = `demo00000000tab${i}`;
    set.deployed.push(file);
    set.flows.push({ id: tab, type: 'tab', label: file.replace(/^\d+\s*/, '').replace(/\.json$/, '') });
    for (const node of nodes) {
      if (node.type === 'voxcpm-server') set.flows.push({ ...node, url });
      else if (node.type === 'mqtt-broker') set.flows.push({ ...node });
      else set.flows.push({ ...node, z: tab });
    }
  });
  return set;
}

/** Whether something accepts TCP connections at host:port (within a second); synchronous, for exampleFlows. */
function listening(hostPort: string): boolean {
  const i = hostPort.lastIndexOf(':');
  const probe =
    'const s = require("net").connect(Number(process.argv[2]), process.argv[1]);' +
    's.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1)); setTimeout(() => process.exit(1), 1000);';
  const r = spawnSync(process.execPath, ['-e', probe, hostPort.slice(0, i), hostPort.slice(i + 1)], { timeout: 3000, stdio: 'ignore' });
  return r.status === 0;
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
  /** The runtime's language (settings.js `lang`), e.g. 'zh-CN'; default: the system's. */
  lang?: string;
  /** More of settings.js, as a user writes it (JS source inside `module.exports = {…}`), e.g. `https` and `httpNodeAuth`. */
  settings?: string;
  /** The settings give Node-RED `https`: the editor is reached (and waited for) over https, trusting this CA file. */
  httpsCa?: string;
  /** The settings move the editor (httpAdminRoot), e.g. '/admin': `url` and the wait for it follow. */
  adminRoot?: string;
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
  credentialSecret: 'voxcpm-demo',${options.lang ? `\n  lang: ${JSON.stringify(options.lang)},` : ''}
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false },
  // No first-run consent prompt (Node-RED 4.1+) over the demo flow: telemetry stays off.
  telemetry: { enabled: false, updateNotification: false },${options.exposeGc ? '\n  functionGlobalContext: { gc: global.gc, memoryUsage: () => process.memoryUsage() },' : ''}${options.settings ? `\n${options.settings}` : ''}
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
  const url = `${options.httpsCa ? 'https' : 'http'}://127.0.0.1:${port}${(options.adminRoot ?? '').replace(/\/+$/, '')}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  const deadline = Date.now() + 60_000;
  const ca = options.httpsCa ? fs.readFileSync(options.httpsCa) : undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}\n${output}`);
    try {
      const body = (await getJson(`${url}/flows`, ca)) as { flows?: unknown[] } | undefined;
      if (Array.isArray(body?.flows) && body.flows.length > 0) break;
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

/** GETs a JSON admin route (over https trusting `ca` when given); undefined unless 200. */
function getJson(url: string, ca?: Buffer): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const options = { headers: { 'Node-RED-API-Version': 'v2' }, ...(ca ? { ca } : {}) };
    const req = (url.startsWith('https:') ? https : http).get(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
