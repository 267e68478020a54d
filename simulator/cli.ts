// Runs the VoxCPM2 simulator on its own, for demos and manual testing:
//   node dist/simulator/cli.js (npm run simulator --) [--port 5022] [--host 127.0.0.1] [--voice speech|tone]
//        [--format pcm16|float32|stereo|extensible|list-chunk] [--sample-rate 48000]   (default pcm16)
//        [--fault NAME | --fault '{"kind":"slow","ms":3000,"times":2}']
// Faults can also be switched while it runs: POST /_sim/fault, GET /_sim/requests, POST /_sim/reset.

import { DEFAULT_WAV_SHAPE, FAULT_KINDS, VoxCpmSimulator, WAV_SHAPES, faultFromString, type SimVoice, type WavShape } from './simulator';

const USAGE = `usage: simulator/cli [--port 5022] [--host 127.0.0.1] [--voice speech|tone]
  [--format ${WAV_SHAPES.join('|')}] (default ${DEFAULT_WAV_SHAPE}) [--sample-rate 48000]
  [--fault NAME|JSON]   NAME: ${FAULT_KINDS.join(', ')}`;

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    out.set(m[1], value);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const key of args.keys()) {
    if (!['port', 'host', 'voice', 'format', 'sample-rate', 'fault'].includes(key)) throw new Error(`unknown option --${key}`);
  }
  const port = Number(args.get('port') ?? 5022);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
  const host = args.get('host') ?? '127.0.0.1';
  const voice = args.get('voice') ?? 'speech';
  if (voice !== 'speech' && voice !== 'tone') throw new Error('--voice must be speech or tone');
  const format = args.get('format') ?? DEFAULT_WAV_SHAPE;
  if (!(WAV_SHAPES as readonly string[]).includes(format)) throw new Error(`--format must be one of ${WAV_SHAPES.join(', ')}`);

  const sim = new VoxCpmSimulator({
    voice: voice as SimVoice,
    format: format as WavShape,
    sampleRate: Number(args.get('sample-rate') ?? 48000),
    log: (line) => console.log(`[${new Date().toISOString()}] ${line}`),
  });
  const fault = args.get('fault');
  if (fault !== undefined) sim.setFault(faultFromString(fault));

  const url = await sim.start(port, host);
  console.log(`VoxCPM2 simulator listening on ${url} (POST ${url}/api/tts)`);
  console.log(`voice ${voice}, format ${format}, fault ${JSON.stringify(sim.fault)}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  console.error(USAGE);
  process.exit(2);
});
