'use strict';
const assert = require('assert');
const s = require('../../dist/core/purge/slices');

const H = 3_600_000;
const D = 24 * H;
const iso = (ms) => new Date(ms).toISOString();

describe('purge slices', function () {
  describe('shard group boundaries (Go Truncate from year 1)', function () {
    const table = [
      // Measured on InfluxDB 1.6: a 7d group 2026-11-16 (Monday) .. 2026-11-23.
      ['7d groups begin on Mondays', Date.parse('2026-11-19T12:00:00Z'), 7 * D, '2026-11-16T00:00:00.000Z'],
      ['on a boundary', Date.parse('2026-11-23T00:00:00Z'), 7 * D, '2026-11-23T00:00:00.000Z'],
      ['1d groups begin at midnight UTC', Date.parse('2026-03-05T23:59:59.999Z'), D, '2026-03-05T00:00:00.000Z'],
      ['1h groups', Date.parse('2026-03-05T10:30:00Z'), H, '2026-03-05T10:00:00.000Z'],
      ['before 1970', Date.parse('1969-12-31T12:00:00Z'), 7 * D, '1969-12-29T00:00:00.000Z'],
    ];
    for (const [label, t, d, expected] of table) {
      it(label, function () {
        assert.strictEqual(iso(s.shardGroupStart(t, d)), expected);
      });
    }
  });

  describe('default shard group duration (InfluxDB rules)', function () {
    const table = [
      ['infinite', 0, 7 * D],
      ['1 day', D, H],
      ['2 days', 2 * D, D],
      ['180 days', 180 * D, D],
      ['1 year', 365 * D, 7 * D],
    ];
    for (const [label, rp, expected] of table) {
      it(label, function () {
        assert.strictEqual(s.defaultShardGroupDuration(rp), expected);
      });
    }
  });

  describe('sliceAt', function () {
    const cutoff = Date.parse('2026-11-20T00:00:00Z');
    const table = [
      ['from the oldest point to the end of its shard group', Date.parse('2026-11-03T05:00:00Z'), { shardGroupMs: 7 * D, alignMs: 1, cutoff }, ['2026-11-03T05:00:00.000Z', '2026-11-09T00:00:00.000Z']],
      ['a whole shard group', Date.parse('2026-11-09T00:00:00Z'), { shardGroupMs: 7 * D, alignMs: 1, cutoff }, ['2026-11-09T00:00:00.000Z', '2026-11-16T00:00:00.000Z']],
      ['the last slice ends at the cutoff', Date.parse('2026-11-16T00:00:00Z'), { shardGroupMs: 7 * D, alignMs: 1, cutoff }, ['2026-11-16T00:00:00.000Z', '2026-11-20T00:00:00.000Z']],
      [
        'widened to whole 1w buckets (epoch weeks start on Thursdays)',
        Date.parse('2026-11-03T05:00:00Z'),
        { shardGroupMs: 7 * D, alignMs: 7 * D, cutoff },
        ['2026-10-29T00:00:00.000Z', '2026-11-12T00:00:00.000Z'],
      ],
      ['1h buckets inside a 1d group', Date.parse('2026-11-03T05:20:00Z'), { shardGroupMs: D, alignMs: H, cutoff }, ['2026-11-03T05:00:00.000Z', '2026-11-04T00:00:00.000Z']],
    ];
    for (const [label, t, grid, [start, end]] of table) {
      it(label, function () {
        const slice = s.sliceAt(t, grid);
        assert.deepStrictEqual([iso(slice.start), iso(slice.end)], [start, end]);
        assert.ok(slice.start <= t && t < slice.end);
      });
    }
    it('consecutive slices neither overlap nor leave gaps', function () {
      const grid = { shardGroupMs: 7 * D, alignMs: 7 * D, cutoff };
      let t = Date.parse('2026-01-01T00:00:00Z');
      let previous = s.sliceAt(t, grid);
      for (t = previous.end; t < cutoff; t = previous.end) {
        const next = s.sliceAt(t, grid);
        assert.strictEqual(next.start, previous.end);
        assert.ok(next.end > next.start);
        previous = next;
      }
      assert.strictEqual(previous.end, cutoff);
    });
    it('refuses a time at or after the cutoff', function () {
      assert.throws(() => s.sliceAt(cutoff, { shardGroupMs: D, alignMs: 1, cutoff }), RangeError);
    });
  });

  describe('splitSlice', function () {
    const table = [
      ['even parts', { start: 0, end: 100 }, 4, 1, [[0, 25], [25, 50], [50, 75], [75, 100]]],
      ['aligned parts', { start: 0, end: 10 * H }, 3, H, [[0, 3 * H], [3 * H, 7 * H], [7 * H, 10 * H]]],
      ['no more parts than buckets', { start: 0, end: 2 * H }, 10, H, [[0, H], [H, 2 * H]]],
      ['one part', { start: 5, end: 9 }, 1, 1, [[5, 9]]],
    ];
    for (const [label, slice, parts, align, expected] of table) {
      it(label, function () {
        assert.deepStrictEqual(s.splitSlice(slice, parts, align).map((r) => [r.start, r.end]), expected);
      });
    }
  });

  describe('cutoffFor', function () {
    const now = Date.parse('2026-11-24T03:17:42.123Z');
    const table = [
      ['exact to the ms', 90 * D, 1, '2026-08-26T03:17:42.123Z'],
      ['rounded down to whole hours for 1h downsampling', 90 * D, H, '2026-08-26T03:00:00.000Z'],
      ['rounded down to whole days', 7 * D, D, '2026-11-17T00:00:00.000Z'],
    ];
    for (const [label, olderThan, align, expected] of table) {
      it(label, function () {
        assert.strictEqual(iso(s.cutoffFor(now, olderThan, align)), expected);
      });
    }
  });

  it('progressFraction is clamped to 0..1', function () {
    assert.deepStrictEqual([s.progressFraction(0, 100, 50), s.progressFraction(0, 100, 150), s.progressFraction(0, 100, -5), s.progressFraction(5, 5, 5)], [0.5, 1, 0, 1]);
  });
});
