import assert from 'node:assert/strict';
import { graphemes, segmentInWindows, sentenceWindows, WINDOW } from '../../nodes/lib/graphemes';
import { prng } from '../support/prng';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const reference = (text: string): string[] => [...segmenter.segment(text)].map((s) => s.segment);

describe('lib/graphemes', () => {
  it('gives the clusters Intl.Segmenter gives, for short text', () => {
    for (const text of ['', 'a', 'héllo', 'e\u0301', '👍🏽', '👨‍👩‍👧‍👦', '🇨🇳🇬🇧', '1️⃣', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '中文，标点。', 'a\r\nb']) {
      assert.deepEqual([...graphemes(text)], reference(text), text);
    }
  });

  it('gives the same clusters as one Intl.Segmenter pass over long mixed text, across its windows', () => {
    const parts = ['word ', 'e\u0301', '中文', '。', '👍🏽', '👨‍👩‍👧', '🇨🇳', '1️⃣', '#️⃣', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '\u0915\u094d\u0937', '\r\n', 'x\u200d', '🔥', ' ', 'ß'];
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      let text = '';
      while (text.length < 4 * WINDOW + 500) text += parts[Math.floor(rnd() * parts.length)];
      const got = [...graphemes(text)];
      assert.equal(got.join(''), text, `seed ${seed}`);
      assert.deepEqual(got, reference(text), `seed ${seed}`);
    }
  });

  it('long runs without a sure place (combining marks, flags) are still cut between code points, never inside a surrogate pair', () => {
    const marks = `a${'\u0301'.repeat(5 * WINDOW)}b`;
    const got = [...graphemes(marks)];
    assert.equal(got.join(''), marks);
    const flags = '🇨🇳'.repeat(3 * WINDOW);
    const pieces = [...graphemes(flags)];
    assert.equal(pieces.join(''), flags);
    for (const p of pieces) assert.doesNotMatch(p, /^[\udc00-\udfff]|[\ud800-\udbff]$/, 'a lone surrogate');
  });

  it('takes a 200,000-character text in windows (one Intl.Segmenter pass over it takes minutes)', function () {
    this.timeout(20_000);
    // 14 code units, 11 clusters.
    const text = 'Hello 世界 👍🏽 '.repeat(14_300);
    let count = 0;
    let length = 0;
    for (const g of graphemes(text)) {
      count++;
      length += g.length;
    }
    assert.equal(count, 14_300 * 11);
    assert.equal(length, text.length);
  });
});

describe('lib/graphemes: segmentInWindows', () => {
  const words = new Intl.Segmenter('zh', { granularity: 'word' });
  const afterSpace = (text: string, at: number) => /\s/.test(text[at - 1]) && !/\s/.test(text[at]);
  const indices = (it: Iterable<{ index: number }>) => [...it].map((s) => s.index);

  it('gives the segments of one pass, with indices into the whole text, where the windows end at safe places', () => {
    const parts = ['word ', 'Hello, world. ', '中文分词很好。', 'e\u0301 ', '👍🏽 ', '3.14 ', ' '];
    for (let seed = 1; seed <= 10; seed++) {
      const rnd = prng(seed);
      let text = '';
      while (text.length < 3000) text += parts[Math.floor(rnd() * parts.length)];
      const got = [...segmentInWindows(words, text, afterSpace, 200)];
      assert.deepEqual(got.map((s) => s.segment), [...words.segment(text)].map((s) => s.segment), `seed ${seed}`);
      for (const { segment, index } of got) assert.equal(text.slice(index, index + segment.length), segment);
    }
  });

  it('without a safe place cuts a window at a grapheme cluster boundary, never inside a cluster', () => {
    // Conjoining Hangul jamo and Devanagari conjuncts: no space, no ASCII, no Han for thousands of code units.
    for (const text of ['\u1100\u1161\u11a8'.repeat(900), 'नमस्ते'.repeat(400), '🇨🇳'.repeat(600)]) {
      const clusters = new Set(indices(segmenter.segment(text)));
      const got = indices(segmentInWindows(segmenter, text, () => false, 100));
      assert.ok(got.length > 1);
      for (const at of got) assert.ok(clusters.has(at), `a window ends inside a cluster at ${at}`);
      const windowed = [...segmentInWindows(words, text, () => false, 100)];
      assert.equal(windowed.map((s) => s.segment).join(''), text);
      for (const at of indices(windowed)) assert.ok(clusters.has(at), `a word starts inside a cluster at ${at}`);
    }
  });

  it('bounds a window at 4 × its size in a run of combining marks, splitting no surrogate pair', () => {
    const text = `a${'\u0301'.repeat(2000)}${'\u{1d173}'.repeat(1000)}b`;
    const got = [...segmentInWindows(words, text, () => false, 100)];
    assert.equal(got.map((s) => s.segment).join(''), text);
    const ends = [...indices(got), text.length];
    for (let i = 1; i < ends.length; i++) {
      assert.ok(ends[i] - ends[i - 1] <= 4 * 100 + 1, `a segment of ${ends[i] - ends[i - 1]} code units`);
      assert.doesNotMatch(text[ends[i]] ?? '', /[\udc00-\udfff]/, 'a lone surrogate');
    }
  });
});

describe('lib/graphemes: sentenceWindows', () => {
  const sentences = new Intl.Segmenter('zh', { granularity: 'sentence' });

  it('gives the sentence starts of one Intl.Segmenter pass over long text, window after window', () => {
    const parts = ['Mr. Smith went home. ', 'It rained, e.g. all day! ', '你好。', '今天下雨吗？', 'Done… ', '(Dr. X said so.) ', 'Yes; ', '\n'];
    for (let seed = 1; seed <= 10; seed++) {
      const rnd = prng(seed);
      let text = '';
      while (text.length < 5000) text += parts[Math.floor(rnd() * parts.length)];
      const windows = [...sentenceWindows(text)];
      assert.ok(windows.length > 5);
      const ends = windows.map((w) => w.end);
      assert.deepEqual(ends, [...ends].sort((a, b) => a - b));
      assert.equal(ends[ends.length - 1], text.length);
      for (let i = 0; i < windows.length; i++) {
        for (const start of windows[i].starts) assert.ok(start > (i > 0 ? ends[i - 1] : 0) && start <= ends[i], `start ${start} outside its window`);
      }
      const expected = [...sentences.segment(text)].map((s) => s.index).filter((i) => i > 0);
      assert.deepEqual(windows.flatMap((w) => w.starts), expected, `seed ${seed}`);
    }
  });

  it('gives nothing for empty text and no start for one sentence', () => {
    assert.deepEqual([...sentenceWindows('')], []);
    assert.deepEqual([...sentenceWindows('One sentence.')].flatMap((w) => w.starts), []);
  });
});
