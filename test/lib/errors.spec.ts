import assert from 'node:assert/strict';
import { clip, describeType, isVoxcpmError, VoxcpmError } from '../../nodes/lib/errors';

describe('lib/errors', () => {
  describe('VoxcpmError', () => {
    it('keeps the code and the message, and is an Error named after its code (Node-RED < 4.1 shows only the name)', () => {
      const err = new VoxcpmError('VOXCPM_TEXT_EMPTY', 'No text to speak');
      assert.ok(err instanceof Error);
      assert.ok(err instanceof VoxcpmError);
      assert.equal(err.code, 'VOXCPM_TEXT_EMPTY');
      assert.equal(err.message, 'No text to speak');
      assert.equal(err.name, 'VOXCPM_TEXT_EMPTY');
      assert.equal(String(err), 'VOXCPM_TEXT_EMPTY: No text to speak');
      assert.match(String(err.stack), /VOXCPM_TEXT_EMPTY/);
    });

    it('clips a long message to at most 300 characters and keeps the code', () => {
      const long = 'x'.repeat(5000);
      const err = new VoxcpmError('VOXCPM_SERVER_ERROR', long);
      assert.ok(err.message.length <= 300, `length ${err.message.length}`);
      assert.equal(err.message.length, 300);
      assert.ok(err.message.endsWith('…'));
      assert.equal(err.message.slice(0, 299), 'x'.repeat(299));
      assert.equal(err.code, 'VOXCPM_SERVER_ERROR');
    });

    it('keeps a message of exactly 300 characters whole and clips one of 301', () => {
      const exact = 'a'.repeat(300);
      assert.equal(new VoxcpmError('VOXCPM_HTTP', exact).message, exact);
      const over = new VoxcpmError('VOXCPM_HTTP', 'a'.repeat(301)).message;
      assert.equal(over.length, 300);
      assert.equal(over.at(-1), '…');
    });

    it('never quotes a whole base64 blob', () => {
      const blob = Buffer.alloc(30000, 7).toString('base64');
      const err = new VoxcpmError('VOXCPM_AUDIO_INVALID', `msg.audio "${blob}" is bad`);
      assert.ok(err.message.length <= 300);
      assert.ok(!err.message.includes(blob));
    });

    it('can be thrown and caught with its code', () => {
      assert.throws(
        () => {
          throw new VoxcpmError('VOXCPM_CONFIG', 'bad');
        },
        (err: unknown) => err instanceof VoxcpmError && err.code === 'VOXCPM_CONFIG' && err.message === 'bad',
      );
    });
  });

  describe('isVoxcpmError', () => {
    it('is true only for VoxcpmError instances', () => {
      assert.equal(isVoxcpmError(new VoxcpmError('VOXCPM_HTTP', 'x')), true);
      assert.equal(isVoxcpmError(new Error('x')), false);
      assert.equal(isVoxcpmError({ code: 'VOXCPM_HTTP', message: 'x', name: 'VoxcpmError' }), false);
      assert.equal(isVoxcpmError(undefined), false);
      assert.equal(isVoxcpmError('VOXCPM_HTTP'), false);
    });
  });

  describe('clip', () => {
    it('returns short text unchanged', () => {
      assert.equal(clip('hello', 5), 'hello');
      assert.equal(clip('', 3), '');
    });

    it('cuts long text to max characters, the last one an ellipsis', () => {
      assert.equal(clip('hello world', 6), 'hello…');
      assert.equal(clip('hello world', 6).length, 6);
      assert.equal(clip('abc', 1), '…');
    });

    it('copes with a limit of 0', () => {
      assert.equal(clip('abc', 0), '…');
    });
  });

  describe('describeType', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'null'],
      [undefined, 'nothing'],
      [Buffer.from('a'), 'a Buffer'],
      [[1, 2], 'an array'],
      [{ a: 1 }, 'an object'],
      [new Date(0), 'an object'],
      ['text', 'a string'],
      [42, 'a number'],
      [true, 'a boolean'],
      [10n, 'a bigint'],
      [Symbol('s'), 'a symbol'],
      [() => 1, 'a function'],
    ];
    for (const [value, expected] of cases) {
      it(`describes ${expected === 'nothing' ? 'undefined' : typeof value === 'symbol' ? 'a symbol' : JSON.stringify(String(value))} as "${expected}"`, () => {
        assert.equal(describeType(value), expected);
      });
    }
  });
});
