import { constants, promises as fsp, Stats } from 'node:fs';

/** Why a bounded read refused a file: the caller turns it into its own error code. */
export type FileProblem = 'missing' | 'not-a-file' | 'too-large';

export class FileReadError extends Error {
  /** The errno code behind a 'missing' (ENOENT, EACCES, ELOOP for a link with `noFollow`...), when there is one. */
  readonly code?: string;
  /** For 'not-a-file': what the path is instead, in words ("a FIFO (named pipe)", "a directory"...). */
  readonly kind?: string;

  constructor(
    readonly problem: FileProblem,
    readonly file: string,
    message: string,
    details: { code?: string; kind?: string } = {},
  ) {
    super(message);
    this.name = 'FileReadError';
    if (details.code !== undefined) this.code = details.code;
    if (details.kind !== undefined) this.kind = details.kind;
  }
}

/** A whole regular file and the fstat of the handle it was read from. */
export interface RegularFile {
  bytes: Buffer;
  /** The stat of the open handle: its size and mtime are those of the bytes read (no race with a rename). */
  stat: Stats;
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes.
 *
 * The file is opened without following a final symbolic link when `noFollow`
 * is set, and always with O_NONBLOCK, so that a FIFO or a device never blocks
 * a libuv thread; then `fstat` on the open handle (no race with a rename)
 * must say it is a regular file no larger than `maxBytes`, and at most
 * `maxBytes` bytes are read even if the file grows meanwhile.
 *
 * Throws FileReadError: 'missing' (absent, unreadable, or a link when
 * `noFollow`; `code` says which), 'not-a-file' (a directory, FIFO, device,
 * socket; `kind` says which), 'too-large' (the message names the size and the limit).
 */
export async function readRegularFile(file: string, maxBytes: number, options: { noFollow?: boolean } = {}): Promise<Buffer> {
  return (await readRegularFileWithStat(file, maxBytes, options)).bytes;
}

/** readRegularFile, also giving the fstat of the handle the bytes came from (for change detection). Same errors. */
export async function readRegularFileWithStat(file: string, maxBytes: number, options: { noFollow?: boolean } = {}): Promise<RegularFile> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0);
  // Opening some devices acts by itself (a watchdog starts its timer, a tape rewinds): look first.
  // The handle is checked again below, against a swap between the look and the open.
  const before = await (options.noFollow ? fsp.lstat(file) : fsp.stat(file)).catch(() => undefined);
  if (before && !before.isFile() && !(options.noFollow && before.isSymbolicLink())) {
    const kind = kindOf(before);
    throw new FileReadError('not-a-file', file, `${file} is ${kind}, not a regular file`, { kind });
  }
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENXIO: a socket, or a FIFO with no writer opened for reading non-blocking (some systems).
    if (code === 'ENXIO') {
      throw new FileReadError('not-a-file', file, `${file} is not a regular file (a socket or a pipe)`, { code, kind: 'a socket or a pipe' });
    }
    const why = code === 'ELOOP' ? ' (it is a symbolic link)' : code === 'EACCES' || code === 'EPERM' ? ' (permission denied)' : '';
    throw new FileReadError('missing', file, `${file} does not exist or cannot be read${why}`, { code });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const kind = kindOf(stat);
      throw new FileReadError('not-a-file', file, `${file} is ${kind}, not a regular file`, { kind });
    }
    if (stat.size > maxBytes) {
      throw new FileReadError('too-large', file, `${file} is ${formatMB(stat.size)}, more than the limit of ${formatMB(maxBytes)}`);
    }
    const buffer = Buffer.alloc(stat.size);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break; // the file shrank: what is there is what we have
      filled += bytesRead;
    }
    return { bytes: filled === buffer.length ? buffer : buffer.subarray(0, filled), stat };
  } finally {
    await handle.close();
  }
}

/** What a non-regular file is, in words for an error message. */
export function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return stat.isFile() ? 'a regular file' : 'a special file';
}

/** Bytes as MB with one decimal ("50 MB", "60.5 MB"), for messages. */
export function formatMB(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
