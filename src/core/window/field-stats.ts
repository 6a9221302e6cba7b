/**
 * Running aggregates of one field in one window, in O(1) memory: ten numbers, plus a bounded
 * t-digest when a percentile is asked for. Nothing here keeps the values themselves.
 */
import type { Aggregate } from './spec';
import { TDigest, TDigestJSON } from './tdigest';

/** Snapshot form: [n, sum, shift, mean, m2, min, max, firstValue, firstTime, lastValue, lastTime, digest?] */
export type FieldStatsJSON = [number, number, number, number, number, number, number, number, number, number, number, TDigestJSON?];

export class FieldStats {
  n = 0;
  sum = 0;
  /**
   * Welford's running mean and sum of squared deviations, for a stable sample variance, taken
   * of value − shift (the first value): readings such as 1e9 + 0.001·k keep their small digits.
   */
  private shift = 0;
  private mean = 0;
  private m2 = 0;
  min = Infinity;
  max = -Infinity;
  firstValue = 0;
  firstTime = Infinity;
  lastValue = 0;
  lastTime = -Infinity;
  digest: TDigest | undefined;

  constructor(withDigest: boolean) {
    this.digest = withDigest ? new TDigest() : undefined;
  }

  /** `time` is the reading's event time: first/last (and so rate) follow it, not arrival order. */
  add(value: number, time: number): void {
    if (this.n === 0) this.shift = value;
    this.n++;
    this.sum += value;
    const shifted = value - this.shift;
    const delta = shifted - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (shifted - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // Equal times: first keeps the earlier arrival, last takes the later one.
    if (time < this.firstTime) {
      this.firstTime = time;
      this.firstValue = value;
    }
    if (time >= this.lastTime) {
      this.lastTime = time;
      this.lastValue = value;
    }
    this.digest?.add(value);
  }

  /** Folds `other` in (Chan et al.'s pairwise update for the variance). */
  merge(other: FieldStats): void {
    if (other.n === 0) return;
    if (this.n === 0) this.shift = other.shift;
    const n = this.n + other.n;
    const delta = other.mean + (other.shift - this.shift) - this.mean;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.mean += (delta * other.n) / n;
    this.n = n;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    if (other.firstTime < this.firstTime) {
      this.firstTime = other.firstTime;
      this.firstValue = other.firstValue;
    }
    if (other.lastTime >= this.lastTime) {
      this.lastTime = other.lastTime;
      this.lastValue = other.lastValue;
    }
    if (this.digest && other.digest) this.digest.merge(other.digest);
  }

  /** The aggregate's value, or undefined where it has none (InfluxQL gives null there too). */
  value(aggregate: Aggregate): number | undefined {
    switch (aggregate) {
      case 'count':
        return this.n;
      case 'sum':
        return this.sum;
      case 'mean':
        return this.sum / this.n;
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'first':
        return this.firstValue;
      case 'last':
        return this.lastValue;
      case 'spread':
        return this.max - this.min;
      case 'stddev':
        // Sample standard deviation, as InfluxQL's STDDEV: undefined for a single value.
        return this.n > 1 ? Math.sqrt(Math.max(0, this.m2) / (this.n - 1)) : undefined;
      case 'rate':
        // Change per second of event time between the first and the last value.
        return this.lastTime > this.firstTime ? (this.lastValue - this.firstValue) / ((this.lastTime - this.firstTime) / 1000) : undefined;
      case 'median':
        return this.digest?.median();
      case 'p90':
        return this.digest?.quantile(0.9);
      case 'p95':
        return this.digest?.quantile(0.95);
      case 'p99':
        return this.digest?.quantile(0.99);
    }
  }

  toJSON(): FieldStatsJSON {
    const json: FieldStatsJSON = [
      this.n,
      this.sum,
      this.shift,
      this.mean,
      this.m2,
      this.min,
      this.max,
      this.firstValue,
      this.firstTime,
      this.lastValue,
      this.lastTime,
    ];
    if (this.digest) json.push(this.digest.toJSON());
    return json;
  }

  static fromJSON(json: FieldStatsJSON): FieldStats {
    // ±Infinity (first/last time of an empty field) is null in JSON; a field in a snapshot is never empty.
    if (!Array.isArray(json) || json.length < 11 || json.slice(0, 11).some((v) => typeof v !== 'number')) {
      throw new TypeError('field statistics must be an array of eleven numbers');
    }
    const stats = new FieldStats(false);
    [stats.n, stats.sum, stats.shift, stats.mean, stats.m2, stats.min, stats.max, stats.firstValue, stats.firstTime, stats.lastValue, stats.lastTime] = json;
    const digest = json[11];
    if (digest) stats.digest = TDigest.fromJSON(digest);
    return stats;
  }
}
