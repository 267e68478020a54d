/**
 * The audio cache: finished WAV files by key, in memory and (optionally) on disk.
 *
 * Synthesis costs seconds of GPU time, so a phrase that was spoken once (the doorbell,
 * "the washing machine is done") is kept and must still play when the GPU box is down.
 *
 * - Memory tier: an LRU bounded by BYTES (lru-cache `maxSize` + `sizeCalculation`).
 * - Disk tier: `<dir>/voxcpm-cache/voxcpm-<key>.wav`, bounded by bytes too (`maxDirBytes`),
 *   least recently used first (file mtime, touched on hits), found again by a new instance
 *   after a restart.
 *
 * The configured directory may be a folder of the user's own (`myvoices/`): the cache works
 * only inside a subfolder of its own, `voxcpm-cache/`, and there only on files it can prove it
 * wrote: a regular file (never a link, FIFO or device; links are never followed), named
 * `voxcpm-<key>.wav`, ending with the cache's trailer whose length field matches the file. Anything
 * else is never read, renamed over, counted or deleted, in eviction, clear() and the startup scan
 * alike (a file at a cache name that lacks the trailer is reported once and left in place).
 *
 * No timers, no watchers, no handle left open between calls: every file handle is closed
 * in a `finally`. One AudioCache per directory is the intended use (the disk accounting is
 * per instance); two instances on one directory never corrupt or serve a torn file, but each
 * only knows the bytes it has seen.
 */

import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { FileReadError, kindOf, readRegularFile } from './files';
import { looksLikeMp3 } from './mp3';
import { looksLikeWav } from './wav';

export interface CacheOptions {
  /** Bound of the memory tier, in bytes. An item larger than this is never kept in memory. 0 disables the memory tier. */
  maxBytes: number;
  /** Directory of the disk tier (created recursively). No disk tier without it. */
  dir?: string;
  /** Bound of the disk tier, in bytes. Default: 8 × maxBytes, at least 64 MiB. */
  maxDirBytes?: number;
  /**
   * Disk problems (unwritable directory, full disk, unreadable or corrupt file) are reported
   * here, never thrown: the cache then behaves as a smaller or empty cache. A report is a
   * warning, the caller's operation did not fail. An exception thrown by the callback is ignored.
   */
  onError?: (err: AudioCacheError) => void;
  /**
   * Largest cache file read or written, in bytes (WAV plus the 48-byte trailer). A file at a cache
   * name that is larger is never read into memory. Default and upper bound: maxDirBytes.
   */
  maxEntryBytes?: number;
  /**
   * After a disk write failed (full disk, read-only or unwritable directory, short write) the
   * failure is reported once and disk writes are skipped for this long, in ms; then they are
   * tried again, without a new report while they keep failing. A successful write, or clear(),
   * ends the episode: the next failure is reported again. Default 60 000.
   */
  writeRetryMs?: number;
  /**
   * Writes the buffers at the start of a new temp file and resolves with the bytes written
   * (default: `handle.writev(buffers)`). Fewer bytes than asked is a failed write. For tests
   * (a full disk) and special file systems.
   */
  writev?: (handle: FileHandle, buffers: Buffer[]) => Promise<{ bytesWritten: number }>;
}

export interface AudioCacheStats {
  /** get() calls that returned audio (from memory or from disk). */
  hits: number;
  /** get() calls that returned undefined. */
  misses: number;
  /** Bytes held by the memory tier. */
  memoryBytes: number;
  /** Bytes of the cache files on disk, as known to this instance (trailers included). */
  diskBytes: number;
  /** Distinct keys that get() finds, in memory or on disk. */
  entries: number;
}

export type AudioCacheOperation = 'scan' | 'write' | 'read' | 'corrupt' | 'delete' | 'touch';

/** What onError receives. `code` is the errno code of the underlying failure when there is one. */
export class AudioCacheError extends Error {
  readonly operation: AudioCacheOperation;
  readonly path: string;
  readonly code?: string;

  constructor(operation: AudioCacheOperation, file: string, message: string, cause?: unknown) {
    super(`audio cache: ${message}`);
    this.name = 'AudioCacheError';
    this.operation = operation;
    this.path = file;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string') this.code = code;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/*
 * On-disk format: the WAV bytes exactly as given, followed by a 48-byte trailer
 *
 *   "VXCACHE1" (8 bytes) | payload length, u64 LE (8) | sha256(key ‖ payload) (32)
 *
 * Why a trailer with a length and a sha256 rather than parseWav plus a length check:
 * - A file cut anywhere loses its trailer (or its length no longer matches), so truncation,
 *   including "valid RIFF header + half the samples", is always detected. parseWav cannot
 *   do that: it deliberately accepts a short data chunk, and a WAV written by a streaming
 *   server may carry a size of 0 or 0xFFFFFFFF, so the header alone cannot prove completeness.
 * - A file that has the right length but wrong bytes (a bad SD-card block, a zero-filled
 *   extent after a power cut, random garbage) fails the hash. A length check cannot see that.
 * - The key is hashed in too, so a file renamed or copied under another key is rejected
 *   instead of speaking the wrong sentence.
 * - sha256 rather than zlib.crc32: crc32 is only in Node ≥ 20.15/22.2 and the package supports
 *   Node 18. sha256 of 10 MB takes about 7 ms (crc32: 2 ms), paid once per disk write and per
 *   disk read, next to seconds of synthesis: not worth a version-dependent code path.
 * - A trailer rather than a header: the file stays a playable WAV (players follow the RIFF
 *   sizes and ignore what follows), and the file is written in one sequential pass.
 * The payload must also still look like RIFF/WAVE (set() refuses anything else).
 */
const MAGIC = Buffer.from('VXCACHE1', 'latin1');
const TRAILER_BYTES = MAGIC.length + 8 + 32;

/** Keys become file names: no dots, no separators, nothing a path could be made of. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** The cache's own subfolder inside the configured directory: it never works outside it. */
export const CACHE_SUBDIR = 'voxcpm-cache';
/** Every file the cache writes is named `voxcpm-<key>.wav` (temp files: `voxcpm-<key>.<pid>.<hex>.tmp`). */
export const CACHE_FILE_PREFIX = 'voxcpm-';
const WAV_FILE = /^voxcpm-([A-Za-z0-9_-]{1,128})\.wav$/;
const TMP_FILE = /^voxcpm-([A-Za-z0-9_-]{1,128})\.(\d+)\.([0-9a-f]+)\.tmp$/;
/** How long disk writes pause after a failed one (full disk...) before they are tried again. */
const DEFAULT_WRITE_RETRY_MS = 60 * 1000;

const MIB = 1024 * 1024;
const MIN_DEFAULT_DIR_BYTES = 64 * MIB;
/** A temp file whose writer is alive is left alone unless it is older than this. */
const STALE_TMP_MS = 60 * 60 * 1000;
/** A memory hit refreshes the file's mtime (its LRU age after a restart) at most this often. */
const TOUCH_INTERVAL_MS = 60 * 1000;

interface DiskEntry {
  size: number;
  /** When the file's mtime was last set by us (ms since epoch). */
  touched: number;
}

export class AudioCache {
  private readonly memory: LRUCache<string, Buffer>;
  private readonly maxBytes: number;
  private readonly dir?: string;
  private readonly maxDirBytes: number;
  private readonly maxEntryBytes: number;
  private readonly writeRetryMs: number;
  private readonly writev: (handle: FileHandle, buffers: Buffer[]) => Promise<{ bytesWritten: number }>;
  private readonly onError?: (err: AudioCacheError) => void;
  /** Keys whose file name is taken by a file this cache cannot prove it wrote: never read, replaced or deleted. */
  private readonly foreign = new Set<string>();
  /** A disk-write failure was reported and no write has succeeded since. */
  private writeFailing = false;
  /** Disk writes are skipped until this time (ms since epoch) after a failure. */
  private writeRetryAt = 0;

  /** Disk entries in LRU order: the first is the least recently used (a Map keeps insertion order). */
  private readonly disk = new Map<string, DiskEntry>();
  private diskTotal = 0;
  private hits = 0;
  private misses = 0;
  /** Per-key chains: every disk read, write and delete of one key runs alone. */
  private readonly locks = new Map<string, Promise<void>>();
  /** One eviction pass at a time. */
  private evicting: Promise<void> = Promise.resolve();
  /** Disk writes under way, so that clear() can wait for them. */
  private readonly writes = new Set<Promise<void>>();
  private readonly startup: Promise<void>;

  constructor(options: CacheOptions) {
    const { maxBytes, dir, maxDirBytes, maxEntryBytes, writeRetryMs, onError } = options;
    if (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || maxBytes < 0) {
      throw new TypeError(`AudioCache: maxBytes must be a number of bytes ≥ 0, got ${String(maxBytes)}`);
    }
    if (maxDirBytes !== undefined && (typeof maxDirBytes !== 'number' || !Number.isFinite(maxDirBytes) || maxDirBytes <= 0)) {
      throw new TypeError(`AudioCache: maxDirBytes must be a positive number of bytes, got ${String(maxDirBytes)}`);
    }
    if (maxEntryBytes !== undefined && (typeof maxEntryBytes !== 'number' || !Number.isFinite(maxEntryBytes) || maxEntryBytes <= 0)) {
      throw new TypeError(`AudioCache: maxEntryBytes must be a positive number of bytes, got ${String(maxEntryBytes)}`);
    }
    if (writeRetryMs !== undefined && (typeof writeRetryMs !== 'number' || !Number.isFinite(writeRetryMs) || writeRetryMs < 0)) {
      throw new TypeError(`AudioCache: writeRetryMs must be a number of ms ≥ 0, got ${String(writeRetryMs)}`);
    }
    this.maxBytes = Math.floor(maxBytes);
    // lru-cache wants a positive maxSize; with maxBytes 0 every item is "too large" and skipped below.
    this.memory = new LRUCache<string, Buffer>({
      maxSize: Math.max(1, this.maxBytes),
      sizeCalculation: (value) => Math.max(1, value.length),
    });
    // Everything on disk happens inside the cache's own subfolder of the configured directory.
    this.dir = dir === undefined ? undefined : path.join(path.resolve(dir), CACHE_SUBDIR);
    this.maxDirBytes = Math.floor(maxDirBytes ?? Math.max(8 * this.maxBytes, MIN_DEFAULT_DIR_BYTES));
    this.maxEntryBytes = Math.min(this.maxDirBytes, Math.floor(maxEntryBytes ?? this.maxDirBytes));
    this.writeRetryMs = writeRetryMs ?? DEFAULT_WRITE_RETRY_MS;
    this.writev = options.writev ?? ((handle, buffers) => handle.writev(buffers));
    this.onError = onError;
    this.startup = this.dir === undefined ? Promise.resolve() : this.scan(this.dir);
  }

  /**
   * The key of a request: sha256 (hex) of a canonical JSON of `parts`, object keys sorted at
   * every depth. Values are read the way JSON.stringify reads them (undefined properties are
   * left out, NaN is null, toJSON is used), so two requests that would send the same body get
   * the same key, except that Buffers and Uint8Arrays are written as `Buffer(<sha256 of the
   * bytes>)`, a token no JSON value can produce: a 10 MB reference recording is hashed, not
   * serialized, and cannot collide with a string or an object. Throws a TypeError for a cycle
   * or a BigInt.
   */
  static key(parts: Record<string, unknown>): string {
    return sha256Hex(canonical(parts, new Set()) ?? 'null');
  }

  /** Resolves when the startup scan of the directory (stale temp files, sizes) is done. Never rejects. */
  ready(): Promise<void> {
    return this.startup;
  }

  get stats(): AudioCacheStats {
    let entries = this.disk.size;
    for (const key of this.memory.keys()) if (!this.disk.has(key)) entries++;
    return {
      hits: this.hits,
      misses: this.misses,
      memoryBytes: this.memory.calculatedSize,
      diskBytes: this.diskTotal,
      entries,
    };
  }

  /**
   * The WAV stored under `key`, or undefined. Memory first, then disk; a disk hit is put back
   * in memory. The Buffer returned is the caller's own copy: mutating it changes nothing here
   * (a memory hit copies the bytes: about 1–2 ms for 10 MB; a disk hit that is too large for
   * memory returns the bytes it read, without a copy). With `shared`, a memory hit is the
   * cache's own buffer, the same one each time: the caller must never change it.
   */
  async get(key: string, options: { shared?: boolean } = {}): Promise<Buffer | undefined> {
    checkKey(key);
    const inMemory = this.memory.get(key);
    if (inMemory) {
      this.hits++;
      const found = options.shared ? inMemory : Buffer.from(inMemory);
      await this.refresh(key);
      return found;
    }
    const fromDisk = this.dir === undefined ? undefined : await this.readDisk(this.dir, key);
    if (!fromDisk) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // A set() that ran meanwhile put a newer value in memory: keep that one.
    if (this.memory.has(key) || fromDisk.length > this.maxBytes) {
      // Not kept in memory: the bytes just read are nobody else's, no copy needed (the large
      // items, those that are never in memory, are the ones a copy would cost the most).
      return fromDisk;
    }
    this.remember(key, fromDisk);
    return options.shared ? fromDisk : Buffer.from(fromDisk);
  }

  /**
   * Stores `wav` under `key`: in memory when it fits, and on disk when a directory is set.
   * The cache keeps its own copy, so the caller may go on using and mutating `wav`, unless
   * `owned` says the caller hands the buffer over and will never change it.
   * Resolves once the file is in place (or its failure reported through onError) and the
   * directory is back under its bound. Rejects only for a bad argument (a key that cannot be a
   * file name, a value that is not a RIFF/WAVE Buffer), never for a disk problem.
   */
  async set(key: string, wav: Buffer, options: { owned?: boolean } = {}): Promise<void> {
    checkKey(key);
    if (!Buffer.isBuffer(wav)) throw new TypeError('AudioCache.set: the value must be a Buffer');
    if (!looksLikeWav(wav) && !looksLikeMp3(wav)) throw new TypeError('AudioCache.set: the value is not a RIFF/WAVE or MP3 file');
    const own = options.owned ? wav : Buffer.from(wav);
    this.remember(key, own);
    if (this.dir === undefined) return;
    if (own.length + TRAILER_BYTES > this.maxEntryBytes) return; // could only push everything else out
    if (Date.now() < this.writeRetryAt) return; // the last disk write failed (full disk...): memory only for now
    const write = this.writeDisk(this.dir, key, own);
    this.writes.add(write);
    try {
      await write;
    } finally {
      this.writes.delete(write);
    }
    await this.evict(this.dir);
  }

  /**
   * Empties both tiers: memory at once, then the files of this cache in its subfolder (after
   * the writes under way have finished): only files it can prove it wrote (see the top of this
   * file). Other files are left alone. The hit and miss counters are not reset. Disk writes
   * paused by a failure are tried again at once (clearing may have freed the space).
   */
  async clear(): Promise<void> {
    this.memory.clear();
    const dir = this.dir;
    if (dir === undefined) return;
    await this.startup;
    await Promise.allSettled([...this.writes]);
    let names: string[];
    try {
      // Through a link put at the subfolder's place, nothing is listed or deleted.
      names = (await this.isOwnDir(dir)) ? await fsp.readdir(dir) : [];
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.report(new AudioCacheError('scan', dir, `cannot list ${dir}: ${messageOf(err)}`, err));
      names = [];
    }
    const keys = new Set(this.disk.keys());
    for (const name of names) {
      const match = WAV_FILE.exec(name);
      if (match) keys.add(match[1]);
    }
    for (const key of keys) {
      await this.withLock(key, async () => {
        await this.removeOwned(dir, key);
      });
    }
    this.writeRetryAt = 0;
  }

  // ---- memory tier ----

  private remember(key: string, wav: Buffer): void {
    if (wav.length > this.maxBytes) {
      // lru-cache would refuse it anyway; drop an older, smaller value of the same key.
      this.memory.delete(key);
      return;
    }
    this.memory.set(key, wav);
  }

  // ---- disk tier ----

  private fileOf(dir: string, key: string): string {
    return path.join(dir, `${CACHE_FILE_PREFIX}${key}.wav`);
  }

  /**
   * Creates the cache's subfolder when needed and checks that it is a real directory: a link
   * there (to anywhere) is refused, so the cache never writes or deletes outside its folder.
   */
  private async ensureDir(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
    const st = await fsp.lstat(dir);
    if (!st.isDirectory()) {
      const err: NodeJS.ErrnoException = new Error(`${dir} is ${kindOf(st)}, not a folder of the cache's own`);
      err.code = 'ENOTDIR';
      throw err;
    }
  }

  /** Whether the subfolder is a real directory (not a link to one elsewhere); false when absent too. */
  private async isOwnDir(dir: string): Promise<boolean> {
    try {
      return (await fsp.lstat(dir)).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * Whether `file` is a cache file this cache wrote: a regular file (opened without following
   * links, without blocking on a FIFO) ending with the trailer's magic and a length field that
   * matches the file's size. Only the last 48 bytes are read. The sha256 is checked on get().
   */
  private async inspect(file: string): Promise<Inspection> {
    let handle: FileHandle;
    try {
      handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return { state: 'absent' };
      if (code === 'ELOOP') return { state: 'foreign', why: 'a symbolic link' };
      if (code === 'ENXIO') return { state: 'foreign', why: 'a socket or a pipe' };
      throw err;
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) return { state: 'foreign', why: kindOf(st) };
      if (st.size < TRAILER_BYTES) return { state: 'foreign', why: NO_TRAILER };
      const tail = Buffer.alloc(MAGIC.length + 8);
      const { bytesRead } = await handle.read(tail, 0, tail.length, st.size - TRAILER_BYTES);
      const at = st.size - TRAILER_BYTES;
      if (bytesRead !== tail.length || !tail.subarray(0, MAGIC.length).equals(MAGIC) || tail.readBigUInt64LE(MAGIC.length) !== BigInt(at)) {
        return { state: 'foreign', why: NO_TRAILER };
      }
      return { state: 'ours', size: st.size, mtimeMs: st.mtimeMs };
    } finally {
      await handle.close();
    }
  }

  /** A file at a cache name that the cache did not write: reported once, then never touched. */
  private markForeign(dir: string, key: string, why: string): void {
    this.forget(key);
    if (this.foreign.has(key)) return;
    this.foreign.add(key);
    const file = this.fileOf(dir, key);
    this.report(new AudioCacheError('corrupt', file, `${file} is ${why}; it is not used and was left in place`));
  }

  /** Startup: create the subfolder, remove stale temp files, learn the cache files' sizes and LRU order. */
  private async scan(dir: string): Promise<void> {
    try {
      await this.ensureDir(dir);
      const names = await fsp.readdir(dir);
      const found: { key: string; size: number; mtime: number }[] = [];
      for (const name of names) {
        const file = path.join(dir, name);
        const tmp = TMP_FILE.exec(name);
        const wav = WAV_FILE.exec(name);
        if (tmp) {
          let st;
          try {
            st = await fsp.lstat(file); // a link named like a temp file is not ours: never followed, never deleted
          } catch (err) {
            if (errnoCode(err) !== 'ENOENT') this.report(new AudioCacheError('scan', file, `cannot stat ${file}: ${messageOf(err)}`, err));
            continue;
          }
          if (st.isFile() && isStaleTmp(Number(tmp[2]), st.mtimeMs)) await this.unlinkQuietly(file);
        } else if (wav) {
          let seen: Inspection;
          try {
            seen = await this.inspect(file);
          } catch (err) {
            this.report(new AudioCacheError('scan', file, `cannot read ${file}: ${messageOf(err)}`, err));
            continue;
          }
          if (seen.state === 'ours') found.push({ key: wav[1], size: seen.size, mtime: seen.mtimeMs });
          else if (seen.state === 'foreign') this.markForeign(dir, wav[1], seen.why);
        }
      }
      found.sort((a, b) => a.mtime - b.mtime);
      for (const { key, size, mtime } of found) {
        // A set() may already have written this key while the scan ran; its entry is newer.
        if (this.disk.has(key)) continue;
        this.disk.set(key, { size, touched: mtime });
        this.diskTotal += size;
      }
    } catch (err) {
      this.report(new AudioCacheError('scan', dir, `cannot use the cache directory ${dir}: ${messageOf(err)}`, err));
    }
  }

  private async readDisk(dir: string, key: string): Promise<Buffer | undefined> {
    await this.startup;
    if (this.foreign.has(key)) return undefined;
    return this.withLock(key, async () => {
      const file = this.fileOf(dir, key);
      if (!(await this.isOwnDir(dir))) {
        this.forget(key);
        return undefined;
      }
      let bytes: Buffer;
      try {
        // Never through a link, never blocking on a FIFO, never more than a cache file can be.
        bytes = await readRegularFile(file, this.maxEntryBytes, { noFollow: true });
      } catch (err) {
        if (err instanceof FileReadError && err.problem === 'missing' && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) {
          this.forget(key);
        } else if (err instanceof FileReadError && err.problem !== 'missing') {
          await this.discardUnusable(dir, key, err.message);
        } else if (err instanceof FileReadError && err.code === 'ELOOP') {
          this.markForeign(dir, key, 'a symbolic link');
        } else {
          this.report(new AudioCacheError('read', file, `cannot read ${file}: ${messageOf(err)}`, err));
        }
        return undefined;
      }
      const payload = unwrap(key, bytes);
      if (typeof payload === 'string') {
        await this.discardUnusable(dir, key, `${file} is corrupt (${payload})`);
        return undefined;
      }
      this.track(key, bytes.length, 0);
      await this.touch(dir, key);
      return payload;
    });
  }

  private async writeDisk(dir: string, key: string, wav: Buffer): Promise<void> {
    await this.startup;
    const trailer = makeTrailer(key, wav);
    await this.withLock(key, async () => {
      const file = this.fileOf(dir, key);
      const tmp = path.join(dir, `${CACHE_FILE_PREFIX}${key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      let handle: FileHandle | undefined;
      let created = false;
      try {
        await this.ensureDir(dir);
        // A file of someone else's at this name is never replaced.
        if (!(await this.mayReplace(dir, key))) return;
        handle = await fsp.open(tmp, 'wx');
        created = true;
        const expected = wav.length + trailer.length;
        const { bytesWritten } = await this.writev(handle, [wav, trailer]);
        if (bytesWritten !== expected) {
          throw new Error(`short write: ${bytesWritten} of ${expected} bytes written (is the disk full?)`);
        }
        // fsync before the rename: the rename must never point at blocks that a power cut
        // (a Raspberry Pi unplugged) leaves unwritten. A rename alone already protects against a
        // crash of Node-RED, and the trailer's hash would catch a torn file anyway, but then the
        // phrases written in the ~30 s before the cut (the kernel's writeback delay) would be
        // lost: fsync makes a finished set() durable. It costs a few ms per write (about 4 ms
        // for 10 MB on an SSD; more on an SD card), in the thread pool, not on the event loop,
        // once per new phrase. The directory is not fsynced: a lost rename means a lost entry
        // (a miss), never a wrong one.
        await handle.sync();
        await handle.close();
        handle = undefined;
        // Checked again just before the rename: the name may have been taken meanwhile.
        if (!(await this.mayReplace(dir, key))) {
          await this.unlinkQuietly(tmp);
          return;
        }
        await fsp.rename(tmp, file);
      } catch (err) {
        if (handle) await handle.close().catch(() => undefined);
        if (created) await fsp.unlink(tmp).catch(() => undefined);
        this.writeFailed(new AudioCacheError('write', file, `cannot write ${file}: ${messageOf(err)}`, err));
        return;
      }
      this.writeFailing = false;
      this.writeRetryAt = 0;
      this.track(key, wav.length + TRAILER_BYTES, Date.now());
    });
  }

  /** Whether a write may put its file at `key`'s name: nothing there, or a file of this cache. */
  private async mayReplace(dir: string, key: string): Promise<boolean> {
    const seen = await this.inspect(this.fileOf(dir, key));
    if (seen.state === 'foreign') {
      this.markForeign(dir, key, seen.why);
      return false;
    }
    this.foreign.delete(key); // gone, or replaced by a file of ours (another instance)
    return true;
  }

  /**
   * A disk write failed. Full disk, read-only or unwritable directory: the next writes would fail
   * too, so the failure is reported once per episode and writes pause for writeRetryMs.
   */
  private writeFailed(err: AudioCacheError): void {
    this.writeRetryAt = Date.now() + this.writeRetryMs;
    if (this.writeFailing) return;
    this.writeFailing = true;
    this.report(err);
  }

  /** Deletes least-recently-used files until the directory is under its bound. */
  private evict(dir: string): Promise<void> {
    const pass = this.evicting.then(async () => {
      while (this.diskTotal > this.maxDirBytes) {
        const victim = this.disk.keys().next();
        if (victim.done) break;
        const key = victim.value;
        await this.withLock(key, async () => {
          // Re-check: while we waited for the lock the entry may have been used or rewritten.
          if (this.diskTotal > this.maxDirBytes && this.disk.keys().next().value === key) {
            await this.removeOwned(dir, key);
          }
        });
      }
    });
    this.evicting = pass.catch(() => undefined);
    return pass;
  }

  /**
   * A memory hit also makes the file the most recently used, so that a phrase always served
   * from memory is not the first to leave the disk. Its mtime (the LRU order after a restart)
   * is refreshed at most once a minute, to spare the disk (an SD card) a write per hit.
   */
  private async refresh(key: string): Promise<void> {
    const entry = this.disk.get(key);
    if (!entry || this.dir === undefined) return;
    this.disk.delete(key);
    this.disk.set(key, entry);
    if (Date.now() - entry.touched >= TOUCH_INTERVAL_MS) await this.touch(this.dir, key);
  }

  private async touch(dir: string, key: string): Promise<void> {
    const entry = this.disk.get(key);
    if (!entry) return;
    this.disk.delete(key);
    this.disk.set(key, entry);
    const now = new Date();
    entry.touched = now.getTime();
    const file = this.fileOf(dir, key);
    try {
      await fsp.lutimes(file, now, now); // lutimes: a link put there is never followed
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.report(new AudioCacheError('touch', file, `cannot touch ${file}: ${messageOf(err)}`, err));
    }
  }

  /** Records that `key`'s file exists with `size` bytes and is the most recently used. */
  private track(key: string, size: number, touched: number): void {
    const old = this.disk.get(key);
    if (old) this.diskTotal -= old.size;
    this.disk.delete(key);
    this.disk.set(key, { size, touched });
    this.diskTotal += size;
  }

  private forget(key: string): void {
    const old = this.disk.get(key);
    if (!old) return;
    this.diskTotal -= old.size;
    this.disk.delete(key);
  }

  /**
   * A cache file that cannot be used (bad checksum, too large, not a WAV...): deleted when it
   * carries the cache's trailer (ours, gone bad), else left in place as someone else's.
   */
  private async discardUnusable(dir: string, key: string, message: string): Promise<void> {
    const file = this.fileOf(dir, key);
    let seen: Inspection;
    try {
      seen = await this.inspect(file);
    } catch (err) {
      this.forget(key);
      this.report(new AudioCacheError('read', file, `cannot read ${file}: ${messageOf(err)}`, err));
      return;
    }
    if (seen.state === 'foreign') {
      this.markForeign(dir, key, seen.why);
      return;
    }
    if (seen.state === 'ours') await this.unlinkQuietly(file);
    this.forget(key);
    this.report(new AudioCacheError('corrupt', file, `${message}; it was removed`));
  }

  /** Deletes `key`'s file if (and only if) it is a file of this cache; forgets the entry either way. */
  private async removeOwned(dir: string, key: string): Promise<void> {
    const file = this.fileOf(dir, key);
    try {
      const seen = (await this.isOwnDir(dir)) ? await this.inspect(file) : { state: 'absent' as const };
      if (seen.state === 'ours') await this.unlinkQuietly(file);
      else if (seen.state === 'foreign') this.markForeign(dir, key, seen.why);
    } catch (err) {
      this.report(new AudioCacheError('delete', file, `cannot delete ${file}: ${messageOf(err)}`, err));
    }
    this.forget(key);
  }

  private async unlinkQuietly(file: string): Promise<void> {
    try {
      await fsp.unlink(file);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.report(new AudioCacheError('delete', file, `cannot delete ${file}: ${messageOf(err)}`, err));
    }
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private report(err: AudioCacheError): void {
    try {
      this.onError?.(err);
    } catch {
      // A failing error callback must not turn a cache problem into a failed message.
    }
  }
}

// ---- helpers ----

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new TypeError(`AudioCache: a key is 1–128 characters of A–Z, a–z, 0–9, "_" or "-" (AudioCache.key() makes one), got ${JSON.stringify(String(key)).slice(0, 80)}`);
  }
}

function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON.stringify's reading of a value, with sorted keys and hashed bytes. undefined = "left out". */
function canonical(value: unknown, ancestors: Set<object>): string | undefined {
  if (value instanceof Uint8Array) return `Buffer(${sha256Hex(value)})`;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON('');
    if (value instanceof Uint8Array) return `Buffer(${sha256Hex(value)})`;
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('AudioCache.key: a BigInt cannot be part of a key');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError('AudioCache.key: the parts contain a cycle');
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item) => canonical(item, ancestors) ?? 'null').join(',')}]`;
    }
    const fields: string[] = [];
    for (const name of Object.keys(obj).sort()) {
      const text = canonical((obj as Record<string, unknown>)[name], ancestors);
      if (text !== undefined) fields.push(`${JSON.stringify(name)}:${text}`);
    }
    return `{${fields.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

function makeTrailer(key: string, wav: Buffer): Buffer {
  const trailer = Buffer.alloc(TRAILER_BYTES);
  MAGIC.copy(trailer, 0);
  trailer.writeBigUInt64LE(BigInt(wav.length), MAGIC.length);
  digestOf(key, wav).copy(trailer, MAGIC.length + 8);
  return trailer;
}

function digestOf(key: string, payload: Buffer): Buffer {
  return createHash('sha256').update(key, 'utf8').update(payload).digest();
}

/** The WAV inside a cache file, or why the file is not a valid one. */
function unwrap(key: string, bytes: Buffer): Buffer | string {
  if (bytes.length < TRAILER_BYTES) return bytes.length === 0 ? 'empty' : 'too short';
  const at = bytes.length - TRAILER_BYTES;
  if (!bytes.subarray(at, at + MAGIC.length).equals(MAGIC)) return 'no trailer: truncated or not written by this cache';
  const length = bytes.readBigUInt64LE(at + MAGIC.length);
  if (length !== BigInt(at)) return `length ${at} where the trailer says ${length}`;
  const payload = bytes.subarray(0, at);
  if (!digestOf(key, payload).equals(bytes.subarray(at + MAGIC.length + 8))) return 'checksum mismatch';
  if (!looksLikeWav(payload) && !looksLikeMp3(payload)) return 'not a WAV or MP3';
  return payload;
}

/** Why a regular file at a cache name is not the cache's to use or delete. */
const NO_TRAILER = 'without the cache trailer (corrupt, truncated, or not written by this cache)';

/** What is at a cache file's name. */
type Inspection = { state: 'absent' } | { state: 'ours'; size: number; mtimeMs: number } | { state: 'foreign'; why: string };

/** A temp file from a crash: its writer is gone, or it is too old to be a write under way. */
function isStaleTmp(pid: number, mtimeMs: number): boolean {
  if (Date.now() - mtimeMs > STALE_TMP_MS) return true;
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false; // alive: maybe another AudioCache writing into the same directory
  } catch (err) {
    return errnoCode(err) !== 'EPERM'; // EPERM: alive, owned by another user
  }
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
