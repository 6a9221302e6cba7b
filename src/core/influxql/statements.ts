/**
 * Every InfluxQL statement the purge sends is built here, from typed parts: names only ever
 * reach the text through quoteIdentifier/quoteString, numbers through integer checks, and
 * aggregates from a fixed list. Each statement that reads or changes points carries a closed
 * time range, and every result is re-checked by scan.ts before it leaves this module. This is
 * the one place InfluxQL text is built (the purge's statements and CREATE DATABASE).
 */
import { formatDuration } from '../duration';
import { quoteIdentifier, quoteString } from './quote';
import { InfluxQLError } from './errors';
import { assertBoundedStatement, scanStatement } from './scan';

/** InfluxDB's time range is int64 nanoseconds: about 1677-09-21 to 2262-04-11. */
export const INFLUX_MIN_MS = -9_223_372_036_854;
export const INFLUX_MAX_MS = 9_223_372_036_854;

/** One tag equal to one of `values` (sorted, without duplicates). */
export interface TagCondition {
  key: string;
  values: string[];
}

/** Conditions ANDed, sorted by key; empty = every series of the measurement. */
export type TagFilter = TagCondition[];

/** Half-open time range [start, end) in epoch milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** A measurement in one database and retention policy (`undefined` = the database's default). */
export interface SeriesSource {
  database: string;
  retentionPolicy?: string | undefined;
  measurement: string;
}

/** Aggregates that accept `*` and so keep every field, each as `<aggregate>_<field>`. */
export const DOWNSAMPLE_AGGREGATES = ['mean', 'median', 'mode', 'min', 'max', 'sum', 'count', 'first', 'last', 'spread', 'stddev'] as const;
export type DownsampleAggregate = (typeof DOWNSAMPLE_AGGREGATES)[number];

export function isDownsampleAggregate(name: string): name is DownsampleAggregate {
  return (DOWNSAMPLE_AGGREGATES as readonly string[]).includes(name);
}

function checkTime(ms: number, what: string): void {
  if (!Number.isSafeInteger(ms) || ms < INFLUX_MIN_MS || ms > INFLUX_MAX_MS) {
    throw new InfluxQLError('BAD_TIME', `${what} ${ms} is not a time InfluxDB can store`, { what, value: String(ms) });
  }
}

/** An RFC 3339 literal: exact to the millisecond, readable in logs, and valid before 1970. */
export function timeLiteral(ms: number): string {
  checkTime(ms, 'time');
  return quoteString(new Date(ms).toISOString());
}

function checkRange(range: TimeRange): void {
  checkTime(range.start, 'range start');
  checkTime(range.end, 'range end');
  if (range.start >= range.end) {
    throw new InfluxQLError('BAD_TIME', `empty time range ${range.start}..${range.end}`, { what: 'range', value: `${range.start}..${range.end}` });
  }
}

/** InfluxQL duration literal (`1h`, `90s`, `1500ms`) for a positive whole number of ms. */
export function durationLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new InfluxQLError('BAD_DURATION', `duration ${ms} ms is not a positive whole number of ms`, { value: String(ms) });
  return formatDuration(ms);
}

/** `"db"."rp"."m"`, or `"db".."m"` for the database's default retention policy. */
export function qualifiedName(source: SeriesSource): string {
  const rp = source.retentionPolicy ? quoteIdentifier(source.retentionPolicy) : '';
  return `${quoteIdentifier(source.database)}.${rp}.${quoteIdentifier(source.measurement)}`;
}

/**
 * `WHERE time >= '…' AND time < '…' AND ("k" = 'a' OR "k" = 'b') AND ("j" = 'c')`. Each OR
 * group is parenthesised: InfluxQL's AND binds tighter than OR, and an unbracketed OR would
 * escape the time range.
 */
export function whereClause(range: TimeRange, filter: TagFilter = []): string {
  checkRange(range);
  const parts = [`time >= ${timeLiteral(range.start)}`, `time < ${timeLiteral(range.end)}`];
  for (const { key, values } of filter) {
    if (values.length === 0) throw new InfluxQLError('WHERE_INVALID', `tag "${key}" has no values`, { reason: `tag "${key}" has no values` });
    parts.push(`(${values.map((v) => `${quoteIdentifier(key)} = ${quoteString(v)}`).join(' OR ')})`);
  }
  return `WHERE ${parts.join(' AND ')}`;
}

function bounded(text: string): string {
  assertBoundedStatement(text);
  return text;
}

function meta(text: string): string {
  scanStatement(text);
  return text;
}

/** Per series (GROUP BY *), the number of non-null values of each field in the range. */
export function countStatement(source: SeriesSource, range: TimeRange, filter: TagFilter = []): string {
  return bounded(`SELECT COUNT(*) FROM ${qualifiedName(source)} ${whereClause(range, filter)} GROUP BY *`);
}

/** The oldest point in the range (all fields; its `time` is what the planner needs). */
export function oldestPointStatement(source: SeriesSource, range: TimeRange, filter: TagFilter = []): string {
  return bounded(`SELECT * FROM ${qualifiedName(source)} ${whereClause(range, filter)} ORDER BY time ASC LIMIT 1`);
}

/**
 * Deletes the points of one measurement in the range. InfluxQL's DELETE takes no retention
 * policy: it removes matching points from every retention policy of the database given as the
 * `db` parameter (the runner checks the others first).
 */
export function deleteStatement(measurement: string, range: TimeRange, filter: TagFilter = []): string {
  return bounded(`DELETE FROM ${quoteIdentifier(measurement)} ${whereClause(range, filter)}`);
}

function aggregateList(aggregates: readonly DownsampleAggregate[]): string {
  if (aggregates.length === 0) throw new InfluxQLError('BAD_AGGREGATE', 'no aggregate given', { name: '' });
  return aggregates
    .map((a) => {
      if (!isDownsampleAggregate(a)) throw new InfluxQLError('BAD_AGGREGATE', `unknown aggregate ${JSON.stringify(a)}`, { name: String(a) });
      return `${a.toUpperCase()}(*)`;
    })
    .join(', ');
}

export interface DownsampleSpec {
  target: SeriesSource;
  everyMs: number;
  aggregates: readonly DownsampleAggregate[];
}

/**
 * `SELECT MEAN(*) INTO "db"."rp"."target" FROM … GROUP BY time(1h), *`. GROUP BY * keeps the
 * tags as tags (without it INTO would turn them into fields or merge series), and the target is
 * fully qualified because an unqualified INTO writes to the default retention policy.
 */
export function downsampleStatement(source: SeriesSource, range: TimeRange, filter: TagFilter, spec: DownsampleSpec): string {
  return bounded(
    `SELECT ${aggregateList(spec.aggregates)} INTO ${qualifiedName(spec.target)} FROM ${qualifiedName(source)} ` +
      `${whereClause(range, filter)} GROUP BY time(${durationLiteral(spec.everyMs)}), *`,
  );
}

/**
 * The aggregates downsampleStatement would write, returned instead of written: for servers whose
 * InfluxQL has no SELECT … INTO (2.x), which then write them through their own write API.
 * GROUP BY * returns the tags of each series; buckets without a value come back as nulls.
 */
export function aggregateStatement(source: SeriesSource, range: TimeRange, filter: TagFilter, spec: Omit<DownsampleSpec, 'target'>): string {
  return bounded(
    `SELECT ${aggregateList(spec.aggregates)} FROM ${qualifiedName(source)} ` +
      `${whereClause(range, filter)} GROUP BY time(${durationLiteral(spec.everyMs)}), *`,
  );
}

/**
 * What the downsample statement would write, counted on the server: per series, for each
 * output field, the number of time buckets that have a value. Used for the dry run and to
 * verify the written points before anything is deleted.
 */
export function downsampleCountStatement(source: SeriesSource, range: TimeRange, filter: TagFilter, spec: Omit<DownsampleSpec, 'target'>): string {
  const where = whereClause(range, filter);
  return bounded(
    `SELECT COUNT(*) FROM (SELECT ${aggregateList(spec.aggregates)} FROM ${qualifiedName(source)} ${where} ` +
      `GROUP BY time(${durationLiteral(spec.everyMs)}), *) ${whereClause(range)} GROUP BY *`,
  );
}

export function showRetentionPoliciesStatement(database: string): string {
  return meta(`SHOW RETENTION POLICIES ON ${quoteIdentifier(database)}`);
}

export function showFieldKeysStatement(source: SeriesSource): string {
  return meta(`SHOW FIELD KEYS FROM ${qualifiedName(source)}`);
}

export function showShardGroupsStatement(): string {
  return meta('SHOW SHARD GROUPS');
}

export interface RetentionPolicySpec {
  database: string;
  name: string;
  durationMs: number;
  /** Omitted: InfluxDB chooses (1h below 2 days, 1d up to 6 months, 7d beyond). */
  shardDurationMs?: number | undefined;
  makeDefault: boolean;
}

function policyClauses(spec: RetentionPolicySpec): string {
  let text = ` DURATION ${durationLiteral(spec.durationMs)} REPLICATION 1`;
  if (spec.shardDurationMs !== undefined) text += ` SHARD DURATION ${durationLiteral(spec.shardDurationMs)}`;
  if (spec.makeDefault) text += ' DEFAULT';
  return text;
}

export function createRetentionPolicyStatement(spec: RetentionPolicySpec): string {
  return meta(`CREATE RETENTION POLICY ${quoteIdentifier(spec.name)} ON ${quoteIdentifier(spec.database)}${policyClauses(spec)}`);
}

/** ALTER keeps the replication factor as it is (it matters only on Enterprise clusters). */
export function alterRetentionPolicyStatement(spec: RetentionPolicySpec): string {
  return meta(
    `ALTER RETENTION POLICY ${quoteIdentifier(spec.name)} ON ${quoteIdentifier(spec.database)}${policyClauses(spec).replace(' REPLICATION 1', '')}`,
  );
}

/** CREATE DATABASE is idempotent in 1.x: the archive sends it when a write answers 404. */
export function createDatabaseStatement(database: string): string {
  return meta(`CREATE DATABASE ${quoteIdentifier(database)}`);
}
