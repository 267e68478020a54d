/**
 * Splits long text into pieces that VoxCPM2 speaks well.
 *
 * Past ~300 Chinese characters in one request the voice speeds up, buzzes or
 * repeats itself, and a request of 1–3 characters is unstable. So a long text is
 * cut, preferably at sentence ends, then at pauses (commas, colons), then between
 * words, and the pieces are packed greedily: consecutive sentences share a request
 * while it stays within the limit (fewer requests, better prosody).
 *
 * Word and sentence boundaries come from the platform's `Intl.Segmenter` (ICU:
 * dictionary-based words for Chinese and Japanese, UAX #29 sentences). On top of
 * it: `；;` `…` and line breaks end a sentence (UAX #29 does not say so), and
 * numbers ("3.14", "1,000", "12:30"), URLs, e-mail addresses and hyphenated words
 * are never cut, and a piece never ends after a common abbreviation ("Mr.",
 * "e.g.", "7 a.m.": see ABBREVIATIONS). Only a "word" too long for one piece (a
 * 400-character URL) is cut, between grapheme clusters, so an emoji or a
 * surrogate pair stays whole; so is a run of emoji or symbols too long for one.
 *
 * Guarantees, for a text longer than the limit (a shorter one comes back whole):
 * - `splitText(t, n).join('') === t`: white space stays attached to a piece;
 * - every piece contains a letter or a digit (CJK included), so none is only white
 *   space or punctuation, provided the text contains one at all, unless a run of
 *   emoji or symbols is too long to share a piece with one;
 * - every piece, trimmed, holds at most the limit of grapheme clusters;
 * - no piece ends inside a grapheme cluster, nor inside a word that fits in a piece.
 *
 * Lengths are counted in grapheme clusters (Intl.Segmenter), the characters a
 * person would count: "👨‍👩‍👧" is one, "é" written with a combining accent is one.
 */
import { EXTENDING, graphemes, isLowSurrogate, segmentInWindows, sentenceWindows } from './graphemes';

/** Smaller limits are raised to this: a 1–3 character request is unstable anyway. */
export const MIN_CHUNK = 10;

/** What the server can speak: a letter (CJK ideographs are letters) or a digit. */
export const SPEAKABLE = /[\p{L}\p{N}]/u;
/** Ends a sentence besides what UAX #29 already knows (。！？!? and paragraph separators). */
const SENTENCE_END = /[。！？!?；;…‥⋯｡︒﹒﹔﹖﹗\n\r\v\f\u0085\u2028\u2029]/u;
/** CJK punctuation: a word always ends after it. */
const CJK_PUNCTUATION = /[\u3001-\u3003\u3008-\u3011\u3014-\u301f\uff01\uff08\uff09\uff1a\uff1b\uff1f\u2026]/u;
/** A pause inside a sentence. */
const PAUSE = /[，、,：:﹐﹑﹕︐︑︓—–]/u;
const OPENER = /[\p{Ps}\p{Pi}]/u;

/**
 * Runs of text that must not be cut: URLs, e-mail addresses, numbers with
 * separators (3.14, 1,000, 12:30, 2024-05-01) and hyphenated Latin, Greek or
 * Cyrillic words. ICU keeps "3.14", "1,000", "v2.5" and "don't" whole by itself,
 * but cuts "12:30", URLs, e-mail addresses and "well-known".
 */
const LATIN_WORD = String.raw`[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}]`;
const GUARDED = new RegExp(
  // Each starts only where a run of its characters starts (the look-behinds): a
  // match tried from every position of a long run would take quadratic time.
  [
    String.raw`(?<![A-Za-z0-9])(?:(?:https?|s?ftps?|wss?|rtsps?|file):\/\/|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+`,
    String.raw`(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`,
    String.raw`(?<!\p{Nd})\p{Nd}+(?:[.,:/\-．：，]\p{Nd}+)+`,
    String.raw`(?<!${LATIN_WORD})${LATIN_WORD}+(?:[-‐]${LATIN_WORD}+)+`,
  ].join('|'),
  'giu',
);
/** Punctuation after a URL or an address that is not part of it ("see https://x.org."). */
const TRAILING_PUNCTUATION = /[.,;:!?'")\]]+$/;

/**
 * Abbreviations after which a full stop does not end a sentence, and after which
 * a piece never ends (the name after "Mr." would start a new breath).
 *
 * The first list is ICU's sentence-break suppressions for English, CLDR
 * `common/segments/en.xml` (as generated into ICU4C
 * `icu4c/source/data/brkitr/en.txt`): ICU applies them only when a break
 * iterator is asked for them (`en@ss=standard`), and V8's Intl.Segmenter drops
 * the `-u-ss-standard` extension (Node 20: `resolvedOptions().locale` is `en`,
 * "Mr. | Jones" still cut), so they are applied here. CLDR lists them in one
 * case only; the second list adds the lower-case and common forms it lacks
 * (Dr., St., No., e.g., i.e., etc., p.m.), as the issue asks. Matched with the
 * case as written, on the whole token before the cut ("(Mr." counts).
 */
const CLDR_EN_SUPPRESSIONS = [
  'L.P.', 'Alt.', 'Approx.', 'E.G.', 'O.', 'Maj.', 'Misc.', 'P.O.', 'J.D.', 'Jam.', 'Card.', 'Dec.', 'Sept.', 'MR.',
  'Long.', 'Hat.', 'G.', 'Link.', 'DC.', 'D.C.', 'M.T.', 'Hz.', 'Mrs.', 'By.', 'Act.', 'Var.', 'N.V.', 'Aug.', 'B.',
  'S.A.', 'Up.', 'Job.', 'Num.', 'M.I.T.', 'Ok.', 'Org.', 'Ex.', 'Cont.', 'U.', 'Mart.', 'Fn.', 'Abs.', 'Lt.', 'OK.',
  'Z.', 'E.', 'Kb.', 'Est.', 'A.M.', 'L.A.', 'Prof.', 'U.S.', 'Nov.', 'Ph.D.', 'Mar.', 'I.T.', 'exec.', 'Jan.', 'N.Y.',
  'X.', 'Md.', 'Op.', 'vs.', 'D.A.', 'A.D.', 'R.L.', 'P.M.', 'Or.', 'M.R.', 'Cap.', 'PC.', 'Feb.', 'Exec.', 'I.e.',
  'Sep.', 'Gb.', 'K.', 'U.S.C.', 'Mt.', 'S.', 'A.S.', 'C.O.D.', 'Capt.', 'Col.', 'In.', 'C.F.', 'Adj.', 'AD.', 'I.D.',
  'Mgr.', 'R.T.', 'B.V.', 'M.', 'Conn.', 'Yr.', 'Rev.', 'Phys.', 'pp.', 'Ms.', 'To.', 'Sgt.', 'J.K.', 'Nr.', 'Jun.',
  'Fri.', 'S.A.R.', 'Lev.', 'Lt.Cdr.', 'Def.', 'F.', 'Do.', 'Joe.', 'Id.', 'Mr.', 'Dept.', 'Is.', 'Pvt.', 'Diff.',
  'Hon.B.A.', 'Q.', 'Mb.', 'On.', 'Min.', 'J.B.', 'Ed.', 'AB.', 'A.', 'S.p.A.', 'I.', 'a.m.', 'Comm.', 'Go.', 'VS.',
  'L.', 'All.', 'PP.', 'P.V.', 'T.', 'K.R.', 'Etc.', 'D.', 'Adv.', 'Lib.', 'E.g.', 'Pro.', 'U.S.A.', 'S.E.', 'AA.',
  'Rep.', 'Sq.', 'As.',
];
const OUR_SUPPRESSIONS = [
  'Dr.', 'DR.', 'St.', 'ST.', 'No.', 'NO.', 'Nos.', 'e.g.', 'i.e.', 'etc.', 'p.m.', 'a.m.', 'Jr.', 'Sr.', 'Mrs.', 'MRS.',
  'Ms.', 'MS.', 'Mx.', 'cf.', 'approx.', 'Inc.', 'Ltd.', 'Co.', 'Corp.', 'Ave.', 'Rd.', 'Blvd.', 'Gen.', 'Gov.', 'Sen.',
  'Jul.', 'Apr.', 'Oct.', 'Mon.', 'Tue.', 'Wed.', 'Thu.', 'Sat.', 'Sun.', 'Fig.', 'fig.', 'vol.', 'Vol.', 'ca.',
];
export const ABBREVIATIONS: ReadonlySet<string> = new Set([...CLDR_EN_SUPPRESSIONS, ...OUR_SUPPRESSIONS]);
/** The token before a cut: what follows the last white space, less opening brackets and quotes. */
const LAST_TOKEN = /[\p{Ps}\p{Pi}"']*([^\s\p{Ps}\p{Pi}"']+)\s*$/u;

/** Boundary strengths, weakest first. */
const GRAPHEME = 0;
/** After an abbreviation: used only where no word boundary is left (contrived text). */
const ABBREVIATION = 1;
const WORD = 2;
const CLAUSE = 3;
const SENTENCE = 4;

interface Cut {
  at: number;
  level: number;
}

let wordSegmenter: Intl.Segmenter | undefined;

function getWordSegmenter(): Intl.Segmenter {
  // 'zh': the dictionary-based word rules cover Chinese and Japanese whatever the
  // locale; a fixed locale keeps the result independent of the host's settings.
  wordSegmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
  return wordSegmenter;
}

/**
 * Splits `text` into pieces of at most `maxChunk` characters (after trimming),
 * cut at sentence ends first, then at pauses, then between words; never inside a
 * word, a number, a URL or an e-mail address unless that alone is too long.
 *
 * `maxChunk` below 10 (or not a number) is taken as 10. A text no longer than
 * `maxChunk`, or with nothing speakable in it, is returned whole: `[text]`.
 * The caller trims each piece before sending it.
 */
export function splitText(text: string, maxChunk: number): string[] {
  const max = Number.isNaN(maxChunk) ? MIN_CHUNK : Math.max(MIN_CHUNK, Math.floor(maxChunk));
  if (text.length <= max) return [text]; // never more graphemes than code units
  const graphemes = graphemeIndex(text);
  if (graphemes && graphemes[text.length] <= max) return [text];
  const found = findCuts(text);
  if (!found) return [text];
  const splitter = new Splitter(text, max, found.cuts, found.words, graphemes);
  const ends = splitter.split(0, text.length, SENTENCE);
  const pieces = splitter.tidy(ends);
  return pieces.map(([start, end]) => text.slice(start, end));
}

/**
 * Every place the text may be cut between two words, with its strength. There is
 * at most one per gap between two words: after the gap's white space, or before
 * the opening quotes and brackets that start the next word; otherwise at the end
 * of the gap, so closing punctuation stays with its sentence. Returns undefined
 * when the text has no word at all.
 */
function findCuts(text: string): { cuts: Cut[]; words: number[] } | undefined {
  const words: number[] = []; // start, end, start, end...
  for (const { segment, index } of segmentInWindows(getWordSegmenter(), text, wordSafe, WINDOW)) {
    if (SPEAKABLE.test(segment)) words.push(index, index + segment.length);
  }
  if (words.length === 0) return undefined;
  const guarded = guardedRanges(text);
  const sentences = [...sentenceWindows(text)].flatMap((window) => window.starts);

  const cuts: Cut[] = [];
  let g = 0;
  let s = 0;
  for (let w = 2; w < words.length; w += 2) {
    const gapStart = words[w - 1];
    const gapEnd = words[w];
    const at = cutInGap(text, gapStart, gapEnd);
    while (g < guarded.length && guarded[g][1] <= at) g++;
    if (g < guarded.length && guarded[g][0] < at) continue; // inside a URL, a number...
    const gap = text.slice(gapStart, gapEnd);
    while (s < sentences.length && sentences[s] <= gapStart) s++;
    let level = WORD;
    if (SENTENCE_END.test(gap) || (s < sentences.length && sentences[s] <= gapEnd)) level = SENTENCE;
    else if (PAUSE.test(gap)) level = CLAUSE;
    // "Mr. Jones", "7 a.m. tomorrow": no cut after an abbreviation (a line break still ends a sentence).
    if (level !== SENTENCE || !/[\n\r\v\f\u0085\u2028\u2029]/.test(gap)) {
      if (endsWithAbbreviation(text, words[w - 2], at)) level = ABBREVIATION;
    }
    cuts.push({ at, level });
  }
  return { cuts, words };
}

/** Whether text[wordStart, at) ends with an abbreviation of ABBREVIATIONS (white space after it allowed). */
function endsWithAbbreviation(text: string, wordStart: number, at: number): boolean {
  let end = at;
  while (end > wordStart && isWhiteSpace(text.charCodeAt(end - 1))) end--;
  if (text[end - 1] !== '.') return false;
  // The token may start before the word segment ("e.g" is one word, "Ph.D" too, "(Mr" not).
  const from = Math.max(0, wordStart - 16);
  const m = LAST_TOKEN.exec(text.slice(from, at));
  return m !== null && ABBREVIATIONS.has(m[1]);
}

/**
 * Text in which every code unit is a grapheme cluster of its own: ASCII (but CR,
 * which joins LF), Latin-1 and Latin Extended, general punctuation (not the
 * joiners), CJK punctuation, kana and ideographs, full-width forms (not the
 * combining kana marks). Most text is, and needs no segmentation to be counted.
 */
const ONE_UNIT_CLUSTERS = /^[\t\n\v\f\x20-\x7e\u00a0-\u024f\u2000-\u200b\u2010-\u2027\u2030-\u205e\u3000-\u3029\u3030-\u3098\u309b-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uff9d\uffa0-\uffef]*$/;

/**
 * For each code unit index i of `text` (and text.length), the number of grapheme
 * clusters that start before i: graphemes in text[a, b) = g[b] - g[a] when a and
 * b are cluster boundaries. Undefined when every code unit is a cluster.
 */
function graphemeIndex(text: string): Int32Array | undefined {
  if (ONE_UNIT_CLUSTERS.test(text)) return undefined;
  const g = new Int32Array(text.length + 1);
  let count = 0;
  let at = 0;
  for (const cluster of graphemes(text)) {
    count++;
    for (let i = at + 1; i <= at + cluster.length; i++) g[i] = count;
    at += cluster.length;
  }
  return g;
}

/** Words are segmented in windows of about this many code units (see segmentInWindows). */
const WINDOW = 512;

/** After white space or CJK punctuation (not ASCII punctuation: "3.14") a word always ends. */
function wordSafe(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  return (isWhiteSpace(before) || CJK_PUNCTUATION.test(text[at - 1])) && !EXTENDING.test(text[at]) && !isLowSurrogate(text.charCodeAt(at));
}

function cutInGap(text: string, start: number, end: number): number {
  if (start === end) return start;
  for (let i = end - 1; i >= start; i--) {
    if (isWhiteSpace(text.charCodeAt(i))) {
      let at = i + 1;
      while (at < end && EXTENDING.test(text[at])) at++; // a combining mark on a space
      return at;
    }
  }
  let at = end;
  while (at > start && OPENER.test(text[at - 1])) at--;
  return at;
}

function guardedRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const m of text.matchAll(GUARDED)) {
    const start = m.index ?? 0;
    const body = m[0].replace(TRAILING_PUNCTUATION, '');
    if (body.length > 0) ranges.push([start, start + body.length]);
  }
  return ranges;
}

/** The white space `String.prototype.trim` removes (the same set as `\s`). */
function isWhiteSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

class Splitter {
  constructor(
    private readonly text: string,
    private readonly max: number,
    private readonly cuts: Cut[],
    /** Start, end, start, end... of the speakable words. */
    private readonly words: number[],
    /** See graphemeIndex. */
    private readonly graphemes: Int32Array | undefined,
  ) {}

  /** Whether text[start, end), trimmed, fits in one request (counted in grapheme clusters). */
  fits(start: number, end: number): boolean {
    if (end - start <= this.max) return true;
    const [s, e] = this.trimmed(start, end);
    return (this.graphemes ? this.graphemes[e] - this.graphemes[s] : e - s) <= this.max;
  }

  private trimmed(start: number, end: number): [number, number] {
    let s = start;
    let e = end;
    while (s < e && isWhiteSpace(this.text.charCodeAt(s))) s++;
    while (e > s && isWhiteSpace(this.text.charCodeAt(e - 1))) e--;
    return [s, e];
  }

  /**
   * The end positions of the pieces text[start, end) is cut into (the last is
   * `end`), using cuts of strength `level` or more and, for a part still too long,
   * weaker ones. A part too long for one request starts a new piece; its last
   * piece may take in what follows.
   */
  split(start: number, end: number, level: number): number[] {
    if (this.fits(start, end)) return [end];
    let bounds: number[];
    for (;;) {
      bounds = level === GRAPHEME ? this.graphemeCuts(start, end) : this.cutsBetween(start, end, level);
      if (bounds.length > 0 || level === GRAPHEME) break;
      level--;
    }
    bounds.push(end);

    const ends: number[] = [];
    let open = start; // the piece being filled is text[open, filled)
    let filled = start;
    let segStart = start;
    for (const segEnd of bounds) {
      if (this.fits(segStart, segEnd)) {
        if (filled > open && !this.fits(open, segEnd)) {
          ends.push(filled);
          open = filled;
        }
      } else {
        if (filled > open) ends.push(filled);
        // Only a single grapheme cluster can be too long at the grapheme level: kept whole.
        const sub = level > GRAPHEME ? this.split(segStart, segEnd, level - 1) : [segEnd];
        for (let i = 0; i < sub.length - 1; i++) ends.push(sub[i]);
        open = sub.length > 1 ? sub[sub.length - 2] : segStart;
      }
      filled = segEnd;
      segStart = segEnd;
    }
    ends.push(filled);
    return ends;
  }

  /** Index of the first cut after `pos`. */
  private firstCutAfter(pos: number): number {
    const { cuts } = this;
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cuts[mid].at <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private cutsBetween(start: number, end: number, level: number): number[] {
    const { cuts } = this;
    const lo = this.firstCutAfter(start);
    const out: number[] = [];
    for (let i = lo; i < cuts.length && cuts[i].at < end; i++) if (cuts[i].level >= level) out.push(cuts[i].at);
    return out;
  }

  /**
   * Grapheme cluster boundaries inside text[start, end), except those inside a
   * word that fits in one piece: what is left is a run of emoji or symbols, or a
   * word too long for any piece (a 400-character URL).
   */
  private graphemeCuts(start: number, end: number): number[] {
    const bounds: number[] = [];
    // A cluster starts at i where the count of clusters started before i + 1 grows (see graphemeIndex).
    const g = this.graphemes;
    for (let at = start + 1; at < end; at++) if (!g || g[at + 1] > g[at]) bounds.push(at);
    const { words } = this;
    let w = this.firstWordEndingAfter(start);
    // Whether word `fitsOf` fits, asked once per word, not once per cluster inside it.
    let fitsOf = -1;
    let wordFits = false;
    return bounds.filter((at) => {
      while (w < words.length && words[w + 1] <= at) w += 2;
      const inside = w < words.length && words[w] < at && at < words[w + 1];
      if (!inside) return true;
      if (fitsOf !== w) {
        fitsOf = w;
        wordFits = this.fits(this.wordRun(w, 'start'), this.wordRun(w, 'end'));
      }
      return !wordFits;
    });
  }

  /** Index (even) of the first word that ends after `pos`. */
  private firstWordEndingAfter(pos: number): number {
    const { words } = this;
    let lo = 0;
    let hi = words.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[2 * mid + 1] <= pos) lo = mid + 1;
      else hi = mid;
    }
    return 2 * lo;
  }

  /**
   * Where the run of text that holds word `w` starts or ends: the nearest cut
   * around it (a URL or a number is several ICU words but one run).
   */
  private wordRun(w: number, side: 'start' | 'end'): number {
    const { cuts } = this;
    const next = this.firstCutAfter(this.words[w]);
    if (side === 'start') return next > 0 ? cuts[next - 1].at : 0;
    return next < cuts.length ? cuts[next].at : this.text.length;
  }

  /**
   * Turns end positions into [start, end) pieces, then gives each piece with
   * nothing speakable to a neighbour (only grapheme-level cuts can make one).
   * A piece of 1–3 visible characters (unstable on VoxCPM2) is merged with a
   * neighbour it fits with, or else takes the end of the piece before it.
   */
  tidy(ends: number[]): Array<[number, number]> {
    let pieces: Array<[number, number]> = [];
    let start = 0;
    for (const end of ends) {
      if (end > start) pieces.push([start, end]);
      start = end;
    }

    // A run of emoji or symbols too long to share a piece stays a piece of its own.
    const merged: Array<[number, number]> = [];
    let pending: [number, number] | undefined; // leading pieces with nothing speakable
    for (const piece of pieces) {
      const last = merged.length > 0 ? merged[merged.length - 1] : undefined;
      if (SPEAKABLE.test(this.text.slice(piece[0], piece[1]))) {
        if (pending && this.fits(pending[0], piece[1])) piece[0] = pending[0];
        else if (pending) merged.push(pending);
        pending = undefined;
        merged.push(piece);
      } else if (last && this.fits(last[0], piece[1])) last[1] = piece[1];
      else if (pending && this.fits(pending[0], piece[1])) pending[1] = piece[1];
      else {
        if (pending) merged.push(pending);
        pending = piece;
      }
    }
    if (pending) merged.push(pending);
    pieces = merged;

    for (let i = 0; i < pieces.length && pieces.length > 1; i++) {
      const piece = pieces[i];
      const [s, e] = piece;
      if (!this.isTiny(s, e)) continue;
      const before = i > 0 ? pieces[i - 1] : undefined;
      const after = i + 1 < pieces.length ? pieces[i + 1] : undefined;
      if (before && this.fits(before[0], e)) {
        before[1] = e;
        pieces.splice(i--, 1);
      } else if (after && this.fits(s, after[1])) {
        after[0] = s;
        pieces.splice(i--, 1);
      } else if (before) {
        // No room to merge: take the end of the piece before instead (its last sentence if it can).
        const at = this.borrow(before[0], before[1], 'end', (c) => this.fits(c, e) && !this.isTiny(c, e) && !this.isTiny(before[0], c));
        if (at !== undefined) before[1] = piece[0] = at;
      } else if (after) {
        const at = this.borrow(after[0], after[1], 'start', (c) => this.fits(s, c) && !this.isTiny(s, c) && !this.isTiny(c, after[1]));
        if (at !== undefined) piece[1] = after[0] = at;
      }
    }
    return pieces;
  }

  /**
   * The cut in text[start, end) nearest its `side` that `ok` accepts, trying
   * sentence ends first, then pauses, then words; between graphemes only inside
   * a word too long for one piece anyway.
   */
  private borrow(start: number, end: number, side: 'start' | 'end', ok: (at: number) => boolean): number | undefined {
    const pick = (candidates: number[]) => (side === 'end' ? candidates.reverse() : candidates).find(ok);
    for (const level of [SENTENCE, CLAUSE, WORD, ABBREVIATION]) {
      const at = pick(this.cutsBetween(start, end, level));
      if (at !== undefined) return at;
    }
    if (this.cutsBetween(start, end, ABBREVIATION).length > 0) return undefined;
    const { cuts } = this;
    const next = this.firstCutAfter(start);
    const wordStart = next > 0 ? cuts[next - 1].at : 0;
    const wordEnd = next < cuts.length ? cuts[next].at : this.text.length;
    return this.fits(wordStart, wordEnd) ? undefined : pick(this.graphemeCuts(start, end));
  }

  /** 1–3 characters that are not white space (nor combining marks). */
  private isTiny(start: number, end: number): boolean {
    const [s, e] = this.trimmed(start, end);
    if (e - s > 6) return false; // 3 characters outside the BMP at most
    let count = 0;
    for (const ch of this.text.slice(s, e)) if (!isWhiteSpace(ch.charCodeAt(0)) && !EXTENDING.test(ch)) count++;
    return count > 0 && count <= 3;
  }
}
