import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderPhrase } from '../../nodes/lib/error-texts';
import { isVoxcpmError, VoxcpmError } from '../../nodes/lib/errors';
import { BREAK_STRENGTH_MS, isSsml, MAX_BREAK_MS, MAX_DEPTH, MAX_IGNORED_TAGS, parseSsml, prosodyRate, type SpeechSegment } from '../../nodes/lib/ssml';

const segments = (ssml: string): SpeechSegment[] => parseSsml(ssml).segments;
const speak = (inner: string, attrs = ''): string => `<speak${attrs}>${inner}</speak>`;

/** The error parseSsml throws, checked to be VOXCPM_INPUT_INVALID with a position. */
function invalid(ssml: string): VoxcpmError {
  try {
    parseSsml(ssml);
  } catch (err) {
    assert.ok(isVoxcpmError(err), String(err));
    assert.equal(err.code, 'VOXCPM_INPUT_INVALID');
    assert.equal(err.key, 'ssml.invalid');
    return err;
  }
  assert.fail(`parsed: ${ssml}`);
}

describe('lib/ssml', () => {
  describe('isSsml', () => {
    it('is true for text that starts with <speak, after white space, a BOM or an XML declaration', () => {
      assert.equal(isSsml('<speak>Hi</speak>'), true);
      assert.equal(isSsml('  \n\t<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis">Hi</speak>'), true);
      assert.equal(isSsml('\uFEFF<speak>Hi</speak>'), true);
      assert.equal(isSsml('<?xml version="1.0" encoding="UTF-8"?>\n<speak>Hi</speak>'), true);
      assert.equal(isSsml('<speak/>'), true);
      // Not SSML even if broken: the parser reports it.
      assert.equal(isSsml('<speak>unclosed'), true);
    });

    it('is false for anything else', () => {
      assert.equal(isSsml('Hello <speak>'), false);
      assert.equal(isSsml('<speaker>Hi</speaker>'), false);
      assert.equal(isSsml('<p>Hi</p>'), false);
      assert.equal(isSsml('speak'), false);
      assert.equal(isSsml(''), false);
      assert.equal(isSsml('你好<speak>'), false);
    });
  });

  describe('the issue example', () => {
    it('breaks become exact pauses, emphasis is removed with its words kept and listed', () => {
      const ssml = '<speak>Your parcel has arrived. <break time="1s"/> It was signed for by <emphasis level="strong">Mr. Jones</emphasis>.</speak>';
      assert.deepEqual(parseSsml(ssml), {
        segments: [{ text: 'Your parcel has arrived.', breakAfterMs: 1000 }, { text: 'It was signed for by Mr. Jones.' }],
        ignoredTags: ['emphasis'],
      });
    });

    it('the same in Chinese', () => {
      const ssml = '<speak xml:lang="zh-CN">您的包裹已送达。<break time="1.5s"/>由<emphasis>隔壁的张先生</emphasis>代收。</speak>';
      assert.deepEqual(parseSsml(ssml), {
        segments: [{ text: '您的包裹已送达。', breakAfterMs: 1500 }, { text: '由隔壁的张先生代收。' }],
        ignoredTags: ['emphasis'],
      });
    });
  });

  describe('<speak>', () => {
    it('accepts the root with xmlns, version, xml:lang and an XML declaration', () => {
      const ssml = '<?xml version="1.0"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">Hello</speak>';
      assert.deepEqual(parseSsml(ssml), { segments: [{ text: 'Hello' }], ignoredTags: [] });
    });

    it('an empty document has no segments; white space only too', () => {
      assert.deepEqual(segments('<speak/>'), []);
      assert.deepEqual(segments('<speak>  \n </speak>'), []);
      assert.deepEqual(segments('<speak><p> </p><s/></speak>'), []);
    });

    it('refuses a root that is not <speak>', () => {
      const err = invalid('<p>Hello</p>');
      assert.deepEqual(err.params, { line: 1, column: 1, detail: { key: 'ssml.notSpeak', params: { name: 'p' } } });
      assert.match(err.message, /line 1, column 1: the root element is <p>/);
    });
  });

  describe('white space and entities', () => {
    it('collapses white space, trims segments, joins inline elements without adding spaces', () => {
      assert.deepEqual(segments('<speak>\n   Hello\n\t  <emphasis>big</emphasis>\n  world   </speak>'), [{ text: 'Hello big world' }]);
      assert.deepEqual(segments('<speak>你好<emphasis>世界</emphasis>！</speak>'), [{ text: '你好世界！' }]);
      // A line break between Chinese characters is the document's wrapping; a space the writer typed stays.
      assert.deepEqual(segments('<speak>\n  今天天气\n  很好，\n  适合 出门。\n  Go\n  out!</speak>'), [{ text: '今天天气很好，适合 出门。 Go out!' }]);
    });

    it('decodes entities and character references; CDATA is text; comments and processing instructions are not', () => {
      assert.deepEqual(segments('<speak>Tom &amp; Jerry &lt;3 &gt; &quot;x&quot; &apos;y&apos; &#20013;&#x6587;</speak>'), [
        { text: 'Tom & Jerry <3 > "x" \'y\' 中文' },
      ]);
      assert.deepEqual(segments('<speak>a <![CDATA[<b> & c]]> d<!-- not spoken --><?pi x?></speak>'), [{ text: 'a <b> & c d' }]);
    });

    it('refuses an entity a DTD would define, with its position (no entity is ever expanded)', () => {
      const err = invalid('<speak>a&nbsp;b</speak>');
      assert.deepEqual(err.params, { line: 1, column: 14, detail: 'undefined entity' });
      const dtd = invalid('<!DOCTYPE speak [<!ENTITY lol "lololol">]><speak>&lol;</speak>');
      assert.equal(dtd.params.detail, 'undefined entity');
    });
  });

  describe('<break>', () => {
    it('time in ms and s, decimals too', () => {
      assert.deepEqual(segments(speak('a<break time="500ms"/>b<break time="1s"/>c<break time="1.5s"/>d<break time=".25s"/>e<break time=" 20MS "/>f')), [
        { text: 'a', breakAfterMs: 500 },
        { text: 'b', breakAfterMs: 1000 },
        { text: 'c', breakAfterMs: 1500 },
        { text: 'd', breakAfterMs: 250 },
        { text: 'e', breakAfterMs: 20 },
        { text: 'f' },
      ]);
    });

    it('strength: the documented table (Azure Speech), medium when neither is given, time wins over strength', () => {
      assert.deepEqual(BREAK_STRENGTH_MS, { none: 0, 'x-weak': 250, weak: 500, medium: 750, strong: 1000, 'x-strong': 1250 });
      for (const [strength, ms] of Object.entries(BREAK_STRENGTH_MS)) {
        if (ms === 0) continue;
        assert.deepEqual(segments(speak(`a<break strength="${strength}"/>b`)), [{ text: 'a', breakAfterMs: ms }, { text: 'b' }], strength);
      }
      assert.deepEqual(segments(speak('a<break/>b')), [{ text: 'a', breakAfterMs: 750 }, { text: 'b' }]);
      assert.deepEqual(segments(speak('a<break strength="x-strong" time="100ms"/>b')), [{ text: 'a', breakAfterMs: 100 }, { text: 'b' }]);
    });

    it('strength none (or 0 ms) inside running words changes nothing; after a paragraph it removes the usual pause', () => {
      assert.deepEqual(segments(speak('a <break strength="none"/> b <break time="0ms"/> c')), [{ text: 'a b c' }]);
      assert.deepEqual(segments(speak('<p>a</p><break strength="none"/><p>b</p>')), [{ text: 'a', breakAfterMs: 0 }, { text: 'b' }]);
      assert.deepEqual(segments(speak('<break strength="none"/>a')), [{ text: 'a' }]);
    });

    it('a break before any words is a leading empty segment; at the end it follows the last; breaks in a row add up', () => {
      assert.deepEqual(segments(speak('<break time="300ms"/>Hi<break time="1s"/><break strength="weak"/> there<break time="2s"/>')), [
        { text: '', breakAfterMs: 300 },
        { text: 'Hi', breakAfterMs: 1500 },
        { text: 'there', breakAfterMs: 2000 },
      ]);
    });

    it('a document of breaks only is one empty segment with the total pause', () => {
      assert.deepEqual(segments(speak('<break time="1s"/> <break time="500ms"/>')), [{ text: '', breakAfterMs: 1500 }]);
    });

    it('refuses a malformed time or strength, with the position of the <break>', () => {
      assert.deepEqual(invalid(speak('a <break time="1 second"/>')).params, {
        line: 1,
        column: 10,
        detail: { key: 'ssml.breakTime', params: { value: '1 second' } },
      });
      for (const time of ['', '-1s', '1', '1m', '1.5.2s', 's']) invalid(speak(`<break time="${time}"/>`));
      const err = invalid('<speak>\n  a\n  <break strength="loud"/></speak>');
      assert.deepEqual(err.params, { line: 3, column: 3, detail: { key: 'ssml.breakStrength', params: { value: 'loud' } } });
      assert.match(err.message, /^The SSML is not valid at line 3, column 3: the break strength "loud" is not one of none, x-weak/);
    });

    it(`refuses a pause over ${MAX_BREAK_MS / 1000} s, one break or several in a row`, () => {
      assert.deepEqual(segments(speak(`a<break time="${MAX_BREAK_MS}ms"/>b`)), [{ text: 'a', breakAfterMs: MAX_BREAK_MS }, { text: 'b' }]);
      assert.deepEqual(invalid(speak('a<break time="10.5s"/>')).params.detail, { key: 'ssml.pauseTooLong', params: { ms: 10500, limit: MAX_BREAK_MS } });
      assert.deepEqual(invalid(speak('a<break time="6s"/><break time="6s"/>b')).params, {
        line: 1,
        column: 27,
        detail: { key: 'ssml.pauseTooLong', params: { ms: 12000, limit: MAX_BREAK_MS } },
      });
    });

    it('refuses pauses that add up to more than two minutes in a document', () => {
      const ok = speak('a<break time="10s"/>'.repeat(12));
      assert.equal(segments(ok).length, 12);
      const err = invalid(speak('a<break time="10s"/>'.repeat(13)));
      assert.deepEqual(err.params.detail, { key: 'ssml.totalPause', params: { limit: 120 } });
    });
  });

  describe('<p> and <s>', () => {
    it('end a segment at their start and end (the usual pause follows, no breakAfterMs)', () => {
      assert.deepEqual(segments(speak('Intro <p>First paragraph. <s>One sentence</s><s>Another</s> tail</p> outro')), [
        { text: 'Intro' },
        { text: 'First paragraph.' },
        { text: 'One sentence' },
        { text: 'Another' },
        { text: 'tail' },
        { text: 'outro' },
      ]);
      assert.deepEqual(segments(speak('<p>第一段。</p><p>第二段。</p>')), [{ text: '第一段。' }, { text: '第二段。' }]);
    });

    it('a break at a paragraph end replaces the usual pause there', () => {
      assert.deepEqual(segments(speak('<p>One<break time="2s"/></p><p>Two</p>')), [{ text: 'One', breakAfterMs: 2000 }, { text: 'Two' }]);
    });
  });

  describe('<sub>', () => {
    it('speaks the alias instead of the content', () => {
      assert.deepEqual(segments(speak('The <sub alias="World Health Organization">WHO</sub> says')), [{ text: 'The World Health Organization says' }]);
      assert.deepEqual(segments(speak('<sub alias="世界卫生组织">WHO</sub>发布了通知')), [{ text: '世界卫生组织发布了通知' }]);
      assert.deepEqual(segments(speak('<sub alias="x"><emphasis>y</emphasis></sub>')), [{ text: 'x' }]);
    });

    it('refuses a sub without alias', () => {
      assert.deepEqual(invalid(speak('<sub>WHO</sub>')).params, { line: 1, column: 8, detail: { key: 'ssml.subAlias', params: {} } });
    });
  });

  describe('<say-as>', () => {
    it('characters / spell-out / verbatim: graphemes one by one, letters in capitals, digits as words', () => {
      assert.deepEqual(segments(speak('Code <say-as interpret-as="characters">ab1</say-as>.')), [{ text: 'Code A B one.' }]);
      assert.deepEqual(segments(speak('<say-as interpret-as="spell-out">NASA</say-as>')), [{ text: 'N A S A' }]);
      assert.deepEqual(segments(speak('Key<say-as interpret-as="verbatim">x y</say-as>here')), [{ text: 'Key X Y here' }]);
      assert.deepEqual(segments(speak('验证码<say-as interpret-as="characters">A1</say-as>')), [{ text: '验证码A 一' }]);
    });

    it('digits: digit by digit, English words or Chinese digits by the language', () => {
      assert.deepEqual(segments(speak('PIN <say-as interpret-as="digits">2024</say-as>')), [{ text: 'PIN two zero two four' }]);
      assert.deepEqual(segments(speak('密码是<say-as interpret-as="digits">2024</say-as>。')), [{ text: '密码是二零二四。' }]);
      assert.deepEqual(segments(speak('<say-as interpret-as="number_digit">１０</say-as>')), [{ text: 'one zero' }]);
    });

    it('telephone: groups read with a pause between them, + as a word, 1 as 幺 in Chinese', () => {
      assert.deepEqual(segments(speak('Call <say-as interpret-as="telephone">+1 (555) 123-4567</say-as>, please')), [
        { text: 'Call plus one, five five five, one two three, four five six seven, please' },
      ]);
      assert.deepEqual(segments(speak('请拨打<say-as interpret-as="telephone">110</say-as>或<say-as interpret-as="telephone">138-0013-8000</say-as>')), [
        { text: '请拨打幺幺零或幺三八，零零幺三，八零零零' },
      ]);
    });

    it('the language: xml:lang in scope first, then the script of the segment, then of the document', () => {
      // English words, though the document is Chinese: xml:lang says so.
      assert.deepEqual(segments(speak('<p>电话</p><p xml:lang="en-US">Call <say-as interpret-as="digits">12</say-as></p>')), [
        { text: '电话' },
        { text: 'Call one two' },
      ]);
      assert.deepEqual(segments(speak('<say-as interpret-as="digits">12</say-as>', ' xml:lang="zh-CN"')), [{ text: '一二' }]);
      // No Han in the segment, but in the document.
      assert.deepEqual(segments(speak('<p>号码</p><p><say-as interpret-as="digits">12</say-as></p>')), [{ text: '号码' }, { text: '一二' }]);
      assert.deepEqual(segments(speak('<p>Code</p><p><say-as interpret-as="digits">12</say-as></p>')), [{ text: 'Code' }, { text: 'one two' }]);
    });

    it('other interpret-as values keep their words and are listed', () => {
      assert.deepEqual(parseSsml(speak('On <say-as interpret-as="date" format="ymd">2026-12-03</say-as> <say-as>x</say-as>')), {
        segments: [{ text: 'On 2026-12-03 x' }],
        ignoredTags: ['say-as@interpret-as=date', 'say-as'],
      });
    });
  });

  describe('<prosody rate>', () => {
    it('maps keywords (Azure Speech values), percentages (W3C), signed percentages and numbers (Azure), clamped to 0.5–2', () => {
      const table: Array<[string, number]> = [
        ['x-slow', 0.5],
        ['slow', 0.64],
        ['medium', 1],
        ['default', 1],
        ['fast', 1.55],
        ['x-fast', 2],
        ['80%', 0.8],
        ['150%', 1.5],
        ['100%', 1],
        ['10%', 0.5],
        ['500%', 2],
        ['+20%', 1.2],
        ['-20%', 0.8],
        ['-90%', 0.5],
        ['+0%', 1],
        ['1.2', 1.2],
        ['0.1', 0.5],
        ['3', 2],
        [' FAST ', 1.55],
      ];
      for (const [value, factor] of table) assert.equal(prosodyRate(value), factor, value);
      for (const value of ['quick', '', '-1', '+2', '%', '1.5x', '20 %']) assert.equal(prosodyRate(value), undefined, value);
    });

    it('carries rate on the segments inside; a change of rate ends a segment; the innermost rate applies', () => {
      assert.deepEqual(segments(speak('Normal <prosody rate="slow">slow <prosody rate="150%">quick</prosody> slow again</prosody> normal')), [
        { text: 'Normal' },
        { text: 'slow', rate: 0.64 },
        { text: 'quick', rate: 1.5 },
        { text: 'slow again', rate: 0.64 },
        { text: 'normal' },
      ]);
      assert.deepEqual(segments(speak('a <prosody rate="medium">b</prosody> c')), [{ text: 'a b c' }]);
      assert.deepEqual(segments(speak('<prosody rate="x-fast">快速播报<break time="1s"/>结束</prosody>')), [
        { text: '快速播报', rate: 2, breakAfterMs: 1000 },
        { text: '结束', rate: 2 },
      ]);
    });

    it('lists the prosody attributes it cannot honour, keeps the words', () => {
      assert.deepEqual(parseSsml(speak('<prosody pitch="high" volume="loud">Hi</prosody><prosody rate="fast" contour="(0%,+20Hz)">there</prosody>')), {
        segments: [{ text: 'Hi' }, { text: 'there', rate: 1.55 }],
        ignoredTags: ['prosody@pitch', 'prosody@volume', 'prosody@contour'],
      });
    });

    it('refuses a malformed rate', () => {
      assert.deepEqual(invalid(speak('<prosody rate="quick">x</prosody>')).params.detail, { key: 'ssml.rate', params: { value: 'quick' } });
    });
  });

  describe('other elements', () => {
    it('are removed with their words kept and listed once each, in order; vendor tags too', () => {
      const ssml = speak(
        '<voice name="en-US-JennyNeural"><mstts:express-as style="cheerful">Hi <emphasis>there</emphasis>,</mstts:express-as> ' +
          '<lang xml:lang="fr-FR">bonjour</lang> <phoneme alphabet="ipa" ph="təˈmeɪtoʊ">tomato</phoneme><mark name="m"/> ' +
          '<emphasis>again</emphasis> <audio src="bell.wav">ding<desc>a bell</desc></audio> <amazon:effect name="whispered">psst</amazon:effect></voice>',
        ' xmlns:mstts="https://www.w3.org/2001/mstts"',
      );
      assert.deepEqual(parseSsml(ssml), {
        segments: [{ text: 'Hi there, bonjour tomato again ding psst' }],
        ignoredTags: ['voice', 'mstts:express-as', 'emphasis', 'lang', 'phoneme', 'mark', 'audio', 'desc', 'amazon:effect'],
      });
    });

    it(`lists at most ${MAX_IGNORED_TAGS} names (the first ones)`, () => {
      const tags = Array.from({ length: 30 }, (_, i) => `<t${i}>w${i}</t${i}>`).join(' ');
      const { segments: said, ignoredTags } = parseSsml(speak(tags));
      assert.deepEqual(ignoredTags, Array.from({ length: MAX_IGNORED_TAGS }, (_, i) => `t${i}`));
      assert.equal(said[0].text.split(' ').length, 30);
    });

    it('does not speak metadata, lexicon or desc', () => {
      assert.deepEqual(segments(speak('<metadata><x>rdf</x></metadata><lexicon uri="x"/>Words')), [{ text: 'Words' }]);
    });
  });

  describe('invalid XML', () => {
    it('reports line and column (1-based, in characters) and what is wrong', () => {
      const err = invalid('<speak>\n  Hello <emphasis>big</speak>');
      assert.deepEqual(err.params, { line: 2, column: 29, detail: 'unexpected close tag' });
      assert.equal(err.message, 'The SSML is not valid at line 2, column 29: unexpected close tag');
    });

    it('counts leading white space and lines into the position', () => {
      assert.deepEqual(invalid('\n\n   <speak>a</speek>').params, { line: 3, column: 19, detail: 'unexpected close tag' });
      assert.deepEqual(invalid('   <speak>a</speek>').params, { line: 1, column: 19, detail: 'unexpected close tag' });
    });

    it('counts an emoji as one character', () => {
      assert.deepEqual(invalid('<speak>😀😀 <b x=1/></speak>').params, { line: 1, column: 16, detail: 'unquoted attribute value' });
    });

    it('refuses unclosed tags, text after the root, two roots, a bare &', () => {
      assert.match(String(invalid('<speak>Hello').params.detail), /unclosed tag: speak/);
      assert.equal(invalid('<speak>a</speak> trailing').params.detail, 'text data outside of root node');
      assert.equal(invalid('<speak>a</speak><speak>b</speak>').params.line, 1);
      assert.equal(invalid('<speak>Tom & Jerry</speak>').params.line, 1);
    });

    it('the Chinese text of the error names the position too', () => {
      const err = invalid('<speak>\n<break time="x"/></speak>');
      assert.deepEqual(err.params, { line: 2, column: 1, detail: { key: 'ssml.breakTime', params: { value: 'x' } } });
      const zh = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../../nodes/locales/zh-CN/voxcpm.json'), 'utf8')) as { errors: unknown }).errors;
      const lookup = (key: string): string | undefined => {
        let at: unknown = zh;
        for (const part of key.split('.')) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined;
        return typeof at === 'string' ? at : undefined;
      };
      assert.equal(renderPhrase(lookup, err.key, err.params), 'SSML 在第 2 行第 1 列无效：停顿时长“x”不是 500ms 或 1.5s 这样的时长');
    });
  });

  describe('bounds', () => {
    it(`refuses nesting deeper than ${MAX_DEPTH}`, () => {
      const ok = `<speak>${'<emphasis>'.repeat(MAX_DEPTH - 1)}x${'</emphasis>'.repeat(MAX_DEPTH - 1)}</speak>`;
      assert.deepEqual(segments(ok), [{ text: 'x' }]);
      const deep = `<speak>${'<emphasis>'.repeat(MAX_DEPTH)}x${'</emphasis>'.repeat(MAX_DEPTH)}</speak>`;
      assert.deepEqual(invalid(deep).params.detail, { key: 'ssml.tooDeep', params: { limit: MAX_DEPTH } });
    });

    it('reads a large document in one pass (200,000 characters of tags, text and entities)', function () {
      this.timeout(20_000);
      const unit = '<s>Word &amp; <emphasis>more</emphasis> 中文 <sub alias="x">y</sub></s>';
      const ssml = speak(unit.repeat(Math.ceil(200_000 / unit.length)));
      const result = parseSsml(ssml);
      assert.equal(result.segments.length, Math.ceil(200_000 / unit.length));
      assert.deepEqual(result.segments[0], { text: 'Word & more 中文 x' });
      // An unclosed giant attribute is refused, not hung on.
      assert.match(String(invalid(`<speak><break time="${'1'.repeat(200_000)}`).params.detail), /^unclosed tag/);
    });
  });
});
