/**
 * InfluxDB's query answer (the 1.x JSON shape: results → series → columns/values, which the io
 * layer also builds from 3.x's row format) as what the node sends: readings, chart points for
 * FlowFuse Dashboard 2.0's ui-chart, or plain rows. Every builder stops at `maxRows` rows and
 * says so (`truncated`), so one answer never becomes an unbounded msg.
 */
import type { FieldValue, Reading } from '../reading';

export interface QuerySeries {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface QueryStatementResult {
  statement_id?: number;
  error?: string;
  series?: QuerySeries[];
}

/** One point of a ui-chart line: `series` is the line's label, `x` epoch ms, `y` the value. */
export interface ChartPoint {
  series: string;
  x: number;
  y: number;
}

export interface Built<T> {
  items: T[];
  /** Rows read (at most maxRows). */
  rows: number;
  /** The answer had more rows than maxRows; the rest was left out. */
  truncated: boolean;
}

/** The `time` column as epoch ms: a number (epoch=ms) or RFC 3339 text (3.x rows). */
export function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function isScalar(value: unknown): value is FieldValue {
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string' || typeof value === 'boolean';
}

/** Non-empty tags (GROUP BY * reports a tag a series lacks as ""). */
function tagsOf(series: QuerySeries): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(series.tags ?? {})) if (v !== '') tags[k] = v;
  return tags;
}

/** Walks every row of every series of every statement, stopping after maxRows. */
function eachRow(results: QueryStatementResult[], maxRows: number, visit: (series: QuerySeries, row: unknown[]) => void): { rows: number; truncated: boolean } {
  let rows = 0;
  for (const result of results) {
    for (const series of result.series ?? []) {
      for (const row of series.values ?? []) {
        if (rows === maxRows) return { rows, truncated: true };
        visit(series, row);
        rows++;
      }
    }
  }
  return { rows, truncated: false };
}

/**
 * Readings (README "The reading"): measurement = the series' name, tags = its GROUP BY tags,
 * fields = every other non-null column, timestamp = `time`. A row without a time or without a
 * non-null value is skipped and counted (`skipped`), e.g. an empty GROUP BY time() bucket.
 */
export function toReadings(results: QueryStatementResult[], maxRows: number): Built<Reading> & { skipped: number } {
  const items: Reading[] = [];
  let skipped = 0;
  const walked = eachRow(results, maxRows, (series, row) => {
    const timeAt = series.columns.indexOf('time');
    const timestamp = timeOf(row[timeAt]);
    const fields: Record<string, FieldValue> = {};
    series.columns.forEach((column, i) => {
      const value = row[i];
      if (i !== timeAt && isScalar(value)) fields[column] = value;
    });
    if (timestamp === undefined || Object.keys(fields).length === 0) {
      skipped++;
      return;
    }
    items.push({ measurement: series.name ?? '', tags: tagsOf(series), fields, timestamp });
  });
  return { items, ...walked, skipped };
}

/**
 * Chart points: one line per series and numeric column, labelled by the series' tag values
 * (and string columns, which is how 3.x returns tags) joined with " / ", plus the column name
 * when the answer has more than one numeric column (or no tags at all). Nulls (empty buckets)
 * are gaps, not zeros.
 */
export function toChartPoints(results: QueryStatementResult[], maxRows: number): Built<ChartPoint> {
  const numericColumns = new Set<string>();
  for (const result of results) {
    for (const series of result.series ?? []) {
      const timeAt = series.columns.indexOf('time');
      for (const row of series.values ?? []) {
        row.forEach((v, i) => {
          if (i !== timeAt && typeof v === 'number') numericColumns.add(series.columns[i] as string);
        });
      }
    }
  }
  const items: ChartPoint[] = [];
  const walked = eachRow(results, maxRows, (series, row) => {
    const timeAt = series.columns.indexOf('time');
    const x = timeOf(row[timeAt]);
    if (x === undefined) return;
    const labels = Object.values(tagsOf(series));
    series.columns.forEach((column, i) => {
      if (i !== timeAt && typeof row[i] === 'string' && !numericColumns.has(column)) labels.push(row[i] as string);
    });
    series.columns.forEach((column, i) => {
      const y = row[i];
      if (i === timeAt || typeof y !== 'number' || !Number.isFinite(y)) return;
      const parts = [...labels];
      if (numericColumns.size > 1 || parts.length === 0) parts.push(column);
      items.push({ series: parts.join(' / '), x, y });
    });
  });
  return { items, ...walked };
}

/** Plain rows: `{ measurement, ...tags, ...columns }` (`time` as epoch ms when it is one). */
export function toRows(results: QueryStatementResult[], maxRows: number): Built<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  const walked = eachRow(results, maxRows, (series, row) => {
    const item: Record<string, unknown> = { measurement: series.name ?? '', ...tagsOf(series) };
    series.columns.forEach((column, i) => {
      item[column] = column === 'time' ? (timeOf(row[i]) ?? row[i]) : row[i];
    });
    items.push(item);
  });
  return { items, ...walked };
}
