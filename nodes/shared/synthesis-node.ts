import type { Node, NodeAPI, NodeMessageInFlow, NodeStatus } from 'node-red';
import { isVoxcpmError, VoxcpmError } from '../lib/errors';
import type { BuiltRequest, InputMessage } from '../lib/request';
import type { FlowNodeDef, ServerNode } from './types';

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

/**
 * The behaviour voxcpm-tts and voxcpm-clone share: resolve the server, turn
 * each message into a request, call the server, send the WAV on, and report
 * every failure once through done(err) so Catch nodes see it.
 */
export function runSynthesisNode(RED: NodeAPI, node: Node, def: FlowNodeDef, build: RequestBuilder): void {
  const type = def.type;
  const server = RED.nodes.getNode(def.server) as ServerNode | null;
  const inflight = new Set<AbortController>();
  const warned = new Set<string>();
  let closing = false;

  const status = (s: NodeStatus) => node.status(s);
  const idleStatus = (): void => {
    if (!server) status({ fill: 'red', shape: 'ring', text: `${type}.status.noServer` });
    else if (server.service.configError) status({ fill: 'red', shape: 'ring', text: `${type}.status.configError` });
    else status({});
  };
  idleStatus();

  // The same warning for every message would flood the log: say each kind once per deploy.
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    node.warn(message);
  };

  node.on('input', (msg: NodeMessageInFlow, send, done) => {
    const ac = new AbortController();
    inflight.add(ac);
    const started = Date.now();
    const finish = (err?: Error) => {
      inflight.delete(ac);
      done(err);
    };
    void (async () => {
      if (!server) {
        throw new VoxcpmError('VOXCPM_CONFIG', `${type} has no voxcpm-server configured: open the node and choose or add a server`);
      }
      const request = await build(msg as InputMessage);
      for (const w of request.warnings) warnOnce(w.kind, w.message);
      status({ fill: 'blue', shape: 'dot', text: `${type}.status.working` });
      const result = await server.service.synthesize(request.body, ac.signal);
      const { info } = result;
      if (result.reportedSampleRate !== undefined && result.reportedSampleRate !== info.sampleRate) {
        warnOnce(
          'rate-mismatch',
          `The server said sample_rate ${result.reportedSampleRate} but its WAV header says ${info.sampleRate} Hz: the header is used`,
        );
      }
      const out = msg as AudioMessage;
      out.payload = result.wav;
      out.sampleRate = info.sampleRate;
      out.duration = Math.round(info.duration * 1000) / 1000;
      out.channels = info.channels;
      out.bitDepth = info.bitDepth;
      out.contentType = 'audio/wav';
      if (inflight.size <= 1) {
        const text = RED._(`${type}.status.done`, {
          duration: info.duration.toFixed(1),
          elapsed: ((Date.now() - started) / 1000).toFixed(1),
        });
        status({ fill: 'green', shape: 'dot', text });
      }
      send(out);
      finish();
    })().catch((err: unknown) => {
      if (closing) {
        // The node is being stopped or redeployed: the message ends quietly.
        finish();
        return;
      }
      const error = isVoxcpmError(err) ? err : new VoxcpmError('VOXCPM_BAD_RESPONSE', `Unexpected failure: ${String(err)}`);
      status({ fill: 'red', shape: 'ring', text: error.code });
      finish(error);
    });
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    closing = true;
    for (const ac of inflight) ac.abort();
    inflight.clear();
    status({});
    done();
  });
}
