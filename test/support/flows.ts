/**
 * What the flow specs that speak long texts share: a simulator that answers a tone as long as
 * the text (toneSeconds), long Chinese texts, the check that pieces cover a text, flows of two
 * nodes on one server, and gather(), which collects every message reaching the helper nodes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VoxcpmService } from '../../nodes/lib/service';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { helper, IDS, NODE_MODULES, serverKnown, useHelperServer, type FlowItem, type TestMessage } from './runtime';

export const RATE = 48000;
/** Seconds of tone per character: short audio, so that long texts stay small. */
const SECONDS_PER_CHAR = 0.02;
export const toneSeconds = (text: string) => Math.min(60, Math.max(0.3, [...text].length * SECONDS_PER_CHAR));
/** What the simulator makes of a text: whole frames at 48 kHz. */
export const toneFrames = (text: string) => Math.max(1, Math.round(toneSeconds(text) * RATE));

/** About 700 Chinese characters in sentences ending with 。！？, some followed by a space or a line break. */
export function longChinese(tag: string): string {
  const sentences = [
    '今天的天气非常好，阳光明媚，微风轻轻地吹过湖面，我们决定一起去公园散步。',
    '你知道这个系统最核心的功能是什么吗？',
    '语音合成技术在过去几年里取得了非常惊人的进步！',
    '它可以把任意一段文字变成自然流畅的声音，听起来几乎和真人一样。',
    '家里的洗衣机已经洗好了，请记得把衣服拿出来晾干。',
    '下午三点的会议改到了四点，地点仍然是三楼的大会议室。',
    '如果明天下雨，我们就在家里看电影，好不好？',
    '请注意，前方道路正在施工，请大家绕行并注意安全！',
  ];
  let text = '';
  for (let i = 0; text.length < 690; i++) {
    const s = sentences[i % sentences.length];
    text += `${tag}${i}${s}` + (i % 3 === 1 ? ' ' : i % 5 === 4 ? '\n' : '');
  }
  return text.trim();
}

/** Asserts that the pieces, in order, are the text with only white space left out between them. */
export function assertCovers(text: string, pieces: string[]): void {
  let at = 0;
  for (const [i, piece] of pieces.entries()) {
    while (at < text.length && /\s/.test(text[at])) at++;
    assert.ok(piece.length > 0, `piece ${i} is empty`);
    assert.equal(text.slice(at, at + piece.length), piece, `piece ${i} is not the text at ${at}`);
    at += piece.length;
  }
  while (at < text.length && /\s/.test(text[at])) at++;
  assert.equal(at, text.length, 'the pieces end before the text does');
}

export function service(id: string = IDS.server): VoxcpmService {
  return (helper.getNode(id) as unknown as { service: VoxcpmService }).service;
}

export function bodyText(r: { body: unknown }): string {
  return String((r.body as { text?: unknown }).text);
}

export interface Seen {
  kind: 'sent' | 'caught';
  msg: TestMessage;
  at: number;
}

/**
 * Runs `act` and collects every message reaching the helper nodes `outs` (sent on)
 * and `caughtIds` (through the Catch node), until `count` arrived and `settleMs` more.
 */
export function gather(
  act: () => void,
  count: number,
  { outs = [IDS.out], caughtIds = [IDS.caught], settleMs = 100, timeoutMs = 15000 } = {},
): Promise<Seen[]> {
  const seen: Seen[] = [];
  const emitters = [
    ...outs.map((id) => ({ node: helper.getNode(id) as unknown as NodeJS.EventEmitter, kind: 'sent' as const })),
    ...caughtIds.map((id) => ({ node: helper.getNode(id) as unknown as NodeJS.EventEmitter, kind: 'caught' as const })),
  ];
  return new Promise<Seen[]>((resolve, reject) => {
    let settle: NodeJS.Timeout | undefined;
    const handlers = emitters.map(({ node, kind }) => {
      const h = (msg: TestMessage) => {
        seen.push({ kind, msg, at: Date.now() });
        if (seen.length >= count && !settle) settle = setTimeout(finish, settleMs);
      };
      node.on('input', h);
      return () => node.removeListener('input', h);
    });
    const timer = setTimeout(() => {
      for (const off of handlers) off();
      reject(new Error(`expected ${count} messages, got ${seen.length}: ${seen.map((s) => s.kind).join(', ')}`));
    }, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      for (const off of handlers) off();
      resolve(seen);
    }
    act();
  });
}

/** Two flow nodes of the same type on one server, both wired to `out`, a Catch node for both. */
export function twoNodeFlow(url: string, props: [Record<string, unknown>, Record<string, unknown>], serverProps: Record<string, unknown> = {}): FlowItem[] {
  return [
    { id: IDS.tab, type: 'tab', label: 'test' },
    { id: 'a', type: 'voxcpm-tts', z: IDS.tab, server: IDS.server, prompt: '', ...props[0], wires: [[IDS.out]] },
    { id: 'b', type: 'voxcpm-tts', z: IDS.tab, server: IDS.server, prompt: '', ...props[1], wires: [[IDS.out]] },
    { id: IDS.out, type: 'helper', z: IDS.tab },
    { id: IDS.catcher, type: 'catch', z: IDS.tab, scope: ['a', 'b'], uncaught: false, wires: [[IDS.caught]] },
    { id: IDS.caught, type: 'helper', z: IDS.tab },
    { id: IDS.server, type: 'voxcpm-server', name: 'sim', url, timeout: '10', ...serverProps },
  ];
}

export async function loadTwo(
  url: string,
  props: [Record<string, unknown>, Record<string, unknown>],
  serverProps: Record<string, unknown> = {},
): Promise<void> {
  await helper.load(NODE_MODULES, twoNodeFlow(url, props, serverProps));
  await serverKnown();
}

export interface ToneSimulator {
  /** The file's simulator, reset before each test. */
  sim: VoxCpmSimulator;
  /** A temporary folder, removed after the file. */
  tmpDir(): string;
  /** A further simulator, stopped after the test. */
  extraSim(): Promise<{ s: VoxCpmSimulator; url: string }>;
}

/**
 * The hooks of a spec that speaks tone: one simulator for the whole file (its URL handed to
 * `started`), reset before each test, and a fresh helper server, unloaded after each test.
 */
export function useToneSimulator(started: (url: string) => void): ToneSimulator {
  const sim = new VoxCpmSimulator({ voice: 'tone', durationFor: toneSeconds });
  const tmpDirs: string[] = [];
  const extraSims: VoxCpmSimulator[] = [];
  before(async () => started(await sim.start()));
  after(async () => {
    await sim.stop();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });
  useHelperServer(
    () => sim.reset(),
    async () => {
      for (const s of extraSims.splice(0)) await s.stop();
    },
  );
  return {
    sim,
    tmpDir: () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voxcpm-flows-'));
      tmpDirs.push(dir);
      return dir;
    },
    extraSim: async () => {
      const s = new VoxCpmSimulator({ voice: 'tone', durationFor: toneSeconds });
      extraSims.push(s);
      return { s, url: await s.start() };
    },
  };
}
