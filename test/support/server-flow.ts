/**
 * The hooks of the specs about reaching the server (credentials, TLS, proxies): one simulator
 * for the whole file, a fresh helper server per test, the proxy variables of the environment set
 * aside meanwhile (a CI box may have a proxy in its environment: these tests set their own), and
 * load(), which loads the test flow with Node-RED's tls-config node and credentials.
 */
import path from 'node:path';
import type { Node, NodeInitializer } from 'node-red';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { buildFlow, helper, IDS, NODE_MODULES, serverKnown, type FlowItem, type FlowOptions } from './runtime';

// Node-RED's core nodes, from the runtime under test (NODE_RED_RUNTIME names another install's red.js).
const NODE_RED_DIR = process.env.NODE_RED_RUNTIME
  ? path.dirname(path.resolve(process.env.NODE_RED_RUNTIME))
  : path.dirname(require.resolve('node-red/package.json'));
const CORE_NODES = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [NODE_RED_DIR] }));

/** A core node module of the runtime under test, e.g. coreNode('network', '05-tls.js'). */
export function coreNode(...file: string[]): NodeInitializer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(CORE_NODES, 'core', ...file)) as NodeInitializer;
}

export const TLS_CONFIG = coreNode('network', '05-tls.js');

const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'] as const;

export interface ServerFlow {
  /** The file's simulator (a 0.3 s tone), reset before each test. */
  sim: VoxCpmSimulator;
  /** Loads the test flow (plus `extra` nodes, e.g. a tls-config) with credentials, and waits for the first probe. */
  load(o: Partial<FlowOptions>, options?: { extra?: FlowItem[]; creds?: Record<string, string>; modules?: NodeInitializer[] }): Promise<Node>;
  /** The flow load() loaded last. */
  loadedFlow(): FlowItem[];
}

export function useServerFlow(started: (url: string) => void): ServerFlow {
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.3 });
  const savedEnv: Record<string, string | undefined> = {};
  let url = '';
  let loadedFlow: FlowItem[] = [];

  async function load(
    o: Partial<FlowOptions>,
    { extra = [] as FlowItem[], creds = {} as Record<string, string>, modules = [] as NodeInitializer[] } = {},
  ): Promise<Node> {
    loadedFlow = [...buildFlow({ type: 'voxcpm-tts', url, ...o, serverProps: { retries: '0', ...o.serverProps } }), ...extra];
    await helper.load([...NODE_MODULES, TLS_CONFIG, ...modules], loadedFlow, { [IDS.server]: creds });
    await serverKnown();
    return helper.getNode(IDS.node);
  }

  before(async () => {
    url = await sim.start();
    started(url);
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach((done) => {
    sim.reset();
    for (const k of PROXY_VARS) {
      savedEnv[k] = process.env[k];
      delete process.env[k];
    }
    helper.startServer(done);
  });
  afterEach(async () => {
    for (const k of PROXY_VARS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });
  return { sim, load, loadedFlow: () => loadedFlow };
}
