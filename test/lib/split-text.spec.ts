import assert from 'node:assert/strict';
import { MIN_CHUNK, splitText } from '../../nodes/lib/split-text';
import { prng } from '../support/prng';

const SPEAKABLE = /[\p{L}\p{N}]/u;
const SENTENCE_END = /[。！？；.!?;…][”’」』）)"']*$/u;

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

const HAN = [
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所',
  '民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日',
  '那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想',
  '已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指',
  '几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权',
  '收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集',
  '温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支',
  '般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属',
  '圆包火住调满县局照参红细引听该铁价严',
].join('');
const TOKENS = ['3.14', '1,000', '12:30', '2024-05-01', '42', 'v2.5', 'https://example.com/a?b=c', 'a@b.cn'];
const LATIN = ['voice', 'speech', 'model', 'server', 'request', 'audio', 'sample', 'rate', 'text', 'prompt', 'clone', 'node', 'flow'];

interface Piece {
  text: string;
  start: number;
  end: number;
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Grapheme clusters in `text`: the unit of the piece limit. */
function graphemeCount(text: string): number {
  let n = 0;
  for (const _ of GRAPHEMES.segment(text)) n++;
  return n;
}

/** Splits and checks the invariants every split must keep. */
function check(text: string, maxChunk: number): Piece[] {
  const pieces = splitText(text, maxChunk);
  assert.equal(pieces.join(''), text, 'the pieces joined give back the text');
  const limit = Math.max(MIN_CHUNK, maxChunk);
  const out: Piece[] = [];
  let at = 0;
  for (const p of pieces) {
    if (text.length > limit) {
      assert.ok(graphemeCount(p.trim()) <= limit, `piece longer than ${limit} graphemes: ${JSON.stringify(p)}`);
      assert.match(p, SPEAKABLE, `piece with nothing to speak: ${JSON.stringify(p)}`);
    }
    out.push({ text: p, start: at, end: at + p.length });
    at += p.length;
  }
  return out;
}

/** Asserts that no cut falls strictly inside any occurrence of `token`. */
function assertWhole(text: string, pieces: Piece[], token: string): void {
  let from = text.indexOf(token);
  assert.ok(from >= 0, `fixture: ${token} is in the text`);
  for (; from >= 0; from = text.indexOf(token, from + 1)) {
    const to = from + token.length;
    for (const p of pieces.slice(1)) {
      assert.ok(p.start <= from || p.start >= to, `"${token}" is cut at ${p.start}: ${JSON.stringify(pieces.map((x) => x.text))}`);
    }
  }
}

/**
 * Asserts every cut is between grapheme clusters and not between two letters or
 * digits of a Latin word, except inside the given tokens (too long for one piece).
 */
function assertCutsBetweenWords(text: string, pieces: Piece[], longTokens: string[] = []): void {
  const graphemes = new Set<number>();
  for (const { index } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)) graphemes.add(index);
  const exempt: Array<[number, number]> = [];
  for (const t of longTokens) {
    for (let i = text.indexOf(t); i >= 0; i = text.indexOf(t, i + 1)) exempt.push([i, i + t.length]);
  }
  for (const p of pieces.slice(1)) {
    assert.ok(graphemes.has(p.start), `cut inside a grapheme cluster at ${p.start}`);
    if (exempt.some(([a, b]) => a < p.start && p.start < b)) continue;
    const pair = text.slice(p.start - 1, p.start + 1);
    assert.doesNotMatch(pair, /^[A-Za-z0-9]{2}$/, `cut inside a word: ${JSON.stringify(text.slice(p.start - 10, p.start + 10))}`);
  }
}

function chineseSentence(rnd: () => number, min: number, max: number): string {
  const n = min + Math.floor(rnd() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += HAN[Math.floor(rnd() * HAN.length)];
  return s;
}

describe('lib/split-text', () => {
  describe('short text', () => {
    it('returns a text no longer than the limit whole', () => {
      assert.deepEqual(splitText('你好。', 300), ['你好。']);
      assert.deepEqual(splitText('', 300), ['']);
      assert.deepEqual(splitText('   ', 300), ['   ']);
      const exact = '一二三四五六七八九十。';
      assert.deepEqual(splitText(exact, exact.length), [exact]);
    });

    it('raises a limit under 10 to 10', () => {
      assert.deepEqual(splitText('一二三四五六七八九十', 3), ['一二三四五六七八九十']);
      const pieces = check('one two three four five six seven eight nine ten', 1);
      assert.ok(pieces.length > 1);
      for (const p of pieces) assert.ok(p.text.trim().length <= 10);
      assert.deepEqual(splitText('一二三四五六七八九十', Number.NaN), ['一二三四五六七八九十']);
    });

    it('returns a long text with nothing speakable in it whole', () => {
      const dots = '……！？'.repeat(30);
      assert.deepEqual(splitText(dots, 20), [dots]);
    });
  });

  describe('sentences', () => {
    it('cuts a 2000-character Chinese paragraph at sentence ends, packed greedily', () => {
      const rnd = prng(1);
      let text = '';
      while (text.length < 2000) text += chineseSentence(rnd, 6, 70) + pick(rnd, ['。', '！', '？', '；']);
      const pieces = check(text, 150);
      assert.ok(pieces.length >= Math.ceil(text.length / 150));
      for (const p of pieces) {
        assert.ok(p.text.length <= 150);
        assert.match(p.text, SENTENCE_END, `piece does not end a sentence: ${p.text}`);
      }
      // Greedy: the next piece's first sentence would not have fitted.
      for (let i = 0; i + 1 < pieces.length; i++) {
        const first = /^[^。！？；]*[。！？；]/u.exec(pieces[i + 1].text)?.[0] ?? '';
        assert.ok((pieces[i].text + first).length > 150, `piece ${i} could have taken the next sentence`);
      }
    });

    it('cuts an English paragraph at sentence ends', () => {
      const rnd = prng(2);
      const sentences: string[] = [];
      for (let i = 0; i < 40; i++) {
        const words = Array.from({ length: 4 + Math.floor(rnd() * 12) }, () => pick(rnd, LATIN));
        words[0] = words[0][0].toUpperCase() + words[0].slice(1);
        sentences.push(words.join(' ') + pick(rnd, ['.', '!', '?']));
      }
      const text = sentences.join(' ');
      const pieces = check(text, 120);
      assert.ok(pieces.length > 1);
      for (const p of pieces) assert.match(p.text.trimEnd(), /[.!?]$/, p.text);
      assertCutsBetweenWords(text, pieces);
      // White space after a sentence stays with it.
      for (const p of pieces.slice(1)) assert.doesNotMatch(p.text, /^\s/);
    });

    it('cuts mixed Chinese and English without cutting a word', () => {
      const text = [
        'VoxCPM2 是一个开源的 text-to-speech 模型，支持 Chinese 和 English 混合输入。',
        'It runs on an RTX 4090 at about 0.3 s per second of audio!',
        '第一次请求大约需要 30 秒，之后就快多了。',
        'Please keep each request under 300 characters; longer text degrades.',
        '我们建议把长文本切成句子，再逐句合成，最后拼接成一个 WAV 文件。',
      ]
        .join('')
        .repeat(4);
      const pieces = check(text, 60);
      for (const p of pieces) assert.match(p.text.trimEnd(), SENTENCE_END, p.text);
      assertCutsBetweenWords(text, pieces);
      assertWhole(text, pieces, 'text-to-speech');
      assertWhole(text, pieces, '0.3');
    });

    it('ends a piece at a line break', () => {
      const rnd = prng(3);
      const lines = Array.from({ length: 30 }, () =>
        Array.from({ length: 3 + Math.floor(rnd() * 6) }, () => pick(rnd, LATIN)).join(' '),
      );
      const text = lines.join('\n') + '\n\n' + lines.join('\r\n');
      const pieces = check(text, 80);
      for (const p of pieces.slice(0, -1)) assert.match(p.text, /\n$/, JSON.stringify(p.text));
      assertCutsBetweenWords(text, pieces);
    });

    it('keeps runs of punctuation and closing quotes with their sentence', () => {
      const text = '他说：“今天真好！”她问：“真的吗？！”我想了想……「当然。」（笑）好吧。'.repeat(12);
      const pieces = check(text, 40);
      for (const p of pieces.slice(1)) assert.doesNotMatch(p.text, /^[”’」』）)！？…。]/u, p.text);
      for (const p of pieces) assert.doesNotMatch(p.text, /[“「（]$/u, p.text);
    });

    it('gives lines of only punctuation or white space to a neighbour', () => {
      const para = '这是第一段，内容比较长一些，用来测试切分。';
      const text = [para, '——————', '   ', '***', para, '……', para].join('\n\n');
      const pieces = check(text, 25);
      for (const p of pieces) assert.match(p.text, /\p{Script=Han}/u);
    });
  });

  describe('long sentences', () => {
    it('cuts a 400-character sentence without periods at commas', () => {
      const rnd = prng(4);
      const clauses = Array.from({ length: 14 }, () => chineseSentence(rnd, 15, 40));
      const text = clauses.join('，') + '。';
      assert.ok(text.length >= 400);
      const pieces = check(text, 150);
      assert.ok(pieces.length >= 3);
      for (const p of pieces.slice(0, -1)) assert.match(p.text, /，$/u, p.text);
    });

    it('cuts a sentence without commas between words, never inside a number, URL or address', () => {
      const tokens = ['3.14', '1,000', '12:30', 'https://example.com/a/b?c=d', 'hello@example.com', 'v2.5'];
      const rnd = prng(5);
      const words: string[] = [];
      for (let i = 0; i < 90; i++) words.push(rnd() < 0.3 ? pick(rnd, tokens) : pick(rnd, LATIN));
      const text = words.join(' ') + '.';
      for (const max of [10, 17, 30, 45]) {
        const pieces = check(text, max);
        const tooLong = tokens.filter((t) => t.length + 1 > max);
        assertCutsBetweenWords(text, pieces, tooLong);
        for (const t of tokens) if (!tooLong.includes(t)) assertWhole(text, pieces, t);
      }
    });

    it('cuts a Chinese run without punctuation between words, not at every character', () => {
      const text = '我们今天下午三点在会议室讨论新产品的发布计划以及市场推广方案'.repeat(10);
      const pieces = check(text, 30);
      const words = new Set<number>();
      for (const { index } of new Intl.Segmenter('zh', { granularity: 'word' }).segment(text)) words.add(index);
      let at = 0;
      for (const p of pieces) {
        assert.ok(words.has(at), `cut at ${at} is not a word boundary`);
        at += p.text.length;
      }
    });

    it('cuts a 500-character URL between graphemes', () => {
      const url = 'https://example.com/' + 'abcdefghij'.repeat(48);
      assert.equal(url.length, 500);
      const pieces = check(url, 100);
      assert.equal(pieces.length, 5);
      const withText = check(`请访问 ${url} 了解详情。`, 100);
      assert.equal(withText.map((p) => p.text).join(''), `请访问 ${url} 了解详情。`);
    });

    it('never cuts an emoji, a combining mark or a surrogate pair', () => {
      const emoji = ['😀', '👍🏽', '🇨🇳', '👨‍👩‍👧', '❤️'];
      const rnd = prng(6);
      let text = '';
      while (text.length < 600) text += pick(rnd, [...LATIN, '好', '𠀀']) + pick(rnd, ['', ' ', '。']) + pick(rnd, emoji);
      // Limits that hold any word with the emoji around it (8 + 7 + 1 + 8 code units).
      for (const max of [24, 40, 60]) assertCutsBetweenWords(text, check(text, max));
      const wide = '好😀'.repeat(100);
      assertCutsBetweenWords(wide, check(wide, 15));
      // One "word" too long for a piece: cut between grapheme clusters only.
      for (const word of ['e\u0301'.repeat(200), '𠀀'.repeat(300), 'a👍🏽'.repeat(100), '\u1100\u1161\u11a8'.repeat(100)]) {
        const pieces = check(word, 15);
        assert.ok(pieces.length > 1);
        assertCutsBetweenWords(word, pieces, [word]);
      }
    });
  });

  describe('abbreviations (issue 11)', () => {
    const PARCEL =
      'The parcel that you ordered last week from the big online store arrived this afternoon at the front door and was signed for by Mr. Jones from next door. Please collect it.';

    it('never ends a piece after Mr. (the repro of the issue)', () => {
      const pieces = check(PARCEL, 150).map((p) => p.text);
      assert.ok(pieces.length > 1);
      for (const p of pieces) assert.doesNotMatch(p.trimEnd(), /\bMr\.$/, `a piece ends after "Mr.": ${JSON.stringify(p)}`);
      assert.ok(pieces.some((p) => p.includes('Mr. Jones')));
    });

    for (const abbr of ['Mr.', 'Mrs.', 'Ms.', 'Dr.', 'St.', 'vs.', 'e.g.', 'i.e.', 'etc.', 'a.m.', 'p.m.', 'No.', 'Prof.', 'U.S.', 'Ph.D.']) {
      it(`never ends a piece after "${abbr}"`, () => {
        // Sentences built so that the only sentence-like cut near the limit is after the abbreviation.
        const text = `Short one here. Then we saw ${abbr} Parker near the old mill by the river and then we went home. Another short one.`;
        for (const max of [30, 40, 50, 60]) {
          for (const p of check(text, max)) {
            assert.ok(!p.text.trimEnd().endsWith(abbr), `max ${max}: a piece ends after "${abbr}": ${JSON.stringify(p.text)}`);
          }
        }
      });
    }

    it('still ends a piece at a real sentence end and after "(Mr." in brackets too', () => {
      const pieces = check('He said hello to the postman today. (Mr. Brown was out.) And then it rained all day long.', 40).map((p) => p.text);
      for (const p of pieces) assert.ok(!/Mr\.\s*$/.test(p), JSON.stringify(p));
      assert.equal(pieces[0], 'He said hello to the postman today. ');
    });

    it('cuts after an abbreviation only when nothing else is left (contrived text)', () => {
      const text = Array.from({ length: 40 }, () => 'Mr.').join(' ');
      const pieces = check(text, 20);
      assert.ok(pieces.length > 1);
      assertCutsBetweenWords(text, pieces);
    });
  });

  describe('graphemes (issue 11)', () => {
    it('counts the limit in grapheme clusters, not UTF-16 units', () => {
      const text = `${'👨‍👩‍👧'.repeat(20)} hello world`; // 20 clusters of 8 code units each
      assert.deepEqual(splitText(text, 40), [text]);
    });

    it('80 emoji then "Happy birthday Anna…": no word cut in two (the repro of the issue)', () => {
      const text = `${'🎉'.repeat(80)} Happy birthday Anna, we wish you a wonderful day full of joy and cake and friends and everything else you like.`;
      const pieces = check(text, 150);
      assertCutsBetweenWords(text, pieces);
      assert.ok(pieces.some((p) => p.text.includes('Happy birthday')));
    });

    it('cuts a run of emoji longer than a piece between graphemes', () => {
      const text = `${'👍🏽'.repeat(200)} Happy birthday Anna.`;
      const pieces = splitText(text, 150);
      assert.equal(pieces.join(''), text);
      const starts = new Set([...GRAPHEMES.segment(text)].map((s) => s.index));
      let at = 0;
      for (const p of pieces) {
        assert.ok(starts.has(at), `cut inside a grapheme cluster at ${at}`);
        assert.ok(graphemeCount(p.trim()) <= 150);
        at += p.length;
      }
      assert.ok(pieces[pieces.length - 1].includes('Happy birthday Anna.'));
    });

    it('never cuts inside a cluster in thousands of code units without a space (conjoining Hangul jamo, Devanagari)', () => {
      for (const text of ['\u1100\u1161\u11a8'.repeat(900), 'नमस्ते'.repeat(400)]) {
        for (const max of [10, 100, 300]) {
          const pieces = check(text, max);
          const starts = new Set([...GRAPHEMES.segment(text)].map((s) => s.index));
          let at = 0;
          for (const p of pieces) {
            assert.ok(starts.has(at), `cut inside a grapheme cluster at ${at}`);
            at += p.text.length;
          }
        }
      }
    });
  });

  describe('small pieces', () => {
    it('does not leave a tiny last piece when it can be merged', () => {
      const s1 = '甲'.repeat(40) + '。';
      const s2 = '乙'.repeat(45) + '。';
      assert.deepEqual(splitText(s1 + s2 + '好。', 50), [s1, s2 + '好。']);
    });

    it('gives a tiny last piece the sentence before it when it cannot be merged', () => {
      const s1 = '甲'.repeat(60) + '。';
      const s2 = '乙'.repeat(88) + '。';
      assert.deepEqual(splitText(s1 + s2 + '好。', 150), [s1, s2 + '好。']);
    });

    it('borrows words for a tiny last piece that cannot be merged', () => {
      const words = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen';
      const text = words + ' seventeen. ' + 'Ok.';
      const pieces = check(text, words.length + 11);
      assert.ok(pieces.length === 2, JSON.stringify(pieces.map((p) => p.text)));
      assert.ok(pieces[1].text.replace(/\s/g, '').length > 3, pieces[1].text);
    });

    it('merges a tiny sentence before a long one into a neighbour', () => {
      const text = '好。' + '这是一个很长的句子，'.repeat(20) + '结束。';
      const pieces = check(text, 50);
      for (const p of pieces) assert.ok(p.text.replace(/\s/g, '').length > 3, p.text);
    });
  });

  describe('properties', () => {
    it('keeps every invariant on random texts', () => {
      const rnd = prng(42);
      const punct = ['。', '！', '？', '；', '，', '、', '：', '.', '!', '?', ',', ';', ':', '……', '？！', '”', '“', '（', '）', '「', '」', '—', '-', '😀'];
      const space = [' ', ' ', '  ', '\n', '\n\n', '\r\n', '\t', '\u3000'];
      for (let n = 0; n < 300; n++) {
        const target = Math.floor(rnd() * 1500);
        let text = '';
        let nonWords = 0;
        while (text.length < target) {
          const r = rnd();
          if (r < 0.35) {
            text += chineseSentence(rnd, 1, 12);
            nonWords = 0;
          } else if (r < 0.6) {
            text += pick(rnd, LATIN) + ' ';
            nonWords = 1;
          } else if (r < 0.7) {
            text += pick(rnd, TOKENS) + ' ';
            nonWords = 1;
          } else if (nonWords < 2) {
            text += rnd() < 0.5 ? pick(rnd, punct) : pick(rnd, space);
            nonWords++;
          }
        }
        const max = 1 + Math.floor(rnd() * 200);
        const limit = Math.max(10, max);
        const pieces = check(text, max);
        // A word, with the punctuation around it, fits in a piece: it is never cut.
        const tooLong = TOKENS.filter((t) => t.length + 6 > limit);
        assertCutsBetweenWords(text, pieces, limit >= 16 ? tooLong : [text]);
        if (pieces.length > 1) for (const t of TOKENS) if (text.includes(t) && !tooLong.includes(t)) assertWhole(text, pieces, t);
      }
    });

    it('splits 100 KB of text in well under a second', () => {
      const rnd = prng(7);
      let text = '';
      while (text.length < 100_000) {
        text +=
          rnd() < 0.5
            ? chineseSentence(rnd, 5, 60) + pick(rnd, ['。', '！', '，'])
            : `${pick(rnd, LATIN)} ${pick(rnd, LATIN)}, ${pick(rnd, LATIN)}. `;
        if (rnd() < 0.05) text += '\n';
      }
      const t0 = process.hrtime.bigint();
      const pieces = splitText(text, 150);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(pieces.join(''), text);
      assert.ok(ms < 2000, `took ${ms} ms`);
    });
  });
});
