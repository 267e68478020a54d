import assert from 'node:assert/strict';
import net from 'node:net';
import type { SimFault } from '../../simulator/simulator';
import { VoxCpmSimulator } from '../../simulator/simulator';
import { calls, codeOf, expectCaught, expectSent, helper, loadFlow, useSimulator, type ErrorMessage } from '../support/runtime';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function checkError(msg: ErrorMessage, code: string, pattern?: RegExp): void {
  assert.equal(codeOf(msg), code, msg.error.message);
  assert.ok(msg.error.message.length <= 300, `message too long: ${msg.error.message.length}`);
  assert.doesNotMatch(msg.error.message, /UklGR|[A-Za-z0-9+/]{120,}/, 'the message quotes audio');
  if (pattern) assert.match(msg.error.message, pattern);
  assert.equal(msg.error.source?.type, 'voxcpm-tts');
}

describe('voxcpm-tts errors reach a Catch node with a code, and the node keeps working', function () {
  const sim = new VoxCpmSimulator({ voice: 'tone' });
  let url = '';

  useSimulator(sim, (u) => (url = u));

  const textCases: Array<[string, unknown]> = [
    ['an empty string', ''],
    ['only white space', ' \n\t '],
    ['a missing payload', undefined],
    ['an object without text', { prompt: 'x' }],
    ['a boolean', true],
  ];
  for (const [name, payload] of textCases) {
    it(`VOXCPM_TEXT_EMPTY for ${name}, before any request`, async () => {
      await loadFlow({ type: 'voxcpm-tts', url });
      checkError(await expectCaught({ payload }), 'VOXCPM_TEXT_EMPTY', /text/i);
      assert.equal(calls(sim).length, 0);
      await expectSent({ payload: 'next message works' });
    });
  }

  it('VOXCPM_INPUT_INVALID for a prompt that is not text', async () => {
    await loadFlow({ type: 'voxcpm-tts', url });
    checkError(await expectCaught({ payload: 'hi there', prompt: { voice: 'x' } }), 'VOXCPM_INPUT_INVALID', /msg\.prompt/);
    assert.equal(calls(sim).length, 0);
  });

  it('VOXCPM_CONFIG for a malformed URL, shown at deploy and on every message', async () => {
    const node = await loadFlow({ type: 'voxcpm-tts', url: 'ftp://nas.local/voxcpm' });
    checkError(await expectCaught({ payload: 'hello' }), 'VOXCPM_CONFIG', /http/);
    checkError(await expectCaught({ payload: 'hello again' }), 'VOXCPM_CONFIG');
    const statuses = (node.status as unknown as { args: unknown[][] }).args.map((a) => a[0]);
    assert.deepEqual(statuses[0], { fill: 'red', shape: 'ring', text: 'voxcpm-tts.status.configError' });
  });

  it('VOXCPM_CONFIG when no server is configured', async () => {
    await loadFlow({ type: 'voxcpm-tts', server: false });
    checkError(await expectCaught({ payload: 'hello' }), 'VOXCPM_CONFIG', /voxcpm-server/);
  });

  it('VOXCPM_UNREACHABLE when the connection is refused', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: `http://127.0.0.1:${await closedPort()}`, serverProps: { retries: '0' } });
    checkError(await expectCaught({ payload: 'hello' }), 'VOXCPM_UNREACHABLE', /refused/);
  });

  it('VOXCPM_UNREACHABLE when the host does not resolve', async () => {
    await loadFlow({ type: 'voxcpm-tts', url: 'http://voxcpm.invalid:5022' });
    checkError(await expectCaught({ payload: 'hello' }), 'VOXCPM_UNREACHABLE');
  });

  it('VOXCPM_TIMEOUT when the server does not answer in time', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, serverProps: { timeout: '0.3' } });
    sim.setFault({ kind: 'slow', ms: 3000, times: 1 });
    const started = Date.now();
    checkError(await expectCaught({ payload: 'hello' }), 'VOXCPM_TIMEOUT', /0\.3 s/);
    assert.ok(Date.now() - started < 2000);
    await expectSent({ payload: 'next message works' });
  });

  const faults: Array<[string, SimFault, string, RegExp]> = [
    ['inference failed (HTTP 500)', { kind: 'inference-failed' }, 'VOXCPM_SERVER_ERROR', /"inference failed"/],
    ['an error inside HTTP 200', { kind: 'error-in-200', message: 'text too long' }, 'VOXCPM_SERVER_ERROR', /"text too long"/],
    ['an HTML 502 page from a proxy', { kind: 'html-502' }, 'VOXCPM_HTTP', /502/],
    ['a connection reset', { kind: 'reset' }, 'VOXCPM_UNREACHABLE', /cut|reset|hang/i],
    ['a connection cut mid-answer', { kind: 'reset-mid-answer' }, 'VOXCPM_UNREACHABLE', /cut/],
    ['audio that is not base64', { kind: 'bad-base64' }, 'VOXCPM_BAD_RESPONSE', /base64/],
    ['audio that is not a WAV', { kind: 'not-wav' }, 'VOXCPM_BAD_RESPONSE', /WAV/],
    ['an answer that is not JSON', { kind: 'not-json' }, 'VOXCPM_BAD_RESPONSE', /not JSON/],
    ['success without audio', { kind: 'no-audio' }, 'VOXCPM_BAD_RESPONSE', /no audio/],
  ];
  for (const [name, fault, code, pattern] of faults) {
    it(`${code} for ${name}`, async () => {
      // No retries: this checks how each fault is named (retries have their own suite).
      await loadFlow({ type: 'voxcpm-tts', url, serverProps: { retries: '0' } });
      sim.setFault({ ...fault, times: 1 });
      checkError(await expectCaught({ payload: 'hello' }), code, pattern);
      await expectSent({ payload: 'next message works' });
    });
  }

  it('VOXCPM_BAD_RESPONSE for an answer above the response limit, which is cut off', async () => {
    await loadFlow({ type: 'voxcpm-tts', url, serverProps: { maxResponseMB: '1' } });
    sim.setFault({ kind: 'oversize', bytes: 3 * 1024 * 1024, times: 1 });
    checkError(await expectCaught({ payload: 'hello' }), 'VOXCPM_BAD_RESPONSE', /larger than the limit of 1 MB/);
    await helper.unload();
    // The default limit (100 MB) lets the same answer through.
    await loadFlow({ type: 'voxcpm-tts', url });
    sim.setFault({ kind: 'oversize', bytes: 3 * 1024 * 1024, times: 1 });
    await expectSent({ payload: 'big but fine' });
  });
});
