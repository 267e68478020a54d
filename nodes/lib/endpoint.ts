import { VoxcpmError } from './errors';

import { API_PATH, BARE_HOST, DIGITS_ONLY, URL_CREDENTIALS, URL_SCHEME } from './defaults';
export { API_PATH };

/**
 * Turns what a user typed into the endpoint to POST to.
 * Accepts a base URL (`http://host:5022`), a reverse-proxy prefix (`https://h/voxcpm`),
 * the full endpoint (`.../api/tts`) or a bare `host:port`, which is taken as http.
 */
export function resolveEndpoint(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new VoxcpmError('VOXCPM_CONFIG', 'endpoint.missing');
  }
  const raw = input.trim();
  if (URL_CREDENTIALS.test(raw)) {
    // Credentials in a URL end up in logs and flow exports; never quote them back.
    throw new VoxcpmError('VOXCPM_CONFIG', 'endpoint.userinfo');
  }
  const invalid = () =>
    new VoxcpmError('VOXCPM_CONFIG', 'endpoint.invalid', { url: raw });
  let withScheme = raw;
  if (!URL_SCHEME.test(raw)) {
    // Only a plain `host[:port][/path]` may omit the scheme; "5022" or "http:/host" are typos.
    const m = BARE_HOST.exec(raw);
    if (!m || DIGITS_ONLY.test(m[1])) throw invalid();
    withScheme = `http://${raw}`;
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid();
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VoxcpmError('VOXCPM_CONFIG', 'endpoint.scheme', { url: raw });
  }
  if (!url.hostname) {
    throw new VoxcpmError('VOXCPM_CONFIG', 'endpoint.noHost', { url: raw });
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(API_PATH) ? path : `${path}${API_PATH}`;
  url.hash = '';
  return url.toString();
}
