import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AudioCache, AudioCacheError, CACHE_SUBDIR, CacheOptions } from '../../nodes/lib/cache';
import { parseWav } from '../../nodes/lib/wav';
import { makeWav } from './wav-fixtures';

const KB = 1024;
const TRAILER = 48;

/** A valid WAV of about `bytes` bytes (44-byte header + samples); `seed` changes the samples. */
function wavOf(bytes: number, seed = 0): Buffer {
  return makeWav({ frames: Math.max(1, Math.floor((bytes - 44) / 2)), seed });
}

/** The cache's own file format, rebuilt here so that tests can forge files that pass every check but one. */
function cacheFile(key: string, payload: Buffer): Buffer {
  const trailer = Buffer.alloc(TRAILER);
  trailer.write('VXCACHE1', 0, 'latin1');
  trailer.writeBigUInt64LE(BigInt(payload.length), 8);
  createHash('sha256').update(key, 'utf8').update(payload).digest().copy(trailer, 16);
  return Buffer.concat([payload, trailer]);
}

function key(name: string): string {
  return AudioCache.key({ text: name });
}

describe('lib/cache AudioCache', function () {
  this.timeout(20000);

  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-cache-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A cache on `<tmp>/cache` that collects its error reports. */
  function diskCache(options: Partial<CacheOptions> = {}): { cache: AudioCache; dir: string; errors: AudioCacheError[] } {
    const errors: AudioCacheError[] = [];
    const dir = options.dir ?? path.join(tmp, 'cache');
    const cache = new AudioCache({ maxBytes: 1024 * KB, dir, onError: (e) => errors.push(e), ...options });
    return { cache, dir, errors };
  }

  /** The cache's own subfolder of a configured directory, and its file names. */
  const storeOf = (dir: string): string => path.join(dir, CACHE_SUBDIR);
  const nameOf = (k: string): string => `voxcpm-${k}.wav`;
  const fileOf = (dir: string, k: string): string => path.join(storeOf(dir), nameOf(k));
  const listDir = (dir: string): string[] => fs.readdirSync(storeOf(dir)).sort();

  describe('key', () => {
    it('is a sha256 hex that ignores the order of object keys, at every depth', () => {
      const a = AudioCache.key({ text: 'Dinner is ready.', prompt: 'cheerful child', options: { speed: 1, lang: 'en', list: [{ b: 1, a: 2 }] } });
      const b = AudioCache.key({ options: { list: [{ a: 2, b: 1 }], lang: 'en', speed: 1 }, prompt: 'cheerful child', text: 'Dinner is ready.' });
      assert.match(a, /^[0-9a-f]{64}$/);
      assert.equal(a, b);
      // Array order does matter.
      assert.notEqual(AudioCache.key({ list: [1, 2] }), AudioCache.key({ list: [2, 1] }));
    });

    it('differs when the text, the prompt, the audio or the transcript differs', () => {
      const audio = wavOf(2 * KB, 1);
      const base = { text: 'hello', prompt: 'calm', audio, reference_text: 'hi there' };
      const keys = [
        AudioCache.key(base),
        AudioCache.key({ ...base, text: 'hello!' }),
        AudioCache.key({ ...base, prompt: 'calm.' }),
        AudioCache.key({ ...base, prompt: '' }),
        AudioCache.key({ ...base, audio: wavOf(2 * KB, 2) }),
        AudioCache.key({ ...base, reference_text: 'hi' }),
        AudioCache.key({ text: 'hello', prompt: 'calm', reference_text: 'hi there' }),
      ];
      assert.equal(new Set(keys).size, keys.length);
    });

    it('hashes Buffers by content, and a Buffer never collides with its text or JSON forms', () => {
      const bytes = wavOf(4 * KB, 3);
      const copy = Buffer.from(bytes);
      assert.notEqual(bytes, copy);
      assert.equal(AudioCache.key({ audio: bytes }), AudioCache.key({ audio: copy }));
      assert.equal(AudioCache.key({ audio: bytes }), AudioCache.key({ audio: new Uint8Array(bytes) }));
      const changed = Buffer.from(bytes);
      changed[changed.length - 1] ^= 1;
      assert.notEqual(AudioCache.key({ audio: bytes }), AudioCache.key({ audio: changed }));
      const digest = createHash('sha256').update(bytes).digest('hex');
      const others = [bytes.toString('base64'), bytes.toJSON(), `Buffer(${digest})`, { $buffer: digest }, digest];
      for (const other of others) {
        assert.notEqual(AudioCache.key({ audio: bytes }), AudioCache.key({ audio: other }), JSON.stringify(other).slice(0, 60));
      }
    });

    it('reads values as JSON does: undefined left out, NaN as null, Dates by toJSON', () => {
      assert.equal(AudioCache.key({ text: 'a', prompt: undefined }), AudioCache.key({ text: 'a' }));
      assert.equal(AudioCache.key({ n: NaN }), AudioCache.key({ n: null }));
      assert.equal(AudioCache.key({ at: new Date(0) }), AudioCache.key({ at: '1970-01-01T00:00:00.000Z' }));
      assert.notEqual(AudioCache.key({ n: 1 }), AudioCache.key({ n: '1' }));
      assert.notEqual(AudioCache.key({ text: 'a' }), AudioCache.key({ text: 'a', prompt: '' }));
    });

    it('refuses cycles and BigInts with a TypeError', () => {
      const cyclic: Record<string, unknown> = { text: 'a' };
      cyclic.self = cyclic;
      assert.throws(() => AudioCache.key(cyclic), TypeError);
      assert.throws(() => AudioCache.key({ n: BigInt(1) }), TypeError);
      // A shared (non-cyclic) object twice is fine.
      const shared = { a: 1 };
      assert.equal(AudioCache.key({ x: shared, y: shared }), AudioCache.key({ x: { a: 1 }, y: { a: 1 } }));
    });
  });

  describe('memory tier', () => {
    it('is bounded by bytes: the third 400 KB item pushes out the oldest', async () => {
      const cache = new AudioCache({ maxBytes: 1024 * KB });
      const [a, b, c] = [1, 2, 3].map((seed) => wavOf(400 * KB, seed));
      await cache.set(key('a'), a);
      await cache.set(key('b'), b);
      assert.equal(cache.stats.memoryBytes, a.length + b.length);
      await cache.set(key('c'), c);
      assert.equal(await cache.get(key('a')), undefined);
      assert.deepEqual(await cache.get(key('b')), b);
      assert.deepEqual(await cache.get(key('c')), c);
      assert.equal(cache.stats.memoryBytes, b.length + c.length);
      assert.ok(cache.stats.memoryBytes <= 1024 * KB);
      assert.equal(cache.stats.entries, 2);
    });

    it('keeps a recently read item and evicts the least recently used one', async () => {
      const cache = new AudioCache({ maxBytes: 1024 * KB });
      const [a, b, c] = [1, 2, 3].map((seed) => wavOf(400 * KB, seed));
      await cache.set(key('a'), a);
      await cache.set(key('b'), b);
      assert.deepEqual(await cache.get(key('a')), a);
      await cache.set(key('c'), c);
      assert.equal(await cache.get(key('b')), undefined);
      assert.deepEqual(await cache.get(key('a')), a);
      assert.deepEqual(await cache.get(key('c')), c);
    });

    it('does not keep an item larger than maxBytes in memory, without throwing, but writes it to disk', async () => {
      const { cache, dir, errors } = diskCache({ maxBytes: 100 * KB });
      const big = wavOf(200 * KB, 4);
      const small = wavOf(10 * KB, 5);
      await cache.set(key('small'), small);
      await cache.set(key('big'), big);
      assert.equal(cache.stats.memoryBytes, small.length);
      assert.ok(fs.existsSync(fileOf(dir, key('big'))));
      assert.deepEqual(await cache.get(key('big')), big); // from disk
      assert.equal(cache.stats.memoryBytes, small.length, 'a disk hit too large for memory is not promoted');
      assert.equal(cache.stats.hits, 1);
      assert.deepEqual(errors, []);

      // Without a disk tier the oversize item is simply not cached.
      const memoryOnly = new AudioCache({ maxBytes: 100 * KB });
      await memoryOnly.set(key('big'), big);
      assert.equal(await memoryOnly.get(key('big')), undefined);
      assert.equal(memoryOnly.stats.memoryBytes, 0);
    });

    it('replaces an older value of the same key, even by an oversize one', async () => {
      const cache = new AudioCache({ maxBytes: 100 * KB });
      const first = wavOf(10 * KB, 1);
      const second = wavOf(20 * KB, 2);
      await cache.set(key('k'), first);
      await cache.set(key('k'), second);
      assert.deepEqual(await cache.get(key('k')), second);
      assert.equal(cache.stats.memoryBytes, second.length);
      await cache.set(key('k'), wavOf(200 * KB, 3));
      assert.equal(await cache.get(key('k')), undefined, 'the stale smaller value must not be served');
      assert.equal(cache.stats.memoryBytes, 0);
    });

    it('with maxBytes 0 keeps nothing in memory (disk only)', async () => {
      const { cache } = diskCache({ maxBytes: 0 });
      const w = wavOf(2 * KB);
      await cache.set(key('k'), w);
      assert.equal(cache.stats.memoryBytes, 0);
      assert.deepEqual(await cache.get(key('k')), w);
    });
  });

  describe('copies', () => {
    it('a Buffer returned by get() can be mutated without changing the cache (memory and disk hits)', async () => {
      const { cache } = diskCache({ maxBytes: 100 * KB });
      const small = wavOf(10 * KB, 1); // memory
      const big = wavOf(150 * KB, 2); // disk only
      await cache.set(key('small'), small);
      await cache.set(key('big'), big);
      for (const [k, original] of [
        [key('small'), small],
        [key('big'), big],
      ] as const) {
        const got = await cache.get(k);
        assert.ok(got);
        got.fill(0);
        assert.deepEqual(await cache.get(k), original);
      }
      // A disk hit promoted to memory, then mutated: the next (memory) hit is intact.
      const restarted = new AudioCache({ maxBytes: 100 * KB, dir: path.join(tmp, 'cache') });
      const fromDisk = await restarted.get(key('small'));
      assert.ok(fromDisk);
      assert.equal(restarted.stats.memoryBytes, small.length, 'fixture: promoted to memory');
      fromDisk.fill(0);
      assert.deepEqual(await restarted.get(key('small')), small);
    });

    it('mutating the Buffer given to set() afterwards does not change the cache', async () => {
      const { cache } = diskCache();
      const w = wavOf(10 * KB, 1);
      const original = Buffer.from(w);
      const pending = cache.set(key('k'), w);
      w.fill(0x55); // while the disk write is still under way
      await pending;
      assert.deepEqual(await cache.get(key('k')), original);
      const reopened = new AudioCache({ maxBytes: 0, dir: path.join(tmp, 'cache') });
      assert.deepEqual(await reopened.get(key('k')), original);
    });

    it('refuses a value that is not a WAV Buffer, and a key that is not a file name', async () => {
      const cache = new AudioCache({ maxBytes: 1024 * KB });
      await assert.rejects(cache.set(key('k'), Buffer.from('not a wav at all')), TypeError);
      await assert.rejects(cache.set(key('k'), 'RIFF' as unknown as Buffer), TypeError);
      await assert.rejects(cache.set('../escape', wavOf(KB)), TypeError);
      await assert.rejects(cache.get('a/b'), TypeError);
      await assert.rejects(cache.get(''), TypeError);
      assert.equal(cache.stats.entries, 0);
    });
  });

  describe('stats', () => {
    it('counts hits, misses, bytes and entries', async () => {
      const { cache, dir } = diskCache({ maxBytes: 100 * KB });
      const small = wavOf(10 * KB, 1);
      const big = wavOf(150 * KB, 2);
      assert.deepEqual(cache.stats, { hits: 0, misses: 0, memoryBytes: 0, diskBytes: 0, entries: 0 });
      assert.equal(await cache.get(key('none')), undefined);
      await cache.set(key('small'), small);
      await cache.set(key('big'), big);
      await cache.get(key('small'));
      await cache.get(key('big'));
      await cache.get(key('small'));
      await cache.get(key('other'));
      const onDisk = fs.statSync(fileOf(dir, key('small'))).size + fs.statSync(fileOf(dir, key('big'))).size;
      assert.equal(onDisk, small.length + big.length + 2 * TRAILER);
      assert.deepEqual(cache.stats, { hits: 3, misses: 2, memoryBytes: small.length, diskBytes: onDisk, entries: 2 });
    });
  });

  describe('disk tier', () => {
    it('stores <dir>/<key>.wav, a playable WAV, in a directory it creates, and a new instance finds it', async () => {
      const dir = path.join(tmp, 'deep', 'er', 'cache');
      const { cache, errors } = diskCache({ dir });
      const w = wavOf(30 * KB, 7);
      await cache.set(key('door'), w);
      assert.deepEqual(listDir(dir), [nameOf(key('door'))]);
      const file = fs.readFileSync(fileOf(dir, key('door')));
      assert.deepEqual(file.subarray(0, w.length), w, 'the file starts with the WAV bytes');
      assert.equal(parseWav(file).dataLength, parseWav(w).dataLength, 'the trailer is outside the RIFF data');

      const restarted = new AudioCache({ maxBytes: 1024 * KB, dir });
      await restarted.ready();
      assert.equal(restarted.stats.diskBytes, file.length);
      assert.equal(restarted.stats.entries, 1);
      assert.deepEqual(await restarted.get(key('door')), w);
      assert.equal(restarted.stats.memoryBytes, w.length, 'a disk hit is promoted to memory');
      fs.rmSync(fileOf(dir, key('door')));
      assert.deepEqual(await restarted.get(key('door')), w, 'now served from memory');
      assert.deepEqual(errors, []);
    });

    describe('a corrupt file is a miss; deleted only when it carries the cache trailer, else left in place', () => {
      // `ours`: the file still ends with the cache's trailer (magic + a length that matches), so
      // the cache can prove it wrote it and deletes it. Without that proof it is never touched.
      const cases: [string, (file: Buffer, wav: Buffer) => Buffer, boolean][] = [
        ['truncated in the middle', (file) => file.subarray(0, Math.floor(file.length / 2)), false],
        ['random bytes of the same length', (file) => randomBytes(file.length), false],
        ['empty', () => Buffer.alloc(0), false],
        [
          'a valid WAV header with the data cut short',
          (file) => {
            const cut = file.subarray(0, 44 + 100);
            assert.equal(parseWav(cut).dataOffset, 44, 'fixture: the header must still parse');
            return cut;
          },
          false,
        ],
        [
          'one byte flipped in the middle (same length, intact header and trailer)',
          (file) => {
            const bad = Buffer.from(file);
            bad[Math.floor(bad.length / 2)] ^= 0x01;
            return bad;
          },
          true,
        ],
        ['the plain WAV without the trailer', (_file, wav) => wav, false],
        ['the last byte missing', (file) => file.subarray(0, file.length - 1), false],
        ['a byte appended', (file) => Buffer.concat([file, Buffer.from([0])]), false],
      ];
      for (const [name, corrupt, ours] of cases) {
        it(`${name}: ${ours ? 'deleted' : 'left in place byte for byte'}`, async () => {
          const { cache, dir } = diskCache({ maxBytes: 0 });
          const w = wavOf(20 * KB, 9);
          await cache.set(key('k'), w);
          const file = fileOf(dir, key('k'));
          const bad = corrupt(fs.readFileSync(file), w);
          fs.writeFileSync(file, bad);

          const errors: AudioCacheError[] = [];
          const restarted = new AudioCache({ maxBytes: 1024 * KB, dir, onError: (e) => errors.push(e) });
          assert.equal(await restarted.get(key('k')), undefined);
          assert.equal(await restarted.get(key('k')), undefined, 'asked again');
          if (ours) assert.equal(fs.existsSync(file), false, 'the corrupt file of the cache is deleted');
          else assert.deepEqual(fs.readFileSync(file), bad, 'a file without the trailer is not the cache\'s: left alone');
          assert.equal(restarted.stats.misses, 2);
          assert.equal(restarted.stats.diskBytes, 0);
          assert.equal(restarted.stats.entries, 0);
          assert.equal(errors.length, 1, 'reported once');
          assert.equal(errors[0].operation, 'corrupt');
          assert.match(errors[0].message, ours ? /removed/ : /left in place/);

          // The same instance, whose index knew the file: also a miss.
          await cache.set(key('k'), w);
          if (ours) {
            fs.writeFileSync(file, corrupt(fs.readFileSync(file), w));
            assert.equal(await cache.get(key('k')), undefined);
            assert.equal(fs.existsSync(file), false);
          } else {
            // A set() does not replace a file the cache cannot prove it wrote.
            assert.deepEqual(fs.readFileSync(file), bad);
            assert.equal(await cache.get(key('k')), undefined);
            assert.deepEqual(fs.readFileSync(file), bad);
            // Once the user removes it, the name is the cache's again.
            fs.rmSync(file);
            await cache.set(key('k'), w);
            assert.deepEqual(await cache.get(key('k')), w);
            assert.equal(cache.stats.diskBytes, fs.statSync(file).size);
            return;
          }
          assert.equal(cache.stats.diskBytes, 0);
        });
      }

      it('a well-formed trailer around bytes that are not a WAV', async () => {
        const { cache, dir, errors } = diskCache();
        fs.mkdirSync(storeOf(dir), { recursive: true });
        fs.writeFileSync(fileOf(dir, key('k')), cacheFile(key('k'), Buffer.from('ID3 this is an mp3, not a wav')));
        // The forged format is right: the same bytes with a WAV inside are accepted.
        fs.writeFileSync(fileOf(dir, key('ok')), cacheFile(key('ok'), wavOf(KB, 1)));
        assert.deepEqual(await cache.get(key('ok')), wavOf(KB, 1));
        assert.equal(await cache.get(key('k')), undefined);
        assert.equal(fs.existsSync(fileOf(dir, key('k'))), false);
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /not a WAV/);
      });

      it('a trailer whose length field disagrees with the file: no proof, left in place', async () => {
        const { cache, dir, errors } = diskCache();
        fs.mkdirSync(storeOf(dir), { recursive: true });
        const forged = cacheFile(key('k'), wavOf(KB, 1));
        forged.writeBigUInt64LE(BigInt(wavOf(KB, 1).length + 2), forged.length - TRAILER + 8);
        fs.writeFileSync(fileOf(dir, key('k')), forged);
        assert.equal(await cache.get(key('k')), undefined);
        assert.deepEqual(fs.readFileSync(fileOf(dir, key('k'))), forged);
        assert.match(errors[0].message, /without the cache trailer/);
      });

      it('a valid file of another key, copied under this key', async () => {
        const { cache, dir } = diskCache({ maxBytes: 0 });
        await cache.set(key('a'), wavOf(KB, 1));
        fs.copyFileSync(fileOf(dir, key('a')), fileOf(dir, key('b')));
        assert.equal(await cache.get(key('b')), undefined);
        assert.equal(fs.existsSync(fileOf(dir, key('b'))), false);
        assert.deepEqual(await cache.get(key('a')), wavOf(KB, 1));
      });
    });

    it('removes stale temp files at startup, and leaves live writers and other files alone', async () => {
      const dir = path.join(tmp, 'cache');
      fs.mkdirSync(storeOf(dir), { recursive: true });
      // A pid that surely belongs to no process any more: a child that has exited.
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      assert.ok(dead && dead !== process.pid);
      const deadTmp = `voxcpm-${key('a')}.${dead}.0a1b2c.tmp`;
      const oldTmp = `voxcpm-${key('b')}.${process.pid}.0d0e0f.tmp`;
      const liveTmp = `voxcpm-${key('c')}.${process.pid}.abcdef.tmp`;
      for (const name of [deadTmp, oldTmp, liveTmp, 'notes.txt']) fs.writeFileSync(path.join(storeOf(dir), name), 'partial');
      const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
      fs.utimesSync(path.join(storeOf(dir), oldTmp), twoHoursAgo, twoHoursAgo);
      fs.writeFileSync(fileOf(dir, key('d')), cacheFile(key('d'), wavOf(KB, 2)));

      const { cache, errors } = diskCache({ dir });
      await cache.ready();
      assert.deepEqual(listDir(dir), [nameOf(key('d')), liveTmp, 'notes.txt'].sort());
      assert.equal(cache.stats.diskBytes, fs.statSync(fileOf(dir, key('d'))).size, 'temp files and other files are not counted');
      assert.equal(cache.stats.entries, 1);
      assert.deepEqual(errors, []);
    });

    it('stays under maxDirBytes by deleting the least recently used files', async () => {
      const size = 10 * KB;
      const fileSize = wavOf(size).length + TRAILER;
      // maxBytes 0: every get() goes to the disk, and every disk hit counts as a use.
      const { cache, dir, errors } = diskCache({ maxBytes: 0, maxDirBytes: 3 * fileSize });
      await cache.set(key('a'), wavOf(size, 1));
      await cache.set(key('b'), wavOf(size, 2));
      await cache.set(key('c'), wavOf(size, 3));
      assert.equal(cache.stats.diskBytes, 3 * fileSize);
      assert.ok(await cache.get(key('a')));
      await cache.set(key('d'), wavOf(size, 4));
      assert.deepEqual(listDir(dir), [key('a'), key('c'), key('d')].map(nameOf).sort());
      assert.equal(cache.stats.diskBytes, 3 * fileSize);
      await cache.set(key('e'), wavOf(size, 5));
      assert.deepEqual(listDir(dir), [key('a'), key('d'), key('e')].map(nameOf).sort());
      assert.deepEqual(errors, []);
    });

    it('counts memory hits as uses of the file, so a phrase served from memory stays on disk', async () => {
      const fileSize = wavOf(10 * KB).length + TRAILER;
      const { cache, dir } = diskCache({ maxDirBytes: 3 * fileSize });
      for (const [i, name] of ['a', 'b', 'c'].entries()) await cache.set(key(name), wavOf(10 * KB, i));
      assert.ok(await cache.get(key('a'))); // a memory hit
      await cache.set(key('d'), wavOf(10 * KB, 3));
      assert.equal(fs.existsSync(fileOf(dir, key('b'))), false);
      assert.equal(fs.existsSync(fileOf(dir, key('a'))), true);
    });

    it('after a restart, learns the LRU order from the files\' mtimes, and a disk hit touches the file', async () => {
      const fileSize = wavOf(10 * KB).length + TRAILER;
      const dir = path.join(tmp, 'cache');
      const first = new AudioCache({ maxBytes: 0, dir });
      for (const [i, name] of ['a', 'b', 'c'].entries()) await first.set(key(name), wavOf(10 * KB, i));
      const ago = (minutes: number): Date => new Date(Date.now() - minutes * 60 * 1000);
      fs.utimesSync(fileOf(dir, key('a')), ago(30), ago(30));
      fs.utimesSync(fileOf(dir, key('b')), ago(60), ago(60)); // the oldest
      fs.utimesSync(fileOf(dir, key('c')), ago(10), ago(10));

      const second = new AudioCache({ maxBytes: 0, dir, maxDirBytes: 3 * fileSize });
      assert.ok(await second.get(key('b'))); // now the most recent: a (30 min) is the oldest
      assert.ok(fs.statSync(fileOf(dir, key('b'))).mtimeMs > ago(1).getTime(), 'the disk hit touched the file');
      await second.set(key('d'), wavOf(10 * KB, 3));
      assert.deepEqual(listDir(dir), [key('b'), key('c'), key('d')].map(nameOf).sort());
    });

    it('does not write an item larger than maxDirBytes, and does not evict the others for it', async () => {
      const fileSize = wavOf(10 * KB).length + TRAILER;
      const { cache, dir } = diskCache({ maxBytes: 0, maxDirBytes: 3 * fileSize });
      await cache.set(key('a'), wavOf(10 * KB, 1));
      await cache.set(key('huge'), wavOf(4 * fileSize, 2));
      assert.deepEqual(listDir(dir), [nameOf(key('a'))]);
      assert.equal(await cache.get(key('huge')), undefined);
    });

    it('reports, never throws, when the directory cannot be written (a path under a regular file)', async () => {
      const blocker = path.join(tmp, 'a-file');
      fs.writeFileSync(blocker, 'I am not a directory');
      const errors: AudioCacheError[] = [];
      const cache = new AudioCache({ maxBytes: 1024 * KB, dir: path.join(blocker, 'cache'), onError: (e) => errors.push(e) });
      await cache.ready();
      assert.equal(errors.length, 1);
      assert.equal(errors[0].operation, 'scan');
      const w = wavOf(10 * KB, 1);
      await cache.set(key('k'), w); // resolves
      assert.equal(errors.length, 2);
      assert.ok(errors[1] instanceof AudioCacheError);
      assert.equal(errors[1].operation, 'write');
      assert.equal(errors[1].code, 'ENOTDIR');
      assert.match(errors[1].message, /cannot write/);
      assert.deepEqual(await cache.get(key('k')), w, 'the memory tier still works');
      assert.equal(await cache.get(key('other')), undefined);
      assert.equal(cache.stats.diskBytes, 0);
      assert.equal(fs.readFileSync(blocker, 'utf8'), 'I am not a directory');

      // An onError that throws changes nothing either.
      const throwing = new AudioCache({ maxBytes: 1024 * KB, dir: path.join(blocker, 'x'), onError: () => { throw new Error('boom'); } });
      await throwing.set(key('k'), w);
      assert.deepEqual(await throwing.get(key('k')), w);
    });

    it('reports a write failure without onError silently, and leaves no temp file behind', async () => {
      const { cache, dir } = diskCache({ onError: undefined });
      await cache.ready();
      // A directory where the file should go makes the final rename fail.
      fs.mkdirSync(fileOf(dir, key('k')));
      fs.writeFileSync(path.join(fileOf(dir, key('k')), 'x'), 'x');
      await cache.set(key('k'), wavOf(KB));
      assert.deepEqual(listDir(dir), [nameOf(key('k'))]);
      assert.ok(fs.statSync(fileOf(dir, key('k'))).isDirectory());
      assert.equal(cache.stats.diskBytes, 0);
    });
  });

  describe('hardening: a folder of the user\'s own', () => {
    /** A user's folder: wavs, other files, a subfolder, links. Returns every path (relative) → its bytes or link target. */
    function userFolder(dir: string): Map<string, string | Buffer> {
      fs.mkdirSync(path.join(dir, 'old'), { recursive: true });
      const outside = path.join(tmp, 'outside.wav');
      fs.writeFileSync(outside, wavOf(3 * KB, 42));
      const files: [string, Buffer][] = [
        ['Family-Greeting.wav', wavOf(20 * KB, 11)],
        [`${key('a')}.wav`, wavOf(20 * KB, 12)], // a name the old cache layout would have taken as its own
        [`voxcpm-${key('b')}.wav`, wavOf(20 * KB, 13)], // the cache's prefix, but outside its subfolder
        ['notes.txt', Buffer.from('my notes')],
        [`voxcpm-${key('c')}.1.abcdef.tmp`, Buffer.from('not a temp file of the cache')],
        [path.join('old', 'Anna.wav'), cacheFile(key('d'), wavOf(5 * KB, 14))], // even with a valid trailer
      ];
      for (const [name, bytes] of files) fs.writeFileSync(path.join(dir, name), bytes);
      fs.symlinkSync(outside, path.join(dir, 'link-to-outside.wav'));
      fs.symlinkSync(outside, path.join(dir, `voxcpm-${key('e')}.wav`));
      return snapshot(dir);
    }

    /** Every entry under `dir` except the cache's own subfolder: bytes of files, targets of links. */
    function snapshot(dir: string): Map<string, string | Buffer> {
      const out = new Map<string, string | Buffer>();
      const walk = (rel: string): void => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
          const name = path.join(rel, entry.name);
          if (name === CACHE_SUBDIR) continue;
          const full = path.join(dir, name);
          if (entry.isSymbolicLink()) out.set(name, `-> ${fs.readlinkSync(full)}`);
          else if (entry.isDirectory()) walk(name);
          else out.set(name, fs.readFileSync(full));
        }
      };
      walk('');
      return out;
    }

    it('fills past its disk limit, clears, restarts: every user file stays byte for byte, and is never counted', async () => {
      const dir = path.join(tmp, 'myvoices');
      const before = userFolder(dir);
      const outsideBefore = fs.readFileSync(path.join(tmp, 'outside.wav'));
      const fileSize = wavOf(10 * KB).length + TRAILER;
      const { cache, errors } = diskCache({ dir, maxBytes: 0, maxDirBytes: 3 * fileSize });
      await cache.ready();
      assert.equal(cache.stats.diskBytes, 0, 'the user\'s files are not counted');
      for (let i = 0; i < 12; i++) await cache.set(key(`fill${i}`), wavOf(10 * KB, i));
      assert.equal(cache.stats.diskBytes, 3 * fileSize);
      assert.equal(listDir(dir).length, 3, 'the cache\'s own files live in its subfolder');
      for (const name of listDir(dir)) assert.match(name, /^voxcpm-[0-9a-f]{64}\.wav$/);
      // A restart scans (stale temps, sizes) and evicts again.
      const restarted = new AudioCache({ maxBytes: 0, dir, maxDirBytes: 2 * fileSize });
      await restarted.ready();
      assert.equal(restarted.stats.diskBytes, 3 * fileSize);
      await restarted.set(key('more'), wavOf(10 * KB, 99));
      assert.equal(restarted.stats.diskBytes, 2 * fileSize);
      // Keys that match user files' names are misses: user files are never read as cache entries.
      for (const k of ['a', 'b', 'd', 'e']) assert.equal(await restarted.get(key(k)), undefined);
      await restarted.clear();
      await cache.clear();
      assert.deepEqual(listDir(dir), []);
      assert.deepEqual(snapshot(dir), before, 'every user file, folder and link is unchanged');
      assert.deepEqual(fs.readFileSync(path.join(tmp, 'outside.wav')), outsideBefore, 'the link target too');
      assert.deepEqual(errors, []);
    });

    it('a link at its subfolder\'s place is refused: nothing written or deleted through it', async () => {
      const dir = path.join(tmp, 'myvoices');
      const elsewhere = path.join(tmp, 'elsewhere');
      fs.mkdirSync(elsewhere, { recursive: true });
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(elsewhere, nameOf(key('x'))), cacheFile(key('x'), wavOf(KB, 1)));
      fs.symlinkSync(elsewhere, storeOf(dir));
      const { cache, errors } = diskCache({ dir, maxDirBytes: 4 * KB });
      await cache.ready();
      await cache.set(key('y'), wavOf(KB, 2));
      await cache.set(key('z'), wavOf(KB, 3));
      await cache.clear();
      assert.deepEqual(fs.readdirSync(elsewhere), [nameOf(key('x'))]);
      assert.ok(errors.length >= 1 && errors.every((e) => e.code === 'ENOTDIR'), errors.map((e) => e.message).join('\n'));
      assert.equal(errors.filter((e) => e.operation === 'write').length, 1, 'one write warning, not one per message');
    });

    it('a link, FIFO or directory at a cache file\'s name is never followed, read, replaced or deleted', async function () {
      const { cache, dir, errors } = diskCache({ maxBytes: 0 });
      await cache.ready();
      const target = path.join(tmp, 'target.wav');
      const targetBytes = cacheFile(key('link'), wavOf(KB, 5)); // even a valid cache file, if reached through a link
      fs.writeFileSync(target, targetBytes);
      const old = new Date(Date.now() - 3600 * 1000);
      fs.utimesSync(target, old, old);
      fs.symlinkSync(target, fileOf(dir, key('link')));
      fs.symlinkSync('/dev/zero', fileOf(dir, key('zero')));
      const fifo = spawnSync('mkfifo', [fileOf(dir, key('fifo'))]);
      if (fifo.status !== 0) this.skip();
      fs.mkdirSync(fileOf(dir, key('dir')));
      const started = Date.now();
      for (const k of ['link', 'zero', 'fifo', 'dir']) {
        assert.equal(await cache.get(key(k)), undefined, k);
        await cache.set(key(k), wavOf(KB, 6));
        assert.equal(await cache.get(key(k)), undefined, `${k} after set`);
      }
      await cache.clear();
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.ok(fs.lstatSync(fileOf(dir, key('link'))).isSymbolicLink());
      assert.ok(fs.lstatSync(fileOf(dir, key('zero'))).isSymbolicLink());
      assert.ok(fs.lstatSync(fileOf(dir, key('fifo'))).isFIFO());
      assert.ok(fs.lstatSync(fileOf(dir, key('dir'))).isDirectory());
      assert.deepEqual(fs.readFileSync(target), targetBytes);
      assert.ok(Math.abs(fs.statSync(target).mtimeMs - old.getTime()) < 2, 'the link target was not touched');
      assert.equal(errors.length, 4, errors.map((e) => e.message).join('\n'));
      for (const e of errors) assert.match(e.message, /symbolic link|FIFO|directory/);
    });

    it('a FIFO at a cache name found by the startup scan does not block it (answers within a second)', async function () {
      const dir = path.join(tmp, 'cache');
      fs.mkdirSync(storeOf(dir), { recursive: true });
      if (spawnSync('mkfifo', [fileOf(dir, key('fifo'))]).status !== 0) this.skip();
      const started = Date.now();
      const { cache, errors } = diskCache({ dir });
      await cache.ready();
      assert.equal(await cache.get(key('fifo')), undefined);
      assert.ok(Date.now() - started < 1000);
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /FIFO/);
    });

    it('a cache file larger than the entry bound is never read into memory', async () => {
      const { cache, dir, errors } = diskCache({ maxBytes: 0, maxEntryBytes: 64 * KB });
      await cache.ready();
      // A sparse file far over the bound, with the cache's own trailer: refused from its size, then removed.
      const file = fileOf(dir, key('big'));
      fs.writeFileSync(file, '');
      fs.truncateSync(file, 60 * 1024 * KB);
      const started = Date.now();
      assert.equal(await cache.get(key('big')), undefined);
      assert.ok(Date.now() - started < 1000);
      assert.ok(fs.existsSync(file), 'no trailer: left in place');
      assert.match(errors[0].message, /without the cache trailer/);
    });
  });

  describe('hardening: failed writes', () => {
    /** A writev that writes only part of the bytes (what a full disk does), or fails with ENOSPC. */
    function failingWrite(mode: { short?: boolean; enospc?: boolean }): {
      writev: NonNullable<CacheOptions['writev']>;
      calls: () => number;
      heal: () => void;
    } {
      let calls = 0;
      let healed = false;
      const writev: NonNullable<CacheOptions['writev']> = async (handle, buffers) => {
        calls++;
        if (healed) return handle.writev(buffers);
        if (mode.enospc) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return handle.write(buffers[0], 0, Math.floor(buffers[0].length / 2));
      };
      return { writev, calls: () => calls, heal: () => { healed = true; } };
    }

    it('a short write is a failure: no file, no temp file, nothing counted', async () => {
      const fake = failingWrite({ short: true });
      const { cache, dir, errors } = diskCache({ maxBytes: 0, writev: fake.writev });
      await cache.set(key('k'), wavOf(10 * KB, 1));
      assert.deepEqual(listDir(dir), []);
      assert.equal(cache.stats.diskBytes, 0);
      assert.equal(await cache.get(key('k')), undefined);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].operation, 'write');
      assert.match(errors[0].message, /short write: \d+ of \d+ bytes/);
    });

    it('a full disk (ENOSPC) is ONE warning for many messages; writes pause, then are tried again', async () => {
      const fake = failingWrite({ enospc: true });
      const { cache, dir, errors } = diskCache({ writev: fake.writev, writeRetryMs: 200 });
      for (let i = 0; i < 20; i++) await cache.set(key(`m${i}`), wavOf(KB, i));
      // Concurrent messages too.
      await Promise.all([20, 21, 22, 23].map((i) => cache.set(key(`m${i}`), wavOf(KB, i))));
      assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
      assert.equal(errors[0].code, 'ENOSPC');
      assert.equal(fake.calls(), 1, 'writes are skipped during the pause, not tried per message');
      assert.deepEqual(listDir(dir), [], 'no temp file left');
      assert.deepEqual(await cache.get(key('m3')), wavOf(KB, 3), 'the memory tier still serves');

      await new Promise((resolve) => setTimeout(resolve, 250));
      await cache.set(key('again'), wavOf(KB, 50));
      assert.equal(fake.calls(), 2, 'tried again after the pause');
      assert.equal(errors.length, 1, 'still failing: no second warning for the same episode');

      await new Promise((resolve) => setTimeout(resolve, 250));
      fake.heal();
      await cache.set(key('healed'), wavOf(KB, 51));
      assert.deepEqual(listDir(dir), [nameOf(key('healed'))]);
      assert.equal(errors.length, 1);
    });

    it('after a successful write, a new failure is reported again; clear() ends the pause', async () => {
      let fail = true;
      const writev: NonNullable<CacheOptions['writev']> = async (handle, buffers) => {
        if (fail) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return handle.writev(buffers);
      };
      const { cache, dir, errors } = diskCache({ writev, writeRetryMs: 60_000 });
      await cache.set(key('a'), wavOf(KB, 1));
      assert.equal(errors.length, 1);
      fail = false;
      await cache.set(key('b'), wavOf(KB, 2));
      assert.deepEqual(listDir(dir), [], 'paused: not written');
      await cache.clear(); // frees space: try again now
      await cache.set(key('c'), wavOf(KB, 3));
      assert.deepEqual(listDir(dir), [nameOf(key('c'))]);
      fail = true;
      await cache.set(key('d'), wavOf(KB, 4));
      assert.equal(errors.length, 2, 'a new episode after a success is reported');
    });
  });

  describe('concurrency', () => {
    it('concurrent set() of one key, with get() in between: complete values only, one file, right accounting', async () => {
      const { cache, dir, errors } = diskCache({ maxBytes: 0 }); // disk only: every get reads the file
      const v1 = wavOf(300 * KB, 1);
      const v2 = wavOf(310 * KB, 2);
      const k = key('same');
      const reads: Promise<Buffer | undefined>[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 6; i++) {
        writes.push(cache.set(k, i % 2 ? v2 : v1));
        reads.push(cache.get(k));
      }
      await Promise.all(writes);
      for (const got of await Promise.all(reads)) {
        assert.ok(got === undefined || got.equals(v1) || got.equals(v2), 'a torn value was served');
      }
      assert.deepEqual(listDir(dir), [nameOf(k)], 'exactly one file and no temp file');
      const final = await cache.get(k);
      assert.ok(final && (final.equals(v1) || final.equals(v2)));
      assert.equal(cache.stats.diskBytes, fs.statSync(fileOf(dir, k)).size);
      assert.equal(cache.stats.entries, 1);
      assert.deepEqual(errors, []);
    });

    it('within one instance, operations on a key run in call order: a get() sees the set() called before it', async () => {
      const { cache } = diskCache({ maxBytes: 0 }); // disk only, so the get really waits for the file
      const values = [1, 2, 3, 4].map((seed) => wavOf(200 * KB + seed * 2, seed));
      const k = key('ordered');
      const reads: Promise<Buffer | undefined>[] = [];
      const writes: Promise<void>[] = [];
      for (const v of values) {
        writes.push(cache.set(k, v)); // not awaited
        reads.push(cache.get(k));
      }
      const got = await Promise.all(reads);
      await Promise.all(writes);
      got.forEach((g, i) => assert.ok(g?.equals(values[i]), `read ${i} did not see the set() before it`));
      assert.ok((await cache.get(k))?.equals(values[3]), 'the last set() wins');
    });

    it('two instances writing one key while a third reads: never a torn file (atomic rename)', async () => {
      const dir = path.join(tmp, 'cache');
      const errors: AudioCacheError[] = [];
      const make = (): AudioCache => new AudioCache({ maxBytes: 0, dir, onError: (e) => errors.push(e) });
      const [w1, w2, reader] = [make(), make(), make()];
      const v1 = wavOf(2048 * KB, 1);
      const v2 = wavOf(2040 * KB, 2);
      const k = key('shared');
      let writing = true;
      const seen: (Buffer | undefined)[] = [];
      const readLoop = (async () => {
        while (writing) seen.push(await reader.get(k));
      })();
      await Promise.all([0, 1, 2].map(async () => {
        await w1.set(k, v1);
        await w2.set(k, v2);
      }));
      writing = false;
      await readLoop;
      assert.ok(seen.length > 0);
      for (const got of seen) assert.ok(got === undefined || got.equals(v1) || got.equals(v2), 'a torn value was served');
      assert.deepEqual(errors, [], 'no file was ever found corrupt');
      assert.deepEqual(listDir(dir), [nameOf(k)]);
      const final = await make().get(k);
      assert.ok(final && (final.equals(v1) || final.equals(v2)));
    });
  });

  describe('clear', () => {
    it('empties memory and disk, including writes under way, and leaves other files alone', async () => {
      const { cache, dir } = diskCache({ maxBytes: 100 * KB });
      await cache.set(key('a'), wavOf(10 * KB, 1));
      await cache.get(key('a'));
      fs.writeFileSync(path.join(storeOf(dir), 'notes.txt'), 'mine');
      const pending = cache.set(key('b'), wavOf(200 * KB, 2));
      await cache.clear();
      await pending;
      assert.deepEqual(listDir(dir), ['notes.txt']);
      assert.equal(await cache.get(key('a')), undefined);
      assert.equal(await cache.get(key('b')), undefined);
      assert.deepEqual(cache.stats, { hits: 1, misses: 2, memoryBytes: 0, diskBytes: 0, entries: 0 });
      await cache.set(key('c'), wavOf(KB, 3));
      assert.deepEqual(await cache.get(key('c')), wavOf(KB, 3), 'still usable after clear');
    });
  });

  describe('resources', () => {
    it('leaves no file descriptor open', async function () {
      if (!fs.existsSync('/proc/self/fd')) this.skip();
      const fds = (): number => fs.readdirSync('/proc/self/fd').length;
      const before = fds();
      const { cache, dir } = diskCache({ maxBytes: 0, maxDirBytes: 100 * KB });
      for (let i = 0; i < 8; i++) await cache.set(key(`k${i}`), wavOf(20 * KB, i));
      for (let i = 0; i < 8; i++) await cache.get(key(`k${i}`));
      fs.writeFileSync(fileOf(dir, key('k7')), 'garbage');
      assert.equal(await cache.get(key('k7')), undefined);
      fs.mkdirSync(fileOf(dir, key('blocked')));
      await cache.set(key('blocked'), wavOf(KB)); // a failed write
      await cache.clear();
      assert.equal(fds(), before);
    });

    it('leaves no timer or handle that keeps the process alive (a child process exits by itself)', function () {
      const modulePath = require.resolve('../../nodes/lib/cache');
      if (!modulePath.endsWith('.js')) this.skip();
      const script = `
        const { AudioCache } = require(${JSON.stringify(modulePath)});
        const dir = ${JSON.stringify(path.join(tmp, 'child'))};
        const wav = (seed) => { const b = Buffer.alloc(20044, seed); b.write('RIFF', 0, 'latin1'); b.write('WAVE', 8, 'latin1'); return b; };
        (async () => {
          const cache = new AudioCache({ maxBytes: 30000, dir, maxDirBytes: 70000, onError: () => {} });
          for (let i = 0; i < 5; i++) await cache.set(AudioCache.key({ i }), wav(i));
          for (let i = 0; i < 5; i++) await cache.get(AudioCache.key({ i }));
          await new AudioCache({ maxBytes: 0, dir }).get(AudioCache.key({ i: 4 }));
          setImmediate(() => {
            const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout');
            process.stdout.write(JSON.stringify({ stats: cache.stats, timers }));
          });
        })();`;
      const child = spawnSync(process.execPath, ['-e', script], { timeout: 15000, encoding: 'utf8' });
      assert.equal(child.signal, null, 'the child did not exit by itself: something keeps the event loop alive');
      assert.equal(child.status, 0, child.stderr);
      const out = JSON.parse(child.stdout) as { stats: { hits: number; misses: number }; timers: string[] };
      // One item in memory, three files on disk: of five keys, two were evicted.
      assert.deepEqual([out.stats.hits, out.stats.misses], [3, 2], 'fixture: the child did use both tiers');
      assert.deepEqual(out.timers, []);
    });
  });

  it('rejects a negative or non-numeric size', () => {
    assert.throws(() => new AudioCache({ maxBytes: -1 }), TypeError);
    assert.throws(() => new AudioCache({ maxBytes: Number.NaN }), TypeError);
    assert.throws(() => new AudioCache({ maxBytes: 1, maxDirBytes: 0 }), TypeError);
  });
});
