/**
 * Where the purge cuts a long time range into statements. A slice is one shard group's worth
 * of time: InfluxDB 1.x stores each shard group in its own shard, so a statement that stays
 * inside one touches one shard, and a purge of years of data becomes a sequence of short
 * statements instead of one that can stall the server. Slices with many points are split
 * further (`splitSlice`).
 */
import type { TimeRange } from '../influxql/statements';

/** 0001-01-01T00:00:00Z in epoch ms: Go's zero time, to which InfluxDB truncates shard groups. */
export const GO_ZERO_TIME_MS = -62_135_596_800_000;

/** Shard group duration InfluxDB picks for a retention policy of `durationMs` (0 = infinite). */
export function defaultShardGroupDuration(durationMs: number): number {
  const DAY = 86_400_000;
  if (durationMs > 0 && durationMs < 2 * DAY) return 3_600_000;
  if (durationMs > 0 && durationMs <= 180 * DAY) return DAY;
  return 7 * DAY;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Start of the shard group holding `t` (Go's `Time.Truncate`: 7d groups begin on Mondays). */
export function shardGroupStart(t: number, shardGroupMs: number): number {
  return t - mod(t - GO_ZERO_TIME_MS, shardGroupMs);
}

/** Largest multiple of `stepMs` (counted from the epoch, as GROUP BY time() does) ≤ t. */
export function alignDown(t: number, stepMs: number): number {
  return t - mod(t, stepMs);
}

export function alignUp(t: number, stepMs: number): number {
  const down = alignDown(t, stepMs);
  return down === t ? t : down + stepMs;
}

export interface SliceGrid {
  /** Slice length before alignment: the retention policy's shard group duration. */
  shardGroupMs: number;
  /** Every boundary is a multiple of this (the downsample interval, or 1 ms). */
  alignMs: number;
  /** Exclusive end of everything the purge may touch; a multiple of alignMs. */
  cutoff: number;
}

/**
 * The slice that starts at `t` (the oldest point left, or the end of the previous slice;
 * t < cutoff) and runs to the end of t's shard group. Both ends are widened to whole `alignMs`
 * buckets so a downsample bucket is never split between two statements (the second would
 * overwrite the first with a partial aggregate); the end is the cutoff at the latest.
 */
export function sliceAt(t: number, grid: SliceGrid): TimeRange {
  if (!(t < grid.cutoff)) throw new RangeError(`time ${t} is not before the cutoff ${grid.cutoff}`);
  const groupEnd = shardGroupStart(t, grid.shardGroupMs) + grid.shardGroupMs;
  const start = alignDown(t, grid.alignMs);
  const end = Math.min(grid.cutoff, alignUp(groupEnd, grid.alignMs));
  return { start, end };
}

/**
 * Cuts a slice into at most `parts` consecutive pieces of about equal length, each a whole
 * number of `alignMs` (fewer pieces when the slice holds fewer buckets).
 */
export function splitSlice(slice: TimeRange, parts: number, alignMs: number): TimeRange[] {
  const buckets = Math.round((slice.end - slice.start) / alignMs);
  const count = Math.max(1, Math.min(Math.floor(parts), buckets));
  const out: TimeRange[] = [];
  let start = slice.start;
  for (let i = 1; i <= count; i++) {
    const end = i === count ? slice.end : slice.start + Math.round((buckets * i) / count) * alignMs;
    if (end > start) out.push({ start, end });
    start = end;
  }
  return out;
}

/** The cutoff of a run: `olderThan` before now, rounded down to whole `alignMs` buckets. */
export function cutoffFor(now: number, olderThanMs: number, alignMs: number): number {
  return alignDown(Math.floor(now - olderThanMs), alignMs);
}

/** How far through [first, cutoff) a purge that has reached `position` is, 0..1. */
export function progressFraction(first: number, cutoff: number, position: number): number {
  if (cutoff <= first) return 1;
  return Math.min(1, Math.max(0, (position - first) / (cutoff - first)));
}
