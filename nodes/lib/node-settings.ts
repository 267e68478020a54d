import type { OutputFormat } from './audio';
import { checkedAudioSteps, type AudioStepName, type SettingValue } from './audio-steps';
import { AUDIO_FORMATS, isAudioFormat, SYNTHESIS_DEFAULTS, type AudioFormat } from './defaults';
import { shownValue, VoxcpmError } from './errors';
import { AUDIO_DEFAULTS, type AudioSettings } from './synthesis';

/**
 * How a voxcpm-tts / voxcpm-clone node's settings are read, and how a message's properties
 * override them: once, for the deployed node (glue/flow-node.ts) and for Preview
 * (glue/admin-routes.ts), so that one value gives one result and one error text in both.
 * Knows nothing of Node-RED: the glue hands it the node's definition or the dialog's values.
 */

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['wav', 'base64', 'dataurl'];

/** The settings read here, as set: a deployed node's definition, or what Preview sends of the open dialog. */
export type SettingsSource = Partial<Record<
  | 'text' | 'output' | 'maxChunk' | 'pause' | 'sampleRate' | 'leadIn' | 'streaming' | 'outputFormat'
  | 'audioFormat' | 'cleanText' | 'normalizeNumbers' | 'speed' | 'loudness' | 'mp3Bitrate',
  unknown
>>;

/** A node's settings, read once (at deploy; per request for Preview). */
export interface NodeSettings extends Pick<AudioSettings, 'maxChunk' | 'pause' | 'sampleRate' | 'leadIn'> {
  textProperty: string;
  outputProperty: string;
  streaming: boolean;
  outputFormat: OutputFormat;
  /** As set (checked per message, so that a bad value in an imported flow is reported, not ignored). */
  nodeAudioFormat: unknown;
  /** The audio steps as set, checked per message as nodeAudioFormat is. */
  nodeSteps: Record<AudioStepName, unknown>;
  /** The text switches (always set: the defaults fill an older flow's). */
  cleanText: boolean;
  normalizeNumbers: boolean;
}

/** The message properties that override a node's audio settings; absent or null: the node's. */
export interface AudioOverrides {
  audioFormat?: unknown;
  cleanText?: unknown;
  normalizeNumbers?: unknown;
  speed?: unknown;
  loudness?: unknown;
  mp3Bitrate?: unknown;
}

/**
 * A node's settings from what is set: a number that is absent, "" or not a number is its
 * default (SYNTHESIS_DEFAULTS), a negative one 0; the audio format and steps are kept as set,
 * for audioSettingsOf to check. Never throws.
 */
export function readSettings(def: SettingsSource): NodeSettings {
  const num = (v: unknown, fallback: number) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? fallback : Math.max(0, Number(v)));
  const given = (v: unknown, fallback: unknown) => (v === undefined || v === '' ? fallback : v);
  const property = (v: unknown) => (typeof v === 'string' && v !== '' ? v : 'payload');
  return {
    textProperty: property(def.text),
    outputProperty: property(def.output),
    maxChunk: num(def.maxChunk, AUDIO_DEFAULTS.maxChunk),
    pause: num(def.pause, AUDIO_DEFAULTS.pause),
    sampleRate: num(def.sampleRate, AUDIO_DEFAULTS.sampleRate),
    leadIn: num(def.leadIn, AUDIO_DEFAULTS.leadIn),
    cleanText: flag(def.cleanText, SYNTHESIS_DEFAULTS.cleanText),
    normalizeNumbers: flag(def.normalizeNumbers, SYNTHESIS_DEFAULTS.normalizeNumbers),
    streaming: def.streaming === true || def.streaming === 'true',
    outputFormat: OUTPUT_FORMATS.includes(def.outputFormat as OutputFormat) ? (def.outputFormat as OutputFormat) : 'wav',
    nodeAudioFormat: given(def.audioFormat, SYNTHESIS_DEFAULTS.audioFormat),
    nodeSteps: {
      speed: given(def.speed, SYNTHESIS_DEFAULTS.speed),
      loudness: def.loudness ?? SYNTHESIS_DEFAULTS.loudness,
      mp3Bitrate: given(def.mp3Bitrate, SYNTHESIS_DEFAULTS.mp3Bitrate),
    },
  };
}

/**
 * The audio settings of one message (Preview: of none, `{}`): msg.audioFormat, msg.cleanText,
 * msg.normalizeNumbers and the audio steps beat the node's. Throws VOXCPM_INPUT_INVALID naming
 * the field (`msg.speed`, or the setting's `speed`) for a value outside its rule (defaults.ts),
 * before any request; checked in this order: format, switches, steps.
 */
export function audioSettingsOf(msg: AudioOverrides, settings: NodeSettings): AudioSettings {
  const { maxChunk, pause, sampleRate, leadIn } = settings;
  return {
    maxChunk,
    pause,
    sampleRate,
    leadIn,
    audioFormat: audioFormatOf(msg, settings),
    cleanText: switchOf(msg.cleanText, 'msg.cleanText', settings.cleanText),
    normalizeNumbers: switchOf(msg.normalizeNumbers, 'msg.normalizeNumbers', settings.normalizeNumbers),
    ...audioStepsOf(msg, settings),
  };
}

/** A checkbox setting: true or "true" on, false or "false" off, anything else (an older flow) the default. */
function flag(value: unknown, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

/** A message's text switch (msg.cleanText, msg.normalizeNumbers): a boolean beats the node's; VOXCPM_INPUT_INVALID otherwise. */
function switchOf(value: unknown, name: string, setting: boolean): boolean {
  if (value === undefined || value === null) return setting;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.badSwitch', { name, value: shownValue(value) });
}

/** The sample format: msg.audioFormat beats the node's; VOXCPM_INPUT_INVALID for an unknown one. */
function audioFormatOf(msg: AudioOverrides, settings: NodeSettings): AudioFormat {
  const { value, name } = overridden(msg, 'audioFormat', settings.nodeAudioFormat);
  if (isAudioFormat(value)) return value;
  throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.badAudioFormat', { name, value: shownValue(value), formats: AUDIO_FORMATS.join(', ') });
}

/** The message's value of `key` unless it is absent or null, else the node's, named as the user set it. */
function overridden(msg: AudioOverrides, key: keyof AudioOverrides, nodeValue: unknown): SettingValue {
  const fromMsg = msg[key] !== undefined && msg[key] !== null;
  return { value: fromMsg ? msg[key] : nodeValue, name: fromMsg ? `msg.${key}` : key };
}

/**
 * The audio steps (issue 10): msg.speed, msg.loudness and msg.mp3Bitrate beat the node's
 * (msg.loudness "" or false turns it off); checked by audio-steps.ts's rules.
 */
function audioStepsOf(msg: AudioOverrides, settings: NodeSettings): Pick<AudioSettings, 'speed' | 'loudness' | 'mp3Bitrate'> {
  const pick = (name: AudioStepName) => overridden(msg, name, settings.nodeSteps[name]);
  return checkedAudioSteps({ speed: pick('speed'), loudness: pick('loudness'), mp3Bitrate: pick('mp3Bitrate') });
}
