/**
 * Numbers written as words, for a TTS server that would otherwise read "23.5°C" digit by digit
 * or not at all (VoxCPM2 spells numbers out only when its server enables text normalisation).
 *
 * The words come from `n2words` (cardinals, English ordinals); which *form* a token has (a time,
 * a date, a currency amount, a phone number…) is decided here, by the rules below, because no
 * library covers both languages and home-automation units. Each sentence (Intl.Segmenter) is
 * read in Chinese when it contains a Han character, else in English. English is American
 * (`n2words/en-US`): "one hundred one", "meters", month-first numeric dates.
 *
 * Rules, tried in this order at each place a token may start (the README's "Numbers" section
 * lists them with examples):
 * - URLs (`https://…`, `www.…`): left as written;
 * - dates: ISO `2026-12-03` (also `/` and `.`, and `T14:30` or ` 7:30 pm` after it), `2026-12` (year-month),
 *   numeric `3/12/2026` (month first unless the first number is over 12, as en-US writes it),
 *   `3.12.2026` (day first: dots are never month first), month names `December 3, 2026`,
 *   `3 December 2026`, `December 2026`, and `2026年` (a 4-digit year before 年, digit by digit);
 * - times: `14:30`, `07:05:09`, `7:30 pm`, `7.30pm`, `7 a.m.`;
 * - phone numbers: `+1 555 123 4567`, `(555) 123-4567`, `555-123-4567`, `138-0013-8000`,
 *   `010-12345678`, and any bare run of 7 or more digits: digit by digit, groups as pauses;
 * - `1/2`, `24/7` (a fraction, a date without a year, or neither), version numbers and IP
 *   addresses (`1.2.3`, `192.168.1.1`): left as written;
 * - currency: `$3.50`, `€5`, `£2.50`, `¥12`, `-$5`, `$1.5 million`, `3.50元`, `5 €`, `US$5`,
 *   `HK$10`, `USD 20`, `100 RMB`;
 * - percentages, temperatures (`°C`, `°F`, `℃`, `℉`, bare `°`) and units (`kWh`, `km/h`, `hPa`…);
 * - ordinals `1st`, `22nd`; decades `1990s`, `'90s`, `the 90s`;
 * - ranges `20-25`, `20–25`, `20~25` (en "to", zh 到), after a number that was read;
 * - integers (`1,234`), decimals (`23.5`, the digits after the point one by one), negatives
 *   (`-5`, `−5`), signs (`+5`); read digit by digit: a number with a leading zero (`007`), a
 *   number after "call", "dial", "tel", 拨打, 电话… (`911`, `110`).
 * A number glued to Latin letters (`CO2`, `PM2.5`, `4K`, `v2`, `MP3`) is a name: left as written.
 *
 * Chinese choices: 10–19 as 十…(not 一十…); 两 for a leading 2 before 千/万/亿 (两千), for the hour
 * 2 (两点) and for 2 before a measure word (两个, 两次); 一 as 幺 in phone numbers only; negative
 * temperatures as 零下; times as 十四点三十分 (分 always, 半 never: announcements' style); money in
 * yuan as 元角分.
 *
 * Every pattern starts only where a run of digits starts and repeats a bounded number of times,
 * so the work is linear in the text's length.
 */
import { pathToFileURL } from 'node:url';
import { sentenceWindows } from './graphemes';

export type NumberLanguage = 'en' | 'zh';

/** The part of n2words' API used here (its language modules are ESM only). */
interface EnglishWords {
  toCardinal(value: string): string;
  toOrdinal(value: string): string;
}
interface ChineseWords {
  toCardinal(value: string, options: { formal: boolean }): string;
}
/** n2words' English and Chinese modules, as `loadNumberWords` returns them. */
export interface NumberWords {
  en: EnglishWords;
  zh: ChineseWords;
}
type Words = NumberWords;

/**
 * `import()` that TypeScript's CommonJS output leaves alone (it would turn a plain `import()` into
 * `require()`, and `require()` of an ES module fails before Node 20.19/22.12). The specifier is an
 * absolute file URL, so it resolves the same wherever the function was created.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let words: Promise<Words> | undefined;

/** Loads n2words' English and Chinese modules once. */
export function loadNumberWords(): Promise<Words> {
  words ??= (async () => {
    const load = (name: string) => importModule(pathToFileURL(require.resolve(name)).href);
    const [en, zh] = await Promise.all([load('n2words/en-US'), load('n2words/zh-Hans-CN')]);
    return { en: en as EnglishWords, zh: zh as ChineseWords };
  })();
  words.catch(() => (words = undefined));
  return words;
}

/**
 * Numbers, times, dates, currency, units and digit strings written as words, in the language of each sentence (Chinese when it has Han characters, else English).
 * Text without a digit comes back as the same string. The work is done in slices of about
 * SLICE characters with the event loop free between them (20,000 characters dense with numbers
 * are about 0.1 s of work; a slice holds the loop for a few tens of ms at most). Rejects only if
 * n2words cannot be loaded.
 */
export async function normalizeNumbers(text: string): Promise<string> {
  if (!HAS_DIGIT.test(text)) return text;
  const work = normalizeInSlices(await loadNumberWords(), text);
  for (let step = work.next(); ; step = work.next()) {
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const HAS_DIGIT = /[0-9\uff10-\uff19]/;
const HAN = /\p{Script=Han}/u;

/** `normalizeNumbers` in one go, once the words are loaded (`loadNumberWords`). */
export function normalizeNumbersWith(w: Words, text: string): string {
  const work = normalizeInSlices(w, text);
  for (let step = work.next(); ; step = work.next()) if (step.done) return step.value;
}

/** About this many characters of text are read between two pauses of `normalizeNumbers`. */
const SLICE = 2000;

/** The work, pausing (yield) after each slice. */
function* normalizeInSlices(w: Words, text: string): Generator<void, string> {
  if (!HAS_DIGIT.test(text)) return text;
  // Full-width digits (０-９) are digits.
  const source = text.replace(/[\uff10-\uff19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const sentences = yield* sentenceLanguages(source);
  return yield* readTokens(w, source, sentences);
}

interface Sentence {
  end: number;
  lang: NumberLanguage;
}

/** Each sentence's end and language: Chinese when it has a Han character. */
function* sentenceLanguages(text: string): Generator<void, Sentence[]> {
  const starts: number[] = [0];
  let pause = SLICE;
  for (const window of sentenceWindows(text)) {
    starts.push(...window.starts);
    if (window.end >= pause) {
      yield;
      pause = window.end + SLICE;
    }
  }
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? text.length;
    return { end, lang: HAN.test(text.slice(start, end)) ? 'zh' : 'en' };
  });
}

// ---------------------------------------------------------------------------------------------
// Words for numbers

const EN_DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/**
 * The word for one digit, `0`–`9` or full-width `０`–`９` (a number 0–9 too), in English or
 * Chinese; undefined for anything else. `phone`: read as in a phone number, where Chinese says
 * 幺 (yāo) for 1, as in 110 幺幺零: unmistakable beside 七 (7).
 */
export function digitWord(digit: string | number, lang: NumberLanguage, phone = false): string | undefined {
  const value = typeof digit === 'number' ? digit : /^[0-9]$/.test(digit) ? Number(digit) : /^[０-９]$/.test(digit) ? digit.charCodeAt(0) - 0xff10 : -1;
  if (!Number.isInteger(value) || value < 0 || value > 9) return undefined;
  if (lang === 'en') return EN_DIGITS[value];
  return phone && value === 1 ? '幺' : ZH_DIGITS[value];
}

/** Up to this many digits an integer is read as a number (quintillions); longer, digit by digit. */
const MAX_CARDINAL_DIGITS = 18;

function digitsWords(digits: string, lang: NumberLanguage, phone = false): string {
  return [...digits].map((d) => digitWord(d, lang, phone) ?? d).join(lang === 'en' ? ' ' : '');
}

/** An unsigned integer (digits only, no separators). */
function integerWords(w: Words, digits: string, lang: NumberLanguage): string {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length > MAX_CARDINAL_DIGITS) return digitsWords(digits, lang);
  if (lang === 'en') return w.en.toCardinal(trimmed);
  // n2words says 一十 and 一十万; a Chinese reader says 十 and 十万. 两 before 千/万/亿 (两千).
  return w.zh.toCardinal(trimmed, { formal: false }).replace(/^一十/, '十').replace(/^二(?=[千万亿])/, '两');
}

/** The digits of an integer written with thousands separators. */
const onlyDigits = (int: string) => int.replace(/\D/g, '');

/** An unsigned number: the integer as a number, the fraction digit by digit (23.5 → twenty-three point five). */
function unsignedWords(w: Words, int: string, frac: string | undefined, lang: NumberLanguage): string {
  const whole = integerWords(w, onlyDigits(int), lang);
  if (frac === undefined) return whole;
  return lang === 'en' ? `${whole} point ${digitsWords(frac, lang)}` : `${whole}点${digitsWords(frac, lang)}`;
}

/** The spoken sign: minus/负 for - and −, plus/正 for +; for a temperature in Chinese 零下/零上. */
function signWords(sign: string | undefined, lang: NumberLanguage, temperature = false): string {
  if (!sign) return '';
  const plus = sign === '+';
  if (lang === 'en') return plus ? 'plus ' : 'minus ';
  if (temperature) return plus ? '零上' : '零下';
  return plus ? '正' : '负';
}

function numberWords(w: Words, sign: string | undefined, int: string, frac: string | undefined, lang: NumberLanguage): string {
  return signWords(sign, lang) + unsignedWords(w, int, frac, lang);
}

/** English plural unless the number is exactly 1. */
function isOne(int: string, frac: string | undefined): boolean {
  return int === '1' && frac === undefined;
}

/** A year: 2026 → twenty twenty-six, 2005 → two thousand five, 1905 → nineteen oh five, 1900 → nineteen hundred; 二零二六. */
function yearWords(w: Words, digits: string, lang: NumberLanguage): string {
  if (lang === 'zh') return digitsWords(digits, 'zh');
  const year = Number(digits);
  if (digits.length !== 4 || year < 1000 || year % 1000 < 10) return integerWords(w, digits, 'en');
  const high = w.en.toCardinal(digits.slice(0, 2));
  const low = Number(digits.slice(2));
  if (low === 0) return `${high} hundred`;
  return low < 10 ? `${high} oh ${digitWord(low, 'en')}` : `${high} ${w.en.toCardinal(String(low))}`;
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** month 1–12, day 1–31 or undefined; undefined when the date does not exist. */
function dateWords(w: Words, year: string | undefined, month: number, day: number | undefined, lang: NumberLanguage, dayFirst = false): string | undefined {
  if (month < 1 || month > 12) return undefined;
  if (day !== undefined) {
    const days = new Date(Date.UTC(year === undefined ? 2000 : Number(year), month, 0)).getUTCDate();
    if (day < 1 || day > days) return undefined;
  }
  if (lang === 'zh') {
    return (year === undefined ? '' : `${yearWords(w, year, 'zh')}年`) +
      `${integerWords(w, String(month), 'zh')}月` +
      (day === undefined ? '' : `${integerWords(w, String(day), 'zh')}日`);
  }
  const name = MONTHS_EN[month - 1];
  const yearPart = year === undefined ? '' : yearWords(w, year, 'en');
  if (day === undefined) return `${name} ${yearPart}`;
  const ordinal = w.en.toOrdinal(String(day));
  const date = dayFirst ? `the ${ordinal} of ${name}` : `${name} ${ordinal}`;
  return year === undefined ? date : `${date}, ${yearPart}`;
}

/** hour 0–23 (1–12 with a meridiem), minute and second 0–59. */
function timeWords(w: Words, h: number, m: number | undefined, s: number | undefined, meridiem: string | undefined, lang: NumberLanguage): string | undefined {
  if (meridiem ? h < 1 || h > 12 : h > 23) return undefined;
  if ((m !== undefined && m > 59) || (s !== undefined && s > 59)) return undefined;
  const pm = meridiem !== undefined && /^p/i.test(meridiem);
  if (lang === 'zh') {
    const prefix = meridiem === undefined ? '' : h === 12 ? (pm ? '中午' : '凌晨') : pm ? '下午' : '上午';
    const hour = h === 2 ? '两' : integerWords(w, String(h), 'zh');
    const minute = m ? `${m < 10 ? '零' : ''}${integerWords(w, String(m), 'zh')}分` : s ? '零分' : '';
    const second = s ? `${integerWords(w, String(s), 'zh')}秒` : '';
    return `${prefix}${hour}点${minute}${second}`;
  }
  const hour = w.en.toCardinal(String(h));
  let words: string;
  if (m) words = `${hour} ${m < 10 ? `oh ${digitWord(m, 'en')}` : w.en.toCardinal(String(m))}`;
  else if (meridiem) words = hour;
  else if (h === 0) words = 'midnight';
  else words = h > 12 ? `${hour} hundred` : `${hour} o'clock`;
  if (s) words += ` and ${w.en.toCardinal(String(s))} second${s === 1 ? '' : 's'}`;
  return meridiem ? `${words} ${pm ? 'PM' : 'AM'}` : words;
}

interface Currency {
  en: [one: string, other: string];
  cent: [one: string, other: string] | undefined;
  zh: string;
}
const CURRENCIES: Record<string, Currency> = {
  $: { en: ['dollar', 'dollars'], cent: ['cent', 'cents'], zh: '美元' },
  '€': { en: ['euro', 'euros'], cent: ['cent', 'cents'], zh: '欧元' },
  '£': { en: ['pound', 'pounds'], cent: ['penny', 'pence'], zh: '英镑' },
  // ¥ is the yuan here (Chinese users); the yen's sign is the same character.
  '¥': { en: ['yuan', 'yuan'], cent: undefined, zh: '元' },
  HK$: { en: ['Hong Kong dollar', 'Hong Kong dollars'], cent: ['cent', 'cents'], zh: '港元' },
};
/** Other ways to write them: full-width ¥, 元, US$, ISO 4217 codes. */
const CURRENCY_ALIASES: Record<string, string> = {
  '￥': '¥', 元: '¥', CNY: '¥', RMB: '¥', US$: '$', USD: '$', EUR: '€', GBP: '£', HKD: 'HK$',
};
const CURRENCY_CODE = 'USD|EUR|GBP|CNY|RMB|HKD';

/** `g`: the token's sign, int, frac and scale (million, 万). */
function currencyWords(w: Words, symbol: string, g: Groups, lang: NumberLanguage): string {
  const { sign, int = '0', frac, scale } = g;
  const c = CURRENCIES[CURRENCY_ALIASES[symbol.trim()] ?? symbol.trim()];
  const minus = signWords(sign, lang);
  const plain = onlyDigits(int);
  if (lang === 'zh') {
    if (scale) return `${minus}${plain === '2' && !frac ? '两' : unsignedWords(w, plain, frac, 'zh')}${scale}${c.zh}`;
    if (c.zh === '元' && (frac === undefined || frac.length <= 2)) {
      // 元角分: 3.50 → 三元五角, 3.05 → 三元零五分, 0.5 → 五角.
      const [jiao, fen] = [Number(frac?.[0] ?? 0), Number(frac?.[1] ?? 0)];
      const yuan = Number(plain) === 2 ? '两' : integerWords(w, plain, 'zh');
      let words = /^0+$/.test(plain) && (jiao || fen) ? '' : `${yuan}元`;
      if (jiao) words += `${digitWord(jiao, 'zh')}角`;
      if (fen) words += `${words && !jiao ? '零' : ''}${digitWord(fen, 'zh')}分`;
      return minus + words;
    }
    const amount = plain === '2' && !frac ? '两' : unsignedWords(w, plain, frac?.replace(/0+$/, '') || undefined, 'zh');
    return `${minus}${amount}${c.zh}`;
  }
  if (scale) return `${minus}${unsignedWords(w, plain, frac, 'en')} ${scale} ${c.en[1]}`;
  if (c.cent && frac !== undefined && frac.length <= 2) {
    const cents = Number(frac.padEnd(2, '0'));
    const units = Number(plain) === 0 && cents ? '' : `${integerWords(w, plain, 'en')} ${c.en[plain.replace(/^0+(?=\d)/, '') === '1' ? 0 : 1]}`;
    const centWords = cents ? `${w.en.toCardinal(String(cents))} ${c.cent[cents === 1 ? 0 : 1]}` : '';
    return minus + [units, centWords].filter(Boolean).join(' ');
  }
  const digits = frac?.replace(/0+$/, '') || undefined;
  return `${minus}${unsignedWords(w, plain, digits, 'en')} ${c.en[isOne(plain, digits) ? 0 : 1]}`;
}

/** Units common in home automation: symbol → English singular, plural, Chinese. */
const UNITS: Record<string, [string, string, string]> = {
  kWh: ['kilowatt hour', 'kilowatt hours', '千瓦时'],
  MWh: ['megawatt hour', 'megawatt hours', '兆瓦时'],
  Wh: ['watt hour', 'watt hours', '瓦时'],
  kW: ['kilowatt', 'kilowatts', '千瓦'],
  MW: ['megawatt', 'megawatts', '兆瓦'],
  W: ['watt', 'watts', '瓦'],
  kV: ['kilovolt', 'kilovolts', '千伏'],
  mV: ['millivolt', 'millivolts', '毫伏'],
  V: ['volt', 'volts', '伏'],
  mA: ['milliamp', 'milliamps', '毫安'],
  A: ['amp', 'amps', '安'],
  'km/h': ['kilometer per hour', 'kilometers per hour', '公里每小时'],
  mph: ['mile per hour', 'miles per hour', '英里每小时'],
  'm/s': ['meter per second', 'meters per second', '米每秒'],
  hPa: ['hectopascal', 'hectopascals', '百帕'],
  kPa: ['kilopascal', 'kilopascals', '千帕'],
  Pa: ['pascal', 'pascals', '帕'],
  mbar: ['millibar', 'millibars', '毫巴'],
  mm: ['millimeter', 'millimeters', '毫米'],
  cm: ['centimeter', 'centimeters', '厘米'],
  km: ['kilometer', 'kilometers', '公里'],
  'm²': ['square meter', 'square meters', '平方米'],
  'm³': ['cubic meter', 'cubic meters', '立方米'],
  m: ['meter', 'meters', '米'],
  kg: ['kilogram', 'kilograms', '公斤'],
  mg: ['milligram', 'milligrams', '毫克'],
  g: ['gram', 'grams', '克'],
  mL: ['milliliter', 'milliliters', '毫升'],
  L: ['liter', 'liters', '升'],
  ppm: ['part per million', 'parts per million', 'ppm'],
  ppb: ['part per billion', 'parts per billion', 'ppb'],
  'µg/m³': ['microgram per cubic meter', 'micrograms per cubic meter', '微克每立方米'],
  lx: ['lux', 'lux', '勒克斯'],
  dB: ['decibel', 'decibels', '分贝'],
  dBm: ['decibel-milliwatt', 'decibel-milliwatts', '分贝毫瓦'],
  Hz: ['hertz', 'hertz', '赫兹'],
  kHz: ['kilohertz', 'kilohertz', '千赫兹'],
  MHz: ['megahertz', 'megahertz', '兆赫兹'],
  GHz: ['gigahertz', 'gigahertz', '吉赫兹'],
  rpm: ['revolution per minute', 'revolutions per minute', '转每分钟'],
  min: ['minute', 'minutes', '分钟'],
  ms: ['millisecond', 'milliseconds', '毫秒'],
  s: ['second', 'seconds', '秒'],
  h: ['hour', 'hours', '小时'],
};
/** Other ways to write them: ASCII for ² ³ µ, lower-case litres, spelled out; the Greek mu (U+03BC) for the micro sign (U+00B5). */
const UNIT_ALIASES: Record<string, string> = {
  kph: 'km/h', m2: 'm²', m3: 'm³', ml: 'mL', l: 'L', 'μg/m³': 'µg/m³', 'ug/m3': 'µg/m³', lux: 'lx',
};

/** Words after which a number is dialled: read digit by digit. */
const DIAL = /(?:\b(?:call|dial|phone|tel\.?|fax)|拨打|拨|致电|电话|热线|号码)[:：]?\s?$/i;

/** Measure words after which 2 is 两 (两个, 两次), unless 第 comes before (第二个). */
const ZH_MEASURE = /^(?:千|万|亿|个|位|次|只|件|天|周|小时|分钟|秒钟|种|条|台|辆|张|本|块|杯|人|岁|倍|年|层|间|套|份|瓶|碗|把|双|对|句|遍|趟|圈|半)/;

// ---------------------------------------------------------------------------------------------
// Tokens

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** An unsigned number: 1,234.5 or 1 234 (no-break or thin spaces) or 23.5 or 7 (bounded repetitions: linear time). */
const NUM = String.raw`(?<int>\d{1,3}(?:,\d{3}){1,6}|\d{1,3}(?:[\u00a0\u202f\u2009]\d{3}){1,6}|\d{1,40})(?:\.(?<frac>\d{1,20}))?`;
const SIGN = String.raw`(?<sign>[-−+])?`;
/**
 * Where a token may start: not after a Latin/Greek/Cyrillic letter, a digit or _ (CO2, 4x4), nor
 * after a digit and a point or colon (the 5 of PM2.5, the 9 of 16:9); Han is fine (温度23度).
 */
const START = String.raw`(?<![\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{N}_]|\p{N}[.:])`;
/** A minus sign is a sign only where a number could not end (5-3 is a range, 20%-30% too). */
const SIGN_START = String.raw`(?<![\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{N}_%°℃℉)\]]|\p{N}[.:])`;
/** Where a token must end: not before a letter or digit, nor before a point or colon and a digit (3.14abc, 16:9 stay whole). */
const END = String.raw`(?![\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{N}_]|[.:]\d)`;
const MONTH = String.raw`Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?`;
const MERIDIEM = String.raw`[aApP]\.?[mM]\.?(?!\p{sc=Latin})`;
const UNIT = [...Object.keys(UNITS), ...Object.keys(UNIT_ALIASES)].sort((a, b) => b.length - a.length).map(esc).join('|');
const DEGREE = String.raw`°\s?[CF]|℃|℉|°`;

interface Context {
  w: Words;
  lang: NumberLanguage;
  /** The text just before and after the token (8 characters each). */
  before: string;
  after: string;
  /** The token follows a token that was read (a range's dash). */
  follows: boolean;
}
type Groups = Record<string, string | undefined>;

interface Rule {
  name: string;
  /** The token; its named groups are passed to `read`. No backreferences (names are stripped in the combined pattern). */
  pattern: string;
  start?: string;
  end?: string;
  /** The spoken text, or undefined to leave the token as written. */
  read(g: Groups, ctx: Context, token: string): string | undefined;
}

const monthIndex = (name: string) => MONTHS_EN.findIndex((m) => m.startsWith(name.slice(0, 3))) + 1;

const RULES: Rule[] = [
  {
    // Digits in a URL are part of a name (clean text drops a link's URL; a bare one may remain).
    name: 'url',
    pattern: String.raw`(?:(?:https?|s?ftps?|wss?|rtsps?|mqtts?|file):\/\/|www\.)[^\s<>"]{1,2000}`,
    start: String.raw`(?<![\p{L}\p{N}_])`,
    end: '',
    read: () => undefined,
  },
  {
    name: 'iso date',
    pattern: String.raw`(?<y>\d{4})(?<sep>[-/.])(?<mo>\d{1,2})[-/.](?<d>\d{1,2})(?:[T ](?<time>\d{1,2}:\d{2}(?::\d{2})?)Z?(?:\s?(?<ap>${MERIDIEM}))?)?`,
    read: (g, ctx, token) => {
      if (token.split(g.sep as string).length !== 3) return undefined;
      const date = dateWords(ctx.w, g.y, Number(g.mo), Number(g.d), ctx.lang);
      if (!date || !g.time) return date;
      const [h, m, s] = g.time.split(':').map(Number);
      const time = timeWords(ctx.w, h, m, s, g.ap, ctx.lang);
      return time && keepFullStop(ctx.lang === 'en' ? `${date}, ${time}` : `${date}${time}`, g.ap, ctx);
    },
  },
  {
    name: 'numeric date',
    pattern: String.raw`(?<a>\d{1,2})(?<sep>[-/.])(?<b>\d{1,2})[-/.](?<y>\d{4})`,
    read: (g, ctx, token) => {
      if (token.split(g.sep as string).length !== 3) return undefined;
      const [a, b] = [Number(g.a), Number(g.b)];
      // Day first with dots (3.12.2026) or when the first number cannot be a month; else month first (en-US).
      const dayFirst = g.sep === '.' || a > 12;
      return dateWords(ctx.w, g.y, dayFirst ? b : a, dayFirst ? a : b, ctx.lang, false);
    },
  },
  {
    name: 'year and month',
    pattern: String.raw`(?<y>1[89]\d\d|20\d\d)-(?<mo>0[1-9]|1[0-2])`,
    end: String.raw`(?![\p{sc=Latin}\p{N}_]|[-.:/]\d)`,
    read: (g, ctx) => dateWords(ctx.w, g.y, Number(g.mo), undefined, ctx.lang),
  },
  {
    name: 'month name, day',
    pattern: String.raw`(?<mon>${MONTH})\.?\s(?<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s(?<y>\d{4}))?`,
    start: String.raw`(?<![\p{L}\p{N}_])`,
    read: (g, ctx) => dateWords(ctx.w, g.y, monthIndex(g.mon as string), Number(g.d), ctx.lang),
  },
  {
    name: 'day, month name',
    pattern: String.raw`(?<d>\d{1,2})(?:st|nd|rd|th)?\s(?:of\s)?(?<mon>${MONTH})\.?(?!\p{L})(?:,?\s(?<y>\d{4}))?`,
    read: (g, ctx) => dateWords(ctx.w, g.y, monthIndex(g.mon as string), Number(g.d), ctx.lang, true),
  },
  {
    name: 'month name, year',
    pattern: String.raw`(?<mon>${MONTH})\.?\s(?<y>\d{4})`,
    start: String.raw`(?<![\p{L}\p{N}_])`,
    read: (g, ctx) => dateWords(ctx.w, g.y, monthIndex(g.mon as string), undefined, ctx.lang),
  },
  {
    name: 'year before 年',
    pattern: String.raw`(?<y>\d{4})`,
    end: String.raw`(?=\s?年)`,
    read: (g, ctx) => yearWords(ctx.w, g.y as string, 'zh'),
  },
  {
    name: 'time',
    pattern: String.raw`(?<h>\d{1,2}):(?<m>\d{2})(?::(?<s>\d{2}))?(?:\s?(?<ap>${MERIDIEM}))?`,
    read: (g, ctx) => meridiemTime(g, ctx),
  },
  {
    name: 'time with a point and a.m./p.m.',
    pattern: String.raw`(?<h>\d{1,2})\.(?<m>\d{2})\s?(?<ap>${MERIDIEM})`,
    end: '',
    read: (g, ctx) => meridiemTime(g, ctx),
  },
  {
    name: 'hour with a.m./p.m.',
    pattern: String.raw`(?<h>\d{1,2})\s?(?<ap>${MERIDIEM})`,
    end: '',
    read: (g, ctx) => meridiemTime(g, ctx),
  },
  {
    name: 'phone number',
    pattern: [
      // +, a country code and groups (+1 555 123 4567, +1 (555) 123-4567), or + and 8–15 digits.
      String.raw`\+\d{1,3}(?:[ \-](?:\(\d{1,4}\)|\d{1,5})){2,5}|\+\d{8,15}`,
      String.raw`(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}`,
      String.raw`1\d{2}[- ]\d{4}[- ]\d{4}`,
      String.raw`0\d{2,3}-\d{7,8}`,
    ].join('|'),
    read: (_g, ctx, token) => phoneWords(token, ctx.lang),
  },
  {
    // 3/4 is a fraction or a date without a year, 24/7 neither: left to the server.
    name: 'numbers with a slash',
    pattern: String.raw`\d{1,4}\/\d{1,4}`,
    end: String.raw`(?![\p{sc=Latin}\p{N}_]|[.:/]\d)`,
    read: () => undefined,
  },
  {
    name: 'version or address',
    pattern: String.raw`\d{1,40}(?:\.\d{1,40}){2,8}`,
    read: () => undefined,
  },
  {
    name: 'currency before',
    pattern: String.raw`${SIGN}(?<cur>US\$|HK\$|[$€£¥￥]|(?:${CURRENCY_CODE})\s)\s?${NUM}(?:\s?(?<scale>thousand|million|billion|trillion|万|亿)(?!\p{L}))?`,
    start: SIGN_START,
    read: (g, ctx) => currencyWords(ctx.w, g.cur as string, g, ctx.lang),
  },
  {
    name: 'currency after',
    pattern: String.raw`${SIGN}${NUM}(?<scale>万|亿)?(?:(?<yuan>元)|\s?(?<cur>[€£])|\s(?<code>${CURRENCY_CODE})(?!\p{L}))`,
    start: SIGN_START,
    end: '',
    read: (g, ctx) => currencyWords(ctx.w, g.yuan ?? g.code ?? (g.cur as string), g, ctx.lang),
  },
  {
    name: 'percentage',
    pattern: String.raw`${SIGN}${NUM}\s?[%％]`,
    start: SIGN_START,
    end: '',
    read: (g, ctx) => {
      const n = unsignedWords(ctx.w, g.int as string, g.frac, ctx.lang);
      return ctx.lang === 'en' ? `${signWords(g.sign, 'en')}${n} percent` : `${signWords(g.sign, 'zh')}百分之${n}`;
    },
  },
  {
    name: 'temperature',
    pattern: String.raw`${SIGN}${NUM}\s?(?<deg>${DEGREE})`,
    start: SIGN_START,
    end: String.raw`(?!\p{L})`,
    read: (g, ctx) => {
      const scale = /C|℃/.test(g.deg as string) ? 'C' : /F|℉/.test(g.deg as string) ? 'F' : '';
      const n = unsignedWords(ctx.w, g.int as string, g.frac, ctx.lang);
      if (ctx.lang === 'zh') return `${signWords(g.sign, 'zh', true)}${n}${scale === 'C' ? '摄氏度' : scale === 'F' ? '华氏度' : '度'}`;
      const degrees = isOne(g.int as string, g.frac) ? 'degree' : 'degrees';
      return `${signWords(g.sign, 'en')}${n} ${degrees}${scale === 'C' ? ' Celsius' : scale === 'F' ? ' Fahrenheit' : ''}`;
    },
  },
  {
    name: "decade with an apostrophe ('90s)",
    pattern: String.raw`['’‘](?<d>[1-9]0)s`,
    start: String.raw`(?<![\p{L}\p{N}_])`,
    read: (g, ctx) => decadeWords(ctx, g.d as string),
  },
  {
    name: 'decade',
    pattern: String.raw`(?<y>1\d\d0|20\d0)s`,
    read: (g, ctx) => {
      if (ctx.lang === 'zh') return `${yearWords(ctx.w, g.y as string, 'zh')}年代`;
      const year = yearWords(ctx.w, g.y as string, 'en');
      return year.endsWith('y') ? `${year.slice(0, -1)}ies` : `${year}s`;
    },
  },
  {
    name: 'unit',
    pattern: String.raw`${SIGN}${NUM}\s?(?<unit>${UNIT})`,
    start: SIGN_START,
    end: String.raw`(?![\p{L}\p{N}_])`,
    read: (g, ctx) => {
      // "the 90s" is a decade; "90s" elsewhere, seconds.
      if (g.unit === 's' && !g.sign && !g.frac && /^[1-9]0$/.test(g.int as string) && /\bthe\s$/i.test(ctx.before)) return decadeWords(ctx, g.int as string);
      const [one, other, zh] = UNITS[UNIT_ALIASES[g.unit as string] ?? (g.unit as string)];
      const n = numberWords(ctx.w, g.sign, g.int as string, g.frac, ctx.lang);
      return ctx.lang === 'zh' ? n + zh : `${n} ${isOne(g.int as string, g.frac) ? one : other}`;
    },
  },
  {
    name: 'ordinal',
    pattern: String.raw`(?<n>\d{1,15})(?:st|nd|rd|th)`,
    read: (g, ctx) => {
      if (/^0/.test(g.n as string)) return undefined;
      return ctx.lang === 'en' ? ctx.w.en.toOrdinal(g.n as string) : `第${integerWords(ctx.w, g.n as string, 'zh')}`;
    },
  },
  {
    name: 'range',
    pattern: String.raw`(?<dash>\s?[–~～]\s?|-)`,
    // After what a read token ends with, so that a minus sign elsewhere stays a sign.
    start: String.raw`(?<=[\p{N}%％°℃℉]|°\s?[CF]|[aApP]\.?[mM]\.?)`,
    end: String.raw`(?=[-−]?\d)`,
    read: (_g, ctx) => (ctx.follows ? (ctx.lang === 'en' ? ' to ' : '到') : undefined),
  },
  {
    name: 'number',
    pattern: String.raw`${SIGN}${NUM}`,
    start: SIGN_START,
    read: (g, ctx) => {
      const int = g.int as string;
      if (g.frac === undefined && /^\d+$/.test(int)) {
        // After "call", "dial", 拨打… a number is a phone number (911, 110: 幺幺零).
        if (DIAL.test(ctx.before)) return digitsWords(int, ctx.lang, true);
        // A bare run of 7 or more digits is a phone number or a code; a leading zero, a code (007).
        if (int.length >= 7) return signWords(g.sign, ctx.lang) + digitsWords(int, ctx.lang, true);
        if (int.length > 1 && int.startsWith('0')) return digitsWords(int, ctx.lang);
        if (ctx.lang === 'zh' && !g.sign) {
          if (int === '2' && !ctx.before.endsWith('第') && ZH_MEASURE.test(ctx.after)) return '两';
          if (int === '2' && /^点(?!\d)/.test(ctx.after)) return '两';
        }
      }
      // 零下 for a negative temperature written in Chinese (-5度).
      if (ctx.lang === 'zh' && g.sign && /^\s?度/.test(ctx.after)) return signWords(g.sign, 'zh', true) + unsignedWords(ctx.w, int, g.frac, 'zh');
      return numberWords(ctx.w, g.sign, int, g.frac, ctx.lang);
    },
  },
];

/** '90s, the 90s: nineties, 九十年代. */
function decadeWords(ctx: Context, tens: string): string {
  if (ctx.lang === 'zh') return `${integerWords(ctx.w, tens, 'zh')}年代`;
  return `${ctx.w.en.toCardinal(tens).slice(0, -1)}ies`;
}

function meridiemTime(g: Groups, ctx: Context): string | undefined {
  const words = timeWords(ctx.w, Number(g.h), g.m === undefined ? undefined : Number(g.m), g.s === undefined ? undefined : Number(g.s), g.ap, ctx.lang);
  return words && keepFullStop(words, g.ap, ctx);
}

/** "at 7 p.m." at the end of a sentence: the meridiem's last point was also the full stop. */
function keepFullStop(words: string, meridiem: string | undefined, ctx: Context): string {
  const end = ctx.lang === 'en' ? '.' : '。';
  return meridiem?.endsWith('.') && /^(?:\s*$|\s+[\p{Lu}\p{Lo}])/u.test(ctx.after) ? words + end : words;
}

/** Digit by digit, one group (between spaces, dashes, dots, brackets) per pause; + is "plus"/加. */
function phoneWords(token: string, lang: NumberLanguage): string {
  const groups = token.match(/\d+/g) ?? [];
  const plus = token.startsWith('+') ? (lang === 'en' ? 'plus ' : '加') : '';
  return plus + groups.map((g) => digitsWords(g, lang, true)).join(lang === 'en' ? ', ' : '，');
}

const stripNames = (pattern: string) => pattern.replace(/\(\?<(?![=!])[A-Za-z_]\w*>/g, '(?:');

/** All rules in one pattern, each wrapped in a group `r<i>` to tell which one matched. */
const TOKEN = new RegExp(
  RULES.map((r, i) => `${r.start ?? START}(?<r${i}>${stripNames(r.pattern)})${r.end ?? END}`).join('|'),
  'gu',
);
const ANCHORED = RULES.map((r) => new RegExp(`^(?:${r.pattern})$`, 'u'));

/**
 * Reads every token of the text, each in the language of the sentence it starts in. Tokens are
 * found over the whole text, not sentence by sentence: a sentence boundary may fall inside one
 * (the `?` of a URL, the points of "7 a.m. Then").
 */
function* readTokens(w: Words, text: string, sentences: Sentence[]): Generator<void, string> {
  let out = '';
  let last = 0;
  let lastRead = -1;
  let s = 0;
  let pause = SLICE;
  // A copy of its own: another text may be read between two slices of this one.
  const tokens = new RegExp(TOKEN.source, TOKEN.flags);
  for (let m = tokens.exec(text); m; m = tokens.exec(text)) {
    if (m.index >= pause) {
      yield;
      pause = m.index + SLICE;
    }
    const token = m[0];
    while (s < sentences.length - 1 && m.index >= sentences[s].end) s++;
    const lang = sentences[s].lang;
    const i = RULES.findIndex((_r, k) => m?.groups?.[`r${k}`] !== undefined);
    const groups = ANCHORED[i].exec(token)?.groups ?? {};
    const ctx: Context = {
      w,
      lang,
      before: text.slice(Math.max(0, m.index - 8), m.index),
      after: text.slice(m.index + token.length, m.index + token.length + 8),
      follows: lastRead === m.index,
    };
    const words = RULES[i].read(groups, ctx, token);
    if (words === undefined) continue;
    out += text.slice(last, m.index) + words;
    last = m.index + token.length;
    lastRead = last;
  }
  return last === 0 ? text : out + text.slice(last);
}
