import type { Node, NodeAPI, NodeMessageInFlow, NodeStatus } from 'node-red';
import type { SynthesisResult } from '../lib/client';
import { describeType, isVoxcpmError, VoxcpmError } from '../lib/errors';
import type { BuiltRequest, InputMessage } from '../lib/request';
import type { FlowNodeDef, ServerNode, ServerState, ServerUser } from './types';

/** Turns one message into a request body; throws VoxcpmError on bad input. */
export type RequestBuilder = (msg: InputMessage) => Promise<BuiltRequest>;

/** The properties a flow node adds to the message it sends on. */
export interface AudioMessage extends NodeMessageInFlow {
  payload: Buffer;
  sampleRate: number;
  duration: number;
  channels: number;
  bitDepth: number;
  contentType: 'audio/wav';
}

/** The control properties a message may carry. */
interface ControlMessage extends NodeMessageInFlow {
  reset?: unknown;
  priority?: unknown;
  timeout?: unknown;
}

/** Status updates are batched so that a burst of messages does not flood the editor. */
const STATUS_MS = 100;

/**
 * The behaviour voxcpm-tts and voxcpm-clone share: resolve the server, turn
 * each message into a request, queue it at the server, send the WAV on, and
 * report every failure once through done(err) so Catch nodes see it.
 */
export function runSynthesisNode(RED: NodeAPI, node: Node, def: FlowNodeDef, build: RequestBuilder): void {
  const type = def.type;
  const t = (key: string, params?: Record<string, string | number>) => RED._(`${type}.status.${key}`, params);
  const server = RED.nodes.getNode(def.server) as ServerNode | null;
  const pending = new Set<Promise<void>>();
  const warned = new Set<string>();
  let closing = false;
  let serverState: ServerState | undefined;
  let last: NodeStatus | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let shown = '';

  /** What is true now, in order of importance. */
  const currentStatus = (): NodeStatus => {
    if (!server) return { fill: 'red', shape: 'ring', text: t('noServer') };
    if (server.service.configError) return { fill: 'red', shape: 'ring', text: t('configError') };
    const mine = server.service.countOf(node.id);
    const queued = serverState?.queued ?? 0;
    if (mine.running > 0) {
      return { fill: 'blue', shape: 'dot', text: queued > 0 ? t('workingQueued', { count: queued }) : t('working') };
    }
    const servers = serverState?.servers;
    if (servers && servers.total > 0 && servers.down === servers.total) {
      return { fill: 'red', shape: 'ring', text: mine.queued > 0 ? t('unreachableQueued', { count: queued }) : t('unreachable') };
    }
    if (mine.queued > 0) return { fill: 'yellow', shape: 'dot', text: t('queued', { count: queued }) };
    if (servers && servers.down > 0) return { fill: 'yellow', shape: 'ring', text: t('partial', { down: servers.down, total: servers.total }) };
    if (last) return last;
    const w = serverState?.warmup;
    if (w?.state === 'running') return { fill: 'blue', shape: 'ring', text: t('warming') };
    if (w?.state === 'done') return { fill: 'green', shape: 'ring', text: t('warm', { seconds: (w.seconds ?? 0).toFixed(1) }) };
    if (w?.state === 'failed') return { fill: 'red', shape: 'ring', text: t('warmFailed', { code: w.code ?? '' }) };
    if (servers && servers.up > 0) return { fill: 'green', shape: 'ring', text: t('ready') };
    return {};
  };
  const render = () => {
    statusTimer = undefined;
    const s = currentStatus();
    const key = JSON.stringify(s);
    if (key !== shown) {
      shown = key;
      node.status(s);
    }
  };
  const updateStatus = (now = false) => {
    if (closing) return;
    if (now) {
      clearTimeout(statusTimer);
      render();
    } else if (!statusTimer) {
      statusTimer = setTimeout(render, STATUS_MS);
    }
  };

  const user: ServerUser = {
    serverChanged(state) {
      serverState = state;
      updateStatus();
    },
  };
  if (server) server.register(user);
  updateStatus(true);

  // The same warning for every message would flood the log: say each kind once per deploy.
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    node.warn(message);
  };

  const handle = async (msg: ControlMessage): Promise<AudioMessage> => {
    if (!server) {
      throw new VoxcpmError('VOXCPM_CONFIG', `${type} has no voxcpm-server configured: open the node and choose or add a server`);
    }
    const priority = numberField(msg.priority, 'msg.priority', () => true) ?? 0;
    const timeout = numberField(msg.timeout, 'msg.timeout', (n) => n > 0);
    const request = await build(msg as InputMessage);
    for (const w of request.warnings) warnOnce(w.kind, w.message);
    const started = Date.now();
    const promise = server.service.synthesize(request.body, {
      owner: node.id,
      priority,
      timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    });
    updateStatus(true);
    const result = await promise;
    checkRate(result);
    const out = toAudioMessage(msg, result);
    last = {
      fill: 'green',
      shape: 'dot',
      text: t('done', { duration: result.info.duration.toFixed(1), elapsed: ((Date.now() - started) / 1000).toFixed(1) }),
    };
    return out;
  };

  const checkRate = (result: SynthesisResult) => {
    if (result.reportedSampleRate !== undefined && result.reportedSampleRate !== result.info.sampleRate) {
      warnOnce(
        'rate-mismatch',
        `The server said sample_rate ${result.reportedSampleRate} but its WAV header says ${result.info.sampleRate} Hz: the header is used`,
      );
    }
  };

  node.on('input', (msg: NodeMessageInFlow, send, done) => {
    const m = msg as ControlMessage;
    if (m.reset !== undefined && m.reset !== false) {
      // Like the core delay and trigger nodes: a reset message only resets.
      server?.service.cancelOwner(node.id, new VoxcpmError('VOXCPM_ABORTED', 'Dropped by msg.reset before it was spoken'));
      last = undefined;
      updateStatus(true);
      done();
      return;
    }
    const work = handle(m).then(
      (out) => {
        send(out);
        done();
      },
      (err: unknown) => {
        if (closing) {
          // The node is being stopped or redeployed: the message ends quietly.
          done();
          return;
        }
        const error = isVoxcpmError(err) ? err : new VoxcpmError('VOXCPM_BAD_RESPONSE', `Unexpected failure: ${String(err)}`);
        last = { fill: 'red', shape: 'ring', text: error.code };
        done(error);
      },
    );
    const tracked = work.finally(() => {
      pending.delete(tracked);
      updateStatus();
    });
    pending.add(tracked);
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    closing = true;
    clearTimeout(statusTimer);
    server?.service.cancelOwner(node.id, new VoxcpmError('VOXCPM_ABORTED', 'The node was stopped'));
    server?.deregister(user);
    // done() only once nothing of this node is left running.
    void Promise.allSettled([...pending]).then(() => {
      node.status({});
      done();
    });
  });
}

function toAudioMessage(msg: NodeMessageInFlow, result: SynthesisResult): AudioMessage {
  const { info } = result;
  const out = msg as AudioMessage;
  out.payload = result.wav;
  out.sampleRate = info.sampleRate;
  out.duration = Math.round(info.duration * 1000) / 1000;
  out.channels = info.channels;
  out.bitDepth = info.bitDepth;
  out.contentType = 'audio/wav';
  return out;
}

/** An optional numeric control property (msg.priority, msg.timeout); numeric strings count. */
function numberField(value: unknown, name: string, ok: (n: number) => boolean): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n) || !ok(n)) {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', `${name} is ${typeof value === 'string' ? `"${value}"` : describeType(value)}; it must be a ${name === 'msg.timeout' ? 'positive ' : ''}number`);
  }
  return n;
}
