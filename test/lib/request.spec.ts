import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { VoxcpmError, VoxcpmErrorCode } from '../../nodes/lib/errors';
import { audioDigest, Reference } from '../../nodes/lib/reference';
import {
  buildCloneRequest,
  buildTtsRequest,
  buildTtsVoiceRequest,
  BuiltRequest,
  CloneSettings,
  InputMessage,
  ReferenceLoader,
  TtsSettings,
} from '../../nodes/lib/request';
import type { Voice } from '../../nodes/lib/voice';
import { pcm16Mono, sampleBytes } from './wav-fixtures';

const NODE_PROMPT = 'node prompt';
const ttsSettings: TtsSettings = { prompt: NODE_PROMPT };

function isCode(code: VoxcpmErrorCode, pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof VoxcpmError, `expected a VoxcpmError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

function assertBodyShape(built: BuiltRequest): void {
  assert.deepEqual(Object.keys(built.body).sort(), ['audio', 'prompt', 'reference_text', 'text']);
  for (const [key, value] of Object.entries(built.body)) {
    assert.equal(typeof value, 'string', `body.${key} must be a string`);
  }
}

function tts(msg: InputMessage, settings: TtsSettings = ttsSettings): BuiltRequest {
  const built = buildTtsRequest(msg, settings);
  assertBodyShape(built);
  return built;
}

/** A 10 s WAV: no duration warning. */
const WAV10 = pcm16Mono(10, 8000, 4);
const FILE_WAV = pcm16Mono(10, 8000, 5);
const FILE_REFERENCE: Reference = { base64: FILE_WAV.toString('base64'), digest: audioDigest(FILE_WAV.toString('base64')), duration: 10 };

interface Loader {
  load: ReferenceLoader;
  calls: string[];
}

function loader(result: Reference | Error = FILE_REFERENCE): Loader {
  const calls: string[] = [];
  return {
    calls,
    load: async (file: string) => {
      calls.push(file);
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

function cloneSettings(over: Partial<CloneSettings> = {}): CloneSettings {
  return { prompt: '', referenceText: '', reference: '', ...over };
}

async function clone(msg: InputMessage, settings: Partial<CloneSettings> = {}, l: Loader = loader()): Promise<BuiltRequest> {
  const built = await buildCloneRequest(msg, cloneSettings(settings), l.load);
  assertBodyShape(built);
  return built;
}

function decoded(built: BuiltRequest): Buffer {
  assert.ok(!built.body.audio.startsWith('data:'), 'body.audio must be plain base64');
  assert.match(built.body.audio, /^[A-Za-z0-9+/]*={0,2}$/);
  return Buffer.from(built.body.audio, 'base64');
}

describe('lib/request', () => {
  describe('text (both nodes)', () => {
    it('takes a string payload, trimmed', () => {
      assert.equal(tts({ payload: 'Hello' }).body.text, 'Hello');
      assert.equal(tts({ payload: '  Hello world \n' }).body.text, 'Hello world');
      assert.equal(tts({ payload: '\t你好，世界。 ' }).body.text, '你好，世界。');
    });

    it('keeps inner white space and line breaks', () => {
      assert.equal(tts({ payload: ' one\n two  three ' }).body.text, 'one\n two  three');
    });

    it('takes numbers as text', () => {
      assert.equal(tts({ payload: 42 }).body.text, '42');
      assert.equal(tts({ payload: 0 }).body.text, '0');
      assert.equal(tts({ payload: -1.5 }).body.text, '-1.5');
      assert.equal(tts({ payload: { text: 7 } }).body.text, '7');
    });

    it('takes payload.text from an object payload, trimmed', () => {
      assert.equal(tts({ payload: { text: '  from object  ' } }).body.text, 'from object');
    });

    const empty: Array<[string, InputMessage, RegExp]> = [
      ['empty string', { payload: '' }, /msg\.payload is empty/],
      ['white space', { payload: '  \n\t ' }, /msg\.payload is empty/],
      ['missing payload', {}, /msg\.payload is missing/],
      ['null payload', { payload: null }, /msg\.payload is missing/],
      ['object without text', { payload: { prompt: 'x' } }, /msg\.payload\.text is missing/],
      ['payload.text undefined', { payload: { text: undefined } }, /msg\.payload\.text is missing/],
      ['payload.text null', { payload: { text: null } }, /msg\.payload\.text is missing/],
      ['payload.text empty', { payload: { text: '' } }, /msg\.payload\.text is empty/],
      ['payload.text white space', { payload: { text: '   ' } }, /msg\.payload\.text is empty/],
      ['payload.text an object', { payload: { text: { a: 1 } } }, /msg\.payload\.text is an object/],
      ['a Buffer payload', { payload: Buffer.from('Hello') }, /msg\.payload is a Buffer/],
      ['an array payload', { payload: ['Hello'] }, /msg\.payload is an array/],
      ['a boolean payload', { payload: true }, /msg\.payload is a boolean/],
      ['NaN', { payload: Number.NaN }, /a number/],
      ['Infinity', { payload: Number.POSITIVE_INFINITY }, /a number/],
    ];
    for (const [name, msg, pattern] of empty) {
      it(`${name} -> VOXCPM_TEXT_EMPTY (tts)`, () => {
        assert.throws(() => buildTtsRequest(msg, ttsSettings), isCode('VOXCPM_TEXT_EMPTY', pattern));
      });
      it(`${name} -> VOXCPM_TEXT_EMPTY (clone)`, async () => {
        await assert.rejects(clone({ ...msg, audio: WAV10 }), isCode('VOXCPM_TEXT_EMPTY', pattern));
      });
    }

    it('the text error comes before a missing-audio error (clone)', async () => {
      await assert.rejects(clone({ payload: '' }), isCode('VOXCPM_TEXT_EMPTY'));
    });
  });

  describe('buildTtsRequest', () => {
    it('text only: the node prompt, empty audio and reference_text, no warnings', () => {
      const built = tts({ payload: 'Hi' });
      assert.deepEqual(built.body, { text: 'Hi', prompt: NODE_PROMPT, audio: '', reference_text: '' });
      assert.deepEqual(built.warnings, []);
    });

    it('an empty node prompt is sent as ""', () => {
      assert.equal(tts({ payload: 'Hi' }, { prompt: '' }).body.prompt, '');
    });

    describe('prompt precedence: payload.prompt > msg.prompt > node', () => {
      it('msg.prompt beats the node prompt', () => {
        assert.equal(tts({ payload: 'Hi', prompt: 'msg prompt' }).body.prompt, 'msg prompt');
      });

      it('payload.prompt beats msg.prompt and the node prompt', () => {
        assert.equal(tts({ payload: { text: 'Hi', prompt: 'payload prompt' }, prompt: 'msg prompt' }).body.prompt, 'payload prompt');
      });

      it('payload.prompt "" counts as given: it overrides msg.prompt and the node prompt', () => {
        assert.equal(tts({ payload: { text: 'Hi', prompt: '' }, prompt: 'msg prompt' }).body.prompt, '');
        assert.equal(tts({ payload: { text: 'Hi', prompt: '' } }).body.prompt, '');
      });

      it('msg.prompt "" counts as given: it overrides the node prompt', () => {
        assert.equal(tts({ payload: 'Hi', prompt: '' }).body.prompt, '');
      });

      it('null counts as ""', () => {
        assert.equal(tts({ payload: 'Hi', prompt: null }).body.prompt, '');
        assert.equal(tts({ payload: { text: 'Hi', prompt: null }, prompt: 'msg prompt' }).body.prompt, '');
      });

      it('payload.prompt undefined or absent falls through to msg.prompt, then the node', () => {
        assert.equal(tts({ payload: { text: 'Hi', prompt: undefined }, prompt: 'msg prompt' }).body.prompt, 'msg prompt');
        assert.equal(tts({ payload: { text: 'Hi' }, prompt: 'msg prompt' }).body.prompt, 'msg prompt');
        assert.equal(tts({ payload: { text: 'Hi' } }).body.prompt, NODE_PROMPT);
        assert.equal(tts({ payload: 'Hi', prompt: undefined }).body.prompt, NODE_PROMPT);
      });

      it('an inherited prompt is not a payload field', () => {
        const payload = Object.create({ prompt: 'inherited' }) as Record<string, unknown>;
        payload.text = 'Hi';
        assert.equal(tts({ payload, prompt: 'msg prompt' }).body.prompt, 'msg prompt');
      });

      it('numbers are taken as text', () => {
        assert.equal(tts({ payload: 'Hi', prompt: 5 }).body.prompt, '5');
        assert.equal(tts({ payload: { text: 'Hi', prompt: 1.5 } }).body.prompt, '1.5');
        assert.equal(tts({ payload: 'Hi', prompt: 0 }).body.prompt, '0');
      });

      it('the prompt is sent as given (not trimmed)', () => {
        assert.equal(tts({ payload: 'Hi', prompt: ' 年轻女性，声音温柔甜美 ' }).body.prompt, ' 年轻女性，声音温柔甜美 ');
      });

      const invalid: Array<[string, InputMessage, RegExp]> = [
        ['an object msg.prompt', { payload: 'Hi', prompt: { style: 'warm' } }, /msg\.prompt is an object/],
        ['an array msg.prompt', { payload: 'Hi', prompt: ['warm'] }, /msg\.prompt is an array/],
        ['a boolean msg.prompt', { payload: 'Hi', prompt: true }, /msg\.prompt is a boolean/],
        ['a Buffer msg.prompt', { payload: 'Hi', prompt: Buffer.from('x') }, /msg\.prompt is a Buffer/],
        ['a NaN msg.prompt', { payload: 'Hi', prompt: Number.NaN }, /msg\.prompt/],
        ['an object payload.prompt', { payload: { text: 'Hi', prompt: { a: 1 } }, prompt: 'ok' }, /msg\.payload\.prompt is an object/],
      ];
      for (const [name, msg, pattern] of invalid) {
        it(`${name} -> VOXCPM_INPUT_INVALID`, () => {
          assert.throws(() => buildTtsRequest(msg, ttsSettings), isCode('VOXCPM_INPUT_INVALID', pattern));
        });
      }
    });

    describe('audio is dropped with a warning', () => {
      it('msg.audio: body.audio stays "", warning audio-dropped names it', () => {
        const built = tts({ payload: 'Hi', audio: WAV10 });
        assert.equal(built.body.audio, '');
        assert.equal(built.body.reference_text, '');
        assert.equal(built.warnings.length, 1);
        assert.equal(built.warnings[0].kind, 'audio-dropped');
        assert.match(built.warnings[0].message, /msg\.audio/);
        assert.match(built.warnings[0].message, /voxcpm-clone/);
      });

      it('payload.audio, payload.reference_text, msg.audio and msg.referenceText are all named in one warning', () => {
        const built = tts({
          payload: { text: 'Hi', audio: 'UklGRg==', reference_text: 'words' },
          audio: 'UklGRg==',
          referenceText: 'words',
        });
        assert.equal(built.body.audio, '');
        assert.equal(built.body.reference_text, '');
        assert.equal(built.warnings.length, 1);
        assert.equal(built.warnings[0].kind, 'audio-dropped');
        for (const name of ['msg.payload.audio', 'msg.payload.reference_text', 'msg.audio', 'msg.referenceText']) {
          assert.ok(built.warnings[0].message.includes(name), name);
        }
      });

      it('msg.referenceText alone is dropped with a warning', () => {
        const built = tts({ payload: 'Hi', referenceText: 'the words' });
        assert.equal(built.body.reference_text, '');
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['audio-dropped'],
        );
      });

      it('empty values ("", null, an empty Buffer) are not warned about', () => {
        for (const audio of ['', null, Buffer.alloc(0)]) {
          assert.deepEqual(tts({ payload: 'Hi', audio, referenceText: '' }).warnings, []);
          assert.deepEqual(tts({ payload: { text: 'Hi', audio, reference_text: null } }).warnings, []);
        }
      });

      it('the text and prompt are still sent', () => {
        const built = tts({ payload: 'Hi', prompt: 'warm', audio: WAV10 });
        assert.equal(built.body.text, 'Hi');
        assert.equal(built.body.prompt, 'warm');
      });
    });
  });

  describe('buildCloneRequest', () => {
    describe('reference audio forms', () => {
      it('a Buffer reaches body.audio as plain base64 of the same bytes', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10 });
        assert.ok(decoded(built).equals(WAV10));
        assert.deepEqual(built.warnings, []);
      });

      it('plain base64 reaches body.audio unchanged', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10.toString('base64') });
        assert.equal(built.body.audio, WAV10.toString('base64'));
        assert.ok(decoded(built).equals(WAV10));
      });

      it('a data URL reaches body.audio as plain base64', async () => {
        const built = await clone({ payload: 'Hi', audio: `data:audio/wav;base64,${WAV10.toString('base64')}` });
        assert.ok(decoded(built).equals(WAV10));
      });

      it('line-wrapped base64 in payload.audio reaches body.audio without white space', async () => {
        const wrapped = WAV10.toString('base64').replace(/(.{64})/g, '$1\n');
        const built = await clone({ payload: { text: 'Hi', audio: wrapped } });
        assert.ok(!/\s/.test(built.body.audio));
        assert.ok(decoded(built).equals(WAV10));
      });

      it('a path string is VOXCPM_AUDIO_INVALID mentioning the file-in node', async () => {
        await assert.rejects(clone({ payload: 'Hi', audio: '/home/pi/ref.wav' }), isCode('VOXCPM_AUDIO_INVALID', /file-in/));
        await assert.rejects(clone({ payload: 'Hi', audio: '/home/pi/ref.wav' }), isCode('VOXCPM_AUDIO_INVALID', /file path/));
        await assert.rejects(clone({ payload: { text: 'Hi', audio: 'C:\\ref.wav' } }), isCode('VOXCPM_AUDIO_INVALID', /msg\.payload\.audio/));
      });

      it('garbage is VOXCPM_AUDIO_INVALID', async () => {
        await assert.rejects(clone({ payload: 'Hi', audio: 'hello, this is not audio!' }), isCode('VOXCPM_AUDIO_INVALID', /not base64 audio/));
        await assert.rejects(clone({ payload: 'Hi', audio: 'QUJD' }), isCode('VOXCPM_AUDIO_INVALID', /too short/));
        await assert.rejects(clone({ payload: 'Hi', audio: 12345 }), isCode('VOXCPM_AUDIO_INVALID', /msg\.audio is a number/));
        await assert.rejects(clone({ payload: 'Hi', audio: { data: [1, 2] } }), isCode('VOXCPM_AUDIO_INVALID', /an object/));
      });

      it('non-WAV bytes: sent, with warning reference-not-wav', async () => {
        const notWav = Buffer.concat([Buffer.from('ID3\x04'), sampleBytes(400)]);
        const built = await clone({ payload: 'Hi', audio: notWav });
        assert.ok(decoded(built).equals(notWav));
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['reference-not-wav'],
        );
      });

      it('a WAV of 1 s: warning reference-duration', async () => {
        const built = await clone({ payload: 'Hi', audio: pcm16Mono(1, 8000) });
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['reference-duration'],
        );
        assert.match(built.warnings[0].message, /1\.0 s/);
      });

      it('a WAV of 40 s: warning reference-duration', async () => {
        const built = await clone({ payload: 'Hi', audio: pcm16Mono(40, 8000) });
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['reference-duration'],
        );
        assert.match(built.warnings[0].message, /40\.0 s/);
      });

      it('a WAV of 10 s: no warning', async () => {
        const built = await clone({ payload: 'Hi', audio: pcm16Mono(10, 8000) });
        assert.deepEqual(built.warnings, []);
      });
    });

    describe('audio precedence: payload.audio > msg.audio > node reference file', () => {
      it('the node file is loaded (trimmed path) when no audio comes with the message', async () => {
        const l = loader();
        const built = await clone({ payload: 'Hi' }, { reference: '  voices/anna.wav ' }, l);
        assert.deepEqual(l.calls, ['voices/anna.wav']);
        assert.equal(built.body.audio, FILE_REFERENCE.base64);
      });

      it('msg.audio beats the node file (which is not read)', async () => {
        const l = loader();
        const built = await clone({ payload: 'Hi', audio: WAV10 }, { reference: 'voices/anna.wav' }, l);
        assert.deepEqual(l.calls, []);
        assert.ok(decoded(built).equals(WAV10));
      });

      it('payload.audio beats msg.audio and the node file', async () => {
        const l = loader();
        const other = pcm16Mono(10, 8000, 77);
        const built = await clone({ payload: { text: 'Hi', audio: other }, audio: WAV10 }, { reference: 'voices/anna.wav' }, l);
        assert.deepEqual(l.calls, []);
        assert.ok(decoded(built).equals(other));
      });

      it('payload.audio undefined falls through to msg.audio', async () => {
        const built = await clone({ payload: { text: 'Hi', audio: undefined }, audio: WAV10 });
        assert.ok(decoded(built).equals(WAV10));
      });

      it('payload.audio "" counts as given: VOXCPM_AUDIO_MISSING, even with msg.audio and a node file', async () => {
        const l = loader();
        await assert.rejects(
          clone({ payload: { text: 'Hi', audio: '' }, audio: WAV10 }, { reference: 'voices/anna.wav' }, l),
          isCode('VOXCPM_AUDIO_MISSING', /msg\.payload\.audio is empty/),
        );
        assert.deepEqual(l.calls, []);
      });

      it('payload.audio null counts as empty: VOXCPM_AUDIO_MISSING', async () => {
        await assert.rejects(clone({ payload: { text: 'Hi', audio: null }, audio: WAV10 }), isCode('VOXCPM_AUDIO_MISSING', /msg\.payload\.audio/));
      });

      it('msg.audio "", null or an empty Buffer counts as given: VOXCPM_AUDIO_MISSING, the node file is not used', async () => {
        for (const audio of ['', null, Buffer.alloc(0)]) {
          const l = loader();
          await assert.rejects(clone({ payload: 'Hi', audio }, { reference: 'voices/anna.wav' }, l), isCode('VOXCPM_AUDIO_MISSING', /msg\.audio is empty/));
          assert.deepEqual(l.calls, []);
        }
      });

      it('no audio and no node file (or only white space): VOXCPM_AUDIO_MISSING', async () => {
        const l = loader();
        await assert.rejects(clone({ payload: 'Hi' }, { reference: '' }, l), isCode('VOXCPM_AUDIO_MISSING', /reference file/));
        await assert.rejects(clone({ payload: 'Hi' }, { reference: '   ' }, l), isCode('VOXCPM_AUDIO_MISSING'));
        assert.deepEqual(l.calls, []);
      });

      it("the loader's error is passed on", async () => {
        const l = loader(new VoxcpmError('VOXCPM_AUDIO_MISSING', 'reference.fileMissing', { file: '/x' }));
        await assert.rejects(clone({ payload: 'Hi' }, { reference: '/x' }, l), isCode('VOXCPM_AUDIO_MISSING', /\/x does not exist/));
      });

      it('the built request carries the reference digest, hashed once with the reference (the cache and shared-call keys)', async () => {
        const built = await clone({ payload: 'Hi' }, { reference: 'a.wav' }, loader(FILE_REFERENCE));
        assert.equal(built.audioDigest, createHash('sha256').update(built.body.audio).digest('hex'));
        assert.equal(built.audioDigest, FILE_REFERENCE.digest);
        const fromMsg = await clone({ payload: 'Hi', audio: WAV10 }, { reference: '' }, loader(FILE_REFERENCE));
        assert.equal(fromMsg.audioDigest, createHash('sha256').update(WAV10.toString('base64')).digest('hex'));
        assert.equal(buildTtsRequest({ payload: 'Hi' }, { prompt: '' }).audioDigest, '');
      });

      it("the loader's warning is passed on", async () => {
        const l = loader({ base64: FILE_REFERENCE.base64, digest: FILE_REFERENCE.digest, duration: 2, warning: { kind: 'reference-duration', message: 'short' } });
        const built = await clone({ payload: 'Hi' }, { reference: 'a.wav' }, l);
        assert.deepEqual(built.warnings, [{ kind: 'reference-duration', message: 'short' }]);
      });
    });

    describe('prompt and reference_text', () => {
      it('prompt precedence is payload.prompt > msg.prompt > node, as for tts', async () => {
        assert.equal((await clone({ payload: 'Hi', audio: WAV10 }, { prompt: 'node' })).body.prompt, 'node');
        assert.equal((await clone({ payload: 'Hi', audio: WAV10, prompt: 'msg' }, { prompt: 'node' })).body.prompt, 'msg');
        assert.equal((await clone({ payload: { text: 'Hi', prompt: 'pl' }, audio: WAV10, prompt: 'msg' }, { prompt: 'node' })).body.prompt, 'pl');
        assert.equal((await clone({ payload: { text: 'Hi', prompt: '' }, audio: WAV10, prompt: 'msg' }, { prompt: 'node' })).body.prompt, '');
        assert.equal((await clone({ payload: 'Hi', audio: WAV10, prompt: null }, { prompt: 'node' })).body.prompt, '');
        assert.equal((await clone({ payload: 'Hi', audio: WAV10, prompt: 3 }, { prompt: 'node' })).body.prompt, '3');
      });

      it('an object prompt is VOXCPM_INPUT_INVALID', async () => {
        await assert.rejects(clone({ payload: 'Hi', audio: WAV10, prompt: { a: 1 } }), isCode('VOXCPM_INPUT_INVALID', /msg\.prompt/));
      });

      it('reference_text precedence: payload.reference_text > msg.referenceText > node', async () => {
        assert.equal((await clone({ payload: 'Hi', audio: WAV10 }, { referenceText: 'node words' })).body.reference_text, 'node words');
        assert.equal(
          (await clone({ payload: 'Hi', audio: WAV10, referenceText: 'msg words' }, { referenceText: 'node words' })).body.reference_text,
          'msg words',
        );
        assert.equal(
          (await clone({ payload: { text: 'Hi', reference_text: 'pl words' }, audio: WAV10, referenceText: 'msg words' }, { referenceText: 'node words' }))
            .body.reference_text,
          'pl words',
        );
      });

      it('payload.reference_text "" overrides msg.referenceText and the node (and keeps the prompt)', async () => {
        const built = await clone(
          { payload: { text: 'Hi', reference_text: '' }, audio: WAV10, referenceText: 'msg words', prompt: 'warm' },
          { referenceText: 'node words' },
        );
        assert.equal(built.body.reference_text, '');
        assert.equal(built.body.prompt, 'warm');
        assert.deepEqual(built.warnings, []);
      });

      it('msg.referenceText "" or null overrides the node transcript', async () => {
        assert.equal((await clone({ payload: 'Hi', audio: WAV10, referenceText: '' }, { referenceText: 'node words' })).body.reference_text, '');
        assert.equal((await clone({ payload: 'Hi', audio: WAV10, referenceText: null }, { referenceText: 'node words' })).body.reference_text, '');
      });

      it('a number transcript is taken as text; an object one is VOXCPM_INPUT_INVALID', async () => {
        assert.equal((await clone({ payload: 'Hi', audio: WAV10, referenceText: 2024 })).body.reference_text, '2024');
        await assert.rejects(clone({ payload: 'Hi', audio: WAV10, referenceText: ['a'] }), isCode('VOXCPM_INPUT_INVALID', /msg\.referenceText is an array/));
        await assert.rejects(
          clone({ payload: { text: 'Hi', reference_text: { a: 1 } }, audio: WAV10 }),
          isCode('VOXCPM_INPUT_INVALID', /msg\.payload\.reference_text is an object/),
        );
      });

      it('a white-space transcript is sent as ""', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10, referenceText: '   ', prompt: 'warm' });
        assert.equal(built.body.reference_text, '');
        assert.equal(built.body.prompt, 'warm');
        assert.deepEqual(built.warnings, []);
      });

      it('a transcript empties the prompt (ultimate cloning) with warning prompt-dropped', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10, referenceText: 'the words spoken', prompt: 'warm' });
        assert.equal(built.body.prompt, '');
        assert.equal(built.body.reference_text, 'the words spoken');
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['prompt-dropped'],
        );
        assert.match(built.warnings[0].message, /prompt/);
      });

      it('the node transcript also empties the node prompt', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10 }, { prompt: 'node prompt', referenceText: 'node words' });
        assert.equal(built.body.prompt, '');
        assert.equal(built.body.reference_text, 'node words');
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['prompt-dropped'],
        );
      });

      it('a transcript with an empty prompt: no warning', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10, referenceText: 'the words', prompt: '' }, { prompt: 'node prompt' });
        assert.equal(built.body.prompt, '');
        assert.deepEqual(built.warnings, []);
      });

      it('a reference warning and prompt-dropped are both reported', async () => {
        const built = await clone({ payload: 'Hi', audio: pcm16Mono(1, 8000), referenceText: 'words', prompt: 'warm' });
        assert.deepEqual(
          built.warnings.map((w) => w.kind),
          ['reference-duration', 'prompt-dropped'],
        );
        assert.equal(built.body.prompt, '');
      });

      it('the full request: text trimmed, audio plain base64, transcript kept', async () => {
        const built = await clone({ payload: { text: '  Good morning  ', audio: WAV10, reference_text: 'Hello there' } });
        assert.deepEqual(built.body, { text: 'Good morning', prompt: '', audio: WAV10.toString('base64'), reference_text: 'Hello there' });
        assert.deepEqual(built.warnings, []);
      });

      // Regression: a white-space prompt was once sent unchanged next to a transcript, although
      // the API says that in this mode `prompt` MUST be the empty string.
      it('a white-space prompt next to a transcript is sent as "" (no warning needed)', async () => {
        const built = await clone({ payload: 'Hi', audio: WAV10, referenceText: 'the words', prompt: '   ' });
        assert.equal(built.body.reference_text, 'the words');
        assert.equal(built.body.prompt, '');
        assert.deepEqual(built.warnings, []);
      });
    });
  });
  describe('buildTtsVoiceRequest: what chooseVoice decided, with a cloned voice\'s reference', () => {
    /** A voice counting its reference reads. */
    function named(name: string, more: Partial<Voice> = {}): Voice & { reads: number } {
      const v: Voice & { reads: number } = {
        name,
        prompt: `${name} prompt`,
        reference: '',
        referenceText: '',
        reads: 0,
        loadReference: async (): Promise<Reference> => (v.reads++, FILE_REFERENCE),
        ...more,
      };
      return v;
    }

    it('no voice, or a designed one: buildTtsRequest\'s request, nothing read', async () => {
      const msg = { payload: 'Hello' };
      assert.deepEqual(await buildTtsVoiceRequest(msg, ttsSettings), buildTtsRequest(msg, ttsSettings));
      const butler = named(' Butler ');
      const built = await buildTtsVoiceRequest(msg, { ...ttsSettings, nodeVoice: butler });
      assert.deepEqual(built.body, { text: 'Hello', prompt: ' Butler  prompt', audio: '', reference_text: '' });
      assert.equal(built.voice, 'Butler');
    });

    it('a cloned node voice sends its reference and transcript; the prompt is dropped with a warning, msg.audio stays ignored', async () => {
      const anna = named('Anna', { reference: 'anna.wav', referenceText: 'anna words' });
      const built = await buildTtsVoiceRequest({ payload: 'Hello', audio: WAV10 }, { ...ttsSettings, nodeVoice: anna });
      assertBodyShape(built);
      assert.deepEqual(built.body, { text: 'Hello', prompt: '', audio: FILE_REFERENCE.base64, reference_text: 'anna words' });
      assert.equal(built.audioDigest, FILE_REFERENCE.digest);
      assert.equal(built.voice, 'Anna');
      assert.deepEqual(built.warnings.map((w) => w.kind), ['audio-dropped', 'prompt-dropped']);
      assert.equal(anna.reads, 1);
    });

    it('a cloned voice with a blank transcript keeps the prompt (msg.prompt beats the voice\'s)', async () => {
      const anna = named('Anna', { reference: 'anna.wav', referenceText: '   ' });
      const built = await buildTtsVoiceRequest({ payload: 'Hello', prompt: 'cheerful' }, { ...ttsSettings, messageVoice: anna });
      assert.deepEqual(built.body, { text: 'Hello', prompt: 'cheerful', audio: FILE_REFERENCE.base64, reference_text: '' });
      assert.deepEqual(built.warnings, []);
    });

    it('msg.voice beats the node\'s voice as chooseVoice says: a designed msg.voice over a cloned node voice sends no reference', async () => {
      const anna = named('Anna', { reference: 'anna.wav', referenceText: 'anna words' });
      const built = await buildTtsVoiceRequest({ payload: 'Hello' }, { ...ttsSettings, nodeVoice: anna, messageVoice: named('News') });
      assert.deepEqual(built.body, { text: 'Hello', prompt: 'News prompt', audio: '', reference_text: '' });
      assert.equal(built.voice, 'News');
      assert.equal(anna.reads, 0);
    });

    it('a transcript over the text limit is refused before the reference is read', async () => {
      const anna = named('Anna', { reference: 'anna.wav', referenceText: 'x'.repeat(30) });
      await assert.rejects(buildTtsVoiceRequest({ payload: 'Hello' }, { ...ttsSettings, maxTextChars: 20, nodeVoice: anna }), isCode('VOXCPM_INPUT_INVALID'));
      assert.equal(anna.reads, 0);
    });
  });
});
