import type { TtsRequestBody } from './client';
import { ErrorKey, phrase, typePhrase, VoxcpmError } from './errors';
import { Reference, referenceFromValue } from './reference';
import { chooseVoice, type GivenSettings, type GivenValue, type Voice, type VoiceChoice } from './voice';

/**
 * The msg-to-request rules of the two flow nodes. Precedence, highest first:
 * a field of an object payload > the msg property > msg.voice > the node's voice >
 * the node's setting (written once, in voice.ts: chooseVoice).
 * A field that is present but empty counts as given ("" means "none").
 */

export type WarningKind = 'audio-dropped' | 'prompt-dropped' | 'reference-not-wav' | 'reference-duration';

export interface RequestWarning {
  kind: WarningKind;
  message: string;
}

export interface BuiltRequest {
  body: TtsRequestBody;
  /** audioDigest(body.audio), computed once with the reference ('' without one). */
  audioDigest: string;
  warnings: RequestWarning[];
  /** The name of the named voice spoken with (msg.voice on the output), if any. */
  voice?: string;
}

/** The parts of a Node-RED message these rules read. */
export interface InputMessage {
  payload?: unknown;
  prompt?: unknown;
  audio?: unknown;
  referenceText?: unknown;
}

/** The named voices of one message: the one msg.voice names, the node's own (voice.ts). */
export interface VoiceSettings {
  messageVoice?: Voice;
  nodeVoice?: Voice;
}

export interface TtsSettings extends VoiceSettings {
  prompt: string;
  /** Longer text, prompt or transcript is refused before any work (ServiceLimits.maxTextChars). */
  maxTextChars?: number;
}

export interface CloneSettings extends VoiceSettings {
  prompt: string;
  /** Longer text, prompt or transcript is refused before any work, the reference file unread. */
  maxTextChars?: number;
  referenceText: string;
  /** Path of the reference WAV on the Node-RED host, or "". */
  reference: string;
}

/** Loads the node's reference file (injected so these rules need no file system). */
export type ReferenceLoader = (file: string) => Promise<Reference>;

type Fields = Record<string, unknown>;

/**
 * Refuses a text, prompt or transcript longer than `maxChars` Unicode code
 * points with VOXCPM_INPUT_INVALID naming the limit; cheap (no copy), so it
 * runs before anything else.
 */
export function checkTextLimits(body: Pick<TtsRequestBody, 'text' | 'prompt' | 'reference_text'>, maxChars: number): void {
  const fields: Array<[ErrorKey, string]> = [
    ['request.fieldText', body.text],
    ['request.fieldPrompt', body.prompt],
    ['request.fieldReferenceText', body.reference_text],
  ];
  for (const [name, value] of fields) {
    const chars = codePoints(value, maxChars);
    if (chars > maxChars) {
      const shown = value.length > 2 * maxChars ? phrase('request.over', { n: 2 * maxChars }) : chars;
      throw new VoxcpmError(
        'VOXCPM_INPUT_INVALID',
        'request.textTooLong',
        { field: phrase(name), chars: shown, limit: maxChars },
      );
    }
  }
}

/** Code points in `text`, counting no further than a little past `max` (UTF-16 length is at most twice them). */
function codePoints(text: string, max: number): number {
  if (text.length <= max) return text.length;
  if (text.length > 2 * max) return text.length; // more than max whatever the pairs
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export function buildTtsRequest(msg: InputMessage, settings: TtsSettings): BuiltRequest {
  return ttsRequest(msg, settings).built;
}

/** buildTtsRequest's request, and chooseVoice's choice it was built from. */
function ttsRequest(msg: InputMessage, settings: TtsSettings): { built: BuiltRequest; choice: VoiceChoice } {
  const fields = payloadFields(msg);
  const text = readText(msg, fields);
  const choice = chooseVoice(voiceLevels(msg, fields, settings, false));
  const prompt = textOf(choice.prompt);
  if (settings.maxTextChars !== undefined) checkTextLimits({ text, prompt, reference_text: '' }, settings.maxTextChars);
  const warnings: RequestWarning[] = [];
  const dropped = [field(fields, 'audio'), fromMsg(msg.audio, 'msg.audio'), field(fields, 'reference_text'), fromMsg(msg.referenceText, 'msg.referenceText')]
    .filter((f): f is GivenValue => f !== undefined && !isEmpty(f.value))
    .map((f) => f.name);
  if (dropped.length > 0) {
    warnings.push({
      kind: 'audio-dropped',
      message: `voxcpm-tts does not clone voices: ${dropped.join(', ')} ignored. Use a voxcpm-clone node for reference audio.`,
    });
  }
  const built = { body: { text, prompt, audio: '', reference_text: '' }, audioDigest: '', warnings, voice: choice.voice?.name.trim() };
  return { built, choice };
}

export async function buildCloneRequest(msg: InputMessage, settings: CloneSettings, loadFile: ReferenceLoader): Promise<BuiltRequest> {
  const fields = payloadFields(msg);
  const text = readText(msg, fields);
  const choice = chooseVoice(voiceLevels(msg, fields, settings, true));
  const prompt = textOf(choice.prompt);
  const referenceText = textOf(choice.referenceText);
  if (settings.maxTextChars !== undefined) checkTextLimits({ text, prompt, reference_text: referenceText }, settings.maxTextChars);
  const built: BuiltRequest = { body: { text, prompt, audio: '', reference_text: '' }, audioDigest: '', warnings: [], voice: choice.voice?.name.trim() };

  const reference = await referenceOf(choice, loadFile);
  if (reference) return withReference(built, reference, referenceText);
  // A designed voice (named) speaks without reference, on voxcpm-clone too.
  if (choice.voice) return built;
  throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'request.noReference');
}

/**
 * voxcpm-tts with its settings' named voices: when chooseVoice picked a cloned voice, its
 * reference (and transcript) is sent, the one way voxcpm-tts sends reference audio; otherwise
 * buildTtsRequest. Rejects as buildTtsRequest does, and as Voice.loadReference does.
 */
export async function buildTtsVoiceRequest(msg: InputMessage, settings: TtsSettings): Promise<BuiltRequest> {
  const { built, choice } = ttsRequest(msg, settings);
  // voxcpm-tts takes no audio from a message: a reference can only be a cloned voice's.
  if (choice.reference?.from !== 'voice') return built;
  const referenceText = textOf(choice.referenceText);
  if (settings.maxTextChars !== undefined) checkTextLimits({ ...built.body, reference_text: referenceText }, settings.maxTextChars);
  return withReference(built, await choice.reference.voice.loadReference(), referenceText);
}

/**
 * A request without reference given its reference audio and transcript ("" or blank: none);
 * with a transcript (ultimate cloning) the prompt is dropped, with a warning.
 */
function withReference(built: BuiltRequest, reference: Reference, referenceText: string): BuiltRequest {
  const warnings = [...built.warnings];
  if (reference.warning) warnings.push(reference.warning);
  const transcript = referenceText.trim() === '' ? '' : referenceText;
  const prompt = ultimatePrompt(built.body.prompt, transcript, warnings);
  return { ...built, body: { ...built.body, prompt, audio: reference.base64, reference_text: transcript }, audioDigest: reference.digest, warnings };
}

/**
 * The levels of chooseVoice from a message and the node's settings. voxcpm-tts (`clones`
 * false) takes no audio or transcript from a message: those are dropped with a warning.
 */
function voiceLevels(msg: InputMessage, fields: Fields | undefined, settings: TtsSettings & Partial<CloneSettings>, clones: boolean) {
  const payload: GivenSettings = { prompt: field(fields, 'prompt') };
  const message: GivenSettings = { prompt: fromMsg(msg.prompt, 'msg.prompt') };
  if (clones) {
    payload.audio = field(fields, 'audio');
    payload.referenceText = field(fields, 'reference_text');
    message.audio = fromMsg(msg.audio, 'msg.audio');
    message.referenceText = fromMsg(msg.referenceText, 'msg.referenceText');
  }
  const own = { prompt: settings.prompt, reference: settings.reference ?? '', referenceText: settings.referenceText ?? '' };
  return { payload, message, messageVoice: settings.messageVoice, nodeVoice: settings.nodeVoice, own };
}

/** The reference audio chooseVoice picked, read or checked; undefined for none. */
async function referenceOf(choice: VoiceChoice, loadFile: ReferenceLoader): Promise<Reference | undefined> {
  const source = choice.reference;
  if (!source) return undefined;
  if (source.from === 'voice') return source.voice.loadReference();
  if (source.from === 'node') return loadFile(source.file);
  const given = source.given;
  if (isEmpty(given.value)) {
    throw new VoxcpmError('VOXCPM_AUDIO_MISSING', 'request.referenceEmpty', { name: given.name });
  }
  return referenceFromValue(given.value, given.name);
}

/** Ultimate cloning (with a transcript) requires the prompt to be exactly "": the prompt to send. */
function ultimatePrompt(prompt: string, referenceText: string, warnings: RequestWarning[]): string {
  if (referenceText.trim() === '') return prompt;
  if (prompt.trim() !== '') {
    warnings.push({
      kind: 'prompt-dropped',
      message: 'With a reference transcript (ultimate cloning) the prompt must be empty: the prompt was not sent',
    });
  }
  return '';
}

/** The payload's fields when it is a plain object (a request body copied from the API document). */
function payloadFields(msg: InputMessage): Fields | undefined {
  const p = msg.payload;
  return typeof p === 'object' && p !== null && !Array.isArray(p) && !Buffer.isBuffer(p) ? (p as Fields) : undefined;
}

function field(fields: Fields | undefined, key: string): GivenValue | undefined {
  if (!fields || !Object.prototype.hasOwnProperty.call(fields, key) || fields[key] === undefined) return undefined;
  return { name: `msg.payload.${key}`, value: fields[key] };
}

function fromMsg(value: unknown, name: string): GivenValue | undefined {
  return value === undefined ? undefined : { name, value };
}

function isEmpty(value: unknown): boolean {
  return value === null || value === '' || (Buffer.isBuffer(value) && value.length === 0);
}

/** The value as text: null counts as "", a finite number as its text; VOXCPM_INPUT_INVALID (naming it) otherwise. */
function textOf(given: GivenValue): string {
  const v = given.value;
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'request.notText', { name: given.name, type: typePhrase(v) });
}

function readText(msg: InputMessage, fields: Fields | undefined): string {
  let given: GivenValue;
  if (fields) {
    given = field(fields, 'text') ?? { name: 'msg.payload.text', value: undefined };
  } else {
    given = { name: 'msg.payload', value: msg.payload };
  }
  const v = given.value;
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number' && Number.isFinite(v)) text = String(v);
  else if (v === undefined || v === null) {
    throw new VoxcpmError('VOXCPM_TEXT_EMPTY', 'request.textMissing', { name: given.name });
  } else {
    throw new VoxcpmError('VOXCPM_TEXT_EMPTY', 'request.textNotText', { name: given.name, type: typePhrase(v) });
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new VoxcpmError('VOXCPM_TEXT_EMPTY', 'request.textEmpty', { name: given.name });
  return trimmed;
}
