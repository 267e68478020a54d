import assert from 'node:assert/strict';
import { API_PATH, resolveEndpoint } from '../../nodes/lib/endpoint';
import { VoxcpmError } from '../../nodes/lib/errors';

function configError(input: unknown, pattern?: RegExp): void {
  assert.throws(
    () => resolveEndpoint(input),
    (err: unknown) => {
      assert.ok(err instanceof VoxcpmError, `expected a VoxcpmError, got ${String(err)}`);
      assert.equal(err.code, 'VOXCPM_CONFIG');
      if (pattern) assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('lib/endpoint resolveEndpoint', () => {
  it('uses /api/tts as the API path', () => {
    assert.equal(API_PATH, '/api/tts');
  });

  describe('accepted forms', () => {
    const cases: Array<[string, string]> = [
      ['http://192.168.1.50:5022', 'http://192.168.1.50:5022/api/tts'],
      ['http://192.168.1.50:5022/', 'http://192.168.1.50:5022/api/tts'],
      ['http://192.168.1.50:5022///', 'http://192.168.1.50:5022/api/tts'],
      ['http://192.168.1.50:5022/api/tts', 'http://192.168.1.50:5022/api/tts'],
      ['http://192.168.1.50:5022/api/tts/', 'http://192.168.1.50:5022/api/tts'],
      ['https://h/voxcpm', 'https://h/voxcpm/api/tts'],
      ['https://h/voxcpm/', 'https://h/voxcpm/api/tts'],
      ['https://h/voxcpm/api/tts', 'https://h/voxcpm/api/tts'],
      ['https://h/a/b/c', 'https://h/a/b/c/api/tts'],
      ['host:5022', 'http://host:5022/api/tts'],
      ['192.168.1.50:5022', 'http://192.168.1.50:5022/api/tts'],
      ['localhost:5022/', 'http://localhost:5022/api/tts'],
      ['voxcpm.local', 'http://voxcpm.local/api/tts'],
      ['[::1]:5022', 'http://[::1]:5022/api/tts'],
      ['  http://h:5022  ', 'http://h:5022/api/tts'],
      ['\thttp://h:5022\n', 'http://h:5022/api/tts'],
      ['HTTP://H:5022', 'http://h:5022/api/tts'],
      ['HTTPS://Example.COM:8443/Proxy', 'https://example.com:8443/Proxy/api/tts'],
      ['http://h:5022/#section', 'http://h:5022/api/tts'],
      ['http://h:80', 'http://h/api/tts'],
      ['https://h:443/', 'https://h/api/tts'],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} -> ${expected}`, () => {
        assert.equal(resolveEndpoint(input), expected);
      });
    }

    it('keeps a query string (it may carry an API key) after the path', () => {
      assert.equal(resolveEndpoint('https://h/voxcpm?key=abc'), 'https://h/voxcpm/api/tts?key=abc');
      assert.equal(resolveEndpoint('http://h:5022/api/tts?key=abc'), 'http://h:5022/api/tts?key=abc');
    });

    it('does not mistake a path that merely ends in "api/tts" letters for the endpoint', () => {
      assert.equal(resolveEndpoint('http://h/xapi/tts'), 'http://h/xapi/tts/api/tts');
    });

    it('is idempotent: resolving a resolved endpoint gives it back', () => {
      for (const input of ['host:5022', 'https://h/voxcpm/', 'http://h:5022/api/tts']) {
        const once = resolveEndpoint(input);
        assert.equal(resolveEndpoint(once), once);
      }
    });

    it('returns a URL that node:url parses back to the same host, port and path', () => {
      const url = new URL(resolveEndpoint('10.0.0.7:6000'));
      assert.equal(url.protocol, 'http:');
      assert.equal(url.hostname, '10.0.0.7');
      assert.equal(url.port, '6000');
      assert.equal(url.pathname, '/api/tts');
    });
  });

  describe('rejected input (VOXCPM_CONFIG)', () => {
    it('undefined, null, empty and white space', () => {
      configError(undefined, /No server URL/);
      configError(null, /No server URL/);
      configError('', /No server URL/);
      configError('   \t\n', /No server URL/);
    });

    it('values that are not text', () => {
      configError(5022);
      configError({ url: 'http://h:5022' });
      configError(['http://h:5022']);
      configError(Buffer.from('http://h:5022'));
    });

    it('ftp:// and other schemes', () => {
      configError('ftp://h:5022', /http:\/\/ or https:\/\//);
      configError('ws://h:5022', /http:\/\/ or https:\/\//);
      configError('file:///etc/passwd');
    });

    it('garbage that is not a URL', () => {
      configError('not a url at all', /not a valid URL/);
      configError('http://', /not a valid URL|names no host/);
      configError('http://h:99999', /not a valid URL/);
      configError('http://h:port');
      configError('::::');
      configError('javascript:alert(1)');
    });

    it('a user name or password in the URL, without quoting them', () => {
      for (const input of ['http://user:hunter2@h:5022', 'https://user@h/voxcpm', 'user:hunter2@h:5022', 'http://:hunter2@h']) {
        assert.throws(
          () => resolveEndpoint(input),
          (err: unknown) =>
            err instanceof VoxcpmError &&
            err.code === 'VOXCPM_CONFIG' &&
            /user name or password/.test(err.message) &&
            !err.message.includes('hunter2'),
          input,
        );
      }
    });

    it('quotes the rejected input in the message', () => {
      configError('ftp://files.example', /ftp:\/\/files\.example/);
    });
  });

  describe('typos that a lenient parser would turn into another host (regressions)', () => {
    // Once turned into `http://http/192.168.1.50:5022/api/tts`: a request to a host named "http".
    it('rejects "http:/192.168.1.50:5022" (one slash)', () => {
      configError('http:/192.168.1.50:5022', /not a valid URL/);
      configError('https:h:5022');
    });

    // Once parsed by WHATWG URL as an IPv4 number: `http://0.0.19.158/api/tts`.
    it('rejects a bare port number "5022"', () => {
      configError('5022', /not a valid URL/);
    });
  });

  describe('"@" outside the authority', () => {
    it('an "@" in the path or in a query after a path is not taken for credentials', () => {
      assert.equal(resolveEndpoint('https://h/voxcpm?key=a@b'), 'https://h/voxcpm/api/tts?key=a@b');
      assert.equal(resolveEndpoint('https://h/@team/voxcpm'), 'https://h/@team/voxcpm/api/tts');
    });

    // Regression (fixed): the credentials test `^(scheme://)?[^/]*@` runs on the raw text, so when no "/"
    // comes before a query string, an "@" in the query counts as userinfo:
    // `http://h:5022?key=a@b` (a valid URL whose user name and password are empty) is rejected
    // with VOXCPM_CONFIG "The server URL must not contain a user name or password".
    it('"http://h:5022?key=a@b" is accepted (the "@" is in the query, there is no user name)', () => {
      assert.equal(resolveEndpoint('http://h:5022?key=a@b'), 'http://h:5022/api/tts?key=a@b');
    });
  });
});
