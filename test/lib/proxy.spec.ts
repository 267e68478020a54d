import assert from 'node:assert/strict';
import { proxyFor } from '../../nodes/lib/proxy';

const P = 'http://proxy.lan:3128';
const HTTP = 'http://voxcpm.lan:5022/api/tts';
const HTTPS = 'https://voxcpm.lan/api/tts';

describe('lib/proxy proxyFor: which proxy a request goes through', function () {
  describe('the configured proxy', function () {
    it('wins over the environment, for http and https targets', () => {
      const env = { http_proxy: 'http://env:1', https_proxy: 'http://env:2' };
      assert.equal(proxyFor(HTTP, P, env), P);
      assert.equal(proxyFor(HTTPS, P, env), P);
    });

    it('wins even when no_proxy names the host or is "*" (it is an explicit choice)', () => {
      assert.equal(proxyFor(HTTP, P, { no_proxy: '*' }), P);
      assert.equal(proxyFor(HTTP, P, { no_proxy: 'voxcpm.lan' }), P);
    });

    it('is trimmed, and an empty or blank setting means "use the environment"', () => {
      assert.equal(proxyFor(HTTP, `  ${P}\n`, {}), P);
      assert.equal(proxyFor(HTTP, '', { http_proxy: 'http://env:1' }), 'http://env:1');
      assert.equal(proxyFor(HTTP, '   ', { http_proxy: 'http://env:1' }), 'http://env:1');
      assert.equal(proxyFor(HTTP, undefined, { http_proxy: 'http://env:1' }), 'http://env:1');
    });

    it('no setting and no environment: no proxy', () => {
      assert.equal(proxyFor(HTTP, undefined, {}), undefined);
      assert.equal(proxyFor(HTTPS, '', {}), undefined);
    });
  });

  describe('the environment', function () {
    it('https target: https_proxy, then HTTPS_PROXY, then http_proxy, then HTTP_PROXY', () => {
      const all = { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:1', http_proxy: 'http://c:1', HTTP_PROXY: 'http://d:1' };
      assert.equal(proxyFor(HTTPS, undefined, all), 'http://a:1');
      const { https_proxy: _a, ...noLower } = all;
      assert.equal(proxyFor(HTTPS, undefined, noLower), 'http://b:1');
      const { HTTPS_PROXY: _b, ...onlyHttp } = noLower;
      assert.equal(proxyFor(HTTPS, undefined, onlyHttp), 'http://c:1');
      assert.equal(proxyFor(HTTPS, undefined, { HTTP_PROXY: 'http://d:1' }), 'http://d:1');
    });

    it('http target: only http_proxy, then HTTP_PROXY; never https_proxy', () => {
      assert.equal(proxyFor(HTTP, undefined, { http_proxy: 'http://c:1', HTTP_PROXY: 'http://d:1' }), 'http://c:1');
      assert.equal(proxyFor(HTTP, undefined, { HTTP_PROXY: 'http://d:1' }), 'http://d:1');
      assert.equal(proxyFor(HTTP, undefined, { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:1' }), undefined);
    });

    it('an empty variable counts as unset', () => {
      assert.equal(proxyFor(HTTP, undefined, { http_proxy: '', HTTP_PROXY: 'http://d:1' }), 'http://d:1');
      assert.equal(proxyFor(HTTPS, undefined, { https_proxy: '', http_proxy: 'http://c:1' }), 'http://c:1');
    });
  });

  describe('no_proxy', function () {
    const via = (target: string, noProxy: string, key = 'no_proxy') =>
      proxyFor(target, undefined, { http_proxy: P, https_proxy: P, [key]: noProxy });
    const bypassed = (target: string, noProxy: string, key?: string) =>
      assert.equal(via(target, noProxy, key), undefined, `${target} should bypass with ${key ?? 'no_proxy'}=${JSON.stringify(noProxy)}`);
    const proxied = (target: string, noProxy: string, key?: string) =>
      assert.equal(via(target, noProxy, key), P, `${target} should use the proxy with ${key ?? 'no_proxy'}=${JSON.stringify(noProxy)}`);

    it('"*" bypasses every host', () => {
      bypassed(HTTP, '*');
      bypassed(HTTPS, '*');
      bypassed('http://10.0.0.1:5022', '*');
    });

    it('an exact host name or IP bypasses that host only', () => {
      bypassed(HTTP, 'voxcpm.lan');
      bypassed(HTTPS, 'voxcpm.lan');
      proxied('http://other.lan:5022', 'voxcpm.lan');
      bypassed('http://127.0.0.1:5022', '127.0.0.1');
      proxied('http://127.0.0.2:5022', '127.0.0.1');
      // An IP is compared as text, not as a suffix: 27.0.0.1 is not 127.0.0.1.
      proxied('http://127.0.0.1:5022', '27.0.0.1');
    });

    it('".example.com" and "example.com" both match the domain and its subdomains, not badexample.com', () => {
      for (const entry of ['.example.com', 'example.com', '*.example.com']) {
        bypassed('http://sub.example.com:5022', entry);
        bypassed('https://a.b.example.com/x', entry);
        bypassed('http://example.com', entry);
        proxied('http://badexample.com', entry);
        proxied('http://example.com.evil.net', entry);
      }
    });

    it('is case-insensitive', () => {
      bypassed('http://Sub.Example.COM:5022', 'example.com');
      bypassed('http://sub.example.com:5022', 'EXAMPLE.COM');
    });

    it('"host:port" bypasses that port only; the scheme\'s default port counts when the URL has none', () => {
      bypassed('http://voxcpm.lan:5022', 'voxcpm.lan:5022');
      proxied('http://voxcpm.lan:5023', 'voxcpm.lan:5022');
      proxied('http://voxcpm.lan', 'voxcpm.lan:5022');
      bypassed('http://voxcpm.lan', 'voxcpm.lan:80');
      bypassed('https://voxcpm.lan', 'voxcpm.lan:443');
      proxied('https://voxcpm.lan', 'voxcpm.lan:80');
      bypassed('http://sub.example.com:8080', '.example.com:8080');
      proxied('http://sub.example.com:8081', '.example.com:8080');
    });

    it('IPv6: "[::1]" bypasses [::1] on any port, "[::1]:5022" only that port', () => {
      bypassed('http://[::1]:5022', '[::1]');
      bypassed('https://[::1]/api/tts', '[::1]');
      bypassed('http://[::1]:5022', '[::1]:5022');
      proxied('http://[::1]:5023', '[::1]:5022');
      proxied('http://[::2]:5022', '[::1]');
      bypassed('http://[fe80::1]:5022', '[FE80::1]');
    });

    // Fixed (regression test): a bare IPv6 address is the usual way to write it ("localhost,127.0.0.1,::1" is the
    // default NO_PROXY of many setups; curl and Go's httpproxy read it as the address). proxyFor
    // splits "::1" at its last colon into host "::" and port "1", so it never matches and
    // http://[::1]:5022 still goes through the proxy (nodes/lib/proxy.ts, bypasses(): the
    // /^(.*?)(?::(\d+))?$/ split takes a port from any entry that ends in ":<digits>").
    it('IPv6: a bare "::1" entry (as in "localhost,127.0.0.1,::1") bypasses [::1]', () => {
      bypassed('http://[::1]:5022', '::1');
      bypassed('http://[::1]:5022', 'localhost,127.0.0.1,::1');
      bypassed('http://[2001:db8::5]:5022', '2001:db8::5');
    });

    it('entries may be separated by commas, spaces or both', () => {
      const list = 'alpha.lan, beta.lan gamma.lan,,delta.lan ,\tepsilon.lan';
      for (const h of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) bypassed(`http://${h}.lan:5022`, list);
      proxied('http://zeta.lan:5022', list);
    });

    it('upper-case NO_PROXY is read when no_proxy is unset; no_proxy wins when both are set', () => {
      bypassed(HTTP, 'voxcpm.lan', 'NO_PROXY');
      bypassed(HTTPS, 'voxcpm.lan', 'NO_PROXY');
      const both = { http_proxy: P, no_proxy: 'other.lan', NO_PROXY: 'voxcpm.lan' };
      assert.equal(proxyFor(HTTP, undefined, both), P);
    });

    it('an empty or unrelated list changes nothing', () => {
      proxied(HTTP, '');
      proxied(HTTP, ' , ');
      proxied(HTTP, 'other.lan,10.0.0.1');
    });

    it('is only consulted when there is an environment proxy at all', () => {
      assert.equal(proxyFor(HTTP, undefined, { no_proxy: 'other.lan' }), undefined);
    });
  });
});
