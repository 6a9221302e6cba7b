'use strict';
// Aggregates of a window against reference values: a hand-computed anchor, then tables of data
// sets checked against naive two-pass formulas with InfluxQL's definitions.
const assert = require('assert');
const { WindowEngine, parseWindowConfig, AGGREGATES } = require('../../dist/core/window');

const T0 = Date.UTC(2026, 0, 1);
const ALL = AGGREGATES.join(',');

/** Feeds [value, offsetMs] pairs into one 1-hour window and returns its output fields. */
function aggregate(points, aggregates = ALL) {
  const parsed = parseWindowConfig({ windowType: 'tumbling', size: '1h', aggregates });
  assert.ok(parsed.ok, String(parsed.problems));
  const engine = new WindowEngine(parsed.settings);
  const out = [];
  for (const [v, offset] of points) {
    const outcome = engine.add({ measurement: 'm', tags: { device: 'a' }, fields: { x: v }, timestamp: T0 + offset }, T0, out);
    assert.strictEqual(outcome.kind, 'accepted');
  }
  engine.flush(out);
  assert.strictEqual(out.length, 1);
  return out[0].reading.fields;
}

/** InfluxQL reference values, computed the slow, obvious way. */
function reference(points) {
  const values = points.map(([v]) => v);
  const n = values.length;
  const sum = values.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const sorted = [...values].sort((a, b) => a - b);
  const byTime = points.map(([v, t], i) => ({ v, t, i })).sort((a, b) => a.t - b.t || a.i - b.i);
  const first = byTime[0];
  const last = [...byTime].sort((a, b) => b.t - a.t || b.i - a.i)[0];
  const nearestRank = (q) => sorted[Math.floor(n * q + 0.5) - 1];
  const ref = {
    x_count: n,
    x_sum: sum,
    x_mean: mean,
    x_min: sorted[0],
    x_max: sorted[n - 1],
    x_first: first.v,
    x_last: last.v,
    x_spread: sorted[n - 1] - sorted[0],
    x_median: n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    x_p90: nearestRank(0.9),
    x_p95: nearestRank(0.95),
    x_p99: nearestRank(0.99),
  };
  if (n > 1) {
    // Shifted by the first value (an exact subtraction for nearby values) so the reference itself
    // does not lose the digits that a large common offset would swallow.
    const shifted = values.map((v) => v - values[0]);
    const shiftedMean = shifted.reduce((a, b) => a + b, 0) / n;
    ref.x_stddev = Math.sqrt(shifted.reduce((a, v) => a + (v - shiftedMean) ** 2, 0) / (n - 1));
  }
  if (last.t > first.t) ref.x_rate = (last.v - first.v) / ((last.t - first.t) / 1000);
  return ref;
}

function assertClose(actual, expected, label) {
  assert.deepStrictEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${label}: same aggregates`);
  for (const key of Object.keys(expected)) {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected[key]));
    assert.ok(Math.abs(actual[key] - expected[key]) <= tolerance, `${label} ${key}: ${actual[key]} vs reference ${expected[key]}`);
  }
}

describe('core/window aggregates: reference values', function () {
  it('hand-computed anchor: 2,4,4,4,5,5,7,9 one second apart', () => {
    const points = [2, 4, 4, 4, 5, 5, 7, 9].map((v, i) => [v, i * 1000]);
    assertClose(aggregate(points), {
      x_count: 8,
      x_sum: 40,
      x_mean: 5,
      x_min: 2,
      x_max: 9,
      x_first: 2,
      x_last: 9,
      x_stddev: Math.sqrt(32 / 7),
      x_spread: 7,
      x_rate: 1,
      x_median: 4.5,
      x_p90: 7,
      x_p95: 9,
      x_p99: 9,
    }, 'anchor');
  });

  const seq = (n, f) => Array.from({ length: n }, (_, i) => f(i));
  const sets = [
    ['one value: no stddev, no rate', [[21.5, 0]]],
    ['two values', [[1, 0], [3, 2000]]],
    ['identical values', seq(10, (i) => [7, i * 100])],
    ['negatives and zero', [[-5, 0], [0, 1000], [-1.5, 2000], [3, 3000], [0, 4000]]],
    ['out of order: first/last follow event time', [[5, 3000], [1, 1000], [9, 9000], [2, 2000]]],
    ['equal times: first keeps the earlier arrival, last the later', [[1, 1000], [2, 1000], [3, 1000]]],
    ['decimals', seq(37, (i) => [Math.round(Math.sin(i) * 1000) / 100, i * 997])],
    ['large offset (catastrophic cancellation for naive variance)', seq(50, (i) => [1e9 + (i % 7) * 0.001, i * 1000])],
    ['exactly the exact-mode limit (128 values)', seq(128, (i) => [(i * 37) % 101, i])],
    ['a rate that falls', [[100, 0], [40, 60_000]]],
  ];
  for (const [title, points] of sets) {
    it(title, () => assertClose(aggregate(points), reference(points), title));
  }

  it('leaves out the window reading entirely when no aggregate has a value', () => {
    const parsed = parseWindowConfig({ windowType: 'tumbling', size: '1m', aggregates: 'stddev,rate' });
    const engine = new WindowEngine(parsed.settings);
    const out = [];
    engine.add({ measurement: 'm', tags: {}, fields: { x: 1 }, timestamp: T0 }, T0, out);
    engine.flush(out);
    assert.deepStrictEqual(out, []);
    assert.strictEqual(engine.stats().openWindows, 0);
  });
});
