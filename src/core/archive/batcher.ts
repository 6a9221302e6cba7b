/**
 * Gathers encoded line-protocol lines into batches, one open batch per destination
 * (database + retention policy). A batch closes when it holds `batchSize` lines or
 * `maxBatchBytes` bytes, or when `flushIntervalMs` has passed since its first line.
 * Pure: the caller passes the time and arms its own timer for `nextDeadline()`.
 */

export interface Destination {
  database: string;
  retentionPolicy: string | undefined;
}

export interface Batch extends Destination {
  lines: string[];
  /** UTF-16 length of the lines plus separators: a cheap stand-in for the body size. */
  bytes: number;
  /** When the first line arrived (epoch ms). */
  openedAt: number;
}

export interface BatcherOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** Closes a batch early when its body would exceed this (InfluxDB's default body limit is 25 MB). */
  maxBatchBytes?: number;
  /** At most this many destinations have an open batch; the oldest is closed to make room. */
  maxOpen?: number;
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

  constructor(private readonly options: BatcherOptions) {
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.maxOpen = options.maxOpen ?? DEFAULT_MAX_OPEN;
  }

  /** Adds one line; returns the batches this closed (usually none, at most two). */
  add(destination: Destination, line: string, now: number): Batch[] {
    const closed: Batch[] = [];
    const key = destinationKey(destination);
    let batch = this.open.get(key);
    if (batch && batch.lines.length > 0 && batch.bytes + line.length + 1 > this.maxBatchBytes) {
      closed.push(this.close(key, batch));
      batch = undefined;
    }
    if (!batch) {
      if (this.open.size >= this.maxOpen) {
        const [oldestKey, oldest] = this.open.entries().next().value as [string, Batch];
        closed.push(this.close(oldestKey, oldest));
      }
      batch = { database: destination.database, retentionPolicy: destination.retentionPolicy, lines: [], bytes: 0, openedAt: now };
      this.open.set(key, batch);
    }
    batch.bytes += line.length + (batch.lines.length > 0 ? 1 : 0);
    batch.lines.push(line);
    if (batch.lines.length >= this.options.batchSize || batch.bytes >= this.maxBatchBytes) closed.push(this.close(key, batch));
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

  /** Lines waiting in open batches. */
  get pendingLines(): number {
    let n = 0;
    for (const batch of this.open.values()) n += batch.lines.length;
    return n;
  }

  private close(key: string, batch: Batch): Batch {
    this.open.delete(key);
    return batch;
  }
}
