import type { NodeAPI } from 'node-red';
import type { Voice } from '../lib/voice';
import type { VoiceNode } from './types';

/** The voxcpm-voice nodes of the deployed flows, as configured (running or not), in flow order. */
export function voiceDefs(RED: NodeAPI): Array<{ id: string; name: string }> {
  const defs: Array<{ id: string; name: string }> = [];
  RED.nodes.eachNode((n) => {
    if (n.type === 'voxcpm-voice') defs.push({ id: n.id, name: String((n as { name?: unknown }).name ?? '') });
  });
  return defs;
}

/** The voice of a running voxcpm-voice node, or undefined (not deployed, disabled, another type). */
export function voiceOf(RED: NodeAPI, id: string): Voice | undefined {
  const node = RED.nodes.getNode(id) as unknown as VoiceNode | null;
  return node?.type === 'voxcpm-voice' ? node.voice : undefined;
}

/** The voices of the running voxcpm-voice nodes, in flow order: the order msg.voice looks names up in. */
export function deployedVoices(RED: NodeAPI): Voice[] {
  return voiceDefs(RED)
    .map((d) => voiceOf(RED, d.id))
    .filter((v): v is Voice => v !== undefined);
}
