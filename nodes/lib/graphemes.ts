/**
 * `Intl.Segmenter` over text of any length, in linear time: grapheme clusters (UAX #29, what a
 * person counts as one character), sentence starts, and any segmenter's segments in windows.
 *
 * Iterating a segmenter's segments over one long string takes time quadratic in the string's
 * length in V8 (Node 20: 20,000 ASCII characters 1 s, 40,000 3.4 s; 200 KB of prose minutes), so
 * every segmentation here hands the segmenter windows of a few hundred code units:
 * - `segmentInWindows`: windows that each end where the caller's `safe` says a boundary is
 *   certain, so their segments are those of the whole text;
 * - `sentenceWindows`: overlapping windows, each trusted only away from its edges (sentence rules
 *   look a few characters around, and no place is certain in advance).
 */
let graphemeSegmenter: Intl.Segmenter | undefined;
let sentenceSegmenter: Intl.Segmenter | undefined;

/** The segmenters are made at first use: one costs a few ms, and many threads never segment text. */
function getGraphemeSegmenter(): Intl.Segmenter {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return graphemeSegmenter;
}

/** Code units per grapheme window: small enough that the quadratic cost stays negligible. */
export const WINDOW = 256;

const STARTS_CLUSTER = /[\x20-\x7e\p{Script=Han}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
/** Characters that belong to the grapheme before them: combining marks, variation selectors, the zero-width joiner. */
export const EXTENDING = /[\p{M}\ufe00-\ufe0f]|\u200d/u;

/** Whether a UTF-16 code unit is the second half of a surrogate pair. */
export function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * The grapheme clusters of `text`, in order; joined they give the text back. Windows of about
 * WINDOW code units, each cut where a cluster surely starts (`clusterStarts`).
 */
export function* graphemes(text: string): Generator<string> {
  for (const { segment } of segmentInWindows(getGraphemeSegmenter(), text, clusterStarts, WINDOW)) yield segment;
}

/**
 * Whether a grapheme cluster surely starts at `at`: before a printable ASCII character or a Han
 * ideograph not after a CR (they never extend what precedes them, UAX #29 GB9–GB9b, Prepend
 * aside), or before a pictograph that does not follow a zero-width joiner (GB11).
 */
function clusterStarts(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (isLowSurrogate(code)) return false;
  const ch = String.fromCodePoint(text.codePointAt(at) ?? code);
  if (STARTS_CLUSTER.test(ch) && text.charCodeAt(at - 1) !== 0x0d) return true;
  return PICTOGRAPH.test(ch) && text.charCodeAt(at - 1) !== 0x200d;
}

/** A place where `segmenter` surely has a boundary: `safe(text, at)`, for 0 < at < text.length. */
export type SafeCut = (text: string, at: number) => boolean;

/**
 * The segments of `text` by `segmenter` (any granularity), `index` being a code unit index into
 * `text`. The text is handed to the segmenter in windows of about `window` code units (a positive
 * integer), each ending where `safe` says a boundary is certain: at or before `window` if one is in
 * its second half, else the first one up to 4 × `window`. A run without a safe place that long
 * (thousands of letters without a space) is cut at the first grapheme cluster boundary from
 * `window` on: a segment may then end where the whole text has no boundary (a word cut), but never
 * inside a grapheme cluster, nor, in pathological text (thousands of combining marks), past
 * 4 × `window` or inside a surrogate pair.
 */
export function* segmentInWindows(segmenter: Intl.Segmenter, text: string, safe: SafeCut, window: number): Generator<{ segment: string; index: number }> {
  for (let from = 0; from < text.length;) {
    const to = windowEnd(text, from, safe, window);
    for (const { segment, index } of segmenter.segment(text.slice(from, to))) yield { segment, index: from + index };
    from = to;
  }
}

function windowEnd(text: string, from: number, safe: SafeCut, window: number): number {
  const end = text.length;
  if (end - from <= window) return end;
  for (let at = from + window; at > from + window / 2; at--) if (safe(text, at)) return at;
  const far = Math.min(end, from + 4 * window);
  for (let at = from + window + 1; at < far; at++) if (safe(text, at)) return at;
  if (far === end) return end;
  // No safe place in four windows (a long run without white space or ASCII): the first grapheme
  // cluster boundary from `window` on, or else (a run of marks) `far`, splitting no code point.
  for (const { index } of getGraphemeSegmenter().segment(text.slice(from, Math.min(far, from + window + 32)))) {
    if (index >= window) return from + index;
  }
  return isLowSurrogate(text.charCodeAt(far)) ? far + 1 : far;
}

function getSentenceSegmenter(): Intl.Segmenter {
  // 'zh' fixed so that the result does not depend on the host's locale; ICU's sentence rules are
  // the same (root) for English and Chinese, V8 dropping the `-u-ss` suppressions.
  sentenceSegmenter ??= new Intl.Segmenter('zh', { granularity: 'sentence' });
  return sentenceSegmenter;
}
/** Code units per sentence window, and how far from a window's inner edges a start is trusted. */
const SENTENCE_WINDOW = 512;
const SENTENCE_MARGIN = 64;

/**
 * Where UAX #29 starts a new sentence in `text` (it knows when a full stop ends an abbreviation:
 * "e.g. the"): code unit indices, ascending, each > 0 and < text.length. Found in overlapping
 * windows of SENTENCE_WINDOW code units, each trusted only SENTENCE_MARGIN away from the edges it
 * shares with another. Yields, window after window, `end` (the starts up to there are all found)
 * and the window's new `starts` (possibly none), so that a caller can pause between windows.
 */
export function* sentenceWindows(text: string): Generator<{ end: number; starts: number[] }> {
  for (let from = 0; from < text.length; from += SENTENCE_WINDOW - 2 * SENTENCE_MARGIN) {
    const to = Math.min(text.length, from + SENTENCE_WINDOW);
    const low = from === 0 ? 0 : from + SENTENCE_MARGIN;
    const high = to === text.length ? to : to - SENTENCE_MARGIN;
    const starts: number[] = [];
    for (const { index } of getSentenceSegmenter().segment(text.slice(from, to))) {
      if (from + index > low && from + index <= high) starts.push(from + index);
    }
    yield { end: high, starts };
    if (to === text.length) break;
  }
}
