import { SynthesisResult, TtsRequestBody, VoxcpmClient } from './client';
import { resolveEndpoint } from './endpoint';
import { VoxcpmError } from './errors';

export interface ServiceSettings {
  /** The server's URL as the user typed it. */
  url: unknown;
  /** Seconds to wait for one answer. */
  timeout: unknown;
  headers?: Record<string, string>;
  /** Larger answers are cut off; default 100. */
  maxResponseMB?: unknown;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_MAX_RESPONSE_MB = 100;

/**
 * What a voxcpm-server config node offers its flow nodes, free of Node-RED:
 * a checked configuration and the call to the server. A bad configuration is
 * kept as an error that every request reports, instead of throwing at deploy.
 */
export class VoxcpmService {
  readonly configError?: VoxcpmError;
  readonly timeoutMs: number;
  private readonly client?: VoxcpmClient;

  constructor(settings: ServiceSettings) {
    const seconds = settings.timeout === '' || settings.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(settings.timeout);
    this.timeoutMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_TIMEOUT_SECONDS * 1000;
    const mb = settings.maxResponseMB === '' || settings.maxResponseMB === undefined ? DEFAULT_MAX_RESPONSE_MB : Number(settings.maxResponseMB);
    try {
      if (!(Number.isFinite(mb) && mb > 0)) {
        throw new VoxcpmError('VOXCPM_CONFIG', `The response limit "${String(settings.maxResponseMB)}" is not a positive number of MB`);
      }
      if (!(Number.isFinite(seconds) && seconds > 0)) {
        throw new VoxcpmError('VOXCPM_CONFIG', `The timeout "${String(settings.timeout)}" is not a positive number of seconds`);
      }
      const endpoint = resolveEndpoint(settings.url);
      this.client = new VoxcpmClient({
        endpoint,
        timeoutMs: this.timeoutMs,
        headers: settings.headers,
        maxResponseBytes: Math.round(mb * 1024 * 1024),
      });
    } catch (err) {
      if (!(err instanceof VoxcpmError)) throw err;
      this.configError = err;
    }
  }

  get endpoint(): string | undefined {
    return this.client?.displayEndpoint;
  }

  async synthesize(body: TtsRequestBody, signal?: AbortSignal): Promise<SynthesisResult> {
    if (!this.client) throw this.configError ?? new VoxcpmError('VOXCPM_CONFIG', 'The server is not configured');
    return this.client.synthesize(body, signal);
  }

  close(): void {
    this.client?.close();
  }
}
