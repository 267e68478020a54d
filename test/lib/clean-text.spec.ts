import assert from 'node:assert/strict';
import { cleanText } from '../../nodes/lib/clean-text';

/** Each case: input → the text sent. */
function table(cases: Array<[string, string]>): void {
  for (const [input, expected] of cases) assert.equal(cleanText(input), expected, JSON.stringify(input));
}

describe('lib/clean-text', () => {
  it('the issue example: markdown, emoji and a link', () => {
    table([
      ['**Alert**: 🔥 smoke in the _kitchen_ — [camera](http://192.168.1.20/camera/kitchen?live=1)', 'Alert: smoke in the kitchen — camera'],
      ['**警报**：🔥 _厨房_有烟雾——[摄像头](http://192.168.1.20/camera/kitchen)', '警报：厨房有烟雾——摄像头'],
    ]);
  });

  it('leaves plain text as it is (English and Chinese, CJK punctuation, a lone <)', () => {
    table([
      ['The temperature is 23.5°C, humidity 45%.', 'The temperature is 23.5°C, humidity 45%.'],
      ['客厅温度23.5°C，湿度45%。《通知》：“明天”停电！', '客厅温度23.5°C，湿度45%。《通知》：“明天”停电！'],
      ['if a < b and c > d then', 'if a < b and c > d then'],
      ['中文　全角空格', '中文　全角空格'],
      ['', ''],
    ]);
  });

  describe('emphasis', () => {
    it('removes ** __ * _ *** ~~ and keeps the words', () => {
      table([
        ['**bold** and __bold__', 'bold and bold'],
        ['*italic* and _italic_', 'italic and italic'],
        ['***both*** and ___both___', 'both and both'],
        ['~~old~~ new', 'old new'],
        ['**bold with *italic* inside**', 'bold with italic inside'],
        ['(**note**), "*quoted*".', '(note), "quoted".'],
      ]);
    });

    it('in Chinese, where the marks touch the words on both sides', () => {
      table([
        ['这是**重要**的通知', '这是重要的通知'],
        ['请*注意*安全，__马上__离开', '请注意安全，马上离开'],
      ]);
    });

    it('leaves snake_case, arithmetic, lone and unpaired marks, and escaped marks', () => {
      table([
        ['snake_case_name and __init__.py', 'snake_case_name and init.py'],
        ['2*3*4 = 24 and 2 * 3 = 6', '2*3*4 = 24 and 2 * 3 = 6'],
        ['a * b * c', 'a * b * c'],
        ['5 * 4**2', '5 * 4**2'],
        ['price*', 'price*'],
        ['**unclosed bold', '**unclosed bold'],
        ['\\*not italic\\* and a\\_b', '*not italic* and a_b'],
        ['file_name_v2_final', 'file_name_v2_final'],
        ['C:\\Users\\anna', 'C:\\Users\\anna'],
        ['a **** b', 'a **** b'],
      ]);
    });
  });

  describe('block marks', () => {
    it('headings lose their #s and are said as a sentence', () => {
      table([
        ['# Weather', 'Weather.'],
        ['### Today ###', 'Today.'],
        ['## Done!', 'Done!'],
        ['# C#', 'C#'],
        ['#hashtag stays', '#hashtag stays'],
        ['## 天气预报', '天气预报。'],
        ['####### seven is no heading', '####### seven is no heading'],
      ]);
    });

    it('list markers and task boxes go; items are said as sentences', () => {
      table([
        ['- milk\n- eggs', 'milk.\neggs.'],
        ['* one\n+ two\n• three', 'one.\ntwo.\nthree.'],
        ['1. Open the door\n2) Close it.', 'Open the door.\nClose it.'],
        ['- [ ] todo\n- [x] done', 'todo.\ndone.'],
        ['- 牛奶\n- 鸡蛋，两盒', '牛奶。\n鸡蛋，两盒。'],
        ['- 23.5°C 客厅', '23.5°C 客厅。'],
        ['-5 degrees', '-5 degrees'],
        ['3.5 kWh today', '3.5 kWh today'],
      ]);
    });

    it('block quotes, rules, setext underlines and link definitions go', () => {
      table([
        ['> quoted\n> > nested', 'quoted\nnested'],
        ['above\n\n---\n\nbelow', 'above\n\nbelow'],
        ['Title\n=====\nbody\n* * *\nend', 'Title\nbody\nend'],
        ['See [the docs][1].\n\n[1]: https://example.com/docs "Docs"', 'See the docs.'],
      ]);
    });

    it('tables are said row by row, cells separated by commas; the delimiter row goes', () => {
      table([
        ['| Room | Temp |\n|---|:---:|\n| **Kitchen** | 23.5°C |\n| 客厅 | 22°C |', 'Room, Temp.\nKitchen, 23.5°C.\n客厅，22°C。'],
        ['a | b', 'a | b'],
        ['|x', '|x'],
        ['| |', '| |'],
      ]);
    });

    it('fenced code blocks go whole, an unclosed one to the end', () => {
      table([
        ['Run this:\n```bash\nrm -rf /tmp/x\n```\nThen wait.', 'Run this:\nThen wait.'],
        ['Before\n~~~~\ncode\n~~~\nstill code\n~~~~\nAfter', 'Before\nAfter'],
        ['Start\n```\nnever closed\nmore', 'Start'],
        ['```\nonly code\n```', ''],
      ]);
    });
  });

  describe('links, images, URLs, code', () => {
    it('links keep their words, images go', () => {
      table([
        ['Open [the camera](http://cam.local/live "Live view") now', 'Open the camera now'],
        ['![snapshot](/api/camera_proxy/camera.door) Someone is at the door', 'Someone is at the door'],
        ['[**Bold** link](x)', 'Bold link'],
        ['打开[摄像头](http://cam.local)查看', '打开摄像头查看'],
        ['[not a link] (x)', '[not a link] (x)'],
      ]);
    });

    it('bare URLs and autolinks go; the punctuation after them stays', () => {
      table([
        ['Details: https://example.com/a?b=c&d=e#f', 'Details:'],
        ['See www.example.com/page.', 'See.'],
        ['(see http://example.com/x) and more', '(see) and more'],
        ['Mail <https://example.com> today', 'Mail today'],
        ['详情见 https://example.com/a。谢谢', '详情见。谢谢'],
        ['example.com stays, as does a@b.cn', 'example.com stays, as does a@b.cn'],
      ]);
    });

    it('inline code keeps its text without backticks', () => {
      table([
        ['Run `npm test` now', 'Run npm test now'],
        ['``a `tick` here``', 'a `tick` here'],
        ['`__init__` stays as code', '__init__ stays as code'],
        ['a lone ` backtick', 'a lone ` backtick'],
      ]);
    });
  });

  describe('emoji', () => {
    it('are removed by grapheme: sequences, skin tones, flags, keycaps, tags; no joiner is left', () => {
      const cases: Array<[string, string]> = [
        ['Done 👍🏽 now', 'Done now'],
        ['Family 👨‍👩‍👧‍👦 photo', 'Family photo'],
        ['Flags 🇨🇳🇬🇧 here', 'Flags here'],
        ['England 🏴󠁧󠁢󠁥󠁮󠁧󠁿 wins', 'England wins'],
        ['Press 1️⃣ or #️⃣', 'Press or'],
        ['Love ❤️ and ❤ and ☀️', 'Love and and'],
        ['🎉🎉🎉 Happy birthday Anna 🎂', 'Happy birthday Anna'],
        ['Hot🔥day', 'Hot day'],
        ['着火了🔥快跑', '着火了快跑'],
        ['着火了 🔥 快跑', '着火了快跑'],
        ['Alert: 🔥 smoke', 'Alert: smoke'],
        ['🔥🔥🔥', ''],
        ['Keep 1 # and * and 2', 'Keep 1 # and * and 2'],
      ];
      table(cases);
      for (const [input] of cases) assert.doesNotMatch(cleanText(input), /\u200d|\ufe0f|\p{Emoji_Modifier}|[\u{e0000}-\u{e007f}]/u, input);
    });
  });

  it('white space left behind collapses: spaces and tabs, blank lines, the ends', () => {
    table([
      ['  a  \t b  ', 'a b'],
      ['a\r\n\r\n\r\n\r\nb', 'a\n\nb'],
      ['\n\n# Title\n\n\n\ntext\n\n', 'Title.\n\ntext'],
    ]);
  });

  it('a whole LLM answer', () => {
    const answer = [
      '## Summary 📋',
      '',
      'Here is what I found:',
      '',
      '1. **Living room**: 23.5°C 🌡️',
      '2. **Kitchen**: _smoke detected_ 🔥 — see [camera](http://ha.local/cam)',
      '',
      '```yaml',
      'alarm: on',
      '```',
      '',
      '> Stay safe! 🙏',
    ].join('\n');
    assert.equal(cleanText(answer), 'Summary.\n\nHere is what I found:\n\nLiving room: 23.5°C.\nKitchen: smoke detected — see camera.\n\nStay safe!');
  });

  describe('linear time on pathological input (100,000 characters)', () => {
    // Each input would take minutes with a backtracking or quadratic rule; the
    // suite's timeout is the bound, no speed is asserted.
    const n = 100_000;
    const cases: Array<[string, string, (out: string) => void]> = [
      ['unpaired emphasis openers', '*a '.repeat(n / 3), (out) => assert.equal(out, '*a '.repeat(n / 3).trim())],
      ['alternating marks', `x ${'_*'.repeat(n / 2)} y`, (out) => assert.match(out, /^x [_*]* ?y$/)],
      ['backtick runs of growing length', Array.from({ length: 400 }, (_, i) => '`'.repeat(i + 1)).join('x'), (out) => assert.ok(out.length > 0)],
      ['brackets never closed', '[a]('.repeat(n / 4), (out) => assert.equal(out, '[a]('.repeat(n / 4))],
      ['spaces in a heading', `# a${' '.repeat(n)}b${' '.repeat(n)}#`, (out) => assert.equal(out, 'a b.')],
      ['nested quotes', `${'> '.repeat(n / 2)}x`, (out) => assert.equal(out, 'x')],
      ['URL-like runs', 'http://a'.repeat(n / 8), (out) => assert.equal(out, '')],
      ['emoji', '👨‍👩‍👧a'.repeat(n / 9), (out) => assert.equal(out, Array.from({ length: n / 9 }, () => 'a').join(' '))],
      ['image openers', '![a]('.repeat(n / 5), (out) => assert.equal(out, '![a]('.repeat(n / 5))],
    ];
    for (const [name, input, check] of cases) {
      it(name, function () {
        this.timeout(20_000);
        check(cleanText(input));
      });
    }
  });
});
