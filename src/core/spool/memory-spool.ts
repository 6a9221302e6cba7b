/**
 * The spool used when the disk spool is off (`spool: false`): failed batches wait in memory,
 * bounded by `maxBytes`, with the same `onSpoolFull` policy as the disk spool. It does not
 * survive a restart — the node says so in its help and logs what it could not write on close.
 */

import type { SpoolEntry } from './record';
import { AppendResult, OnSpoolFull, Spool, SpoolProblem, SpoolStats, SpooledRecord } from './types';

interface Held extends SpooledRecord {
  bytes: number;
  acked: boolean;
}

/** Rough per-record overhead, so thousands of tiny records still count against the bound. */
const RECORD_OVERHEAD = 64;

export class MemorySpool implements Spool {
  readonly durable = false;
  private readonly records: Held[] = [];
  private bytes = 0;
  private points = 0;
  private seq = 0;
  private full = false;

  constructor(private readonly options: { maxBytes: number; onFull: OnSpoolFull }) {}

  append(entry: SpoolEntry): AppendResult {
    const body = typeof entry.body === 'string' ? Buffer.from(entry.body, 'utf8') : entry.body;
    const bytes = body.length + RECORD_OVERHEAD;
    const { maxBytes, onFull } = this.options;
    if (bytes > maxBytes) {
      return { ok: false, reason: 'too-large', message: `a batch of ${bytes} bytes is larger than the whole memory buffer (${maxBytes} bytes)` };
    }
    const dropped = { records: 0, points: 0 };
    if (this.bytes + bytes > maxBytes) {
      if (onFull === 'reject-new') {
        this.full = true;
        return { ok: false, reason: 'full', message: `the memory buffer is full (${maxBytes} bytes)` };
      }
      while (this.records.length > 0 && this.bytes + bytes > maxBytes) {
        const oldest = this.shift();
        dropped.records += 1;
        dropped.points += oldest.lines;
      }
    }
    const record: Held = {
      id: String(++this.seq),
      database: entry.database,
      retentionPolicy: entry.retentionPolicy,
      body,
      lines: entry.lines,
      bytes,
      acked: false,
    };
    this.records.push(record);
    this.bytes += bytes;
    this.points += entry.lines;
    this.full = false;
    return { ok: true, dropped };
  }

  peek(): SpooledRecord | undefined {
    return this.records[0];
  }

  next(record: SpooledRecord): SpooledRecord | undefined {
    const index = this.records.findIndex((r) => r.id === record.id);
    if (index < 0) return undefined;
    return this.records.slice(index + 1).find((r) => !r.acked);
  }

  ack(record: SpooledRecord): void {
    const held = this.records.find((r) => r.id === record.id);
    if (!held) return;
    held.acked = true;
    while (this.records[0]?.acked) this.shift();
    this.full = false;
  }

  stats(): SpoolStats {
    return { bytes: this.bytes, pendingBytes: this.bytes, points: this.points, records: this.records.length, maxBytes: this.options.maxBytes, full: this.full };
  }

  takeProblems(): SpoolProblem[] {
    return [];
  }

  close(): void {
    // nothing to release: what is still here is reported by the caller
  }

  private shift(): Held {
    const record = this.records.shift() as Held;
    this.bytes -= record.bytes;
    this.points -= record.lines;
    return record;
  }
}
