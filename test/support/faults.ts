/**
 * Small helpers for the fault and queueing scenarios (test/nodes/server-faults.spec.ts):
 * free ports, polling, the statuses a node showed, and outcomes matched to
 * the messages that caused them.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Node } from 'node-red';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { codeOf, type Outcome } from './runtime';

/** A fast simulator: a 0.3 s tone for every text. */
export function fastSimulator(): VoxCpmSimulator {
  return new VoxCpmSimulator({ voice: 'tone', durationFor: () => 0.3 });
}

/** A port nothing listens on: bound, then closed. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms; fails with `what` when it is still false after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export interface ShownStatus {
  fill?: string;
  shape?: string;
  text?: string;
}

/** Every status the node set so far (node.status is a sinon spy in the test helper). */
export function statuses(node: Node): ShownStatus[] {
  return (node.status as unknown as { args: unknown[][] }).args.map((a) => a[0] as ShownStatus);
}

/** The texts of the statuses the node showed, in order. */
export function statusTexts(node: Node): string[] {
  return statuses(node).map((s) => String(s.text ?? ''));
}

/**
 * Outcomes keyed by the per-message tag `key` (e.g. msg.n): fails when a
 * message has more than one outcome, or an outcome has no tag.
 */
export function byTag(outcomes: Outcome[], key = 'n'): Map<unknown, Outcome> {
  const map = new Map<unknown, Outcome>();
  for (const o of outcomes) {
    const tag = o.msg[key];
    assert.notEqual(tag, undefined, `an outcome without msg.${key}: ${describeOutcome(o)}`);
    const seen = map.get(tag);
    if (seen) assert.fail(`two outcomes for msg.${key} = ${String(tag)}: ${describeOutcome(seen)} and ${describeOutcome(o)}`);
    map.set(tag, o);
  }
  return map;
}

/** The tags of the outcomes, in the order they arrived. */
export function tags(outcomes: Outcome[], key = 'n'): unknown[] {
  return outcomes.map((o) => o.msg[key]);
}

/** "sent" or "caught CODE", for assertion messages. */
export function describeOutcome(o: Outcome): string {
  return o.kind === 'sent' ? 'sent' : `caught ${String(codeOf(o.msg))}: ${o.msg.error.message}`;
}

/** Each outcome's tag and kind, e.g. ["a:sent", "b:caught VOXCPM_QUEUE_FULL"], for readable failures. */
export function summarize(outcomes: Outcome[], key = 'n'): string[] {
  return outcomes.map((o) => `${String(o.msg[key])}:${o.kind === 'sent' ? 'sent' : `caught ${String(codeOf(o.msg))}`}`);
}

/** Asserts that the outcome is audio (a RIFF WAV Buffer). */
export function assertAudio(o: Outcome | undefined, what: string): void {
  assert.ok(o, `${what}: no outcome`);
  assert.equal(o.kind, 'sent', `${what}: ${describeOutcome(o)}`);
  const wav = o.msg.payload as Buffer;
  assert.ok(Buffer.isBuffer(wav) && wav.toString('latin1', 0, 4) === 'RIFF', `${what}: the payload is not a WAV`);
}

/** Asserts that the outcome is an error with `code`, seen through the Catch node. */
export function assertCaught(o: Outcome | undefined, code: string, what: string): void {
  assert.ok(o, `${what}: no outcome`);
  assert.equal(o.kind, 'caught', `${what}: expected ${code}, got audio`);
  if (o.kind === 'caught') assert.equal(codeOf(o.msg), code, `${what}: ${o.msg.error.message}`);
}

/** The texts of the requests a simulator received (probes excluded by the caller with calls()). */
export function texts(requests: Array<{ body: unknown }>): string[] {
  return requests.map((r) => String((r.body as { text?: unknown }).text));
}
