/**
 * Whole-WAV operations for the tests, made of the production pieces of audio.ts
 * (convertSamples, makeSilence, msToFrames, buildWav) the way synthesis.ts uses them on a
 * message's pieces: production code carries no function only the tests call.
 */
import { buildWav, convertSamples, makeSilence, msToFrames, shapeOf, type AudioShape } from '../../nodes/lib/audio';
import { parseWav } from '../../nodes/lib/wav';

/** The parts in order in the first part's layout (the others converted), `pauseMs` of silence between them. */
export async function joinWavs(parts: Buffer[], pauseMs: number): Promise<Buffer> {
  const target = shapeOf(parseWav(parts[0]));
  const gap = makeSilence(target, msToFrames(target.sampleRate, pauseMs));
  const chunks: Buffer[] = [];
  for (const [i, part] of parts.entries()) {
    if (i > 0) chunks.push(gap);
    chunks.push(await convertSamples(part, target));
  }
  return buildWav(target, chunks);
}

/** The WAV at `sampleRate`, its channels and sample format kept. */
export async function resampleWav(wav: Buffer, sampleRate: number): Promise<Buffer> {
  const target: AudioShape = { ...shapeOf(parseWav(wav)), sampleRate };
  return buildWav(target, [await convertSamples(wav, target)]);
}

/** The WAV, as a plain one, with `ms` of silence before it. */
export async function withLeadIn(wav: Buffer, ms: number): Promise<Buffer> {
  const shape = shapeOf(parseWav(wav));
  return buildWav(shape, [makeSilence(shape, msToFrames(shape.sampleRate, ms)), await convertSamples(wav, shape)]);
}
