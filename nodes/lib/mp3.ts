/**
 * MP3 encoding and reading MP3 headers.
 *
 * The encoder is LAME compiled to WebAssembly (wasm-media-encoders, MIT; the
 * WebAssembly is inside its JS: no native add-on, no install script, no
 * download). 60 s of 48 kHz mono at 64 kbps take ~0.9 s (~1.0 s on one core),
 * 1.5 % of the audio's length; @breezystack/lamejs (pure JS, LGPL-3) took
 * ~5 s. CPU work that grows with the length: run it in the worker (offload.ts).
 *
 * The header reader (mp3Info) is written by hand: counting frames is a few
 * lines of ISO 11172-3 / 13818-3 header arithmetic, and it is what gives a
 * cached MP3 the same msg.duration as a new one.
 */

import type { createMp3Encoder } from 'wasm-media-encoders';
import { MP3_BITRATES, MP3_SAMPLE_RATES } from './defaults';

/**
 * The encoder of this thread, loaded on first use (each worker thread loads its own): the
 * package (~0.8 MB of JS) is required only then, so Node-RED's main thread, which reads MP3
 * headers but never encodes, does not load it.
 */
let encoder: ReturnType<typeof createMp3Encoder> | undefined;

/** Frames given to LAME at a time: its buffers grow with the input, so the input is cut. */
const CHUNK_FRAMES = 1152 * 64;

/**
 * Constant-bitrate MP3 of planar float samples (−1…1, clipped beyond).
 * `channels`: one (mono) or two (stereo) arrays of equal length; `sampleRate`
 * one of MP3_SAMPLE_RATES (resample first: see nearestMp3Rate in defaults.ts);
 * `kbps` one of MP3_BITRATES. No ID3 tag, no LAME/Xing frame: plain frames,
 * which every player and speaker streams. Rejects with RangeError for other
 * rates, bitrates or channel counts.
 */
export async function encodeMp3(channels: readonly Float32Array[], sampleRate: number, kbps: number): Promise<Buffer> {
  if (channels.length !== 1 && channels.length !== 2) throw new RangeError(`MP3 holds one or two channels, not ${channels.length}`);
  if (!MP3_SAMPLE_RATES.includes(sampleRate)) {
    throw new RangeError(`MP3 cannot hold ${sampleRate} Hz (${MP3_SAMPLE_RATES.join(', ')})`);
  }
  if (!MP3_BITRATES.includes(kbps)) throw new RangeError(`the MP3 bitrate must be one of ${MP3_BITRATES.join(', ')} kbps, not ${kbps}`);
  encoder ??= import('wasm-media-encoders').then((m) => m.createMp3Encoder()).catch((err: unknown) => {
    encoder = undefined;
    throw err instanceof Error ? err : new Error(`the MP3 encoder did not load: ${String(err)}`);
  });
  const lame = await encoder;
  lame.configure({
    channels: channels.length as 1 | 2,
    sampleRate,
    outputSampleRate: sampleRate as Parameters<typeof lame.configure>[0]['outputSampleRate'],
    bitrate: kbps as Parameters<typeof lame.configure>[0]['bitrate'],
  });
  const frames = channels[0].length;
  const parts: Buffer[] = [];
  // encode() and finalize() answer with views into the WebAssembly memory: copied before the next call.
  for (let at = 0; at < frames; at += CHUNK_FRAMES) {
    const end = Math.min(frames, at + CHUNK_FRAMES);
    parts.push(Buffer.from(lame.encode(channels.map((c) => c.subarray(at, end)))));
  }
  parts.push(Buffer.from(lame.finalize()));
  return Buffer.concat(parts);
}

/** Whether a buffer starts as an MP3 does: an ID3v2 tag, or a Layer III frame header. */
export function looksLikeMp3(buf: Buffer): boolean {
  // ID3v2.2–2.4: "ID3", the version, and a size of four 7-bit bytes.
  if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'ID3') return buf[3] >= 2 && buf[3] <= 4 && buf.subarray(6, 10).every((b) => b < 0x80);
  return buf.length >= 4 && buf[0] === 0xff && (buf[1] & 0xe0) === 0xe0 && ((buf[1] >>> 1) & 3) === 1;
}

/** What the frames of an MP3 say. */
export interface Mp3Info {
  sampleRate: number;
  channels: number;
  /** Seconds of all frames (the encoder's delay and the last frame's padding included: ~50 ms more than what was encoded). */
  duration: number;
  /** Audio frames (of 1152 or 576 samples each). */
  frames: number;
}

/** Bitrates in kbps by header index: MPEG-1 Layer III, and MPEG-2/2.5 Layer III. */
const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES_V1 = [44100, 48000, 32000];

/**
 * The sample rate, channels and length of an MP3 (Layer III), from its frame
 * headers; an ID3v2 tag in front is skipped. Throws RangeError when no frame is found.
 */
export function mp3Info(mp3: Buffer): Mp3Info {
  let at = 0;
  if (mp3.length >= 10 && mp3.toString('latin1', 0, 3) === 'ID3') {
    // Syncsafe size: 7 bits a byte.
    at = 10 + ((mp3[6] << 21) | (mp3[7] << 14) | (mp3[8] << 7) | mp3[9]);
  }
  let frames = 0;
  let samples = 0;
  let sampleRate = 0;
  let channels = 0;
  while (at + 4 <= mp3.length) {
    const header = mp3.readUInt32BE(at);
    // Frame sync (11 bits), Layer III (layer bits 01), a bitrate and a rate that exist.
    const version = (header >>> 19) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    const layer = (header >>> 17) & 3;
    const bitrateIndex = (header >>> 12) & 15;
    const rateIndex = (header >>> 10) & 3;
    if ((header >>> 21) !== 0x7ff || version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
      if (frames > 0) break; // trailing data (a tag)
      at++;
      continue;
    }
    const v1 = version === 3;
    const rate = RATES_V1[rateIndex] / (v1 ? 1 : version === 2 ? 2 : 4);
    const kbps = (v1 ? BITRATES_V1 : BITRATES_V2)[bitrateIndex];
    const perFrame = v1 ? 1152 : 576;
    const padding = (header >>> 9) & 1;
    const length = Math.floor(((perFrame / 8) * kbps * 1000) / rate) + padding;
    if (frames === 0) {
      sampleRate = rate;
      channels = ((header >>> 6) & 3) === 3 ? 1 : 2;
    }
    frames++;
    samples += perFrame;
    at += length;
  }
  if (frames === 0) throw new RangeError('no MP3 frame found');
  return { sampleRate, channels, duration: samples / sampleRate, frames };
}
