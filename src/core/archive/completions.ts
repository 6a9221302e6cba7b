import type { Batch } from './batcher';

/**
 * Ack-after-archive (test/faults/ACK-AFTER-ARCHIVE.md), the archive's half: which accepted msgs
 * are waiting for which batches. A msg's callback runs once every batch holding its readings is
 * durable — written, spooled to disk, or refused for good — and never earlier.
 */
interface Waiting {
  batches: number;
  onDurable: () => void;
}

export class Completions {
  /** Weak: a batch that ends in the memory spool is never reported durable, and is forgotten. */
  private readonly byBatch = new WeakMap<Batch, Waiting[]>();

  /**
   * `onDurable` runs once each of `batches` was reported `durable`, at once when there is none.
   * Register every batch before any can be reported, so a msg never completes half-way.
   */
  wait(batches: readonly Batch[], onDurable: () => void): void {
    if (batches.length === 0) {
      onDurable();
      return;
    }
    const waiting: Waiting = { batches: batches.length, onDurable };
    for (const batch of batches) {
      const list = this.byBatch.get(batch);
      if (list) list.push(waiting);
      else this.byBatch.set(batch, [waiting]);
    }
  }

  /** `batch` is durable; completes the msgs that waited only for it. */
  durable(batch: Batch): void {
    const list = this.byBatch.get(batch);
    if (!list) return;
    this.byBatch.delete(batch);
    for (const waiting of list) if (--waiting.batches === 0) waiting.onDurable();
  }
}
