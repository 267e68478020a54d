import assert from 'node:assert/strict';
import { decodeBase64, standardBase64, unwrapBase64 } from '../../nodes/lib/base64';
import { sampleBytes } from './wav-fixtures';

describe('lib/base64', () => {
  describe('unwrapBase64', () => {
    it('returns plain base64 unchanged, without a media type', () => {
      assert.deepEqual(unwrapBase64('UklGRiQAAABXQVZF'), { base64: 'UklGRiQAAABXQVZF', mediaType: undefined });
    });

    it('splits off a data URL prefix and reports its media type', () => {
      const r = unwrapBase64('data:audio/wav;base64,UklGRiQAAABXQVZF');
      assert.equal(r.base64, 'UklGRiQAAABXQVZF');
      assert.equal(r.mediaType, 'audio/wav');
    });

    it('accepts data URL parameters and an upper-case prefix', () => {
      const r = unwrapBase64('DATA:audio/x-wav;codecs=1;name=a.wav;BASE64,QUJD');
      assert.equal(r.base64, 'QUJD');
      assert.equal(r.mediaType, 'audio/x-wav');
    });

    it('leaves the media type undefined for "data:;base64,"', () => {
      const r = unwrapBase64('data:;base64,QUJD');
      assert.equal(r.base64, 'QUJD');
      assert.equal(r.mediaType, undefined);
    });

    it('does not treat a data URL without ;base64 as base64', () => {
      const r = unwrapBase64('data:audio/wav,QUJD');
      assert.equal(r.base64, 'data:audio/wav,QUJD');
      assert.equal(decodeBase64(r.base64), undefined);
    });

    it('removes surrounding and inner white space (line-wrapped base64)', () => {
      const bytes = sampleBytes(300);
      const b64 = bytes.toString('base64');
      const wrapped = `  ${b64.replace(/(.{76})/g, '$1\r\n')}\n`;
      assert.ok(wrapped.includes('\r\n'));
      const r = unwrapBase64(wrapped);
      assert.equal(r.base64, b64);
      assert.deepEqual(decodeBase64(r.base64), bytes);
    });

    it('removes white space after a data URL prefix too', () => {
      const r = unwrapBase64(' data:audio/wav;base64, QUJD\nREVG ');
      assert.equal(r.base64, 'QUJDREVG');
      assert.equal(r.mediaType, 'audio/wav');
    });
  });

  describe('decodeBase64', () => {
    it('decodes padded base64 byte for byte', () => {
      for (let n = 1; n <= 8; n++) {
        const bytes = sampleBytes(n, n);
        const decoded = decodeBase64(bytes.toString('base64'));
        assert.ok(decoded, `length ${n}`);
        assert.ok(decoded.equals(bytes), `length ${n}`);
      }
    });

    it('decodes unpadded base64 (length 2 or 3 mod 4)', () => {
      assert.deepEqual(decodeBase64('QUI'), Buffer.from('AB'));
      assert.deepEqual(decodeBase64('QQ'), Buffer.from('A'));
    });

    it('decodes binary data containing + and /', () => {
      const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0xfe, 0x00, 0x3e]);
      const b64 = bytes.toString('base64');
      assert.match(b64, /[+/]/);
      assert.deepEqual(decodeBase64(b64), bytes);
    });

    it('returns undefined for the empty string', () => {
      assert.equal(decodeBase64(''), undefined);
    });

    it('returns undefined for a length of 1 mod 4', () => {
      assert.equal(decodeBase64('Q'), undefined);
      assert.equal(decodeBase64('QUJDR'), undefined);
    });

    it('returns undefined for characters outside the base64 alphabet', () => {
      for (const bad of ['QUJD!', 'QU JD', 'QUJD\n', '/home/pi/ref.wav', 'QUJ-', 'QUJ_', 'Ö123', 'data:audio/wav;base64,QUJD']) {
        assert.equal(decodeBase64(bad), undefined, JSON.stringify(bad));
      }
    });

    it('returns undefined for padding in the middle or more than two "="', () => {
      assert.equal(decodeBase64('QQ==QUJD'), undefined);
      assert.equal(decodeBase64('Q==='), undefined);
    });

    // Regression: "A=" once decoded to an empty Buffer and "abcde=" to three bytes.
    it('returns undefined for padding that does not complete a 4-character group', () => {
      assert.equal(decodeBase64('A='), undefined);
      assert.deepEqual(decodeBase64('QUI='), Buffer.from('AB'));
      assert.equal(decodeBase64('QU='), undefined);
      assert.equal(decodeBase64('abcde='), undefined);
      assert.equal(decodeBase64('QUJDRA=='.slice(0, 7)), undefined);
    });

    it('returns undefined when the text decodes to no bytes at all', () => {
      assert.equal(decodeBase64('=='), undefined);
    });
  });

  describe('standardBase64', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x10, 0xfe, 0xfb]); // "+/" in standard, "-_" URL-safe

    it('returns standard padded text unchanged (the same string) with its bytes', () => {
      const text = bytes.toString('base64');
      const r = standardBase64(text);
      assert.equal(r?.base64, text);
      assert.deepEqual(r?.bytes, bytes);
    });

    it('adds missing padding: exact strings', () => {
      assert.equal(standardBase64('TQ')?.base64, 'TQ==');
      assert.equal(standardBase64('TWE')?.base64, 'TWE=');
      assert.equal(standardBase64('TWFu')?.base64, 'TWFu');
    });

    it('maps the URL-safe alphabet to the standard one, and pads: exact strings', () => {
      assert.equal(bytes.toString('base64'), '+/+/ABD++w==');
      assert.equal(standardBase64('-_-_ABD--w')?.base64, '+/+/ABD++w==');
      assert.equal(standardBase64('-_-_ABD--w==')?.base64, '+/+/ABD++w==');
      assert.deepEqual(standardBase64('-_-_ABD--w')?.bytes, bytes);
    });

    it('returns undefined for what is base64 in neither alphabet', () => {
      for (const text of ['', 'A', 'TWFuA', '-_+/', 'TQ=', 'T===', 'TW=u', 'TW u', 'TW*u', 'TQ==TQ==']) {
        assert.equal(standardBase64(text), undefined, JSON.stringify(text));
      }
    });
  });
});
