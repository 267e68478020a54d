import { Phrase, phrase, VoxcpmError } from './errors';

/**
 * Which HTTP proxy a request to `target` goes through: the configured one, or
 * else http_proxy / https_proxy unless no_proxy names the host, as Node-RED's
 * core HTTP request node reads them. Written here (a few lines): Node's http
 * module reads no proxy variables of its own (before Node 24's NODE_USE_ENV_PROXY),
 * and the client must know the proxy to name it in errors and to choose between
 * an absolute-URI request (http) and a CONNECT tunnel (https, hpagent).
 */
export function proxyFor(target: string, configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (configured && configured.trim()) return checkProxy(configured.trim(), phrase('proxy.setting'), false);
  const url = new URL(target);
  const https = url.protocol === 'https:';
  const fromEnv = https
    ? env.https_proxy || env.HTTPS_PROXY || env.http_proxy || env.HTTP_PROXY
    : env.http_proxy || env.HTTP_PROXY;
  if (!fromEnv) return undefined;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  return bypasses(url, noProxy) ? undefined : checkProxy(fromEnv.trim(), phrase('proxy.environment'), true);
}

/**
 * An HTTP proxy URL, `host:port` read as http. A user name and password are
 * accepted from the environment but not in the flow, where they would be exported.
 */
function checkProxy(value: string, where: Phrase, allowUserinfo: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new VoxcpmError('VOXCPM_CONFIG', 'proxy.invalid', { where });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VoxcpmError('VOXCPM_CONFIG', 'proxy.scheme', { where, scheme: url.protocol.replace(':', '') });
  }
  if (!allowUserinfo && (url.username || url.password)) {
    throw new VoxcpmError('VOXCPM_CONFIG', 'proxy.userinfo', { where });
  }
  return withScheme;
}

function bypasses(url: URL, noProxy: string): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      // A bare IPv6 address ("::1") has no port; "[::1]:5022" and "host:5022" do.
      const bareIpv6 = (entry.match(/:/g) ?? []).length > 1 && !entry.startsWith('[');
      const m = (bareIpv6 ? [entry, entry.toLowerCase(), undefined] : /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase())) as RegExpExecArray;
      const name = m[1].replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
      if (m[2] && m[2] !== port) return false;
      return host === name || host.endsWith(`.${name}`);
    });
}
