/**
 * The worker thread of offload.ts: work whose CPU time grows with the input
 * (sample conversion, splitting long text), away from Node-RED's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { convertSamples, type AudioShape } from './audio';
import { splitText } from './chunk';

export type OffloadJob =
  /** The samples of a WAV (copied for this thread) in another layout: see convertSamples. */
  | { op: 'convert'; wav: Uint8Array; target: AudioShape }
  /** A text's pieces: see splitText. */
  | { op: 'split'; text: string; maxChunk: number };

export type OffloadRequest = OffloadJob & { id: number };

export type OffloadReply =
  | { id: number; data: Uint8Array }
  | { id: number; pieces: string[] }
  | { id: number; error: { name: string; message: string } };

function perform(job: OffloadRequest): { reply: OffloadReply; transfer: ArrayBuffer[] } {
  if (job.op === 'split') return { reply: { id: job.id, pieces: splitText(job.text, job.maxChunk) }, transfer: [] };
  const out = convertSamples(Buffer.from(job.wav.buffer, job.wav.byteOffset, job.wav.byteLength), job.target);
  // Only a buffer of its own can be handed over without a copy.
  const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : Buffer.from(out);
  return { reply: { id: job.id, data: own }, transfer: [own.buffer as ArrayBuffer] };
}

parentPort?.on('message', (job: OffloadRequest) => {
  try {
    const { reply, transfer } = perform(job);
    parentPort?.postMessage(reply, transfer);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    parentPort?.postMessage({ id: job.id, error: { name: e.name, message: e.message } } satisfies OffloadReply);
  }
});
