import { blockAlign, convertedBytes, makeSilence, msToFrames, sameShape, sampleData, shapeOf, wavHeader, type AudioShape } from './audio';
import path from 'node:path';
import { AudioCache } from './cache';
import type { TtsRequestBody } from './client';
import { abortError, VoxcpmError } from './errors';
import { formatMB } from './files';
import { offload } from './offload';
import { checkTextLimits } from './request';
import { audioDigest } from './reference';
import { serverNumber, VoxcpmService, type RequestOptions, type ServiceLimits, type ServiceSettings } from './service';
import type { PreparedSpeech, TextSettings } from './speech-text';
import { parseWav, WavFormatError, type WavInfo } from './wav';
import type { FinishSteps } from './audio-steps';
import { mp3Info } from './mp3';
import type { AudioContentType } from './url-store';

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
  /** 'wav16': 16-bit PCM samples; 'mp3': an MP3; 'wav' (or absent): the server's own sample format. */
  audioFormat?: AudioFormat;
  /** Markdown and emoji removed before sending (absent: SYNTHESIS_DEFAULTS.cleanText). */
  cleanText?: boolean;
  /** Numbers spelled out before sending (absent: SYNTHESIS_DEFAULTS.normalizeNumbers). */
  normalizeNumbers?: boolean;
  // The audio steps (audio-steps.ts): each skipped when not asked.
  /** Playback speed, pitch kept (SPEED_RANGE); 1 or absent: unchanged. */
  speed?: number;
  /** Target integrated loudness in LUFS (LOUDNESS_RANGE); null or absent: off. */
  loudness?: number | null;
  /** Kbps of an MP3 (MP3_BITRATES); absent: the default. */
  mp3Bitrate?: number;
}

import { nearestMp3Rate, SYNTHESIS_DEFAULTS, type AudioFormat } from './defaults';
const { maxChunk, pause, sampleRate, leadIn, audioFormat, cleanText, normalizeNumbers, speed, mp3Bitrate } = SYNTHESIS_DEFAULTS;
export const AUDIO_DEFAULTS: AudioSettings = {
  maxChunk, pause, sampleRate, leadIn, audioFormat, cleanText, normalizeNumbers, speed, loudness: null, mp3Bitrate,
};

/** The media type of a result: a WAV, or an MP3. */
export type { AudioContentType };

/** What is known of a result: its WAV header, or what its MP3 frames say (no bit depth). */
export interface AudioInfo {
  sampleRate: number;
  channels: number;
  /** Seconds. For an MP3, of all its frames (the encoder's delay included: ~50 ms more). */
  duration: number;
  /** Bits per sample of a WAV; undefined for an MP3, which has none. */
  bitDepth?: number;
}

/**
 * The message's own timer ends work that is not a server request (audio
 * conversion) this long after its deadline: requests end at the deadline
 * itself, each with its own, more precise error.
 */
const DEADLINE_GRACE_MS = 250;

/** The final copy of a long result yields to the event loop after this many bytes. */
const COPY_SLICE_BYTES = 8 * 1024 * 1024;

/**
 * Pieces that are ready at once (cache hits, shared answers) are handed on in
 * a chain of promises that never lets I/O in: after this much time the chain yields.
 */
const SLICE_MS = 20;

export interface SpokenAudio {
  /** The file: a WAV, or an MP3 when `contentType` says audio/mpeg. */
  file: Buffer;
  info: AudioInfo;
  contentType: AudioContentType;
  /** True when it came from the cache, without a server call. */
  cached: boolean;
  /** The server's JSON sample_rate when it disagreed with the header. */
  reportedSampleRate?: number;
  /**
   * A copy of `file` that nothing will change, made when asked (`keep`) or for the
   * cache: one copy serves the cache and msg.url, while `file` flows on. For a cache
   * hit, the cache's own buffer.
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
  /** Called as pieces of a long text are done, in order: (done, count). */
  onProgress?: (done: number, count: number) => void;
  /** Called with what the text preparation has to say (ignored SSML tags, a dropped voice description). */
  onWarning?: (kind: string, message: string) => void;
}

/** A server answer (or cached one) as the pipeline holds it: never changed, maybe shared. */
interface Raw {
  wav: Buffer;
  info: WavInfo;
  /** Also held by someone else (another message, the cache): what flows on must be a copy. */
  shared: boolean;
  reportedSampleRate?: number;
}

/**
 * The synthesis pipeline of one voxcpm-server: its service (the queue in front
 * of the servers) and its audio cache, and what a message goes through between
 * them: the cache, the pieces of a long text (each stretched by its SSML rate), joining, resampling, lead-in, the
 * audio steps (speed, loudness, MP3: audio-steps.ts) and the copy kept for
 * msg.url. Flow nodes, Test connection and Preview speak through it; nothing
 * else reaches into the service or the cache.
 */
export class Synthesizer {
  /**
   * @param service the queue and servers (its configError is this pipeline's)
   * @param cache finished audio by everything that changes it; none: nothing is cached
   * @param configError a settings problem found beside the service's (the cache's size)
   */
  constructor(
    readonly service: VoxcpmService,
    readonly cache?: AudioCache,
    readonly configError: VoxcpmError | undefined = service.configError,
  ) {}

  /**
   * The pipeline a voxcpm-server's settings describe: the service, and the cache
   * unless `cache` is false. A bad setting is kept as `configError` (every
   * message reports it), never thrown.
   */
  static fromSettings(settings: ServiceSettings): Synthesizer {
    const service = new VoxcpmService(settings);
    try {
      return new Synthesizer(service, audioCacheFrom(settings), service.configError);
    } catch (err) {
      if (!(err instanceof VoxcpmError)) throw err;
      return new Synthesizer(service, undefined, service.configError ?? err);
    }
  }

  /** The bounds every message is checked against (text length, audio size, window). */
  get limits(): ServiceLimits {
    return this.service.limits;
  }

  /** Queued and running requests of one flow node. */
  countOf(owner: string): { queued: number; running: number } {
    return this.service.countOf(owner);
  }

  /**
   * Speaks one request: from the cache when it can, else through the server's
   * queue. A long text goes out in pieces through a window of
   * `limits.window` requests (so several servers share them, and memory holds
   * at most that many answers besides the output); pieces are converted to the
   * output layout (resampled off the event loop) and joined in order, and the
   * output is checked against `limits.maxAudioBytes` as it grows.
   *
   * Throws VoxcpmError: VOXCPM_INPUT_INVALID for a text over
   * `limits.maxTextChars` (before any work) or audio over the limit, the codes
   * of the server calls, VOXCPM_TIMEOUT at the message's deadline, the abort
   * reason of `options.signal`; VOXCPM_CONFIG for a bad configuration.
   */
  speak(body: TtsRequestBody, settings: AudioSettings, options: SpeakOptions): Promise<SpokenAudio> {
    if (this.configError) return Promise.reject(this.configError);
    return speak(this.service, this.cache, body, settings, options);
  }

  /**
   * Speaks a long text piece by piece for streaming: `onPiece` gets each piece
   * as soon as it and all before it are ready, so playback can start on the
   * first. Pieces go out through the same window as `speak`; a piece is let go
   * once `onPiece` has it. Resolves with the number of pieces; throws as `speak` does.
   */
  speakPieces(body: TtsRequestBody, settings: AudioSettings, options: SpeakOptions, onPiece: (piece: Piece) => void): Promise<number> {
    if (this.configError) return Promise.reject(this.configError);
    return speakPieces(this.service, this.cache, body, settings, options, onPiece);
  }
}

/**
 * The cache a voxcpm-server's settings describe, or undefined when it is off
 * (`cache` false or "false"). Throws VOXCPM_CONFIG for a size that is not a
 * number of MB from 0.
 */
function audioCacheFrom(settings: ServiceSettings): AudioCache | undefined {
  if (settings.cache === false || settings.cache === 'false') return undefined;
  const mb = serverNumber(settings.cacheSize, 'cacheSize', 'service.cacheSizeInvalid');
  const dir = settings.cacheDir?.trim();
  return new AudioCache({
    maxBytes: Math.round(mb * 1024 * 1024),
    dir: dir ? path.resolve(settings.baseDir ?? process.cwd(), dir) : undefined,
    onError: settings.onCacheError,
  });
}

/** Synthesizer.speak, with what it holds. */
async function speak(
  service: VoxcpmService,
  pipelineCache: AudioCache | undefined,
  body: TtsRequestBody,
  settings: AudioSettings,
  options: SpeakOptions,
): Promise<SpokenAudio> {
  checkTextLimits(body, service.limits.maxTextChars);
  const digest = options.audioDigest ?? audioDigest(body.audio);
  const cache = options.cache === false ? undefined : pipelineCache;
  const key = cache ? cacheKey(service, body, settings, 'whole', digest) : '';
  // A cache hit needs nothing of a message's run: no deadline timer, no place in the queue.
  const hit = cache ? await cache.get(key, { shared: true }) : undefined;
  const contentType = contentTypeOf(settings);
  if (hit) return fromCache(hit, contentType);
  const run = new MessageRun(service, body, { ...options, audioDigest: digest });
  try {
    const prepared = await pieces(body, settings, run.signal, options);
    // A piece with an SSML rate is stretched in float: the whole message then works in float.
    const rated = prepared.pieces.some((p) => p.rate !== undefined);
    const finish = finishing(settings, rated);
    const texts = prepared.pieces.map((p) => p.text);
    const spoken = { ...body, prompt: prepared.prompt };
    const count = texts.length;
    // The pieces of a long text are cached too (as the server sent them), so a text that
    // shares sentences with an earlier one, or is said again after a failed piece, pays only once.
    const pieceCache = count > 1 ? cache : undefined;
    let first: Raw | undefined;
    const targetKnown = deferred<AudioShape>();
    targetKnown.promise.catch(() => undefined); // piece 0 reports its own failure
    // One conversion per distinct text and rate: a sentence said twice shares its samples, no copy.
    const samples = new Map<string, Promise<Buffer>>();
    const pieceSamples = (index: number): Promise<Buffer> => {
      const text = texts[index];
      const rate = prepared.pieces[index].rate;
      const sampleKey = `${rate ?? 1}\u0000${text}`;
      let p = samples.get(sampleKey);
      if (!p) {
        p = (async () => {
          let raw: Raw;
          try {
            raw = await fetchRaw(service, run, { ...spoken, text }, index, count, pieceCache, settings);
          } catch (err) {
            if (index === 0) targetKnown.reject(err);
            throw err;
          }
          if (index === 0) {
            first = raw;
            targetKnown.resolve(pieceShape(raw.info, settings, rated));
          }
          const target = await targetKnown.promise;
          return withRate(await toShape(raw, target, run), target, rate, run);
        })();
        samples.set(sampleKey, p);
      }
      return p;
    };

    const parts: Buffer[] = [];
    let bytes = 0;
    const push = (part: Buffer) => {
      parts.push(part);
      bytes += part.length;
    };
    let target: AudioShape | undefined;
    let gap: Buffer = Buffer.alloc(0);
    // After a piece: the usual pause, or exactly the silence of an SSML break (none after the last).
    const pauseAfter = (shape: AudioShape, index: number): Buffer | undefined => {
      const ms = prepared.pieces[index].pauseAfterMs;
      if (ms !== undefined) return ms > 0 ? makeSilence(shape, msToFrames(shape.sampleRate, ms)) : undefined;
      return index < count - 1 ? gap : undefined;
    };
    await inWindow(count, service.limits.window, run, pieceSamples, (data, index) => {
      if (!target) {
        target = pieceShape((first as Raw).info, settings, rated);
        gap = makeSilence(target, msToFrames(target.sampleRate, settings.pause));
        // With audio steps, the lead-in comes after them (audio-steps.ts); a leading SSML break is speech's own.
        const leadIn = (finish ? 0 : msToFrames(target.sampleRate, settings.leadIn)) + msToFrames(target.sampleRate, prepared.pauseBeforeMs);
        if (leadIn > 0) push(makeSilence(target, leadIn));
      } else {
        const before = pauseAfter(target, index - 1);
        if (before) push(before);
      }
      push(data);
      if (index === count - 1) {
        const after = pauseAfter(target, index);
        if (after) push(after);
      }
      if (bytes > run.maxAudioBytes) throw audioTooLarge(run.maxAudioBytes, index + 1, count);
      options.onProgress?.(index + 1, count);
    }, true);
    return await finishedAudio(first as Raw, target as AudioShape, parts, bytes, finish, { settings, run, cache, key, options });
  } finally {
    run.end();
  }
}

/** Synthesizer.speakPieces, with what it holds. */
async function speakPieces(
  service: VoxcpmService,
  pipelineCache: AudioCache | undefined,
  body: TtsRequestBody,
  settings: AudioSettings,
  options: SpeakOptions,
  onPiece: (piece: Piece) => void,
): Promise<number> {
  checkTextLimits(body, service.limits.maxTextChars);
  const run = new MessageRun(service, body, options);
  try {
    const cache = options.cache === false ? undefined : pipelineCache;
    const prepared = await pieces(body, settings, run.signal, options);
    const count = prepared.pieces.length;
    const contentType = contentTypeOf(settings);
    const finished = async (index: number): Promise<SpokenAudio> => {
      const pieceBody = { ...body, prompt: prepared.prompt, text: prepared.pieces[index].text };
      // A piece with an SSML rate is stretched in float, then finished like one with audio steps.
      const rate = prepared.pieces[index].rate;
      const finish = finishing(settings, rate !== undefined);
      // An SSML break is silence at the end of its piece (streamed pieces get no usual pause).
      const beforeMs = index === 0 ? prepared.pauseBeforeMs : 0;
      const afterMs = prepared.pieces[index].pauseAfterMs ?? 0;
      const silences = { beforeMs, afterMs };
      const key = cache ? cacheKey(service, pieceBody, settings, 'piece', run.digest, silences, rate ?? 1) : '';
      const hit = cache ? await cache.get(key, { shared: true }) : undefined;
      if (hit) return fromCache(hit, contentType);
      const raw = await fetchRaw(service, run, pieceBody, index, count, undefined, settings);
      const target = pieceShape(raw.info, settings, rate !== undefined);
      const data = await withRate(await toShape(raw, target, run), target, rate, run);
      // With audio steps, the lead-in comes after them (audio-steps.ts); SSML breaks are the piece's own silence.
      const leadIn = (finish ? 0 : msToFrames(target.sampleRate, settings.leadIn)) + msToFrames(target.sampleRate, beforeMs);
      const tail = msToFrames(target.sampleRate, afterMs);
      const parts = leadIn > 0 ? [makeSilence(target, leadIn), data] : [data];
      if (tail > 0) parts.push(makeSilence(target, tail));
      const bytes = parts.reduce((n, b) => n + b.length, 0);
      // Each piece goes through the steps on its own: its loudness is measured and set per piece.
      return finishedAudio(raw, target, parts, bytes, finish, { settings, run, cache, key, options });
    };
    await inWindow(count, service.limits.window, run, finished, (piece, index) => {
      options.onProgress?.(index + 1, count);
      onPiece({ ...piece, index, count });
    }, false);
    return count;
  } finally {
    run.end();
  }
}

/**
 * What one message's work shares: its deadline and the timer that enforces it
 * on work that is not a request, its abort signal (the caller's, linked), its
 * place in the queue and the digest of its reference audio (hashed once).
 */
class MessageRun {
  readonly digest: string;
  readonly signal: AbortSignal;
  /** Bytes of audio one message may build (the response limit). */
  readonly maxAudioBytes: number;
  private readonly controller = new AbortController();
  private readonly deadline: number;
  private readonly ticket: number;
  private readonly timer: NodeJS.Timeout;
  private readonly unlink: () => void;

  constructor(
    private readonly service: VoxcpmService,
    body: TtsRequestBody,
    private readonly options: SpeakOptions,
  ) {
    this.signal = this.controller.signal;
    this.maxAudioBytes = service.limits.maxAudioBytes;
    const timeoutMs = options.timeoutMs ?? service.timeoutMs;
    this.deadline = Date.now() + timeoutMs;
    this.ticket = service.ticket();
    this.digest = options.audioDigest ?? audioDigest(body.audio);
    const parent = options.signal;
    const follow = () => this.controller.abort(abortError(parent));
    if (parent?.aborted) follow();
    else parent?.addEventListener('abort', follow, { once: true });
    this.unlink = () => parent?.removeEventListener('abort', follow);
    const seconds = Math.round(timeoutMs / 100) / 10;
    this.timer = setTimeout(
      () => this.controller.abort(new VoxcpmError('VOXCPM_TIMEOUT', 'synthesis.timeout', { seconds })),
      Math.min(timeoutMs + DEADLINE_GRACE_MS, 2 ** 31 - 1),
    );
  }

  /** The request options of piece `index` of `count`: the time left, its place in the queue. */
  request(index: number, count: number): RequestOptions {
    return {
      owner: this.options.owner,
      priority: this.options.priority,
      timeoutMs: Math.max(1, this.deadline - Date.now()),
      signal: this.signal,
      // The queue limit counts messages: the first piece is checked, the others ride along.
      admitted: index > 0,
      order: this.ticket + index / count,
      audioDigest: this.digest,
    };
  }

  /** Ends whatever is still running for this message (after a failure). */
  abort(): void {
    if (!this.signal.aborted) this.controller.abort(abortError(this.options.signal));
  }

  /** Frees the timer and the listener on the caller's signal. */
  end(): void {
    clearTimeout(this.timer);
    this.unlink();
  }
}

/**
 * Runs `start(i)` for i = 0…count-1 with at most `window` started and not yet
 * used, and gives the results to `use` in order. A failure aborts the message
 * (at once with `failFast`, else when its turn comes); it is thrown once
 * nothing started is left running.
 */
async function inWindow<T>(
  count: number,
  window: number,
  run: MessageRun,
  start: (index: number) => Promise<T>,
  use: (value: T, index: number) => void,
  failFast: boolean,
): Promise<void> {
  const ahead: Array<Promise<T>> = [];
  let next = 0;
  let sliceStart = performance.now();
  // Joined audio is lost with any piece: the first failure, wherever it is in the window,
  // ends the message at once. Streamed pieces before a failure are still worth sending.
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    run.abort();
  };
  try {
    for (let i = 0; i < count; i++) {
      while (next < count && next < i + Math.max(1, window)) {
        const p = start(next++);
        // Handled here too, so that a later piece failing while an earlier one is awaited is never "unhandled".
        p.catch(failFast ? fail : () => undefined);
        ahead.push(p);
      }
      const value = await (ahead.shift() as Promise<T>);
      if (run.signal.aborted) throw abortError(run.signal);
      use(value, i);
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  } catch (err) {
    fail(err);
    // The pieces still out end with the abort: nothing is left running or unhandled.
    await Promise.allSettled(ahead);
    throw (failure as { error: unknown }).error;
  }
}

/** One piece's answer: from the piece cache, or a server call (cached as it came, never copied). */
async function fetchRaw(
  service: VoxcpmService,
  run: MessageRun,
  body: TtsRequestBody,
  index: number,
  count: number,
  cache: AudioCache | undefined,
  settings: AudioSettings,
): Promise<Raw> {
  const key = cache ? cacheKey(service, body, settings, 'raw', run.digest) : '';
  const hit = cache ? await cache.get(key) : undefined;
  if (hit) return { wav: hit, info: parseWav(hit), shared: false };
  const r = await service.synthesize(body, run.request(index, count));
  // The answer is never changed in place, so the cache may hold this very buffer.
  if (cache) void cache.set(key, r.wav, { owned: true });
  return { wav: r.wav, info: r.info, reportedSampleRate: r.reportedSampleRate, shared: cache !== undefined || r.shared };
}

/**
 * The samples of `raw` in `target`: a view when nothing changes, else converted
 * in the audio thread (abortable), after checking the result's size from the header.
 */
async function toShape(raw: Raw, target: AudioShape, run: MessageRun): Promise<Buffer> {
  const { info } = raw;
  if (sameShape(shapeOf(info), target)) return sampleData(raw.wav, info);
  const bytes = convertedBytes(info, target);
  if (bytes > run.maxAudioBytes) {
    throw new VoxcpmError(
      'VOXCPM_INPUT_INVALID',
      'synthesis.convertTooLarge',
      { seconds: Math.round(info.duration), from: info.sampleRate, to: target.sampleRate, size: formatMB(bytes), limit: formatMB(run.maxAudioBytes) },
    );
  }
  try {
    // An answer no one else holds is handed to the thread without a copy: only its samples are kept.
    return await offload.convert(raw.wav, target, run.signal, !raw.shared);
  } catch (err) {
    throw conversionError(err);
  }
}

/**
 * An audio-thread job's error as the message's: WavFormatError and RangeError (audio that
 * could not be converted or stretched) as VOXCPM_BAD_RESPONSE, any other (an abort) as it is.
 */
function conversionError(err: unknown): unknown {
  if (err instanceof WavFormatError || err instanceof RangeError) {
    return new VoxcpmError('VOXCPM_BAD_RESPONSE', 'synthesis.convertFailed', { detail: err.message });
  }
  return err;
}

/**
 * Throws VOXCPM_INPUT_INVALID (synthesis.stepsTooLarge) when `frames` of `shape` played at
 * `speed`, plus `extraFrames` (a lead-in), would hold more than the response limit: what the
 * audio steps hold at most, checked before the thread allocates it.
 */
function checkStepsSize(frames: number, shape: AudioShape, speed: number, extraFrames: number, run: MessageRun): void {
  const held = (Math.ceil(frames / speed) + extraFrames) * blockAlign(shape);
  if (held > run.maxAudioBytes) {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'synthesis.stepsTooLarge', {
      seconds: Math.round(frames / shape.sampleRate),
      speed,
      size: formatMB(held),
      limit: formatMB(run.maxAudioBytes),
    });
  }
}

/**
 * The layout of the output: the first piece's, at the asked rate, and in 16-bit PCM for
 * 'wav16' (toShape then converts float or other integer samples in the audio thread:
 * rounded to the nearest step and clipped, no dither; see audio.ts). For 'mp3', the
 * samples MP3 is made from: 32-bit float at the MP3 rate nearest the asked one (an MP3
 * cannot hold others), one or two channels (more are mixed to two).
 */
export function outputShape(info: AudioShape, settings: AudioSettings): AudioShape {
  const sampleRate = settings.sampleRate > 0 ? settings.sampleRate : info.sampleRate;
  if (settings.audioFormat === 'wav16') return { format: 'pcm', bitDepth: 16, sampleRate, channels: info.channels };
  if (settings.audioFormat === 'mp3') return { format: 'float', bitDepth: 32, sampleRate: nearestMp3Rate(sampleRate), channels: Math.min(2, info.channels) };
  return { format: info.format, bitDepth: info.bitDepth, sampleRate, channels: info.channels };
}

/**
 * Whether the message asks for a step after joining (audio-steps.ts): MP3, a speed, a
 * loudness; or (`rated`) it has a piece with an SSML `<prosody rate>`, stretched in float
 * before joining, so the joined float samples go through finishAudio to the output format.
 */
function finishing(settings: AudioSettings, rated = false): boolean {
  return rated || settings.audioFormat === 'mp3' || (settings.speed ?? 1) !== 1 || (settings.loudness ?? null) !== null;
}

/**
 * The layout each piece is converted to: the output's, or with steps after joining
 * (or an SSML rate: `rated`), 32-bit float at the output's rate and channels (the steps work on float samples).
 */
function pieceShape(info: AudioShape, settings: AudioSettings, rated = false): AudioShape {
  const out = outputShape(info, settings);
  return finishing(settings, rated) ? { format: 'float', bitDepth: 32, sampleRate: out.sampleRate, channels: out.channels } : out;
}

/**
 * One piece's samples (32-bit float in `shape`) at its SSML `<prosody rate>`: time-stretched
 * in the audio thread (WSOLA, pitch kept; abortable), before joining, so that the silences of
 * SSML breaks around it stay exact. The node's own `speed` applies to the joined result
 * afterwards: the two multiply. No rate (1): the samples as they are. The stretched size is
 * checked against the response limit first (VOXCPM_INPUT_INVALID).
 */
async function withRate(data: Buffer, shape: AudioShape, rate: number | undefined, run: MessageRun): Promise<Buffer> {
  if (rate === undefined || rate === 1) return data;
  checkStepsSize(data.length / blockAlign(shape), shape, rate, 0, run);
  try {
    return await offload.stretch(data, shape, rate, run.signal);
  } catch (err) {
    throw conversionError(err);
  }
}

function contentTypeOf(settings: AudioSettings): AudioContentType {
  return settings.audioFormat === 'mp3' ? 'audio/mpeg' : 'audio/wav';
}

/** What a finished file says of itself: its WAV header, or its MP3 frames. */
function describe(file: Buffer, contentType: AudioContentType): AudioInfo {
  if (contentType === 'audio/mpeg') {
    const { sampleRate, channels, duration } = mp3Info(file);
    return { sampleRate, channels, duration };
  }
  return parseWav(file);
}

/**
 * New audio from its samples (`parts`, `bytes` in all, in `target`; the first piece's answer
 * `raw`): the answer itself when one part is all of it unchanged and no one else holds it, the
 * file the audio steps make when `finish`, else the parts joined; kept for the cache and msg.url.
 */
async function finishedAudio(
  raw: Raw,
  target: AudioShape,
  parts: Buffer[],
  bytes: number,
  finish: boolean,
  context: { settings: AudioSettings; run: MessageRun; cache: AudioCache | undefined; key: string; options: SpeakOptions },
): Promise<SpokenAudio> {
  const { settings, run } = context;
  const untouched = !finish && parts.length === 1 && !raw.shared && parts[0].buffer === raw.wav.buffer;
  const file = untouched
    ? raw.wav
    : finish
      ? await finishJoined(target, parts, bytes, settings, outputShape(raw.info, settings), run)
      : await assemble(target, parts, bytes, run.signal);
  const contentType = contentTypeOf(settings);
  const mismatch = raw.reportedSampleRate !== undefined && raw.reportedSampleRate !== raw.info.sampleRate;
  const kept = keep(file, context.cache, context.key, context.options);
  return { file, info: describe(file, contentType), contentType, cached: false, reportedSampleRate: mismatch ? raw.reportedSampleRate : undefined, kept };
}

/**
 * The finished file of joined float samples (`parts`, `bytes` in all, in `work`): one
 * job in the audio thread runs the steps asked for (speed, loudness, lead-in, then WAV
 * in `out` or MP3; see audio-steps.ts). What the steps hold at most, the samples after a
 * speed change and the lead-in, is checked against the response limit first.
 */
async function finishJoined(work: AudioShape, parts: Buffer[], bytes: number, settings: AudioSettings, out: AudioShape, run: MessageRun): Promise<Buffer> {
  const steps: FinishSteps = {
    speed: settings.speed ?? 1,
    loudness: settings.loudness ?? null,
    leadInMs: settings.leadIn,
    output: settings.audioFormat === 'mp3'
      ? { kind: 'mp3', kbps: settings.mp3Bitrate ?? SYNTHESIS_DEFAULTS.mp3Bitrate }
      : { kind: 'wav', shape: out },
  };
  checkStepsSize(bytes / blockAlign(work), work, steps.speed, msToFrames(work.sampleRate, settings.leadIn), run);
  const wav = await assemble(work, parts, bytes, run.signal);
  try {
    return await offload.finishAudio(wav, steps, run.signal);
  } catch (err) {
    throw conversionError(err);
  }
}

/**
 * One WAV from sample parts of `bytes` bytes in all: one allocation, filled in
 * slices that yield to the event loop (a 100 MB copy would hold it ~150 ms).
 */
async function assemble(shape: AudioShape, parts: Buffer[], bytes: number, signal: AbortSignal): Promise<Buffer> {
  const pad = bytes % 2;
  const out = Buffer.allocUnsafe(44 + bytes + pad);
  wavHeader(shape, bytes).copy(out, 0);
  let at = 44;
  let sinceYield = 0;
  for (const part of parts) {
    for (let from = 0; from < part.length;) {
      const n = Math.min(part.length - from, COPY_SLICE_BYTES - sinceYield);
      part.copy(out, at, from, from + n);
      at += n;
      from += n;
      sinceYield += n;
      if (sinceYield >= COPY_SLICE_BYTES) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (signal.aborted) throw abortError(signal);
      }
    }
  }
  if (pad) out[at] = 0;
  return out;
}

function audioTooLarge(limit: number, done: number, count: number): VoxcpmError {
  return new VoxcpmError(
    'VOXCPM_INPUT_INVALID',
    'synthesis.audioTooLarge',
    { limit: formatMB(limit), done, pieces: count },
  );
}

/**
 * The pieces of a request's text as speech-text.ts prepares them (SSML, clean,
 * numbers, voice description, split; off the event loop for a long text), and
 * the prompt to send with each; its warnings go to `options.onWarning`.
 */
async function pieces(body: TtsRequestBody, settings: AudioSettings, signal: AbortSignal, options: SpeakOptions): Promise<PreparedSpeech> {
  const request = { prompt: body.prompt, ultimate: body.reference_text.trim() !== '' };
  const prepared = await offload.prepare(body.text, request, textSettings(settings), signal);
  for (const w of prepared.warnings) options.onWarning?.(w.kind, w.message);
  return prepared;
}

/** The settings of `settings` that change the pieces (see speech-text.ts), defaults filled in. */
export function textSettings(settings: AudioSettings): TextSettings {
  return {
    maxChunk: settings.maxChunk,
    cleanText: settings.cleanText ?? SYNTHESIS_DEFAULTS.cleanText,
    normalizeNumbers: settings.normalizeNumbers ?? SYNTHESIS_DEFAULTS.normalizeNumbers,
  };
}

/**
 * A cache hit: the flow gets its own copy, while msg.url gets the cache's own unchanging
 * buffer (`kept`), the same each time, so that a repeated phrase keeps one link (url-store.ts).
 */
function fromCache(shared: Buffer, contentType: AudioContentType): SpokenAudio {
  return { file: Buffer.from(shared), info: describe(shared, contentType), contentType, cached: true, kept: shared };
}

/** One unchanging copy of new audio, for the cache and (when asked) msg.url. */
function keep(file: Buffer, cache: AudioCache | undefined, key: string, options: SpeakOptions): Buffer | undefined {
  if (!cache && !options.keep) return undefined;
  const kept = Buffer.from(file);
  if (cache) void cache.set(key, kept, { owned: true });
  return kept;
}

/** Everything that changes the audio: the servers, the request (reference hashed) and the output settings. */
function cacheKey(
  service: VoxcpmService,
  body: TtsRequestBody,
  settings: AudioSettings,
  kind: 'whole' | 'piece' | 'raw',
  digest: string,
  silences?: { beforeMs: number; afterMs: number },
  rate = 1,
): string {
  const text = textSettings(settings);
  return AudioCache.key({
    kind,
    servers: service.endpoints,
    text: body.text,
    prompt: body.prompt,
    audio: digest,
    reference_text: body.reference_text,
    // A whole text depends on how it was cut and joined; a finished piece on the output
    // settings (rate, lead-in, format, the audio steps); a raw piece (as the server sent it) on nothing more.
    maxChunk: kind === 'whole' ? settings.maxChunk : 0,
    pause: kind === 'whole' ? settings.pause : 0,
    // How the text became pieces (a whole text); the SSML silences around a streamed piece.
    cleanText: kind === 'whole' ? text.cleanText : false,
    normalizeNumbers: kind === 'whole' ? text.normalizeNumbers : false,
    silences: kind === 'piece' ? (silences ?? null) : null,
    // A streamed piece's SSML <prosody rate> (a whole text has it in its SSML; a raw piece never
    // has it); only when set, so the keys of everything else stay as they were.
    ...(kind === 'piece' && rate !== 1 ? { rate } : {}),
    sampleRate: kind === 'raw' ? 0 : settings.sampleRate,
    leadIn: kind === 'raw' ? 0 : settings.leadIn,
    audioFormat: kind === 'raw' ? 'wav' : (settings.audioFormat ?? 'wav'),
    speed: kind === 'raw' ? 1 : (settings.speed ?? 1),
    loudness: kind === 'raw' ? null : (settings.loudness ?? null),
    mp3Bitrate: kind !== 'raw' && settings.audioFormat === 'mp3' ? (settings.mp3Bitrate ?? SYNTHESIS_DEFAULTS.mp3Bitrate) : 0,
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
