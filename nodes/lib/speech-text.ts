/**
 * How a message's text becomes the pieces the server is asked to speak, in
 * this order (README, "How text is prepared"):
 *
 * 1. SSML (text that starts with `<speak`): parsed into segments; a `<break>`
 *    becomes exact silence after its segment, `<prosody rate>` the segment's
 *    rate (its pieces are time-stretched by it, synthesis.ts); markup never
 *    reaches the server (ssml.ts);
 * 2. clean (setting `cleanText`, on by default): markdown and emoji removed
 *    (clean-text.ts);
 * 3. normalise numbers (setting `normalizeNumbers`, off by default): numbers,
 *    times, dates, units to words (numbers.ts);
 * 4. the voice-design prefix `(…)`/`（…）` taken off the start and sent as the
 *    prompt of every piece (voice-design.ts);
 * 5. split: each segment into pieces of at most `maxChunk` grapheme clusters
 *    (split-text.ts); pieces never span a break.
 *
 * Pure: no Node-RED, no I/O; run in place for short texts and in the worker
 * thread for long ones (offload.ts).
 */
import { cleanText as removeMarkup } from './clean-text';
import { VoxcpmError } from './errors';
import { normalizeNumbers as numbersToWords } from './numbers';
import { SPEAKABLE, splitText } from './split-text';
import { isSsml, parseSsml, type SpeechSegment } from './ssml';
import { promptWithDesign, takeVoiceDesign } from './voice-design';

export type TextWarningKind = 'ssml-ignored' | 'description-dropped' | 'prompt-replaced';

/** Something the user should know about how the text was read (the node warns with it). */
export interface TextWarning {
  kind: TextWarningKind;
  message: string;
}

/** The settings that change the pieces of a text (all part of the cache key). */
export interface TextSettings {
  /** Markdown and emoji removed before sending. */
  cleanText: boolean;
  /** Numbers, times, dates and units spelled out in words (English or Chinese per sentence). */
  normalizeNumbers: boolean;
  /** Pieces hold at most this many grapheme clusters (see splitText). */
  maxChunk: number;
}

/** One request's text and what follows it. */
export interface SpeechPiece {
  /** Trimmed, never empty. */
  text: string;
  /**
   * Milliseconds of silence after this piece, from an SSML break: replaces the
   * usual pause between pieces (0: none). Absent: the usual pause (none after the last).
   */
  pauseAfterMs?: number;
  /** Speed factor from SSML `<prosody rate>` (0.5–2), absent for 1: the piece's audio is time-stretched by it (pitch kept). */
  rate?: number;
}

export interface PreparedSpeech {
  pieces: SpeechPiece[];
  /** Milliseconds of silence before the first piece (an SSML break before any words), 0 for none. */
  pauseBeforeMs: number;
  /** The prompt to send with every piece (see promptWithDesign). */
  prompt: string;
  warnings: TextWarning[];
}

/** What the request says besides the text. */
export interface SpeechRequest {
  /** The prompt from the settings and the message. */
  prompt: string;
  /** Reference audio with its transcript: VoxCPM2 takes no description then. */
  ultimate: boolean;
}

/**
 * The pieces of `text` (see the module comment for the order of the steps).
 *
 * Throws VoxcpmError: VOXCPM_INPUT_INVALID for SSML that does not parse (with
 * its line and column, from parseSsml); VOXCPM_TEXT_EMPTY when nothing is left
 * to speak after the steps (a text of emoji and markup only, an SSML document
 * of breaks only, a voice description with no text after it).
 */
export async function prepareSpeech(text: string, request: SpeechRequest, settings: TextSettings): Promise<PreparedSpeech> {
  const warnings: TextWarning[] = [];
  let segments: SpeechSegment[];
  const ssml = isSsml(text);
  if (ssml) {
    const parsed = parseSsml(text);
    segments = parsed.segments;
    if (parsed.ignoredTags.length > 0) {
      const tags = parsed.ignoredTags.map((t) => `<${t}>`).join(', ');
      warnings.push({ kind: 'ssml-ignored', message: `SSML tags not understood, their words kept: ${tags}` });
    }
  } else {
    segments = [{ text }];
  }

  const texts: string[] = [];
  for (const segment of segments) {
    let t = segment.text;
    // Cleaned text with no letter or digit left (a lone "**", "—") has nothing to say.
    if (settings.cleanText) {
      t = removeMarkup(t);
      if (!SPEAKABLE.test(t)) t = '';
    }
    if (settings.normalizeNumbers && t.trim() !== '') t = await numbersToWords(t);
    texts.push(t);
  }

  // The voice description: at the start of the first words, whatever segment they are in.
  let prompt = request.prompt;
  const first = texts.findIndex((t) => t.trim() !== '');
  if (first >= 0) {
    const design = takeVoiceDesign(texts[first]);
    if (design.description !== undefined) {
      texts[first] = design.text;
      const chosen = promptWithDesign(design.description, request.prompt, request.ultimate);
      prompt = chosen.prompt;
      if (chosen.warning) warnings.push(chosen.warning);
    }
  }

  const pieces: SpeechPiece[] = [];
  let pauseBeforeMs = 0;
  segments.forEach((segment, i) => {
    const parts = texts[i].trim() === '' ? [] : splitText(texts[i], settings.maxChunk).map((p) => p.trim()).filter((p) => p !== '');
    for (const part of parts) pieces.push(segment.rate !== undefined && segment.rate !== 1 ? { text: part, rate: segment.rate } : { text: part });
    if (segment.breakAfterMs === undefined) return;
    const last = pieces[pieces.length - 1];
    // A break after a segment with no words adds to the silence before it (breaks in a row add up).
    if (parts.length > 0) last.pauseAfterMs = segment.breakAfterMs;
    else if (last) last.pauseAfterMs = (last.pauseAfterMs ?? 0) + segment.breakAfterMs;
    else pauseBeforeMs += segment.breakAfterMs;
  });

  if (pieces.length === 0) {
    const steps = [ssml ? 'SSML' : '', settings.cleanText ? 'cleanText' : '', settings.normalizeNumbers ? 'normalizeNumbers' : '']
      .filter((s) => s !== '')
      .join(', ');
    throw new VoxcpmError('VOXCPM_TEXT_EMPTY', 'speech.textEmpty', { steps: steps || 'voice description' });
  }
  return { pieces, pauseBeforeMs, prompt, warnings };
}
