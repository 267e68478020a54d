/**
 * The audio steps after joining, in their fixed order: speed → loudness →
 * lead-in → encode (WAV or MP3). Resampling comes before them, per piece, as
 * the pieces are converted (synthesis.ts): resampling is linear and
 * time-invariant, so it gives the same samples before or after joining, and
 * done first it overlaps the server's work on later pieces and hands the
 * time-stretcher fewer samples when the rate goes down (48 → 16 kHz).
 *
 * Why this order:
 * - speed before loudness: time-stretching overlaps and adds windows, which
 *   moves the level and the peaks a little; loudness is measured on what is sent;
 * - loudness after resampling: the true peak is that of the delivered rate,
 *   and the measurement sees no energy the resampler removed;
 * - lead-in after loudness: silence is gated out of BS.1770's measurement
 *   anyway, and adding it later leaves less to process;
 * - encoding last: MP3 is lossy, every step before it works on float samples.
 *
 * CPU work that grows with the length: it runs in the worker (offload.ts).
 */

import { buildWav, decodeFloat32, encodeSamples, msToFrames, sampleData, type AudioShape } from './audio';
import { LOUDNESS_RANGE, loudnessValue, MP3_BITRATES, mp3BitrateValue, SPEED_RANGE, speedValue, TRUE_PEAK_CEILING_DBTP } from './defaults';
import { shownValue, VoxcpmError } from './errors';
import { normalizeLoudness } from './loudness';
import { encodeMp3 } from './mp3';
import { timeStretch } from './time-stretch';
import { parseWav, WavFormatError } from './wav';

/** What the steps after joining are asked to do; each is skipped when not asked. */
export interface FinishSteps {
  /** Playback speed, pitch kept; 1: skipped. */
  speed: number;
  /** Target integrated loudness in LUFS; null: skipped. */
  loudness: number | null;
  /** Milliseconds of silence before the speech; 0: none. */
  leadInMs: number;
  /**
   * The file made: a WAV in `shape` (its format and bit depth; the rate and
   * channels are the input's), or an MP3 at `kbps`.
   */
  output: { kind: 'wav'; shape: AudioShape } | { kind: 'mp3'; kbps: number };
}

/**
 * The finished file (a WAV, or an MP3) of a 32-bit float WAV of joined speech,
 * after the steps asked for. MP3 needs one of MP3_SAMPLE_RATES and one or two
 * channels (the caller resamples and mixes first). Rejects with WavFormatError
 * when `floatWav` is not 32-bit float, RangeError for what MP3 cannot hold.
 */
export async function finishAudio(floatWav: Buffer, steps: FinishSteps): Promise<Buffer> {
  const info = parseWav(floatWav);
  if (info.format !== 'float' || info.bitDepth !== 32) throw new WavFormatError('the audio steps take 32-bit float samples');
  const rate = info.sampleRate;
  let channels = decodeFloat32(sampleData(floatWav, info), info.channels);
  if (steps.speed !== 1) channels = timeStretch(channels, rate, steps.speed);
  if (steps.loudness !== null) channels = normalizeLoudness(channels, rate, steps.loudness, TRUE_PEAK_CEILING_DBTP).channels;
  const lead = msToFrames(rate, steps.leadInMs);
  if (lead > 0) {
    channels = channels.map((c) => {
      const out = new Float32Array(lead + c.length);
      out.set(c, lead);
      return out;
    });
  }
  if (steps.output.kind === 'mp3') return encodeMp3(channels, rate, steps.output.kbps);
  const shape: AudioShape = { ...steps.output.shape, sampleRate: rate, channels: channels.length };
  return buildWav(shape, [encodeSamples(channels, shape)]);
}

/**
 * Interleaved 32-bit float sample bytes (`channels` of them, at `sampleRate`)
 * time-stretched by `speed` (MIN_SPEED–MAX_SPEED, pitch kept; see timeStretch),
 * as interleaved 32-bit float sample bytes again: one piece's SSML
 * `<prosody rate>`, applied before joining so that the silences of SSML breaks
 * around it stay exact. Throws RangeError for a speed out of range.
 */
export function stretchSamples(floatData: Buffer, channels: number, sampleRate: number, speed: number): Buffer {
  const stretched = timeStretch(decodeFloat32(floatData, channels), sampleRate, speed);
  return encodeSamples(stretched, { format: 'float', bitDepth: 32, sampleRate, channels });
}

// ---------------------------------------------------------------- the steps' settings, checked

/** The audio steps a message asks for, checked. */
export interface CheckedAudioSteps {
  speed: number;
  loudness: number | null;
  mp3Bitrate: number;
}

export type AudioStepName = 'speed' | 'loudness' | 'mp3Bitrate';

/** A setting's value and the name an error gives it (`speed`, `msg.speed`). */
export interface SettingValue {
  value: unknown;
  name: string;
}

/**
 * The audio steps' values checked against the rules of defaults.ts (a flow node's message and
 * settings, and Preview's); VOXCPM_INPUT_INVALID naming the field for one outside its range.
 */
export function checkedAudioSteps(values: Record<AudioStepName, SettingValue>): CheckedAudioSteps {
  const { speed, loudness, mp3Bitrate } = values;
  const speedOk = speedValue(speed.value);
  if (speedOk === undefined) {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.badSpeed', { name: speed.name, value: shownValue(speed.value), min: SPEED_RANGE.min, max: SPEED_RANGE.max });
  }
  const loudnessOk = loudnessValue(loudness.value);
  if (loudnessOk === undefined) {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.badLoudness', {
      name: loudness.name,
      value: shownValue(loudness.value),
      min: LOUDNESS_RANGE.min,
      max: LOUDNESS_RANGE.max,
    });
  }
  const bitrateOk = mp3BitrateValue(mp3Bitrate.value);
  if (bitrateOk === undefined) {
    throw new VoxcpmError('VOXCPM_INPUT_INVALID', 'node.badMp3Bitrate', {
      name: mp3Bitrate.name,
      value: shownValue(mp3Bitrate.value),
      bitrates: MP3_BITRATES.join(', '),
    });
  }
  return { speed: speedOk, loudness: loudnessOk, mp3Bitrate: bitrateOk };
}
