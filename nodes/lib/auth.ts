import { VoxcpmError } from './errors';

export type AuthType = 'none' | 'bearer' | 'basic' | 'header';

export interface AuthCredentials {
  token?: string;
  username?: string;
  password?: string;
  headerValue?: string;
}

/** A header name as HTTP allows it (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request headers that carry the configured credentials. Errors name the
 * setting that is wrong, never its value.
 */
export function authHeaders(type: unknown, headerName: unknown, creds: AuthCredentials = {}): Record<string, string> {
  switch (type ?? 'none') {
    case '':
    case 'none':
      return {};
    case 'bearer':
      if (!creds.token) throw new VoxcpmError('VOXCPM_CONFIG', 'Bearer authentication is selected but no token is set');
      return { Authorization: `Bearer ${creds.token}` };
    case 'basic':
      if (!creds.username) throw new VoxcpmError('VOXCPM_CONFIG', 'Basic authentication is selected but no user name is set');
      return { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` };
    case 'header': {
      const name = typeof headerName === 'string' ? headerName.trim() : '';
      if (!TOKEN.test(name)) throw new VoxcpmError('VOXCPM_CONFIG', 'The custom header name is missing or not a valid HTTP header name');
      if (!creds.headerValue) throw new VoxcpmError('VOXCPM_CONFIG', `A custom header is selected but no value is set for ${name}`);
      return { [name]: creds.headerValue };
    }
    default:
      throw new VoxcpmError('VOXCPM_CONFIG', `Unknown authentication type "${String(type)}"`);
  }
}
