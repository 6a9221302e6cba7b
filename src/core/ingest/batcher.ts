/**
 * Micro-batching: readings from many messages gathered into one `Reading[]` msg, so a long
 * pipeline handles one msg per batch instead of one per reading (each Node-RED hop costs tens
 * of µs per msg). A batch goes when it holds `size` readings or when its oldest reading has
 * waited `intervalMs`. Pure: the caller owns the one timer and passes the time in.
 *
 * Memory bound: fewer than `size` readings are ever held; full batches are returned at once.
 */
import type { Reading } from '../reading';

const NONE_FULL: readonly Reading[][] = Object.freeze([]);

export class ReadingBatcher {
  private pending: Reading[] = [];
  private dueAt: number | undefined;

  constructor(readonly size: number, readonly intervalMs: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  }

  /** Readings held now. */
  get length(): number {
    return this.pending.length;
  }

  /** When the pending batch must be sent (epoch ms), undefined when nothing is pending. */
  get deadline(): number | undefined {
    return this.dueAt;
  }

  /**
   * Adds readings; returns the batches that are full (to be sent now), oldest first. Nothing
   * full (the usual case, once per message) returns one shared, frozen empty array.
   */
  add(readings: readonly Reading[], now: number): readonly Reading[][] {
    let full: Reading[][] | undefined;
    for (let i = 0; i < readings.length; i++) {
      if (this.pending.length === 0) this.dueAt = now + this.intervalMs;
      this.pending.push(readings[i] as Reading);
      if (this.pending.length >= this.size) (full ??= []).push(this.take());
    }
    return full ?? NONE_FULL;
  }

  /** The pending batch when its deadline has passed, else undefined. */
  due(now: number): Reading[] | undefined {
    return this.dueAt !== undefined && now >= this.dueAt ? this.take() : undefined;
  }

  /** The pending batch whatever its age (flush, close), undefined when empty. */
  flush(): Reading[] | undefined {
    return this.pending.length > 0 ? this.take() : undefined;
  }

  private take(): Reading[] {
    const batch = this.pending;
    this.pending = [];
    this.dueAt = undefined;
    return batch;
  }
}
