/**
 * The English error texts, for the lib and for anything that runs without
 * Node-RED (tests, tools). They are the en-US catalog itself, not a copy: the
 * node layer renders the same keys in the runtime's language (glue/render-error.ts).
 */
import catalog from '../locales/en-US/voxcpm.json';

/** The English texts: the errors section of the node set's catalog (one place for every text). */
const en = catalog.errors;

/** The catalog's shape: nested objects of texts. */
type Texts = typeof en;

/** Every dotted path to a text in the catalog ("client.notJson"). */
type Paths<T> = { [K in keyof T & string]: T[K] extends string ? K : `${K}.${Paths<T[K]>}` }[keyof T & string];

/** A key of the errors catalog; checked by the compiler against the en-US texts. */
export type ErrorKey = Paths<Texts>;

/** A text of the catalog with its parameters: an error, or a piece of one (a type name, a cause). */
export interface Phrase {
  readonly key: ErrorKey;
  readonly params: ErrorParams;
}

/** A placeholder's value: quoted as is, or a phrase rendered in the same language. */
export type ErrorParam = string | number | Phrase;
export type ErrorParams = Readonly<Record<string, ErrorParam>>;

/** Finds the text of a key in one language, or undefined when that catalog has none. */
export type TextLookup = (key: ErrorKey) => string | undefined;

/** `__name__`: Node-RED's (i18next's) placeholder syntax. */
export const PLACEHOLDER = /__([A-Za-z][A-Za-z0-9]*)__/g;

export function phrase(key: ErrorKey, params: ErrorParams = {}): Phrase {
  return { key, params };
}

export function isPhrase(value: unknown): value is Phrase {
  return typeof value === 'object' && value !== null && typeof (value as Phrase).key === 'string' && typeof (value as Phrase).params === 'object';
}

/** The English text of a key, as written in the en-US catalog. */
export function englishText(key: string): string | undefined {
  let at: unknown = en;
  for (const part of key.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.prototype.hasOwnProperty.call(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' ? at : undefined;
}

/**
 * Fills a key's text with its parameters, phrases rendered by the same lookup
 * (English where `lookup` has no text). Values are inserted in one pass, so a
 * quoted server text such as "__init__() failed" is never read as a placeholder.
 * A nested phrase (a cause) is clipped so that the text around it fits `max`.
 * A placeholder with no parameter is left as it is, visible.
 */
export function renderPhrase(lookup: TextLookup, key: ErrorKey, params: ErrorParams, max = Infinity): string {
  const template = lookup(key) ?? englishText(key) ?? key;
  const fill = (values: Record<string, string>) =>
    template.replace(PLACEHOLDER, (all: string, name: string) => (Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all));
  const plain: Record<string, string> = {};
  const nested: Array<[string, Phrase]> = [];
  for (const [name, value] of Object.entries(params)) {
    if (isPhrase(value)) {
      nested.push([name, value]);
      plain[name] = '';
    } else {
      plain[name] = String(value);
    }
  }
  if (nested.length === 0) return fill(plain);
  const room = Math.max(0, max - fill(plain).length);
  for (const [name, value] of nested) plain[name] = clipText(renderPhrase(lookup, value.key, value.params, room), room);
  return fill(plain);
}

/** The English text of an error, or of a piece of one. */
export function renderError(key: ErrorKey, params: ErrorParams = {}, max = Infinity): string {
  return renderPhrase(englishText, key, params, max);
}

/** Shortens a text, marking the cut with an ellipsis. */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** A parameter as English text (a phrase rendered, anything else as it is). */
export function renderParam(value: ErrorParam): string {
  return typeof value === 'object' ? renderError(value.key, value.params) : String(value);
}
