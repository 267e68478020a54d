/**
 * Cleans text from LLM, chat and home-automation nodes for speech: markdown
 * marks and emoji would be read aloud ("asterisk asterisk Alert") or garbled.
 * The words stay; only what a listener should not hear goes.
 *
 * Hand-written on the platform's Unicode regular expressions and
 * `Intl.Segmenter` (through graphemes.ts): a markdown library would be a
 * seventh runtime dependency, and it renders HTML, while speech needs only the
 * words back. Every pattern is
 * anchored at a line start or starts on one literal character and cannot
 * backtrack over a run, and delimiters are paired with stacks, so the time is
 * linear in the text's length (a 100,000-character pathological input is tested).
 *
 * Rules, in this order, per line (CommonMark's syntax, simplified):
 * - fenced code blocks (``` or ~~~, closed by the same fence or the text's end)
 *   are removed whole: code read aloud is noise;
 * - thematic breaks (---, ***, ___), setext underlines (===), link reference
 *   definitions (`[id]: http://…`) and table delimiter rows (|---|) are removed;
 *   a table row (`| Kitchen | 23.5°C |`) is said as its cells with commas
 *   (`Kitchen, 23.5°C.`);
 * - block quote marks (>), heading marks (# … ######, and closing #s), list
 *   markers (- * + • and 1. 1)) and task boxes ([ ], [x]) are removed; a heading
 *   or list item that ends in a letter or digit gets a full stop (。 in a line with CJK)
 *   so that it is spoken as a sentence of its own;
 * - images `![alt](url)` are removed; links `[words](url)`, `[words][id]` keep
 *   their words; autolinks `<http://…>` and bare URLs (http://, https://, www.)
 *   are removed: a URL read out is noise, and a listener cannot click it;
 * - inline code keeps its text without the backticks;
 * - emphasis `*x*` `**x**` `***x***` `_x_` `__x__` and strikethrough `~~x~~`
 *   keep their words. A mark opens only before a non-space and not after a
 *   Latin/Greek/Cyrillic letter or a digit, and closes only after a non-space
 *   and not before one, so `2*3*4`, `a * b` and `snake_case_name` stay as they
 *   are, while CJK `这是**重要**的` loses its marks. `\*` is a literal `*`;
 * - emoji are removed by grapheme cluster (Extended_Pictographic with its
 *   ZWJ sequences, variation selectors and skin tones, regional-indicator flags,
 *   tag sequences, keycaps 1️⃣), so no orphan joiner remains; the spaces around
 *   one become one space (none beside CJK), and between two Latin words or
 *   digits a space takes its place;
 * - white space: runs of spaces and tabs become one space, lines are trimmed,
 *   runs of blank lines become one blank line, the text is trimmed.
 * Not touched: HTML or a lone `<` (SSML is handled before), CJK text and
 * punctuation, indented code (four spaces are common in plain text).
 */
import { graphemes } from './graphemes';

/** The text with markdown marks, URLs and emoji removed by the rules above; '' when only white space is left. */
export function cleanText(text: string): string {
  const out: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(raw);
      if (close && close[1][0] === fence.char && close[1].length >= fence.length) fence = undefined;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(raw);
    if (open && !(open[1][0] === '`' && raw.slice(open[0].length).includes('`'))) {
      fence = { char: open[1][0], length: open[1].length };
      continue;
    }
    const line = cleanLine(raw);
    if (line !== undefined) out.push(line);
  }
  // Blank lines: one at most in a row, none at the ends.
  const kept: string[] = [];
  for (const line of out) {
    if (line === '' && (kept.length === 0 || kept[kept.length - 1] === '')) continue;
    kept.push(line);
  }
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  return kept.join('\n');
}

/** Ends a sentence already, or is no letter or digit: a heading needs no full stop. */
const WORD_END = /[\p{L}\p{N}]$/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** One line without its markdown; undefined when the whole line goes (a rule, a definition). */
function cleanLine(raw: string): string | undefined {
  let line = raw;
  if (isRule(line)) return undefined;
  if (/^ {0,3}\[[^\]\n]+\]:[ \t]*\S+/.test(line)) return undefined;
  // Block quotes, nested too ("> > x"): one cut at the end, not one per mark.
  const quote = /[ \t]{0,3}>[ \t]?/y;
  let start = 0;
  while (quote.exec(line)) start = quote.lastIndex;
  if (start > 0) line = line.slice(start);
  let sentence = false;
  const heading = /^[ \t]{0,3}#{1,6}(?:[ \t]+|$)/.exec(line);
  const row = tableRow(line);
  if (row !== undefined) {
    if (row === '') return undefined;
    line = row;
    sentence = true;
  } else if (heading) {
    line = stripClosingHashes(line.slice(heading[0].length));
    sentence = true;
  } else {
    const item = /^[ \t]*(?:[-*+•◦▪‣]|\d{1,9}[.)])(?:[ \t]+|$)/.exec(line);
    if (item) {
      line = line.slice(item[0].length).replace(/^\[[ xX]\](?:[ \t]+|$)/, '');
      sentence = true;
    }
  }
  line = removeEmoji(inline(line));
  line = line.replace(/[^\S\n]+/g, (ws) => (ws.length === 1 && ws !== '\t' ? ws : ' ')).trim();
  if (sentence && WORD_END.test(line)) line += CJK.test(line) ? '。' : '.';
  return line;
}

/**
 * A table row (`| Kitchen | 23.5°C |`) as its cells separated by commas
 * (`Kitchen, 23.5°C`); '' for the delimiter row (`|---|:--:|`); undefined when
 * the line is no table row (it must start and end with |).
 */
function tableRow(line: string): string | undefined {
  const row = line.trim();
  if (row.length < 2 || row[0] !== '|' || row[row.length - 1] !== '|') return undefined;
  if (/^[\s|:-]+$/.test(row)) return row.includes('-') ? '' : undefined;
  return row
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '')
    .join(CJK.test(row) ? '，' : ', ');
}

/** A thematic break (--- *** ___, spaces allowed) or a setext underline (=== or ---). */
function isRule(line: string): boolean {
  const indent = /^ {0,3}/.exec(line)?.[0].length ?? 0;
  if (/^[ \t]/.test(line.slice(indent))) return false;
  const marks = line.replace(/[ \t]/g, '');
  return marks.length >= 3 && /^(?:-+|\*+|_+|=+)$/.test(marks);
}

/** `# Title ##` → `Title`; `# C#` keeps its #. */
function stripClosingHashes(text: string): string {
  const trimmed = text.trimEnd();
  let i = trimmed.length;
  while (i > 0 && trimmed[i - 1] === '#') i--;
  if (i === trimmed.length) return trimmed;
  if (i === 0) return '';
  return trimmed[i - 1] === ' ' || trimmed[i - 1] === '\t' ? trimmed.slice(0, i) : trimmed;
}

/** Images, then links, autolinks and bare URLs; then code spans, and emphasis outside them. */
function inline(line: string): string {
  let text = line.replace(/!\[[^[\]\n]*\]\([^()\s]*(?:[ \t]+"[^"\n]*")?\)/g, '');
  text = text.replace(/\[([^[\]\n]*)\]\([^()\s]*(?:[ \t]+"[^"\n]*")?\)/g, '$1');
  text = text.replace(/\[([^[\]\n]+)\]\[[^[\]\n]*\]/g, '$1');
  text = text.replace(/<(?:https?|ftp|mailto):[^<>\s]*>/gi, '');
  text = removeUrls(text);
  return codeAndEmphasis(text);
}

/** Characters of a URL (RFC 3986) beyond which it surely ended. */
const URL = /(?<![A-Za-z0-9.\-/])(?:https?:\/\/|www\.)[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/gi;

/**
 * Bare URLs go; punctuation after one (a full stop, a closing bracket) stays with
 * the sentence, and so does no space before it ("see http://x." → "see.").
 */
function removeUrls(text: string): string {
  if (!/https?:\/\/|www\./i.test(text)) return text;
  let out = '';
  let from = 0;
  for (const m of text.matchAll(URL)) {
    const url = m[0];
    const start = m.index ?? 0;
    let end = url.length;
    while (end > 0 && /[.,;:!?'")\]]/.test(url[end - 1])) end--;
    out += text.slice(from, start);
    from = start + end;
    const rest = text.slice(from, from + 1);
    if (rest === '' || /\p{P}/u.test(rest)) out = out.trimEnd();
  }
  return out + text.slice(from);
}

/**
 * Code spans keep their text without backticks (CommonMark: a run of n backticks
 * closes at the next run of exactly n); emphasis is taken off the text between them.
 */
function codeAndEmphasis(text: string): string {
  if (!text.includes('`')) return emphasis(text);
  const runs: Array<{ start: number; length: number }> = [];
  for (const m of text.matchAll(/`+/g)) runs.push({ start: m.index ?? 0, length: m[0].length });
  // The next run of the same length, found right to left once: linear.
  const next = new Array<number>(runs.length).fill(-1);
  const seen = new Map<number, number>();
  for (let i = runs.length - 1; i >= 0; i--) {
    next[i] = seen.get(runs[i].length) ?? -1;
    seen.set(runs[i].length, i);
  }
  let out = '';
  let from = 0;
  let plain = '';
  for (let i = 0; i < runs.length; i++) {
    const j = next[i];
    if (j < 0) continue;
    plain += text.slice(from, runs[i].start);
    out += emphasis(plain);
    plain = '';
    const code = text.slice(runs[i].start + runs[i].length, runs[j].start);
    // CommonMark strips one space at each end when both are there ("`` `x` ``").
    out += code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '' ? code.slice(1, -1) : code;
    from = runs[j].start + runs[j].length;
    i = j;
  }
  return out + emphasis(plain + text.slice(from));
}

/** Letters and digits that emphasis marks cannot touch (CJK can: it has no spaces). */
const WORDLIKE = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Nd}]/u;
const SPACE = /\s/u;
const ESCAPABLE = '\\`*_{}[]()#+-.!~>|';

/**
 * Emphasis and strikethrough marks removed, their words kept. Runs of 1–3 `*`
 * or `_` (2 `~`) pair with the latest open run of the same character and length;
 * unpaired runs stay as written.
 */
function emphasis(text: string): string {
  if (!/[*_~\\]/.test(text)) return text;
  interface Run {
    start: number;
    end: number;
  }
  /** Paired runs: removed. */
  const cuts: Run[] = [];
  const open = new Map<string, Run[]>();
  const escaped = new Set<number>();
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      escaped.add(i);
      i += 2;
      continue;
    }
    if (ch !== '*' && ch !== '_' && ch !== '~') {
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && text[end] === ch) end++;
    const length = end - i;
    const before = i > 0 ? text[i - 1] : ' ';
    const after = end < text.length ? text[end] : ' ';
    const usable = ch === '~' ? length === 2 : length <= 3;
    if (usable) {
      const canOpen = !SPACE.test(after) && !WORDLIKE.test(before);
      const canClose = !SPACE.test(before) && !WORDLIKE.test(after) && i > 0;
      const key = ch + length;
      const stack = open.get(key);
      const run: Run = { start: i, end };
      if (canClose && stack && stack.length > 0) {
        cuts.push(stack.pop() as Run, run);
      } else if (canOpen) {
        if (stack) stack.push(run);
        else open.set(key, [run]);
      }
    }
    i = end;
  }
  if (cuts.length === 0 && escaped.size === 0) return text;
  cuts.sort((a, b) => a.start - b.start);
  let out = '';
  let from = 0;
  let c = 0;
  for (let k = 0; k < text.length; k++) {
    if (c < cuts.length && cuts[c].start === k) {
      out += text.slice(from, k);
      from = cuts[c].end;
      k = cuts[c].end - 1;
      c++;
    } else if (escaped.has(k)) {
      out += text.slice(from, k);
      from = k + 1;
      k++;
    }
  }
  return out + text.slice(from);
}

/** What an emoji grapheme contains: a pictograph, a flag's letters, a keycap, a tag or a skin tone. */
const EMOJI_PART = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u20e3|[\u{e0020}-\u{e007f}]/u;
/** Joiners and selectors left alone by a removed emoji. */
const EMOJI_GLUE = /^(?:\u200d|\ufe0e|\ufe0f)+$/u;
const LATIN_WORD = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{N}]/u;

/** CJK characters and punctuation: a space beside them is not needed where an emoji was. */
const CJK_OR_PUNCTUATION = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u;

/**
 * Emoji removed by grapheme cluster. The spaces around a removed emoji become
 * one, none beside CJK; between two Latin words or digits a space takes its place.
 */
function removeEmoji(text: string): string {
  if (!EMOJI_PART.test(text) && !/\u200d|\ufe0f/.test(text)) return text;
  // Graphemes kept, in order (an array: trimming a string would copy it each time).
  const out: string[] = [];
  const isSpace = (g: string | undefined) => g !== undefined && /^\s+$/u.test(g);
  let removed = false;
  let spaced = false;
  for (const segment of graphemes(text)) {
    if (EMOJI_PART.test(segment) || EMOJI_GLUE.test(segment)) {
      if (!removed) {
        spaced = isSpace(out[out.length - 1]);
        while (isSpace(out[out.length - 1])) out.pop();
      }
      removed = true;
      continue;
    }
    if (removed && isSpace(segment)) {
      spaced = true;
      continue;
    }
    if (removed && out.length > 0) {
      const last = out[out.length - 1];
      const before = last[last.length - 1];
      const after = segment[0];
      const cjk = CJK_OR_PUNCTUATION.test(before) || CJK_OR_PUNCTUATION.test(after);
      if ((spaced && !cjk) || (LATIN_WORD.test(before) && LATIN_WORD.test(after))) out.push(' ');
    }
    removed = false;
    spaced = false;
    out.push(segment);
  }
  return out.join('');
}
