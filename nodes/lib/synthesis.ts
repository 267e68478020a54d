import { addLeadIn, joinWavs, resampleWav } from './audio';
import { AudioCache } from './cache';
import { splitText } from './chunk';
import type { TtsRequestBody } from './client';
import { abortError } from './errors';
import { audioDigest, type RequestOptions, type VoxcpmService } from './service';
import { parseWav, WavInfo } from './wav';

/** How the audio of one message is made from the server's answers. */
export interface AudioSettings {
  /** Longer text is split at sentence ends into pieces of at most this many characters. */
  maxChunk: number;
  /** Milliseconds of silence between joined pieces. */
  pause: number;
  /** Resample to this rate; 0 keeps the server's. */
  sampleRate: number;
  /** Milliseconds of silence before the speech. */
  leadIn: number;
}

export const AUDIO_DEFAULTS: AudioSettings = { maxChunk: 150, pause: 150, sampleRate: 0, leadIn: 0 };

export interface SpokenAudio {
  wav: Buffer;
  info: WavInfo;
  /** True when it came from the cache, without a server call. */
  cached: boolean;
  /** The server's JSON sample_rate when it disagreed with the header. */
  reportedSampleRate?: number;
  /**
   * A copy of `wav` that nothing will change, made when asked (`keep`) or for the
   * cache: one copy serves the cache and msg.url, while `wav` flows on.
   */
  kept?: Buffer;
}

export interface Piece extends SpokenAudio {
  index: number;
  count: number;
}

export interface SpeakOptions extends RequestOptions {
  /** False: neither read nor write the cache for this message. */
  cache?: boolean;
  /** Make `kept`, an unchanging copy of new audio (for msg.url). */
  keep?: boolean;
  /** Called as pieces of a long text are done: (done, count). */
  onProgress?: (done: number, count: number) => void;
}

/**
 * Speaks one request: from the cache when it can, else through the server's
 * queue, a long text in pieces (submitted together, so several servers share
 * them, and joined in order), then resampled and given its lead-in as asked.
 */
export async function speak(service: VoxcpmService, body: TtsRequestBody, settings: AudioSettings, options: SpeakOptions): Promise<SpokenAudio> {
  const cache = options.cache === false ? undefined : service.cache;
  const key = cache ? cacheKey(service, body, settings, 'whole') : '';
  const hit = cache ? await cache.get(key) : undefined;
  if (hit) return { wav: hit, info: parseWav(hit), cached: true };

  const texts = pieces(body.text, settings.maxChunk);
  // The pieces of a long text are cached too (as the server sent them), so a text that
  // shares sentences with an earlier one, or is said again after a failed piece, pays only once.
  const pieceCache = texts.length > 1 ? cache : undefined;
  const results = await inOrder(service, body, texts, options, pieceCache, settings, (done) => options.onProgress?.(done, texts.length));
  const joined = results.length === 1 ? results[0].wav : joinWavs(results.map((r) => r.wav), settings.pause);
  const wav = finish(joined, settings);
  const kept = keep(wav, cache, key, options);
  const mismatch = results.find((r) => r.reportedSampleRate !== undefined && r.reportedSampleRate !== r.info.sampleRate);
  return { wav, info: parseWav(wav), cached: false, reportedSampleRate: mismatch?.reportedSampleRate, kept };
}

/**
 * Speaks a long text piece by piece for streaming: `onPiece` gets each piece
 * as soon as it and all before it are ready, so playback can start on the first.
 */
export async function speakPieces(
  service: VoxcpmService,
  body: TtsRequestBody,
  settings: AudioSettings,
  options: SpeakOptions,
  onPiece: (piece: Piece) => void,
): Promise<number> {
  const cache = options.cache === false ? undefined : service.cache;
  const texts = pieces(body.text, settings.maxChunk);
  const count = texts.length;
  const ac = linkedController(options.signal);
  // All pieces are asked for at once (in order, through the queue and the cache); they leave in order.
  const pending = texts.map(async (text, index): Promise<SpokenAudio> => {
    const pieceBody = { ...body, text };
    const key = cache ? cacheKey(service, pieceBody, settings, 'piece') : '';
    const hit = cache ? await cache.get(key) : undefined;
    if (hit) return { wav: hit, info: parseWav(hit), cached: true };
    const r = await service.synthesize(pieceBody, { ...options, signal: ac.signal, admitted: index > 0 });
    const wav = finish(r.wav, settings);
    const kept = keep(wav, cache, key, options);
    const mismatch = r.reportedSampleRate !== undefined && r.reportedSampleRate !== r.info.sampleRate;
    return { wav, info: parseWav(wav), cached: false, reportedSampleRate: mismatch ? r.reportedSampleRate : undefined, kept };
  });
  // Handled here so that a later piece failing while an earlier one is awaited is never "unhandled".
  for (const p of pending) p.catch(() => undefined);
  try {
    for (let i = 0; i < count; i++) {
      const piece = await pending[i];
      options.onProgress?.(i + 1, count);
      onPiece({ ...piece, index: i, count });
    }
    return count;
  } catch (err) {
    ac.abort(abortError(options.signal));
    // The pieces still out end with the abort: nothing is left running or unhandled.
    await Promise.allSettled(pending);
    throw err;
  }
}

/** The trimmed pieces of a text, each at most `maxChunk` characters. */
function pieces(text: string, maxChunk: number): string[] {
  return splitText(text, maxChunk)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Server calls for every piece, submitted together; results in order. The first failure aborts the rest. */
async function inOrder(
  service: VoxcpmService,
  body: TtsRequestBody,
  texts: string[],
  options: SpeakOptions,
  cache: AudioCache | undefined,
  settings: AudioSettings,
  progress: (done: number) => void,
): Promise<Array<Pick<SpokenAudio, 'wav' | 'info' | 'reportedSampleRate'>>> {
  const ac = linkedController(options.signal);
  let done = 0;
  const one = async (text: string, index: number) => {
    const pieceBody = { ...body, text };
    const key = cache ? cacheKey(service, pieceBody, settings, 'raw') : '';
    const hit = cache ? await cache.get(key) : undefined;
    // The queue limit counts messages: the first piece is checked, the others ride along.
    const request = { ...options, signal: ac.signal, admitted: index > 0 };
    const r = hit ? { wav: hit, info: parseWav(hit) } : await service.synthesize(pieceBody, request);
    if (cache && !hit) void cache.set(key, r.wav);
    progress(++done);
    return r;
  };
  const calls = texts.map(one);
  try {
    return await Promise.all(calls);
  } catch (err) {
    ac.abort(abortError(options.signal));
    await Promise.allSettled(calls);
    throw err;
  }
}

/** One unchanging copy of new audio, for the cache and (when asked) msg.url. */
function keep(wav: Buffer, cache: AudioCache | undefined, key: string, options: SpeakOptions): Buffer | undefined {
  if (!cache && !options.keep) return undefined;
  const kept = Buffer.from(wav);
  if (cache) void cache.set(key, kept, { owned: true });
  return kept;
}

function finish(wav: Buffer, settings: AudioSettings): Buffer {
  let out = wav;
  if (settings.sampleRate > 0) out = resampleWav(out, settings.sampleRate);
  if (settings.leadIn > 0) out = addLeadIn(out, settings.leadIn);
  return out;
}

/** Everything that changes the audio: the servers, the request (reference hashed) and the output settings. */
function cacheKey(service: VoxcpmService, body: TtsRequestBody, settings: AudioSettings, kind: 'whole' | 'piece' | 'raw'): string {
  const audio = audioDigest(body.audio);
  return AudioCache.key({
    kind,
    servers: service.endpoints,
    text: body.text,
    prompt: body.prompt,
    audio,
    reference_text: body.reference_text,
    // A whole text depends on how it was cut and joined; a finished piece on the output
    // settings; a raw piece (as the server sent it) on nothing more.
    maxChunk: kind === 'whole' ? settings.maxChunk : 0,
    pause: kind === 'whole' ? settings.pause : 0,
    sampleRate: kind === 'raw' ? 0 : settings.sampleRate,
    leadIn: kind === 'raw' ? 0 : settings.leadIn,
  });
}

/** A controller that also aborts (with the same reason) when `parent` does. */
function linkedController(parent?: AbortSignal): AbortController {
  const ac = new AbortController();
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', () => ac.abort(parent.reason), { once: true });
  return ac;
}
