import { EventEmitter } from 'node:events';
import type { VoxcpmClient } from './client';
import { abortError, internalError, VoxcpmError } from './errors';
import type { ServerPool, ServerSlot } from './pool';

/** One exchange with one server, given the time left for it. */
export type Attempt<T> = (client: VoxcpmClient, signal: AbortSignal, timeoutMs: number) => Promise<T>;

export interface JobOptions {
  /** Who asked (a flow node's id): its status counts its jobs. Jobs end early through `signal`. */
  owner: string;
  /** Higher first; equal priorities keep arrival order. */
  priority?: number;
  /** The whole time the message may take, queue and retries included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * A further piece of a message already admitted (a long text): it does not
   * count against the queue limit, which counts messages.
   */
  admitted?: boolean;
  /**
   * Place in arrival order, for the pieces of one message submitted over time:
   * a `ticket()` plus a fraction below 1 per piece, so they keep their message's place.
   */
  order?: number;
}

export interface SchedulerOptions {
  /** Requests at one server at once. */
  concurrency: number;
  /** Messages waiting beyond this fail at once with VOXCPM_QUEUE_FULL. */
  queueLimit: number;
  /** Further attempts after a fault that may pass. */
  retries: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

interface Job {
  owner: string;
  priority: number;
  seq: number;
  started: number;
  deadline: number;
  attempt: Attempt<unknown>;
  controller: AbortController;
  /** A further piece of an admitted message: not counted against the queue limit. */
  admitted: boolean;
  /** Attempts sent so far; at most retries + 1. */
  attempts: number;
  /** Not to be sent before this time (backoff after a fault). */
  notBefore: number;
  lastError?: VoxcpmError;
  /** Set when the job was cancelled; it ends with this error. */
  cancelled?: VoxcpmError;
  running: boolean;
  /** The running attempt, settled once its request has stopped. */
  finished?: Promise<void>;
  settled: boolean;
  timer?: NodeJS.Timeout;
  resolve: (value: unknown) => void;
  reject: (err: VoxcpmError) => void;
}

/**
 * The queue of one config node: requests go out by priority then arrival,
 * at most `concurrency` at each server, with retries and backoff on faults
 * that may pass, within each message's own deadline. Emits 'change' when the
 * queue or the work in flight changes.
 */
export class Scheduler extends EventEmitter {
  private readonly queue: Job[] = [];
  private readonly running = new Set<Job>();
  private seq = 0;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = 0;
  private closed = false;
  private readonly opts: Required<SchedulerOptions>;

  constructor(
    private readonly pool: ServerPool,
    options: SchedulerOptions,
  ) {
    super();
    this.opts = { backoffBaseMs: 250, backoffMaxMs: 5000, ...options };
    pool.on('change', () => this.dispatch());
  }

  get queued(): number {
    return this.queue.length;
  }

  get inflight(): number {
    return this.running.size;
  }

  /** A place in arrival order, taken when a message arrives (see JobOptions.order). */
  ticket(): number {
    return this.seq++;
  }

  /** Queued and running jobs of one owner. */
  countOf(owner: string): { queued: number; running: number } {
    let running = 0;
    for (const j of this.running) if (j.owner === owner) running++;
    return { queued: this.queue.filter((j) => j.owner === owner).length, running };
  }

  submit<T>(options: JobOptions, attempt: Attempt<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new VoxcpmError('VOXCPM_ABORTED', 'scheduler.stopping'));
      if (options.signal?.aborted) return reject(abortError(options.signal));
      if (!options.admitted && this.queue.filter((j) => !j.admitted).length >= this.opts.queueLimit) {
        return reject(
          new VoxcpmError('VOXCPM_QUEUE_FULL', 'scheduler.queueFull', { limit: this.opts.queueLimit }),
        );
      }
      const now = Date.now();
      const job: Job = {
        owner: options.owner,
        priority: Number.isFinite(options.priority) ? (options.priority as number) : 0,
        seq: options.order ?? this.seq++,
        started: now,
        deadline: now + options.timeoutMs,
        attempt: attempt as Attempt<unknown>,
        controller: new AbortController(),
        admitted: options.admitted === true,
        attempts: 0,
        notBefore: 0,
        running: false,
        settled: false,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      job.timer = setTimeout(() => this.expire(job), Math.min(options.timeoutMs, 2 ** 31 - 1));
      // The abort's reason (a VoxcpmError for msg.reset or a close) is what the message ends with.
      options.signal?.addEventListener('abort', () => this.cancel(job, abortError(options.signal)), { once: true });
      this.enqueue(job);
      this.dispatch();
    });
  }

  /** Ends everything, and resolves once no request is left running. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.wakeTimer);
    const running = [...this.running];
    for (const j of [...this.queue, ...this.running]) {
      this.cancel(j, new VoxcpmError('VOXCPM_ABORTED', 'scheduler.stopped'));
    }
    await Promise.all(running.map((j) => j.finished ?? Promise.resolve()));
  }

  private enqueue(job: Job): void {
    // Higher priority first, then arrival order (a retried job keeps its place).
    let i = this.queue.length;
    while (i > 0) {
      const q = this.queue[i - 1];
      if (q.priority > job.priority || (q.priority === job.priority && q.seq < job.seq)) break;
      i--;
    }
    this.queue.splice(i, 0, job);
  }

  private dispatch(): void {
    if (this.closed) return;
    const now = Date.now();
    while (this.queue.length > 0) {
      const head = this.queue[0];
      // The head waits out its backoff: sending the next one first would break the order.
      if (head.notBefore > now) {
        this.wakeAtTime(head.notBefore);
        break;
      }
      const slot = this.pool.pick(now, this.opts.concurrency);
      if (!slot) {
        const coolEnd = this.pool.nextCoolEnd(now);
        if (coolEnd !== undefined) this.wakeAtTime(coolEnd);
        this.failWithoutRetries();
        break;
      }
      this.queue.shift();
      this.run(head, slot);
    }
    this.emit('change');
  }

  /**
   * While every server is down, messages wait for one to come back, unless
   * retries are off (0): then they end now, with the fault that took the
   * servers down. A retry is counted when it is sent, not while it waits.
   */
  private failWithoutRetries(): void {
    const servers = this.pool.summary();
    if (this.opts.retries > 0 || servers.down < servers.total || !servers.lastError) return;
    const fault = servers.lastError;
    for (const job of [...this.queue]) {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.settle(job, job.lastError ?? new VoxcpmError(fault.code, fault.key, fault.params));
    }
  }

  private wakeAtTime(at: number): void {
    if (this.wakeTimer && this.wakeAt <= at) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.dispatch();
    }, Math.max(0, at - Date.now()));
  }

  private run(job: Job, slot: ServerSlot): void {
    job.running = true;
    job.attempts++;
    this.running.add(job);
    slot.inflight++;
    slot.lastUsed = Date.now();
    const remaining = Math.max(1, job.deadline - Date.now());
    job.finished = job
      .attempt(slot.client, job.controller.signal, remaining)
      .then(
        (value) => {
          this.pool.reportSuccess(slot);
          this.settle(job, undefined, value);
        },
        (err: unknown) => this.failed(job, slot, err),
      )
      .finally(() => {
        slot.inflight--;
        job.running = false;
        this.running.delete(job);
        this.dispatch();
      });
  }

  private failed(job: Job, slot: ServerSlot, err: unknown): void {
    // Anything else is a bug of ours, not the server's fault: it is never retried.
    const error = err instanceof VoxcpmError ? err : internalError(err);
    if (job.cancelled) return this.settle(job, job.cancelled);
    if (error.retry) this.pool.reportFault(slot, error);
    const now = Date.now();
    if (error.retry && job.attempts <= this.opts.retries && job.deadline - now > 50 && !this.closed) {
      job.lastError = error;
      // Exponential backoff with full jitter; none when another server can take it now.
      const another = this.pool.pick(now, this.opts.concurrency);
      const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (job.attempts - 1));
      job.notBefore = another ? 0 : now + Math.min(Math.random() * cap, job.deadline - now);
      this.enqueue(job);
      return;
    }
    this.settle(job, job.attempts > 1 ? withAttempts(error, job) : error);
  }

  /**
   * The message's deadline fell while it was not at a server. Waiting to retry
   * (backoff or a cool-down) after a fault, it ends with that fault: the last
   * attempt's code and text, and how many attempts were made in how long. With
   * no attempt made, it ends with the fault that keeps every server down, or
   * else VOXCPM_TIMEOUT (it waited in the queue behind other messages).
   */
  private expire(job: Job): void {
    if (job.settled || job.running) return; // a running attempt has its own timeout (the time left)
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    let error: VoxcpmError;
    if (job.lastError) {
      error = withAttempts(job.lastError, job);
    } else {
      const seconds = secondsSince(job.started);
      const servers = this.pool.summary();
      error =
        servers.lastError && servers.up === 0
          ? new VoxcpmError(servers.lastError.code, 'scheduler.gaveUp', { cause: servers.lastError, seconds }, servers.lastError.retry)
          : new VoxcpmError('VOXCPM_TIMEOUT', 'scheduler.queueTimeout', { seconds });
    }
    this.settle(job, error);
    this.emit('change');
  }

  private cancel(job: Job, error: VoxcpmError): void {
    if (job.settled || job.cancelled) return;
    job.cancelled = error;
    const i = this.queue.indexOf(job);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.settle(job, error);
      this.emit('change');
    } else if (job.running) {
      job.controller.abort(); // settles through failed() once the request has stopped
    }
  }

  private settle(job: Job, error?: VoxcpmError, value?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    if (error) job.reject(error);
    else job.resolve(value);
  }
}

/** Seconds since `start`, to one decimal. */
function secondsSince(start: number): number {
  return Math.round((Date.now() - start) / 100) / 10;
}

/**
 * A retried message's last fault, its code kept, saying how many attempts were
 * made and in how long: "… (after 3 attempts in 2 s)".
 */
function withAttempts(error: VoxcpmError, job: Job): VoxcpmError {
  const seconds = secondsSince(job.started);
  // The fault is the cause: its own text is clipped when needed, so the attempts always show.
  return job.attempts === 1
    ? new VoxcpmError(error.code, 'scheduler.afterAttempt', { cause: error, seconds }, error.retry)
    : new VoxcpmError(error.code, 'scheduler.afterAttempts', { cause: error, attempts: job.attempts, seconds }, error.retry);
}
