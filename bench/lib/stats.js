'use strict';
// Small statistics for the runner: medians over runs, percentiles, and the latency mapping.

/** Median of the finite numbers in `values` (undefined when there are none). */
function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted array. */
function percentileSorted(sorted, p) {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * End-to-end latency of each landed point, publish → queryable.
 *
 * `publishTimes[k]` is when the k-th message was published; `arrivals` are the count polls in
 * time order, `{ t, count }` (t: when the poll saw `count` points in InfluxDB). Points are
 * matched in order: the k-th point to become queryable is taken to be the k-th published, and it
 * became queryable at the first poll whose count exceeds k. Over a run of a fixed-rate
 * publisher the pipelines here keep (near) FIFO order, so the distribution is right even where
 * single points are swapped; the error is bounded by the poll interval (+ the query's own time).
 *
 * Returns the latencies of the landed points (ms), in publish order.
 */
function latencies(publishTimes, arrivals) {
  const out = [];
  let k = 0;
  for (const { t, count } of arrivals) {
    while (k < count && k < publishTimes.length) {
      out.push(t - publishTimes[k]);
      k++;
    }
  }
  return out;
}

function summarizeLatency(values) {
  if (values.length === 0) return { p50Ms: undefined, p99Ms: undefined, maxMs: undefined, points: 0 };
  const sorted = Float64Array.from(values).sort();
  return {
    p50Ms: Math.round(percentileSorted(sorted, 50)),
    p99Ms: Math.round(percentileSorted(sorted, 99)),
    maxMs: Math.round(sorted[sorted.length - 1]),
    points: sorted.length,
  };
}

module.exports = { median, percentileSorted, latencies, summarizeLatency };
