/**
 * End to end through a real MQTT broker: voxcpm-tts -> mqtt out -> Mosquitto ->
 * mqtt in -> the very same WAV bytes. Uses Node-RED's own core MQTT nodes, from the
 * same runtime the helper runs (NODE_RED_RUNTIME or the node-red dev dependency).
 *
 * Needs the `mosquitto` binary (Debian: apt-get install mosquitto). Without it the
 * suite fails, unless VOXCPM_SKIP_MQTT=1, so CI cannot skip it by accident.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { NodeInitializer } from 'node-red';
import { parseWav } from '../../nodes/lib/wav';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { helper, NODE_MODULES, useHelperServer, type FlowItem, type TestMessage } from '../support/runtime';

/** The core MQTT nodes of the runtime under test (the same one runtime.ts gives the helper). */
function mqttNodes(): NodeInitializer {
  const runtime = process.env.NODE_RED_RUNTIME ? path.resolve(process.env.NODE_RED_RUNTIME) : require.resolve('node-red');
  const nodesPkg = require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(runtime)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(nodesPkg), 'core', 'network', '10-mqtt.js')) as NodeInitializer;
}

/** The mosquitto binary: on PATH, or in Debian's /usr/sbin (not on a normal user's PATH). */
function findMosquitto(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, 'mosquitto');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * All the text the simulator was asked to speak, in order, without white space: health
 * probes (an empty text) are left out, and a text the node sent in several parts reads whole.
 */
function spoken(sim: VoxCpmSimulator): string {
  return sim.requests
    .map((r) => (r.body as { text?: unknown } | null)?.text)
    .filter((t): t is string => typeof t === 'string')
    .join('')
    .replace(/\s+/g, '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ID = {
  tab: 'mq-tab',
  server: 'mq-srv',
  tts: 'mq-tts',
  sent: 'mq-sent',
  out: 'mq-out',
  broker: 'mq-broker',
  in: 'mq-in',
  received: 'mq-received',
  catcher: 'mq-catch',
  caught: 'mq-caught',
} as const;
const TOPIC = 'voxcpm/test';

function mqttFlow(url: string, port: number): FlowItem[] {
  return [
    { id: ID.tab, type: 'tab', label: 'mqtt' },
    { id: ID.server, type: 'voxcpm-server', name: 'sim', url, timeout: '10' },
    { id: ID.tts, type: 'voxcpm-tts', z: ID.tab, name: '', server: ID.server, prompt: '', wires: [[ID.out, ID.sent]] },
    { id: ID.sent, type: 'helper', z: ID.tab },
    { id: ID.out, type: 'mqtt out', z: ID.tab, name: '', topic: TOPIC, qos: '1', retain: 'false', broker: ID.broker, wires: [] },
    {
      id: ID.broker,
      type: 'mqtt-broker',
      name: 'test broker',
      broker: '127.0.0.1',
      port: String(port),
      clientid: '',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
    },
    { id: ID.in, type: 'mqtt in', z: ID.tab, name: '', topic: TOPIC, qos: '1', datatype: 'buffer', broker: ID.broker, nl: false, rap: true, rh: 0, inputs: 0, wires: [[ID.received]] },
    { id: ID.received, type: 'helper', z: ID.tab },
    { id: ID.catcher, type: 'catch', z: ID.tab, scope: null, uncaught: false, wires: [[ID.caught]] },
    { id: ID.caught, type: 'helper', z: ID.tab },
  ];
}

type Emitter = NodeJS.EventEmitter;

/** Sends `text` into voxcpm-tts; resolves with what the tts node sent and what came back from the broker. */
function roundTrip(text: string, timeoutMs = 8000): Promise<{ sent: TestMessage; received: TestMessage }> {
  const sentNode = helper.getNode(ID.sent) as unknown as Emitter;
  const receivedNode = helper.getNode(ID.received) as unknown as Emitter;
  const caughtNode = helper.getNode(ID.caught) as unknown as Emitter;
  return new Promise((resolve, reject) => {
    let sent: TestMessage | undefined;
    let received: TestMessage | undefined;
    const timer = setTimeout(() => finish(new Error(`no round trip in ${timeoutMs} ms (sent: ${!!sent}, received: ${!!received})`)), timeoutMs);
    const onSent = (m: TestMessage) => {
      sent = m;
      check();
    };
    const onReceived = (m: TestMessage) => {
      received = m;
      check();
    };
    const onCaught = (m: TestMessage) => {
      const err = m.error as { message?: string; source?: { type?: string } } | undefined;
      finish(new Error(`error from ${err?.source?.type ?? '?'}: ${err?.message ?? JSON.stringify(m.error)}`));
    };
    function check(): void {
      if (sent && received) finish();
    }
    function finish(err?: Error): void {
      clearTimeout(timer);
      sentNode.removeListener('input', onSent);
      receivedNode.removeListener('input', onReceived);
      caughtNode.removeListener('input', onCaught);
      if (err) reject(err);
      else resolve({ sent: sent as TestMessage, received: received as TestMessage });
    }
    sentNode.on('input', onSent);
    receivedNode.on('input', onReceived);
    caughtNode.on('input', onCaught);
    helper.getNode(ID.tts).receive({ payload: text } as never);
  });
}

describe('voxcpm-tts -> mqtt out -> Mosquitto -> mqtt in', function () {
  this.timeout(15000);
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  let url = '';
  let port = 0;
  let broker: ChildProcess | undefined;
  let brokerLog = '';
  let confDir = '';

  before(async function () {
    const bin = findMosquitto();
    if (!bin) {
      if (process.env.VOXCPM_SKIP_MQTT === '1') this.skip();
      throw new Error(
        'mosquitto is not installed: the MQTT end-to-end test needs it (Debian/Ubuntu: apt-get install mosquitto). ' +
          'Set VOXCPM_SKIP_MQTT=1 to skip this test on purpose.',
      );
    }
    port = await freePort();
    confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-mqtt-'));
    const conf = path.join(confDir, 'mosquitto.conf');
    fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    broker = proc;
    proc.stdout?.on('data', (d: Buffer) => (brokerLog += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (brokerLog += d.toString()));
    let exited: string | undefined;
    proc.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`));
    proc.once('error', (e) => (exited = e.message));
    const deadline = Date.now() + 5000;
    while (!(await accepts(port))) {
      if (exited) throw new Error(`mosquitto ${exited}: ${brokerLog.trim()}`);
      if (Date.now() > deadline) throw new Error(`mosquitto does not accept connections on 127.0.0.1:${port}: ${brokerLog.trim()}`);
      await sleep(50);
    }
    url = await sim.start();
  });

  after(async () => {
    await sim.stop();
    if (broker && broker.exitCode === null && broker.signalCode === null) {
      const gone = new Promise((r) => broker?.once('exit', r));
      broker.kill('SIGTERM');
      await Promise.race([gone, sleep(2000)]);
      if (broker.exitCode === null && broker.signalCode === null) broker.kill('SIGKILL');
    }
    if (confDir) fs.rmSync(confDir, { recursive: true, force: true });
  });

  useHelperServer(() => sim.reset());

  async function loadAndConnect(): Promise<void> {
    await helper.load([...NODE_MODULES, mqttNodes()], mqttFlow(url, port));
    // Both mqtt nodes share one broker connection, so the subscription (sent on connect)
    // reaches Mosquitto before any publish does.
    const conn = helper.getNode(ID.broker) as unknown as { connected: boolean };
    const deadline = Date.now() + 5000;
    while (!conn.connected) {
      if (Date.now() > deadline) throw new Error(`the mqtt-broker node did not connect to 127.0.0.1:${port}: ${brokerLog.trim()}`);
      await sleep(20);
    }
  }

  function checkSame(sent: TestMessage, received: TestMessage): Buffer {
    const wav = sent.payload as Buffer;
    const got = received.payload as Buffer;
    assert.ok(Buffer.isBuffer(wav), 'voxcpm-tts did not send a Buffer');
    assert.ok(Buffer.isBuffer(got), `mqtt in gave ${typeof got}, not a Buffer`);
    assert.equal(received.topic, TOPIC);
    assert.equal(got.length, wav.length);
    assert.ok(got.equals(wav), 'the bytes from the broker differ from the WAV voxcpm-tts sent');
    assert.equal(got.toString('latin1', 0, 4), 'RIFF');
    const info = parseWav(got);
    assert.equal(info.sampleRate, sent.sampleRate);
    assert.equal(info.channels, sent.channels);
    assert.equal(info.bitDepth, sent.bitDepth);
    assert.ok(Math.abs(info.duration - (sent.duration as number)) < 0.01, `${info.duration} vs ${String(sent.duration)}`);
    return got;
  }

  it('delivers the WAV byte for byte (English text)', async () => {
    await loadAndConnect();
    const { sent, received } = await roundTrip('The washing machine is done.');
    const got = checkSame(sent, received);
    assert.ok(got.length > 40000, `only ${got.length} bytes`);
    assert.equal(spoken(sim), 'Thewashingmachineisdone.');
  });

  it('delivers the WAV byte for byte (Chinese text), twice in a row on one connection', async () => {
    await loadAndConnect();
    const first = await roundTrip('洗衣机已经洗好了，请及时晾晒衣服。');
    checkSame(first.sent, first.received);
    const second = await roundTrip('今天的会议将在下午三点开始。');
    checkSame(second.sent, second.received);
    assert.equal(spoken(sim), '洗衣机已经洗好了，请及时晾晒衣服。今天的会议将在下午三点开始。');
  });
});
