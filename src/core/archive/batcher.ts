/**
 * Gathers points into batches, one open batch per destination (database + retention policy).
 * A batch closes when it holds `batchSize` points or at least `maxBatchBytes` bytes, or when
 * `flushIntervalMs` has passed since its first point. Pure: the caller passes the time and arms
 * its own timer for `nextDeadline()`.
 */

import type { FieldTypes } from './field-types';
import { type ArchiveRefusal, LineBuffer, type ReadingChecks } from './line-buffer';
import type { SchemaTracker } from './schema-limits';

export interface Destination {
  database: string;
  retentionPolicy: string | undefined;
}

export interface Batch extends Destination {
  /** The lines, as the request body. */
  buffer: LineBuffer;
  /** When the first point arrived (epoch ms). */
  openedAt: number;
}

export interface BatcherOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** Closes a batch once its body reaches this (InfluxDB's default body limit is 25 MB). */
  maxBatchBytes?: number;
  /** At most this many destinations have an open batch; the oldest is closed to make room. */
  maxOpen?: number;
  /** `fieldTypes`: fields written as integer, string… (a value that does not fit is refused). */
  fieldTypes?: FieldTypes | undefined;
  /** InfluxDB 3: schema limits checked before a point is batched. */
  schema?: SchemaTracker | undefined;
}

export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_OPEN = 8;

export function destinationKey(destination: Destination): string {
  return `${destination.database}\u0000${destination.retentionPolicy ?? ''}`;
}

export class Batcher {
  /** Insertion-ordered: the first entry is the oldest open batch. */
  private readonly open = new Map<string, Batch>();
  private readonly maxBatchBytes: number;
  private readonly maxOpen: number;
  /** Body size of the last batch closed: a good first guess for the next buffer. */
  private lastBytes = 0;

  constructor(private readonly options: BatcherOptions) {
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.maxOpen = options.maxOpen ?? DEFAULT_MAX_OPEN;
  }

  /** Adds encoded lines for one destination; returns the batches this closed, in order. */
  addLines(destination: Destination, lines: readonly string[], now: number): Batch[] {
    const closed: Batch[] = [];
    const key = destinationKey(destination);
    for (const line of lines) {
      const batch = this.batchFor(key, destination, now, closed);
      batch.buffer.appendLine(line);
      this.closeIfFull(key, batch, closed);
    }
    return closed;
  }

  /**
   * Validates, encodes and adds readings for one destination; `refuse` hears about each invalid
   * one (by index). Returns the batches this closed, in order.
   */
  addReadings(destination: Destination, readings: readonly unknown[], now: number, refuse: (index: number, refusal: ArchiveRefusal) => void): Batch[] {
    const closed: Batch[] = [];
    const key = destinationKey(destination);
    const { fieldTypes, schema } = this.options;
    const checks: ReadingChecks | undefined =
      fieldTypes || schema ? { fieldTypes, admit: schema ? (reading) => schema.admit(destination.database, reading) : undefined } : undefined;
    for (let i = 0; i < readings.length; i++) {
      const batch = this.batchFor(key, destination, now, closed);
      const refusal = batch.buffer.appendReading(readings[i], checks);
      if (refusal) {
        refuse(i, refusal);
        if (batch.buffer.count === 0) this.open.delete(key);
        continue;
      }
      this.closeIfFull(key, batch, closed);
    }
    return closed;
  }

  /** Batches whose flush interval has passed. */
  due(now: number): Batch[] {
    const due: Batch[] = [];
    for (const [key, batch] of this.open) {
      if (now - batch.openedAt >= this.options.flushIntervalMs) due.push(this.close(key, batch));
    }
    return due;
  }

  /** When the oldest open batch falls due, or undefined when nothing is open. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const batch of this.open.values()) {
      const at = batch.openedAt + this.options.flushIntervalMs;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Closes and returns every open batch (flush, close). */
  drain(): Batch[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }

  /** The open batch of a destination, if any (to tell which batch holds the points just added). */
  openBatch(destination: Destination): Batch | undefined {
    return this.open.get(destinationKey(destination));
  }

  /** Points waiting in open batches. */
  get pendingLines(): number {
    let n = 0;
    for (const batch of this.open.values()) n += batch.buffer.count;
    return n;
  }

  private batchFor(key: string, destination: Destination, now: number, closed: Batch[]): Batch {
    const existing = this.open.get(key);
    if (existing) return existing;
    if (this.open.size >= this.maxOpen) {
      const [oldestKey, oldest] = this.open.entries().next().value as [string, Batch];
      closed.push(this.close(oldestKey, oldest));
    }
    const initial = Math.min(this.maxBatchBytes, Math.max(16 * 1024, Math.ceil(this.lastBytes * 1.1)));
    const batch: Batch = { database: destination.database, retentionPolicy: destination.retentionPolicy, buffer: new LineBuffer(initial), openedAt: now };
    this.open.set(key, batch);
    return batch;
  }

  private closeIfFull(key: string, batch: Batch, closed: Batch[]): void {
    if (batch.buffer.count >= this.options.batchSize || batch.buffer.bytes >= this.maxBatchBytes) closed.push(this.close(key, batch));
  }

  private close(key: string, batch: Batch): Batch {
    this.open.delete(key);
    this.lastBytes = batch.buffer.bytes;
    return batch;
  }
}
