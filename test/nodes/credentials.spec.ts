/**
 * Credentials from Node-RED's credential store (bearer, basic, a header): sent to the server and
 * nowhere else, not in the flows, the statuses, the logs or the errors, not even when a server
 * or a proxy quotes them back; through a real Node-RED runtime and the simulator.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import type { SimFault } from '../../simulator/simulator';
import { echoOf, EchoingServer, type EchoMode } from '../support/echo';
import { calls, codeOf, expectCaught, expectSent, helper, IDS, run, type FlowItem } from '../support/runtime';
import { AUTH_CASES, HEADER_VALUE, PASSWORD, TOKEN, USER, assertNoSecret, everythingSaid, findSecret, type Spy } from '../support/secrets';
import { coreNode, useServerFlow } from '../support/server-flow';
import { closedPort } from '../support/tls';

const MQTT = coreNode('network', '10-mqtt.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The flows as the runtime holds them (what a flow export or the editor gets). */
function runtimeFlows(): unknown {
  return (helper as unknown as { _redNodes: { getFlows(): { flows: unknown } } })._redNodes.getFlows().flows;
}

/** Own enumerable properties of a node that are plain data (not the service object or runtime internals). */
function plainOwnProps(node: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'credentials') continue;
    const proto = v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
    if (v === null || typeof v !== 'object' || proto === Object.prototype || proto === null || Array.isArray(v)) out[k] = v;
  }
  return out;
}

describe('voxcpm-server: credentials (the credential store; servers and proxies that quote them back)', function () {
  this.timeout(10000);
  let url = '';
  const { sim, load, loadedFlow } = useServerFlow((u) => (url = u));

  describe('credentials from the credential store', function () {
    it('(the leak detector finds a secret inside errors, buffers and nested spy arguments)', () => {
      assert.ok(findSecret({ a: [[{ msg: new Error(`x ${TOKEN}`) }]] }, [TOKEN]));
      assert.ok(findSecret([Buffer.from(`..${PASSWORD}..`)], [PASSWORD]));
      assert.equal(findSecret({ a: 'clean', b: [1, null, Buffer.from('x')] }, [TOKEN]), undefined);
    });

    for (const c of AUTH_CASES) {
      it(`${c.type}: every request (probes too) carries ${c.header[0]}; the secret is nowhere but the credential store`, async () => {
        const node = await load({ serverProps: { authType: c.type, headerName: c.headerName ?? '' } }, { creds: c.creds });
        const msg = await expectSent({ payload: 'with credentials', topic: 't' });
        await sleep(150); // batched status updates

        assert.equal(calls(sim).length, 1);
        assert.ok(sim.requests.length >= 2, 'the probe was seen too');
        for (const r of sim.requests) assert.equal(r.headers[c.header[0]], c.header[1], `${r.path} ${JSON.stringify(r.body)}`);
        if (c.header[0] !== 'authorization') assert.equal(sim.requests[0].headers.authorization, undefined);

        const server = helper.getNode(IDS.server);
        assert.deepEqual((server as unknown as { credentials: unknown }).credentials, c.creds, 'the node got them from the store');
        assert.equal(JSON.stringify(loadedFlow()).includes(c.secrets[0]), false, 'the flow itself holds no secret');
        assertNoSecret(runtimeFlows(), c.secrets, 'flows');
        assertNoSecret(plainOwnProps(server), c.secrets, 'server');
        assertNoSecret(plainOwnProps(node), c.secrets, 'node');
        assertNoSecret(msg, c.secrets, 'msg');
        const said = everythingSaid();
        assert.ok(said.status.length > 0 && said.runtimeLog.length > 0, 'the spies saw nothing: the check would prove nothing');
        assertNoSecret(said, c.secrets, 'said');
      });
    }

    it('none: no Authorization header, even when credentials are stored', async () => {
      await load({ serverProps: { authType: 'none' } }, { creds: { token: TOKEN, headerValue: HEADER_VALUE } });
      await expectSent({ payload: 'open server' });
      for (const r of sim.requests) {
        assert.equal(r.headers.authorization, undefined);
        assertNoSecret(r.headers, [TOKEN, HEADER_VALUE], 'request headers');
      }
    });

    const failures: Array<[string, SimFault | 'refused', string, Record<string, string>]> = [
      ['connection refused', 'refused', 'VOXCPM_UNREACHABLE', {}],
      ['an HTML 502 from a proxy', { kind: 'html-502' }, 'VOXCPM_HTTP', {}],
      ['HTTP 500 with the API error', { kind: 'inference-failed' }, 'VOXCPM_SERVER_ERROR', {}],
      ['a timeout', { kind: 'slow', ms: 3000, times: 1 }, 'VOXCPM_TIMEOUT', { timeout: '0.4' }],
      ['a bad response (not JSON)', { kind: 'not-json' }, 'VOXCPM_BAD_RESPONSE', {}],
    ];
    for (const [name, fault, code, serverProps] of failures) {
      it(`${name} -> ${code}: no secret in the error, the status or any log, for every auth type`, async () => {
        for (const c of AUTH_CASES) {
          const target = fault === 'refused' ? `http://127.0.0.1:${await closedPort()}` : url;
          await load({ url: target, serverProps: { authType: c.type, headerName: c.headerName ?? '', ...serverProps } }, { creds: c.creds });
          if (fault !== 'refused') sim.setFault(fault);
          const caught = await expectCaught({ payload: 'this fails', topic: 't' });
          await sleep(150);
          assert.equal(codeOf(caught), code, caught.error.message);
          assertNoSecret(caught, c.secrets, `${c.type}: caught msg`);
          assertNoSecret(everythingSaid(), c.secrets, `${c.type}: said`);
          sim.setFault(null);
          await helper.unload();
        }
      });
    }

    it('bearer without a token: the deploy log names the token setting, never a stored value', async () => {
      await load({ serverProps: { authType: 'bearer' } }, { creds: { username: USER, password: PASSWORD, headerValue: HEADER_VALUE } });
      const logged = (helper.log() as unknown as Spy).args.map((a) => JSON.stringify(a[0]));
      assert.ok(logged.some((l) => /token/i.test(l)), `log: ${logged.join('\n')}`);
      assertNoSecret(everythingSaid(), [PASSWORD, HEADER_VALUE], 'said');
      assert.equal(sim.requests.length, 0, 'nothing was sent without the token');
    });

    // Regression: with wrong authentication settings every message once got VOXCPM_CONFIG
    // "No server URL is configured", sending the user to a URL that is set and fine; the message
    // names the setting that is wrong.
    it('bearer without a token -> VOXCPM_CONFIG on every message, naming the token setting and no value', async () => {
      await load({ serverProps: { authType: 'bearer' } }, { creds: { username: USER, password: PASSWORD, headerValue: HEADER_VALUE } });
      for (const payload of ['first', 'second']) {
        const caught = await expectCaught({ payload });
        assert.equal(codeOf(caught), 'VOXCPM_CONFIG');
        assertNoSecret(caught, [PASSWORD, HEADER_VALUE], 'caught msg');
        assert.match(caught.error.message, /token/i);
      }
      assert.equal(sim.requests.length, 0);
    });

    // Regression: the message once said "No server URL is configured", as above.
    it('a custom header name that is not an HTTP token -> VOXCPM_CONFIG naming the header name', async () => {
      for (const headerName of ['X Api Key', 'X-Key:', '']) {
        await load({ serverProps: { authType: 'header', headerName } }, { creds: { headerValue: HEADER_VALUE } });
        const caught = await expectCaught({ payload: 'hello' });
        assert.equal(codeOf(caught), 'VOXCPM_CONFIG', JSON.stringify(headerName));
        assertNoSecret(caught, [HEADER_VALUE], 'caught msg');
        assertNoSecret(everythingSaid(), [HEADER_VALUE], 'said');
        assert.equal(sim.requests.length, 0);
        assert.match(caught.error.message, /header name/i, JSON.stringify(headerName));
        await helper.unload();
      }
    });

    it('a custom header name that frames the request (Host, Transfer-Encoding, Content-Length...) -> VOXCPM_CONFIG naming it, nothing sent', async () => {
      for (const headerName of ['Host', 'transfer-encoding', 'Content-Length', 'Connection', 'Proxy-Authorization', 'Content-Type']) {
        await load({ serverProps: { authType: 'header', headerName } }, { creds: { headerValue: HEADER_VALUE } });
        const caught = await expectCaught({ payload: 'hello' });
        assert.equal(codeOf(caught), 'VOXCPM_CONFIG', caught.error.message);
        assert.ok(caught.error.message.includes(`"${headerName}"`), caught.error.message);
        assertNoSecret(caught, [HEADER_VALUE], 'caught msg');
        assertNoSecret(everythingSaid(), [HEADER_VALUE], 'said');
        assert.equal(sim.requests.length, 0, `${headerName}: a request was sent`);
        await helper.unload();
      }
    });

    // A token pasted with its newline: authHeaders trims pasted white space before it is sent.
    it('a token pasted with a trailing newline is sent without it (or refused as VOXCPM_CONFIG naming the token)', async () => {
      await load({ serverProps: { authType: 'bearer' } }, { creds: { token: `${TOKEN}\n` } });
      const [outcome] = await run([{ payload: 'pasted token' }], { count: 1 });
      assertNoSecret(outcome.msg, [TOKEN], 'outcome');
      if (outcome.kind === 'caught') {
        const e = outcome.msg.error;
        assert.equal(codeOf(outcome.msg), 'VOXCPM_CONFIG', e.message);
        assert.match(e.message, /token/i);
      } else {
        assert.equal(calls(sim)[0].headers.authorization, `Bearer ${TOKEN}`);
      }
    });
  });

  // Regression: the messages once said "No server URL is configured" instead of naming the
  // missing TLS configuration.
  it('a tls property naming a tls-config that does not exist -> VOXCPM_CONFIG naming the TLS configuration', async () => {
    const node = await load({ url: 'https://127.0.0.1:1', serverProps: { tls: 'missing-tls' } });
    const caught = await expectCaught({ payload: 'no tls node' });
    assert.equal(codeOf(caught), 'VOXCPM_CONFIG', caught.error.message);
    const logged = (node.error as unknown as Spy).args.map((a) => String(a[0]));
    assert.ok(logged.some((l) => /TLS/.test(l)), `errors: ${logged.join(' | ')}`);
    assert.match(caught.error.message, /TLS/);
  });

  it('a tls property naming a node that is not a tls-config (an mqtt-broker, another server) -> VOXCPM_CONFIG, not a TypeError', async () => {
    const broker: FlowItem = { id: 'broker1', type: 'mqtt-broker', name: 'not tls', broker: '127.0.0.1', port: String(await closedPort()), clientid: '', autoConnect: false };
    const other: FlowItem = { id: 'srv2', type: 'voxcpm-server', name: 'other', url };
    for (const [tls, type] of [['broker1', 'mqtt-broker'], ['srv2', 'voxcpm-server']] as const) {
      const node = await load({ url: 'https://127.0.0.1:1', serverProps: { tls } }, { extra: [broker, other], modules: [MQTT] });
      const caught = await expectCaught({ payload: 'wrong tls node' });
      assert.equal(codeOf(caught), 'VOXCPM_CONFIG', caught.error.message);
      assert.match(caught.error.message, /not a TLS configuration/);
      assert.ok(caught.error.message.includes(`(${type})`), caught.error.message);
      const logged = [...(node.error as unknown as Spy).args, ...(helper.log() as unknown as Spy).args].map((a) => JSON.stringify(a[0]));
      assert.ok(!logged.some((l) => /TypeError|is not a function/.test(l)), logged.join('\n'));
      assert.ok(logged.some((l) => /not a TLS configuration/.test(l)), 'said at deploy');
      await helper.unload();
    }
  });

  it('a tls-config that could not load (a certificate without its key) -> VOXCPM_CONFIG saying it is not usable', async () => {
    const broken: FlowItem = { id: 'tls1', type: 'tls-config', name: '', cert: '/nonexistent/client.crt', key: '', ca: '', certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, alpnprotocol: '' };
    await load({ url: 'https://127.0.0.1:1', serverProps: { tls: 'tls1' } }, { extra: [broken] });
    const caught = await expectCaught({ payload: 'broken tls node' });
    assert.equal(codeOf(caught), 'VOXCPM_CONFIG', caught.error.message);
    assert.match(caught.error.message, /TLS configuration .* not usable/);
  });

  describe('a server or a proxy that quotes the credentials back', function () {
    const echo = new EchoingServer();
    // Characters that URL-, form-, HTML- and JSON-encoding change, so each encoded form is a different string.
    const ETOKEN = `tok/${process.pid}+e=c&h"o`;
    const EPASSWORD = `pw ${process.pid}/&=é`;
    const EVALUE = `hv/${process.pid}+&=`;
    const EPROXY = `proxy pw/${process.pid}&=`;
    const EBASIC = Buffer.from(`${USER}:${EPASSWORD}`).toString('base64');
    /** Every form in which a leak would show. */
    const leaks = (secrets: string[]) => secrets.flatMap((x) => [x, encodeURIComponent(x), encodeURIComponent(x).replace(/%20/g, '+')]);
    const cases: Array<{ type: string; headerName?: string; creds: Record<string, string>; secrets: string[] }> = [
      { type: 'bearer', creds: { token: ETOKEN }, secrets: [ETOKEN] },
      { type: 'basic', creds: { username: USER, password: EPASSWORD }, secrets: [EPASSWORD, EBASIC, `${USER}:${EPASSWORD}`] },
      { type: 'header', headerName: 'X-Api-Key', creds: { headerValue: EVALUE }, secrets: [EVALUE] },
    ];
    const modes: Array<[EchoMode, string]> = [
      ['json-401', 'VOXCPM_SERVER_ERROR'],
      ['encoded-401', 'VOXCPM_SERVER_ERROR'],
      ['html-401', 'VOXCPM_HTTP'],
      ['plain-401', 'VOXCPM_HTTP'],
    ];

    before(() => echo.listen());
    after(() => echo.close());
    beforeEach(() => {
      echo.requests.length = 0;
    });

    for (const [mode, code] of modes) {
      it(`${mode} -> ${code}: msg.error, the status and the log show *** where the secret was, for every auth type`, async () => {
        for (const c of cases) {
          echo.mode = mode;
          await load({ url: echo.url, serverProps: { authType: c.type, headerName: c.headerName ?? '' } }, { creds: c.creds });
          const caught = await expectCaught({ payload: 'quoted back', topic: 't' });
          await sleep(150); // batched status updates
          assert.equal(codeOf(caught), code, caught.error.message);
          assert.match(caught.error.message, /401/);
          assert.match(caught.error.message, /\*\*\*/, `${c.type}: nothing redacted: ${caught.error.message}`);
          // The server did quote the secret: the checks below mean something.
          assert.ok(echo.requests.some((r) => c.secrets.some((x) => echoOf(r.headers).includes(x))), `${c.type}: nothing echoed`);
          assertNoSecret(caught, leaks(c.secrets), `${c.type}: caught msg`);
          assertNoSecret(everythingSaid(), leaks(c.secrets), `${c.type}: said`);
          await helper.unload();
        }
      });
    }

    it("a proxy's 407 page quoting the Proxy-Authorization: the proxy password and its base64 form are redacted; the error names the proxy", async () => {
      echo.mode = 'proxy-407';
      const proxyBasic = Buffer.from(`alice:${EPROXY}`).toString('base64');
      // The target is never resolved here: an http target goes to the proxy as an absolute URI.
      await load(
        { url: 'http://voxcpm.invalid:5022', serverProps: { proxy: echo.url } },
        { creds: { proxyUsername: 'alice', proxyPassword: EPROXY } },
      );
      const caught = await expectCaught({ payload: 'through a nosy proxy' });
      await sleep(150);
      assert.equal(codeOf(caught), 'VOXCPM_HTTP', caught.error.message);
      assert.match(caught.error.message, new RegExp(`HTTP 407 .*from the proxy 127\\.0\\.0\\.1:${echo.port}`));
      assert.match(caught.error.message, /\*\*\*/);
      assert.ok(echo.requests.some((r) => r.headers['proxy-authorization'] === `Basic ${proxyBasic}`), 'the proxy got the credentials');
      assertNoSecret(caught, leaks([EPROXY, proxyBasic, `alice:${EPROXY}`]), 'caught msg');
      assertNoSecret(everythingSaid(), leaks([EPROXY, proxyBasic, `alice:${EPROXY}`]), 'said');
    });
  });
});
