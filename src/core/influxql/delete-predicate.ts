/**
 * InfluxDB 2.x deletes through `POST /api/v2/delete` with `{ start, stop, predicate }`, not
 * InfluxQL. The predicate grammar (https://docs.influxdata.com/influxdb/v2/reference/syntax/delete-predicate/):
 * only `=` comparisons joined by `AND` (OR is refused by the server), column names and values in
 * double quotes, `_measurement` names the measurement, `_field` and `_value` cannot be used.
 * The server reads it with InfluxQL's scanner (influxdata/influxdb predicate/parser.go), so a
 * double-quoted token unescapes exactly `\\` and `\"` — the same escaping as an InfluxQL
 * identifier, which quoteIdentifier produces and refuses line breaks, NUL and lone surrogates.
 * A value list (`"device": ["a", "b"]`) becomes one predicate per combination, ANDed only:
 * nothing a name or value contains can turn into an operator, and an empty predicate (which
 * would delete every measurement of the bucket) is never produced.
 */
import { InfluxQLError } from './errors';
import { quoteIdentifier } from './quote';
import { INFLUX_MAX_MS, INFLUX_MIN_MS, TagFilter, TimeRange } from './statements';

/** One delete request's body. `stop` is inclusive on the server: the range's end minus 1 ns. */
export interface DeleteRequest {
  start: string;
  stop: string;
  predicate: string;
}

/** A filter whose value lists multiply beyond this is refused (that many delete requests per slice). */
export const MAX_DELETE_PREDICATES = 1_000;

function checkMs(ms: number, what: string): void {
  if (!Number.isSafeInteger(ms) || ms < INFLUX_MIN_MS || ms > INFLUX_MAX_MS) {
    throw new InfluxQLError('BAD_TIME', `${what} ${ms} is not a time InfluxDB can store`, { what, value: String(ms) });
  }
}

/** RFC 3339 with nanoseconds: `ms` plus `extraNs` (0..999999). */
export function rfc3339Nano(ms: number, extraNs = 0): string {
  checkMs(ms, 'time');
  const iso = new Date(ms).toISOString(); // …T00:00:00.123Z
  return `${iso.slice(0, -1)}${String(extraNs).padStart(6, '0')}Z`;
}

/** `[start, end)` in ms as the inclusive `start`/`stop` pair the delete endpoint takes. */
export function deleteTimeBounds(range: TimeRange): { start: string; stop: string } {
  checkMs(range.start, 'range start');
  checkMs(range.end, 'range end');
  if (range.start >= range.end) {
    throw new InfluxQLError('BAD_TIME', `empty time range ${range.start}..${range.end}`, { what: 'range', value: `${range.start}..${range.end}` });
  }
  return { start: rfc3339Nano(range.start), stop: rfc3339Nano(range.end - 1, 999_999) };
}

/** `"_measurement"="m" AND "k"="v"` — one conjunction per combination of the filter's values. */
export function deletePredicates(measurement: string, filter: TagFilter = []): string[] {
  let combinations = 1;
  for (const { key, values } of filter) {
    if (values.length === 0) throw new InfluxQLError('WHERE_INVALID', `tag "${key}" has no values`, { reason: `tag "${key}" has no values` });
    if (key.startsWith('_')) {
      // _measurement, _field, _value, _time, _start, _stop are columns of the data model, not tags.
      throw new InfluxQLError('WHERE_INVALID', `"${key}" is a reserved column (a leading _ is InfluxDB's) and cannot be used in a 2.x delete predicate`, { reason: `"${key}" is a reserved column name` });
    }
    combinations *= values.length;
  }
  if (combinations > MAX_DELETE_PREDICATES) {
    throw new InfluxQLError('WHERE_INVALID', `the where filter makes ${combinations} value combinations; a 2.x delete takes AND only, at most ${MAX_DELETE_PREDICATES} requests`, {
      reason: `more than ${MAX_DELETE_PREDICATES} value combinations`,
    });
  }
  let out = [`${quoteIdentifier('_measurement')}=${quoteIdentifier(measurement)}`];
  for (const { key, values } of filter) {
    const next: string[] = [];
    for (const prefix of out) for (const v of values) next.push(`${prefix} AND ${quoteIdentifier(key)}=${quoteIdentifier(v)}`);
    out = next;
  }
  return out;
}

/** Every request that deletes `measurement`'s points matching `filter` in `range`. */
export function deleteRequests(measurement: string, range: TimeRange, filter: TagFilter = []): DeleteRequest[] {
  const bounds = deleteTimeBounds(range);
  return deletePredicates(measurement, filter).map((predicate) => ({ ...bounds, predicate }));
}

/**
 * Reads a predicate back as the server does (tests and a last check before sending): a list of
 * `"key"="value"` pairs joined by ` AND `, nothing else. Throws when the text is anything more.
 */
export function parseDeletePredicate(text: string): Array<[string, string]> {
  const token = /"((?:[^"\\]|\\[\\"])*)"/y;
  const unescape = (s: string): string => s.replace(/\\([\\"])/g, '$1');
  const pairs: Array<[string, string]> = [];
  let i = 0;
  for (;;) {
    token.lastIndex = i;
    const k = token.exec(text);
    if (!k || text[token.lastIndex] !== '=') throw new Error(`not a delete predicate at ${i}: ${text}`);
    token.lastIndex += 1;
    const v = token.exec(text);
    if (!v) throw new Error(`not a delete predicate at ${token.lastIndex}: ${text}`);
    pairs.push([unescape(k[1] as string), unescape(v[1] as string)]);
    i = token.lastIndex;
    if (i === text.length) return pairs;
    if (text.slice(i, i + 5) !== ' AND ') throw new Error(`not a delete predicate at ${i}: ${text}`);
    i += 5;
  }
}
