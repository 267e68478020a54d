/**
 * The voxcpm-voice dialog: a named voice (name, prompt with presets, reference with upload and
 * player, transcript) and Preview through a server picked in the dialog (not saved: a voice
 * needs no server; the flow node that speaks it has one).
 */
import type { EditorNodeDef, EditorNodeInstance, EditorNodeProperties } from 'node-red';
import { VOICE_DEFAULTS, VOICE_NAME_MAX } from '../nodes/lib/defaults';
import { BlobPlayer, preparePresets, preparePreview, validator, type Translator } from './common';
import { isUltimate, ReferenceSlot } from './reference';

export interface VoiceProps extends EditorNodeProperties {
  prompt: string;
  reference: string;
  referenceText: string;
}

/** Why a name is refused (the reader's language), or true. */
export function voiceNameVerdict(t: Translator, value: unknown): true | string {
  const name = String(value ?? '').trim();
  if (name === '') return t._('voxcpm-voice.errors.nameRequired');
  if (name.length > VOICE_NAME_MAX) return t._('voxcpm-voice.errors.nameTooLong');
  return true;
}

/** The server Preview used last: the next voice dialog starts with it. */
let lastServer = '';

const preview = new BlobPlayer('voxcpm-voice-preview-audio');
const reference = new ReferenceSlot('#node-config-input-reference', 'voxcpm-voice-reference');

function stopAll(): void {
  preview.stop();
  reference.stop();
}

const D = VOICE_DEFAULTS;

export const voiceDef: EditorNodeDef<VoiceProps> = {
  category: 'config',
  defaults: {
    name: {
      value: D.name,
      required: true,
      validate: validator<VoiceProps>(function (v) {
        return voiceNameVerdict(this, v);
      }),
    },
    prompt: { value: D.prompt },
    reference: { value: D.reference },
    referenceText: { value: D.referenceText },
  },
  paletteLabel(this: Translator) {
    return this._('voxcpm-voice.paletteLabel');
  },
  label(this: Translator & { name?: string }) {
    return this.name || this._('voxcpm-voice.paletteLabel');
  },
  oneditprepare() {
    prepare(this);
  },
  oneditsave: stopAll,
  oneditcancel: stopAll,
  oneditdelete: stopAll,
};

function prepare(node: EditorNodeInstance<VoiceProps>): void {
  const prompt = $('#node-config-input-prompt');
  const presets = preparePresets(node, $('#voxcpm-voice-presets'), (text) => prompt.val(text).trigger('change'));

  // Ultimate cloning (a reference with its transcript) sends no prompt: greyed out, and said why.
  const updateUltimate = () => {
    const ultimate = reference.path() !== '' && isUltimate($('#node-config-input-referenceText').val());
    prompt.prop('disabled', ultimate);
    presets.prop('disabled', ultimate);
    $('.voxcpm-voice-prompt-row').css('opacity', ultimate ? 0.5 : 1);
    $('#voxcpm-voice-ultimate').toggle(ultimate);
  };
  $('#node-config-input-referenceText, #node-config-input-reference').on('input change keyup', updateUltimate);
  updateUltimate();

  reference.prepare(node);

  // Preview's server: any voxcpm-server of the workspace, the one used last first.
  const servers = $('#voxcpm-voice-server');
  const ids: string[] = [];
  RED.nodes.eachConfig((config) => {
    const n = config as { type?: string; id?: string; name?: string; url?: string };
    if (n.type === 'voxcpm-server' && n.id) {
      ids.push(n.id);
      $('<option>').val(n.id).text(String(n.name || n.url || n.id).split('\n')[0]).appendTo(servers);
    }
    return true;
  });
  servers.val(ids.includes(lastServer) ? lastServer : (ids[0] ?? ''));
  servers.on('change', () => (lastServer = String(servers.val() ?? '')));

  preparePreview(node, { prefix: 'voxcpm-voice-preview', server: '#voxcpm-voice-server' }, preview, () => {
    const file = reference.path();
    const referenceText = String($('#node-config-input-referenceText').val() ?? '');
    // A cloned voice is previewed by voxcpm-clone's rules, a designed one by voxcpm-tts's.
    return { type: file ? 'voxcpm-clone' : 'voxcpm-tts', prompt: String(prompt.val() ?? ''), extra: { reference: file, referenceText } };
  });
}

export function registerVoice(): void {
  RED.nodes.registerType<VoiceProps>('voxcpm-voice', voiceDef);
}
