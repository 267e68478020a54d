/**
 * Which HTTP proxy a request to `target` goes through: the configured one, or
 * else http_proxy / https_proxy unless no_proxy names the host, as Node-RED's
 * core HTTP request node reads them. Written here (a few lines) because axios
 * applies the environment on its own only when it also handles the proxy,
 * which it cannot do for HTTPS (no CONNECT tunnel).
 */
export function proxyFor(target: string, configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (configured && configured.trim()) return configured.trim();
  const url = new URL(target);
  const https = url.protocol === 'https:';
  const fromEnv = https
    ? env.https_proxy || env.HTTPS_PROXY || env.http_proxy || env.HTTP_PROXY
    : env.http_proxy || env.HTTP_PROXY;
  if (!fromEnv) return undefined;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  return bypasses(url, noProxy) ? undefined : fromEnv;
}

function bypasses(url: URL, noProxy: string): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const m = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase()) as RegExpExecArray;
      const name = m[1].replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
      if (m[2] && m[2] !== port) return false;
      return host === name || host.endsWith(`.${name}`);
    });
}
