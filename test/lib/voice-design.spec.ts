import assert from 'node:assert/strict';
import { promptWithDesign, takeVoiceDesign } from '../../nodes/lib/voice-design';

describe('lib/voice-design', () => {
  describe('takeVoiceDesign', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['(A cheerful young woman, fast)Good morning', 'A cheerful young woman, fast', 'Good morning'],
      ['（年轻女性，温柔）早上好', '年轻女性，温柔', '早上好'],
      ['  \ufeff( calm ) Hello', 'calm', ' Hello'],
      ['(mixed）widths', 'mixed', 'widths'],
      ['（年轻女性)早上好', '年轻女性', '早上好'],
      // Not a description: the text is sent as written.
      ['Hello (not at the start)', undefined, 'Hello (not at the start)'],
      ['() empty', undefined, '() empty'],
      ['(never closed', undefined, '(never closed'],
      ['(outer (inner) text)', undefined, '(outer (inner) text)'],
    ];
    for (const [text, description, rest] of cases) {
      it(`${JSON.stringify(text)} -> ${JSON.stringify(description)} + ${JSON.stringify(rest)}`, () => {
        assert.deepEqual(takeVoiceDesign(text), description === undefined ? { text: rest } : { description, text: rest });
      });
    }
  });

  describe('promptWithDesign', () => {
    it('no description: the prompt as it is', () => {
      assert.deepEqual(promptWithDesign(undefined, 'calm', false), { prompt: 'calm' });
      assert.deepEqual(promptWithDesign(undefined, 'calm', true), { prompt: 'calm' });
    });

    it('the description replaces the prompt, with a warning only when a different prompt was set', () => {
      assert.deepEqual(promptWithDesign('cheerful', '', false), { prompt: 'cheerful', warning: undefined });
      assert.deepEqual(promptWithDesign('cheerful', 'cheerful', false), { prompt: 'cheerful', warning: undefined });
      const r = promptWithDesign('cheerful', 'calm', false);
      assert.equal(r.prompt, 'cheerful');
      assert.equal(r.warning?.kind, 'prompt-replaced');
      assert.match(r.warning?.message ?? '', /"calm"/);
    });

    it('ultimate cloning: dropped with a warning, the prompt left to the request rules (already "")', () => {
      const r = promptWithDesign('开心', '', true);
      assert.equal(r.prompt, '');
      assert.equal(r.warning?.kind, 'description-dropped');
      assert.match(r.warning?.message ?? '', /\(开心\)/);
    });
  });
});
