/**
 * readAnswerBody: the audio's string is cut out of the bytes and only the rest
 * parsed; every body must read exactly as parsing it whole would.
 */
import assert from 'node:assert/strict';
import { readAnswerBody } from '../../nodes/lib/answer-body';

const WAV = Buffer.from('RIFF....WAVEfmt some bytes of audio \u00ff\u0000\u0001', 'latin1');
const B64 = WAV.toString('base64');

/** What parsing the whole body gives: the reference the fast cut must equal. */
function whole(text: string): { json: unknown; audio?: Buffer | null } {
  const json = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  if (typeof json.audio !== 'string' || json.audio === '') return { json };
  const { audio, ...rest } = json;
  const bytes = Buffer.from(audio as string, 'base64');
  return { json: rest, audio: bytes.toString('base64') === (audio as string).replace(/\\\//g, '/') ? bytes : null };
}

describe('lib/answer-body readAnswerBody', () => {
  const bodies: Array<[string, string]> = [
    ['the documented answer', `{"status":"success","sample_rate":48000,"audio":"${B64}"}`],
    ['audio first, spaces and line breaks', `{ "audio" :\n "${B64}" ,\n "status": "success", "sample_rate": 24000 }`],
    ['a message quoting "audio" (escaped) before the key', `{"message":"x \\"audio\\": \\"QUJD\\"","status":"success","audio":"${B64}"}`],
    ['an escaped slash in the base64 (some JSON writers)', `{"status":"success","audio":"${B64.replace(/\//g, '\\/')}"}`],
    ['a byte order mark', `\uFEFF{"status":"success","audio":"${B64}"}`],
    ['empty audio', '{"status":"success","sample_rate":48000,"audio":""}'],
    ['audio that is not a string', '{"status":"success","audio":null}'],
    ['an error answer', '{"status":"error","message":"inference failed"}'],
    ['audio only inside a nested object', `{"status":"success","data":{"audio":"${B64}"}}`],
  ];
  for (const [what, text] of bodies) {
    it(`${what}: reads as the whole body parsed`, () => {
      const got = readAnswerBody(Buffer.from(text, 'utf8'));
      const want = whole(text);
      assert.deepEqual(got.json, want.json);
      assert.deepEqual(got.audio, want.audio);
    });
  }

  it('audio that is not base64 is null (the client names it), not an exception', () => {
    assert.equal(readAnswerBody(Buffer.from('{"status":"success","audio":"%%%not base64%%%"}')).audio, null);
  });

  it('not JSON: no json, the head kept for an error page title', () => {
    const got = readAnswerBody(Buffer.from('<html><title>502 Bad Gateway</title></html>'));
    assert.equal(got.json, undefined);
    assert.match(got.head, /502 Bad Gateway/);
  });
});
