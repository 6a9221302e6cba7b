/**
 * What to do with the answer to one InfluxDB write: decided once, here, as a table of rules
 * (Telegraf's "outputs return typed errors, the shell decides" model). The archive never looks
 * at a status code anywhere else.
 *
 * Facts behind the rules, checked against influxd 1.6:
 * - a missing database is `404 database not found: "x"`;
 * - a missing retention policy is a `500 retention policy not found: x` — a configuration
 *   problem, not an outage, so it must not be retried as if the server were down;
 * - a field type conflict, a reserved key, a point beyond the retention policy or a parse error
 *   is `400 partial write: … dropped=N`: the other points of the request WERE written
 *   (`dropped` does not count unparseable lines, so it is a lower bound);
 * - InfluxDB 2.x answers refused points with 422, rate limits with 429 + `Retry-After`.
 *
 * InfluxDB 2.x (`POST /api/v2/write`, influxdata/openapi `contracts/oss.yml`, operation
 * PostWrite; errors are JSON `{code, message}`, influx-http's influxErrorText reads `message`):
 * - 400 `invalid`: "line protocol is malformed" (some lines may still have been written) →
 *   bisect, as 1.x's 400;
 * - 401 `unauthorized`, 403 (token lacks write permission) → hold;
 * - 404 `not found`: "bucket \"x\" not found" → create the bucket, write again;
 * - 413 `request too large` (`max-body-size`, default 25 MB) → split;
 * - 422 `unprocessable entity`: points refused by the storage engine, e.g. "partial write:
 *   points beyond retention policy dropped=N" or a field type conflict; the others WERE
 *   written → refuse those points: bisect, and a range whose `dropped` covers it is refused whole;
 * - 429 / 503 with `Retry-After` (seconds) → retry no sooner.
 *
 * InfluxDB 3 (`POST /api/v3/write_lp`, influxdb3_server/src/http.rs and the docs'
 * "write_lp: accept partial writes"):
 * - with `accept_partial=true` (its default) a line that does not parse or conflicts with the
 *   schema is refused alone: `400 {"error":"partial write of line protocol occurred","data":
 *   [{"original_line","line_number","error_message"}]}` — the other lines were written, and
 *   `line_number` is 1-based into the request body. The write port puts `data` into
 *   `lineErrors` (parseLineErrors) → refuse exactly those lines with their own messages. The
 *   same body comes with 422 when a line hit a schema limit (http.rs write_lp_inner,
 *   Error::PartialLpWrite: "Update to schema would exceed number of tables limit…");
 * - `422 {"error":"Adding a new database would exceed limit of 5 databases"}` (catalog error
 *   TooManyDbs, nothing written) → hold: a person must drop a database or raise the limit;
 * - `400 {"error":"parsing failed for write_lp endpoint","data":{…}}` (accept_partial=false,
 *   nothing written) and other 400s → bisect;
 * - 401 / 403 → hold; 404 database not found → create; 413 → split; 5xx → retry.
 */

import { backoffDelay } from '../backoff';

/** What came back from one write request. */
export type WriteOutcome =
  | {
      kind: 'response';
      status: number;
      reason: string;
      retryAfter?: string | undefined;
      /** InfluxDB 3 partial write: the lines it refused (the others were written). */
      lineErrors?: LineError[] | undefined;
    }
  | { kind: 'transport'; code: string; message: string };

/** One line a partial write refused: `line` is 1-based into the request body. */
export interface LineError {
  line: number;
  message: string;
}

/**
 * - `ok`: written.
 * - `retry`: the server is unreachable or overloaded: retry with backoff, then spool.
 * - `split`: the request body is too large: write the halves.
 * - `bisect`: some points were refused: find exactly which, send them on, keep the rest.
 * - `create-database`: the database does not exist: create it and write again.
 * - `hold`: configuration or permission problem: keep the data (spool), show the error, retry slowly.
 * - `refuse-lines`: the server wrote all but the lines it lists (InfluxDB 3): refuse exactly those.
 */
export type WriteAction = 'ok' | 'retry' | 'split' | 'bisect' | 'create-database' | 'hold' | 'refuse-lines';

export interface WriteVerdict {
  action: WriteAction;
  /** Stable code for msg.error.code and logs (`REFUSED`, `AUTH`, `NETWORK`…). */
  code: string;
  /** Human-readable reason, the server's own words where there are some. */
  reason: string;
  /** From `Retry-After`: wait at least this long before the next attempt. */
  retryAfterMs?: number;
  /** From `partial write: … dropped=N`: how many points of the request were refused. */
  dropped?: number;
  /** `refuse-lines`: the refused lines, 1-based into the request body. */
  lineErrors?: LineError[];
}

interface Rule {
  /** Why the rule exists; also the test table's label. */
  readonly name: string;
  readonly matches: (outcome: WriteOutcome) => boolean;
  readonly action: WriteAction;
  readonly code: string;
}

const status = (outcome: WriteOutcome): number => (outcome.kind === 'response' ? outcome.status : 0);
const says = (outcome: WriteOutcome, pattern: RegExp): boolean => outcome.kind === 'response' && pattern.test(outcome.reason);

/** The classification, first match wins. Exported so the help text and tests can list it. */
export const WRITE_RULES: readonly Rule[] = [
  { name: 'no answer within the timeout', matches: (o) => o.kind === 'transport' && o.code === 'ETIMEDOUT', action: 'retry', code: 'TIMEOUT' },
  { name: 'no HTTP answer (refused, reset, DNS)', matches: (o) => o.kind === 'transport', action: 'retry', code: 'NETWORK' },
  { name: 'written', matches: (o) => status(o) >= 200 && status(o) < 300, action: 'ok', code: 'OK' },
  {
    name: 'retention policy does not exist (1.x answers 500)',
    matches: (o) => status(o) >= 400 && says(o, /retention policy not found/i),
    action: 'hold',
    code: 'RETENTION_POLICY_NOT_FOUND',
  },
  {
    name: 'partial write, the refused lines listed (3.x)',
    matches: (o) => o.kind === 'response' && (o.status === 400 || o.status === 422) && (o.lineErrors?.length ?? 0) > 0,
    action: 'refuse-lines',
    code: 'REFUSED',
  },
  {
    name: 'no more databases allowed (3.x)',
    matches: (o) => status(o) >= 400 && says(o, /would exceed limit of \d+ databases/i),
    action: 'hold',
    code: 'LIMIT_DATABASES',
  },
  { name: 'bucket does not exist (2.x)', matches: (o) => status(o) === 404 && says(o, /bucket .*not found/i), action: 'create-database', code: 'DATABASE_NOT_FOUND' },
  { name: 'database does not exist', matches: (o) => status(o) === 404 && says(o, /database not found/i), action: 'create-database', code: 'DATABASE_NOT_FOUND' },
  { name: 'credentials refused', matches: (o) => status(o) === 401, action: 'hold', code: 'AUTH' },
  { name: 'user may not write', matches: (o) => status(o) === 403, action: 'hold', code: 'FORBIDDEN' },
  { name: 'request body too large', matches: (o) => status(o) === 413, action: 'split', code: 'TOO_LARGE' },
  { name: 'rate limited', matches: (o) => status(o) === 429, action: 'retry', code: 'RATE_LIMITED' },
  { name: 'request timeout', matches: (o) => status(o) === 408, action: 'retry', code: 'TIMEOUT' },
  { name: 'server error or overload', matches: (o) => status(o) >= 500 && status(o) < 600, action: 'retry', code: 'SERVER_ERROR' },
  { name: 'points refused (bad point, type conflict, partial write)', matches: (o) => status(o) === 400 || status(o) === 422, action: 'bisect', code: 'REFUSED' },
  { name: 'any other answer (wrong URL, proxy page…)', matches: () => true, action: 'hold', code: 'UNEXPECTED' },
];

/** Classifies one write outcome. `now` (epoch ms) resolves an HTTP-date `Retry-After`. */
export function classifyWrite(outcome: WriteOutcome, now: number): WriteVerdict {
  const rule = WRITE_RULES.find((r) => r.matches(outcome)) as Rule;
  const verdict: WriteVerdict = { action: rule.action, code: rule.code, reason: describe(outcome) };
  if (outcome.kind === 'response') {
    const retryAfterMs = parseRetryAfter(outcome.retryAfter, now);
    if (rule.action === 'retry' && retryAfterMs !== undefined) verdict.retryAfterMs = retryAfterMs;
    const dropped = parseDropped(outcome.reason);
    if (rule.action === 'bisect' && dropped !== undefined) verdict.dropped = dropped;
    if (rule.action === 'refuse-lines' && outcome.lineErrors) {
      const suffix = ` (HTTP ${outcome.status}, partial write)`;
      verdict.lineErrors = outcome.lineErrors.map(({ line, message }) => ({ line, message: message + suffix }));
    }
  }
  return verdict;
}

function describe(outcome: WriteOutcome): string {
  if (outcome.kind === 'transport') return `${outcome.code}: ${outcome.message}`;
  if (outcome.status >= 200 && outcome.status < 300) return `HTTP ${outcome.status}`;
  return outcome.reason ? `${outcome.reason} (HTTP ${outcome.status})` : `HTTP ${outcome.status}`;
}

/** `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The `dropped=N` count of an InfluxDB partial write, if the reason carries one. */
export function parseDropped(reason: string): number | undefined {
  const match = /dropped=(\d+)/.exec(reason);
  return match ? Number(match[1]) : undefined;
}

/**
 * The per-line errors of an InfluxDB 3 partial write (`{"error":"partial write of line protocol
 * occurred","data":[{line_number, error_message, original_line}]}`), or undefined when the body
 * is anything else — including accept_partial=false's single `data` object, where nothing was
 * written. The write port calls this on every 400 and 422 body.
 */
export function parseLineErrors(body: string): LineError[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { error, data } = parsed as { error?: unknown; data?: unknown };
  if (typeof error !== 'string' || !/partial write of line protocol occurred/i.test(error) || !Array.isArray(data)) return undefined;
  const errors: LineError[] = [];
  for (const item of data) {
    const { line_number: line, error_message: message } = (item ?? {}) as { line_number?: unknown; error_message?: unknown };
    if (typeof line !== 'number' || !Number.isInteger(line) || line < 1) return undefined;
    errors.push({ line, message: typeof message === 'string' && message !== '' ? message : error });
  }
  return errors.length > 0 ? errors : undefined;
}

export interface RetryDelayOptions {
  baseMs: number;
  maxMs: number;
  random: () => number;
}

/**
 * How long to wait before retry number `attempt` (0-based) after `verdict`: exponential backoff
 * with full jitter, but never shorter than the server's `Retry-After` and never longer than
 * `maxBackoff` ("retries and spool replay never wait longer", README "archive").
 */
export function retryDelay(attempt: number, verdict: WriteVerdict, { baseMs, maxMs, random }: RetryDelayOptions): number {
  const jittered = backoffDelay(attempt, { baseMs, maxMs, random });
  return Math.min(maxMs, Math.max(jittered, verdict.retryAfterMs ?? 0));
}
