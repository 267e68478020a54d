import assert from 'node:assert/strict';
import { digitWord, loadNumberWords, normalizeNumbers, normalizeNumbersWith } from '../../nodes/lib/numbers';

/** [input, what is spoken]: one table per rule, English and Chinese. */
type Case = [input: string, spoken: string];

function table(cases: Case[]): void {
  for (const [input, spoken] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(spoken)}`, async () => {
      assert.equal(await normalizeNumbers(input), spoken);
    });
  }
}

describe('normalizeNumbers', () => {
  describe("the issue's examples", () => table([
    ['It is 23.5°C outside.', 'It is twenty-three point five degrees Celsius outside.'],
    ['Humidity 45%.', 'Humidity forty-five percent.'],
    ['Dinner at 7:30 pm.', 'Dinner at seven thirty PM.'],
    ['Due 2026-12-03.', 'Due December third, twenty twenty-six.'],
    ['Used 3.2 kWh today.', 'Used three point two kilowatt hours today.'],
    ['室外23.5°C。', '室外二十三点五摄氏度。'],
    ['湿度45%。', '湿度百分之四十五。'],
    ['晚饭7:30 pm开始。', '晚饭下午七点三十分开始。'],
    ['截止日期2026-12-03。', '截止日期二零二六年十二月三日。'],
    ['今天用电3.2 kWh。', '今天用电三点二千瓦时。'],
  ]));

  describe('integers', () => table([
    ['I have 3 cats.', 'I have three cats.'],
    ['0 errors', 'zero errors'],
    ['101 rooms', 'one hundred one rooms'],
    ['1,234 steps', 'one thousand two hundred thirty-four steps'],
    ['1,000,000 people', 'one million people'],
    ['1\u00a0000\u00a0000 people (no-break spaces)', 'one million people (no-break spaces)'],
    ['1\u202f234 W (narrow no-break space)', 'one thousand two hundred thirty-four watts (narrow no-break space)'],
    ['共3只猫。', '共三只猫。'],
    ['10个', '十个'],
    ['15人', '十五人'],
    ['110米', '一百一十米'],
    ['100000人', '十万人'],
    ['2000元', '两千元'],
    ['2万人，2千米', '两万人，两千米'],
    ['有1,234步。', '有一千二百三十四步。'],
  ]));

  describe('decimals (the digits after the point one by one)', () => table([
    ['pi is 3.14', 'pi is three point one four'],
    ['0.5 l', 'zero point five liters'],
    ['23.05 now', 'twenty-three point zero five now'],
    ['1,234.56 total', 'one thousand two hundred thirty-four point five six total'],
    ['约3.14。', '约三点一四。'],
    ['0.5秒', '零点五秒'],
    ['23.05度', '二十三点零五度'],
  ]));

  describe('negatives', () => table([
    ['Offset -5 today.', 'Offset minus five today.'],
    ['Offset −2.5 (a real minus sign).', 'Offset minus two point five (a real minus sign).'],
    ['差值-5。', '差值负五。'],
    ['室外-5度。', '室外零下五度。'],
    ['Up +5% and +3°C.', 'Up plus five percent and plus three degrees Celsius.'],
    ['气温+3℃，增长+5%。', '气温零上三摄氏度，增长正百分之五。'],
  ]));

  describe('percentages', () => table([
    ['Battery 100%', 'Battery one hundred percent'],
    ['Down -3.5 %', 'Down minus three point five percent'],
    ['电量100%。', '电量百分之一百。'],
    ['下降-3.5%。', '下降负百分之三点五。'],
    ['湿度45％。', '湿度百分之四十五。'],
  ]));

  describe('temperatures', () => table([
    ['Outside -3 ℃.', 'Outside minus three degrees Celsius.'],
    ['Oven 350°F.', 'Oven three hundred fifty degrees Fahrenheit.'],
    ['Up by 1°C.', 'Up by one degree Celsius.'],
    ['Tilt 90°.', 'Tilt ninety degrees.'],
    ['室外-3℃。', '室外零下三摄氏度。'],
    ['烤箱350°F。', '烤箱三百五十华氏度。'],
    ['角度90°。', '角度九十度。'],
  ]));

  describe('times', () => table([
    ['At 14:30.', 'At fourteen thirty.'],
    ['At 07:05.', 'At seven oh five.'],
    ['At 14:00.', 'At fourteen hundred.'],
    ['At 7:00.', "At seven o'clock."],
    ['At 00:00.', 'At midnight.'],
    ['At 7 am sharp.', 'At seven AM sharp.'],
    ['Leave at 7 p.m. tomorrow.', 'Leave at seven PM tomorrow.'],
    ['Leave at 7 p.m.', 'Leave at seven PM.'],
    ['At 10:15:30.', 'At ten fifteen and thirty seconds.'],
    ['At 7.30pm.', 'At seven thirty PM.'],
    ['会议14:30开始。', '会议十四点三十分开始。'],
    ['闹钟07:05响。', '闹钟七点零五分响。'],
    ['闹钟2:00响。', '闹钟两点响。'],
    ['7 am起床。', '上午七点起床。'],
    ['12 pm午饭。', '中午十二点午饭。'],
    ['现在10:15:30。', '现在十点十五分三十秒。'],
  ]));

  describe('dates', () => table([
    ['On 2026-12-03.', 'On December third, twenty twenty-six.'],
    ['On 2026/12/03.', 'On December third, twenty twenty-six.'],
    ['At 2026-12-03T14:30.', 'At December third, twenty twenty-six, fourteen thirty.'],
    ['At 2026-12-03 7:30 pm.', 'At December third, twenty twenty-six, seven thirty PM.'],
    ['时间2026-12-03 07:05。', '时间二零二六年十二月三日七点零五分。'],
    ['In 2026-12.', 'In December twenty twenty-six.'],
    ['On 3/12/2026 (month first).', 'On March twelfth, twenty twenty-six (month first).'],
    ['On 13/12/2026 (day first: 13 is no month).', 'On December thirteenth, twenty twenty-six (day first: thirteen is no month).'],
    ['On 3.12.2026 (dots: day first).', 'On December third, twenty twenty-six (dots: day first).'],
    ['On December 3, 2026.', 'On December third, twenty twenty-six.'],
    ['On Dec 3.', 'On December third.'],
    ['On 3 December 2026.', 'On the third of December, twenty twenty-six.'],
    ['Since May 2005.', 'Since May two thousand five.'],
    ['In 1905-06.', 'In June nineteen oh five.'],
    ['2026年12月3日', '二零二六年十二月三日'],
    ['日期2026-12-03。', '日期二零二六年十二月三日。'],
    ['日期3/12/2026。', '日期二零二六年三月十二日。'],
    ['12月2日', '十二月二日'],
    ['The 2026-02-30 is no date.', 'The 2026-02-30 is no date.'],
  ]));

  describe('years (only in a date; plain otherwise)', () => table([
    ['2026 items', 'two thousand twenty-six items'],
    ['In the 1990s.', 'In the nineteen nineties.'],
    ['The 2000s.', 'The two thousands.'],
    ["The '90s and the 80s; wait 90s.", 'The nineties and the eighties; wait ninety seconds.'],
    ['1990年代', '一九九零年代'],
  ]));

  describe('currency', () => table([
    ['It costs $3.50.', 'It costs three dollars fifty cents.'],
    ['It costs $1.', 'It costs one dollar.'],
    ['It costs $0.99.', 'It costs ninety-nine cents.'],
    ['It costs $1,200.', 'It costs one thousand two hundred dollars.'],
    ['It costs -$5.', 'It costs minus five dollars.'],
    ['It costs $1.5 million.', 'It costs one point five million dollars.'],
    ['It costs €5 or 5 €.', 'It costs five euros or five euros.'],
    ['It costs £2.50.', 'It costs two pounds fifty pence.'],
    ['It costs ¥12.', 'It costs twelve yuan.'],
    ['It costs US$5, HK$10.50 or USD 20.', 'It costs five dollars, ten Hong Kong dollars fifty cents or twenty dollars.'],
    ['It costs 100 RMB.', 'It costs one hundred yuan.'],
    ['价格100 RMB，HK$10。', '价格一百元，十港元。'],
    ['价格¥3.50。', '价格三元五角。'],
    ['价格￥3.05。', '价格三元零五分。'],
    ['价格¥0.5。', '价格五角。'],
    ['价格¥2。', '价格两元。'],
    ['价格12.5元。', '价格十二元五角。'],
    ['价格100万元。', '价格一百万元。'],
    ['价格$3.50。', '价格三点五美元。'],
    ['价格€5。', '价格五欧元。'],
  ]));

  describe('units', () => table([
    ['Wind 12 km/h.', 'Wind twelve kilometers per hour.'],
    ['Pressure 1013 hPa.', 'Pressure one thousand thirteen hectopascals.'],
    ['Power 1 W.', 'Power one watt.'],
    ['Power 2.5kW.', 'Power two point five kilowatts.'],
    ['Rain 3 mm.', 'Rain three millimeters.'],
    ['CO2 800 ppm.', 'CO2 eight hundred parts per million.'],
    ['Light 300 lx, noise 40 dB.', 'Light three hundred lux, noise forty decibels.'],
    ['Signal -70 dBm.', 'Signal minus seventy decibel-milliwatts.'],
    ['Mains 230 V, 10 A.', 'Mains two hundred thirty volts, ten amps.'],
    ['Wait 10s.', 'Wait ten seconds.'],
    ['风速12 km/h。', '风速十二公里每小时。'],
    ['气压1013 hPa。', '气压一千零一十三百帕。'],
    ['功率2.5kW。', '功率二点五千瓦。'],
    ['PM2.5浓度35 µg/m³。', 'PM2.5浓度三十五微克每立方米。'],
  ]));

  describe('units written another way (aliases) read as the unit they stand for', () => table([
    ['Wind 12 kph.', 'Wind twelve kilometers per hour.'],
    ['Flat 1 m2, tank 3 m3.', 'Flat one square meter, tank three cubic meters.'],
    ['Dose 5 ml, jug 1 l.', 'Dose five milliliters, jug one liter.'],
    ['PM2.5 35 ug/m3, PM10 12 μg/m³.', 'PM2.5 thirty-five micrograms per cubic meter, PM10 twelve micrograms per cubic meter.'],
    ['Light 300 lux.', 'Light three hundred lux.'],
    ['风速12 kph，水5 ml。', '风速十二公里每小时，水五毫升。'],
  ]));

  describe('ordinals', () => table([
    ['The 1st, 2nd, 3rd and 22nd.', 'The first, second, third and twenty-second.'],
    ['The 11th floor.', 'The eleventh floor.'],
    ['第1名', '第一名'],
    ['第2个', '第二个'],
    ['两个：2个人', '两个：两个人'],
  ]));

  describe('ranges', () => table([
    ['From 20-25°C.', 'From twenty to twenty-five degrees Celsius.'],
    ['From 20 – 25%.', 'From twenty to twenty-five percent.'],
    ['Open 9:00-17:30.', "Open nine o'clock to seventeen thirty."],
    ['气温20-25℃。', '气温二十到二十五摄氏度。'],
    ['气温20~25℃。', '气温二十到二十五摄氏度。'],
  ]));

  describe('phone numbers and digit strings (digit by digit)', () => table([
    ['Call +1 555 123 4567.', 'Call plus one, five five five, one two three, four five six seven.'],
    ['Call (555) 123-4567.', 'Call five five five, one two three, four five six seven.'],
    ['Call +44 20 7946 0958.', 'Call plus four four, two zero, seven nine four six, zero nine five eight.'],
    ['Call +8613800138000.', 'Call plus eight six one three eight zero zero one three eight zero zero zero.'],
    ['Call 138-0013-8000.', 'Call one three eight, zero zero one three, eight zero zero zero.'],
    ['Code 007.', 'Code zero zero seven.'],
    ['Call 911 now; dial 112.', 'Call nine one one now; dial one one two.'],
    ['Tel: 12345', 'Tel: one two three four five'],
    ['请拨打110。', '请拨打幺幺零。'],
    ['Order 1234567.', 'Order one two three four five six seven.'],
    ['请拨打138-0013-8000。', '请拨打幺三八，零零幺三，八零零零。'],
    ['请拨打13800138000。', '请拨打幺三八零零幺三八零零零。'],
    ['请拨打010-12345678。', '请拨打零幺零，幺二三四五六七八。'],
    ['请拨打+86 138 0013 8000。', '请拨打加八六，幺三八，零零幺三，八零零零。'],
    ['代码007。', '代码零零七。'],
  ]));

  describe('mixed languages: each sentence in its own', () => table([
    ['今天23°C。Tomorrow 25°C.', '今天二十三摄氏度。Tomorrow twenty-five degrees Celsius.'],
    ['Battery 80%. 电量80%。', 'Battery eighty percent. 电量百分之八十。'],
    ['The room 北京 is 2 m wide.', 'The room 北京 is 二米 wide.'],
    ['Up at 7 a.m. Then 湿度45%。', 'Up at seven AM. Then 湿度百分之四十五。'],
  ]));

  describe('left as written', () => {
    table([
      ['No numbers here.', 'No numbers here.'],
      ['没有数字。', '没有数字。'],
      ['Version 1.2.3 at 192.168.1.1.', 'Version 1.2.3 at 192.168.1.1.'],
      ['CO2, PM2.5, MP3, 4K, v2, H2O', 'CO2, PM2.5, MP3, 4K, v2, H2O'],
      ['Aspect 16:9.', 'Aspect 16:9.'],
      ['Model RT-AC68U.', 'Model RT-AC68U.'],
      ['See https://example.com/a/123?id=5 or www.example.com/2.', 'See https://example.com/a/123?id=5 or www.example.com/2.'],
      ['Mix 1/2 cup, open 24/7.', 'Mix 1/2 cup, open 24/7.'],
    ]);

    it('returns the very same string when there is no digit', async () => {
      const text = 'Nothing to read here: 没有数字.';
      assert.equal(await normalizeNumbers(text), text);
      assert.equal(await normalizeNumbers(''), '');
    });
  });

  it('has a synchronous core once the words are loaded', async () => {
    const words = await loadNumberWords();
    assert.equal(normalizeNumbersWith(words, 'Humidity 45%. 湿度45%。'), 'Humidity forty-five percent. 湿度百分之四十五。');
    assert.equal(await loadNumberWords(), words, 'loaded once');
  });

  describe('edges of the rules', () => table([
    ['Not times: 25:00, 7:60, 13 pm.', 'Not times: 25:00, 7:60, 13 pm.'],
    ['Not dates: 2026-13-01, 2026-12/03.', 'Not dates: 2026-13-01, 2026-12/03.'],
    ['In 1900-05 and 2000-01.', 'In May nineteen hundred and January two thousand.'],
    ['At 10:00:01 and 00:00:05.', "At ten o'clock and one second and midnight and five seconds."],
    ['时间00:00:05，12:00 am。', '时间零点零分五秒，凌晨十二点。'],
    ['It costs $0.01, £1 or €1.00.', 'It costs one cent, one pound or one euro.'],
    ['It costs $100.125.', 'It costs one hundred point one two five dollars.'],
    ['价格¥2万，$2.50。', '价格两万元，二点五美元。'],
    ['The 00th and 1th.', 'The 00th and first.'],
    ['第1st名', '第第一名'],
    ['Model v1-2.', 'Model v1-two.'],
    ['2点钟', '两点钟'],
    ['1,000,000,000,000,000,000 grains', 'one zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero grains'],
  ]));

  describe('full-width digits', () => table([
    ['温度２３度。', '温度二十三度。'],
  ]));

  describe('bounds', () => {
    it('reads 20,000 characters of numbers, runs of digits and separators without stalling', async () => {
      const texts = [
        'Temp 23.5°C, 45%, 7:30 pm, 2026-12-03, 3.2 kWh. '.repeat(400),
        '1'.repeat(20_000),
        '1.'.repeat(10_000),
        '1,'.repeat(10_000),
        '1-'.repeat(10_000),
        '1 '.repeat(10_000),
        '+1 '.repeat(6_000),
        '1:1.'.repeat(5_000),
        '1.1.1.1a'.repeat(2_500),
        '温度-3℃，'.repeat(3_000),
      ];
      for (const text of texts) {
        const spoken = await normalizeNumbers(text);
        assert.ok(spoken.length > 0);
      }
    });

    it('leaves the event loop free between slices, and two texts read at once do not mix', async () => {
      const english = 'Temp 23.5°C, 45%, 7:30 pm, 2026-12-03, 3.2 kWh. '.repeat(400);
      const chinese = '气温-3℃，湿度45%，电话138-0013-8000。'.repeat(600);
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const [en, zh] = await Promise.all([normalizeNumbers(english), normalizeNumbers(chinese)]);
      ticking = false;
      assert.ok(turns >= 5, `the event loop had ${turns} turns`);
      assert.equal(en, 'Temp twenty-three point five degrees Celsius, forty-five percent, seven thirty PM, December third, twenty twenty-six, three point two kilowatt hours. '.repeat(400));
      assert.equal(zh, '气温零下三摄氏度，湿度百分之四十五，电话幺三八，零零幺三，八零零零。'.repeat(600));
    });

    it('reads a number of more than 18 digits digit by digit', async () => {
      assert.equal(await normalizeNumbers('1,000,000,000,000,000 grains'), 'one quadrillion grains');
      assert.equal(await normalizeNumbers('1000000000000000000'), 'one zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero');
    });
  });
});

describe('digitWord', () => {
  it('gives the word of one digit, ASCII, full-width or a number 0–9, in English or Chinese', () => {
    assert.deepEqual([...'0123456789'].map((d) => digitWord(d, 'en')), ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
    assert.equal([...'0123456789'].map((d) => digitWord(d, 'zh')).join(''), '零一二三四五六七八九');
    assert.equal([...'０１９'].map((d) => digitWord(d, 'zh')).join(''), '零一九');
    assert.equal(digitWord(7, 'en'), 'seven');
    assert.equal(digitWord(0, 'zh'), '零');
  });

  it('reads 1 as 幺 in a Chinese phone number only', () => {
    assert.equal(digitWord('1', 'zh', true), '幺');
    assert.equal(digitWord('１', 'zh', true), '幺');
    assert.equal(digitWord('1', 'zh'), '一');
    assert.equal(digitWord('1', 'en', true), 'one');
    assert.equal(digitWord('7', 'zh', true), '七');
  });

  it('gives undefined for anything but one digit', () => {
    for (const x of ['', '12', 'a', '-1', '٣', ' 1', '.']) assert.equal(digitWord(x, 'en'), undefined, JSON.stringify(x));
    for (const x of [-1, 10, 1.5, NaN]) assert.equal(digitWord(x, 'zh'), undefined, String(x));
  });
});
