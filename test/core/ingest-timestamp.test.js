'use strict';
const assert = require('assert');
const { toEpochMs, epochUnit, parseIsoTimestamp, checkTimeBounds, roughDuration } = require('../../dist/core/ingest/timestamp');

const MS = Date.UTC(2024, 4, 1, 12, 0, 0, 123); // 1714564800123

describe('ingest timestamps', function () {
  describe('numbers and digit strings: the unit is read from the magnitude', function () {
    const cases = [
      ['seconds', 1714564800, 1714564800000],
      ['seconds with a fraction (kept to the ms)', 1714564800.123, MS],
      ['seconds whose fraction is inexact in binary', 1700000000.123, 1700000000123],
      ['milliseconds', MS, MS],
      ['fractional milliseconds (floored)', MS + 0.9, MS],
      ['microseconds', 1714564800123456, MS],
      ['nanoseconds (number, rounded by the double)', 1714564800123456789, MS],
      ['seconds as text', '1714564800', 1714564800000],
      ['milliseconds as text', '1714564800123', MS],
      ['microseconds as text', '1714564800123456', MS],
      ['nanoseconds as text, exact', '1714564800123999999', MS],
      ['nanoseconds as text with surrounding spaces', ' 1714564800123000000 ', MS],
      ['zero is the epoch in seconds', 0, 0],
      ['negative seconds', -86400, -86400000],
      ['negative nanoseconds as text floor toward the past', '-1000000000000000001', -1000000000001],
    ];
    for (const [what, input, expected] of cases) {
      it(`${what}: ${JSON.stringify(input)} → ${expected}`, function () {
        assert.deepStrictEqual(toEpochMs(input), { ok: true, ms: expected });
      });
    }
  });

  describe('unit boundaries', function () {
    const cases = [
      [99_999_999_999, 's'],
      [100_000_000_000, 'ms'],
      [99_999_999_999_999, 'ms'],
      [100_000_000_000_000, 'us'],
      [99_999_999_999_999_999, 'ns'], // rounds up to 1e17
      [100_000_000_000_000_000, 'ns'],
    ];
    for (const [value, unit] of cases) {
      it(`${value} is ${unit}`, function () {
        assert.strictEqual(epochUnit(value), unit);
      });
    }
  });

  describe('ISO-8601 text', function () {
    const cases = [
      ['2024-05-01T12:00:00.123Z', MS],
      ['2024-05-01T12:00:00Z', MS - 123],
      ['2024-05-01t12:00:00z', MS - 123],
      ['2024-05-01 12:00:00.123Z', MS],
      ['2024-05-01T14:00:00.123+02:00', MS],
      ['2024-05-01T14:00:00.123+0200', MS],
      ['2024-05-01T07:30:00.123-04:30', MS],
      ['2024-05-01T12:00:00.123456789Z', MS],
      ['2024-05-01T12:00:00,123Z', MS],
      ['2024-05-01T12:00:00.1Z', MS - 23],
      ['2024-05-01T12:00:00.123', MS], // no offset: UTC, whatever the machine's time zone
      ['2024-05-01T12:00', MS - 123],
      ['2024-05-01', Date.UTC(2024, 4, 1)],
      ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)], // leap second
      ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
      ['0099-01-01T00:00:00Z', -59042995200000], // not 1999: years below 100 stay as they are
    ];
    for (const [text, expected] of cases) {
      it(`${text} → ${expected}`, function () {
        assert.deepStrictEqual(toEpochMs(text), { ok: true, ms: expected });
      });
    }
  });

  describe('refused', function () {
    const cases = [
      ['2023-02-29T00:00:00Z', /neither a number nor an ISO-8601/],
      ['2024-13-01T00:00:00Z', /ISO-8601/],
      ['2024-05-01T24:00:00Z', /ISO-8601/],
      ['2024-05-01T12:60:00Z', /ISO-8601/],
      ['2024-05-01T12:00:00+25:00', /ISO-8601/],
      ['01/05/2024', /ISO-8601/],
      ['yesterday', /ISO-8601/],
      ['', /ISO-8601/],
      ['0x1234', /ISO-8601/],
      [NaN, /not a finite number/],
      [Infinity, /not a finite number/],
      [null, /got null/],
      [true, /got boolean/],
      [{ seconds: 1 }, /got an object/],
      [[1714564800], /got an array/],
      [new Date('nope'), /invalid Date/],
    ];
    for (const [input, reason] of cases) {
      it(`${String(input) || '(empty)'} is refused with a reason`, function () {
        const result = toEpochMs(input);
        assert.strictEqual(result.ok, false);
        assert.match(result.reason, reason);
      });
    }
  });

  it('a Date object is its time', function () {
    assert.deepStrictEqual(toEpochMs(new Date(MS)), { ok: true, ms: MS });
  });

  it('parseIsoTimestamp gives undefined for text that is not ISO-8601', function () {
    assert.strictEqual(parseIsoTimestamp('May 1st'), undefined);
  });

  describe('plausibility bounds', function () {
    const now = MS;
    const bounds = { maxFutureMs: 86_400_000, maxPastMs: 10 * 365 * 86_400_000 };
    const cases = [
      ['now', now, undefined],
      ['exactly maxFuture ahead', now + 86_400_000, undefined],
      ['1 ms beyond maxFuture', now + 86_400_001, /in the future \(maxFuture allows 24 h\)/],
      ['seconds read as ms would be: 1970', 1714564800, /years in the past/],
      ['an unset RTC: 2000-01-01', Date.UTC(2000, 0, 1), /24\.3 years in the past \(maxPast allows 10 years\)/],
      ['a year 2106 overflow', Date.UTC(2106, 1, 7), /in the future/],
    ];
    for (const [what, ts, expected] of cases) {
      it(`${what}: ${expected ? 'refused' : 'accepted'}`, function () {
        const reason = checkTimeBounds(ts, now, bounds);
        if (expected) assert.match(reason, expected);
        else assert.strictEqual(reason, undefined);
      });
    }
    it('undefined bounds accept anything', function () {
      assert.strictEqual(checkTimeBounds(0, now, { maxFutureMs: undefined, maxPastMs: undefined }), undefined);
    });
    it('names the instant in ISO form', function () {
      assert.match(checkTimeBounds(Date.UTC(2030, 0, 1), now, bounds), /timestamp 2030-01-01T00:00:00\.000Z is/);
    });
  });

  describe('rough durations', function () {
    for (const [ms, text] of [[1_500, '1.5 s'], [600_000, '10 min'], [5 * 3_600_000, '5 h'], [3 * 86_400_000, '3 days'], [1e12, '31.7 years']]) {
      it(`${ms} ms → ${text}`, function () {
        assert.strictEqual(roughDuration(ms), text);
      });
    }
  });
});
