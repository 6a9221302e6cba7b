/**
 * Closed windows whose aggregate was sent on but is not durable downstream yet (at-least-once
 * for aggregates, issue #21; test/faults/ACK-AFTER-ARCHIVE.md).
 *
 * Under ack-after-archive a window acknowledges its input readings once a checkpoint holds
 * them. When the window closes, its readings leave the open state, so the checkpoint must keep
 * the aggregate instead until an archive has written or spooled it; after a crash the restored
 * node sends these aggregates again. Same reading, same timestamp (the window start): InfluxDB
 * keeps one point, so a second send of an aggregate that did land is harmless.
 *
 * Memory: at most `limit` aggregates wait (each leaves when confirmed or when its follow-up
 * times out); beyond that an aggregate is sent untracked and counted (`untracked`).
 */
import { validateReading } from '../reading';
import type { ClosedWindow } from './output';

/** Default bound: aggregates awaiting confirmation (≈ 0.5 KB each with a few fields). */
export const MAX_UNCONFIRMED_AGGREGATES = 100_000;

export class UnconfirmedAggregates {
  private readonly byId = new Map<string, ClosedWindow>();
  /** aggregates sent without being kept, because `limit` were already waiting */
  untracked = 0;

  constructor(readonly limit: number = MAX_UNCONFIRMED_AGGREGATES) {}

  get size(): number {
    return this.byId.size;
  }

  /**
   * Whether one more aggregate may wait; false (and counted in `untracked`) when full. Asked
   * before following a msg, so no follow-up is registered for an aggregate that is not kept.
   */
  hasRoom(): boolean {
    if (this.byId.size < this.limit) return true;
    this.untracked++;
    return false;
  }

  /** Keeps `closed` under the id of the msg that carries it; false (and counted) when full. */
  add(msgId: string, closed: ClosedWindow): boolean {
    if (this.byId.size >= this.limit) {
      this.untracked++;
      return false;
    }
    this.byId.set(msgId, closed);
    return true;
  }

  /** The aggregate is durable downstream (or given up on): true when it was waiting. */
  settle(msgId: string): boolean {
    return this.byId.delete(msgId);
  }

  /** Oldest first, for a checkpoint. */
  list(): ClosedWindow[] {
    return [...this.byId.values()];
  }

  /** Takes every waiting aggregate out (to send them again after a restart). */
  drain(): ClosedWindow[] {
    const all = this.list();
    this.byId.clear();
    return all;
  }
}

/**
 * The aggregates a checkpoint kept (`checkpoint.unconfirmed`), validated; a malformed entry is
 * skipped and counted rather than sent to InfluxDB.
 */
export function unconfirmedFromCheckpoint(checkpoint: unknown): { aggregates: ClosedWindow[]; malformed: number } {
  const list = (checkpoint as { unconfirmed?: unknown } | null | undefined)?.unconfirmed;
  if (!Array.isArray(list)) return { aggregates: [], malformed: 0 };
  const aggregates: ClosedWindow[] = [];
  let malformed = 0;
  for (const item of list) {
    const closed = item as Partial<ClosedWindow> | null;
    const w = closed?.window;
    if (
      !closed || validateReading(closed.reading) !== undefined || !w ||
      typeof w.start !== 'number' || typeof w.end !== 'number' || typeof w.count !== 'number' || typeof w.key !== 'string'
    ) {
      malformed++;
      continue;
    }
    aggregates.push(closed as ClosedWindow);
  }
  return { aggregates, malformed };
}
