/**
 * Named voices through a real Node-RED: voxcpm-voice config nodes, the flow nodes' voice setting
 * and msg.voice, the precedence of issue 12 (payload fields > msg.prompt/audio/referenceText >
 * msg.voice > the node's voice > the node's own settings), as the simulator receives it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node } from 'node-red';
import { VoxCpmSimulator, encodeWav } from '../../simulator/simulator';
import { buildFlow, calls, codeOf, expectCaught, expectSent, helper, IDS, NODE_MODULES, serverKnown, useSimulator, warnings, type FlowItem, type FlowOptions } from '../support/runtime';

/** A WAV of `seconds` of a tone at 16 kHz (`pitch` tells recordings apart). */
function wavOf(seconds: number, pitch = 10): Buffer {
  const samples = new Float32Array(Math.round(16000 * seconds)).map((_, i) => 0.1 * Math.sin(i / pitch));
  return encodeWav(samples, 16000, 'pcm16');
}

function lastBody(sim: VoxCpmSimulator): Record<string, unknown> {
  const all = calls(sim);
  assert.ok(all.length > 0, 'the simulator got no request');
  return all[all.length - 1].body as Record<string, unknown>;
}

const sentAudio = (sim: VoxCpmSimulator) => Buffer.from(String(lastBody(sim).audio), 'base64');

interface VoiceProps {
  id: string;
  name: string;
  prompt?: string;
  reference?: string;
  referenceText?: string;
}

describe('named voices (voxcpm-voice, msg.voice) through a real Node-RED runtime', function () {
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  let url = '';
  let tmp = '';
  /** Recordings on the host, told apart by their tone. */
  const rec = { own: wavOf(4, 5), nodeVoice: wavOf(5, 7), anna: wavOf(6, 9), msg: wavOf(4, 11), payload: wavOf(4, 13) };
  const files: Record<keyof typeof rec, string> = { own: '', nodeVoice: '', anna: '', msg: '', payload: '' };

  useSimulator(sim, (u) => (url = u));
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-voices-'));
    for (const k of Object.keys(rec) as Array<keyof typeof rec>) {
      files[k] = path.join(tmp, `${k}.wav`);
      fs.writeFileSync(files[k], rec[k]);
    }
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The usual test flow plus voxcpm-voice config nodes. */
  async function load(o: FlowOptions, voices: VoiceProps[]): Promise<Node> {
    const flow: FlowItem[] = [...buildFlow({ url, ...o }), ...voices.map((v) => ({ type: 'voxcpm-voice', ...v }))];
    await helper.load(NODE_MODULES, flow);
    await serverKnown();
    return helper.getNode(IDS.node);
  }

  const butler: VoiceProps = { id: 'v-butler', name: 'Butler', prompt: 'butler prompt' };
  const news: VoiceProps = { id: 'v-news', name: '新闻', prompt: 'news prompt' };

  describe('voxcpm-tts', function () {
    it('each level of the precedence, lowest to highest: own prompt < node voice < msg.voice < msg.prompt < payload.prompt', async () => {
      // The node's own prompt only.
      await load({ type: 'voxcpm-tts', props: { prompt: 'own prompt' } }, [butler, news]);
      let msg = await expectSent({ payload: 'one' });
      assert.equal(lastBody(sim).prompt, 'own prompt');
      assert.equal(msg.voice, undefined);
      await helper.unload();

      // The node's voice beats its own prompt.
      await load({ type: 'voxcpm-tts', props: { prompt: 'own prompt', voice: butler.id } }, [butler, news]);
      msg = await expectSent({ payload: 'two' });
      assert.equal(lastBody(sim).prompt, 'butler prompt');
      assert.equal(msg.voice, 'Butler');
      // msg.voice beats the node's voice (trimmed, any case).
      msg = await expectSent({ payload: 'three', voice: '  新闻 ' });
      assert.equal(lastBody(sim).prompt, 'news prompt');
      assert.equal(msg.voice, '新闻');
      msg = await expectSent({ payload: 'four', voice: 'BUTLER' });
      assert.equal(msg.voice, 'Butler', 'msg.voice on the output names the voice as its node does');
      // msg.prompt beats msg.voice.
      await expectSent({ payload: 'five', voice: '新闻', prompt: 'msg prompt' });
      assert.equal(lastBody(sim).prompt, 'msg prompt');
      // A field of an object payload beats msg.prompt.
      await expectSent({ payload: { text: 'six', prompt: 'payload prompt' }, voice: '新闻', prompt: 'msg prompt' });
      assert.equal(lastBody(sim).prompt, 'payload prompt');
      // An empty msg.voice is no choice: the node's voice.
      await expectSent({ payload: 'seven', voice: '' });
      assert.equal(lastBody(sim).prompt, 'butler prompt');
    });

    it('speaks a cloned voice with its reference and transcript (ultimate: prompt sent empty); msg.audio stays ignored', async () => {
      const anna: VoiceProps = { id: 'v-anna', name: 'Anna', prompt: 'warm', reference: files.anna, referenceText: 'the words' };
      const node = await load({ type: 'voxcpm-tts', props: { prompt: 'own prompt' } }, [anna]);
      const msg = await expectSent({ payload: 'hello', voice: 'anna', audio: rec.msg });
      const body = lastBody(sim);
      assert.ok(sentAudio(sim).equals(rec.anna), 'the voice\'s recording is sent');
      assert.equal(body.reference_text, 'the words');
      assert.equal(body.prompt, '');
      assert.equal(msg.voice, 'Anna');
      assert.ok(warnings(node).some((w) => /msg\.audio ignored/.test(w)), 'msg.audio on voxcpm-tts is still said to be ignored');
      // The reference never rides on the message.
      assert.ok(!JSON.stringify({ ...msg, payload: undefined }).includes(rec.anna.toString('base64').slice(0, 200)));
    });

    it('shows the voice in its status', async () => {
      const node = await load({ type: 'voxcpm-tts', props: { voice: butler.id } }, [butler, news]);
      const statuses: Array<{ text?: string }> = [];
      (node as unknown as NodeJS.EventEmitter).on('call:status', (call: { args: Array<{ text?: string }> }) => statuses.push(call.args[0]));
      await expectSent({ payload: 'status', voice: '新闻' });
      await new Promise((r) => setTimeout(r, 250));
      const texts = statuses.map((s) => String(s.text ?? ''));
      assert.ok(texts.some((t) => t.endsWith(' · 新闻')), JSON.stringify(texts));
      assert.ok(texts[texts.length - 1].endsWith(' · 新闻'), `the last status names the voice used: ${texts[texts.length - 1]}`);
    });
  });

  describe('voxcpm-clone', function () {
    it('each level of the precedence: own reference < node voice < msg.voice < msg.audio < payload.audio', async () => {
      const nodeVoice: VoiceProps = { id: 'v-node', name: 'Grandpa', prompt: 'slow', reference: files.nodeVoice };
      const anna: VoiceProps = { id: 'v-anna', name: 'Anna', reference: files.anna, referenceText: 'the words' };
      await load({ type: 'voxcpm-clone', props: { prompt: 'own', reference: files.own } }, [nodeVoice, anna]);
      await expectSent({ payload: 'own' });
      assert.ok(sentAudio(sim).equals(rec.own));
      await helper.unload();

      await load({ type: 'voxcpm-clone', props: { prompt: 'own', reference: files.own, referenceText: 'own words', voice: nodeVoice.id } }, [nodeVoice, anna]);
      let msg = await expectSent({ payload: 'node voice' });
      let body = lastBody(sim);
      assert.ok(sentAudio(sim).equals(rec.nodeVoice), 'the node\'s voice beats its own reference');
      assert.equal(body.prompt, 'slow');
      assert.equal(body.reference_text, '', 'the node\'s own transcript is not mixed into a voice');
      assert.equal(msg.voice, 'Grandpa');

      msg = await expectSent({ payload: 'msg.voice', voice: 'anna' });
      body = lastBody(sim);
      assert.ok(sentAudio(sim).equals(rec.anna), 'msg.voice beats the node\'s voice');
      assert.equal(body.reference_text, 'the words');
      assert.equal(body.prompt, '');
      assert.equal(msg.voice, 'Anna');

      await expectSent({ payload: 'msg.referenceText', voice: 'anna', referenceText: 'other words' });
      assert.equal(lastBody(sim).reference_text, 'other words', 'msg.referenceText beats the voice\'s transcript');

      await expectSent({ payload: 'msg.audio', voice: 'anna', audio: rec.msg });
      body = lastBody(sim);
      assert.ok(sentAudio(sim).equals(rec.msg), 'msg.audio beats msg.voice');
      assert.equal(body.reference_text, '', 'a voice\'s transcript goes with its own recording only');

      await expectSent({ payload: { text: 'payload.audio', audio: rec.payload }, voice: 'anna', audio: rec.msg });
      assert.ok(sentAudio(sim).equals(rec.payload), 'payload.audio beats msg.audio');
    });

    it('a designed voice speaks without reference, on voxcpm-clone too', async () => {
      await load({ type: 'voxcpm-clone', props: { reference: files.own } }, [butler]);
      const msg = await expectSent({ payload: 'designed', voice: 'butler' });
      const body = lastBody(sim);
      assert.equal(body.audio, '');
      assert.equal(body.prompt, 'butler prompt');
      assert.equal(msg.voice, 'Butler');
    });

    it('reads a voice\'s reference again when its file changes: the new recording is sent, not the cached audio', async () => {
      const anna: VoiceProps = { id: 'v-anna', name: 'Anna', reference: files.anna };
      await load({ type: 'voxcpm-clone', props: { voice: anna.id } }, [anna]);
      const first = await expectSent({ payload: 'the same text' });
      assert.equal(first.cached, false);
      const again = await expectSent({ payload: 'the same text' });
      assert.equal(again.cached, true, 'same recording, same text: from the cache');
      assert.equal(calls(sim).length, 1);

      const changed = wavOf(7, 3);
      fs.writeFileSync(files.anna, changed);
      const later = new Date(Date.now() + 5000);
      fs.utimesSync(files.anna, later, later);
      const after = await expectSent({ payload: 'the same text' });
      assert.equal(after.cached, false, 'a new digest: not the cached audio');
      assert.equal(calls(sim).length, 2);
      assert.ok(sentAudio(sim).equals(changed), 'the new recording is sent');
    });
  });

  describe('names', function () {
    it('an unknown msg.voice is VOXCPM_INPUT_INVALID listing the voices (names only); the node keeps working', async () => {
      const anna: VoiceProps = { id: 'v-anna', name: 'Anna', prompt: 'secret style', reference: files.anna };
      await load({ type: 'voxcpm-clone', props: { reference: files.own } }, [butler, anna, news]);
      const err = await expectCaught({ payload: 'who?', voice: 'Bob' });
      assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
      assert.match(err.error.message, /"Bob"/);
      assert.match(err.error.message, /Butler, Anna, 新闻/);
      assert.ok(!/secret style|butler prompt|\.wav/.test(err.error.message), `names only: ${err.error.message}`);
      assert.equal(calls(sim).length, 0);
      const notText = await expectCaught({ payload: 'who?', voice: 42 });
      assert.equal(codeOf(notText), 'VOXCPM_INPUT_INVALID');
      await expectSent({ payload: 'still working' });
    });

    it('no voice deployed: says so; a voice setting naming a missing voice is VOXCPM_CONFIG', async () => {
      await load({ type: 'voxcpm-tts', props: { voice: 'v-gone' } }, []);
      const err = await expectCaught({ payload: 'x', voice: 'Anna' });
      assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
      assert.match(err.error.message, /no voxcpm-voice node is deployed/);
      const missing = await expectCaught({ payload: 'x' });
      assert.equal(codeOf(missing), 'VOXCPM_CONFIG');
    });

    it('a node that reads its prompt from msg.voice (set before named voices) keeps doing so', async () => {
      await load({ type: 'voxcpm-tts', props: { prompt: 'voice', promptType: 'msg' } }, [butler]);
      const msg = await expectSent({ payload: 'old flow', voice: 'a prompt, not a name' });
      assert.equal(lastBody(sim).prompt, 'a prompt, not a name');
      assert.equal(msg.voice, 'a prompt, not a name');
    });

    it('a redeploy of the voices only (modified nodes) is seen by the next msg.voice: renamed, re-prompted', async () => {
      const voices = (name: string, prompt: string): VoiceProps[] => [butler, { id: 'v-anna', name, prompt }];
      const flowOf = (list: VoiceProps[]): FlowItem[] => [...buildFlow({ url, type: 'voxcpm-tts' }), ...list.map((v) => ({ type: 'voxcpm-voice', ...v }))];
      await load({ type: 'voxcpm-tts' }, voices('Anna', 'first'));
      await expectSent({ payload: 'one', voice: 'anna' });
      assert.equal(lastBody(sim).prompt, 'first');
      // The flow node stays as it is: only the voice node is stopped and started again.
      const node = helper.getNode(IDS.node);
      await helper.setFlows(flowOf(voices('Anne', 'second')), 'nodes');
      assert.equal(helper.getNode(IDS.node), node, 'the flow node was not redeployed');
      const msg = await expectSent({ payload: 'two', voice: 'Anne' });
      assert.equal(lastBody(sim).prompt, 'second');
      assert.equal(msg.voice, 'Anne');
      const err = await expectCaught({ payload: 'three', voice: 'Anna' });
      assert.equal(codeOf(err), 'VOXCPM_INPUT_INVALID');
      assert.match(err.error.message, /"Anna" names no voice; the voices are: Butler, Anne$/);
    });

    it('two voices with one name (any case, spaces): a warning at deploy; msg.voice speaks with the first', async () => {
      await load({ type: 'voxcpm-tts' }, [
        { id: 'v-a1', name: 'Anna', prompt: 'first' },
        { id: 'v-b', name: 'Bob', prompt: 'bob' },
        { id: 'v-a2', name: ' anna ', prompt: 'second' },
      ]);
      // The helper spies on warn for every node at once: who said what is in the calls' `this`.
      const spy = helper.getNode('v-a2').warn as unknown as { thisValues: Array<{ id: string }>; args: unknown[][] };
      const by = (id: string) => spy.args.filter((_, i) => spy.thisValues[i]?.id === id).map((a) => String(a[0]));
      assert.deepEqual(by('v-a1'), []);
      assert.deepEqual(by('v-b'), []);
      const said = by('v-a2');
      assert.equal(said.length, 1);
      assert.match(said[0], /v-a1/);
      assert.match(said[0], /"anna"/);
      await expectSent({ payload: 'which?', voice: 'ANNA' });
      assert.equal(lastBody(sim).prompt, 'first');
    });
  });

  it('a flow with a cloned voice keeps only the path: no audio in the saved flow, no credentials', async () => {
    const anna: VoiceProps = { id: 'v-anna', name: 'Anna', reference: files.anna, referenceText: 'the words' };
    await load({ type: 'voxcpm-tts', props: { voice: anna.id } }, [anna]);
    await expectSent({ payload: 'export me' });
    const nodes = (helper as unknown as { _redNodes: { getFlows(): { flows: FlowItem[] }; getCredentials(id: string): unknown } })._redNodes;
    const saved = JSON.stringify(nodes.getFlows());
    const voice = nodes.getFlows().flows.find((n) => n.id === anna.id);
    assert.deepEqual(Object.keys(voice ?? {}).sort(), ['id', 'name', 'reference', 'referenceText', 'type']);
    assert.equal(voice?.reference, files.anna);
    assert.ok(!saved.includes(rec.anna.toString('base64').slice(0, 100)), 'no reference audio in the flow');
    assert.equal(nodes.getCredentials(anna.id), undefined, 'a voice has no credentials');
  });
});
