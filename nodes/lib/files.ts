import { constants, promises as fsp } from 'node:fs';

/** Why a bounded read refused a file: the caller turns it into its own error code. */
export type FileProblem = 'missing' | 'not-a-file' | 'too-large';

export class FileReadError extends Error {
  constructor(
    readonly problem: FileProblem,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'FileReadError';
  }
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
 * `noFollow`), 'not-a-file' (a directory, FIFO, device, socket), 'too-large'.
 */
export async function readRegularFile(file: string, maxBytes: number, options: { noFollow?: boolean } = {}): Promise<Buffer> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ELOOP: O_NOFOLLOW met a link; ENXIO: a FIFO with no writer opened for reading non-blocking (some systems).
    if (code === 'ENXIO') throw new FileReadError('not-a-file', file, `${file} is not a regular file`);
    throw new FileReadError('missing', file, `${file} does not exist or cannot be read${code === 'ELOOP' ? ' (it is a link)' : ''}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FileReadError('not-a-file', file, `${file} is not a regular file`);
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
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

function formatMB(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
