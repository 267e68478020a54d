/**
 * An independent decoder and meter for the audio the nodes make: ffmpeg (its
 * own MP3 decoder and its EBU R128 meter), so that a test never checks our
 * code with our code.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** The audio of a file (WAV or MP3) as ffmpeg decodes it: mono float samples at `rate`, or at the file's rate. */
export function decode(file: Buffer, rate?: number): { samples: Float32Array; sampleRate: number } {
  const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=sample_rate', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: file });
  const sampleRate = rate ?? Number(probe.toString().trim().split('\n')[0]);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-f', 'f32le', '-ac', '1', '-ar', String(sampleRate), 'pipe:1'], {
    input: file,
    maxBuffer: 512 * 1024 * 1024,
  });
  const samples = new Float32Array(raw.length / 4);
  for (let i = 0; i < samples.length; i++) samples[i] = raw.readFloatLE(i * 4);
  return { samples, sampleRate };
}

/** What ffprobe says of a file's first audio stream (read from a pipe: no duration, decode for that). */
export function probe(file: Buffer): { codec: string; sampleRate: number; channels: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'json', '-i', 'pipe:0'], {
    input: file,
  }).toString();
  const s = (JSON.parse(out) as { streams: Array<{ codec_name: string; sample_rate: string; channels: number }> }).streams[0];
  return { codec: s.codec_name, sampleRate: Number(s.sample_rate), channels: s.channels };
}

/** ffmpeg's EBU R128 meter: integrated loudness (LUFS) and true peak (dBTP) of a file. */
export function ebur128(file: Buffer): { integrated: number; truePeak: number } {
  // The summary goes to stderr.
  const r = spawnSync('ffmpeg', ['-nostats', '-hide_banner', '-i', 'pipe:0', '-filter_complex', 'ebur128=peak=true', '-f', 'null', '-'], { input: file });
  const text = r.stderr.toString();
  const summary = text.slice(text.lastIndexOf('Summary:'));
  const integrated = Number(/I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary)?.[1]);
  const truePeak = Number(/Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(summary)?.[1]);
  if (!Number.isFinite(integrated) || !Number.isFinite(truePeak)) throw new Error(`no ebur128 summary in ffmpeg's output:\n${summary}`);
  return { integrated, truePeak };
}

/** The root-mean-square level of samples, in dBFS (−Infinity for silence). */
export function rmsDb(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return 10 * Math.log10(sum / Math.max(1, samples.length));
}

/**
 * The strongest frequency (whole Hz from `from` to `to`) of one second from the middle
 * of the samples: Goertzel's power at each frequency, 1 Hz apart.
 */
export function dominantFrequency(samples: Float32Array, sampleRate: number, from = 50, to = 1000): number {
  const n = Math.min(samples.length, sampleRate);
  const start = Math.floor((samples.length - n) / 2);
  let best = from;
  let bestPower = -1;
  for (let f = from; f <= to; f++) {
    const coeff = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
    let s1 = 0;
    let s2 = 0;
    for (let i = start; i < start + n; i++) {
      const s0 = samples[i] + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}
