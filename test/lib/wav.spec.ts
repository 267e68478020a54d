import assert from 'node:assert/strict';
import { looksLikeWav, parseWav, WavFormatError } from '../../nodes/lib/wav';
import {
  chunk,
  fmtBody,
  makeWav,
  oddListChunk,
  pcm16Mono,
  riff,
  sampleBytes,
  WAVE_FORMAT_EXTENSIBLE,
  WAVE_FORMAT_IEEE_FLOAT,
  WAVE_FORMAT_PCM,
} from './wav-fixtures';

function wavError(buf: Buffer, pattern: RegExp): void {
  assert.throws(
    () => parseWav(buf),
    (err: unknown) => {
      assert.ok(err instanceof WavFormatError, `expected a WavFormatError, got ${String(err)}`);
      assert.equal(err.name, 'WavFormatError');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('lib/wav', () => {
  describe('looksLikeWav', () => {
    it('is true for a RIFF/WAVE header', () => {
      assert.equal(looksLikeWav(pcm16Mono(0.01)), true);
      assert.equal(looksLikeWav(Buffer.from('RIFF\0\0\0\0WAVE', 'latin1')), true);
    });

    it('is false for other RIFF forms, RIFX, short buffers and other bytes', () => {
      assert.equal(looksLikeWav(riff([], 'AVI ')), false);
      assert.equal(looksLikeWav(Buffer.from('RIFX\0\0\0\0WAVE', 'latin1')), false);
      assert.equal(looksLikeWav(Buffer.from('RIFF\0\0\0\0WAV', 'latin1')), false);
      assert.equal(looksLikeWav(Buffer.alloc(0)), false);
      assert.equal(looksLikeWav(Buffer.from('ID3\x03\0\0\0\0\0\0\0\0', 'latin1')), false);
      assert.equal(looksLikeWav(Buffer.from('OggS' + '\0'.repeat(40), 'latin1')), false);
    });
  });

  describe('parseWav: readable files', () => {
    it('PCM16 mono', () => {
      const buf = makeWav({ formatTag: WAVE_FORMAT_PCM, channels: 1, sampleRate: 16000, bitDepth: 16, frames: 8000 });
      const info = parseWav(buf);
      assert.equal(info.format, 'pcm');
      assert.equal(info.formatTag, 1);
      assert.equal(info.sampleRate, 16000);
      assert.equal(info.channels, 1);
      assert.equal(info.bitDepth, 16);
      assert.equal(info.dataOffset, 44);
      assert.equal(info.dataLength, 16000);
      assert.equal(info.frames, 8000);
      assert.equal(info.duration, 0.5);
      assert.equal(info.dataOffset + info.dataLength, buf.length);
    });

    it('points at the sample bytes themselves', () => {
      const buf = makeWav({ frames: 100, seed: 3 });
      const info = parseWav(buf);
      assert.deepEqual(buf.subarray(info.dataOffset, info.dataOffset + info.dataLength), sampleBytes(200, 3));
    });

    it('float32 mono at 48 kHz', () => {
      const info = parseWav(makeWav({ formatTag: WAVE_FORMAT_IEEE_FLOAT, channels: 1, sampleRate: 48000, bitDepth: 32, frames: 4800 }));
      assert.equal(info.format, 'float');
      assert.equal(info.formatTag, 3);
      assert.equal(info.sampleRate, 48000);
      assert.equal(info.bitDepth, 32);
      assert.equal(info.dataLength, 4800 * 4);
      assert.equal(info.frames, 4800);
      assert.equal(info.duration, 0.1);
    });

    it('float64', () => {
      const info = parseWav(makeWav({ formatTag: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 64, frames: 10 }));
      assert.equal(info.format, 'float');
      assert.equal(info.bitDepth, 64);
      assert.equal(info.frames, 10);
    });

    it('stereo PCM16: a frame is one sample per channel', () => {
      const info = parseWav(makeWav({ channels: 2, sampleRate: 44100, bitDepth: 16, frames: 44100 }));
      assert.equal(info.channels, 2);
      assert.equal(info.dataLength, 44100 * 4);
      assert.equal(info.frames, 44100);
      assert.equal(info.duration, 1);
    });

    it('8-bit and 24-bit PCM', () => {
      const eight = parseWav(makeWav({ bitDepth: 8, sampleRate: 8000, frames: 8000 }));
      assert.equal(eight.format, 'pcm');
      assert.equal(eight.dataLength, 8000);
      assert.equal(eight.duration, 1);
      const twentyFour = parseWav(makeWav({ bitDepth: 24, channels: 2, sampleRate: 48000, frames: 480 }));
      assert.equal(twentyFour.dataLength, 480 * 6);
      assert.equal(twentyFour.frames, 480);
    });

    it('WAVE_FORMAT_EXTENSIBLE float (fmt size 40, sub-format 0x0003)', () => {
      const buf = makeWav({ extensibleSubFormat: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 32, channels: 2, sampleRate: 48000, frames: 960 });
      assert.equal(buf.readUInt32LE(16), 40, 'fixture: fmt chunk size');
      assert.equal(buf.readUInt16LE(20), WAVE_FORMAT_EXTENSIBLE, 'fixture: format tag');
      const info = parseWav(buf);
      assert.equal(info.format, 'float');
      assert.equal(info.formatTag, WAVE_FORMAT_EXTENSIBLE);
      assert.equal(info.channels, 2);
      assert.equal(info.sampleRate, 48000);
      assert.equal(info.dataOffset, 12 + 8 + 40 + 8);
      assert.equal(info.frames, 960);
      assert.equal(info.duration, 0.02);
    });

    it('WAVE_FORMAT_EXTENSIBLE PCM (sub-format 0x0001)', () => {
      const info = parseWav(makeWav({ extensibleSubFormat: WAVE_FORMAT_PCM, bitDepth: 24, frames: 16 }));
      assert.equal(info.format, 'pcm');
      assert.equal(info.formatTag, WAVE_FORMAT_EXTENSIBLE);
      assert.equal(info.frames, 16);
    });

    it('skips a LIST chunk of odd length and its pad byte before data', () => {
      const list = oddListChunk();
      assert.equal(list.readUInt32LE(4) % 2, 1, 'fixture: odd LIST size');
      assert.equal(list.length, 8 + list.readUInt32LE(4) + 1, 'fixture: pad byte present');
      const buf = makeWav({ frames: 1000, before: [list] });
      const info = parseWav(buf);
      assert.equal(info.dataOffset, 44 + list.length);
      assert.equal(info.dataLength, 2000);
      assert.equal(info.frames, 1000);
      assert.equal(buf.toString('latin1', info.dataOffset - 8, info.dataOffset - 4), 'data');
    });

    it('skips several unknown chunks before data (fact, PEAK, junk)', () => {
      const buf = makeWav({
        frames: 50,
        before: [chunk('fact', Buffer.alloc(4)), chunk('PEAK', Buffer.alloc(24)), chunk('JUNK', Buffer.alloc(3))],
      });
      const info = parseWav(buf);
      assert.equal(info.frames, 50);
      assert.equal(info.dataOffset, buf.length - 100);
    });

    it('an unknown chunk before fmt is skipped too', () => {
      const data = sampleBytes(64);
      const buf = riff([chunk('JUNK', Buffer.alloc(28)), chunk('fmt ', fmtBody()), chunk('data', data)]);
      const info = parseWav(buf);
      assert.equal(info.frames, 32);
      assert.equal(info.dataOffset, buf.length - 64);
    });

    it('ignores chunks after data', () => {
      const info = parseWav(makeWav({ frames: 10, after: [chunk('LIST', Buffer.alloc(100))] }));
      assert.equal(info.dataLength, 20);
      assert.equal(info.frames, 10);
    });

    it('data size 0xFFFFFFFF (streaming writer): takes what is there', () => {
      const buf = makeWav({ frames: 1234, dataSizeField: 0xffffffff });
      const info = parseWav(buf);
      assert.equal(info.dataLength, 2468);
      assert.equal(info.frames, 1234);
      assert.equal(info.dataOffset + info.dataLength, buf.length);
    });

    it('data size 0 (streaming writer): takes what is there', () => {
      const info = parseWav(makeWav({ frames: 77, dataSizeField: 0 }));
      assert.equal(info.frames, 77);
    });

    it('truncated data: counts only the bytes present', () => {
      const full = makeWav({ frames: 1000 });
      const cut = full.subarray(0, full.length - 501);
      const info = parseWav(cut);
      assert.equal(info.dataLength, 2000 - 501);
      assert.equal(info.frames, Math.floor((2000 - 501) / 2));
      assert.equal(info.duration, info.frames / 16000);
    });

    it('a data chunk with an announced size smaller than the bytes present uses the announced size', () => {
      const info = parseWav(makeWav({ frames: 100, dataSizeField: 50 }));
      assert.equal(info.dataLength, 50);
      assert.equal(info.frames, 25);
    });

    it('a WAV whose data chunk is empty has 0 frames and duration 0', () => {
      const buf = riff([chunk('fmt ', fmtBody()), chunk('data', Buffer.alloc(0))]);
      const info = parseWav(buf);
      assert.equal(info.dataLength, 0);
      assert.equal(info.frames, 0);
      assert.equal(info.duration, 0);
    });

    it('a partial final frame is not counted', () => {
      const buf = riff([chunk('fmt ', fmtBody({ channels: 2, bitDepth: 16 })), chunk('data', sampleBytes(10))]);
      assert.equal(parseWav(buf).frames, 2);
    });

    it('reads the rate from the header (not a constant)', () => {
      for (const rate of [8000, 22050, 24000, 44100, 48000, 96000]) {
        assert.equal(parseWav(makeWav({ sampleRate: rate, frames: rate })).sampleRate, rate);
        assert.equal(parseWav(makeWav({ sampleRate: rate, frames: rate })).duration, 1);
      }
    });
  });

  describe('parseWav: unreadable files (WavFormatError)', () => {
    it('not RIFF', () => {
      wavError(Buffer.from('this is not a wav file at all, just text'), /RIFF\/WAVE/);
      wavError(Buffer.alloc(0), /RIFF\/WAVE/);
      wavError(riff([chunk('fmt ', fmtBody())], 'AVI '), /RIFF\/WAVE/);
    });

    it('missing fmt chunk', () => {
      wavError(riff([chunk('LIST', Buffer.alloc(4))]), /no fmt chunk/);
      wavError(riff([]), /no fmt chunk/);
    });

    it('data before fmt', () => {
      wavError(riff([chunk('data', sampleBytes(32)), chunk('fmt ', fmtBody())]), /data chunk comes before the fmt chunk/);
    });

    it('fmt but no data chunk', () => {
      wavError(riff([chunk('fmt ', fmtBody()), chunk('LIST', Buffer.alloc(10))]), /no data chunk/);
    });

    it('a file cut right after its fmt chunk', () => {
      const buf = makeWav({ frames: 10 }).subarray(0, 36);
      wavError(buf, /no data chunk/);
    });

    it('unsupported format tag (0x0055 MP3, 0x0006 A-law)', () => {
      wavError(makeWav({ formatTag: 0x55, frames: 10 }), /not supported \(format tag 85, 16 bits\)/);
      wavError(makeWav({ formatTag: 6, bitDepth: 8, frames: 10 }), /not supported \(format tag 6/);
    });

    it('unsupported extensible sub-format', () => {
      wavError(makeWav({ extensibleSubFormat: 0x55, frames: 10 }), /format tag 85/);
    });

    it('PCM with a bit depth that is not 8/16/24/32, float that is not 32/64', () => {
      wavError(makeWav({ bitDepth: 12, frames: 4 }), /not supported \(format tag 1, 12 bits\)/);
      wavError(makeWav({ formatTag: WAVE_FORMAT_IEEE_FLOAT, bitDepth: 16, frames: 4 }), /format tag 3, 16 bits/);
    });

    it('a truncated fmt chunk', () => {
      wavError(riff([chunk('fmt ', Buffer.alloc(14))]), /fmt chunk is truncated/);
      const cut = makeWav({ frames: 10 }).subarray(0, 12 + 8 + 10);
      wavError(cut, /fmt chunk is truncated/);
    });

    it('a truncated WAVE_FORMAT_EXTENSIBLE fmt chunk', () => {
      const body = fmtBody({ extensibleSubFormat: WAVE_FORMAT_PCM }).subarray(0, 18);
      body.writeUInt16LE(WAVE_FORMAT_EXTENSIBLE, 0);
      wavError(riff([chunk('fmt ', body), chunk('data', sampleBytes(8))]), /EXTENSIBLE fmt chunk is truncated/);
    });

    it('0 channels or more than 8', () => {
      wavError(makeWav({ channels: 0, frames: 0 }), /declares 0 channels/);
      const nine = fmtBody({ channels: 1 });
      nine.writeUInt16LE(9, 2);
      wavError(riff([chunk('fmt ', nine), chunk('data', sampleBytes(36))]), /declares 9 channels/);
    });

    it('an absurd sample rate', () => {
      wavError(makeWav({ sampleRate: 0, frames: 0 }), /sample rate of 0 Hz/);
      wavError(makeWav({ sampleRate: 999, frames: 10 }), /sample rate of 999 Hz/);
      wavError(makeWav({ sampleRate: 400000, frames: 10 }), /sample rate of 400000 Hz/);
    });

    it('a chunk whose size runs past the end of the buffer before data', () => {
      const buf = riff([chunk('fmt ', fmtBody()), chunk('LIST', Buffer.alloc(8), 0xfffffff0), chunk('data', sampleBytes(20))]);
      wavError(buf, /no data chunk/);
    });
  });
});
