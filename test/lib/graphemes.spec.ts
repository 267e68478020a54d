import assert from 'node:assert/strict';
import { graphemes, WINDOW } from '../../nodes/lib/graphemes';
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
