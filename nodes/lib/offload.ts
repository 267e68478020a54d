import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { readAnswerBody, type AnswerBody } from './answer-body';
import type { AudioShape } from './audio';
import type { FinishSteps } from './audio-steps';
import { prepareSpeech, type PreparedSpeech, type SpeechRequest, type TextSettings } from './speech-text';
import { abortError, VoxcpmError } from './errors';
import type { OffloadJob, OffloadReply, OffloadRequest } from './offload-worker';
import { WavFormatError } from './wav';

/** A worker with nothing to do is ended after this long: it holds ~10 MB. */
const IDLE_MS = 10_000;

/**
 * Texts shorter than this are prepared here (prepareSpeech, mostly splitText: ~5 µs a character):
 * a round trip to the thread, and starting it, cost more.
 */
const SPLIT_HERE_CHARS = 4000;

/** Answers smaller than this are read here (JSON and base64: ~10 ms per MB). */
const ANSWER_HERE_BYTES = 1024 * 1024;

interface Task {
  id: number;
  job: OffloadJob;
  transfer: ArrayBuffer[];
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve: (reply: OffloadReply) => void;
  reject: (err: Error) => void;
}

/**
 * Work whose CPU time grows with its input, run in one worker thread so that
 * Node-RED's event loop never waits for it: sample conversion (the Speex
 * resampler takes ~0.03–0.15 s per minute of 48 kHz float, decoding and encoding ~0.01–0.2 s), the
 * audio steps (speed, loudness, MP3: ~0.9 s a minute for MP3; a piece's SSML rate), splitting long text
 * (Intl.Segmenter: ~100 ms for 20,000 characters) and reading large answers
 * (JSON and base64: ~0.9 s for 100 MB). Jobs run one at a time, in
 * order of arrival. An aborted job that waits is dropped; one that runs ends
 * the worker (synchronous work cannot be stopped otherwise), and the next job
 * starts a new one.
 */
export class OffloadThread {
  private worker?: Worker;
  private readonly waiting: Task[] = [];
  private running?: Task;
  private seq = 0;
  private idleTimer?: NodeJS.Timeout;

  /**
   * The sample bytes of `wav` in the `target` layout (see convertSamples).
   * `handOver`: the caller will not use `wav` again, so its memory may move to
   * the thread without a copy (it is then empty here). Rejects with the signal's
   * reason when aborted, with WavFormatError or RangeError as convertSamples
   * throws them, and with an Error if the worker dies.
   */
  async convert(wav: Buffer, target: AudioShape, signal?: AbortSignal, handOver = false): Promise<Buffer> {
    // Shared audio (a cached or shared answer) goes as a copy.
    const sent = sendable(wav, handOver);
    return this.bytesJob({ op: 'convert', wav: sent, target }, sent, signal);
  }

  /**
   * The finished file of a 32-bit float WAV of joined speech (see finishAudio:
   * speed, loudness, lead-in, then WAV or MP3). `wav` is handed over when it is
   * all of its memory (do not use it after). Rejects as `convert` does.
   */
  async finishAudio(wav: Buffer, steps: FinishSteps, signal?: AbortSignal): Promise<Buffer> {
    const sent = sendable(wav, true);
    return this.bytesJob({ op: 'finish', wav: sent, steps }, sent, signal);
  }

  /**
   * 32-bit float interleaved sample bytes in `shape` (rate, channels), time-stretched
   * by `speed` (see stretchSamples): one piece's SSML `<prosody rate>`. `data` is
   * handed over when it is all of its memory (do not use it after), else copied.
   * Rejects as `convert` does (RangeError for a speed out of range).
   */
  async stretch(data: Buffer, shape: AudioShape, speed: number, signal?: AbortSignal): Promise<Buffer> {
    const sent = sendable(data, true);
    return this.bytesJob({ op: 'stretch', data: sent, channels: shape.channels, sampleRate: shape.sampleRate, speed }, sent, signal);
  }

  /**
   * prepareSpeech(text, request, settings), off the event loop for a long text.
   * Rejects with prepareSpeech's VoxcpmError, else as `convert` does.
   */
  async prepare(text: string, request: SpeechRequest, settings: TextSettings, signal?: AbortSignal): Promise<PreparedSpeech> {
    if (text.length < SPLIT_HERE_CHARS) return prepareSpeech(text, request, settings);
    const reply = await this.submit({ op: 'prepare', text, request, settings }, [], signal);
    return (reply as { prepared: PreparedSpeech }).prepared;
  }

  /** readAnswerBody(body), off the event loop for a large body, which is handed over (do not use it after). Rejects as `convert` does. */
  async readAnswer(body: Buffer, signal?: AbortSignal): Promise<AnswerBody> {
    if (body.length < ANSWER_HERE_BYTES) return readAnswerBody(body);
    const sent = sendable(body, true);
    const reply = (await this.submit({ op: 'answer', body: sent }, [sent.buffer as ArrayBuffer], signal)) as {
      json: unknown;
      audio?: Uint8Array | null;
      head: string;
    };
    const audio = reply.audio ? asBuffer(reply.audio) : reply.audio;
    return { json: reply.json, audio, head: reply.head };
  }

  /** Ends the worker (jobs that arrive later start a new one). */
  stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    clearTimeout(this.idleTimer);
    void worker?.terminate();
  }

  /** A job whose input is `sent` (moved to the thread) and whose reply is bytes, as a Buffer here. */
  private async bytesJob(job: OffloadJob, sent: Uint8Array, signal?: AbortSignal): Promise<Buffer> {
    const reply = await this.submit(job, [sent.buffer as ArrayBuffer], signal);
    return asBuffer((reply as { data: Uint8Array }).data);
  }

  private submit(job: OffloadJob, transfer: ArrayBuffer[], signal?: AbortSignal): Promise<OffloadReply> {
    return new Promise<OffloadReply>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const task: Task = { id: ++this.seq, job, transfer, signal, resolve, reject };
      task.onAbort = () => this.abort(task);
      signal?.addEventListener('abort', task.onAbort, { once: true });
      this.waiting.push(task);
      this.next();
    });
  }

  private next(): void {
    if (this.running || this.waiting.length === 0) return;
    const task = this.waiting.shift() as Task;
    this.running = task;
    clearTimeout(this.idleTimer);
    const request: OffloadRequest = { ...task.job, id: task.id };
    this.start().postMessage(request, task.transfer);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'offload-worker.js'));
    worker.unref(); // never keeps Node-RED (or a test run) alive
    worker.on('message', (reply: OffloadReply) => {
      const task = this.running;
      if (!task || task.id !== reply.id) return;
      if ('error' in reply) this.finish(task, reply.voxcpm ? new VoxcpmError(reply.voxcpm.code, reply.voxcpm.key, reply.voxcpm.params) : rebuild(reply.error));
      else this.finish(task, undefined, reply);
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.running) this.finish(this.running, new Error(`The worker thread stopped: ${why}`));
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private abort(task: Task): void {
    const i = this.waiting.indexOf(task);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      task.reject(abortError(task.signal));
    } else if (this.running === task) {
      this.stop();
      this.finish(task, abortError(task.signal));
    }
  }

  private finish(task: Task, err?: Error, reply?: OffloadReply): void {
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (this.running === task) this.running = undefined;
    if (err) task.reject(err);
    else task.resolve(reply as OffloadReply);
    this.next();
    if (!this.running && this.worker) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.stop(), IDLE_MS).unref();
    }
  }
}

/**
 * The bytes to post for `buf`: with `handOver` (the caller will not use `buf` again) and when
 * `buf` is all of an ArrayBuffer, that memory itself, moved to the thread without a copy
 * (`buf` is empty after); else a copy. Shared memory (a SharedArrayBuffer) is never moved.
 */
function sendable(buf: Buffer, handOver: boolean): Uint8Array {
  const whole = handOver && buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && !(buf.buffer instanceof SharedArrayBuffer);
  return whole ? new Uint8Array(buf.buffer as ArrayBuffer) : new Uint8Array(buf);
}

/** Bytes that came from the thread, as a Buffer over the same memory (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The error a job failed with in the worker, as the same kind of error here. */
function rebuild(e: { name: string; message: string }): Error {
  if (e.name === 'WavFormatError') return new WavFormatError(e.message);
  if (e.name === 'RangeError') return new RangeError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** The one worker thread of this process, shared by every node. */
export const offload = new OffloadThread();
