/** The voxcpm-tts dialog: voice prompt, presets, Preview, input and output. */
import type { EditorNodeDef } from 'node-red';
import { BlobPlayer, flowNodeDef, prepareSynthesisDialog, synthesisDefaults, type SynthesisProps } from './common';

/** The preview's audio: one edit dialog is open at a time. */
const preview = new BlobPlayer('voxcpm-preview-audio');
const stop = () => preview.stop();

export const ttsDef: EditorNodeDef<SynthesisProps> = {
  ...flowNodeDef('voxcpm-tts'),
  defaults: synthesisDefaults<SynthesisProps>(),
  oneditprepare() {
    prepareSynthesisDialog(this, 'voxcpm-tts', preview, () => ({ reference: '', referenceText: '' }));
  },
  oneditsave: stop,
  oneditcancel: stop,
  oneditdelete: stop,
};

export function registerTts(): void {
  RED.nodes.registerType<SynthesisProps>('voxcpm-tts', ttsDef);
}
