/** nodes/lib/voice.ts: names, look-up, and the precedence of one message's voice settings. */
import assert from 'node:assert/strict';
import { VoxcpmError } from '../../nodes/lib/errors';
import type { Reference } from '../../nodes/lib/reference';
import { chooseVoice, earlierNamesake, findVoice, isCloned, VoiceIndex, voiceKey, type Voice, type VoiceLevels } from '../../nodes/lib/voice';

function voice(name: string, more: Partial<Voice> = {}): Voice {
  return {
    name,
    prompt: `${name} prompt`,
    reference: '',
    referenceText: '',
    loadReference: () => Promise.reject(new Error('not read in these tests')) as Promise<Reference>,
    ...more,
  };
}

const isInvalid = (pattern: RegExp) => (err: unknown) => err instanceof VoxcpmError && err.code === 'VOXCPM_INPUT_INVALID' && pattern.test(err.message);

describe('lib/voice', () => {
  const anna = voice('Anna', { reference: 'anna.wav', referenceText: 'anna words' });
  const butler = voice(' Butler ');
  const news = voice('新闻');
  const all = [anna, butler, news];

  describe('names', () => {
    it('compares names trimmed and without case', () => {
      assert.equal(voiceKey('  AnNa '), 'anna');
      assert.equal(findVoice('anna', all), anna);
      assert.equal(findVoice('BUTLER', all), butler);
      assert.equal(findVoice(' 新闻 ', all), news);
    });

    it('absent, null or blank msg.voice is no choice', () => {
      for (const v of [undefined, null, '', '   ']) assert.equal(findVoice(v, all), undefined);
    });

    it('an unknown name lists the names there are (trimmed, each once), and nothing else', () => {
      assert.throws(() => findVoice('Bob', [...all, voice('anna')]), isInvalid(/^msg\.voice "Bob" names no voice; the voices are: Anna, Butler, 新闻$/));
      assert.throws(() => findVoice('Bob', []), isInvalid(/no voxcpm-voice node is deployed/));
      assert.throws(() => findVoice(42, all), isInvalid(/msg\.voice is a number/));
      assert.throws(() => findVoice('x'.repeat(500), all), (err: unknown) => err instanceof VoxcpmError && err.message.length < 200);
    });

    it('VoiceIndex: the first voice of each name in flow order, unnamed ones left out; findVoice gives the same through it', () => {
      const twin = voice(' ANNA ');
      const index = new VoiceIndex([voice(''), ...all, twin]);
      assert.equal(index.get('anna'), anna, 'of two with one name, the first');
      assert.equal(index.get(''), undefined);
      assert.deepEqual(index.names(), ['Anna', 'Butler', '新闻']);
      assert.equal(findVoice(' anna', () => index), anna);
      assert.throws(() => findVoice('Bob', () => index), isInvalid(/^msg\.voice "Bob" names no voice; the voices are: Anna, Butler, 新闻$/));
      assert.throws(() => findVoice('Bob', () => new VoiceIndex([])), isInvalid(/no voxcpm-voice node is deployed/));
    });

    it('a lazy index is built only when there is a name to look up (absent, null, blank or not text: never)', () => {
      let built = 0;
      const lazy = () => (built++, new VoiceIndex(all));
      for (const v of [undefined, null, '', '  \t ']) assert.equal(findVoice(v, lazy), undefined);
      assert.throws(() => findVoice(42, lazy), isInvalid(/msg\.voice is a number/));
      assert.equal(built, 0);
      assert.equal(findVoice('Butler', lazy), butler);
      assert.equal(built, 1);
    });

    it('VoiceIndex.names leaves out unnamed voices; earlierNamesake finds the first of two with one name', () => {
      assert.deepEqual(new VoiceIndex([voice(''), ...all]).names(), ['Anna', 'Butler', '新闻']);
      const twin = voice(' ANNA');
      assert.equal(earlierNamesake(twin, [...all, twin]), anna);
      assert.equal(earlierNamesake(anna, [...all, twin]), undefined);
      assert.equal(earlierNamesake(voice(''), [voice(''), voice('')]), undefined);
      assert.equal(isCloned(anna), true);
      assert.equal(isCloned(butler), false);
    });
  });

  describe('chooseVoice: payload fields > msg.prompt/audio/referenceText > msg.voice > node voice > own', () => {
    const own = { prompt: 'own prompt', reference: 'own.wav', referenceText: 'own words' };
    const levels = (over: Partial<VoiceLevels> = {}): VoiceLevels => ({ payload: {}, message: {}, own, ...over });

    it('5: the node\'s own settings without a voice', () => {
      const c = chooseVoice(levels());
      assert.equal(c.voice, undefined);
      assert.equal(c.prompt.value, 'own prompt');
      assert.equal(c.referenceText.value, 'own words');
      assert.deepEqual(c.reference, { from: 'node', file: 'own.wav' });
    });

    it('4: the node\'s voice replaces them as a whole (a designed voice has no reference)', () => {
      const c = chooseVoice(levels({ nodeVoice: butler }));
      assert.equal(c.voice, butler);
      assert.equal(c.prompt.value, ' Butler  prompt');
      assert.equal(c.referenceText.value, '');
      assert.equal(c.reference, undefined);
    });

    it('3: msg.voice beats the node\'s voice', () => {
      const c = chooseVoice(levels({ nodeVoice: butler, messageVoice: anna }));
      assert.equal(c.voice, anna);
      assert.deepEqual(c.reference, { from: 'voice', voice: anna });
      assert.equal(c.referenceText.value, 'anna words');
    });

    it('2: msg.prompt / msg.audio / msg.referenceText beat msg.voice, field by field; a voice\'s transcript stays with its recording', () => {
      const prompt = chooseVoice(levels({ messageVoice: anna, message: { prompt: { name: 'msg.prompt', value: 'cheerful' } } }));
      assert.equal(prompt.prompt.value, 'cheerful');
      assert.deepEqual(prompt.reference, { from: 'voice', voice: anna });
      const audio = { name: 'msg.audio', value: Buffer.alloc(50) };
      const withAudio = chooseVoice(levels({ messageVoice: anna, message: { audio } }));
      assert.deepEqual(withAudio.reference, { from: 'message', given: audio });
      assert.equal(withAudio.referenceText.value, '', 'not the voice\'s transcript with other audio');
      const text = chooseVoice(levels({ messageVoice: anna, message: { referenceText: { name: 'msg.referenceText', value: 'mine' } } }));
      assert.equal(text.referenceText.value, 'mine');
      // Without a voice the node's own transcript stays with message audio, as before voices.
      assert.equal(chooseVoice(levels({ message: { audio } })).referenceText.value, 'own words');
    });

    it('1: fields of an object payload beat the msg properties', () => {
      const c = chooseVoice(levels({
        messageVoice: anna,
        message: { prompt: { name: 'msg.prompt', value: 'm' }, audio: { name: 'msg.audio', value: 'a' } },
        payload: { prompt: { name: 'msg.payload.prompt', value: 'p' }, audio: { name: 'msg.payload.audio', value: 'b' } },
      }));
      assert.equal(c.prompt.name, 'msg.payload.prompt');
      assert.deepEqual(c.reference, { from: 'message', given: { name: 'msg.payload.audio', value: 'b' } });
    });
  });
});
