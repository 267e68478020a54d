import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileReadError, readRegularFile, readRegularFileWithStat } from '../../nodes/lib/files';

describe('lib/files readRegularFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-files-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Expects a FileReadError with `problem` within a second; returns it. */
  async function refused(file: string, max: number, problem: FileReadError['problem'], options: { noFollow?: boolean } = {}): Promise<FileReadError> {
    const started = Date.now();
    let caught: unknown;
    try {
      await readRegularFile(file, max, options);
    } catch (err) {
      caught = err;
    }
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.ok(caught instanceof FileReadError, `expected a FileReadError, got ${String(caught)}`);
    assert.equal(caught.problem, problem);
    assert.equal(caught.file, file);
    assert.ok(caught.message.includes(file), 'the message names the file');
    return caught;
  }

  it('reads a regular file whole, and gives the stat of the handle it read', async () => {
    const file = path.join(dir, 'a.bin');
    fs.writeFileSync(file, Buffer.from('hello'));
    assert.deepEqual(await readRegularFile(file, 5), Buffer.from('hello'));
    const { bytes, stat } = await readRegularFileWithStat(file, 5);
    assert.deepEqual(bytes, Buffer.from('hello'));
    assert.equal(stat.size, 5);
    assert.equal(stat.mtimeMs, fs.statSync(file).mtimeMs);
  });

  it('a missing file is "missing" with code ENOENT', async () => {
    const e = await refused(path.join(dir, 'nope'), 10, 'missing');
    assert.equal(e.code, 'ENOENT');
  });

  it('a file over the bound is "too-large" naming size and limit, from its size alone (a sparse 60 MB file)', async () => {
    const file = path.join(dir, 'big');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 60 * 1024 * 1024);
    const e = await refused(file, 50 * 1024 * 1024, 'too-large');
    assert.match(e.message, /60 MB, more than the limit of 50 MB/);
  });

  it('a directory, a FIFO and a link to /dev/zero are "not-a-file" at once, with their kind', async function () {
    fs.mkdirSync(path.join(dir, 'sub'));
    assert.equal((await refused(path.join(dir, 'sub'), 10, 'not-a-file')).kind, 'a directory');
    if (fs.existsSync('/dev/zero')) {
      fs.symlinkSync('/dev/zero', path.join(dir, 'zero'));
      assert.equal((await refused(path.join(dir, 'zero'), 1024, 'not-a-file')).kind, 'a character device');
    }
    const fifo = path.join(dir, 'fifo.wav');
    if (spawnSync('mkfifo', [fifo]).status !== 0) this.skip();
    // More at once than libuv has threads: a blocking open would hang the fifth.
    const errors = await Promise.all([1, 2, 3, 4, 5].map(() => refused(fifo, 1024, 'not-a-file')));
    for (const e of errors) assert.match(e.message, /FIFO/);
  });

  it('with noFollow a link is "missing" with code ELOOP, even to a good file; without, the target is read', async () => {
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'data');
    fs.symlinkSync(target, path.join(dir, 'link'));
    const e = await refused(path.join(dir, 'link'), 10, 'missing', { noFollow: true });
    assert.equal(e.code, 'ELOOP');
    assert.match(e.message, /symbolic link/);
    assert.deepEqual(await readRegularFile(path.join(dir, 'link'), 10), Buffer.from('data'));
  });

  it('leaves no file descriptor open, on success and on every refusal', async function () {
    if (!fs.existsSync('/proc/self/fd')) this.skip();
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x'.repeat(100));
    fs.mkdirSync(path.join(dir, 'd'));
    const before = fds();
    for (let i = 0; i < 20; i++) {
      await readRegularFile(file, 100);
      await readRegularFile(file, 10).catch(() => undefined);
      await readRegularFile(path.join(dir, 'd'), 10).catch(() => undefined);
    }
    assert.equal(fds(), before);
  });
});
