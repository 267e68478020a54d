import type { NodeAPI } from 'node-red';
import { findVoice, VoiceIndex, type Voice } from '../lib/voice';
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

/**
 * The index of the deployed voices, per runtime (keyed by its event emitter, which every node
 * set's RED shares): built at the first msg.voice after a deploy, dropped when flows stop or
 * start, so a message costs a map lookup rather than a scan of every deployed node.
 */
const indexes = new WeakMap<object, VoiceIndex | undefined>();

function deployedIndex(RED: NodeAPI): VoiceIndex {
  const events = RED.events;
  if (!indexes.has(events)) {
    // Nodes are created between these two events: an index built then is dropped at the start.
    const drop = () => indexes.set(events, undefined);
    events.on('flows:stopped', drop);
    events.on('flows:started', drop);
  }
  let index = indexes.get(events);
  if (!index) {
    index = new VoiceIndex(deployedVoices(RED));
    indexes.set(events, index);
  }
  return index;
}

/**
 * The deployed voice msg.voice names (findVoice's rules and errors); absent, null or blank
 * looks nothing up.
 */
export function voiceNamed(RED: NodeAPI, wanted: unknown): Voice | undefined {
  return findVoice(wanted, () => deployedIndex(RED));
}
