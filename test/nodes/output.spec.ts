/**
 * Output settings: the output format (Buffer, base64, data URL), the sample rate, the lead-in and
 * the input and output properties, through a real Node-RED runtime and the simulator over real HTTP.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { parseWav } from '../../nodes/lib/wav';
import { bodyText, gather, loadTwo, RATE, toneFrames, useToneSimulator } from '../support/flows';
import { calls, codeOf, expectCaught, expectSent, helper, loadFlow } from '../support/runtime';

describe('output settings', function () {
  this.timeout(20000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));

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
      await expectSent({ payload: `prompt from ${promptType}`, voice: 'from msg' });
      prompts.push(String((calls(sim).pop()?.body as { prompt?: unknown }).prompt));
      await helper.unload();
    }
    assert.deepEqual(prompts, ['from msg', 'from flow', 'from global']);
  });
});
