/**
 * Every default and every rule the runtime and the editor share, written once.
 *
 * Browser-safe: no Node imports, no Buffer, no process. The runtime imports it
 * (nodes/lib/*, nodes/voxcpm-server.ts) and esbuild bundles it into the editor
 * (editor/*.ts -> resources/voxcpm-editor.js), so a dialog accepts exactly what
 * the runtime accepts and shows the defaults the runtime uses.
 */

// ---------------------------------------------------------------- defaults

/** The settings of a voxcpm-server config node, as a new node gets them. */
export const SERVER_DEFAULTS = {
  name: '',
  url: 'http://127.0.0.1:5022',
  /** Seconds one message may take, queue and retries included. */
  timeout: 300,
  /** Requests at one server at once: one GPU, one request. */
  concurrency: 1,
  /** Messages that may wait. */
  queueLimit: 100,
  /** Further attempts after a fault that may pass. */
  retries: 3,
  /** Larger answers are cut off, in MB; also the bound of one message's joined audio. */
  maxResponseMB: 100,
  /** Longer texts are refused before any work, in characters. */
  maxText: 20000,
  warmup: false,
  cache: true,
  /** Memory for cached audio, in MB. */
  cacheSize: 64,
  cacheDir: '',
  /** Seconds a result stays downloadable at msg.url. */
  urlTtl: 600,
  publicUrl: '',
  authType: 'none',
  headerName: '',
  tls: '',
  proxy: '',
} as const;

/**
 * What the results served at msg.url may hold (nodes/lib/url-store.ts), in MB. Results up to
 * `spillAboveMB` stay in memory while all of those together stay under `memoryMB`; larger ones,
 * and any once memory is full, are written to files under Node-RED's user directory, up to
 * `diskMB` in all. Nothing leaves before its link life is over: beyond these a result gets no
 * link and the node warns.
 */
export const URL_STORE_LIMITS = {
  memoryMB: 32,
  spillAboveMB: 4,
  diskMB: 1024,
} as const;

/** The settings voxcpm-tts and voxcpm-clone share, as a new node gets them. */
export const SYNTHESIS_DEFAULTS = {
  name: '',
  server: '',
  text: 'payload',
  output: 'payload',
  prompt: '',
  promptType: 'str',
  /** Longer text is split at sentence ends into pieces of at most this many characters. */
  maxChunk: 150,
  /** Milliseconds of silence between joined pieces. */
  pause: 150,
  streaming: false,
  outputFormat: 'wav',
  /** The samples: 'wav' as the server sent them, 'wav16' as 16-bit PCM (see AUDIO_FORMATS). */
  audioFormat: 'wav',
  /** Resample to this rate; 0 keeps the server's. */
  sampleRate: 0,
  /** Milliseconds of silence before the speech. */
  leadIn: 0,
  /** The id of a voxcpm-voice node; '' for none (msg.voice may still name one). */
  voice: '',
  /** Markdown (emphasis, headings, lists, links, code) and emoji removed before sending. */
  cleanText: true,
  /**
   * Numbers, times, dates and units spelled out before sending. Off: VoxCPM2 servers may
   * normalise text themselves (the library's `normalize` option), and a second pass could
   * read differently; Preview lets a user hear both.
   */
  normalizeNumbers: false,
  // Audio steps (see AUDIO STEPS below).
  /** Playback speed, pitch kept; 1: unchanged. */
  speed: 1,
  /** Target integrated loudness in LUFS; empty: off. */
  loudness: '',
  /** MP3 bitrate in kbps (audioFormat 'mp3'): plenty for mono speech. */
  mp3Bitrate: 64,
} as const;

/** The settings of a voxcpm-clone node: the shared ones plus its reference. */
export const CLONE_DEFAULTS = { ...SYNTHESIS_DEFAULTS, reference: '', referenceText: '' } as const;

/** The settings of a voxcpm-voice config node, as a new node gets them. */
export const VOICE_DEFAULTS = { name: '', prompt: '', reference: '', referenceText: '' } as const;

/** A voice's name (what msg.voice says) has at most this many characters. */
export const VOICE_NAME_MAX = 60;

/** The smallest piece length the editor allows. */
export const MIN_CHUNK = 10;

/** A short sentence for the optional warm-up at deploy: the model's cold start is paid here. */
export const WARMUP_TEXT = '你好。';

/** VoxCPM clones best from 5–30 s of clear speech; below 3 s or above 30 s it is warned about. */
export const REFERENCE_MIN_SECONDS = 3;
export const REFERENCE_MAX_SECONDS = 30;

// ---------------------------------------------------------------- choices

/**
 * Ready-made voice prompts, in menu order. The prompt is the same in every language (VoxCPM2
 * follows Chinese prompts best); only the menu label (`common.presets.<key>`) is translated.
 */
export const PRESETS: ReadonlyArray<{ readonly key: string; readonly prompt: string }> = [
  { key: 'gentle', prompt: '年轻女性，声音温柔甜美，语速适中' },
  { key: 'formal', prompt: '正式、清晰、语速稍慢' },
  { key: 'child', prompt: '活泼可爱的小孩，语气欢快' },
  { key: 'anchor', prompt: '新闻播音员，字正腔圆，沉稳大气' },
  { key: 'cantonese', prompt: '粤语，中年男性，声音浑厚' },
  { key: 'storyteller', prompt: '温暖的讲故事语气，语速偏慢' },
  { key: 'host', prompt: '热情洋溢的主持人，语速较快' },
  { key: 'assistant', prompt: '平静友好的语音助手' },
  { key: 'whisper', prompt: '轻声细语，像在耳边低语' },
];

/** The sample rates the menu offers; 0: as the server sends it. */
export const SAMPLE_RATES: readonly number[] = [0, 8000, 16000, 22050, 24000, 44100, 48000];

/** Where a prompt may come from (typedInput types). */
export const PROMPT_TYPES = ['str', 'msg', 'flow', 'global'] as const;

/** What the audio is sent as. */
export const OUTPUT_FORMATS = ['wav', 'base64', 'dataurl'] as const;

/**
 * What the audio is made of: `wav` keeps the server's samples (VoxCPM2 servers send 32-bit
 * float or 16-bit PCM), `wav16` makes 16-bit PCM WAV at the same rate (what phones, intercoms
 * and most players take), `mp3` an MP3 at MP3_BITRATES (mono, or stereo from a stereo
 * source). Label: `common.option.audio.<value>`.
 */
export const AUDIO_FORMATS = ['wav', 'wav16', 'mp3'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/** Whether a value is one of AUDIO_FORMATS. */
export function isAudioFormat(value: unknown): value is AudioFormat {
  return (AUDIO_FORMATS as readonly unknown[]).includes(value);
}

// ---------------------------------------------------------------- AUDIO STEPS (issue 10)

/** The MP3 bitrates offered, in kbps (constant bitrate; every MPEG version has them up to 160). */
export const MP3_BITRATES: readonly number[] = [32, 48, 64, 96, 128, 160];

/** The sample rates MP3 allows (MPEG-1, 2 and 2.5); other rates are resampled to the nearest. */
export const MP3_SAMPLE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** Speed (msg.speed): 0.5 is half as fast, 2 twice as fast; the pitch is kept. */
export const SPEED_RANGE = { min: 0.5, max: 2 } as const;

/**
 * Loudness targets (msg.loudness), in LUFS (ITU-R BS.1770 integrated loudness): −23 is
 * EBU R128 broadcast, −16 suits speakers; quieter than −40 is inaudible in a room, louder
 * than −5 only clips.
 */
export const LOUDNESS_RANGE = { min: -40, max: -5 } as const;

/** The true peak loudness normalisation keeps to, in dBTP (EBU R128 for delivery). */
export const TRUE_PEAK_CEILING_DBTP = -1;

/** The MP3 rate closest to `rate` (the higher one of two equally close). */
export function nearestMp3Rate(rate: number): number {
  let best = MP3_SAMPLE_RATES[0];
  for (const r of MP3_SAMPLE_RATES) if (Math.abs(r - rate) <= Math.abs(best - rate)) best = r;
  return best;
}

/** A number as typed or sent: numbers and numeric text; NaN for anything else (empty text too). */
function typedNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/** A speed as typed or sent, or undefined when it is not a number within SPEED_RANGE. */
export function speedValue(value: unknown): number | undefined {
  const n = typedNumber(value);
  return n >= SPEED_RANGE.min && n <= SPEED_RANGE.max ? n : undefined;
}

/**
 * A loudness target as typed or sent: the LUFS within LOUDNESS_RANGE, `null` for off
 * (empty text, or false), undefined when it is neither.
 */
export function loudnessValue(value: unknown): number | null | undefined {
  if (value === false || (typeof value === 'string' && value.trim() === '')) return null;
  const n = typedNumber(value);
  return n >= LOUDNESS_RANGE.min && n <= LOUDNESS_RANGE.max ? n : undefined;
}

/** An MP3 bitrate as chosen or sent (kbps, numeric text counts), or undefined when it is not one of MP3_BITRATES. */
export function mp3BitrateValue(value: unknown): number | undefined {
  const n = typedNumber(value);
  return MP3_BITRATES.includes(n) ? n : undefined;
}

// ---------------------------------------------------------------- (end of audio steps)

/** How the server is logged in to. */
export const AUTH_TYPES = ['none', 'bearer', 'basic', 'header'] as const;

// ---------------------------------------------------------------- the server URL

/** The path of the VoxCPM2 endpoint, added to a base URL. */
export const API_PATH = '/api/tts';
/** A URL that starts with a scheme (`http://`, `ftp://` ...). */
export const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** A user name or password before the host: never allowed (logs, flow exports). */
export const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i;
/** What may omit the scheme: a plain `host[:port][/path]` ("5022" or "http:/host" are typos). */
export const BARE_HOST = /^(\[[0-9a-f:.]+\]|[^\s/:@]+)(:\d+)?(\/.*)?$/i;
/** A host made of digits only, which a bare `host[:port]` may not be. */
export const DIGITS_ONLY = /^\d+$/;

/** Why a server URL line is refused, or undefined when resolveEndpoint (endpoint.ts) takes it. */
export type ServerUrlProblem = 'missing' | 'credentials' | 'invalid' | 'scheme' | 'host';

/** The rule of resolveEndpoint, without its errors: what is wrong with one typed server URL. */
export function serverUrlProblem(input: unknown): ServerUrlProblem | undefined {
  if (typeof input !== 'string' || input.trim() === '') return 'missing';
  const raw = input.trim();
  if (URL_CREDENTIALS.test(raw)) return 'credentials';
  let withScheme = raw;
  if (!URL_SCHEME.test(raw)) {
    const m = BARE_HOST.exec(raw);
    if (!m || DIGITS_ONLY.test(m[1])) return 'invalid';
    withScheme = `http://${raw}`;
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return 'invalid';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'scheme';
  if (!url.hostname) return 'host';
  return undefined;
}

/** The server URLs of the setting: one per line, blank lines left out (as the service reads them). */
export function serverUrlLines(value: unknown): string[] {
  return String(value ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

// ---------------------------------------------------------------- the custom header

/** A header name as HTTP allows it (RFC 9110 token). */
export const HEADER_NAME_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Header names a custom credential may not take: the ones that frame the
 * message or steer the connection (hop-by-hop, RFC 9110 §7.6.1 and §6.6),
 * the proxy's own credentials, and the content type of the JSON body. Sending
 * any of them would break the request or smuggle a second one. Lower case.
 */
export const FORBIDDEN_HEADER_NAMES: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
  'expect',
  'content-type',
]);

/** Why a custom header name is refused, or undefined when authHeaders (auth.ts) takes it. */
export function headerNameProblem(name: unknown): 'invalid' | 'forbidden' | undefined {
  const n = typeof name === 'string' ? name.trim() : '';
  if (!HEADER_NAME_TOKEN.test(n)) return 'invalid';
  if (FORBIDDEN_HEADER_NAMES.has(n.toLowerCase())) return 'forbidden';
  return undefined;
}

// ---------------------------------------------------------------- numbers

/** The rule of a number setting: at least `min` (more than `min` when `above`), whole when `whole`. */
export interface NumberRule {
  readonly min: number;
  readonly above?: boolean;
  readonly whole?: boolean;
}

/** The server's number settings, as the service (service.ts) checks them. */
export const SERVER_NUMBER_RULES = {
  timeout: { min: 0, above: true },
  concurrency: { min: 1, whole: true },
  queueLimit: { min: 1, whole: true },
  retries: { min: 0, whole: true },
  maxResponseMB: { min: 0, above: true },
  maxText: { min: 1, whole: true },
  cacheSize: { min: 0 },
  urlTtl: { min: 0, above: true },
} as const satisfies Record<string, NumberRule>;

/** Whether a typed value is a number the rule allows (empty text is not). */
export function numberOk(value: unknown, rule: NumberRule): boolean {
  const s = String(value ?? '').trim();
  const n = Number(s);
  return s !== '' && Number.isFinite(n) && (rule.above ? n > rule.min : n >= rule.min) && (!rule.whole || Number.isInteger(n));
}

/**
 * The credentials of a voxcpm-server, as Node-RED declares them (runtime and editor): kept in
 * its credential store, never in the flow. A password-type one never reaches the editor.
 */
export const SERVER_CREDENTIALS = {
  token: { type: 'password' },
  username: { type: 'text' },
  password: { type: 'password' },
  headerValue: { type: 'password' },
  proxyUsername: { type: 'text' },
  proxyPassword: { type: 'password' },
} as const;
