/**
 * The secrets the credential tests plant (a token, a password, a header value, unique to the
 * process), and a leak detector: where a secret shows in a value, and everything the nodes and
 * the runtime said since the load.
 */
import assert from 'node:assert/strict';
import { helper, IDS } from './runtime';

export const TOKEN = `secret-token-${process.pid}-7c1e9b`;
export const USER = 'kitchen-pi';
export const PASSWORD = `secret-pw-${process.pid}-4d8a2f`;
export const HEADER_VALUE = `secret-hv-${process.pid}-0b6e3c`;
export const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

export interface AuthCase {
  type: 'bearer' | 'basic' | 'header';
  headerName?: string;
  creds: Record<string, string>;
  /** The request header (lower case) and the value it must have. */
  header: [string, string];
  /** What must never show anywhere but in the request and the credential store. */
  secrets: string[];
}

export const AUTH_CASES: AuthCase[] = [
  { type: 'bearer', creds: { token: TOKEN }, header: ['authorization', `Bearer ${TOKEN}`], secrets: [TOKEN] },
  { type: 'basic', creds: { username: USER, password: PASSWORD }, header: ['authorization', `Basic ${BASIC}`], secrets: [PASSWORD, BASIC] },
  { type: 'header', headerName: 'X-Api-Key', creds: { headerValue: HEADER_VALUE }, header: ['x-api-key', HEADER_VALUE], secrets: [HEADER_VALUE] },
];

/** Where in `value` a secret occurs (a path), or undefined. Walks objects, arrays, errors and buffers. */
export function findSecret(value: unknown, secrets: string[], where = '$', seen = new Set<unknown>(), depth = 0): string | undefined {
  if (typeof value === 'string') return secrets.some((s) => value.includes(s)) ? where : undefined;
  if (value === null || typeof value !== 'object' || seen.has(value) || depth > 10) return undefined;
  seen.add(value);
  if (Buffer.isBuffer(value)) return secrets.some((s) => value.includes(s)) ? where : undefined;
  if (value instanceof Error) {
    for (const k of ['message', 'stack'] as const) {
      const hit = findSecret(value[k], secrets, `${where}.${k}`, seen, depth + 1);
      if (hit) return hit;
    }
  }
  for (const [k, v] of Object.entries(value)) {
    const hit = findSecret(v, secrets, `${where}.${k}`, seen, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

export function assertNoSecret(value: unknown, secrets: string[], what: string): void {
  const hit = findSecret(value, secrets, what);
  assert.equal(hit, undefined, `a secret shows in ${hit}`);
}

export interface Spy {
  args: unknown[][];
}

/** Every status, warn, error, log... call of every node, and every runtime log line, since load. */
export function everythingSaid(): Record<string, unknown[][]> {
  const node = helper.getNode(IDS.node) as unknown as Record<string, Spy>;
  const said: Record<string, unknown[][]> = {};
  // These are sinon spies on Node.prototype: they saw every node's calls.
  for (const m of ['status', 'warn', 'error', 'log', 'debug', 'trace']) said[m] = node[m]?.args ?? [];
  said.runtimeLog = (helper.log() as unknown as Spy).args;
  return said;
}
