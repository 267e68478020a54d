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
} as const;

/** The settings of a voxcpm-clone node: the shared ones plus its reference. */
export const CLONE_DEFAULTS = { ...SYNTHESIS_DEFAULTS, reference: '', referenceText: '' } as const;

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
 * and most players take). Label: `common.option.audio.<value>`.
 */
export const AUDIO_FORMATS = ['wav', 'wav16'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/** Whether a value is one of AUDIO_FORMATS. */
export function isAudioFormat(value: unknown): value is AudioFormat {
  return (AUDIO_FORMATS as readonly unknown[]).includes(value);
}

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
