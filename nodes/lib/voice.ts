import { VOICE_NAME_MAX } from './defaults';
import { typePhrase, VoxcpmError } from './errors';
import type { Reference } from './reference';

/**
 * Named voices (voxcpm-voice config nodes) and the rule that decides, for one
 * message, where its prompt, reference audio and transcript come from.
 * Knows nothing of Node-RED: the glue hands it the deployed voices.
 */

/** A named voice as a voxcpm-voice node holds it. */
export interface Voice {
  /** What msg.voice says (matched by voiceKey). */
  readonly name: string;
  /** A designed voice's description, or the style of a cloned one. */
  readonly prompt: string;
  /** Path of the reference WAV on the Node-RED host; '' for a designed voice. */
  readonly reference: string;
  /** The reference's transcript: ultimate cloning when filled. */
  readonly referenceText: string;
  /**
   * The reference audio: read when first needed and again when the file changes, its digest
   * hashed once per read (ReferenceFile). Rejects as ReferenceFile.load does.
   */
  loadReference(): Promise<Reference>;
}

/** Longest msg.voice quoted back in an error: as long as a name may be. */
const MAX_SHOWN_NAME = VOICE_NAME_MAX;

/** How names are compared: trimmed, case-insensitive ("Anna " is "anna"). */
export function voiceKey(name: string): string {
  return name.trim().toLowerCase();
}

/** A voice with a reference is a cloned voice; without, a designed one. */
export function isCloned(voice: Voice): boolean {
  return voice.reference.trim() !== '';
}

/**
 * The deployed voices by name (voiceKey), built once per deploy and looked up per message: with
 * two voices of one name, the first in flow order (a deploy-time warning).
 */
export class VoiceIndex {
  private readonly byKey = new Map<string, Voice>();

  /** `voices` in flow order; unnamed voices are left out. */
  constructor(voices: readonly Voice[]) {
    for (const v of voices) {
      const key = voiceKey(v.name);
      if (key !== '' && !this.byKey.has(key)) this.byKey.set(key, v);
    }
  }

  /** The voice of a key (voiceKey), or undefined. */
  get(key: string): Voice | undefined {
    return this.byKey.get(key);
  }

  /** The voices' names, each once, in flow order. */
  names(): string[] {
    return [...this.byKey.values()].map((v) => v.name.trim());
  }
}

/**
 * The voice msg.voice names among `voices`: the deployed voices in flow order (with two of one
 * name, the first), or a function giving their index, called only when there is a name to look
 * up. undefined when msg.voice is absent, null or blank (the node's voice then applies).
 * Throws VOXCPM_INPUT_INVALID when it is not text, or names no voice: the message lists the
 * voices that exist, names only.
 */
export function findVoice(wanted: unknown, voices: readonly Voice[] | (() => VoiceIndex)): Voice | undefined {
  if (wanted === undefined || wanted === null) return undefined;
  if (typeof wanted !== 'string') {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'voice.notText', { type: typePhrase(wanted) });
  }
  const key = voiceKey(wanted);
  if (key === '') return undefined;
  const index = typeof voices === 'function' ? voices() : new VoiceIndex(voices);
  const found = index.get(key);
  if (found) return found;
  const names = index.names();
  const shown = wanted.trim().length > MAX_SHOWN_NAME ? `${wanted.trim().slice(0, MAX_SHOWN_NAME - 1)}…` : wanted.trim();
  if (names.length === 0) throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'voice.noVoices', { name: shown });
  throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'voice.unknown', { name: shown, names: names.join(', ') });
}

/**
 * The first of `all` (deployed voices, in flow order) before `self` with the same name, if any:
 * two voices of one name are a deploy-time warning, and msg.voice picks that first one.
 */
export function earlierNamesake<T extends { name: string }>(self: T, all: readonly T[]): T | undefined {
  const key = voiceKey(self.name);
  if (key === '') return undefined;
  for (const v of all) {
    if (v === self) return undefined;
    if (voiceKey(v.name) === key) return v;
  }
  return undefined;
}

// ---------------------------------------------------------------- precedence

/** A value a message gave, with the name to quote in errors (msg.prompt, msg.payload.audio). */
export interface GivenValue {
  name: string;
  value: unknown;
}

/** The voice settings one level of a message gives (fields present, "" included). */
export interface GivenSettings {
  prompt?: GivenValue;
  audio?: GivenValue;
  referenceText?: GivenValue;
}

/** The node's own voice settings (voxcpm-tts has no reference: ''). */
export interface OwnSettings {
  prompt: string;
  /** Path of the node's reference WAV, or ''. */
  reference: string;
  referenceText: string;
}

/** Every level that may say how a message sounds. */
export interface VoiceLevels {
  /** Fields of an object payload: prompt, audio, reference_text. */
  payload: GivenSettings;
  /** msg.prompt, msg.audio, msg.referenceText. */
  message: GivenSettings;
  /** The voice msg.voice names (findVoice). */
  messageVoice?: Voice;
  /** The node's voice setting. */
  nodeVoice?: Voice;
  own: OwnSettings;
}

/** Where the reference audio of a message comes from; none: not cloned. */
export type ReferenceSource =
  | { from: 'message'; given: GivenValue }
  | { from: 'voice'; voice: Voice }
  | { from: 'node'; file: string };

export interface VoiceChoice {
  /** The named voice the message speaks with (msg.voice on the output), if any. */
  voice?: Voice;
  prompt: GivenValue;
  referenceText: GivenValue;
  reference?: ReferenceSource;
}

/**
 * The voice settings of one message. Precedence, highest first (issue 12):
 *   1. fields of an object payload (`payload.prompt`, `payload.audio`, `payload.reference_text`)
 *   2. `msg.prompt` / `msg.audio` / `msg.referenceText`
 *   3. `msg.voice` (a voice's name)
 *   4. the node's voice
 *   5. the node's own prompt / reference / transcript
 * Levels 1 and 2 go field by field. A named voice (3 or 4) replaces the node's own settings as a
 * whole: a designed voice speaks without reference even on a voxcpm-clone node. A voice's
 * transcript goes with its recording only: with audio from the message it is not used.
 * Values are returned as given; the request builder checks their types.
 */
export function chooseVoice(levels: VoiceLevels): VoiceChoice {
  const { payload, message, own } = levels;
  const voice = levels.messageVoice ?? levels.nodeVoice;
  const audio = payload.audio ?? message.audio;
  let base: { prompt: string; referenceText: string; reference?: ReferenceSource; name: string };
  if (voice) {
    const name = `voice "${voice.name.trim()}"`;
    const reference: ReferenceSource | undefined = isCloned(voice) ? { from: 'voice', voice } : undefined;
    base = { prompt: voice.prompt, referenceText: audio || !reference ? '' : voice.referenceText, reference, name };
  } else {
    const file = own.reference.trim();
    base = { prompt: own.prompt, referenceText: own.referenceText, reference: file ? { from: 'node', file } : undefined, name: 'node' };
  }
  return {
    voice,
    prompt: payload.prompt ?? message.prompt ?? { name: base.name, value: base.prompt },
    referenceText: payload.referenceText ?? message.referenceText ?? { name: base.name, value: base.referenceText },
    reference: audio ? { from: 'message', given: audio } : base.reference,
  };
}
