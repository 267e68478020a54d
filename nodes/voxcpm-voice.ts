import type { NodeAPI } from 'node-red';
import { ReferenceFile } from './lib/reference';
import { earlierNamesake } from './lib/voice';
import { renderIn } from './glue/render-error';
import { voiceDefs } from './glue/voices';
import type { VoiceNode, VoiceNodeDef } from './glue/types';

/**
 * voxcpm-voice: a named voice (config node). A designed voice is a prompt; a cloned voice is a
 * reference WAV on the host (with an optional style prompt, or a transcript for ultimate
 * cloning). Flow nodes use it through their voice setting or by name in msg.voice.
 */
export = function register(RED: NodeAPI): void {
  function VoxcpmVoiceNode(this: VoiceNode, def: VoiceNodeDef): void {
    RED.nodes.createNode(this, def);
    // Relative reference paths start in Node-RED's user directory, as voxcpm-clone's do.
    const file = new ReferenceFile(RED.settings.userDir ?? process.cwd());
    const reference = String(def.reference ?? '').trim();
    const name = String(def.name ?? '');
    this.voice = {
      name,
      prompt: String(def.prompt ?? ''),
      reference,
      referenceText: String(def.referenceText ?? ''),
      loadReference: () => file.load(reference),
    };
    // Two voices of one name: msg.voice picks the first in the flows; said at deploy.
    const defs = voiceDefs(RED);
    const self = defs.find((d) => d.id === this.id);
    const first = self && earlierNamesake(self, defs);
    if (first) {
      this.warn(renderIn(RED, 'voice.duplicate', { name: name.trim(), other: first.id }));
    }
  }
  RED.nodes.registerType('voxcpm-voice', VoxcpmVoiceNode);
};
