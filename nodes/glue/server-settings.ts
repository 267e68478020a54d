import type { NodeAPI } from 'node-red';
import { authHeaders } from '../lib/auth';
import { phrase, VoxcpmError } from '../lib/errors';
import type { ServiceSettings } from '../lib/service';
import type { AgentOptions } from 'node:https';
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
    if (def.tls) settings.tls = tlsOptions(RED, def.tls);
  } catch (err) {
    if (!(err instanceof VoxcpmError)) throw err;
    settings.configError = err;
  }
  return settings;
}

/**
 * The TLS options of the tls-config node `id` names (ca, cert, key,
 * rejectUnauthorized, servername ...), as the core HTTP request node reads them.
 *
 * @throws VoxcpmError VOXCPM_CONFIG when `id` names no node (deleted, not
 *   deployed), a node that is not a tls-config (e.g. an mqtt-broker), or a
 *   tls-config that could not read its certificate files (it logged why).
 */
export function tlsOptions(RED: NodeAPI, id: unknown): AgentOptions {
  const node: unknown = typeof id === 'string' ? RED.nodes.getNode(id) : null;
  if (!node) throw new VoxcpmError('VOXCPM_CONFIG', 'settings.tlsMissing');
  const type = (node as { type?: unknown }).type;
  if (type !== 'tls-config' || typeof (node as Partial<TlsConfigNode>).addTLSOptions !== 'function') {
    throw new VoxcpmError(
      'VOXCPM_CONFIG',
      'settings.tlsWrongType',
      { type: typeof type === 'string' ? type : phrase('settings.unknownType') },
    );
  }
  const tlsNode = node as TlsConfigNode;
  if ((tlsNode as { valid?: unknown }).valid === false) {
    throw new VoxcpmError('VOXCPM_CONFIG', 'settings.tlsUnusable');
  }
  const tls: Record<string, unknown> = {};
  tlsNode.addTLSOptions(tls);
  return tls as AgentOptions;
}
