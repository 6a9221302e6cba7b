import type { ParamValue } from '../core/query/params';
import type { QuerySeries, QueryStatementResult } from '../core/query/results';
import type { PreparedQuery } from '../core/query/statement';
import { InfluxServerError, httpError } from './influx-errors';
import { parseJson } from './influx-http';
import type { InfluxServer } from './influx-server';

/**
 * Runs one prepared, read-only InfluxQL statement with bound parameters on the config node's
 * server, in the API of its version (README "Charts"):
 * - 1.x and 2.x: POST `/query` with a form body `q`, `db`, `epoch=ms` and `params` (JSON) —
 *   1.x's HTTP API binds `$name` from `params`; 2.x serves the same handler for v1
 *   compatibility (with the token, and a DBRP mapping for the database, made once when missing,
 *   as InfluxServer.query does). The body, not the URL, so values stay out of access logs.
 * - 3.x: POST `/api/v3/query_influxql` JSON `{db, q, format: "json", params}` (3 Core's API
 *   reference); its answer is a list of rows, turned here into the 1.x series shape.
 */
/**
 * The largest answer read (bytes of JSON): LIMIT bounds each series, not their number (GROUP BY
 * tags, SHOW) nor a LIMIT the query sets itself, so without it one answer could fill the heap.
 * 64 MB holds 100,000 rows of ~600 bytes; a larger answer is refused (ANSWER_TOO_LARGE).
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export async function runInfluxQuery(
  server: InfluxServer,
  prepared: PreparedQuery,
  database?: string,
  maxAnswerBytes = MAX_ANSWER_BYTES,
): Promise<QueryStatementResult[]> {
  const db = database || server.database;
  if (server.version === 3) return runV3(server, prepared, db, maxAnswerBytes);
  if (server.v2 && db) await server.ensureDbrp(db);
  const form = new URLSearchParams({ q: prepared.text, epoch: 'ms' });
  if (db) form.set('db', db);
  if (Object.keys(prepared.params).length > 0) form.set('params', JSON.stringify(prepared.params));
  const response = await server.http.send('POST', '/query', {}, Buffer.from(form.toString()), {
    'Content-Type': 'application/x-www-form-urlencoded',
  }, maxAnswerBytes);
  if (response.status !== 200) throw httpError(response, 'query');
  const parsed = parseJson<{ results?: QueryStatementResult[]; error?: string }>(response);
  if (!parsed) throw new InfluxServerError('QUERY', `InfluxDB answered the query with something that is not JSON: ${response.body.slice(0, 200)}`);
  if (parsed.error) throw new InfluxServerError('QUERY', parsed.error);
  const results = parsed.results ?? [];
  const failed = results.find((r) => r.error);
  if (failed) throw new InfluxServerError('QUERY', failed.error as string);
  return results;
}

async function runV3(server: InfluxServer, prepared: PreparedQuery, db: string, maxAnswerBytes: number): Promise<QueryStatementResult[]> {
  const body: { db: string; q: string; format: string; params?: Record<string, ParamValue> } = { db, q: prepared.text, format: 'json' };
  if (Object.keys(prepared.params).length > 0) body.params = prepared.params;
  const response = await server.http.send('POST', '/api/v3/query_influxql', {}, Buffer.from(JSON.stringify(body)), {
    'Content-Type': 'application/json',
  }, maxAnswerBytes);
  if (response.status !== 200) throw httpError(response, 'query');
  const rows = parseJson<Array<Record<string, unknown>>>(response);
  if (!Array.isArray(rows)) throw new InfluxServerError('QUERY', `InfluxDB answered the query with something that is not a JSON list: ${response.body.slice(0, 200)}`);
  return [{ statement_id: 0, series: rows.map(rowAsSeries) }];
}

/** One 3.x row (`{"iox::measurement": m, time, …columns}`) as a one-row series. */
function rowAsSeries(row: Record<string, unknown>): QuerySeries {
  const { 'iox::measurement': name, ...rest } = row;
  const columns = Object.keys(rest);
  return { name: typeof name === 'string' ? name : '', columns, values: [columns.map((c) => rest[c])] };
}
