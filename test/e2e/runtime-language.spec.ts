/**
 * Runtime errors in the runtime's language, in a real Node-RED process started
 * with `lang` in its settings.js (not the test helper, whose RED._ returns keys):
 * a Catch node sees Chinese msg.error.message text under zh-CN, English under
 * en-US, and the same code in both.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlowNode, launchNodeRed, ROOT } from '../../tools/launch';
import { freePort } from '../support/faults';

/** POST /say → voxcpm-tts (the body as text); its Catch answers with msg.error. The server is never reached. */
function flows(): FlowNode[] {
  const z = 'langtab';
  return [
    { id: z, type: 'tab', label: 'language' },
    { id: 'langsrv', type: 'voxcpm-server', url: 'http://127.0.0.1:9', timeout: '5', retries: '0' },
    { id: 'langin', type: 'http in', z, url: '/say', method: 'post', upload: false, wires: [['langtts']] },
    { id: 'langtts', type: 'voxcpm-tts', z, server: 'langsrv', prompt: '', wires: [['langok']] },
    { id: 'langok', type: 'http response', z, wires: [] },
    { id: 'langcatch', type: 'catch', z, scope: ['langtts'], uncaught: false, wires: [['langerr']] },
    { id: 'langerr', type: 'function', z, func: 'msg.payload = msg.error; return msg;', outputs: 1, wires: [['langok']] },
  ];
}

async function caught(lang: string, payload: string): Promise<{ code?: string; message: string }> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `voxcpm-lang-${lang}-`));
  const nodeRed = await launchNodeRed({ userDir, port: await freePort(), flows: flows(), packageDir: ROOT, quiet: true, lang });
  try {
    const res = await fetch(`${nodeRed.url}/say`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: payload });
    return (await res.json()) as { code?: string; message: string };
  } finally {
    await nodeRed.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

describe('e2e: runtime errors in the runtime language (a real Node-RED process)', function () {
  this.timeout(60000);

  it('lang zh-CN: Chinese msg.error.message, the same code', async () => {
    const error = await caught('zh-CN', '   ');
    assert.match(error.message, /^VOXCPM_TEXT_EMPTY: /);
    assert.match(error.message, /[\u4e00-\u9fff]/, error.message);
  });

  it('lang en-US: English msg.error.message, the same code', async () => {
    const error = await caught('en-US', '   ');
    assert.match(error.message, /^VOXCPM_TEXT_EMPTY: No text to speak/, error.message);
    assert.doesNotMatch(error.message, /[\u4e00-\u9fff]/);
  });
});
