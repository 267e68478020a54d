/**
 * The one place where an error's text is put in the runtime's language: its
 * catalog key is looked up with RED._ in the node set's namespace (section
 * `errors`), its parameters filled in as the lib fills the English ones.
 * Where the catalog has no text for a key, the English text stands.
 */
import type { ErrorKey, ErrorParams, TextLookup } from '../lib/error-texts';
import { renderPhrase } from '../lib/error-texts';
import { MAX_MESSAGE, VoxcpmError } from '../lib/errors';

/** The part of the runtime API that translates (RED._, a node's or the module's). */
export interface Translator {
  _(messageId: string, substitutions?: object): string;
}

/**
 * A lookup of the texts in the runtime's language. The texts are fetched raw
 * (skipInterpolation) and filled here, in one pass: a quoted server text that
 * holds "__init__" or "$t(…)" is never read by i18next as a placeholder or a nesting.
 */
export function runtimeTexts(RED: Translator): TextLookup {
  return (key) => {
    const id = `errors.${key}`;
    let text: unknown;
    try {
      text = RED._(id, { skipInterpolation: true });
    } catch {
      return undefined;
    }
    // i18next answers a missing key with the key itself (with or without its namespace).
    return typeof text === 'string' && text !== '' && text !== id && !text.endsWith(`:${id}`) ? text : undefined;
  };
}

/** A key's text in the runtime's language, clipped as error texts are. */
export function renderIn(RED: Translator, key: ErrorKey, params: ErrorParams = {}): string {
  const text = renderPhrase(runtimeTexts(RED), key, params, MAX_MESSAGE);
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

/**
 * The error as Node-RED should show it: the same code (and name), key,
 * parameters and retry, its message in the runtime's language.
 */
export function localise(RED: Translator, err: VoxcpmError): VoxcpmError {
  const message = renderIn(RED, err.key, err.params);
  return message === err.message ? err : err.withMessage(message);
}
