import { EventEmitter } from 'node:events';
import type { VoxcpmClient } from './client';
import type { VoxcpmError } from './errors';

export type Health = 'unknown' | 'up' | 'down';

/** One server behind a config node, with what is known of its health. */
export class ServerSlot {
  health: Health = 'unknown';
  /** Requests at this server now. */
  inflight = 0;
  /** After a transient fault the server is skipped until this time (ms since epoch). */
  coolUntil = 0;
  /** Consecutive transient faults, for the length of the cool-down. */
  failures = 0;
  lastError?: VoxcpmError;
  /** When it last proved to answer (a request or a probe). */
  lastSeen = 0;
  /** When it was last given a request: ties go to the one idle longest. */
  lastUsed = 0;
  probeTimer?: NodeJS.Timeout;
  probeDelay = 0;
  probing?: AbortController;

  constructor(readonly client: VoxcpmClient) {}
}

export interface PoolOptions {
  /** First wait before probing a server found down; doubles up to probeMaxMs. */
  probeMinMs?: number;
  probeMaxMs?: number;
  /** A server not heard from for this long is probed, so a dead box shows before a message fails. */
  idleProbeMs?: number;
  probeTimeoutMs?: number;
}

export interface PoolSummary {
  total: number;
  up: number;
  down: number;
  unknown: number;
  /** The most recent fault of a server that is down. */
  lastError?: VoxcpmError;
}

/**
 * The servers of one config node: which may take a request now, which are
 * down (probed until they answer again), which cool down after a fault.
 * Emits 'change' whenever a server's health changes.
 */
export class ServerPool extends EventEmitter {
  readonly slots: ServerSlot[];
  private readonly opts: Required<PoolOptions>;
  private running = false;

  constructor(clients: VoxcpmClient[], options: PoolOptions = {}) {
    super();
    this.slots = clients.map((c) => new ServerSlot(c));
    this.opts = {
      probeMinMs: options.probeMinMs ?? 500,
      probeMaxMs: options.probeMaxMs ?? 5000,
      idleProbeMs: options.idleProbeMs ?? 30000,
      probeTimeoutMs: options.probeTimeoutMs ?? 5000,
    };
  }

  /** Starts watching: every server is probed once now, then as its health requires. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const slot of this.slots) this.scheduleProbe(slot, 0);
  }

  stop(): void {
    this.running = false;
    for (const slot of this.slots) {
      clearTimeout(slot.probeTimer);
      slot.probeTimer = undefined;
      slot.probing?.abort();
    }
  }

  /** The server to send a request to now: not down, not cooling, below `concurrency`, fewest in flight. */
  pick(now: number, concurrency: number): ServerSlot | undefined {
    let best: ServerSlot | undefined;
    for (const s of this.slots) {
      if (s.health === 'down' || s.coolUntil > now || s.inflight >= concurrency) continue;
      if (!best || s.inflight < best.inflight || (s.inflight === best.inflight && s.lastUsed < best.lastUsed)) best = s;
    }
    return best;
  }

  /** When a cooling server becomes usable again, if one is cooling. */
  nextCoolEnd(now: number): number | undefined {
    const ends = this.slots.filter((s) => s.health !== 'down' && s.coolUntil > now).map((s) => s.coolUntil);
    return ends.length ? Math.min(...ends) : undefined;
  }

  reportSuccess(slot: ServerSlot): void {
    slot.lastError = undefined;
    slot.failures = 0;
    slot.coolUntil = 0;
    slot.lastSeen = Date.now();
    this.setHealth(slot, 'up');
  }

  /** A retryable fault: a server that is down is probed until it answers; a transient one cools down. */
  reportFault(slot: ServerSlot, error: VoxcpmError): void {
    slot.lastError = error;
    if (error.retry === 'server-down') {
      this.setHealth(slot, 'down');
    } else {
      slot.failures++;
      slot.coolUntil = Date.now() + Math.min(500 * 2 ** (slot.failures - 1), 30000);
      this.emit('change');
    }
  }

  summary(): PoolSummary {
    const count = (h: Health) => this.slots.filter((s) => s.health === h).length;
    const down = this.slots.filter((s) => s.health === 'down');
    const failing = this.slots.find((s) => s.health === 'unknown' && s.lastError);
    return {
      total: this.slots.length,
      up: count('up'),
      down: down.length,
      unknown: count('unknown'),
      lastError: down[0]?.lastError ?? failing?.lastError,
    };
  }

  private setHealth(slot: ServerSlot, health: Health): void {
    const changed = slot.health !== health;
    slot.health = health;
    if (health === 'down') {
      if (changed || !slot.probeTimer) {
        slot.probeDelay = this.opts.probeMinMs;
        this.scheduleProbe(slot, slot.probeDelay);
      }
    } else if (changed) {
      this.scheduleProbe(slot, this.opts.idleProbeMs);
    }
    if (changed) this.emit('change');
  }

  private scheduleProbe(slot: ServerSlot, delay: number): void {
    clearTimeout(slot.probeTimer);
    slot.probeTimer = undefined;
    if (!this.running) return;
    slot.probeTimer = setTimeout(() => void this.probe(slot), delay);
  }

  private async probe(slot: ServerSlot): Promise<void> {
    slot.probeTimer = undefined;
    // A server that answered requests recently needs no probe.
    if (slot.health === 'up' && Date.now() - slot.lastSeen < this.opts.idleProbeMs) {
      this.scheduleProbe(slot, this.opts.idleProbeMs - (Date.now() - slot.lastSeen));
      return;
    }
    const ac = new AbortController();
    slot.probing = ac;
    const result = await slot.client.probe(this.opts.probeTimeoutMs, ac.signal);
    slot.probing = undefined;
    if (!this.running) return;
    if (result.ok) {
      this.reportSuccess(slot);
      this.scheduleProbe(slot, this.opts.idleProbeMs);
    } else if (!result.error?.retry) {
      // It answers, but not as the API should (404, DNS, TLS...): messages are not held back
      // for it, they fail at once with the real error.
      slot.lastError = result.error;
      this.setHealth(slot, 'unknown');
      this.emit('change');
      this.scheduleProbe(slot, this.opts.idleProbeMs);
    } else {
      slot.lastError = result.error;
      if (slot.health === 'down') {
        // Still down: wait longer before the next probe (0.5, 1, 2, 4, 5, 5 ... s).
        slot.probeDelay = Math.min(slot.probeDelay * 2, this.opts.probeMaxMs);
        this.scheduleProbe(slot, slot.probeDelay);
      } else {
        this.setHealth(slot, 'down');
      }
    }
  }
}
