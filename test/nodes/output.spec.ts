/**
 * Output settings: the output format (Buffer, base64, data URL), the audio format (wav16), the
 * sample rate, the lead-in and the input and output properties, through a real Node-RED runtime
 * and the simulator over real HTTP.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { parseWav, type WavInfo } from '../../nodes/lib/wav';
import { DEFAULT_WAV_SHAPE } from '../../simulator/simulator';
import { bodyText, gather, loadTwo, RATE, toneFrames, useToneSimulator } from '../support/flows';
import { calls, codeOf, expectCaught, expectSent, helper, loadFlow } from '../support/runtime';

describe('output settings', function () {
  this.timeout(20000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));
  // The simulator's shape outlives reset(): each test starts from the default (16-bit PCM).
  beforeEach(() => sim.setFormat(DEFAULT_WAV_SHAPE));

  it('outputFormat base64 / dataurl, from the node and from msg.outputFormat; an invalid one is VOXCPM_INPUT_INVALID', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, props: { outputFormat: 'base64' } });
    const b64 = await expectSent({ payload: 'format test' });
    assert.equal(typeof b64.payload, 'string');
    const wav = Buffer.from(b64.payload as string, 'base64');
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    assert.equal(parseWav(wav).sampleRate, 48000);
    assert.equal(b64.contentType, 'audio/wav');
    const dataUrl = await expectSent({ payload: 'format test', outputFormat: 'dataurl' });
    assert.equal(dataUrl.payload, `data:audio/wav;base64,${wav.toString('base64')}`);
    const raw = await expectSent({ payload: 'format test', outputFormat: 'wav' });
    assert.ok(Buffer.isBuffer(raw.payload) && (raw.payload as Buffer).equals(wav));
    const calledBefore = calls(sim).length;
    for (const bad of ['mp3', 42, { f: 'wav' }]) {
      const err = await expectCaught({ payload: 'format test', outputFormat: bad });
      assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
    }
    assert.equal(calls(sim).length, calledBefore, 'an invalid format is refused before any request');
  });

  it('sampleRate 16000: msg.sampleRate and the WAV header say 16000, the length is kept', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, props: { sampleRate: 16000 } });
    const msg = await expectSent({ payload: 'telephone quality' });
    const info = parseWav(msg.payload as Buffer);
    assert.equal(msg.sampleRate, 16000);
    assert.equal(info.sampleRate, 16000);
    assert.equal(msg.channels, info.channels);
    assert.equal(msg.bitDepth, info.bitDepth);
    assert.ok(Math.abs(info.duration - toneFrames('telephone quality') / RATE) < 0.002, `${info.duration}`);
  });

  it('leadIn 500 adds half a second; msg.channels and msg.bitDepth are there', async () => {
    sim.setFormat('float32'); // the silence is read as float samples below
    await loadTwo(url, [{}, { leadIn: 500 }]);
    const plain = (await gather(() => helper.getNode('a').receive({ payload: 'lead in please' } as never), 1))[0].msg;
    const lead = (await gather(() => helper.getNode('b').receive({ payload: 'lead in please' } as never), 1))[0].msg;
    assert.ok(Math.abs((lead.duration as number) - (plain.duration as number) - 0.5) < 0.0015, `${String(lead.duration)} vs ${String(plain.duration)}`);
    for (const m of [plain, lead]) {
      assert.equal(m.channels, 1);
      assert.equal(m.bitDepth, 32);
    }
    const wav = lead.payload as Buffer;
    const info = parseWav(wav);
    // The first half second is silence.
    for (let i = 0; i < 24000; i += 997) assert.equal(wav.readFloatLE(info.dataOffset + i * 4), 0);
  });

  it('reads the text from msg.speech and puts the audio into msg.audioOut, leaving msg.payload alone', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, props: { text: 'speech', output: 'audioOut' } });
    const msg = await expectSent({ payload: { keep: 'me' }, speech: 'from another property' });
    assert.deepEqual(msg.payload, { keep: 'me' });
    assert.ok(Buffer.isBuffer(msg.audioOut));
    assert.equal((msg.audioOut as Buffer).toString('latin1', 0, 4), 'RIFF');
    assert.equal(msg.speech, 'from another property');
    assert.equal(bodyText(calls(sim)[0]), 'from another property');
  });

  it('takes the prompt from msg, flow or global context (promptType)', async () => {
    const prompts: string[] = [];
    for (const [promptType, set] of [
      ['msg', (_n: Node) => undefined],
      ['flow', (n: Node) => n.context().flow.set('voice', 'from flow')],
      ['global', (n: Node) => n.context().global.set('voice', 'from global')],
    ] as const) {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { prompt: 'voice', promptType } });
      set(node);
      // msg.voice names a voxcpm-voice unless the node reads its prompt from it (voices.spec).
      await expectSent({ payload: `prompt from ${promptType}`, ...(promptType === 'msg' ? { voice: 'from msg' } : {}) });
      prompts.push(String((calls(sim).pop()?.body as { prompt?: unknown }).prompt));
      await helper.unload();
    }
    assert.deepEqual(prompts, ['from msg', 'from flow', 'from global']);
  });

  describe('audioFormat wav16', () => {
    const TEXT = 'sixteen bits please';
    /** The samples of a WAV as numbers (float as they are, integers as integers). */
    const samplesOf = (wav: Buffer): { info: WavInfo; values: number[] } => {
      const info = parseWav(wav);
      const values: number[] = [];
      for (let i = 0; i < info.frames * info.channels; i++) {
        const at = info.dataOffset + (i * info.bitDepth) / 8;
        values.push(info.format === 'float' ? wav.readFloatLE(at) : wav.readInt16LE(at));
      }
      return { info, values };
    };
    /** The simulator's own float samples for TEXT (what a float32 server sends). */
    const serverFloats = async () => {
      sim.setFormat('float32');
      const floats = samplesOf(await sim.synthesize(TEXT)).values;
      return floats;
    };
    /** Every 16-bit sample within 1 LSB of the float × 32767, rounded (no dither: see the help). */
    const assertWithinOneLsb = (ints: number[], floats: number[]) => {
      assert.equal(ints.length, floats.length);
      let worst = 0;
      for (let i = 0; i < ints.length; i++) worst = Math.max(worst, Math.abs(ints[i] - Math.round(floats[i] * 32767)));
      assert.ok(worst <= 1, `a sample is ${worst} LSB away from the float × 32767`);
      assert.ok(Math.max(...ints.map(Math.abs)) > 1000, 'the audio is not silence');
    };
    const assertPcm16 = (msg: Record<string, unknown>, wav: Buffer, rate = 48000) => {
      const info = parseWav(wav);
      assert.deepEqual([info.format, info.bitDepth, info.sampleRate, info.channels], ['pcm', 16, rate, 1]);
      assert.equal(msg.bitDepth, 16);
      assert.equal(msg.sampleRate, rate);
      assert.equal(msg.contentType, 'audio/wav');
    };

    it('from a float32 server: 16-bit PCM within 1 LSB of the floats, as base64 and as a data URL', async () => {
      const floats = await serverFloats();
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'wav16', outputFormat: 'base64' } });
      const msg = await expectSent({ payload: TEXT });
      assert.equal(typeof msg.payload, 'string');
      const wav = Buffer.from(msg.payload as string, 'base64');
      assertPcm16(msg, wav);
      assert.equal(wav.length, 44 + floats.length * 2, 'a plain 44-byte header and the samples');
      assertWithinOneLsb(samplesOf(wav).values, floats);
      assert.equal(parseWav(wav).frames, floats.length, 'the length is kept');

      const asUrl = await expectSent({ payload: TEXT, outputFormat: 'dataurl' });
      assert.equal(asUrl.payload, `data:audio/wav;base64,${wav.toString('base64')}`);
      assert.equal(asUrl.bitDepth, 16);
      const asBuffer = await expectSent({ payload: TEXT, outputFormat: 'wav' });
      assert.ok(Buffer.isBuffer(asBuffer.payload) && (asBuffer.payload as Buffer).equals(wav));
    });

    it('from a pcm16 server (the default): the same 16-bit samples, unchanged, whether wav or wav16', async () => {
      const floats = await serverFloats();
      sim.setFormat('pcm16');
      const sent = await sim.synthesize(TEXT);
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'wav16' } });
      const msg = await expectSent({ payload: TEXT });
      const wav = msg.payload as Buffer;
      assertPcm16(msg, wav);
      assert.deepEqual(samplesOf(wav).values, samplesOf(sent).values, 'the server\'s samples, not converted again');
      assertWithinOneLsb(samplesOf(wav).values, floats);
      const asIs = await expectSent({ payload: TEXT, audioFormat: 'wav', cache: false });
      assert.equal(asIs.bitDepth, 16, 'a 16-bit server stays 16-bit with wav');
      assert.deepEqual(samplesOf(asIs.payload as Buffer).values, samplesOf(sent).values);
    });

    it('msg.audioFormat beats the node, and the cache keeps the two apart', async () => {
      sim.setFormat('float32');
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'wav' } });
      const float = await expectSent({ payload: TEXT });
      assert.equal(float.bitDepth, 32);
      assert.equal(parseWav(float.payload as Buffer).format, 'float');
      const pcm = await expectSent({ payload: TEXT, audioFormat: 'wav16' });
      assert.equal(pcm.cached, false, 'the float result in the cache is not a wav16 one');
      assertPcm16(pcm, pcm.payload as Buffer);
      const again = await expectSent({ payload: TEXT, audioFormat: 'wav16' });
      assert.equal(again.cached, true);
      assert.ok((again.payload as Buffer).equals(pcm.payload as Buffer), 'rounding, no dither: the same bytes every time');
      await helper.unload();

      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'wav16' } });
      const back = await expectSent({ payload: TEXT, audioFormat: 'wav', cache: false });
      assert.equal(back.bitDepth, 32);
      const nulled = await expectSent({ payload: TEXT, audioFormat: null, cache: false });
      assert.equal(nulled.bitDepth, 16, 'msg.audioFormat null: the node\'s setting');
    });

    it('with a sample rate and streaming: every piece 16-bit PCM at the asked rate', async () => {
      sim.setFormat('float32');
      await loadFlow({ type: 'voxcpm-tts', url, props: { audioFormat: 'wav16', sampleRate: 16000, streaming: true, maxChunk: 20, leadIn: 100 } });
      const pieces = await gather(() => helper.getNode('n1').receive({ payload: 'First sentence here. Second sentence here. Third one.' } as never), 3);
      for (const { msg } of pieces) assertPcm16(msg, msg.payload as Buffer, 16000);
      // The lead-in is 16-bit silence.
      const first = pieces[0].msg.payload as Buffer;
      for (let i = 0; i < 1600; i += 97) assert.equal(first.readInt16LE(44 + 2 * i), 0);
    });

    it('an unknown audio format, from msg or from the node, is VOXCPM_INPUT_INVALID before any request', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      for (const bad of ['ogg', 'MP3', 'WAV16', '', 16, { f: 'wav16' }]) {
        const err = await expectCaught({ payload: TEXT, audioFormat: bad });
        assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
        assert.match(err.error.message, /msg\.audioFormat .*wav, wav16, mp3/);
      }
      await helper.unload();
      await loadFlow({ type: 'voxcpm-clone', url, props: { audioFormat: 'flac' } });
      const err = await expectCaught({ payload: TEXT, audio: Buffer.alloc(100) });
      assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
      assert.match(err.error.message, /^VOXCPM_INPUT_INVALID: audioFormat is "flac"/);
      assert.equal(calls(sim).length, 0, 'refused before any request');
    });
  });
});
