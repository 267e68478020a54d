/**
 * The worker thread of offload.ts: work whose CPU time grows with the input
 * (sample conversion, the audio steps, splitting long text), away from Node-RED's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { readAnswerBody } from './answer-body';
import { convertSamples, type AudioShape } from './audio';
import { isVoxcpmError, type ErrorKey, type ErrorParams, type VoxcpmErrorCode } from './errors';
import { prepareSpeech, type PreparedSpeech, type SpeechRequest, type TextSettings } from './speech-text';
import { finishAudio, stretchSamples, type FinishSteps } from './audio-steps';

export type OffloadJob =
  /** The samples of a WAV (copied for this thread) in another layout: see convertSamples. */
  | { op: 'convert'; wav: Uint8Array; target: AudioShape }
  /** A server's answer body, read: see readAnswerBody. */
  | { op: 'answer'; body: Uint8Array }
  /** A text's pieces, SSML, cleaning and numbers included: see prepareSpeech. */
  | { op: 'prepare'; text: string; request: SpeechRequest; settings: TextSettings }
  /** Joined float audio through the steps after joining (speed, loudness, lead-in, encoding): see finishAudio. */
  | { op: 'finish'; wav: Uint8Array; steps: FinishSteps }
  /** One piece's interleaved float samples time-stretched (SSML <prosody rate>): see stretchSamples. */
  | { op: 'stretch'; data: Uint8Array; channels: number; sampleRate: number; speed: number };

export type OffloadRequest = OffloadJob & { id: number };

export type OffloadReply =
  | { id: number; data: Uint8Array }
  | { id: number; json: unknown; audio?: Uint8Array | null; head: string }
  | { id: number; prepared: PreparedSpeech }
  | { id: number; error: { name: string; message: string }; voxcpm?: { code: VoxcpmErrorCode; key: ErrorKey; params: ErrorParams } };

async function perform(job: OffloadRequest): Promise<{ reply: OffloadReply; transfer: ArrayBuffer[] }> {
  if (job.op === 'prepare') return { reply: { id: job.id, prepared: await prepareSpeech(job.text, job.request, job.settings) }, transfer: [] };
  if (job.op === 'answer') {
    const { json, audio, head } = readAnswerBody(asBuffer(job.body));
    const own = audio ? ownBuffer(audio) : audio;
    return { reply: { id: job.id, json, audio: own, head }, transfer: own ? [own.buffer as ArrayBuffer] : [] };
  }
  if (job.op === 'finish') return dataReply(job.id, await finishAudio(asBuffer(job.wav), job.steps));
  if (job.op === 'stretch') return dataReply(job.id, stretchSamples(asBuffer(job.data), job.channels, job.sampleRate, job.speed));
  return dataReply(job.id, await convertSamples(asBuffer(job.wav), job.target));
}

/** A reply of bytes, moved back without a copy. */
function dataReply(id: number, bytes: Buffer): { reply: OffloadReply; transfer: ArrayBuffer[] } {
  const own = ownBuffer(bytes);
  return { reply: { id, data: own }, transfer: [own.buffer as ArrayBuffer] };
}

/** Bytes posted to this thread, as a Buffer over the same memory (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Only a buffer that is all of its memory can be handed over without a copy. */
function ownBuffer(buf: Buffer): Buffer {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? buf : Buffer.from(buf);
}

// Jobs come one at a time (offload.ts sends the next after this one's reply), so an awaited one never overlaps another.
parentPort?.on('message', (job: OffloadRequest) => void answer(job));

async function answer(job: OffloadRequest): Promise<void> {
  try {
    const { reply, transfer } = await perform(job);
    parentPort?.postMessage(reply, transfer);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    // A VoxcpmError (invalid SSML, nothing left to speak) crosses as itself: code, key, parameters.
    const voxcpm = isVoxcpmError(e) ? { code: e.code, key: e.key, params: e.params } : undefined;
    parentPort?.postMessage({ id: job.id, error: { name: e.name, message: e.message }, voxcpm } satisfies OffloadReply);
  }
}
