'use strict';
const assert = require('assert');
const fc = require('fast-check');
const { parseDuration, parseOptionalDuration, formatDuration, DurationError } = require('../../dist/core/duration');

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const W = 7 * D;

// [input, expected ms]
const valid = [
  ['500ms', 500],
  ['10s', 10 * S],
  ['5m', 5 * M],
  ['1h', H],
  ['30d', 30 * D],
  ['2w', 2 * W],
  ['1h30m', H + 30 * M],
  ['1h 30m', H + 30 * M],
  ['1d2h3m4s5ms', D + 2 * H + 3 * M + 4 * S + 5],
  ['1.5s', 1_500],
  ['0.5m', 30 * S],
  ['0.25h', 15 * M],
  ['1.5ms', 1.5],
  [' 10 s ', 10 * S],
  ['10 ms', 10],
  ['\t5m\n', 5 * M],
  ['10S', 10 * S],
  ['1H', H],
  ['250MS', 250],
  ['0s', 0],
  ['0', 0],
  ['500', 500],
  [' 500 ', 500],
  ['1.5', 1.5],
  ['007s', 7 * S],
  [500, 500],
  [0, 0],
  [1.5, 1.5],
  [2 ** 40, 2 ** 40],
];

// [input, regex the message must match]
const invalid = [
  ['', /empty/],
  ['   ', /empty/],
  ['-1', /negative/],
  ['-5s', /negative/],
  [-1, /non-negative/],
  [NaN, /NaN.*non-negative/],
  [Infinity, /non-negative/],
  [-Infinity, /non-negative/],
  ['abc', /cannot read "abc".*ms, s, m, h, d or w/],
  ['10x', /cannot read "10x"/],
  ['s', /cannot read "s"/],
  ['ms', /cannot read "ms"/],
  ['1m5', /cannot read "5"/],
  ['5m s', /cannot read "s"/],
  ['1e3', /cannot read/],
  ['.5s', /cannot read/],
  ['1.s', /cannot read/],
  ['1,5s', /cannot read/],
  ['10 seconds', /cannot read/],
  ['1 h 30', /cannot read "30"/],
  ['Infinity', /cannot read/],
  ['NaN', /cannot read/],
  ['0x10', /cannot read/],
  ['9'.repeat(400), /too large/],
  ['9'.repeat(400) + 's', /too large/],
  [null, /expected text/],
  [undefined, /expected text/],
  [true, /expected text/],
  [{}, /an object.*expected text/],
  [{ value: 10, unit: 's' }, /expected text/],
  [[10, 's'], /an array/],
  [10n, /expected text/],
];

describe('core/duration parseDuration', function () {
  for (const [input, expected] of valid) {
    it(`${JSON.stringify(input)} → ${expected} ms`, function () {
      assert.strictEqual(parseDuration(input), expected);
    });
  }

  for (const [input, message] of invalid) {
    const title = typeof input === 'bigint' ? `${input}n` : typeof input === 'string' && input.length > 20 ? `${input.slice(0, 20)}…` : String(JSON.stringify(input));
    it(`refuses ${title}`, function () {
      assert.throws(
        () => parseDuration(input),
        (err) => {
          assert.ok(err instanceof DurationError, `not a DurationError: ${err}`);
          assert.strictEqual(err.name, 'DurationError');
          assert.strictEqual(err.input, input);
          assert.match(err.message, /^invalid duration /);
          assert.match(err.message, message);
          assert.ok(err.message.length < 200, `message too long: ${err.message.length}`);
          return true;
        },
      );
    });
  }

  it('does not choke on a circular object', function () {
    const o = {};
    o.self = o;
    assert.throws(() => parseDuration(o), DurationError);
  });

  it('is not confused by earlier failures (sticky regex state)', function () {
    assert.throws(() => parseDuration('5m x'));
    assert.strictEqual(parseDuration('5m'), 5 * M);
    assert.strictEqual(parseDuration('1h30m'), H + 30 * M);
  });
});

describe('core/duration parseOptionalDuration', function () {
  const table = [
    [undefined, 7, 7],
    [null, 7, 7],
    ['', 7, 7],
    ['  ', undefined, undefined],
    ['10s', 7, 10 * S],
    [0, 7, 0],
    ['0', 7, 0],
  ];
  for (const [input, fallback, expected] of table) {
    it(`${JSON.stringify(input)} (fallback ${fallback}) → ${expected}`, function () {
      assert.strictEqual(parseOptionalDuration(input, fallback), expected);
    });
  }
  it('still refuses garbage', function () {
    assert.throws(() => parseOptionalDuration('10x', 1), DurationError);
    assert.throws(() => parseOptionalDuration({}, 1), DurationError);
  });
});

describe('core/duration formatDuration', function () {
  const table = [
    [0, '0ms'],
    [1, '1ms'],
    [500, '500ms'],
    [1_500, '1500ms'],
    [1.5, '1.5ms'],
    [S, '1s'],
    [10 * S, '10s'],
    [90 * S, '90s'],
    [M, '1m'],
    [90 * M, '90m'],
    [H, '1h'],
    [36 * H, '36h'],
    [D, '1d'],
    [30 * D, '30d'],
    [W, '1w'],
    [2 * W, '2w'],
    [14 * D + H, '337h'],
  ];
  for (const [ms, text] of table) {
    it(`${ms} → ${text}`, function () {
      assert.strictEqual(formatDuration(ms), text);
      assert.strictEqual(parseDuration(text), ms);
    });
  }

  it('round trips any whole number of ms (property)', function () {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * D }), (ms) => parseDuration(formatDuration(ms)) === ms),
      { numRuns: 2_000, seed: 42 },
    );
  });

  it('round trips whole numbers of each unit (property)', function () {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(1, S, M, H, D, W), (n, unit) => {
        const text = formatDuration(n * unit);
        return parseDuration(text) === n * unit && text.length <= `${n * unit}ms`.length;
      }),
      { numRuns: 2_000, seed: 43 },
    );
  });

  it('parses every combination it could print (property)', function () {
    const part = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w'));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.constantFrom('', ' '), (parts, sep) => {
        const unit = { ms: 1, s: S, m: M, h: H, d: D, w: W };
        const text = parts.map(([n, u]) => `${n}${u}`).join(sep);
        return parseDuration(text) === parts.reduce((sum, [n, u]) => sum + n * unit[u], 0);
      }),
      { numRuns: 2_000, seed: 44 },
    );
  });
});
