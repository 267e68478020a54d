import assert from 'node:assert/strict';
import http from 'node:http';
import { AuthCredentials, authHeaders } from '../../nodes/lib/auth';
import { VoxcpmError } from '../../nodes/lib/errors';

const TOKEN = 'tok-3f9a1c7e5b';
const USER = 'kitchen';
const PASSWORD = 'pw-8d2e4a6c';
const VALUE = 'hv-1b3d5f7a9c';
const ALL: AuthCredentials = { token: TOKEN, username: USER, password: PASSWORD, headerValue: VALUE };
const SECRETS = [TOKEN, PASSWORD, VALUE];

/** A VOXCPM_CONFIG error that matches `pattern` and quotes no credential. */
function configError(pattern: RegExp, creds: AuthCredentials = ALL) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof VoxcpmError, `expected a VoxcpmError, got ${String(err)}`);
    assert.equal(err.code, 'VOXCPM_CONFIG');
    assert.match(err.message, pattern);
    for (const s of [creds.token, creds.password, creds.headerValue]) {
      if (s) assert.ok(!err.message.includes(s), `the message quotes a secret: ${err.message}`);
    }
    return true;
  };
}

/** Throws when Node's http client would refuse to send these headers. */
function sendable(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
  }
}

describe('lib/auth authHeaders: credentials to request headers', function () {
  describe('none', function () {
    it('adds no header, whatever credentials are stored', () => {
      for (const type of ['none', '', undefined, null]) {
        assert.deepEqual(authHeaders(type, 'X-Api-Key', ALL), {}, String(type));
      }
    });

    it('works without a credentials object', () => {
      assert.deepEqual(authHeaders('none', undefined), {});
      assert.deepEqual(authHeaders(undefined, undefined, undefined), {});
    });
  });

  describe('bearer', function () {
    it('sends "Authorization: Bearer <token>" and nothing else', () => {
      assert.deepEqual(authHeaders('bearer', 'X-Ignored', ALL), { Authorization: `Bearer ${TOKEN}` });
    });

    it('no token -> VOXCPM_CONFIG naming the token, quoting no stored value', () => {
      for (const creds of [{}, { token: '' }, { username: USER, password: PASSWORD, headerValue: VALUE }]) {
        assert.throws(() => authHeaders('bearer', '', creds), configError(/token/i, creds));
      }
    });
  });

  describe('basic', function () {
    it('sends base64 of "user:password" (RFC 7617)', () => {
      const [, b64] = authHeaders('basic', '', ALL).Authorization.split(' ');
      assert.equal(authHeaders('basic', '', ALL).Authorization.split(' ')[0], 'Basic');
      assert.equal(Buffer.from(b64, 'base64').toString('utf8'), `${USER}:${PASSWORD}`);
    });

    it('an empty or missing password is sent as "user:"', () => {
      assert.deepEqual(authHeaders('basic', '', { username: USER }), { Authorization: `Basic ${Buffer.from(`${USER}:`).toString('base64')}` });
      assert.deepEqual(authHeaders('basic', '', { username: USER, password: '' }), {
        Authorization: `Basic ${Buffer.from(`${USER}:`).toString('base64')}`,
      });
    });

    it('a colon in the password and non-ASCII text are kept, as UTF-8', () => {
      const creds = { username: 'wǒ', password: 'a:b:密码' };
      const value = authHeaders('basic', '', creds).Authorization;
      assert.equal(Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8'), 'wǒ:a:b:密码');
      sendable({ Authorization: value });
    });

    it('no user name -> VOXCPM_CONFIG naming the user name, quoting no stored value', () => {
      for (const creds of [{}, { password: PASSWORD }, { username: '', password: PASSWORD, token: TOKEN }]) {
        assert.throws(() => authHeaders('basic', '', creds), configError(/user name/i, creds));
      }
    });
  });

  describe('header', function () {
    it('sends the value under the configured name', () => {
      assert.deepEqual(authHeaders('header', 'X-Api-Key', ALL), { 'X-Api-Key': VALUE });
    });

    it('trims the header name', () => {
      assert.deepEqual(authHeaders('header', '  X-Api-Key \t', ALL), { 'X-Api-Key': VALUE });
    });

    it('accepts every RFC 9110 token character in the name', () => {
      const name = "x!#$%&'*+-.^_`|~09AZaz";
      assert.deepEqual(authHeaders('header', name, ALL), { [name]: VALUE });
      sendable({ [name]: VALUE });
    });

    it('a name that is missing or not an HTTP token -> VOXCPM_CONFIG naming the header name', () => {
      for (const name of [undefined, null, '', '   ', 'X Api Key', 'X-Key:', 'X-Key\r\nInjected: 1', 'Schlüssel', '(key)', 'a/b', 'a"b', 42, {}]) {
        assert.throws(() => authHeaders('header', name, ALL), configError(/header name/i), JSON.stringify(name));
      }
    });

    it('a framing or hop-by-hop header name, in any case -> VOXCPM_CONFIG naming that header', () => {
      const names = ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'Upgrade', 'TE', 'Trailer',
        'Proxy-Connection', 'Proxy-Authorization', 'Expect', 'Content-Type'];
      for (const name of [...names, ...names.map((n) => n.toLowerCase()), 'HOST', ' transfer-encoding ']) {
        // Letters and hyphens only: the name is its own pattern.
        assert.throws(() => authHeaders('header', name, ALL), configError(new RegExp(`"${name.trim()}"`)), name);
      }
    });

    it('names near the forbidden ones stay allowed (X-Host, Authorization, Content-Language, X-TE)', () => {
      for (const name of ['X-Host', 'Authorization', 'Content-Language', 'X-TE', 'Hostname', 'Connection-Id']) {
        assert.deepEqual(authHeaders('header', name, ALL), { [name]: VALUE });
      }
    });

    it('no value -> VOXCPM_CONFIG naming the header, quoting no stored value', () => {
      for (const creds of [{}, { headerValue: '' }, { token: TOKEN, password: PASSWORD, username: USER }]) {
        assert.throws(() => authHeaders('header', 'X-Api-Key', creds), configError(/X-Api-Key/, creds));
      }
    });
  });

  it('an unknown type -> VOXCPM_CONFIG, quoting no stored value', () => {
    for (const type of ['oauth', 'Bearer', 42]) {
      assert.throws(() => authHeaders(type, 'X-Api-Key', ALL), configError(/authentication type/i));
    }
  });

  it('whatever it returns, Node can send (no CR/LF, no character beyond Latin-1)', () => {
    for (const [type, name, creds] of [
      ['bearer', '', ALL],
      ['basic', '', ALL],
      ['header', 'X-Api-Key', ALL],
      ['header', 'Authorization', { headerValue: 'ApiKey abc==' }],
    ] as Array<[string, string, AuthCredentials]>) {
      sendable(authHeaders(type, name, creds));
    }
  });

  // Fixed (regression test): authHeaders checks only that a token / header value is non-empty. A value that cannot go
  // in an HTTP header as it is (a line break inside it, a character beyond Latin-1) is returned
  // unchanged, and the HTTP library of the time (axios) then silently stripped what Node would
  // refuse: "tok\r\nX" reached the server as "tokX", and a header value "密钥"
  // reached it as an EMPTY X-Api-Key header. The server then answers 401 with a credential the
  // user never typed, and nothing names the setting. Expected: VOXCPM_CONFIG naming the setting.
  // (A trailing newline alone is harmless: authHeaders trims it, see test/nodes/credentials.spec.ts.)
  it('a token or header value that cannot be sent as it is -> VOXCPM_CONFIG naming the setting, never silently altered', () => {
    const cases: Array<[string, string, AuthCredentials, RegExp]> = [
      ['bearer', '', { token: `${TOKEN}\r\nX-Injected: 1` }, /token/i],
      ['bearer', '', { token: `${TOKEN}\u0000` }, /token/i],
      ['bearer', '', { token: `令牌-${TOKEN}` }, /token/i],
      ['header', 'X-Api-Key', { headerValue: `${VALUE}\nX-Injected: 1` }, /X-Api-Key|value/i],
      ['header', 'X-Api-Key', { headerValue: '密钥' }, /X-Api-Key|value/i],
    ];
    for (const [type, name, creds, pattern] of cases) {
      let headers: Record<string, string> | undefined;
      try {
        headers = authHeaders(type, name, creds);
      } catch (err) {
        configError(pattern, creds)(err);
        continue;
      }
      assert.doesNotThrow(() => sendable(headers as Record<string, string>), `${type} ${JSON.stringify(creds)} gives a header Node refuses`);
    }
  });

  it('never puts a secret in an error message, for any type and any missing piece', () => {
    const partial: AuthCredentials[] = [{}, { token: TOKEN }, { password: PASSWORD }, { headerValue: VALUE }, { username: USER, password: PASSWORD }];
    for (const type of ['bearer', 'basic', 'header', 'nope']) {
      for (const name of ['X-Api-Key', 'bad name', '']) {
        for (const creds of partial) {
          try {
            authHeaders(type, name, creds);
          } catch (err) {
            assert.ok(err instanceof VoxcpmError);
            for (const s of SECRETS) assert.ok(!err.message.includes(s), `${type}/${name}: ${err.message}`);
          }
        }
      }
    }
  });
});
