import type { NodeAPI } from 'node-red';
import { authHeaders } from '../lib/auth';
import { VoxcpmError } from '../lib/errors';
import type { ServiceSettings } from '../lib/service';
import type { ServerCredentials, ServerNodeDef, TlsConfigNode } from './types';

/**
 * The service settings of a voxcpm-server, from its flow properties and its
 * stored credentials; used by the config node and by the editor's Test
 * connection / Preview routes. A problem (credentials, TLS) is returned as
 * `configError`, never thrown.
 */
export function serviceSettings(RED: NodeAPI, def: Partial<ServerNodeDef>, creds: ServerCredentials): ServiceSettings {
  const settings: ServiceSettings = {
    url: def.url,
    timeout: def.timeout,
    concurrency: def.concurrency,
    queueLimit: def.queueLimit,
    retries: def.retries,
    maxResponseMB: def.maxResponseMB,
    maxText: def.maxText,
    proxy: def.proxy,
    cache: def.cache,
    cacheSize: def.cacheSize,
    cacheDir: def.cacheDir,
    baseDir: RED.settings.userDir ?? process.cwd(),
  };
  try {
    settings.headers = authHeaders(def.authType, def.headerName, creds);
    if (creds.proxyUsername) settings.proxyAuth = { username: creds.proxyUsername, password: creds.proxyPassword };
    if (def.tls) {
      const tlsNode = RED.nodes.getNode(def.tls) as TlsConfigNode | null;
      if (!tlsNode) throw new VoxcpmError('VOXCPM_CONFIG', 'The TLS configuration this server uses does not exist (deploy it first)');
      const tls: Record<string, unknown> = {};
      tlsNode.addTLSOptions(tls);
      settings.tls = tls;
    }
  } catch (err) {
    if (!(err instanceof VoxcpmError)) throw err;
    settings.configError = err;
  }
  return settings;
}
