/**
 * The audio steps (MP3, speed, loudness) through a real Node-RED runtime and the simulator over
 * real HTTP, checked by an independent decoder and meter (ffmpeg).
 */
import assert from 'node:assert/strict';
import { parseWav } from '../../nodes/lib/wav';
import { gather, loadTwo, RATE, toneSeconds, useToneSimulator } from '../support/flows';
import { decode, dominantFrequency, ebur128, probe, rmsDb } from '../support/meter';
import { calls, codeOf, expectCaught, expectSent, helper, loadFlow, type TestMessage } from '../support/runtime';

describe('audio steps', function () {
  this.timeout(30000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));
  beforeEach(() => {
    sim.setVoice('tone');
    sim.setFormat('pcm16');
  });
  const TEXT = 'a sentence long enough to measure its loudness well';

  describe('mp3', () => {
    it('an MP3 that ffmpeg decodes: the rate, the length, the tone (not silence); msg says audio/mpeg and no bit depth', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'mp3' } });
      const msg = await expectSent({ payload: TEXT, bitDepth: 32 });
      const mp3 = msg.payload as Buffer;
      assert.ok(Buffer.isBuffer(mp3));
      assert.equal(msg.contentType, 'audio/mpeg');
      assert.equal(msg.bitDepth, undefined);
      assert.ok(!('bitDepth' in msg), 'an MP3 has no bit depth');
      const p = probe(mp3);
      assert.deepEqual([p.codec, p.sampleRate, p.channels], ['mp3', RATE, 1]);
      assert.equal(msg.sampleRate, RATE);
      assert.equal(msg.channels, 1);
      const seconds = toneSeconds(TEXT);
      const { samples, sampleRate } = decode(mp3);
      const decoded = samples.length / sampleRate;
      assert.ok(Math.abs(decoded - seconds) < 0.08, `ffmpeg decodes ${decoded} s for ${seconds} s of speech`);
      assert.ok(Math.abs((msg.duration as number) - seconds) < 0.08, `msg.duration ${String(msg.duration)}`);
      assert.ok(rmsDb(samples) > -20, `the decoded MP3 is ${rmsDb(samples).toFixed(1)} dBFS: not silence`);
      assert.equal(dominantFrequency(samples, sampleRate), 220);
      // 64 kbps (the default): about 8 kB a second.
      assert.ok(Math.abs(mp3.length / seconds - 8000) < 1000, `${mp3.length} bytes for ${seconds} s`);
    });

    it('msg.mp3Bitrate, each output encoding (Buffer, base64, data URL), and a rate MP3 cannot hold goes to the nearest', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'mp3', sampleRate: 22000 } });
      const buffer = await expectSent({ payload: TEXT, mp3Bitrate: 128 });
      const mp3 = buffer.payload as Buffer;
      assert.equal(probe(mp3).sampleRate, 22050, 'the nearest MP3 rate');
      assert.equal(buffer.sampleRate, 22050);
      assert.ok(mp3.length / toneSeconds(TEXT) > 14000, '128 kbps');
      const b64 = await expectSent({ payload: TEXT, mp3Bitrate: 128, outputFormat: 'base64' });
      assert.equal(b64.payload, mp3.toString('base64'));
      const dataUrl = await expectSent({ payload: TEXT, mp3Bitrate: '128', outputFormat: 'dataurl' });
      assert.equal(dataUrl.payload, `data:audio/mpeg;base64,${mp3.toString('base64')}`);
      assert.equal(dataUrl.contentType, 'audio/mpeg');
    });

    it('streaming: every piece an MP3', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'mp3', streaming: true, maxChunk: 20 } });
      const text = 'First piece here. Second piece here. Third one.';
      const seen = await gather(() => helper.getNode('n1').receive({ payload: text } as never), 3);
      for (const { msg } of seen) {
        assert.equal(msg.contentType, 'audio/mpeg');
        assert.equal(probe(msg.payload as Buffer).codec, 'mp3');
      }
    });
  });

  describe('speed', () => {
    for (const speed of [0.5, 2]) {
      it(`speed ${speed}: msg.duration ×${1 / speed}, the pitch kept (220 Hz before and after)`, async () => {
        sim.setFormat('float32');
        await loadTwo(url, [{}, { speed }]);
        const plain = (await gather(() => helper.getNode('a').receive({ payload: TEXT } as never), 1))[0].msg;
        const fast = (await gather(() => helper.getNode('b').receive({ payload: TEXT } as never), 1))[0].msg;
        const ratio = (fast.duration as number) / (plain.duration as number);
        assert.ok(Math.abs(ratio - 1 / speed) < 0.02, `duration ratio ${ratio}`);
        const wav = fast.payload as Buffer;
        assert.ok(Math.abs(parseWav(wav).duration - (fast.duration as number)) < 0.001, 'msg.duration is the WAV\'s');
        const before = decode(plain.payload as Buffer);
        const after = decode(wav);
        assert.equal(dominantFrequency(before.samples, before.sampleRate), 220);
        assert.ok(Math.abs(dominantFrequency(after.samples, after.sampleRate) - 220) <= 2, 'the pitch is kept');
        assert.equal(fast.bitDepth, 32, 'the server\'s format is kept');
      });
    }

    it('msg.speed beats the node; with wav16 and a sample rate', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { speed: 2, audioFormat: 'wav16', sampleRate: 16000 } });
      const msg = await expectSent({ payload: TEXT, speed: '1.5' });
      const info = parseWav(msg.payload as Buffer);
      assert.deepEqual([info.format, info.bitDepth, info.sampleRate], ['pcm', 16, 16000]);
      assert.ok(Math.abs(info.duration - toneSeconds(TEXT) / 1.5) < 0.05, `${info.duration}`);
    });
  });

  describe('loudness', () => {
    /** Speaks TEXT in the simulator's voice at `target` LUFS; ffmpeg's measurement of the result. */
    const measured = async (target: number, extra: TestMessage = {}) => {
      const msg = await expectSent({ payload: TEXT, loudness: target, ...extra });
      return { msg, ...ebur128(msg.payload as Buffer) };
    };

    it('two input levels (tone and speech voices) both come out at the target within 0.5 LU, true peak ≤ −1 dBTP', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      const levels: number[] = [];
      for (const voice of ['tone', 'speech'] as const) {
        sim.setVoice(voice);
        const before = ebur128(await sim.synthesize(TEXT)).integrated;
        levels.push(before);
        for (const target of [-16, -23]) {
          const m = await measured(target);
          assert.ok(Math.abs(m.integrated - target) <= 0.5, `${voice} (${before} LUFS as sent) → ${m.integrated} LUFS for ${target}`);
          assert.ok(m.truePeak <= -1 + 0.1, `${voice}: true peak ${m.truePeak} dBTP`);
        }
      }
      assert.ok(Math.abs(levels[0] - levels[1]) > 3, `the two voices come at different levels: ${levels.join(' and ')} LUFS`);
    });

    it('loudness with MP3 and with streaming (each piece at the target)', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { loudness: -18, audioFormat: 'mp3', streaming: true, maxChunk: 60 } });
      const text = 'This first sentence is here to be measured by itself. The second one is also long enough to measure.';
      const seen = await gather(() => helper.getNode('n1').receive({ payload: text } as never), 2);
      for (const { msg } of seen) {
        const m = ebur128(msg.payload as Buffer);
        assert.ok(Math.abs(m.integrated + 18) <= 0.5, `${m.integrated} LUFS`);
        assert.ok(m.truePeak <= -0.9, `true peak ${m.truePeak}`);
      }
    });

    it('msg.loudness "" or false turns the node\'s off', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { loudness: -16 } });
      const asSent = ebur128(await sim.synthesize(TEXT)).integrated;
      for (const off of ['', false]) {
        const m = await measured(off as never);
        assert.ok(Math.abs(m.integrated - asSent) < 0.2, `${m.integrated} vs ${asSent} as sent`);
      }
    });
  });

  it('out-of-range or non-numeric values, from msg or the node, are VOXCPM_INPUT_INVALID naming the field, before any request', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const cases: Array<[TestMessage, RegExp]> = [
      [{ speed: 0.4 }, /msg\.speed is 0\.4; .*0\.5 to 2/],
      [{ speed: 2.5 }, /msg\.speed is 2\.5/],
      [{ speed: 'fast' }, /msg\.speed is "fast"/],
      [{ speed: {} }, /msg\.speed is an object/],
      [{ loudness: -50 }, /msg\.loudness is -50; .*-40 to -5/],
      [{ loudness: 0 }, /msg\.loudness is 0/],
      [{ loudness: 'loud' }, /msg\.loudness is "loud"/],
      [{ mp3Bitrate: 100 }, /msg\.mp3Bitrate is 100; .*32, 48, 64/],
    ];
    for (const [fields, message] of cases) {
      const err = await expectCaught({ payload: TEXT, ...fields });
      assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
      assert.match(err.error.message, message);
    }
    await helper.unload();
    await loadFlow({ type: 'voxcpm-clone', url, props: { speed: 3 } });
    const err = await expectCaught({ payload: TEXT, audio: Buffer.alloc(100) });
    assert.match(err.error.message, /^VOXCPM_INPUT_INVALID: speed is 3;/);
    assert.equal(calls(sim).length, 0, 'refused before any request');
  });

  it('the cache keeps them apart: an MP3 is not served for wav, speed 1.5 not for 1, one loudness not for another', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    const first = await expectSent({ payload: TEXT, audioFormat: 'mp3' });
    assert.equal(first.cached, false);
    const again = await expectSent({ payload: TEXT, audioFormat: 'mp3' });
    assert.equal(again.cached, true, 'the same MP3 is cached');
    assert.equal(again.duration, first.duration, 'a cached MP3 says the same length');
    assert.ok((again.payload as Buffer).equals(first.payload as Buffer));
    const wav = await expectSent({ payload: TEXT });
    assert.equal(wav.contentType, 'audio/wav');
    assert.equal((wav.payload as Buffer).toString('latin1', 0, 4), 'RIFF');
    const other = await expectSent({ payload: TEXT, audioFormat: 'mp3', mp3Bitrate: 32 });
    assert.equal(other.cached, false, 'another bitrate is another result');
    const fast = await expectSent({ payload: TEXT, speed: 1.5 });
    assert.equal(fast.cached, false);
    const normal = await expectSent({ payload: TEXT, speed: 1 });
    assert.equal(normal.cached, true, 'speed 1 is the plain WAV, cached above');
    assert.ok((normal.duration as number) > (fast.duration as number) * 1.4);
    const loud = await expectSent({ payload: TEXT, loudness: -16 });
    const quiet = await expectSent({ payload: TEXT, loudness: -30 });
    assert.equal(quiet.cached, false);
    assert.ok(ebur128(loud.payload as Buffer).integrated - ebur128(quiet.payload as Buffer).integrated > 13);
    assert.equal(calls(sim).length, 6, 'a call for each new result, none for the cached ones');
  });
});
