/**
 * Loads the package's nodes into a real Node-RED runtime (node-red-node-test-helper)
 * and gives each test a small flow: server config -> node under test -> sink,
 * with a Catch node scoped to it, so every outcome is seen the way a flow sees it.
 *
 * VOXCPM_NODES_DIR points the tests at another build of the nodes (CI uses it to
 * run them against the packed tarball installed without dev dependencies).
 */
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node, NodeInitializer, NodeMessage } from 'node-red';

// NODE_RED_RUNTIME names another Node-RED install's lib/red.js (not the launcher red.js at its root) (the CI matrix runs 3.1, 4.1 and 5.x).
helper.init(process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red'));

export const NODES_DIR = process.env.VOXCPM_NODES_DIR
  ? path.resolve(process.env.VOXCPM_NODES_DIR)
  : path.resolve(__dirname, '..', '..', 'nodes');

/**
 * The package's node modules as Node-RED loads them: the one node set `voxcpm`
 * (package.json node-red.nodes), which registers voxcpm-server, voxcpm-tts and voxcpm-clone.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const NODE_MODULES: NodeInitializer[] = [require(path.join(NODES_DIR, 'voxcpm.js')) as NodeInitializer];

export { helper };

export interface TestMessage extends NodeMessage {
  [key: string]: unknown;
}

export interface ErrorMessage extends TestMessage {
  error: { message: string; code?: string; source?: { id: string; type: string } };
}

export interface FlowOptions {
  /** The node under test: 'voxcpm-tts' or 'voxcpm-clone'. */
  type: 'voxcpm-tts' | 'voxcpm-clone';
  /** The server's URL (ignored when `server` is false). */
  url?: string;
  /** Extra properties of the node under test. */
  props?: Record<string, unknown>;
  /** Extra properties of the voxcpm-server node. */
  serverProps?: Record<string, unknown>;
  /** false: the node names a server that does not exist. */
  server?: boolean;
}

export const IDS = { tab: 'tab1', server: 'srv1', node: 'n1', out: 'out', caught: 'caught', catcher: 'catch1' } as const;

export interface FlowItem {
  id: string;
  type: string;
  [key: string]: unknown;
}

export function buildFlow(o: FlowOptions): FlowItem[] {
  const flow: FlowItem[] = [
    { id: IDS.tab, type: 'tab', label: 'test' },
    { id: IDS.node, type: o.type, z: IDS.tab, name: 'under test', server: IDS.server, prompt: '', ...o.props, wires: [[IDS.out]] },
    { id: IDS.out, type: 'helper', z: IDS.tab },
    { id: IDS.catcher, type: 'catch', z: IDS.tab, scope: [IDS.node], uncaught: false, wires: [[IDS.caught]] },
    { id: IDS.caught, type: 'helper', z: IDS.tab },
  ];
  if (o.server !== false) {
    flow.push({ id: IDS.server, type: 'voxcpm-server', name: 'sim', url: o.url ?? '', timeout: '10', ...o.serverProps });
  }
  return flow;
}

export async function loadFlow(o: FlowOptions): Promise<Node> {
  await helper.load(NODE_MODULES, buildFlow(o));
  await serverKnown();
  return helper.getNode(IDS.node);
}

interface ServiceView {
  configError?: unknown;
  state(): { servers: { unknown: number; lastError?: unknown } };
}

/**
 * Waits until the server's first health probe has been answered, so that a
 * fault a test sets next applies to the test's own message, not to the probe.
 */
export async function serverKnown(id: string = IDS.server, timeoutMs = 3000): Promise<void> {
  const server = helper.getNode(id) as unknown as { service?: ServiceView } | null;
  const service = server?.service;
  if (!service || service.configError) return;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const { servers } = service.state();
    if (servers.unknown === 0 || servers.lastError) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the server was not probed within 3 s');
}

export type Outcome = { kind: 'sent'; msg: TestMessage } | { kind: 'caught'; msg: ErrorMessage };

/**
 * Sends messages to the node under test and collects every outcome: sent on, or
 * caught. Waits until `count` outcomes arrived and then `settleMs` more, so a
 * second outcome for the same message would be seen.
 */
export async function run(messages: TestMessage[], { count = messages.length, settleMs = 50, timeoutMs = 15000 } = {}): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const out = helper.getNode(IDS.out);
  const caught = helper.getNode(IDS.caught);
  const node = helper.getNode(IDS.node);
  return new Promise<Outcome[]>((resolve, reject) => {
    let settle: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`expected ${count} outcomes, got ${outcomes.length}: ${JSON.stringify(outcomes.map(summary))}`));
    }, timeoutMs);
    const onSent = (msg: TestMessage) => add({ kind: 'sent', msg });
    const onCaught = (msg: ErrorMessage) => add({ kind: 'caught', msg });
    function add(o: Outcome): void {
      outcomes.push(o);
      if (outcomes.length >= count && !settle) {
        settle = setTimeout(() => {
          cleanup();
          resolve(outcomes);
        }, settleMs);
      }
    }
    function cleanup(): void {
      clearTimeout(timer);
      (out as unknown as NodeJS.EventEmitter).removeListener('input', onSent);
      (caught as unknown as NodeJS.EventEmitter).removeListener('input', onCaught);
    }
    (out as unknown as NodeJS.EventEmitter).on('input', onSent);
    (caught as unknown as NodeJS.EventEmitter).on('input', onCaught);
    for (const m of messages) node.receive(m);
  });
}

/** One message, exactly one outcome (anything else fails the test). */
export async function runOne(msg: TestMessage): Promise<Outcome> {
  const outcomes = await run([msg], { count: 1, settleMs: 80 });
  if (outcomes.length !== 1) throw new Error(`expected exactly one outcome, got ${outcomes.length}`);
  return outcomes[0];
}

export async function expectSent(msg: TestMessage): Promise<TestMessage> {
  const o = await runOne(msg);
  if (o.kind !== 'sent') throw new Error(`expected audio, got error ${o.msg.error.code}: ${o.msg.error.message}`);
  return o.msg;
}

export async function expectCaught(msg: TestMessage): Promise<ErrorMessage> {
  const o = await runOne(msg);
  if (o.kind !== 'caught') throw new Error('expected an error through the Catch node, got audio');
  return o.msg;
}

/**
 * The error code a Catch node saw: msg.error.code (Node-RED 4.1+ copies it), or
 * the code that leads msg.error.message ("VOXCPM_X: ...") on Node-RED 3.1–4.0.
 */
export function codeOf(msg: ErrorMessage): string | undefined {
  return msg.error.code ?? /^(VOXCPM_[A-Z_]+): /.exec(msg.error.message)?.[1];
}

function summary(o: Outcome): string {
  return o.kind === 'sent' ? 'sent' : `caught ${o.msg.error.code}`;
}

/** The warnings the node under test logged, as texts. */
export function warnings(node: Node): string[] {
  const spy = node.warn as unknown as { args: unknown[][] };
  return spy.args.map((a) => String(a[0]));
}

/** The requests a simulator received, without the health probes (an empty text). */
export function calls(sim: { requests: Array<{ body: unknown; path: string; headers: Record<string, unknown> }> }) {
  return sim.requests.filter((r) => !(typeof r.body === 'object' && r.body !== null && (r.body as { text?: unknown }).text === ''));
}

/**
 * A fresh helper server for each test (after `reset`), unloaded and stopped after it, then
 * `cleanup` (extra simulators, folders).
 */
export function useHelperServer(reset: () => void = () => undefined, cleanup: () => Promise<void> | void = () => undefined): void {
  beforeEach((done) => {
    reset();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    await cleanup();
  });
}

/**
 * The hooks every flow spec needs: the simulator for the whole file (its URL
 * handed to `started`), reset before each test, and a fresh helper server,
 * unloaded after each test.
 */
export function useSimulator(sim: { start(): Promise<string>; stop(): Promise<void>; reset(): void }, started: (url: string) => void): void {
  before(async () => started(await sim.start()));
  after(() => sim.stop());
  useHelperServer(() => sim.reset());
}

/** Collects unhandled promise rejections for the duration of `fn` (mocha's own listener is set aside meanwhile). */
export async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const others = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.removeListener('unhandledRejection', listener);
    for (const l of others) process.on('unhandledRejection', l as (...args: unknown[]) => void);
  }
  return seen;
}
