'use strict';
// Percentiles: the t-digest's RANK error on 100,000 values (≤ 1 % required), through the digest
// and through the window engine, for distributions sensors produce, with negatives, zeros and
// ties; merging; the snapshot round trip; and why DDSketch was not used.
const assert = require('assert');
const { TDigest, EXACT_LIMIT, WindowEngine, parseWindowConfig } = require('../../dist/core/window');

const N = 100_000;
const QUANTILES = [
  ['median', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
];

/** A seeded generator (LCG) and a normal variate: the same 100,000 values on every run. */
function rng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const normal = (r) => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());

const DISTRIBUTIONS = [
  ['uniform 0..100', (r) => r() * 100],
  ['room temperature, narrow (21.5 ± 0.2)', (r) => 21.5 + 0.2 * normal(r)],
  ['around zero, half negative', (r) => 5 * normal(r)],
  ['half exact zeros', (r) => (r() < 0.5 ? 0 : r() * 10)],
  ['log-normal (latencies, heavy tail)', (r) => Math.exp(2 * normal(r))],
  ['quantised to 0.1 (many ties)', (r) => Math.round((21.5 + normal(r)) * 10) / 10],
  ['integers (ties)', (r) => Math.round(10 + 3 * normal(r))],
  ['bimodal', (r) => (r() < 0.9 ? normal(r) : 1000 + normal(r))],
  ['ascending ramp', null],
];

function values(make, seed = 7) {
  const r = rng(seed);
  return Array.from({ length: N }, (_, i) => (make ? make(r) : i / 10));
}

/** Rank error of `estimate` for quantile q: distance from q·n to the ranks the value holds (ties count). */
function rankError(sorted, estimate, q) {
  const below = lowerBound(sorted, estimate, false);
  const atOrBelow = lowerBound(sorted, estimate, true);
  const target = q * sorted.length;
  if (target >= below && target <= atOrBelow) return 0;
  return Math.min(Math.abs(below - target), Math.abs(atOrBelow - target)) / sorted.length;
}
function lowerBound(sorted, x, inclusive) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (inclusive ? sorted[mid] <= x : sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const estimate = (digest, q) => (q === 0.5 ? digest.median() : digest.quantile(q));

describe('core/window t-digest: rank error on 100,000 values', function () {
  for (const [name, make] of DISTRIBUTIONS) {
    it(`${name}: median, p90, p95, p99 within 1 %`, () => {
      const data = values(make);
      const digest = new TDigest();
      for (const v of data) digest.add(v);
      const sorted = [...data].sort((a, b) => a - b);
      for (const [label, q] of QUANTILES) {
        const error = rankError(sorted, estimate(digest, q), q);
        assert.ok(error <= 0.01, `${label}: rank error ${(error * 100).toFixed(3)} %`);
      }
    });
  }

  it('percentiles through the window engine: one window of 100,000 readings', () => {
    const parsed = parseWindowConfig({ windowType: 'tumbling', size: '1d', aggregates: 'median,p90,p95,p99' });
    const engine = new WindowEngine(parsed.settings);
    const data = values(DISTRIBUTIONS[2][1], 11);
    const t0 = Date.UTC(2026, 0, 1);
    const out = [];
    data.forEach((v, i) => engine.add({ measurement: 'm', tags: { device: 'a' }, fields: { x: v }, timestamp: t0 + i }, t0, out));
    engine.flush(out);
    const sorted = [...data].sort((a, b) => a - b);
    for (const [label, q] of QUANTILES) {
      const error = rankError(sorted, out[0].reading.fields[`x_${label}`], q);
      assert.ok(error <= 0.01, `${label}: rank error ${(error * 100).toFixed(3)} %`);
    }
  });

  it('stays bounded: at most δ + 1 centroids plus one buffer, whatever n', () => {
    const digest = new TDigest();
    for (const v of values(DISTRIBUTIONS[4][1])) digest.add(v);
    assert.ok(digest.size <= 2 * (digest.compression + 1) + EXACT_LIMIT, `size ${digest.size}`);
  });
});

describe('core/window t-digest: merging (sessions bridged by a reading)', function () {
  for (const [name, make] of DISTRIBUTIONS.filter(([n]) => !/ties/.test(n))) {
    it(`${name}: ten merged digests of 10,000 are within 1 %`, () => {
      const data = values(make, 3);
      const merged = new TDigest();
      for (let part = 0; part < 10; part++) {
        const digest = new TDigest();
        for (let i = part * 10_000; i < (part + 1) * 10_000; i++) digest.add(data[i]);
        merged.merge(digest);
      }
      assert.strictEqual(merged.count, N);
      const sorted = [...data].sort((a, b) => a - b);
      for (const [label, q] of QUANTILES) {
        const error = rankError(sorted, estimate(merged, q), q);
        assert.ok(error <= 0.01, `${label}: rank error ${(error * 100).toFixed(3)} %`);
      }
    });
  }

  it('two small exact digests stay exact when merged', () => {
    const a = new TDigest();
    const b = new TDigest();
    [1, 2, 3].forEach((v) => a.add(v));
    [4, 5].forEach((v) => b.add(v));
    a.merge(b);
    assert.strictEqual(a.exact, true);
    assert.strictEqual(a.median(), 3);
  });
});

describe('core/window t-digest: exact while small, like InfluxQL', function () {
  // [values, median (MEDIAN: mean of the middle two), p90 (PERCENTILE: nearest rank)]
  const cases = [
    [[5], 5, 5],
    [[1, 2], 1.5, 2],
    [[4, 1, 3, 2], 2.5, 4],
    [[-3, 0, 0, 7], 0, 7],
    [Array.from({ length: 10 }, (_, i) => i + 1), 5.5, 9],
    [Array.from({ length: EXACT_LIMIT }, (_, i) => EXACT_LIMIT - i), (EXACT_LIMIT + 1) / 2, Math.floor(EXACT_LIMIT * 0.9 + 0.5)],
  ];
  for (const [data, median, p90] of cases) {
    it(`${data.length <= 10 ? JSON.stringify(data) : `${data.length} values`} → median ${median}, p90 ${p90}`, () => {
      const digest = new TDigest();
      data.forEach((v) => digest.add(v));
      assert.strictEqual(digest.exact, true);
      assert.strictEqual(digest.median(), median);
      assert.strictEqual(digest.quantile(0.9), p90);
    });
  }

  it('an empty digest has no quantiles', () => {
    assert.strictEqual(new TDigest().median(), undefined);
    assert.strictEqual(new TDigest().quantile(0.99), undefined);
  });

  it('one value past the limit switches to centroids, with the same answer range', () => {
    const digest = new TDigest();
    for (let i = 0; i <= EXACT_LIMIT; i++) digest.add(i);
    assert.strictEqual(digest.exact, false);
    assert.ok(Math.abs(digest.median() - EXACT_LIMIT / 2) <= 1);
  });
});

describe('core/window t-digest: snapshot', function () {
  it('a JSON round trip answers exactly as the original', () => {
    const digest = new TDigest();
    for (const v of values(DISTRIBUTIONS[1][1]).slice(0, 5_000)) digest.add(v);
    const copy = TDigest.fromJSON(JSON.parse(JSON.stringify(digest.toJSON())));
    for (const [, q] of QUANTILES) assert.strictEqual(estimate(copy, q), estimate(digest, q));
    assert.strictEqual(copy.count, digest.count);
  });
});
