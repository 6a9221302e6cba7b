'use strict';
// RateMeter with explicit clock values (no timers), and the number formats of node status.
const assert = require('assert');
const { RateMeter, formatCount, formatExact } = require('../../dist/core/rate');

describe('core/rate RateMeter', function () {
  // Each step: ['add', n, now] or ['rate', now, expected]
  const scenarios = [
    ['nothing counted yet', 1_000, [['rate', 0, 0], ['rate', 999, 0]]],
    ['rate is 0 until the first interval completes', 1_000, [['add', 50, 100], ['rate', 999, 0]]],
    ['steady 100 per second', 1_000, [['add', 50, 100], ['add', 50, 600], ['rate', 1_000, 100]]],
    ['rate stays for the whole next interval', 1_000, [['add', 100, 10], ['rate', 1_000, 100], ['rate', 1_999, 100]]],
    ['the next interval replaces it', 1_000, [['add', 100, 10], ['rate', 1_000, 100], ['add', 30, 1_500], ['rate', 2_000, 30]]],
    ['a late roll divides by the real elapsed time', 1_000, [['add', 150, 10], ['rate', 1_500, 100]]],
    ['idle for two intervals → 0', 1_000, [['add', 500, 10], ['rate', 1_000, 500], ['rate', 3_000, 0]]],
    ['events then silence for 2 intervals → 0 (the last full interval was empty)', 1_000, [['add', 100, 500], ['rate', 2_500, 0]]],
    ['counting at the roll instant goes into the new window', 1_000, [['add', 5, 1_000], ['rate', 1_000, 0], ['rate', 2_000, 5]]],
    ['fractional rates', 1_000, [['add', 1, 0], ['rate', 1_000, 1], ['add', 1, 1_200], ['rate', 2_600, 1_000 / 1_600]]],
    ['interval of 5 s gives per-second rates', 5_000, [['add', 2_500, 1_000], ['rate', 5_000, 500]]],
    ['adding 0 counts nothing', 1_000, [['add', 0, 100], ['rate', 1_000, 0]]],
    ['large bursts', 1_000, [['add', 1_000_000, 1], ['add', 4_000_000, 2], ['rate', 1_000, 5_000_000]]],
    ['clock going backwards does not roll or throw', 1_000, [['add', 10, 500], ['rate', 100, 0], ['add', 10, 200], ['rate', 1_000, 20]]],
  ];

  for (const [title, interval, steps] of scenarios) {
    it(title, function () {
      const meter = new RateMeter(0, interval);
      for (const step of steps) {
        if (step[0] === 'add') meter.add(step[1], step[2]);
        else assert.strictEqual(meter.rate(step[1]), step[2], `rate(${step[1]})`);
      }
    });
  }

  it('defaults to a 1 s interval', function () {
    const meter = new RateMeter(10_000);
    meter.add(42, 10_500);
    assert.strictEqual(meter.rate(10_999), 0);
    assert.strictEqual(meter.rate(11_000), 42);
  });

  it('a busy, steady stream reads close to its true rate', function () {
    const meter = new RateMeter(0);
    let now = 0;
    for (let i = 0; i < 10_000; i++) {
      now += 2; // 500 events per second
      meter.add(1, now);
    }
    assert.ok(Math.abs(meter.rate(now) - 500) < 1, String(meter.rate(now)));
  });
});

describe('core/rate formatCount', function () {
  const table = [
    [0, '0'],
    [0.4, '0'],
    [-0.4, '0'],
    [-0, '0'],
    [1, '1'],
    [12.5, '13'],
    [950, '950'],
    [999, '999'],
    [999.4, '999'],
    [999.6, '1.0k'], // not "1000"
    [1_000, '1.0k'],
    [1_049, '1.0k'],
    [1_050, '1.1k'],
    [4_930, '4.9k'],
    [9_940, '9.9k'],
    [9_960, '10k'], // not "10.0k"
    [10_000, '10k'],
    [12_345, '12k'],
    [99_500, '100k'],
    [999_499, '999k'],
    [999_600, '1.0M'], // not "1000k"
    [1_000_000, '1.0M'],
    [2_500_000, '2.5M'],
    [9_960_000, '10M'], // not "10.0M"
    [12_345_678, '12M'],
    [1_234_567_890, '1235M'],
    [-5, '-5'],
    [-4_930, '-4.9k'],
    [-2_500_000, '-2.5M'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ];
  for (const [n, text] of table) {
    it(`${n} → ${text}`, function () {
      assert.strictEqual(formatCount(n), text);
    });
  }

  it('never prints more than 4 significant characters before the unit', function () {
    for (let n = 0; n < 20_000_000; n = Math.floor(n * 1.013) + 1) {
      const text = formatCount(n);
      assert.match(text, /^(\d{1,3}|\d\.\d[kM]|\d{2,3}[kM])$/, `${n} → ${text}`);
    }
  });
});

describe('core/rate formatExact', function () {
  const table = [
    [0, '0'],
    [-0, '0'],
    [-0.4, '0'],
    [7, '7'],
    [999, '999'],
    [1_000, '1,000'],
    [12_345, '12,345'],
    [1_234_567, '1,234,567'],
    [1_234_567.5, '1,234,568'],
    [-12_345, '-12,345'],
    [Number.MAX_SAFE_INTEGER, '9,007,199,254,740,991'],
    [NaN, 'NaN'],
  ];
  for (const [n, text] of table) {
    it(`${n} → ${text}`, function () {
      assert.strictEqual(formatExact(n), text);
    });
  }
});
