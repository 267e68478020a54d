import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRange, UrlStore, type Kept, type Refused, type UrlStoreLimits } from '../../nodes/lib/url-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kept(result: Kept | Refused): Kept {
  if ('refused' in result) throw new Error(`refused: ${result.refused} ${result.detail ?? ''}`);
  return result;
}

/** Waits until `check` holds (files are written and removed in the background). */
async function until(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(5);
  }
}

const SMALL: UrlStoreLimits = { memoryBytes: 100, spillAboveBytes: 50, diskBytes: 1000 };
const bytes = (n: number, fill = 7) => Buffer.alloc(n, fill);

describe('lib/url-store', function () {
  let dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-urlstore-'));
    dirs.push(d);
    return path.join(d, 'voxcpm-audio');
  };
  afterEach(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  const ownFiles = (folder: string) => (fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => /^voxcpm-[0-9a-f]{32}\.(wav|mp3)$/.test(f)) : []);

  describe('UrlStore in memory', function () {
    it('keeps a result under an unguessable 32-hex token, with its content type', () => {
      const store = new UrlStore();
      const wav = Buffer.from('RIFF....WAVE');
      const a = kept(store.put(wav, 'audio/wav', 60000));
      // Equal bytes in another buffer: another result, another link.
      const b = kept(store.put(Buffer.from(wav), 'audio/wav', 60000));
      assert.match(a.token, /^[0-9a-f]{32}$/);
      assert.notEqual(a.token, b.token);
      assert.deepEqual(a, { token: a.token, extension: 'wav', where: 'memory' });
      assert.deepEqual(store.open(a.token, 'wav'), { contentType: 'audio/wav', size: wav.length, bytes: wav });
      assert.deepEqual(store.usage, { memory: 2 * wav.length, disk: 0, results: 2 });
      store.clear();
    });

    it('MP3 results are .mp3 links served as audio/mpeg; the other extension is not found', () => {
      const store = new UrlStore();
      const mp3 = Buffer.from([0xff, 0xfb, 0x90, 0x00]);
      const k = kept(store.put(mp3, 'audio/mpeg', 60000));
      assert.equal(k.extension, 'mp3');
      assert.equal(store.open(k.token, 'mp3')?.contentType, 'audio/mpeg');
      assert.equal(store.open(k.token, 'wav'), undefined);
      store.clear();
    });

    it('answers undefined for unknown tokens and for anything that is not a token', () => {
      const store = new UrlStore();
      const { token } = kept(store.put(Buffer.from('x'), 'audio/wav', 60000));
      for (const t of ['', '0'.repeat(32), token.toUpperCase(), `${token}.wav`, `../${token}`, token.slice(1), `${token}0`]) {
        assert.equal(store.open(t, 'wav'), undefined, JSON.stringify(t));
        assert.equal(store.get(t), undefined, JSON.stringify(t));
      }
      store.clear();
    });

    it('the same buffer put again (a cache hit) keeps its link, which lives until the later end; not once expired', async () => {
      const store = new UrlStore();
      const wav = Buffer.from('RIFF....WAVE');
      const first = kept(store.put(wav, 'audio/wav', 100));
      await sleep(50);
      const again = kept(store.put(wav, 'audio/wav', 1000));
      assert.equal(again.token, first.token);
      assert.deepEqual(store.usage, { memory: wav.length, disk: 0, results: 1 });
      await sleep(100);
      assert.ok(store.open(first.token, 'wav'), 'still served after the first life, within the second');
      // Another content type is another link.
      assert.notEqual(kept(store.put(wav, 'audio/mpeg', 60000)).token, first.token);
      // Once its link has expired, the same buffer gets a new one.
      const other = Buffer.from('RIFF....WAVE');
      const short = kept(store.put(other, 'audio/wav', 20));
      await sleep(60);
      assert.notEqual(kept(store.put(other, 'audio/wav', 60000)).token, short.token);
      store.clear();
    });

    it('forgets a result after its time to live, and frees its memory', async () => {
      const store = new UrlStore();
      const { token } = kept(store.put(Buffer.from('short'), 'audio/wav', 40));
      assert.ok(store.open(token, 'wav'));
      await sleep(80);
      assert.equal(store.open(token, 'wav'), undefined);
      assert.deepEqual(store.usage, { memory: 0, disk: 0, results: 0 });
    });
  });

  describe('UrlStore spilling to files', function () {
    it('a result over the spill size goes to a file (0600 in a 0700 folder) and is served from it once written', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      const data = Buffer.from(Array.from({ length: 60 }, (_, i) => i));
      const k = kept(store.put(data, 'audio/wav', 60000));
      assert.equal(k.where, 'disk');
      // While the file is written, the bytes serve.
      assert.ok(store.open(k.token, 'wav')?.bytes?.equals(data));
      await until(() => store.open(k.token, 'wav')?.file !== undefined, 'served from the file');
      const served = store.open(k.token, 'wav');
      assert.equal(served?.size, 60);
      assert.equal(served?.bytes, undefined);
      assert.equal(served?.file, path.join(folder, `voxcpm-${k.token}.wav`));
      assert.ok(fs.readFileSync(served?.file as string).equals(data));
      assert.equal(fs.statSync(served?.file as string).mode & 0o777, 0o600);
      assert.equal(fs.statSync(folder).mode & 0o777, 0o700);
      assert.deepEqual(store.usage, { memory: 0, disk: 60, results: 1 });
      store.clear();
    });

    it('nothing is evicted before its time: memory full -> the next result goes to a file; a second long result leaves the first', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      const smalls = [kept(store.put(bytes(40, 1), 'audio/wav', 60000)), kept(store.put(bytes(40, 2), 'audio/wav', 60000))];
      const third = kept(store.put(bytes(40, 3), 'audio/wav', 60000));
      assert.deepEqual([...smalls.map((s) => s.where), third.where], ['memory', 'memory', 'disk']);
      const longA = kept(store.put(bytes(400, 4), 'audio/wav', 60000));
      const longB = kept(store.put(bytes(400, 5), 'audio/wav', 60000));
      await until(() => ownFiles(folder).length === 3, 'three files');
      for (const [k, fill, size] of [[smalls[0], 1, 40], [smalls[1], 2, 40], [third, 3, 40], [longA, 4, 400], [longB, 5, 400]] as const) {
        const s = store.open(k.token, 'wav');
        assert.ok(s, `result ${fill} is still there`);
        const got = s.bytes ?? fs.readFileSync(s.file as string);
        assert.ok(got.equals(bytes(size, fill)));
      }
      store.clear();
    });

    it('beyond the disk budget a result is refused (full), and one larger than the budget (tooLarge); room comes back at expiry', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      assert.deepEqual(store.put(bytes(1001), 'audio/wav', 60000), { refused: 'tooLarge' });
      const first = kept(store.put(bytes(600), 'audio/wav', 150));
      assert.deepEqual(store.put(bytes(600), 'audio/wav', 60000), { refused: 'full' });
      await until(() => store.usage.disk === 0 && ownFiles(folder).length === 0, 'the first file removed at expiry');
      assert.equal(store.open(first.token, 'wav'), undefined);
      assert.deepEqual(ownFiles(folder), []);
      assert.equal(kept(store.put(bytes(600), 'audio/wav', 60000)).where, 'disk');
      store.clear();
    });

    it('the same buffer put again after it went to a file keeps its link: the file is written once', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      const data = bytes(60, 9);
      const k = kept(store.put(data, 'audio/wav', 60000));
      await until(() => store.open(k.token, 'wav')?.file !== undefined, 'written');
      const again = kept(store.put(data, 'audio/wav', 60000));
      assert.deepEqual(again, k);
      assert.equal(ownFiles(folder).length, 1);
      assert.deepEqual(store.usage, { memory: 0, disk: 60, results: 1 });
      store.clear();
    });

    it('a file is removed when its link expires', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      const k = kept(store.put(bytes(300), 'audio/mpeg', 120));
      await until(() => ownFiles(folder).length === 1, 'the file written');
      assert.deepEqual(ownFiles(folder), [`voxcpm-${k.token}.mp3`]);
      await until(() => ownFiles(folder).length === 0, 'the file removed');
      assert.equal(store.open(k.token, 'mp3'), undefined);
      assert.deepEqual(store.usage, { memory: 0, disk: 0, results: 0 });
    });

    it('start() removes the files of ours left by an earlier run and those of its own past, and nothing else', async () => {
      const folder = tmp();
      fs.mkdirSync(folder, { recursive: true });
      const leftover = `voxcpm-${'a'.repeat(32)}.wav`;
      const leftoverMp3 = `voxcpm-${'b'.repeat(32)}.mp3`;
      const foreign = ['notes.txt', 'voxcpm-abc.wav', `other-${'c'.repeat(32)}.wav`, `voxcpm-${'d'.repeat(32)}.wav.bak`];
      for (const f of [leftover, leftoverMp3, ...foreign]) fs.writeFileSync(path.join(folder, f), 'x');
      const store = new UrlStore(SMALL);
      await store.start(folder);
      assert.deepEqual(fs.readdirSync(folder).sort(), [...foreign].sort());
      const k = kept(store.put(bytes(300), 'audio/wav', 60000));
      await until(() => ownFiles(folder).length === 1, 'written');
      await store.start(folder);
      assert.equal(store.open(k.token, 'wav'), undefined, 'a restart forgets the links');
      await until(() => ownFiles(folder).length === 0, 'its file removed');
      assert.deepEqual(fs.readdirSync(folder).sort(), [...foreign].sort());
    });

    it('closeSync() (at process exit) removes every file at once and forgets every link', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      const a = kept(store.put(bytes(300), 'audio/wav', 60000));
      await until(() => ownFiles(folder).length === 1, 'written');
      kept(store.put(bytes(10), 'audio/wav', 60000));
      store.closeSync();
      assert.deepEqual(ownFiles(folder), []);
      assert.equal(store.open(a.token, 'wav'), undefined);
      assert.deepEqual(store.usage, { memory: 0, disk: 0, results: 0 });
    });

    it('a folder that cannot be made refuses results that need a file (noFolder, with the reason); memory still serves', async () => {
      const folder = tmp();
      fs.writeFileSync(folder, 'a file where the folder should be');
      const store = new UrlStore(SMALL);
      await store.start(folder);
      const refused = store.put(bytes(60), 'audio/wav', 60000) as Refused;
      assert.equal(refused.refused, 'noFolder');
      assert.match(String(refused.detail), /EEXIST|not a folder|ENOTDIR/);
      assert.equal(kept(store.put(bytes(10), 'audio/wav', 60000)).where, 'memory');
      const none = new UrlStore(SMALL);
      await none.start(undefined);
      assert.equal((none.put(bytes(60), 'audio/wav', 60000) as Refused).refused, 'noFolder');
      store.clear();
    });

    it('a write that fails later: the result is served from memory for its life, the caller is told, files are refused for a while', async () => {
      const folder = tmp();
      const store = new UrlStore(SMALL);
      await store.start(folder);
      kept(store.put(bytes(60), 'audio/wav', 60000));
      await until(() => ownFiles(folder).length === 1, 'the folder made and used');
      fs.rmSync(folder, { recursive: true });
      const failures: Error[] = [];
      const k = kept(store.put(bytes(70, 9), 'audio/wav', 60000, (err) => failures.push(err)));
      assert.equal(k.where, 'disk');
      await until(() => failures.length === 1, 'told of the failure');
      assert.match(failures[0].message, /ENOENT/);
      assert.ok(store.open(k.token, 'wav')?.bytes?.equals(bytes(70, 9)));
      assert.equal(store.usage.memory, 70);
      const refused = store.put(bytes(60), 'audio/wav', 60000) as Refused;
      assert.equal(refused.refused, 'noFolder');
      assert.match(String(refused.detail), /ENOENT/);
      store.clear();
    });
  });

  describe('parseRange', function () {
    const cases: Array<[string | undefined, number, ReturnType<typeof parseRange>]> = [
      [undefined, 1000, undefined],
      ['', 1000, undefined],
      ['bytes=0-99', 1000, { start: 0, end: 99 }],
      ['bytes=100-', 1000, { start: 100, end: 999 }],
      ['bytes=-10', 1000, { start: 990, end: 999 }],
      ['bytes=-5000', 1000, { start: 0, end: 999 }],
      ['bytes=900-5000', 1000, { start: 900, end: 999 }],
      [' bytes=1-1 ', 1000, { start: 1, end: 1 }],
      ['bytes=1000-', 1000, 'unsatisfiable'],
      ['bytes=5-2', 1000, 'unsatisfiable'],
      ['bytes=-0', 1000, 'unsatisfiable'],
      ['bytes=0-', 0, 'unsatisfiable'],
      ['bytes=0-1,5-6', 1000, undefined],
      ['bytes=-', 1000, undefined],
      ['items=0-1', 1000, undefined],
      ['bytes=a-b', 1000, undefined],
    ];
    for (const [header, length, expected] of cases) {
      it(`${JSON.stringify(header)} of ${length} bytes -> ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(parseRange(header, length), expected);
      });
    }
  });
});
