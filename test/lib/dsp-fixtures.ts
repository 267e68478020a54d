// Signals and independent tools (sox, ffmpeg) for the signal-processing specs
// (time-stretch, loudness, resample). Written plainly, apart from the code under test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A sine of `seconds` at `rate`: amplitude `amp`, phase `phase` (radians). */
export function sine(rate: number, seconds: number, hz: number, amp: number, phase = 0): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate + phase);
  return x;
}

/** A voiced-like signal: `f0` and its harmonics up to 4 kHz at 1/k amplitude, slow vibrato-free, peak ~`amp`. */
export function harmonic(rate: number, seconds: number, f0: number, amp: number): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  const top = Math.floor(Math.min(4000, rate / 2.2) / f0);
  let norm = 0;
  for (let k = 1; k <= top; k++) norm += 1 / k;
  for (let k = 1; k <= top; k++) {
    const w = (2 * Math.PI * f0 * k) / rate;
    const a = amp / k / norm;
    for (let i = 0; i < x.length; i++) x[i] += a * Math.sin(w * i + k);
  }
  return x;
}

/** A seeded uniform noise source in −1…1 (the same numbers on every run). */
export function noise(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 0xffffffff) * 2 - 1;
  };
}

/** Planar float channels as a float32 WAV file. */
export function floatWav(channels: Float32Array[], rate: number): Buffer {
  const n = channels[0].length;
  const c = channels.length;
  const data = Buffer.alloc(n * c * 4);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) data.writeFloatLE(channels[k][i], (i * c + k) * 4);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(3, 20);
  h.writeUInt16LE(c, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * c * 4, 28);
  h.writeUInt16LE(c * 4, 32);
  h.writeUInt16LE(32, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** The first channel of a float32 WAV as written by floatWav or sox (`-e floating-point`), 44-byte header assumed away by searching "data". */
export function readFloatWav(wav: Buffer): { rate: number; channels: Float32Array[] } {
  const rate = wav.readUInt32LE(24);
  const count = wav.readUInt16LE(22);
  const at = wav.indexOf('data', 12, 'latin1');
  const bytes = wav.readUInt32LE(at + 4);
  const frames = Math.floor(Math.min(bytes, wav.length - at - 8) / (4 * count));
  const channels = Array.from({ length: count }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) for (let k = 0; k < count; k++) channels[k][i] = wav.readFloatLE(at + 8 + (i * count + k) * 4);
  return { rate, channels };
}

/** Whether a command runs (`sox --version`, `ffmpeg -version`). */
export function hasTool(name: 'sox' | 'ffmpeg'): boolean {
  return spawnSync(name, [name === 'sox' ? '--version' : '-version'], { encoding: 'utf8' }).status === 0;
}

/** A scratch folder for files handed to sox or ffmpeg; `done()` removes it. */
export function scratchDir(): { file: (name: string) => string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-dsp-'));
  return { file: (name) => path.join(dir, name), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** ffmpeg's EBU R128 meter (`ebur128=peak=true`): integrated loudness (LUFS, one decimal) and true peak (dBTP, one decimal). */
export function ffmpegLoudness(file: string): { integrated: number; truePeak: number } {
  const run = spawnSync('ffmpeg', ['-nostats', '-hide_banner', '-i', file, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr}`);
  const summary = run.stderr.slice(run.stderr.lastIndexOf('Summary:'));
  const integrated = /I:\s+(\S+) LUFS/.exec(summary);
  const peak = /Peak:\s+(\S+) dBFS/.exec(summary);
  if (!integrated || !peak) throw new Error(`no ebur128 summary in ffmpeg's output: ${summary}`);
  const num = (s: string) => (s === '-inf' ? -Infinity : Number(s));
  return { integrated: num(integrated[1]), truePeak: num(peak[1]) };
}

/** sox's `stat`: length in seconds and its "rough frequency" (from zero crossings, Hz). */
export function soxStat(file: string): { seconds: number; roughHz: number } {
  const run = spawnSync('sox', [file, '-n', 'stat'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`sox failed: ${run.stderr}`);
  const field = (name: string) => {
    const m = new RegExp(`${name}:\\s+(\\S+)`).exec(run.stderr);
    if (!m) throw new Error(`no "${name}" in sox stat's output: ${run.stderr}`);
    return Number(m[1]);
  };
  return { seconds: field('Length \\(seconds\\)'), roughHz: field('Rough\\s+frequency') };
}

/**
 * The frequency of the strongest component of `x` between `lo` and `hi` Hz:
 * a Goertzel scan over a Hann window in 0.25 Hz steps, then a parabola through
 * the top three.
 */
export function dominantHz(x: Float32Array, rate: number, lo: number, hi: number): number {
  const window = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) window[i] = x[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1)));
  const power = (hz: number) => {
    const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < window.length; i++) {
      const s0 = window[i] + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return s1 * s1 + s2 * s2 - k * s1 * s2;
  };
  const stepHz = 0.25;
  let best = lo;
  let bestP = -1;
  const ps = new Map<number, number>();
  for (let hz = lo; hz <= hi; hz += stepHz) {
    const p = power(hz);
    ps.set(hz, p);
    if (p > bestP) {
      bestP = p;
      best = hz;
    }
  }
  const a = ps.get(best - stepHz) ?? power(best - stepHz);
  const c = ps.get(best + stepHz) ?? power(best + stepHz);
  const denom = a - 2 * bestP + c;
  return denom === 0 ? best : best + (stepHz * (a - c)) / (2 * denom);
}

/** RMS of `x` in consecutive windows of `size` samples. */
export function rmsWindows(x: Float32Array, size: number): number[] {
  const out: number[] = [];
  for (let at = 0; at + size <= x.length; at += size) {
    let e = 0;
    for (let i = at; i < at + size; i++) e += x[i] * x[i];
    out.push(Math.sqrt(e / size));
  }
  return out;
}

/** The largest |x[i] − x[i−1]|. */
export function maxStep(x: Float32Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
  return m;
}
