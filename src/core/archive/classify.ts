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
 */

import { backoffDelay } from '../backoff';

/** What came back from one write request. */
export type WriteOutcome =
  | { kind: 'response'; status: number; reason: string; retryAfter?: string | undefined }
  | { kind: 'transport'; code: string; message: string };

/**
 * - `ok`: written.
 * - `retry`: the server is unreachable or overloaded: retry with backoff, then spool.
 * - `split`: the request body is too large: write the halves.
 * - `bisect`: some points were refused: find exactly which, send them on, keep the rest.
 * - `create-database`: the database does not exist: create it and write again.
 * - `hold`: configuration or permission problem: keep the data (spool), show the error, retry slowly.
 */
export type WriteAction = 'ok' | 'retry' | 'split' | 'bisect' | 'create-database' | 'hold';

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
