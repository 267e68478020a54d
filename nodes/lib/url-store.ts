import { randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { URL_STORE_LIMITS } from './defaults';

/** The audio a link serves: WAV, or MP3 (audioFormat mp3). */
export type AudioContentType = 'audio/wav' | 'audio/mpeg';

/** The file name extension of each content type, in links and in spill files. */
export const LINK_EXTENSIONS: Readonly<Record<AudioContentType, 'wav' | 'mp3'>> = { 'audio/wav': 'wav', 'audio/mpeg': 'mp3' };

export interface UrlStoreLimits {
  /** Bytes of results held in memory, all together. */
  memoryBytes: number;
  /** Results larger than this go to a file at once. */
  spillAboveBytes: number;
  /** Bytes of results in files, all together; also the largest one result. */
  diskBytes: number;
}

const MB = 1024 * 1024;
export const DEFAULT_URL_STORE_LIMITS: UrlStoreLimits = {
  memoryBytes: URL_STORE_LIMITS.memoryMB * MB,
  spillAboveBytes: URL_STORE_LIMITS.spillAboveMB * MB,
  diskBytes: URL_STORE_LIMITS.diskMB * MB,
};

/** A result kept: its token (32 hex characters) and where it is. */
export interface Kept {
  token: string;
  extension: 'wav' | 'mp3';
  where: 'memory' | 'disk';
}

/**
 * Why a result was not kept: larger than the whole disk budget (`tooLarge`),
 * the files already hold as much as they may (`full`), or no folder to write
 * to (`noFolder`: none set, or it could not be made, or a write failed within
 * the last minute; `detail` says why).
 */
export interface Refused {
  refused: 'tooLarge' | 'full' | 'noFolder';
  detail?: string;
}

/** What a link serves: the bytes in memory, or a file of `size` bytes. */
export interface Served {
  contentType: AudioContentType;
  size: number;
  bytes?: Buffer;
  file?: string;
}

interface Entry {
  contentType: AudioContentType;
  size: number;
  expiresAt: number;
  /** In memory: always for a memory entry; for a file only while it is being written. */
  bytes?: Buffer;
  file?: string;
  /** The file is being written (the bytes serve meanwhile). */
  writing?: boolean;
  timer?: NodeJS.Timeout;
}

/** The names of the files this store writes: nothing else in the folder is ever removed. */
const OWN_FILE = /^voxcpm-([0-9a-f]{32})\.(wav|mp3)$/;
const TOKEN = /^[0-9a-f]{32}$/;
/** setTimeout's longest delay; longer link lives re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** After a failed write, results that need a file are refused for this long before the folder is tried again. */
const DISK_RETRY_MS = 60_000;

/**
 * Results kept for their link life under unguessable names, so that speakers
 * (Sonos, Cast, Home Assistant) can fetch them by URL. Nothing is evicted
 * before its time: small results stay in memory while the memory budget
 * allows, larger ones (and any once memory is full) are written to files of
 * their own in `folder`, within the disk budget; a result that fits nowhere is
 * refused, and the caller says so. Files are removed when their link expires,
 * and leftovers of an earlier run when the store starts (`start`).
 */
export class UrlStore {
  private readonly entries = new Map<string, Entry>();
  /** The token of each kept buffer: the same bytes put again (a cache hit) keep their link. */
  private readonly tokens = new WeakMap<Buffer, string>();
  private memoryUsed = 0;
  private diskUsed = 0;
  private folder?: string;
  private folderReady = false;
  private diskProblem?: { detail: string; until: number };

  constructor(private readonly limits: UrlStoreLimits = DEFAULT_URL_STORE_LIMITS) {}

  /**
   * Forgets every result (their files removed), takes `folder` for the files
   * from now on, and removes the files of ours left in it by an earlier run
   * (only names voxcpm-<32 hex>.wav|mp3; anything else stays). Resolves when
   * that cleaning is over; never rejects (a folder that does not exist yet is
   * made at the first file).
   */
  async start(folder: string | undefined): Promise<void> {
    this.clear();
    this.folder = folder;
    this.folderReady = false;
    this.diskProblem = undefined;
    if (!folder) return;
    let names: string[];
    try {
      names = await fsp.readdir(folder);
    } catch {
      return;
    }
    await Promise.all(
      names.map(async (name) => {
        const m = OWN_FILE.exec(name);
        if (!m || this.entries.has(m[1])) return;
        await fsp.unlink(path.join(folder, name)).catch(() => undefined);
      }),
    );
  }

  /**
   * Keeps a copy-free reference to `bytes` (the caller must not change them)
   * for `ttlMs` and returns its token, or why it cannot be kept. Synchronous:
   * a file is written in the background while the bytes serve; if that write
   * fails, the result stays in memory for its link life (so its link works),
   * `onLateFailure` is told, and results that need a file are refused for a minute.
   * The same Buffer object put again while its link lives (a cache hit: the cache
   * hands out its own buffer) gets the same token, living until the later of the two ends.
   */
  put(bytes: Buffer, contentType: AudioContentType, ttlMs: number, onLateFailure?: (err: Error) => void): Kept | Refused {
    const size = bytes.length;
    const extension = LINK_EXTENSIONS[contentType];
    const expiresAt = Date.now() + ttlMs;
    const known = this.tokens.get(bytes);
    const alive = known === undefined ? undefined : this.entries.get(known);
    if (known && alive && alive.contentType === contentType && alive.expiresAt > Date.now()) {
      // The very buffer again (the cache hands out its own): one link, living as long as the longer.
      alive.expiresAt = Math.max(alive.expiresAt, expiresAt);
      return { token: known, extension, where: alive.file ? 'disk' : 'memory' };
    }
    const token = randomBytes(16).toString('hex');
    const entry: Entry = { contentType, size, expiresAt, bytes };
    if (size <= this.limits.spillAboveBytes && this.memoryUsed + size <= this.limits.memoryBytes) {
      this.memoryUsed += size;
      this.add(token, entry);
      return { token, extension, where: 'memory' };
    }
    if (size > this.limits.diskBytes) return { refused: 'tooLarge' };
    const folderProblem = this.readyFolder();
    if (folderProblem) return { refused: 'noFolder', detail: folderProblem };
    if (this.diskUsed + size > this.limits.diskBytes) return { refused: 'full' };
    entry.file = path.join(this.folder as string, `voxcpm-${token}.${extension}`);
    entry.writing = true;
    this.diskUsed += size;
    this.add(token, entry);
    // 'wx': never over a file that is there; 0600: the names are the links' secrets.
    fsp.writeFile(entry.file, bytes, { flag: 'wx', mode: 0o600 }).then(
      () => {
        entry.writing = false;
        entry.bytes = undefined;
        if (this.entries.get(token) !== entry) void this.unlink(entry);
      },
      (err: Error) => {
        entry.writing = false;
        const file = entry.file as string;
        entry.file = undefined;
        this.diskUsed -= size;
        void fsp.unlink(file).catch(() => undefined);
        this.diskProblem = { detail: err.message, until: Date.now() + DISK_RETRY_MS };
        if (this.entries.get(token) === entry) {
          // Kept in memory for its link life, past the budget: the link was given and must work.
          this.memoryUsed += size;
          onLateFailure?.(err);
        } else {
          entry.bytes = undefined;
        }
      },
    );
    return { token, extension, where: 'disk' };
  }

  /** What `token` with `extension` serves, or undefined (unknown, expired, not a token, another extension). */
  open(token: string, extension: string): Served | undefined {
    if (!TOKEN.test(token)) return undefined;
    const entry = this.entries.get(token);
    if (!entry || LINK_EXTENSIONS[entry.contentType] !== extension) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.expire(token);
      return undefined;
    }
    return { contentType: entry.contentType, size: entry.size, ...(entry.bytes ? { bytes: entry.bytes } : { file: entry.file }) };
  }

  /** The bytes of a result held in memory (for tests and tools); undefined for files, unknown or expired tokens. */
  get(token: string): Buffer | undefined {
    const entry = TOKEN.test(token) ? this.entries.get(token) : undefined;
    return entry && entry.expiresAt > Date.now() ? entry.bytes : undefined;
  }

  /** Bytes held in memory and in files. */
  get usage(): { memory: number; disk: number; results: number } {
    return { memory: this.memoryUsed, disk: this.diskUsed, results: this.entries.size };
  }

  /** Forgets every result and removes their files (in the background). */
  clear(): void {
    for (const token of [...this.entries.keys()]) this.expire(token);
  }

  /**
   * At process exit: removes the files of every result at once (synchronous; files still being
   * written included) and forgets them all. Start cleans what a crash leaves.
   */
  closeSync(): void {
    for (const entry of this.entries.values()) {
      clearTimeout(entry.timer);
      if (entry.file) fs.rmSync(entry.file, { force: true });
    }
    this.entries.clear();
    this.memoryUsed = 0;
    this.diskUsed = 0;
  }

  private add(token: string, entry: Entry): void {
    this.entries.set(token, entry);
    if (entry.bytes) this.tokens.set(entry.bytes, token);
    this.arm(token, entry);
  }

  private arm(token: string, entry: Entry): void {
    const wait = entry.expiresAt - Date.now();
    if (wait <= 0) {
      this.expire(token);
      return;
    }
    entry.timer = setTimeout(() => {
      if (entry.expiresAt <= Date.now()) this.expire(token);
      else this.arm(token, entry);
    }, Math.min(wait, MAX_TIMER_MS));
    entry.timer.unref();
  }

  private expire(token: string): void {
    const entry = this.entries.get(token);
    if (!entry) return;
    this.entries.delete(token);
    clearTimeout(entry.timer);
    if (entry.file) {
      // A file still being written is removed once the write is over (see put).
      if (!entry.writing) void this.unlink(entry);
    } else {
      this.memoryUsed -= entry.size;
      entry.bytes = undefined;
    }
  }

  private async unlink(entry: Entry): Promise<void> {
    const file = entry.file;
    if (!file) return;
    entry.file = undefined;
    this.diskUsed -= entry.size;
    await fsp.unlink(file).catch(() => undefined);
  }

  /** Makes the folder at the first file (0700: the names are secrets); why it cannot be used, or undefined. */
  private readyFolder(): string | undefined {
    if (!this.folder) return 'no folder for files is set';
    if (this.diskProblem) {
      if (Date.now() < this.diskProblem.until) return this.diskProblem.detail;
      this.diskProblem = undefined;
      this.folderReady = false;
    }
    if (this.folderReady) return undefined;
    try {
      // Once per run (and after a failure): a small synchronous step, so that put can answer at once.
      fs.mkdirSync(this.folder, { recursive: true, mode: 0o700 });
      if (!fs.statSync(this.folder).isDirectory()) throw new Error(`${this.folder} is not a folder`);
      this.folderReady = true;
      return undefined;
    } catch (err) {
      const detail = (err as Error).message;
      this.diskProblem = { detail, until: Date.now() + DISK_RETRY_MS };
      return detail;
    }
  }
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range: bytes=...` header for one range (what players send).
 * Returns undefined for no range, 'unsatisfiable' for a range outside the data.
 */
export function parseRange(header: string | undefined, length: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or garbage: send it all
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, length - Number(m[2]));
    end = length - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  }
  if (start >= length || start > end) return 'unsatisfiable';
  return { start, end };
}
