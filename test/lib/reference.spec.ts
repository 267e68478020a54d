import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VoxcpmError, VoxcpmErrorCode } from '../../nodes/lib/errors';
import { MAX_REFERENCE_BYTES, REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS, ReferenceFile, referenceFromValue } from '../../nodes/lib/reference';
import { makeWav, pcm16Mono, sampleBytes } from './wav-fixtures';

function isCode(code: VoxcpmErrorCode, pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof VoxcpmError, `expected a VoxcpmError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

async function rejectsWith(promise: Promise<unknown>, code: VoxcpmErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, isCode(code, pattern));
}

describe('lib/reference', () => {
  it('warns below 3 s and above 30 s', () => {
    assert.equal(REFERENCE_MIN_SECONDS, 3);
    assert.equal(REFERENCE_MAX_SECONDS, 30);
  });

  describe('referenceFromValue', () => {
    const wav10 = pcm16Mono(10);

    it('a Buffer becomes plain base64 of the same bytes', () => {
      const r = referenceFromValue(wav10, 'msg.audio');
      assert.equal(r.base64, wav10.toString('base64'));
      assert.ok(Buffer.from(r.base64, 'base64').equals(wav10));
      assert.equal(r.duration, 10);
      assert.equal(r.warning, undefined);
    });

    it("Node-RED's JSON form of a Buffer (context storage after a restart) is the same reference as the Buffer", () => {
      const json = JSON.parse(JSON.stringify(wav10)) as unknown;
      assert.deepEqual(Object.keys(json as object).sort(), ['data', 'type']);
      const fromBuffer = referenceFromValue(wav10, 'msg.audio');
      const fromJson = referenceFromValue(json, 'msg.audio');
      assert.deepEqual(fromJson, fromBuffer);
    });

    it('a JSON Buffer is checked as a Buffer: its size before any conversion, its entries as bytes', () => {
      // A proxy whose entries throw when read: the size check must come first.
      const data = new Proxy(new Array<number>(MAX_REFERENCE_BYTES + 1), {
        get(target, key) {
          if (typeof key === 'string' && /^\d+$/.test(key)) throw new Error('an entry was read');
          return Reflect.get(target, key) as unknown;
        },
      });
      assert.throws(() => referenceFromValue({ type: 'Buffer', data }, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /more than the limit of 50 MB/));
      const bytes = [...wav10.subarray(0, 100)];
      for (const bad of [256, -1, 1.5, '7', null]) {
        const value = { type: 'Buffer', data: [...bytes.slice(0, 50), bad, ...bytes.slice(51)] };
        assert.throws(() => referenceFromValue(value, 'msg.payload.audio'), isCode('VOXCPM_AUDIO_INVALID', /msg\.payload\.audio is a Buffer stored as JSON/), String(bad));
      }
      assert.throws(() => referenceFromValue({ type: 'Buffer', data: [1, 2, 3] }, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /3 bytes/));
      // Anything else shaped like it is still the wrong type.
      assert.throws(() => referenceFromValue({ type: 'buffer', data: bytes }, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /an object/));
    });

    it('plain base64 text is kept as it is', () => {
      const b64 = wav10.toString('base64');
      const r = referenceFromValue(b64, 'msg.audio');
      assert.equal(r.base64, b64);
      assert.equal(r.duration, 10);
      assert.equal(r.warning, undefined);
    });

    it('a data URL loses its prefix', () => {
      const b64 = wav10.toString('base64');
      const r = referenceFromValue(`data:audio/wav;base64,${b64}`, 'msg.audio');
      assert.equal(r.base64, b64);
      assert.ok(!r.base64.startsWith('data:'));
      assert.ok(Buffer.from(r.base64, 'base64').equals(wav10));
    });

    it('unpadded base64 gets its padding: the exact standard string is sent', () => {
      const paddings = new Set<number>();
      for (const extra of [0, 1, 2]) {
        const wav = Buffer.concat([wav10, Buffer.alloc(extra, 0x41)]);
        const padded = wav.toString('base64');
        const unpadded = padded.replace(/=+$/, '');
        paddings.add(padded.length - unpadded.length);
        assert.equal(referenceFromValue(unpadded, 'msg.audio').base64, padded);
      }
      assert.deepEqual([...paddings].sort(), [0, 1, 2], 'fixture: no, one and two "=" of padding');
    });

    it('URL-safe base64 (- and _, padded or not, in a data URL too) is sent in the standard alphabet', () => {
      // Bytes whose base64 has many "+" and "/" so the URL-safe form differs.
      let wav = Buffer.concat([wav10, Buffer.from([0xfb, 0xff, 0xbf, 0xfe, 0xfb, 0xff])]);
      if (wav.length % 3 === 0) wav = wav.subarray(0, wav.length - 1); // a length that needs padding
      const standard = wav.toString('base64');
      const urlSafe = wav.toString('base64url');
      assert.notEqual(urlSafe, standard);
      assert.match(urlSafe, /[-_]/);
      assert.equal(referenceFromValue(urlSafe, 'msg.audio').base64, standard);
      assert.equal(referenceFromValue(urlSafe + '='.repeat((4 - (urlSafe.length % 4)) % 4), 'msg.audio').base64, standard);
      assert.ok(standard.endsWith('='), 'fixture: the standard form is padded');
      assert.equal(referenceFromValue(`data:audio/wav;base64,${urlSafe}`, 'msg.audio').base64, standard);
      assert.equal(referenceFromValue(urlSafe, 'msg.audio').duration, 10);
    });

    it('text that is base64 in neither alphabet is VOXCPM_AUDIO_INVALID (mixed alphabets, bad padding, 1 mod 4)', () => {
      const b64 = wav10.toString('base64');
      const cases = [`${b64.slice(0, 400)}-+${b64.slice(402)}`, `${b64.slice(0, 401)}`, `${b64}==`, `${b64.slice(0, 200)}=${b64.slice(201)}`, `${b64.slice(0, 300)}*${b64.slice(301)}`];
      for (const text of cases) assert.throws(() => referenceFromValue(text, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /msg\.audio/), text.slice(395, 410));
    });

    it('a Buffer over MAX_REFERENCE_BYTES is VOXCPM_AUDIO_INVALID naming the limit, checked before encoding', () => {
      const big = Buffer.alloc(MAX_REFERENCE_BYTES + 1);
      big.write('RIFF', 0, 'latin1');
      // Encoding it would throw this: it must never be reached.
      Object.defineProperty(big, 'toString', { value: () => { throw new RangeError('Cannot create a string longer than 0x1fffffe8 characters'); } });
      assert.throws(() => referenceFromValue(big, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /msg\.audio is 50 MB of audio, more than the limit of 50 MB/));
      // Exactly at the limit is fine.
      const atLimit = Buffer.concat([wav10, Buffer.alloc(MAX_REFERENCE_BYTES - wav10.length)]);
      assert.equal(referenceFromValue(atLimit, 'msg.audio').base64.length, 4 * Math.ceil(MAX_REFERENCE_BYTES / 3));
    });

    it('base64 text of more than MAX_REFERENCE_BYTES is VOXCPM_AUDIO_INVALID naming the limit, before decoding', () => {
      const text = 'A'.repeat(4 * Math.ceil((MAX_REFERENCE_BYTES + 3) / 3));
      const started = Date.now();
      assert.throws(() => referenceFromValue(text, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /limit of 50 MB/));
      // Far larger text (more than twice the limit) is refused from its length alone.
      assert.throws(() => referenceFromValue(text + text + text, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /limit of 50 MB/));
      assert.ok(Date.now() - started < 1000);
    });

    it('line-wrapped base64 loses its line breaks', () => {
      const b64 = wav10.toString('base64');
      const r = referenceFromValue(b64.replace(/(.{76})/g, '$1\n'), 'msg.audio');
      assert.equal(r.base64, b64);
    });

    it('1 s of audio: warning reference-duration naming the source and length', () => {
      const r = referenceFromValue(pcm16Mono(1), 'msg.payload.audio');
      assert.equal(r.duration, 1);
      assert.ok(r.warning);
      assert.equal(r.warning.kind, 'reference-duration');
      assert.match(r.warning.message, /msg\.payload\.audio/);
      assert.match(r.warning.message, /1\.0 s/);
    });

    it('40 s of audio: warning reference-duration', () => {
      const r = referenceFromValue(pcm16Mono(40, 8000), 'msg.audio');
      assert.equal(r.duration, 40);
      assert.equal(r.warning?.kind, 'reference-duration');
      assert.match(r.warning?.message ?? '', /40\.0 s/);
    });

    it('no warning at the limits 3 s and 30 s and in between', () => {
      for (const s of [3, 5, 10, 30]) {
        const r = referenceFromValue(pcm16Mono(s, 8000), 'msg.audio');
        assert.equal(r.warning, undefined, `${s} s`);
        assert.equal(r.duration, s);
      }
    });

    it('just outside the limits warns', () => {
      assert.equal(referenceFromValue(makeWav({ sampleRate: 8000, frames: 3 * 8000 - 1 }), 'a').warning?.kind, 'reference-duration');
      assert.equal(referenceFromValue(makeWav({ sampleRate: 8000, frames: 30 * 8000 + 1 }), 'a').warning?.kind, 'reference-duration');
    });

    it('a WAV without samples warns about its duration (0 s)', () => {
      const r = referenceFromValue(makeWav({ frames: 0 }).subarray(0, 44), 'msg.audio');
      assert.equal(r.duration, 0);
      assert.equal(r.warning?.kind, 'reference-duration');
    });

    it('non-WAV bytes are sent as they are with warning reference-not-wav', () => {
      const mp3ish = Buffer.concat([Buffer.from('ID3\x04\0\0\0\0\0\0', 'latin1'), sampleBytes(200)]);
      const r = referenceFromValue(mp3ish, 'msg.audio');
      assert.equal(r.base64, mp3ish.toString('base64'));
      assert.equal(r.duration, undefined);
      assert.equal(r.warning?.kind, 'reference-not-wav');
      assert.match(r.warning?.message ?? '', /msg\.audio/);
      assert.match(r.warning?.message ?? '', /RIFF\/WAVE/);
    });

    it('a broken WAV (data before fmt) is a reference-not-wav warning, not an error', () => {
      const broken = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEdata\x20\0\0\0', 'latin1'), sampleBytes(64)]);
      const r = referenceFromValue(broken, 'msg.audio');
      assert.equal(r.warning?.kind, 'reference-not-wav');
      assert.match(r.warning?.message ?? '', /before the fmt chunk/);
    });

    it('a file path is VOXCPM_AUDIO_INVALID and points to the file-in node', () => {
      for (const p of ['/home/pi/ref.wav', './voices/ref.wav', '../ref.wav', '~/ref.wav', 'C:\\voices\\ref.wav', 'ref.mp3', 'D:/voices/anna.WAV']) {
        assert.throws(() => referenceFromValue(p, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /file path/), p);
      }
      assert.throws(() => referenceFromValue('/home/pi/ref.wav', 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /file-in/));
      assert.throws(() => referenceFromValue('/home/pi/ref.wav', 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /^msg\.audio /));
    });

    it('garbage text is VOXCPM_AUDIO_INVALID (not base64 audio)', () => {
      for (const g of ['hello, world!', 'not audio: 123.', '%%%%', 'data:audio/wav,raw']) {
        assert.throws(() => referenceFromValue(g, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /not base64 audio/), g);
      }
    });

    it('an empty or white-space string is VOXCPM_AUDIO_INVALID', () => {
      assert.throws(() => referenceFromValue('', 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID'));
      assert.throws(() => referenceFromValue('   ', 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID'));
    });

    it('base64 of fewer than 44 bytes is too short to be audio', () => {
      assert.throws(() => referenceFromValue(Buffer.alloc(43, 1).toString('base64'), 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /43 bytes/));
      assert.throws(() => referenceFromValue(Buffer.alloc(10), 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /10 bytes/));
      assert.doesNotThrow(() => referenceFromValue(Buffer.alloc(44, 1), 'msg.audio'));
    });

    it('a value that is neither Buffer nor text names its type', () => {
      const cases: Array<[unknown, RegExp]> = [
        [123, /a number/],
        [{ data: [1, 2] }, /an object/],
        [[1, 2, 3], /an array/],
        [true, /a boolean/],
        [null, /null/],
        [undefined, /nothing/],
      ];
      for (const [value, pattern] of cases) {
        assert.throws(() => referenceFromValue(value, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', pattern));
      }
    });

    it('never quotes the audio itself in an error', () => {
      const long = `${'x'.repeat(2000)}!`;
      assert.throws(
        () => referenceFromValue(long, 'msg.audio'),
        (err: unknown) => err instanceof VoxcpmError && !err.message.includes('xxxxxxxxxx') && err.message.length <= 300,
      );
    });

    // Regression: a path of letters, digits and slashes is valid base64. It was once accepted as
    // audio (only a 'reference-not-wav' warning) and its letters sent to the server.
    it('an extension-less path made of letters and slashes is VOXCPM_AUDIO_INVALID with the file-path hint', () => {
      for (const p of ['/home/pi/voices/reference/speakers/anna/recordings/latest/take3', '/tmp/x', '/srv/voices/anna']) {
        assert.notEqual(p.length % 4, 1, `fixture ${p}: must not be rejected for its length`);
        assert.throws(() => referenceFromValue(p, 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /file path.*file-in/), p);
      }
    });

    it('base64 audio that starts with "/" (an MP3 frame sync, 0xFF 0xFB) is still taken as audio', () => {
      const mp3 = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), sampleBytes(400)]);
      const b64 = mp3.toString('base64');
      assert.ok(b64.startsWith('//'), 'fixture: base64 looks like a path');
      const r = referenceFromValue(b64, 'msg.audio');
      assert.equal(r.base64, b64);
      assert.equal(r.warning?.kind, 'reference-not-wav');
    });

    it('base64 that starts with "/" but holds no known audio is rejected as a path', () => {
      const blob = Buffer.concat([Buffer.from([0xfc, 0x00, 0x11, 0x22]), sampleBytes(400)]);
      assert.ok(blob.toString('base64').startsWith('/'), 'fixture');
      assert.throws(() => referenceFromValue(blob.toString('base64'), 'msg.audio'), isCode('VOXCPM_AUDIO_INVALID', /file path/));
      // As a Buffer the same bytes are sent, with a warning.
      assert.equal(referenceFromValue(blob, 'msg.audio').warning?.kind, 'reference-not-wav');
    });
  });

  describe('ReferenceFile', () => {
    let dir: string;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-ref-'));
    });

    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('resolves a relative path against the base directory and keeps an absolute one', () => {
      const rf = new ReferenceFile(dir);
      assert.equal(rf.resolve('voices/anna.wav'), path.join(dir, 'voices', 'anna.wav'));
      assert.equal(rf.resolve('./anna.wav'), path.join(dir, 'anna.wav'));
      assert.equal(rf.resolve('/srv/anna.wav'), path.resolve('/srv/anna.wav'));
    });

    it('loads a relative path from the base directory', async () => {
      fs.mkdirSync(path.join(dir, 'voices'));
      const wav = pcm16Mono(10, 8000, 1);
      fs.writeFileSync(path.join(dir, 'voices', 'anna.wav'), wav);
      const r = await new ReferenceFile(dir).load('voices/anna.wav');
      assert.equal(r.base64, wav.toString('base64'));
      assert.equal(r.duration, 10);
      assert.equal(r.warning, undefined);
    });

    it('loads an absolute path whatever the base directory', async () => {
      const wav = pcm16Mono(5, 8000, 2);
      const file = path.join(dir, 'abs.wav');
      fs.writeFileSync(file, wav);
      const r = await new ReferenceFile('/nonexistent-base').load(file);
      assert.ok(Buffer.from(r.base64, 'base64').equals(wav));
    });

    it('a missing file is VOXCPM_AUDIO_MISSING naming the resolved path', async () => {
      const rf = new ReferenceFile(dir);
      await rejectsWith(rf.load('nope.wav'), 'VOXCPM_AUDIO_MISSING', /does not exist/);
      await assert.rejects(rf.load('nope.wav'), (err: unknown) => err instanceof VoxcpmError && err.message.includes(path.join(dir, 'nope.wav')));
    });

    it('a directory is VOXCPM_AUDIO_MISSING (not a file)', async () => {
      fs.mkdirSync(path.join(dir, 'voices'));
      await rejectsWith(new ReferenceFile(dir).load('voices'), 'VOXCPM_AUDIO_MISSING', /not a file but a directory/);
    });

    /** Loads `file` and expects a refusal with `code` naming the file and the problem, within a second. */
    async function refusedFast(file: string, code: VoxcpmErrorCode, problem: RegExp): Promise<number> {
      const started = process.hrtime.bigint();
      await rejectsWith(new ReferenceFile(dir).load(file), code, problem);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 1000, `took ${ms} ms`);
      await assert.rejects(new ReferenceFile(dir).load(file), (err: unknown) => err instanceof Error && err.message.includes(path.resolve(dir, file)));
      return ms;
    }

    it('a FIFO named *.wav is VOXCPM_AUDIO_INVALID at once, naming the file, and never blocks a thread', async function () {
      const fifo = path.join(dir, 'voice.wav');
      if (spawnSync('mkfifo', [fifo]).status !== 0) this.skip();
      // Five loads at once (more than libuv's four threads): each answers, and a real file still loads.
      await Promise.all([1, 2, 3, 4, 5].map(() => refusedFast('voice.wav', 'VOXCPM_AUDIO_INVALID', /FIFO \(named pipe\), not a regular file/)));
      fs.writeFileSync(path.join(dir, 'ok.wav'), pcm16Mono(5, 8000));
      assert.equal((await new ReferenceFile(dir).load('ok.wav')).duration, 5);
    });

    it('a link to /dev/zero is VOXCPM_AUDIO_INVALID at once (a character device), nothing read', async function () {
      if (!fs.existsSync('/dev/zero')) this.skip();
      fs.symlinkSync('/dev/zero', path.join(dir, 'zero.wav'));
      const rss = process.memoryUsage().rss;
      await refusedFast('zero.wav', 'VOXCPM_AUDIO_INVALID', /character device, not a regular file/);
      assert.ok(process.memoryUsage().rss - rss < 64 * 1024 * 1024);
    });

    it('a file over MAX_REFERENCE_BYTES (a sparse 60 MB file) is VOXCPM_AUDIO_INVALID at once, naming the limit', async () => {
      assert.equal(MAX_REFERENCE_BYTES, 50 * 1024 * 1024);
      const big = path.join(dir, 'big.wav');
      fs.writeFileSync(big, pcm16Mono(1, 8000));
      fs.truncateSync(big, 60 * 1024 * 1024);
      await refusedFast('big.wav', 'VOXCPM_AUDIO_INVALID', /60 MB, more than the limit of 50 MB/);
    });

    it('a readable file that is not WAV (e.g. /etc/passwd) is VOXCPM_AUDIO_INVALID: not a WAV file, never sent', async () => {
      fs.writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
      await refusedFast('passwd', 'VOXCPM_AUDIO_INVALID', /is not a WAV file .*it is not sent/);
      if (fs.existsSync('/etc/passwd')) {
        await rejectsWith(new ReferenceFile(dir).load('/etc/passwd'), 'VOXCPM_AUDIO_INVALID', /\/etc\/passwd is not a WAV file/);
      }
    });

    it('a file shorter than a WAV header is VOXCPM_AUDIO_INVALID', async () => {
      fs.writeFileSync(path.join(dir, 'tiny.wav'), Buffer.alloc(20));
      await rejectsWith(new ReferenceFile(dir).load('tiny.wav'), 'VOXCPM_AUDIO_INVALID', /20 bytes/);
    });

    it('a file in another audio container (FLAC) is VOXCPM_AUDIO_INVALID naming the file: only WAV files are read from disk', async () => {
      const bytes = Buffer.concat([Buffer.from('fLaC'), sampleBytes(100)]);
      fs.writeFileSync(path.join(dir, 'voice.flac'), bytes);
      await rejectsWith(new ReferenceFile(dir).load('voice.flac'), 'VOXCPM_AUDIO_INVALID', /voice\.flac is not a WAV file/);
    });

    it('a file of 1 s loads with warning reference-duration', async () => {
      fs.writeFileSync(path.join(dir, 'short.wav'), pcm16Mono(1));
      const r = await new ReferenceFile(dir).load('short.wav');
      assert.equal(r.warning?.kind, 'reference-duration');
      assert.match(r.warning?.message ?? '', /file short\.wav/);
    });

    it('is cached while size and mtime stay the same (the file is not read again)', async () => {
      const file = path.join(dir, 'ref.wav');
      const first = pcm16Mono(10, 8000, 1);
      const t0 = new Date('2024-01-01T00:00:00Z');
      fs.writeFileSync(file, first);
      fs.utimesSync(file, t0, t0);
      const rf = new ReferenceFile(dir);
      const a = await rf.load('ref.wav');
      const b = await rf.load('ref.wav');
      assert.equal(b, a, 'the same object from the cache');
      // Same size, same mtime, different bytes: only a re-read would notice.
      const same = pcm16Mono(10, 8000, 9);
      assert.equal(same.length, first.length);
      assert.ok(!same.equals(first));
      fs.writeFileSync(file, same);
      fs.utimesSync(file, t0, t0);
      const c = await rf.load('ref.wav');
      assert.equal(c, a);
      assert.equal(c.base64, first.toString('base64'));
    });

    it('reads the file again after it changed (new mtime)', async () => {
      const file = path.join(dir, 'ref.wav');
      const t0 = new Date('2024-01-01T00:00:00Z');
      const t1 = new Date('2024-01-01T00:00:10Z');
      const first = pcm16Mono(10, 8000, 1);
      fs.writeFileSync(file, first);
      fs.utimesSync(file, t0, t0);
      const rf = new ReferenceFile(dir);
      const a = await rf.load('ref.wav');
      assert.equal(a.base64, first.toString('base64'));
      const second = pcm16Mono(10, 8000, 2);
      assert.equal(second.length, first.length, 'fixture: same size, so only the mtime tells');
      fs.writeFileSync(file, second);
      fs.utimesSync(file, t1, t1);
      const b = await rf.load('ref.wav');
      assert.notEqual(b, a);
      assert.equal(b.base64, second.toString('base64'));
      assert.equal(b.duration, 10);
    });

    it('reads the file again after its size changed, even with the same mtime', async () => {
      const file = path.join(dir, 'ref.wav');
      const t0 = new Date('2024-01-01T00:00:00Z');
      fs.writeFileSync(file, pcm16Mono(10, 8000));
      fs.utimesSync(file, t0, t0);
      const rf = new ReferenceFile(dir);
      const a = await rf.load('ref.wav');
      const longer = pcm16Mono(40, 8000);
      fs.writeFileSync(file, longer);
      fs.utimesSync(file, t0, t0);
      const b = await rf.load('ref.wav');
      assert.equal(b.base64, longer.toString('base64'));
      assert.equal(b.duration, 40);
      assert.equal(b.warning?.kind, 'reference-duration');
      assert.equal(a.warning, undefined);
    });

    it('switching to another file loads that file', async () => {
      const t0 = new Date('2024-01-01T00:00:00Z');
      const wa = pcm16Mono(10, 8000, 1);
      const wb = pcm16Mono(10, 8000, 2);
      fs.writeFileSync(path.join(dir, 'a.wav'), wa);
      fs.writeFileSync(path.join(dir, 'b.wav'), wb);
      fs.utimesSync(path.join(dir, 'a.wav'), t0, t0);
      fs.utimesSync(path.join(dir, 'b.wav'), t0, t0);
      const rf = new ReferenceFile(dir);
      assert.equal((await rf.load('a.wav')).base64, wa.toString('base64'));
      assert.equal((await rf.load('b.wav')).base64, wb.toString('base64'));
      assert.equal((await rf.load('a.wav')).base64, wa.toString('base64'));
    });

    it('reports a file that disappeared after it was cached', async () => {
      const file = path.join(dir, 'ref.wav');
      fs.writeFileSync(file, pcm16Mono(10, 8000));
      const rf = new ReferenceFile(dir);
      await rf.load('ref.wav');
      fs.unlinkSync(file);
      await rejectsWith(rf.load('ref.wav'), 'VOXCPM_AUDIO_MISSING');
    });
  });
});
