/**
 * `npm start`: the demo. Node-RED on http://127.0.0.1:1880 with this package
 * and the example flows, talking to the simulator on :5022, or to the real
 * server named by VOXCPM_URL. Ctrl-C stops both.
 */
import path from 'node:path';
import { exampleFlows, launchNodeRed, ROOT } from './launch';
import { VoxCpmSimulator as Simulator } from '../simulator/simulator';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 1880);
  const simPort = Number(process.env.VOXCPM_SIM_PORT ?? 5022);
  let sim: Simulator | undefined;
  let url = process.env.VOXCPM_URL;
  if (url) {
    console.log(`[demo] using the VoxCPM2 server at ${url}`);
  } else {
    sim = new Simulator({ voice: 'speech' });
    url = await sim.start(simPort, '127.0.0.1');
    console.log(`[demo] VoxCPM2 simulator listening on ${url} (set VOXCPM_URL to use a real server)`);
  }
  const nodeRed = await launchNodeRed({
    userDir: path.join(ROOT, '.demo'),
    port,
    flows: exampleFlows(url),
    packageDir: ROOT,
  });
  console.log(`[demo] Node-RED is ready: open ${nodeRed.url} and click the first inject node`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await nodeRed.stop();
    await sim?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  nodeRed.child.on('exit', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
