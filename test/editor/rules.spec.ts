/**
 * The editor accepts what the runtime accepts: its validators are driven side by side with the
 * runtime's own functions (resolveEndpoint, authHeaders, VoxcpmService) over the same inputs,
 * and the defaults both sides show come from nodes/lib/defaults.ts.
 */
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import { isUltimate, referenceInfoText } from '../../editor/reference';
import { audioFormatChoices, mp3BitrateChoices, previewBody, previewWarnings, propertyOk, sampleRateChoices, type Translator } from '../../editor/common';
import { httpUrlOk, serverDef, urlVerdict } from '../../editor/server';
import { ttsDef } from '../../editor/tts';
import { cloneDef } from '../../editor/clone';
import { authHeaders } from '../../nodes/lib/auth';
import * as defaults from '../../nodes/lib/defaults';
import { resolveEndpoint } from '../../nodes/lib/endpoint';
import { REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS } from '../../nodes/lib/reference';
import { VoxcpmService } from '../../nodes/lib/service';
import { AUDIO_DEFAULTS, Synthesizer } from '../../nodes/lib/synthesis';

/** The message key a validator returns, or true. */
const keys: Translator = { _: (key) => key };
type Validate = (this: unknown, v: unknown) => unknown;
function validate(def: { defaults: object }, prop: string, value: unknown, node: object = {}): unknown {
  const v = (def.defaults as Record<string, { validate?: Validate }>)[prop].validate;
  assert.ok(v, `${prop} has no validator`);
  return v.call({ ...keys, ...node }, value);
}
const accepts = (what: unknown) => what === true;

/** Whether the runtime takes the setting: the service it would build reports no configuration error. */
/** Whether a voxcpm-server's pipeline (its service and cache) takes these settings. */
async function runtimeTakes(settings: Record<string, unknown>): Promise<boolean> {
  const synthesizer = Synthesizer.fromSettings({ url: 'http://127.0.0.1:5022', cache: false, baseDir: os.tmpdir(), ...settings });
  const ok = synthesizer.configError === undefined;
  await synthesizer.service.close();
  return ok;
}

const URLS = [
  'http://127.0.0.1:5022', 'https://tts.example.com/voxcpm', 'http://h:5022/api/tts', '192.168.1.50:5022', 'localhost', 'gpu-box:5022/prefix',
  '[::1]:5022', 'http://[::1]:5022', 'HTTP://Host:1', 'http://h:0', 'http://h:65535', 'http://h:65536', 'http://h/pa th', 'http://a b',
  '5022', ':5022', 'http:/host', 'ftp://host', 'file:///etc/passwd', 'ws://h', 'user@h', 'http://user:pw@h', 'http://u@h/x', 'h/p@x',
  'http://', 'http://:80', 'mailto:x@y', '//h:1', 'h:p', 'h:5022:1', '[zz]:1', 'http://h?x=1', 'http://h#frag', 'http://h/%zz',
  ' http://h ', 'h\tx', 'javascript:alert(1)', 'http://例え.jp', '例え.jp:1', '1.2.3.4', '0:1', 'a:1/b/c?d#e',
];

describe('editor: rules shared with the runtime', function () {
  it('a server URL line is taken by the editor exactly when resolveEndpoint takes it', function () {
    for (const url of URLS) {
      let runtime = true;
      try {
        resolveEndpoint(url);
      } catch {
        runtime = false;
      }
      assert.equal(defaults.serverUrlProblem(url) === undefined, runtime, `serverUrlProblem(${JSON.stringify(url)})`);
      assert.equal(accepts(validate(serverDef, 'url', url)), runtime, `the URL validator on ${JSON.stringify(url)}`);
    }
  });

  it('several lines: the editor refuses the setting when the service does', async function () {
    for (const value of ['http://a:1\nhttp://b:2', 'http://a:1\r\n\r\nb:2\n', 'http://a:1\nftp://b', '\n\n', '', 'a:1\nuser@b']) {
      const editor = accepts(validate(serverDef, 'url', value));
      assert.equal(editor, await runtimeTakes({ url: value }), JSON.stringify(value));
    }
    assert.equal(urlVerdict(keys, ''), 'voxcpm-server.errors.urlRequired');
    assert.equal(urlVerdict(keys, 'http://ok\nftp://no'), 'voxcpm-server.errors.urlInvalid');
  });

  it('a custom header name is taken by the editor exactly when authHeaders takes it', function () {
    const names = ['X-API-Key', 'x-api-key', 'Authorization', 'Api_Key', "a!#$%&'*+-.^_`|~z", 'Host', 'HOST', 'content-length', 'Transfer-Encoding',
      'Connection', 'keep-alive', 'Upgrade', 'TE', 'Trailer', 'Proxy-Connection', 'proxy-authorization', 'Expect', 'Content-Type', 'X Key', 'X:Key',
      '', ' ', ' X-Key ', 'Ключ', 'X-Key\n', '(x)', 'x@y', 'Cookie', 'Proxy-Authenticate', 'X-Forwarded-For'];
    for (const name of names) {
      let runtime = true;
      try {
        authHeaders('header', name, { headerValue: 'secret' });
      } catch {
        runtime = false;
      }
      assert.equal(defaults.headerNameProblem(name) === undefined, runtime, `headerNameProblem(${JSON.stringify(name)})`);
      assert.equal(accepts(validate(serverDef, 'headerName', name, { authType: 'header' })), runtime, `the header validator on ${JSON.stringify(name)}`);
      assert.equal(validate(serverDef, 'headerName', name, { authType: 'bearer' }), true, 'only checked for a custom header');
    }
  });

  it('a login type is taken by the editor exactly when authHeaders knows it', function () {
    for (const type of ['none', 'bearer', 'basic', 'header', '', 'digest', 'Bearer', 'oauth']) {
      let runtime = true;
      try {
        authHeaders(type, 'X-Key', { token: 't', username: 'u', headerValue: 'v' });
      } catch {
        runtime = false;
      }
      assert.equal(accepts(validate(serverDef, 'authType', type)), runtime, JSON.stringify(type));
    }
  });

  it('the number settings the service checks: the editor takes what the service takes', async function () {
    // An empty field is the one difference, on purpose: the runtime then uses the default, the
    // dialog asks for a value (it shows the default for an older flow, see fillMissing).
    const values = ['1', '0', '-1', '2.5', '0.5', '1e3', '0x10', ' 7 ', 'abc', 'NaN', 'Infinity', '100000', '3.0'];
    for (const prop of ['timeout', 'concurrency', 'queueLimit', 'retries', 'maxResponseMB', 'maxText', 'cacheSize'] as const) {
      for (const v of values) {
        const settings = prop === 'cacheSize' ? { cache: true, [prop]: v } : { [prop]: v };
        assert.equal(accepts(validate(serverDef, prop, v)), await runtimeTakes(settings), `${prop} = ${JSON.stringify(v)}`);
      }
      assert.equal(validate(serverDef, prop, undefined), true, `${prop}: a property an older flow lacks is valid`);
    }
  });

  it('the runtime and the dialogs show the same defaults, from nodes/lib/defaults.ts', async function () {
    const value = (def: { defaults: object }) =>
      Object.fromEntries(Object.entries(def.defaults as Record<string, { value: unknown }>).map(([k, p]) => [k, p.value]));
    assert.deepEqual(value(serverDef), { ...defaults.SERVER_DEFAULTS });
    assert.deepEqual(value(ttsDef), { ...defaults.SYNTHESIS_DEFAULTS });
    assert.deepEqual(value(cloneDef), { ...defaults.CLONE_DEFAULTS });
    assert.deepEqual(AUDIO_DEFAULTS, {
      maxChunk: defaults.SYNTHESIS_DEFAULTS.maxChunk,
      pause: defaults.SYNTHESIS_DEFAULTS.pause,
      sampleRate: defaults.SYNTHESIS_DEFAULTS.sampleRate,
      leadIn: defaults.SYNTHESIS_DEFAULTS.leadIn,
      audioFormat: defaults.SYNTHESIS_DEFAULTS.audioFormat,
      cleanText: defaults.SYNTHESIS_DEFAULTS.cleanText,
      normalizeNumbers: defaults.SYNTHESIS_DEFAULTS.normalizeNumbers,
      speed: defaults.SYNTHESIS_DEFAULTS.speed,
      loudness: null,
      mp3Bitrate: defaults.SYNTHESIS_DEFAULTS.mp3Bitrate,
    });
    const service = new VoxcpmService({ url: 'http://127.0.0.1:5022', cache: false });
    assert.equal(service.limits.maxTextChars, defaults.SERVER_DEFAULTS.maxText);
    assert.equal(service.timeoutMs, defaults.SERVER_DEFAULTS.timeout * 1000);
    assert.equal(service.limits.maxAudioBytes, defaults.SERVER_DEFAULTS.maxResponseMB * 1024 * 1024);
    await service.close();
    assert.equal(resolveEndpoint(defaults.SERVER_DEFAULTS.url), 'http://127.0.0.1:5022/api/tts');
  });

  it('the reference window: the runtime warns and the dialog warns outside the same 3–30 s', function () {
    assert.equal(REFERENCE_MIN_SECONDS, defaults.REFERENCE_MIN_SECONDS);
    assert.equal(REFERENCE_MAX_SECONDS, defaults.REFERENCE_MAX_SECONDS);
    const warns = (duration: number) => referenceInfoText(keys, { ok: true, duration, sampleRate: 16000, channels: 1 }).warn;
    for (const s of [0.5, REFERENCE_MIN_SECONDS - 0.01, REFERENCE_MAX_SECONDS + 0.01, 60]) assert.equal(warns(s), true, `${s} s`);
    for (const s of [REFERENCE_MIN_SECONDS, 10, REFERENCE_MAX_SECONDS]) assert.equal(warns(s), false, `${s} s`);
  });

  it('the flow nodes validate their message properties, prompt and long-text settings', function () {
    for (const def of [ttsDef, cloneDef]) {
      for (const [prop, good, bad] of [
        ['text', ['payload', 'data.text', undefined], ['', '  ', 'a b']],
        ['output', ['payload', 'audio.wav'], ['', 'x y']],
        ['promptType', ['str', 'msg', 'flow', 'global', '', undefined], ['env', 'jsonata']],
        ['maxChunk', ['10', '150', 300, undefined], ['9', '10.5', '', 'x']],
        ['pause', ['0', '150'], ['-1', '0.5']],
        ['sampleRate', ['0', '16000', '12345'], ['-8000', '1.5']],
        ['leadIn', ['0', '300'], ['-1', 'x']],
        ['outputFormat', ['wav', 'base64', 'dataurl', ''], ['mp3']],
        ['cleanText', [true, false, 'true', 'false', undefined], ['yes', 1, '']],
        ['normalizeNumbers', [true, false, 'true', 'false', undefined], ['on', 0, null]],
        ['audioFormat', ['wav', 'wav16', 'mp3', '', undefined], ['ogg', 'WAV16', 16]],
        // Audio steps: the ranges of defaults.ts (SPEED_RANGE, LOUDNESS_RANGE, MP3_BITRATES).
        ['speed', ['0.5', '1', 2, '1.25', '', undefined], ['0.4', '2.1', 'x', '0']],
        ['loudness', ['', '-16', -23, '-40', '-5', undefined], ['-41', '-4', '0', 'loud']],
        ['mp3Bitrate', ['32', 64, '160', '', undefined], ['100', '320', 'x']],
      ] as Array<[string, unknown[], unknown[]]>) {
        for (const v of good) assert.equal(validate(def, prop, v), true, `${prop} = ${JSON.stringify(v)}`);
        for (const v of bad) assert.equal(typeof validate(def, prop, v), 'string', `${prop} = ${JSON.stringify(v)} is refused with a message`);
      }
      assert.equal(validate(def, 'prompt', 'any text at all', { promptType: 'str' }), true);
      assert.equal(validate(def, 'prompt', 'voice.prompt', { promptType: 'msg' }), true);
      assert.equal(validate(def, 'prompt', 'not a property', { promptType: 'msg' }), 'common.errors.promptPropertyInvalid');
    }
    assert.equal(propertyOk('a.b', (s) => s === 'a.b'), true, "Node-RED's own check is used when the editor has it");
    assert.equal(propertyOk('a.b', () => false), false);
  });

  it('Preview sends the text settings of the dialog and reads the warnings the runtime answers with', function () {
    const body = previewBody('voxcpm-tts', 's1', { url: 'http://h' }, 'calm', { reference: '', referenceText: '' }, 'Hi', { maxChunk: '80', pause: '0', cleanText: false, normalizeNumbers: true });
    assert.deepEqual(body.node, { type: 'voxcpm-tts', prompt: 'calm', reference: '', referenceText: '', maxChunk: '80', pause: '0', cleanText: false, normalizeNumbers: true });
    // The header as nodes/glue/admin-routes.ts writes it.
    assert.deepEqual(previewWarnings(encodeURIComponent(JSON.stringify(['SSML tags not understood: <emphasis>', '你好']))), ['SSML tags not understood: <emphasis>', '你好']);
    assert.deepEqual(previewWarnings(null), []);
    assert.deepEqual(previewWarnings('%E0%A4%A'), []);
    assert.deepEqual(previewWarnings(encodeURIComponent('{"not":"a list"}')), []);
  });

  it('the server dialog checks the public URL and the proxy (editor-only rules)', function () {
    for (const [v, want] of [['', true], ['http://192.168.1.10:1880', true], ['https://h/red', true], ['ftp://h', false], ['http://u:p@h', false], ['h:1880', false]] as const) {
      assert.equal(accepts(validate(serverDef, 'publicUrl', v)), want, `publicUrl ${v}`);
    }
    for (const [v, want] of [['', true], ['http://proxy:3128', true], ['proxy:3128', true], ['http://u:p@proxy:3128', false], ['ftp://proxy:21', false]] as const) {
      assert.equal(accepts(validate(serverDef, 'proxy', v)), want, `proxy ${v}`);
    }
    assert.equal(httpUrlOk('http://h:0', false), false);
  });

  it('the sample-rate menu: the list from defaults.ts, plus a rate an imported flow carries', function () {
    const plain = sampleRateChoices(keys, undefined);
    assert.deepEqual(plain.options.map((o) => Number(o.value)), [...defaults.SAMPLE_RATES]);
    assert.equal(plain.selected, '0');
    const odd = sampleRateChoices(keys, 11025);
    assert.deepEqual(odd.options.map((o) => o.value).slice(-1), ['11025']);
    assert.equal(odd.selected, '11025');
  });

  it('the audio-format menu: the choices from defaults.ts, plus an unknown value an imported flow carries', function () {
    const plain = audioFormatChoices(keys, undefined);
    assert.deepEqual(plain.options.map((o) => o.value), [...defaults.AUDIO_FORMATS]);
    assert.deepEqual(plain.options.map((o) => o.label), defaults.AUDIO_FORMATS.map((f) => `common.option.audio.${f}`));
    assert.equal(plain.selected, defaults.SYNTHESIS_DEFAULTS.audioFormat);
    assert.equal(audioFormatChoices(keys, 'wav16').selected, 'wav16');
    const odd = audioFormatChoices(keys, 'ogg');
    assert.deepEqual(odd.options.map((o) => o.value), [...defaults.AUDIO_FORMATS, 'ogg']);
    assert.equal(odd.selected, 'ogg');
  });

  it('the MP3 bitrate menu: MP3_BITRATES in kbps, the default chosen, plus a value an imported flow carries', function () {
    const plain = mp3BitrateChoices(keys, undefined);
    assert.deepEqual(plain.options.map((o) => Number(o.value)), [...defaults.MP3_BITRATES]);
    assert.equal(plain.selected, String(defaults.SYNTHESIS_DEFAULTS.mp3Bitrate));
    const odd = mp3BitrateChoices(keys, 100);
    assert.deepEqual(odd.options.map((o) => o.value).slice(-1), ['100']);
  });

  it('ultimate cloning is on exactly when a transcript is filled', function () {
    assert.equal(isUltimate(''), false);
    assert.equal(isUltimate('  \n'), false);
    assert.equal(isUltimate(undefined), false);
    assert.equal(isUltimate('大家好'), true);
  });

  it('nine presets with distinct keys and non-empty Chinese prompts', function () {
    assert.equal(defaults.PRESETS.length, 9);
    assert.equal(new Set(defaults.PRESETS.map((p) => p.key)).size, 9);
    for (const p of defaults.PRESETS) assert.match(p.prompt, /[\u4e00-\u9fff]/, p.key);
  });
});
