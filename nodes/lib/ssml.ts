/**
 * SSML (Speech Synthesis Markup Language, W3C 1.1) as pasted from other TTS
 * services, turned into plain text segments with exact pauses between them:
 * VoxCPM2 reads markup aloud and has no pause control of its own, but the nodes
 * join the audio of several requests and can put real silence there.
 *
 * The XML is read by `saxes` (a streaming, conforming XML parser that reports
 * line and column), never by regular expressions. Entities (&amp; &lt; &#x4E2D;)
 * are decoded by it; an entity a DTD would define (&nbsp;) is an error, so no
 * entity is ever expanded. One pass over the input, so linear time.
 *
 * Understood (everything else: element removed, its words kept, its name listed
 * once in `ignoredTags`):
 * - `<speak>`: the root, with or without xmlns, version, xml:lang;
 * - `<break time="500ms|1s|1.5s"/>`, or `strength` (BREAK_STRENGTH_MS); a break
 *   with neither is `medium`; `time` wins over `strength` (W3C);
 * - `<p>`, `<s>`: a segment ends at their start and end (the usual pause);
 * - `<sub alias="…">`: the alias is spoken, the content is not;
 * - `<say-as interpret-as="characters|spell-out|verbatim|digits|number_digit|telephone">`;
 * - `<prosody rate="…">` (PROSODY_RATE and percentages, see `prosodyRate`),
 *   carried as `rate` on the segments inside; pitch, volume, contour, range and
 *   duration are listed as ignored (`prosody@pitch`).
 * Not spoken at all: the content of `<desc>`, `<metadata>`, `<meta>`, `<lexicon>`
 * (listed as ignored too).
 *
 * Segments (what the integrator speaks, in order):
 * - each has text (white space collapsed, none kept at a line break between CJK
 *   characters, trimmed, never only white space) or an
 *   empty text when it only carries a pause: a break before any words gives a
 *   leading `{ text: '', breakAfterMs }`;
 * - `breakAfterMs` set: exactly that much silence follows the segment (0: none),
 *   replacing the usual pause; breaks with no words between them add up;
 * - `breakAfterMs` absent: the usual pause between pieces follows (a `<p>` or
 *   `<s>` boundary, a change of rate), none after the last segment;
 * - `rate` set when the speed factor is not 1 (0.5–2.0).
 * A document with no words and no breaks gives no segments.
 */
import { SaxesParser } from 'saxes';
import { SPEED_RANGE } from './defaults';
import { phrase, type Phrase, VoxcpmError } from './errors';
import { graphemes } from './graphemes';
import { digitWord, type NumberLanguage } from './numbers';

export interface SpeechSegment {
  text: string;
  /** Milliseconds of exact silence after this segment (instead of the usual pause). */
  breakAfterMs?: number;
  /** Speed factor, 0.5–2.0; absent means 1. */
  rate?: number;
}

/**
 * Milliseconds of a break's `strength`. W3C leaves the values to the engine; these
 * are Azure Speech's documented ones (x-weak 250 … x-strong 1250 ms), which
 * Google's and most pasted SSML assume too. `none` is no pause.
 */
export const BREAK_STRENGTH_MS: Readonly<Record<string, number>> = {
  none: 0,
  'x-weak': 250,
  weak: 500,
  medium: 750,
  strong: 1000,
  'x-strong': 1250,
};

/** Speed factors of the rate keywords: Azure Speech's documented values. */
export const PROSODY_RATE: Readonly<Record<string, number>> = {
  'x-slow': 0.5,
  slow: 0.64,
  medium: 1,
  default: 1,
  fast: 1.55,
  'x-fast': 2,
};

/** The speed factor is clamped to this range: the speed setting's (what the audio's time-stretch does well). */
export const MIN_RATE = SPEED_RANGE.min;
export const MAX_RATE = SPEED_RANGE.max;
/** A longer pause (one break, or breaks that add up) is refused: Google refuses past 10 s too. */
export const MAX_BREAK_MS = 10_000;
/** All pauses of a document together: bounds the silence (memory) one message can make. */
export const MAX_TOTAL_BREAK_MS = 120_000;
/** Elements nested deeper are refused (real SSML nests 3–5 deep). */
export const MAX_DEPTH = 64;
/** At most this many names in `ignoredTags` (the first ones): they end up in one warning. */
export const MAX_IGNORED_TAGS = 20;

/** Whether the text is SSML: starts with `<speak` after whitespace / a BOM (an XML declaration may come first). */
export function isSsml(text: string): boolean {
  return /^\uFEFF?\s*(?:<\?xml\s[^>]*>\s*)?<speak(?=[\s>/])/.test(text);
}

type Lang = NumberLanguage;
type SayAsKind = 'characters' | 'digits' | 'telephone';

const SAY_AS: Readonly<Record<string, SayAsKind>> = {
  characters: 'characters',
  'spell-out': 'characters',
  verbatim: 'characters',
  digits: 'digits',
  number_digit: 'digits',
  telephone: 'telephone',
};

/** Elements whose content is not spoken (descriptions, metadata). */
const NOT_SPOKEN = new Set(['desc', 'metadata', 'meta', 'lexicon']);
/** Prosody attributes the nodes cannot honour (VoxCPM2 has no pitch or volume control). */
const PROSODY_IGNORED = ['pitch', 'volume', 'contour', 'range', 'duration'];

const HAN = /\p{Script=Han}/u;
const WORD_END = /[\p{L}\p{N}]$/u;
const WORD_START = /^[\p{L}\p{N}]/u;

/** A say-as waiting for its segment: its language may depend on the words around it. */
interface SayAsPart {
  kind: SayAsKind;
  text: string;
  lang: Lang | undefined;
}

interface Frame {
  name: string;
  rate: number;
  lang: Lang | undefined;
}

/** Content read instead of spoken: a say-as's text, or the dropped content of sub/desc. */
interface Capture {
  kind: SayAsKind | 'drop';
  parts: string[];
  /** Elements open inside the capturing one. */
  depth: number;
  lang: Lang | undefined;
  /** What is spoken in place of the content (sub's alias). */
  alias?: string;
}

/**
 * Reads an SSML document into speech segments (see the module comment for their
 * meaning) and the names of the elements it did not understand, each once, in
 * order of appearance (`emphasis`, `prosody@pitch`, `say-as@interpret-as=date`),
 * at most MAX_IGNORED_TAGS of them.
 *
 * Throws VoxcpmError VOXCPM_INPUT_INVALID (key `ssml.invalid`, params line,
 * column, detail) when the XML does not parse, the root is not `<speak>`, a
 * break's time or strength, a prosody rate or a sub's alias is not valid, a
 * pause is over MAX_BREAK_MS, all pauses over MAX_TOTAL_BREAK_MS, or elements
 * nest deeper than MAX_DEPTH. Line and column are 1-based, the column counted in
 * characters (code points); for an element, where its `<` is.
 */
export function parseSsml(text: string): { segments: SpeechSegment[]; ignoredTags: string[] } {
  // Leading white space (and a BOM) would be an error before an XML declaration:
  // skip it, and count it back into the positions.
  const lead = /^\uFEFF?\s*/.exec(text)?.[0] ?? '';
  const leadLines = lead.split(/\r\n|\r|\n/);
  const lineOffset = leadLines.length - 1;
  const columnOffset = lineOffset > 0 ? [...leadLines[lineOffset]].length : [...lead.replace(/^\uFEFF/, '')].length;
  const at = (line: number, column: number) => ({
    line: line + lineOffset,
    column: line === 1 ? column + columnOffset : column,
  });
  const fail = (line: number, column: number, detail: string | Phrase): never => {
    const where = at(line, column);
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'ssml.invalid', { line: where.line, column: where.column, detail });
  };

  const documentLang: Lang = HAN.test(text) ? 'zh' : 'en';
  const segments: SpeechSegment[] = [];
  const ignored = new Set<string>();
  const ignore = (name: string) => {
    if (ignored.size < MAX_IGNORED_TAGS) ignored.add(name);
  };
  const stack: Frame[] = [];
  let pending: Array<string | SayAsPart> = [];
  let capture: Capture | undefined;
  let totalBreak = 0;
  // Where the element being opened starts.
  let tagLine = 1;
  let tagColumn = 1;

  const rate = () => stack[stack.length - 1]?.rate ?? 1;

  /** Ends the current segment (if it has words), spoken at the current rate. */
  const flush = () => {
    if (pending.length === 0) return;
    const hasHan = pending.some((p) => typeof p === 'string' && HAN.test(p));
    let words = '';
    let spaceNext = false;
    for (const p of pending) {
      if (typeof p === 'string') {
        words += spaceNext && WORD_START.test(p) ? ` ${p}` : p;
        spaceNext = false;
        continue;
      }
      const lang = p.lang ?? (hasHan ? 'zh' : documentLang);
      const said = sayAs(p.kind, p.text, lang);
      // English words need a space from the words they touch ("Code<say-as>AB</say-as>").
      words += lang === 'en' && WORD_END.test(words) ? ` ${said}` : said;
      spaceNext = lang === 'en';
    }
    pending = [];
    const spoken = collapse(words);
    if (spoken === '') return;
    const r = rate();
    segments.push(r === 1 ? { text: spoken } : { text: spoken, rate: r });
  };

  const addBreak = (ms: number) => {
    // No pause within running words changes nothing (it would only cut a request in two).
    if (ms === 0 && pending.some((p) => typeof p !== 'string' || /\S/.test(p))) return;
    flush();
    const last = segments[segments.length - 1];
    if (ms === 0 && last === undefined) return;
    totalBreak += ms;
    if (totalBreak > MAX_TOTAL_BREAK_MS) fail(tagLine, tagColumn, phrase('ssml.totalPause', { limit: MAX_TOTAL_BREAK_MS / 1000 }));
    if (last === undefined) {
      segments.push({ text: '', breakAfterMs: ms });
      return;
    }
    const sum = (last.breakAfterMs ?? 0) + ms;
    if (sum > MAX_BREAK_MS) fail(tagLine, tagColumn, phrase('ssml.pauseTooLong', { ms: sum, limit: MAX_BREAK_MS }));
    last.breakAfterMs = sum;
  };

  const parser = new SaxesParser({ position: true, xmlns: false });
  parser.on('error', (err: Error) => {
    fail(parser.line, parser.column, err.message.replace(/^(?:.*?:)?\d+:\d+: /, '').replace(/\.$/, ''));
  });
  parser.on('opentagstart', (tag) => {
    tagLine = parser.line;
    // The parser has read the name and the character after it.
    tagColumn = parser.column - [...tag.name].length - 1;
  });
  parser.on('opentag', (tag) => {
    const name = tag.name;
    const attrs: Record<string, string> = tag.attributes;
    if (stack.length === 0 && name !== 'speak') fail(tagLine, tagColumn, phrase('ssml.notSpeak', { name }));
    if (stack.length >= MAX_DEPTH) fail(tagLine, tagColumn, phrase('ssml.tooDeep', { limit: MAX_DEPTH }));
    const parent = stack[stack.length - 1];
    const frame: Frame = {
      name,
      rate: parent?.rate ?? 1,
      lang: 'xml:lang' in attrs ? langOf(attrs['xml:lang']) : parent?.lang,
    };
    stack.push(frame);
    if (capture) {
      capture.depth++;
      ignore(name);
      return;
    }
    switch (name) {
      case 'speak':
        if (parent) ignore(name);
        return;
      case 'p':
      case 's':
        flush();
        return;
      case 'break': {
        let ms: number;
        if (attrs.time !== undefined) {
          const parsed = breakTime(attrs.time);
          if (parsed === undefined) return fail(tagLine, tagColumn, phrase('ssml.breakTime', { value: attrs.time }));
          ms = parsed;
        } else if (attrs.strength !== undefined) {
          const parsed = Object.prototype.hasOwnProperty.call(BREAK_STRENGTH_MS, attrs.strength) ? BREAK_STRENGTH_MS[attrs.strength] : undefined;
          if (parsed === undefined) return fail(tagLine, tagColumn, phrase('ssml.breakStrength', { value: attrs.strength }));
          ms = parsed;
        } else {
          ms = BREAK_STRENGTH_MS.medium;
        }
        if (ms > MAX_BREAK_MS) fail(tagLine, tagColumn, phrase('ssml.pauseTooLong', { ms, limit: MAX_BREAK_MS }));
        addBreak(ms);
        return;
      }
      case 'prosody': {
        for (const a of PROSODY_IGNORED) if (attrs[a] !== undefined) ignore(`prosody@${a}`);
        if (attrs.rate === undefined) return;
        const r = prosodyRate(attrs.rate);
        if (r === undefined) return fail(tagLine, tagColumn, phrase('ssml.rate', { value: attrs.rate }));
        if (r !== frame.rate) {
          flush();
          frame.rate = r;
        }
        return;
      }
      case 'sub':
        if (attrs.alias === undefined) return fail(tagLine, tagColumn, phrase('ssml.subAlias'));
        capture = { kind: 'drop', parts: [], depth: 0, lang: frame.lang, alias: attrs.alias };
        return;
      case 'say-as': {
        const how = attrs['interpret-as'];
        const kind = how === undefined ? undefined : Object.prototype.hasOwnProperty.call(SAY_AS, how) ? SAY_AS[how] : undefined;
        if (kind) capture = { kind, parts: [], depth: 0, lang: frame.lang };
        else ignore(how === undefined ? 'say-as' : `say-as@interpret-as=${how}`);
        return;
      }
      default:
        ignore(name);
        if (NOT_SPOKEN.has(name)) capture = { kind: 'drop', parts: [], depth: 0, lang: frame.lang };
    }
  });
  parser.on('closetag', () => {
    const frame = stack[stack.length - 1];
    if (!frame) return;
    // The words before an end tag are spoken at the rate inside it.
    if (!capture && (frame.name === 'p' || frame.name === 's' || (frame.name === 'prosody' && frame.rate !== (stack[stack.length - 2]?.rate ?? 1)))) flush();
    stack.pop();
    if (capture) {
      if (capture.depth > 0) {
        capture.depth--;
        return;
      }
      const done = capture;
      capture = undefined;
      if (done.kind === 'drop') {
        if (done.alias !== undefined) pending.push(done.alias);
      } else {
        pending.push({ kind: done.kind, text: done.parts.join(''), lang: done.lang });
      }
    }
  });
  const onText = (t: string) => {
    if (stack.length === 0) return;
    if (capture) {
      if (capture.kind !== 'drop') capture.parts.push(t);
    } else {
      pending.push(t);
    }
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  parser.write(text.slice(lead.length)).close();
  flush();
  return { segments, ignoredTags: [...ignored] };
}

/** Characters written without spaces between them. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef]/u;

/**
 * Runs of white space become one space, none where a line break falls between
 * two CJK characters (the document's line wrapping, not a space the writer
 * meant); the ends are trimmed.
 */
function collapse(text: string): string {
  return text
    .replace(/\s+/g, (ws: string, at: number) => {
      const wrapped = /[\n\r]/.test(ws) && at > 0 && CJK.test(text[at - 1]) && CJK.test(text[at + ws.length] ?? '');
      return wrapped ? '' : ' ';
    })
    .trim();
}

function langOf(tag: string): Lang | undefined {
  if (/^(?:zh|cmn|yue|wuu|hak|nan)(?:-|_|$)/i.test(tag)) return 'zh';
  if (/^en(?:-|_|$)/i.test(tag)) return 'en';
  return undefined;
}

/** `500ms`, `1s`, `1.5s`, `.5s` (W3C time designation) → milliseconds, rounded; undefined when malformed. */
export function breakTime(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2].toLowerCase() === 's' ? 1000 : 1);
  return Number.isFinite(n) ? Math.round(n) : undefined;
}

/**
 * A prosody rate → a speed factor clamped to MIN_RATE–MAX_RATE, rounded to
 * 0.01; undefined when malformed. Values are relative to the voice's normal
 * speed, not to an enclosing prosody (W3C 1.1), so the innermost rate applies:
 * - keywords: PROSODY_RATE;
 * - a percentage, W3C: `80%` → 0.8, `150%` → 1.5;
 * - a signed percentage, Azure: `+20%` → 1.2, `-20%` → 0.8;
 * - a number, Azure: `1.2` → 1.2.
 */
export function prosodyRate(value: string): number | undefined {
  const v = value.trim().toLowerCase();
  let factor: number | undefined;
  if (Object.prototype.hasOwnProperty.call(PROSODY_RATE, v)) factor = PROSODY_RATE[v];
  else {
    const m = /^([+-])?(\d+(?:\.\d*)?|\.\d+)(%)?$/.exec(v);
    if (!m) return undefined;
    const n = Number(m[2]);
    if (m[1] && m[3]) factor = 1 + (m[1] === '-' ? -n : n) / 100;
    else if (m[1]) return undefined;
    else factor = m[3] ? n / 100 : n;
  }
  const clamped = Math.min(MAX_RATE, Math.max(MIN_RATE, factor));
  return Math.round(clamped * 100) / 100;
}

const PHONE_SYMBOLS: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  en: { '+': 'plus', '*': 'star', '#': 'hash' },
  zh: { '+': '加', '*': '星', '#': '井' },
};

/**
 * The words VoxCPM2 reads for a say-as: spelled out as words rather than left as
 * digits, since with the server's text normalisation off (its default) the model
 * reads digit strings unreliably.
 * - characters (spell-out, verbatim): one grapheme after another, separated by
 *   spaces, Latin letters in capitals (read as letter names), digits as words;
 * - digits: every digit as its word; other characters kept; separated by spaces
 *   in English, run together in Chinese (零一二);
 * - telephone: like digits, the groups (between spaces - . ( ) /) separated by a
 *   comma so that they are read with a short pause; + * # as words; in Chinese 1
 *   is 幺.
 */
export function sayAs(kind: SayAsKind, text: string, lang: Lang): string {
  const word = (ch: string) => digitWord(ch, lang, kind === 'telephone') ?? ch;
  const join = lang === 'zh' ? '' : ' ';
  if (kind === 'characters') {
    const out: string[] = [];
    for (const segment of graphemes(text)) {
      if (/^\s+$/.test(segment)) continue;
      out.push(word(/^[a-z]$/.test(segment) ? segment.toUpperCase() : segment));
    }
    return out.join(' ');
  }
  if (kind === 'digits') {
    return text
      .trim()
      .split(/\s+/)
      .filter((g) => g !== '')
      .map((g) => [...g].map(word).join(join))
      .join(' ');
  }
  const symbols = PHONE_SYMBOLS[lang];
  return text
    .split(/[\s\-.()/]+/)
    .filter((g) => g !== '')
    .map((g) => [...g].map((ch) => symbols[ch] ?? word(/^[a-z]$/.test(ch) ? ch.toUpperCase() : ch)).join(join))
    .join(lang === 'zh' ? '，' : ', ');
}
