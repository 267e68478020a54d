import assert from 'node:assert/strict';
import { isVoxcpmError } from '../../nodes/lib/errors';
import { OffloadThread } from '../../nodes/lib/offload';
import { prepareSpeech, type TextSettings } from '../../nodes/lib/speech-text';

const PLAIN: TextSettings = { cleanText: false, normalizeNumbers: false, maxChunk: 150 };
const TTS = { prompt: '', ultimate: false };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isVoxcpmError(err), String(err));
    return err.code;
  }
  assert.fail('expected a VoxcpmError');
}

describe('lib/speech-text', () => {
  it('plain text, every step off: the pieces of splitText, nothing else', async () => {
    const r = await prepareSpeech('Hello there. **Bold** 🎉', TTS, PLAIN);
    assert.deepEqual(r, { pieces: [{ text: 'Hello there. **Bold** 🎉' }], pauseBeforeMs: 0, prompt: '', warnings: [] });
  });

  it('the order: SSML, then clean, then numbers, then the voice description, then split', async () => {
    const r = await prepareSpeech(
      '<speak>(calm, slow)**Room** 12 is at 21°C.<break time="500ms"/>Good night 🌙</speak>',
      TTS,
      { cleanText: true, normalizeNumbers: true, maxChunk: 150 },
    );
    assert.equal(r.prompt, 'calm, slow');
    assert.equal(r.pieces.length, 2);
    assert.doesNotMatch(r.pieces[0].text, /[*\d(]/, r.pieces[0].text);
    assert.match(r.pieces[0].text, /^Room twelve/);
    assert.equal(r.pieces[0].pauseAfterMs, 500);
    assert.equal(r.pieces[1].text, 'Good night');
    assert.equal(r.pieces[1].pauseAfterMs, undefined);
  });

  it('pieces never span a break; only the last piece of a segment carries it', async () => {
    const sentence = 'This sentence is long enough to be a piece of its own here. ';
    const r = await prepareSpeech(`<speak>${sentence.repeat(3)}<break time="1s"/>End.</speak>`, TTS, { ...PLAIN, maxChunk: 70 });
    assert.deepEqual(r.pieces.map((p) => p.pauseAfterMs), [undefined, undefined, 1000, undefined]);
    assert.equal(r.pieces[3].text, 'End.');
  });

  it('a break before any words is silence before the first piece; breaks in a row add up', async () => {
    const r = await prepareSpeech('<speak><break time="300ms"/>One.<break time="1s"/><break time="2s"/>Two.<break time="100ms"/></speak>', TTS, PLAIN);
    assert.equal(r.pauseBeforeMs, 300);
    assert.deepEqual(r.pieces, [{ text: 'One.', pauseAfterMs: 3000 }, { text: 'Two.', pauseAfterMs: 100 }]);
  });

  it('<prosody rate> is carried on the pieces (applied in synthesis), with no warning', async () => {
    const r = await prepareSpeech('<speak><prosody rate="slow">Slowly now.</prosody> Normal again.</speak>', TTS, PLAIN);
    assert.ok(r.pieces.some((p) => p.rate !== undefined && p.rate < 1), JSON.stringify(r.pieces));
    assert.deepEqual(r.warnings, []);
  });

  it('unknown SSML tags: one warning naming each', async () => {
    const r = await prepareSpeech('<speak><emphasis>Hi</emphasis> <voice name="a">there</voice> <emphasis>you</emphasis></speak>', TTS, PLAIN);
    const ignored = r.warnings.filter((w) => w.kind === 'ssml-ignored');
    assert.equal(ignored.length, 1);
    assert.match(ignored[0].message, /<emphasis>/);
    assert.match(ignored[0].message, /<voice>/);
  });

  it('the voice description: applies to every piece, dropped in ultimate cloning', async () => {
    const text = '（温柔的女声）第一句话在这里。第二句话也在这里。第三句话还在这里。';
    const r = await prepareSpeech(text, { prompt: '', ultimate: false }, { ...PLAIN, maxChunk: 10 });
    assert.equal(r.prompt, '温柔的女声');
    assert.ok(r.pieces.length >= 3);
    for (const p of r.pieces) assert.doesNotMatch(p.text, /[（）]/);
    const u = await prepareSpeech(text, { prompt: '', ultimate: true }, { ...PLAIN, maxChunk: 10 });
    assert.equal(u.prompt, '');
    assert.deepEqual(u.warnings.map((w) => w.kind), ['description-dropped']);
    assert.equal(u.pieces[0].text, '第一句话在这里。');
  });

  it('nothing left to speak is VOXCPM_TEXT_EMPTY; SSML that does not parse is VOXCPM_INPUT_INVALID', async () => {
    const clean = { ...PLAIN, cleanText: true };
    assert.equal(await codeOf(prepareSpeech('🔥🎉 **', TTS, clean)), 'VOXCPM_TEXT_EMPTY');
    assert.equal(await codeOf(prepareSpeech('<speak><break time="1s"/></speak>', TTS, PLAIN)), 'VOXCPM_TEXT_EMPTY');
    assert.equal(await codeOf(prepareSpeech('(only a description)', TTS, PLAIN)), 'VOXCPM_TEXT_EMPTY');
    assert.equal(await codeOf(prepareSpeech('<speak>open <b>', TTS, PLAIN)), 'VOXCPM_INPUT_INVALID');
  });

  it('a long text is prepared in the worker thread, with the same result and the same errors', async () => {
    const thread = new OffloadThread();
    try {
      const text = `<speak>${'Mr. Jones said 12 words. '.repeat(200)}<break time="1s"/>Bye.</speak>`;
      assert.ok(text.length > 4000);
      const settings = { cleanText: true, normalizeNumbers: true, maxChunk: 150 };
      assert.deepEqual(await thread.prepare(text, TTS, settings), await prepareSpeech(text, TTS, settings));
      const bad = `<speak>${'word '.repeat(1000)}<oops></speak>`;
      assert.equal(await codeOf(thread.prepare(bad, TTS, PLAIN)), 'VOXCPM_INPUT_INVALID');
    } finally {
      thread.stop();
    }
  });
});
