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
  | 'VOXCPM_QUEUE_FULL';

/**
 * Faults that may pass, and so are retried: the server is down or still
 * loading its model (refused, connect timeout, HTTP 503), or one exchange
 * went wrong on the way (reset, HTTP 502/504).
 */
export type RetryKind = 'server-down' | 'transient';

/** Error texts stay short: they end up in status bars, logs and debug panes. */
export const MAX_MESSAGE = 300;

export class VoxcpmError extends Error {
  readonly code: VoxcpmErrorCode;
  /** Set when the fault may pass and the request may be tried again. */
  retry?: RetryKind;

  constructor(code: VoxcpmErrorCode, message: string, retry?: RetryKind) {
    super(clip(message, MAX_MESSAGE));
    // Node-RED builds msg.error.message from toString() ("name: message"), and only 4.1+
    // copies err.code to msg.error.code: with the code as the name, every version shows it.
    this.name = code;
    this.code = code;
    if (retry) this.retry = retry;
  }
}

/** The error an aborted request ends with: the reason it was given (msg.reset, a close), or a plain abort. */
export function abortError(signal?: AbortSignal): VoxcpmError {
  const reason: unknown = signal?.reason;
  return reason instanceof VoxcpmError ? reason : new VoxcpmError('VOXCPM_ABORTED', 'The request was aborted');
}

export function isVoxcpmError(err: unknown): err is VoxcpmError {
  return err instanceof VoxcpmError;
}

/** Shortens a text for inclusion in a message: never quote a whole base64 blob. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Describes a value's type in words for error messages ("a number", "an object"). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
