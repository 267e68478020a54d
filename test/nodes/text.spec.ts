/**
 * How text is prepared (issue 11), through a real Node-RED runtime and the simulator over real
 * HTTP: what reaches the server (its request log) and the silence in the audio, in English and
 * Chinese. Order: SSML → clean → numbers → voice description → split.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseWav } from '../../nodes/lib/wav';
import { bodyText, gather, RATE, toneFrames, useToneSimulator } from '../support/flows';
import { calls, codeOf, expectCaught, expectSent, loadFlow, warnings, type ErrorMessage } from '../support/runtime';

const REFERENCE = path.resolve(__dirname, '..', '..', '..', 'examples', 'reference-zh.wav');
const TRANSCRIPT = '大家好，欢迎来到今天的产品介绍。接下来我们将一起了解这个系统的核心功能。';
const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });
const graphemes = (s: string) => [...GRAPHEMES.segment(s)].length;

/** The 16-bit samples of a WAV. */
function samples(wav: Buffer): Int16Array {
  const info = parseWav(wav);
  assert.equal(info.bitDepth, 16);
  const data = wav.subarray(info.dataOffset, info.dataOffset + info.frames * 2);
  return new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

/**
 * Asserts samples[from, from + n) are all zero and the `near` samples just around them are not
 * all zero (a time-stretched tone ends in ~8 ms of samples that round to zero: WSOLA's last window).
 */
function assertSilence(s: Int16Array, from: number, n: number, what: string, near = 50): void {
  for (let i = from; i < from + n; i++) if (s[i] !== 0) assert.fail(`${what}: sample ${i - from} of the ${n}-frame silence is ${s[i]}`);
  const before = s.subarray(Math.max(0, from - near), from);
  const after = s.subarray(from + n, from + n + near);
  if (before.length > 0) assert.ok(before.some((x) => x !== 0), `${what}: the tone before the silence is there`);
  if (after.length > 0) assert.ok(after.some((x) => x !== 0), `${what}: the tone after the silence is there`);
}

const ms = (n: number) => Math.round((RATE * n) / 1000);

describe('how text is prepared (issue 11)', function () {
  this.timeout(20000);
  let url = '';
  const { sim } = useToneSimulator((u) => (url = u));
  const sent = () => calls(sim).map(bodyText);
  const prompts = () => calls(sim).map((r) => (r.body as { prompt: string }).prompt);

  describe('splitting', () => {
    it('en: never ends a piece after "Mr." (the issue\'s repro)', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150 } });
      const text =
        'The parcel that you ordered last week from the big online store arrived this afternoon at the front door and was signed for by Mr. Jones from next door. Dr. Smith called at 9 a.m. about it, e.g. to ask for the number.';
      await expectSent({ payload: text });
      const pieces = sent();
      assert.ok(pieces.length > 1, JSON.stringify(pieces));
      for (const p of pieces) assert.doesNotMatch(p, /\b(Mr|Dr|a\.m|e\.g)\.$/, JSON.stringify(pieces));
      assert.ok(pieces.some((p) => p.includes('Mr. Jones')));
    });

    it('zh: an English title inside Chinese text stays with its name', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 40 } });
      const text = '今天下午快递员把包裹送到了门口，邻居家的 Mr. Wang 帮忙签收了。请您下班以后去他家取回包裹，谢谢。';
      await expectSent({ payload: text });
      for (const p of sent()) assert.doesNotMatch(p, /Mr\.$/, JSON.stringify(sent()));
      assert.ok(sent().some((p) => p.includes('Mr. Wang')));
    });

    for (const [lang, words] of [
      ['en', 'Happy birthday Anna, we wish you a wonderful day full of joy and cake and friends and everything else you like.'],
      ['zh', '祝安娜生日快乐，愿你今天充满欢笑、蛋糕和朋友，愿你新的一年里天天开心，万事如意，心想事成。'],
    ] as const) {
      it(`${lang}: 80 emoji then words, cleanText off: pieces of at most 150 graphemes, no word cut (the issue's repro)`, async () => {
        await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150, cleanText: false } });
        const text = `${'🎉'.repeat(80)} ${words}`;
        await expectSent({ payload: text });
        const pieces = sent();
        for (const p of pieces) assert.ok(graphemes(p) <= 150, `${graphemes(p)} graphemes`);
        assert.equal(pieces.join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
        // The first word is whole in one piece.
        assert.ok(pieces.some((p) => p.includes(lang === 'en' ? 'Happy' : '祝安娜')), JSON.stringify(pieces));
        assert.ok(!pieces.some((p) => /[A-Za-z]$/.test(p) && !/[.!?]$/.test(p) && /^[a-z]/.test(pieces[pieces.indexOf(p) + 1] ?? '')));
      });
    }

    it('a run of 200 emoji (cleanText off) is cut between graphemes', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 150, cleanText: false } });
      await expectSent({ payload: `${'👍🏽'.repeat(200)} Happy birthday Anna.` });
      const pieces = sent();
      assert.ok(pieces.length >= 2);
      for (const p of pieces) {
        assert.ok(graphemes(p) <= 150);
        assert.doesNotMatch(p, /^[\u{1F3FB}-\u{1F3FF}]/u, 'a skin tone cut off its emoji');
      }
      assert.ok(pieces[pieces.length - 1].endsWith('Happy birthday Anna.'));
    });
  });

  describe('voice description', () => {
    it('en: a half-width "(…)" is sent as the prompt of every piece, never cut, never in the text', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 40, prompt: 'calm' } });
      const text = '(A cheerful young woman, fast)Good morning everyone. The kitchen lights are on. The front door is locked. Have a nice day.';
      await expectSent({ payload: text });
      assert.ok(calls(sim).length >= 3);
      assert.deepEqual(new Set(prompts()), new Set(['A cheerful young woman, fast']));
      for (const p of sent()) assert.doesNotMatch(p, /[()]/);
      assert.equal(sent()[0], 'Good morning everyone.');
      assert.equal(warnings(node).filter((w) => /replaces the prompt "calm"/.test(w)).length, 1);
    });

    it('zh: a full-width "（…）" is sent as the prompt of every piece', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { maxChunk: 20 } });
      const text = '（年轻女性，温柔甜美）早上好！今天的天气非常好，适合出门散步。晚上记得关好门窗，祝您愉快。';
      await expectSent({ payload: text });
      assert.ok(calls(sim).length >= 2);
      assert.deepEqual(new Set(prompts()), new Set(['年轻女性，温柔甜美']));
      for (const p of sent()) assert.doesNotMatch(p, /[（）]/);
    });

    it('in ultimate cloning (reference + transcript) is dropped with a warning', async () => {
      const node = await loadFlow({ type: 'voxcpm-clone', url, props: { referenceText: TRANSCRIPT } });
      await expectSent({ payload: '（开心的语气）接下来我们继续介绍系统的核心功能。', audio: fs.readFileSync(REFERENCE) });
      const body = calls(sim)[0].body as Record<string, string>;
      assert.equal(body.prompt, '');
      assert.equal(body.text, '接下来我们继续介绍系统的核心功能。');
      assert.equal(body.reference_text, TRANSCRIPT);
      assert.equal(warnings(node).filter((w) => /ultimate cloning.*no voice description/.test(w)).length, 1);
    });
  });

  describe('SSML', () => {
    for (const [lang, first, second] of [
      ['en', 'Hello there.', 'The washing machine is done.'],
      ['zh', '你好。', '洗衣机已经洗好了。'],
    ] as const) {
      it(`${lang}: a <break> is exact silence in the joined audio, in place of the usual pause`, async () => {
        await loadFlow({ type: 'voxcpm-tts', url, props: { pause: 150, audioFormat: 'wav16' } });
        const msg = await expectSent({ payload: `<speak>${first}<break time="700ms"/>${second}</speak>` });
        assert.deepEqual(sent(), [first, second]);
        const s = samples(msg.payload as Buffer);
        const f0 = toneFrames(first);
        assert.equal(s.length, f0 + ms(700) + toneFrames(second), 'the break replaces the 150 ms pause');
        assertSilence(s, f0, ms(700), 'break');
      });
    }

    it('a break with strength, and breaks in a row add up; a <p> boundary gets the usual pause', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { pause: 150, audioFormat: 'wav16' } });
      const msg = await expectSent({ payload: '<speak><p>One.</p><p>Two.</p><break time="1s"/><break time="250ms"/>Three.</speak>' });
      assert.deepEqual(sent(), ['One.', 'Two.', 'Three.']);
      const s = samples(msg.payload as Buffer);
      const [a, b, c] = ['One.', 'Two.', 'Three.'].map(toneFrames);
      assert.equal(s.length, a + ms(150) + b + ms(1250) + c);
      assertSilence(s, a + ms(150) + b, ms(1250), 'two breaks');
    });

    it('streaming: the break is exact silence at the end of its piece', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { streaming: true, audioFormat: 'wav16' } });
      const seen = await gather(() => node.receive({ payload: '<speak>Hello there.<break time="2s"/>Goodbye now.</speak>' } as never), 2, { settleMs: 200 });
      assert.deepEqual(seen.map((x) => x.kind), ['sent', 'sent']);
      assert.deepEqual(sent(), ['Hello there.', 'Goodbye now.']);
      const first = samples(seen[0].msg.payload as Buffer);
      const f0 = toneFrames('Hello there.');
      assert.equal(first.length, f0 + ms(2000));
      assertSilence(first, f0, ms(2000), 'streamed break');
      assert.equal(samples(seen[1].msg.payload as Buffer).length, toneFrames('Goodbye now.'));
    });

    it('<prosody rate="slow"> (0.64): its piece is 1/0.64 as long as without, pitch kept; the break next to it stays exact; no warning', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { pause: 150, audioFormat: 'wav16' } });
      const [first, second] = ['Hello there.', 'The washing machine is done.'];
      const plain = samples((await expectSent({ payload: `<speak>${first}<break time="700ms"/>${second}</speak>` })).payload as Buffer);
      const slow = samples((await expectSent({ payload: `<speak>${first}<break time="700ms"/><prosody rate="slow">${second}</prosody></speak>` })).payload as Buffer);
      // The second message's pieces may come from the piece cache: the server hears the words only, never at a rate.
      for (const p of sent()) assert.ok(p === first || p === second, JSON.stringify(sent()));
      const f0 = toneFrames(first);
      const plainSecond = plain.length - f0 - ms(700);
      const slowSecond = slow.length - f0 - ms(700);
      assert.equal(plainSecond, toneFrames(second));
      assert.equal(slowSecond, Math.round(plainSecond / 0.64), `${slowSecond} frames slowed vs ${plainSecond} at rate 1`);
      assertSilence(slow, f0, ms(700), 'break before the slowed piece');
      // Pitch kept: the simulator's 220 Hz tone, counted by its rising zero crossings in the slowed piece's middle.
      const middle = slow.subarray(f0 + ms(700) + ms(100), slow.length - ms(100));
      let rising = 0;
      for (let i = 1; i < middle.length; i++) if (middle[i - 1] < 0 && middle[i] >= 0) rising++;
      const hz = (rising * RATE) / middle.length;
      assert.ok(Math.abs(hz - 220) < 220 * 0.03, `the slowed tone is ${hz.toFixed(1)} Hz, not 220`);
      assert.deepEqual([...slow.subarray(0, f0)], [...plain.subarray(0, f0)], 'the piece without a rate is unchanged');
      assert.equal(warnings(node).length, 0, JSON.stringify(warnings(node)));
    });

    it('the node\'s speed applies to the whole result after the SSML rate: the two multiply', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { speed: 2, audioFormat: 'wav16' } });
      const [first, second] = ['Hello there.', 'The washing machine is done.'];
      const msg = await expectSent({ payload: `<speak>${first}<break time="700ms"/><prosody rate="slow">${second}</prosody></speak>` });
      const joined = toneFrames(first) + ms(700) + Math.round(toneFrames(second) / 0.64);
      assert.equal(samples(msg.payload as Buffer).length, Math.round(joined / 2));
    });

    it('streaming: a piece in <prosody rate="slow"> is 1/0.64 as long, its break still exact; the cache tells the rates apart', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url, props: { streaming: true, audioFormat: 'wav16' } });
      const stream = async (payload: string) =>
        (await gather(() => node.receive({ payload } as never), 2, { settleMs: 200 })).map((x) => samples(x.msg.payload as Buffer));
      const [a, b] = await stream('<speak><prosody rate="slow">Hello there.</prosody><break time="2s"/>Goodbye now.</speak>');
      const f0 = Math.round(toneFrames('Hello there.') / 0.64);
      assert.equal(a.length, f0 + ms(2000));
      assertSilence(a, f0, ms(2000), 'streamed break after the slowed piece', ms(20));
      assert.equal(b.length, toneFrames('Goodbye now.'));
      const [plain] = await stream('<speak>Hello there.<break time="2s"/>Goodbye now.</speak>');
      assert.equal(plain.length, toneFrames('Hello there.') + ms(2000), 'the same piece at rate 1 is not the cached slow one');
    });

    it('tags never reach the server; unknown tags are removed with one warning naming them', async () => {
      const node = await loadFlow({ type: 'voxcpm-tts', url });
      const ssml =
        '<speak>The <emphasis level="strong">alarm</emphasis> code is <say-as interpret-as="digits">123</say-as>. <sub alias="World Wide Web">WWW</sub> <voice name="x">ok</voice></speak>';
      await expectSent({ payload: ssml });
      for (const p of sent()) assert.doesNotMatch(p, /[<>]/, JSON.stringify(sent()));
      const all = sent().join(' ');
      assert.match(all, /alarm/);
      assert.match(all, /World Wide Web/);
      const said = warnings(node).filter((w) => /SSML/.test(w));
      assert.equal(said.length, 1, JSON.stringify(said));
      assert.match(said[0], /emphasis/);
      assert.match(said[0], /voice/);
    });

    it('zh: tags never reach the server', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      await expectSent({ payload: '<speak><s>客厅的灯已经打开。</s><s>请注意<emphasis>安全</emphasis>。</s></speak>' });
      for (const p of sent()) assert.doesNotMatch(p, /[<>]/);
      assert.match(sent().join(''), /客厅的灯已经打开。.*请注意安全。/);
    });

    it('invalid SSML ends the message with VOXCPM_INPUT_INVALID naming the position; nothing is sent', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      const err = await expectCaught({ payload: '<speak>\nHello <break time="1s">there</speak>' });
      assert.equal(codeOf(err as ErrorMessage), 'VOXCPM_INPUT_INVALID');
      assert.match(err.error.message, /line 2/);
      assert.match(err.error.message, /column \d+/);
      assert.equal(calls(sim).length, 0);
    });
  });

  describe('clean text', () => {
    it('en: markdown and emoji are removed, link words kept, URL dropped', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      await expectSent({ payload: '**Alert**: 🔥 smoke in the _kitchen_ — [camera](http://192.168.1.20/cam)' });
      const [text] = sent();
      assert.doesNotMatch(text, /[*_[\]🔥]|http/u, text);
      assert.match(text, /Alert/);
      assert.match(text, /kitchen/);
      assert.match(text, /camera/);
    });

    it('zh: markdown and emoji are removed', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      await expectSent({ payload: '## 警报\n- 🔥 **厨房**有烟雾\n- 请查看[摄像头](http://cam.local)' });
      const [text] = sent();
      assert.doesNotMatch(text, /[#*[\]🔥]|http/u, text);
      assert.match(text, /警报/);
      assert.match(text, /厨房有烟雾/);
      assert.match(text, /摄像头/);
    });

    const written = '**Alert**: 🔥 smoke in the _kitchen_';

    it('off (the node setting) sends the text as written', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { cleanText: false } });
      await expectSent({ payload: written });
      await expectSent({ payload: '## 警报：🔥 **厨房**有烟雾' });
      assert.deepEqual(sent(), [written, '## 警报：🔥 **厨房**有烟雾']);
    });

    it('msg.cleanText false beats the node\'s setting', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      await expectSent({ payload: written, cleanText: false });
      assert.deepEqual(sent(), [written]);
    });

    it('text with nothing left after cleaning is VOXCPM_TEXT_EMPTY; nothing is sent', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      for (const payload of ['🔥🎉 **', '<speak><break time="1s"/></speak>', '（温柔）']) {
        const err = await expectCaught({ payload });
        assert.equal(codeOf(err as ErrorMessage), 'VOXCPM_TEXT_EMPTY', payload);
      }
      assert.equal(calls(sim).length, 0);
    });
  });

  describe('numbers', () => {
    it('off by default: sent as written; on (msg.normalizeNumbers) spelled out, en and zh', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      const en = 'It is 23.5°C and 45% humidity.';
      const zh = '现在气温23.5°C，湿度45%。';
      await expectSent({ payload: en });
      await expectSent({ payload: en, normalizeNumbers: true });
      await expectSent({ payload: zh, normalizeNumbers: true });
      const [off, on, chinese] = sent();
      assert.equal(off, en);
      assert.doesNotMatch(on, /\d/, on);
      assert.match(on, /twenty/i);
      assert.doesNotMatch(chinese, /\d/, chinese);
      assert.match(chinese, /二十三/);
    });

    it('the node setting turns it on; a bad msg.normalizeNumbers is VOXCPM_INPUT_INVALID', async () => {
      await loadFlow({ type: 'voxcpm-tts', url, props: { normalizeNumbers: true } });
      await expectSent({ payload: 'Wake me at 7:30 pm.' });
      assert.doesNotMatch(sent()[0], /\d/);
      const err = await expectCaught({ payload: 'x 1', normalizeNumbers: 'yes' });
      assert.equal(codeOf(err as ErrorMessage), 'VOXCPM_INPUT_INVALID');
    });

    it('the cache tells the settings apart: numbers on after off is a new request', async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      const a = await expectSent({ payload: 'Room 12 is at 21°C.' });
      const b = await expectSent({ payload: 'Room 12 is at 21°C.', normalizeNumbers: true });
      assert.equal(a.cached, false);
      assert.equal(b.cached, false);
      assert.equal(calls(sim).length, 2);
      assert.equal((await expectSent({ payload: 'Room 12 is at 21°C.', normalizeNumbers: true })).cached, true);
    });
  });
});
