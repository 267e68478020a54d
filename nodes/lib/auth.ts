import { ErrorParam, phrase, VoxcpmError } from './errors';

export type AuthType = 'none' | 'bearer' | 'basic' | 'header';

export interface AuthCredentials {
  token?: string;
  username?: string;
  password?: string;
  headerValue?: string;
}

/** The header-name grammar (RFC 9110 token) and the names a credential may not take: see defaults.ts. */
import { FORBIDDEN_HEADER_NAMES as FORBIDDEN_NAMES, HEADER_NAME_TOKEN as TOKEN } from './defaults';
/** What a header value can carry: visible ASCII and spaces (no line breaks, nothing Node would refuse to send). */
const VALUE = /^[\x20-\x7e]+$/;

/** A credential trimmed of pasted white space, refused when HTTP could not send it as typed. */
function headerValue(value: string | undefined, setting: ErrorParam): string | undefined {
  const v = value?.trim();
  if (v && !VALUE.test(v)) {
    throw new VoxcpmError('VOXCPM_CONFIG', 'auth.headerChars', { setting });
  }
  return v || undefined;
}

/**
 * The request headers that carry the configured credentials. Errors name the
 * setting that is wrong, never its value.
 *
 * @param type 'none' (or empty), 'bearer', 'basic' or 'header'.
 * @param headerName the custom header's name (type 'header' only): an RFC 9110
 *   token that is not a framing or hop-by-hop header (Host, Content-Length,
 *   Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer,
 *   Proxy-Connection, Proxy-Authorization, Expect, Content-Type; any case).
 * @throws VoxcpmError VOXCPM_CONFIG naming the wrong setting.
 */
export function authHeaders(type: unknown, headerName: unknown, creds: AuthCredentials = {}): Record<string, string> {
  switch (type ?? 'none') {
    case '':
    case 'none':
      return {};
    case 'bearer': {
      const token = headerValue(creds.token, phrase('auth.bearerToken'));
      if (!token) throw new VoxcpmError('VOXCPM_CONFIG', 'auth.noToken');
      return { Authorization: `Bearer ${token}` };
    }
    case 'basic': {
      // Basic credentials travel base64-encoded, so any UTF-8 text is fine there.
      if (!creds.username) throw new VoxcpmError('VOXCPM_CONFIG', 'auth.noUser');
      return { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` };
    }
    case 'header': {
      const name = typeof headerName === 'string' ? headerName.trim() : '';
      if (!TOKEN.test(name)) throw new VoxcpmError('VOXCPM_CONFIG', 'auth.badHeaderName');
      if (FORBIDDEN_NAMES.has(name.toLowerCase())) {
        throw new VoxcpmError(
          'VOXCPM_CONFIG',
          'auth.forbiddenHeader',
          { name },
        );
      }
      const value = headerValue(creds.headerValue, phrase('auth.headerValueOf', { name }));
      if (!value) throw new VoxcpmError('VOXCPM_CONFIG', 'auth.noHeaderValue', { name });
      return { [name]: value };
    }
    default:
      throw new VoxcpmError('VOXCPM_CONFIG', 'auth.unknownType', { type: String(type) });
  }
}
