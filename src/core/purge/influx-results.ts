import type { Reading } from '../reading';

/**
 * Reading InfluxDB's JSON answers: retention policies, field keys, counts, the oldest point,
 * SELECT INTO's `written`. Pure functions over the decoded `/query` body.
 */

/** One statement's result in a `/query` answer (the shape InfluxServer.query returns). */
export interface QueryResult {
  statement_id?: number;
  error?: string;
  series?: Array<{ name?: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Go's time.Duration text as InfluxDB prints it (`168h0m0s`, `1h30m0s`, `0s`) → ms. */
export function parseGoDuration(text: string): number {
  if (text === '0' || text === '0s') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (GO_UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`cannot read duration ${JSON.stringify(text)}`);
  return Math.round(total);
}

export interface RetentionPolicyInfo {
  name: string;
  /** 0 = infinite. */
  durationMs: number;
  shardGroupDurationMs: number;
  replicaN: number;
  isDefault: boolean;
}

function rowsOf(result: QueryResult | undefined): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const series of result?.series ?? []) {
    for (const values of series.values ?? []) {
      const row: Record<string, unknown> = { ...(series.tags ?? {}) };
      series.columns.forEach((column, i) => {
        row[column] = values[i];
      });
      rows.push(row);
    }
  }
  return rows;
}

export function parseRetentionPolicies(result: QueryResult | undefined): RetentionPolicyInfo[] {
  return rowsOf(result).map((row) => ({
    name: String(row.name),
    durationMs: parseGoDuration(String(row.duration ?? '0s')),
    shardGroupDurationMs: parseGoDuration(String(row.shardGroupDuration ?? '0s')),
    replicaN: Number(row.replicaN ?? 1),
    isDefault: row.default === true,
  }));
}

/** Field name → InfluxDB type (`float`, `integer`, `string`, `boolean`, `unsigned`). */
export function parseFieldKeys(result: QueryResult | undefined): Map<string, string> {
  const fields = new Map<string, string>();
  for (const row of rowsOf(result)) fields.set(String(row.fieldKey), String(row.fieldType));
  return fields;
}

/** The `time` (epoch ms) of the first row, or undefined when there is none. */
export function firstRowTime(result: QueryResult | undefined): number | undefined {
  const row = rowsOf(result)[0];
  return row && typeof row.time === 'number' ? row.time : undefined;
}

/** SELECT … INTO answers one row `{ time: 0, written: N }`. */
export function writtenCount(result: QueryResult | undefined): number {
  const row = rowsOf(result)[0];
  return row && typeof row.written === 'number' ? row.written : 0;
}

/** Series key → (field → count), from `SELECT COUNT(*) … GROUP BY *` (columns `count_<field>`). */
export type SeriesFieldCounts = Map<string, Map<string, number>>;

/** A stable key for a series: its non-empty tags, sorted (GROUP BY * reports absent tags as ""). */
export function seriesKey(tags: Record<string, string> | undefined): string {
  const entries = Object.entries(tags ?? {})
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

export function parseSeriesFieldCounts(result: QueryResult | undefined): SeriesFieldCounts {
  const out: SeriesFieldCounts = new Map();
  for (const series of result?.series ?? []) {
    const key = seriesKey(series.tags);
    const fields = out.get(key) ?? new Map<string, number>();
    for (const values of series.values ?? []) {
      series.columns.forEach((column, i) => {
        const value = values[i];
        if (column !== 'time' && typeof value === 'number' && value > 0) {
          const field = column.replace(/^count_/, '');
          fields.set(field, (fields.get(field) ?? 0) + value);
        }
      });
    }
    out.set(key, fields);
  }
  return out;
}

/**
 * Points (rows) from per-field counts: for each series the largest field count, summed.
 * InfluxQL has no row count (COUNT(*) counts each field separately); a point has at least one
 * field, so this is exact whenever one field of a series is present on every point of it — true
 * for readings with a fixed set of fields — and otherwise a lower bound.
 */
export function pointsFromCounts(counts: SeriesFieldCounts): number {
  let total = 0;
  for (const fields of counts.values()) {
    let max = 0;
    for (const n of fields.values()) max = Math.max(max, n);
    total += max;
  }
  return total;
}

export interface CountShortfall {
  series: string;
  field: string;
  expected: number;
  found: number;
}

/**
 * Compares what a downsample should have written (per series and output field) with what the
 * target holds for the same range; every shortfall is returned (empty = verified).
 */
export function downsampleShortfalls(expected: SeriesFieldCounts, found: SeriesFieldCounts): CountShortfall[] {
  const shortfalls: CountShortfall[] = [];
  for (const [series, fields] of expected) {
    const have = found.get(series);
    for (const [field, n] of fields) {
      const got = have?.get(field) ?? 0;
      if (got < n) shortfalls.push({ series, field, expected: n, found: got });
    }
  }
  return shortfalls;
}

/**
 * The rows of an aggregateStatement answer as readings of `measurement`: the series' tags (empty
 * ones left out, as GROUP BY * reports absent tags as ""), every non-null column but `time` as a
 * field, time = the bucket start. A row whose aggregates are all null (an empty bucket) is skipped.
 */
export function aggregateReadings(result: QueryResult | undefined, measurement: string): Reading[] {
  const out: Reading[] = [];
  for (const series of result?.series ?? []) {
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(series.tags ?? {})) if (v !== '') tags[k] = v;
    const timeAt = series.columns.indexOf('time');
    for (const values of series.values ?? []) {
      const fields: Record<string, number | string | boolean> = {};
      series.columns.forEach((column, i) => {
        const value = values[i];
        if (i !== timeAt && value !== null && value !== undefined && ['number', 'string', 'boolean'].includes(typeof value)) {
          fields[column] = value as number | string | boolean;
        }
      });
      const time = values[timeAt];
      if (Object.keys(fields).length > 0 && typeof time === 'number') out.push({ measurement, tags, fields, timestamp: time });
    }
  }
  return out;
}
