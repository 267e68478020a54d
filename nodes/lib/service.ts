import { EventEmitter } from 'node:events';
import type { AgentOptions } from 'node:https';
import type { AudioCacheError } from './cache';
import { SynthesisResult, TtsRequestBody, VoxcpmClient } from './client';
import { resolveEndpoint } from './endpoint';
import { abortError, ErrorKey, VoxcpmError } from './errors';
import { PoolOptions, PoolSummary, ServerPool } from './pool';
import { proxyFor } from './proxy';
import { audioDigest } from './reference';
import { Scheduler } from './scheduler';
import { numberOk, SERVER_DEFAULTS, SERVER_NUMBER_RULES } from './defaults';

export interface ServiceSettings {
  /** The server URL(s) as the user typed them: one per line. */
  url: unknown;
  /** Seconds to wait for one message's answer, queue and retries included. */
  timeout?: unknown;
  /** Requests at one server at once (default 1: one GPU, one request). */
  concurrency?: unknown;
  /** Messages that may wait (default 100). */
  queueLimit?: unknown;
  /** Further attempts after a fault that may pass (default 3). */
  retries?: unknown;
  /** Larger answers are cut off, in MB (default 100); also the bound of one message's joined audio. */
  maxResponseMB?: unknown;
  /** Longer texts are refused before any work, in characters (default 20,000). */
  maxText?: unknown;
  /** Authorisation headers, from the credential store. */
  headers?: Record<string, string>;
  tls?: AgentOptions;
  /** An HTTP proxy URL; when empty, http_proxy/https_proxy/no_proxy from the environment. */
  proxy?: string;
  /** The proxy's user name and password, from the credential store. */
  proxyAuth?: { username: string; password?: string };
  /** A problem found before the service was made (credentials, TLS): every request reports it. */
  configError?: VoxcpmError;
  env?: NodeJS.ProcessEnv;
  pool?: PoolOptions;
  /** The audio cache: on unless false. */
  cache?: unknown;
  /** Memory for cached audio, in MB (default 64). */
  cacheSize?: unknown;
  /** A folder for a disk cache that survives restarts; relative to `baseDir`. */
  cacheDir?: string;
  /** Where relative paths start (Node-RED's user directory). */
  baseDir?: string;
  /** Told of disk cache problems (they never fail a message). */
  onCacheError?: (err: AudioCacheError) => void;
}

export interface RequestOptions {
  /** Who asks: a flow node's id. */
  owner: string;
  priority?: number;
  /** Overrides the configured timeout for this message. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A further piece of a message already in the queue (long text): not counted against the limit. */
  admitted?: boolean;
  /** Queue position of a message's piece (see Scheduler.ticket): pieces keep their message's place. */
  order?: number;
  /** audioDigest(body.audio), when the caller already has it (the built request does). */
  audioDigest?: string;
}

/** The bounds every message is checked against before and while it is worked on. */
export interface ServiceLimits {
  /** Characters (Unicode code points) of text, prompt or transcript in one message. */
  maxTextChars: number;
  /** Bytes of one server answer, and of one message's audio as it is built. */
  maxAudioBytes: number;
  /** Pieces of one long text in flight at once: enough to keep every server busy. */
  window: number;
}

export interface ServiceState {
  queued: number;
  inflight: number;
  servers: PoolSummary;
}

/** A server answer, and whether other callers got the same buffer. */
export interface SharedResult extends SynthesisResult {
  /** True when identical requests shared this call: the buffer is theirs too, never change it. */
  shared: boolean;
}

/** One server call that several identical requests wait for. */
interface SharedCall {
  promise: Promise<SynthesisResult>;
  controller: AbortController;
  waiters: number;
}

/**
 * A number setting of the server: "" or undefined is its default; anything
 * else must pass its rule (both in defaults.ts, which the editor checks with too).
 * Throws VOXCPM_CONFIG with `key` naming the setting.
 */
export function serverNumber(value: unknown, name: keyof typeof SERVER_NUMBER_RULES, key: ErrorKey): number {
  if (value === '' || value === undefined || value === null) return SERVER_DEFAULTS[name];
  if (!numberOk(value, SERVER_NUMBER_RULES[name])) throw new VoxcpmError('VOXCPM_CONFIG', key, { value: String(value) });
  return Number(value);
}

/** Puts the stored proxy credentials into the proxy URL the client uses (never shown). */
function withAuth(proxy: string | undefined, auth: ServiceSettings['proxyAuth']): string | undefined {
  if (!proxy || !auth?.username) return proxy;
  const url = new URL(proxy);
  url.username = encodeURIComponent(auth.username);
  url.password = encodeURIComponent(auth.password ?? '');
  return url.toString();
}

/** What makes two requests the same call: the body, with the reference audio hashed. */
function requestKey(body: TtsRequestBody, digest?: string): string {
  return JSON.stringify([body.text, body.prompt, digest ?? audioDigest(body.audio), body.reference_text]);
}

/**
 * What a voxcpm-server config node offers its flow nodes, free of Node-RED:
 * a checked configuration, its servers, and the queue in front of them. A bad
 * configuration is kept as an error that every request reports, instead of
 * throwing at deploy. Emits 'change' when the queue or the servers' health changes.
 */
export class VoxcpmService extends EventEmitter {
  readonly configError?: VoxcpmError;
  readonly timeoutMs: number = SERVER_DEFAULTS.timeout * 1000;
  readonly endpoints: string[] = [];
  readonly limits: ServiceLimits = {
    maxTextChars: SERVER_DEFAULTS.maxText,
    maxAudioBytes: SERVER_DEFAULTS.maxResponseMB * 1024 * 1024,
    window: 2,
  };
  private readonly pool?: ServerPool;
  private readonly scheduler?: Scheduler;
  private readonly calls = new Map<string, SharedCall>();

  constructor(settings: ServiceSettings) {
    super();
    try {
      if (settings.configError) throw settings.configError;
      this.timeoutMs = serverNumber(settings.timeout, 'timeout', 'service.timeoutInvalid') * 1000;
      const concurrency = serverNumber(settings.concurrency, 'concurrency', 'service.concurrencyInvalid');
      const queueLimit = serverNumber(settings.queueLimit, 'queueLimit', 'service.queueLimitInvalid');
      const retries = serverNumber(settings.retries, 'retries', 'service.retriesInvalid');
      const maxResponseMB = serverNumber(settings.maxResponseMB, 'maxResponseMB', 'service.responseLimitInvalid');
      const maxText = serverNumber(settings.maxText, 'maxText', 'service.textLimitInvalid');
      const lines = typeof settings.url === 'string' ? settings.url.split(/\r?\n/).filter((l) => l.trim() !== '') : [];
      const endpoints = lines.length > 0 ? lines.map((l) => resolveEndpoint(l)) : [resolveEndpoint(settings.url)];
      this.endpoints = [...new Set(endpoints)];
      // One piece more than the servers take at once, so that none waits between pieces.
      this.limits = {
        maxTextChars: maxText,
        maxAudioBytes: Math.round(maxResponseMB * 1024 * 1024),
        window: this.endpoints.length * concurrency + 1,
      };
      const clients = this.endpoints.map(
        (endpoint) =>
          new VoxcpmClient({
            endpoint,
            timeoutMs: this.timeoutMs,
            headers: settings.headers,
            maxResponseBytes: this.limits.maxAudioBytes,
            tls: settings.tls,
            proxy: withAuth(proxyFor(endpoint, settings.proxy, settings.env), settings.proxyAuth),
          }),
      );
      this.pool = new ServerPool(clients, settings.pool);
      this.scheduler = new Scheduler(this.pool, { concurrency, queueLimit, retries });
      this.scheduler.on('change', () => this.emit('change'));
      this.pool.on('change', () => this.emit('change'));
    } catch (err) {
      if (!(err instanceof VoxcpmError)) throw err;
      this.configError = err;
    }
  }

  /** The first server, for messages (no query string). */
  get endpoint(): string | undefined {
    return this.pool?.slots[0]?.client.displayEndpoint;
  }

  /** Starts watching the servers' health (probes); called when the first node uses this service. */
  start(): void {
    this.pool?.start();
  }

  state(): ServiceState {
    return {
      queued: this.scheduler?.queued ?? 0,
      inflight: this.scheduler?.inflight ?? 0,
      servers: this.pool?.summary() ?? { total: 0, up: 0, down: 0, unknown: 0 },
    };
  }

  /** A place in the queue for a message whose pieces are submitted over time (JobOptions.order). */
  ticket(): number {
    return this.scheduler?.ticket() ?? 0;
  }

  countOf(owner: string): { queued: number; running: number } {
    return this.scheduler?.countOf(owner) ?? { queued: 0, running: 0 };
  }

  /**
   * One server call through the queue. Identical requests in flight at the same
   * time share one call and its one result: callers must treat `wav` as read-only
   * (the synthesis pipeline always builds a new buffer for what flows on). The
   * call is aborted only when every caller has given up on it.
   */
  async synthesize(body: TtsRequestBody, options: RequestOptions): Promise<SharedResult> {
    const scheduler = this.scheduler;
    if (!scheduler) throw this.configError ?? new VoxcpmError('VOXCPM_CONFIG', 'service.notConfigured');
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    const key = requestKey(body, options.audioDigest);
    let call = this.calls.get(key);
    if (!call) {
      const controller = new AbortController();
      const promise = scheduler.submit(
        {
          owner: options.owner,
          priority: options.priority,
          timeoutMs: options.timeoutMs ?? this.timeoutMs,
          signal: controller.signal,
          admitted: options.admitted,
          order: options.order,
        },
        (client, s, timeoutMs) => client.synthesize(body, s, timeoutMs),
      );
      const created: SharedCall = { promise, controller, waiters: 0 };
      call = created;
      this.calls.set(key, created);
      const forget = () => {
        if (this.calls.get(key) === created) this.calls.delete(key);
      };
      promise.then(forget, forget);
    }
    const shared = call;
    shared.waiters++;
    // Settled callers are forgotten at once: no listener outlives its call.
    return new Promise<SharedResult>((resolve, reject) => {
      let done = false;
      const onAbort = () => {
        if (done) return;
        done = true;
        if (--shared.waiters === 0) shared.controller.abort(signal?.reason);
        reject(abortError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(
        (result) => {
          if (done) return;
          done = true;
          signal?.removeEventListener('abort', onAbort);
          resolve({ ...result, shared: shared.waiters > 1 });
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** Stops the probes, ends all work and resolves once no request is left running. */
  async close(): Promise<void> {
    this.pool?.stop();
    await this.scheduler?.close();
    for (const slot of this.pool?.slots ?? []) slot.client.close();
  }
}
