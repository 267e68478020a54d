/** The voxcpm-clone dialog: the reference (path, upload, player), transcript, prompt, Preview, input and output. */
import type { EditorNodeDef, EditorNodeInstance } from 'node-red';
import { CLONE_DEFAULTS } from '../nodes/lib/defaults';
import { BlobPlayer, flowNodeDef, prepareSynthesisDialog, synthesisDefaults, type SynthesisProps } from './common';
import { isUltimate, ReferenceSlot } from './reference';

export interface CloneProps extends SynthesisProps {
  reference: string;
  referenceText: string;
}

const preview = new BlobPlayer('voxcpm-preview-audio');
/** The reference recording (path, upload, player), shared with the voxcpm-voice dialog. */
const reference = new ReferenceSlot('#node-input-reference', 'voxcpm-reference');

function stopAll(): void {
  preview.stop();
  reference.stop();
}

const D = CLONE_DEFAULTS;

export const cloneDef: EditorNodeDef<CloneProps> = {
  ...flowNodeDef('voxcpm-clone'),
  defaults: {
    ...(synthesisDefaults<CloneProps>() as EditorNodeDef<CloneProps>['defaults']),
    reference: { value: D.reference },
    referenceText: { value: D.referenceText },
  },
  oneditprepare() {
    prepare(this);
  },
  oneditsave: stopAll,
  oneditcancel: stopAll,
  oneditdelete: stopAll,
};

function prepare(node: EditorNodeInstance<CloneProps>): void {
  const field = (id: string) => String($(id).val() || '').trim();
  const presets = prepareSynthesisDialog(node, 'voxcpm-clone', preview, () => ({
    reference: field('#node-input-reference'),
    referenceText: String($('#node-input-referenceText').val() ?? ''),
  }));

  // Ultimate cloning: with a transcript the API wants an empty prompt, so the prompt is greyed
  // out while the transcript is filled, and the hint says why.
  const updateUltimate = () => {
    const ultimate = isUltimate($('#node-input-referenceText').val());
    const prompt = $('#node-input-prompt');
    try {
      // Node-RED 3.1+ has these commands; its typings do not list them yet.
      (prompt as unknown as { typedInput(command: 'disable' | 'enable'): void }).typedInput(ultimate ? 'disable' : 'enable');
    } catch {
      // typedInput without disable/enable (older Node-RED): the field stays usable.
    }
    prompt.prop('disabled', ultimate);
    presets.prop('disabled', ultimate);
    $('.voxcpm-prompt-row').css('opacity', ultimate ? 0.5 : 1);
    $('#voxcpm-prompt-ultimate').toggle(ultimate);
  };
  $('#node-input-referenceText').on('input change keyup', updateUltimate);
  updateUltimate();

  // The reference: its length, rate and channels, a player, and upload.
  reference.prepare(node);
}

export function registerClone(): void {
  RED.nodes.registerType<CloneProps>('voxcpm-clone', cloneDef);
}
