/**
 * VoxCPM2's voice-design prefix: a description of the voice in parentheses at
 * the very start of the text, `(A cheerful young woman, fast)Good morning…` or
 * with full-width brackets `（年轻女性，温柔）早上好…` (the model's own syntax,
 * OpenBMB/VoxCPM; users type both widths).
 *
 * The description is taken out of the text and sent as the request's `prompt`:
 * the server puts its prompt in front of the text in exactly that form (see
 * /work/shared/voxcpm2-api.md, "Behind the API"), so every piece of a long text
 * is spoken in the designed voice, the description is never cut by splitting
 * nor counted in the piece limit, and pieces shared between texts stay shared
 * in the cache.
 *
 * Rules (README, "How text is prepared"):
 * - recognised only at the start (after white space), opened by `(` or `（` and
 *   closed by the first `)` or `）`; a description with nothing in it, with an
 *   opening bracket inside, or never closed is not one: the text is sent as written;
 * - it beats every other prompt (the node's setting, msg.prompt,
 *   msg.payload.prompt): the text is the most specific thing a message says;
 *   a replaced prompt is reported by a warning;
 * - in ultimate cloning (reference audio with its transcript) VoxCPM2 takes no
 *   description, so it is dropped with a warning, as the prompt is.
 */
import type { TextWarning } from './speech-text';

const OPEN = /^[\s\ufeff]*[(（]/;
const CLOSE = /[)）]/;

export interface VoiceDesign {
  /** The description without its brackets, trimmed; undefined when the text has none. */
  description?: string;
  /** The text after the description (the whole text when it has none). */
  text: string;
}

/** Takes a leading voice description off `text` (see the rules above). */
export function takeVoiceDesign(text: string): VoiceDesign {
  const open = OPEN.exec(text);
  if (!open) return { text };
  const from = open[0].length;
  const rest = text.slice(from);
  const close = CLOSE.exec(rest);
  if (!close) return { text };
  const inside = rest.slice(0, close.index);
  if (/[(（]/.test(inside) || inside.trim() === '') return { text };
  return { description: inside.trim(), text: rest.slice(close.index + 1) };
}

/**
 * The prompt a request is sent with, given the text's description: the
 * description when there is one (replacing `prompt`, with a warning when that
 * was not empty and differs), none in ultimate cloning (`ultimate`: the
 * description is dropped with a warning), else `prompt` unchanged.
 */
export function promptWithDesign(
  description: string | undefined,
  prompt: string,
  ultimate: boolean,
): { prompt: string; warning?: TextWarning } {
  if (description === undefined) return { prompt };
  if (ultimate) {
    return {
      prompt,
      warning: {
        kind: 'description-dropped',
        message: `With a reference transcript (ultimate cloning) VoxCPM2 takes no voice description: "(${description})" at the start of the text was not sent`,
      },
    };
  }
  const replaced = prompt.trim() !== '' && prompt.trim() !== description;
  return {
    prompt: description,
    warning: replaced
      ? {
          kind: 'prompt-replaced',
          message: `The voice description at the start of the text, "(${description})", replaces the prompt "${prompt}" for this message`,
        }
      : undefined,
  };
}
