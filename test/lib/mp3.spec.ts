/** lib/mp3: the encoder checked by ffmpeg's decoder, and the frame reader checked against ffprobe. */
import assert from 'node:assert/strict';
import { MP3_BITRATES, MP3_SAMPLE_RATES, nearestMp3Rate } from '../../nodes/lib/defaults';
import { encodeMp3, looksLikeMp3, mp3Info } from '../../nodes/lib/mp3';
import { decode, dominantFrequency, probe, rmsDb } from '../support/meter';

function sine(seconds: number, rate: number, hz: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
}

describe('lib/mp3', function () {
  this.timeout(20000);

  it('mono 48 kHz at 64 kbps: ffmpeg decodes the same tone, length and level', async () => {
    const mp3 = await encodeMp3([sine(2, 48000, 440)], 48000, 64);
    assert.ok(looksLikeMp3(mp3));
    assert.deepEqual(probe(mp3), { codec: 'mp3', sampleRate: 48000, channels: 1 });
    const { samples, sampleRate } = decode(mp3);
    assert.ok(Math.abs(samples.length / sampleRate - 2) < 0.06, `${samples.length / sampleRate} s`);
    assert.equal(dominantFrequency(samples, sampleRate), 440);
    // A 0.5 sine is −9 dBFS RMS; the encoder keeps its level (the decoded length adds ~50 ms of delay and padding).
    assert.ok(Math.abs(rmsDb(samples) - -9.03) < 1, `${rmsDb(samples)} dBFS`);
    assert.ok(Math.abs(mp3.length - 2 * 8000) < 800, `${mp3.length} bytes for 2 s at 64 kbps`);
  });

  it('stereo keeps the channels apart', async () => {
    const mp3 = await encodeMp3([sine(1, 44100, 300), sine(1, 44100, 300, 0)], 44100, 128);
    assert.deepEqual(probe(mp3), { codec: 'mp3', sampleRate: 44100, channels: 2 });
    assert.equal(mp3Info(mp3).channels, 2);
  });

  it('every MP3 rate (MPEG-1, 2 and 2.5), lowest and highest bitrate in turn: mp3Info agrees with ffprobe', async function () {
    this.timeout(60000);
    for (const [i, rate] of MP3_SAMPLE_RATES.entries()) {
      for (const kbps of [MP3_BITRATES[(i % 2) * (MP3_BITRATES.length - 1)]]) {
        const mp3 = await encodeMp3([sine(0.5, rate, 200)], rate, kbps);
        const info = mp3Info(mp3);
        assert.equal(info.sampleRate, rate);
        assert.equal(probe(mp3).sampleRate, rate);
        const decoded = decode(mp3);
        // ffmpeg trims nothing without a LAME tag: its length is all frames', as mp3Info counts them.
        assert.ok(Math.abs(info.duration - decoded.samples.length / rate) < 0.03, `${rate} Hz ${kbps} kbps: ${info.duration} vs ${decoded.samples.length / rate}`);
      }
    }
  });

  it('refuses what MP3 cannot hold: another rate, another bitrate, three channels', async () => {
    await assert.rejects(encodeMp3([sine(0.1, 22000, 200)], 22000, 64), /cannot hold 22000 Hz/);
    await assert.rejects(encodeMp3([sine(0.1, 48000, 200)], 48000, 100), /bitrate must be one of/);
    const c = sine(0.1, 48000, 200);
    await assert.rejects(encodeMp3([c, c, c], 48000, 64), /one or two channels/);
    assert.equal(nearestMp3Rate(22000), 22050);
    assert.equal(nearestMp3Rate(96000), 48000);
    assert.equal(nearestMp3Rate(7000), 8000);
  });

  it('an empty input is a valid, empty-sounding MP3; mp3Info refuses bytes without frames', async () => {
    const mp3 = await encodeMp3([new Float32Array(0)], 16000, 32);
    assert.ok(mp3.length >= 0);
    assert.throws(() => mp3Info(Buffer.from('RIFF....WAVEfmt ')), /no MP3 frame/);
    assert.equal(looksLikeMp3(Buffer.from('ID3 this is not an mp3')), false);
  });
});
