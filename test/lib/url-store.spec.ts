import assert from 'node:assert/strict';
import { parseRange, UrlStore } from '../../nodes/lib/url-store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lib/url-store', function () {
  describe('UrlStore', function () {
    it('keeps a result under an unguessable 32-hex token', () => {
      const store = new UrlStore();
      const wav = Buffer.from('RIFF....WAVE');
      const a = store.put(wav, 60000);
      const b = store.put(wav, 60000);
      assert.match(String(a), /^[0-9a-f]{32}$/);
      assert.notEqual(a, b);
      assert.equal(store.get(a as string), wav);
      assert.equal(store.size, 2 * wav.length);
    });

    it('answers undefined for unknown tokens and for anything that is not a token', () => {
      const store = new UrlStore();
      const token = store.put(Buffer.from('x'), 60000) as string;
      for (const t of ['', '0'.repeat(32), token.toUpperCase(), `${token}.wav`, `../${token}`, token.slice(1), `${token}0`]) {
        assert.equal(store.get(t), undefined, JSON.stringify(t));
      }
    });

    it('forgets a result after its time to live', async () => {
      const store = new UrlStore();
      const token = store.put(Buffer.from('short'), 40) as string;
      assert.ok(store.get(token));
      await sleep(80);
      assert.equal(store.get(token), undefined);
    });

    it('is bounded by bytes: a result larger than the store is refused, older ones make room', () => {
      const store = new UrlStore(100);
      assert.equal(store.put(Buffer.alloc(101), 60000), undefined);
      const first = store.put(Buffer.alloc(60), 60000) as string;
      const second = store.put(Buffer.alloc(60), 60000) as string;
      assert.equal(store.get(first), undefined, 'the least recently used went');
      assert.ok(store.get(second));
      assert.ok(store.size <= 100);
    });
  });

  describe('parseRange', function () {
    const cases: Array<[string | undefined, number, ReturnType<typeof parseRange>]> = [
      [undefined, 1000, undefined],
      ['', 1000, undefined],
      ['bytes=0-99', 1000, { start: 0, end: 99 }],
      ['bytes=100-', 1000, { start: 100, end: 999 }],
      ['bytes=-10', 1000, { start: 990, end: 999 }],
      ['bytes=-5000', 1000, { start: 0, end: 999 }],
      ['bytes=900-5000', 1000, { start: 900, end: 999 }],
      [' bytes=1-1 ', 1000, { start: 1, end: 1 }],
      ['bytes=1000-', 1000, 'unsatisfiable'],
      ['bytes=5-2', 1000, 'unsatisfiable'],
      ['bytes=-0', 1000, 'unsatisfiable'],
      ['bytes=0-', 0, 'unsatisfiable'],
      ['bytes=0-1,5-6', 1000, undefined],
      ['bytes=-', 1000, undefined],
      ['items=0-1', 1000, undefined],
      ['bytes=a-b', 1000, undefined],
    ];
    for (const [header, length, expected] of cases) {
      it(`${JSON.stringify(header)} of ${length} bytes -> ${JSON.stringify(expected)}`, () => {
        assert.deepEqual(parseRange(header, length), expected);
      });
    }
  });
});
