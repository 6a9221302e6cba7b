/**
 * The archive's write reports (output 1) and status model, without timers: the caller passes
 * the time and decides when to ask.
 *
 * Reports are rate-limited the way StatusThrottle limits status: the first write after a quiet
 * spell is reported at once; writes that complete within the next `intervalMs` are summed into
 * one report sent when the interval has passed. So a node writing 40 batches a second sends one
 * report a second, and a node writing one batch a minute sends one report per write.
 */

import { formatCount, formatExact } from '../rate';

export interface WriteReport {
  /** Points written (live and replayed from the spool). */
  written: number;
  /** Write requests that succeeded. */
  batches: number;
  /** Requests retried after a transient failure. */
  retried: number;
  /** Points put into the spool. */
  spooled: number;
  /** Bytes waiting in the spool when the report was made. */
  spoolBytes: number;
  /** From the start of the first write to the end of the last write of this report. */
  durationMs: number;
  /** Of `written`, points that came from the spool. */
  replayed: number;
  /** Points InfluxDB refused (sent to output 2). */
  refused: number;
  /** Points dropped from a full spool (`onSpoolFull: drop-oldest`). */
  dropped: number;
  /** Points waiting in the spool when the report was made. */
  spoolPoints: number;
  /**
   * Of `refused`, points the spool could not store because writing to it failed (disk full:
   * ENOSPC, I/O error); they went to output 2 with code SPOOL_ERROR.
   */
  spoolErrors: number;
}

export interface SpoolLevel {
  bytes: number;
  points: number;
}

export class ReportAccumulator {
  private written = 0;
  private batches = 0;
  private retried = 0;
  private spooled = 0;
  private replayed = 0;
  private refused = 0;
  private dropped = 0;
  private spoolErrors = 0;
  private firstStart: number | undefined;
  private lastEnd: number | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private activity = false;

  constructor(private readonly intervalMs = 1_000) {}

  recordWrite(points: number, startedAt: number, endedAt: number, fromSpool: boolean): void {
    this.written += points;
    this.batches += 1;
    if (fromSpool) this.replayed += points;
    this.firstStart = this.firstStart === undefined ? startedAt : Math.min(this.firstStart, startedAt);
    this.lastEnd = this.lastEnd === undefined ? endedAt : Math.max(this.lastEnd, endedAt);
    this.activity = true;
  }

  recordRetry(): void {
    this.retried += 1;
    this.activity = true;
  }

  recordSpooled(points: number): void {
    this.spooled += points;
    this.activity = true;
  }

  recordRefused(points: number): void {
    this.refused += points;
    this.activity = true;
  }

  recordSpoolError(points: number): void {
    this.spoolErrors += points;
    this.activity = true;
  }

  recordDropped(points: number): void {
    this.dropped += points;
    this.activity = true;
  }

  /** When the pending report may be sent, or undefined when there is nothing to report. */
  dueAt(): number | undefined {
    return this.activity ? this.lastSentAt + this.intervalMs : undefined;
  }

  /** The report to send at `now`, or undefined (nothing happened, or the interval has not passed). */
  take(now: number, spool: SpoolLevel): WriteReport | undefined {
    const due = this.dueAt();
    if (due === undefined || now < due) return undefined;
    this.lastSentAt = now;
    return this.snapshot(spool);
  }

  /** The report so far, sent regardless of the interval (`msg.control = "status"`). */
  takeNow(now: number, spool: SpoolLevel): WriteReport {
    this.lastSentAt = now;
    return this.snapshot(spool);
  }

  private snapshot(spool: SpoolLevel): WriteReport {
    const report: WriteReport = {
      written: this.written,
      batches: this.batches,
      retried: this.retried,
      spooled: this.spooled,
      spoolBytes: spool.bytes,
      durationMs: this.firstStart === undefined || this.lastEnd === undefined ? 0 : this.lastEnd - this.firstStart,
      replayed: this.replayed,
      refused: this.refused,
      dropped: this.dropped,
      spoolPoints: spool.points,
      spoolErrors: this.spoolErrors,
    };
    this.written = this.batches = this.retried = this.spooled = this.replayed = this.refused = this.dropped = this.spoolErrors = 0;
    this.firstStart = this.lastEnd = undefined;
    this.activity = false;
    return report;
  }
}

// ---------------------------------------------------------------------------------------------
// Status

/**
 * - `healthy`: writes go straight to InfluxDB;
 * - `degraded`: InfluxDB is unreachable or overloaded: batches go to the spool, replay probes;
 * - `hold`: InfluxDB refuses for a reason a person must fix (credentials, permission, missing
 *   retention policy): data is kept, replay retries slowly.
 */
export type Health = 'healthy' | 'degraded' | 'hold';

export interface StatusInput {
  health: Health;
  /** Code of the problem behind `degraded`/`hold` (`AUTH`, `NETWORK`…). */
  problem?: string | undefined;
  /** Points per second written over the last second. */
  rate: number;
  spoolPoints: number;
  /** The last spool append failed for lack of room. */
  spoolFull: boolean;
  onSpoolFull: 'drop-oldest' | 'reject-new';
  /** False when the spool is off (failed batches wait in a small memory buffer). */
  durable: boolean;
  /** A spool write failed with this code (ENOSPC: disk full) since InfluxDB last took writes. */
  spoolError?: string | undefined;
}

export interface StatusView {
  fill: 'green' | 'yellow' | 'red' | 'grey';
  shape: 'dot' | 'ring';
  /** Locale key under `telemetry-archive.status.` */
  key: string;
  params: Record<string, string>;
}

export function archiveStatus(input: StatusInput): StatusView {
  const params = { rate: formatCount(input.rate), spool: formatExact(input.spoolPoints), code: input.problem ?? '' };
  if (input.spoolError !== undefined) return { fill: 'red', shape: 'ring', key: 'spoolError', params: { ...params, code: input.spoolError } };
  if (input.spoolFull) {
    return { fill: 'red', shape: 'ring', key: input.onSpoolFull === 'drop-oldest' ? 'fullDropping' : 'fullRejecting', params };
  }
  if (input.health === 'hold') return { fill: 'red', shape: 'ring', key: input.durable ? 'hold' : 'holdMemory', params };
  if (input.health === 'degraded' && input.spoolPoints > 0) {
    return { fill: 'yellow', shape: 'ring', key: input.durable ? 'spooling' : 'buffering', params };
  }
  return { fill: input.spoolPoints > 0 ? 'yellow' : 'green', shape: 'dot', key: 'rate', params };
}
