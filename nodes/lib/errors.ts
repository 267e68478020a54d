import { clipText, ErrorKey, ErrorParam, ErrorParams, Phrase, phrase, renderError } from './error-texts';

export type { ErrorKey, ErrorParam, ErrorParams, Phrase } from './error-texts';
export { phrase } from './error-texts';

/**
 * Every failure the nodes report carries one of these codes. Node-RED copies
 * `err.code` to `msg.error.code`, so Catch flows can branch on it.
 */
export type VoxcpmErrorCode =
  | 'VOXCPM_TEXT_EMPTY'
  | 'VOXCPM_AUDIO_MISSING'
  | 'VOXCPM_AUDIO_INVALID'
  | 'VOXCPM_INPUT_INVALID'
  | 'VOXCPM_CONFIG'
  | 'VOXCPM_UNREACHABLE'
  | 'VOXCPM_TIMEOUT'
  | 'VOXCPM_SERVER_ERROR'
  | 'VOXCPM_HTTP'
  | 'VOXCPM_BAD_RESPONSE'
  | 'VOXCPM_ABORTED'
  | 'VOXCPM_QUEUE_FULL'
  /** A fault of the nodes themselves (a bug), never the server's: please report it. */
  | 'VOXCPM_INTERNAL';

/**
 * Faults that may pass, and so are retried: the server is down or still
 * loading its model (refused, connect timeout, HTTP 503), or one exchange
 * went wrong on the way (reset, HTTP 502/504).
 */
export type RetryKind = 'server-down' | 'transient';

/** Error texts stay short: they end up in status bars, logs and debug panes. */
export const MAX_MESSAGE = 300;

/**
 * A failure with its code, and its text as a catalog key with parameters
 * (nodes/locales/<lang>/errors.json). `message` is the English text; the node
 * layer renders the same key in the runtime's language (glue/render-error.ts).
 */
export class VoxcpmError extends Error implements Phrase {
  readonly code: VoxcpmErrorCode;
  readonly key: ErrorKey;
  readonly params: ErrorParams;
  /** Set when the fault may pass and the request may be tried again. */
  retry?: RetryKind;

  constructor(code: VoxcpmErrorCode, key: ErrorKey, params: ErrorParams = {}, retry?: RetryKind) {
    super(renderError(key, params, MAX_MESSAGE));
    this.message = clip(this.message, MAX_MESSAGE);
    // Node-RED builds msg.error.message from toString() ("name: message"), and only 4.1+
    // copies err.code to msg.error.code: with the code as the name, every version shows it.
    this.name = code;
    this.code = code;
    this.key = key;
    this.params = params;
    if (retry) this.retry = retry;
  }

  /**
   * The same error (code, key, parameters, retry) with `message` in another
   * language: what the node layer hands to Node-RED. Its stack says the same.
   */
  withMessage(message: string): VoxcpmError {
    const copy = new VoxcpmError(this.code, this.key, this.params, this.retry);
    copy.message = clip(message, MAX_MESSAGE);
    const frames = this.stack?.indexOf('\n    at ') ?? -1;
    copy.stack = `${this.code}: ${copy.message}${frames >= 0 && this.stack ? this.stack.slice(frames) : ''}`;
    return copy;
  }
}

/**
 * A failure that is no VoxcpmError is a bug of the nodes, never the server's
 * fault: VOXCPM_INTERNAL, with what the exception said.
 */
export function internalError(err: unknown): VoxcpmError {
  const said = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new VoxcpmError('VOXCPM_INTERNAL', 'internal.failure', { error: clip(said, 200) });
}

/**
 * The error with `rewrite` applied to every quoted text among its parameters
 * (phrases within phrases too), and its message rendered again from them:
 * how secrets are cut out of an error in every language. The same error when nothing changed.
 */
export function rewriteQuoted(err: VoxcpmError, rewrite: (text: string) => string): VoxcpmError {
  const params = rewriteParams(err.params, rewrite);
  return params === err.params ? err : new VoxcpmError(err.code, err.key, params, err.retry);
}

function rewriteParams(params: ErrorParams, rewrite: (text: string) => string): ErrorParams {
  let changed = false;
  const out: Record<string, ErrorParam> = {};
  for (const [name, value] of Object.entries(params)) {
    let next: ErrorParam = value;
    if (typeof value === 'string') next = rewrite(value);
    else if (typeof value === 'object') {
      const inner = rewriteParams(value.params, rewrite);
      if (inner !== value.params) next = phrase(value.key, inner);
    }
    changed ||= next !== value;
    out[name] = next;
  }
  return changed ? out : params;
}

/** The error an aborted request ends with: the reason it was given (msg.reset, a close), or a plain abort. */
export function abortError(signal?: AbortSignal): VoxcpmError {
  const reason: unknown = signal?.reason;
  return reason instanceof VoxcpmError ? reason : new VoxcpmError('VOXCPM_ABORTED', 'common.aborted');
}

export function isVoxcpmError(err: unknown): err is VoxcpmError {
  return err instanceof VoxcpmError;
}

/** Shortens a text for inclusion in a message: never quote a whole base64 blob. */
export function clip(text: string, max: number): string {
  return clipText(text, max);
}

/** A value as an error text quotes it: a string in quotes, a number as written, anything else by its type. */
export function shownValue(value: unknown): string | Phrase {
  return typeof value === 'string' ? `"${value}"` : typeof value === 'number' ? String(value) : typePhrase(value);
}

/** A value's type in words for error messages ("a number", "an object"), in the message's language. */
export function typePhrase(value: unknown): Phrase {
  if (value === null) return phrase('type.null');
  if (value === undefined) return phrase('type.nothing');
  if (Buffer.isBuffer(value)) return phrase('type.buffer');
  if (Array.isArray(value)) return phrase('type.array');
  switch (typeof value) {
    case 'object':
      return phrase('type.object');
    case 'string':
      return phrase('type.string');
    case 'number':
      return phrase('type.number');
    case 'boolean':
      return phrase('type.boolean');
    case 'bigint':
      return phrase('type.bigint');
    case 'symbol':
      return phrase('type.symbol');
    default:
      return phrase('type.function');
  }
}

/** Describes a value's type in English words ("a number", "an object"). */
export function describeType(value: unknown): string {
  const p = typePhrase(value);
  return renderError(p.key, p.params);
}
