import type { Clock } from '../../core/clock';
import { DeadlineTimer } from './deadline-timer';
import type { Node, NodeStatus } from './red';

/** A status, or how to build it: built only when it is shown (at most once per interval). */
export type StatusSource = NodeStatus | (() => NodeStatus | undefined);

/**
 * Keeps `node.status()` calls to at most one per interval (ARCHITECTURE.md "Conventions"),
 * however often the node asks: the last requested status wins and is shown when the interval
 * allows. `force` shows it at once (state changes such as connected/disconnected must not wait).
 * Pass a function when building the text costs something: translating it through RED._ on
 * every msg was 29 µs per reading in the full pipeline's profile (bench per-stage table).
 */
export class StatusThrottle {
  private pending: StatusSource | undefined;
  private last: string | undefined;
  private lastShownAt = Number.NEGATIVE_INFINITY;
  private readonly timer: DeadlineTimer;

  constructor(private readonly node: Pick<Node, 'status'>, private readonly clock: Clock, private readonly intervalMs = 1_000) {
    this.timer = new DeadlineTimer(clock, (now) => this.flush(now));
  }

  set(status: StatusSource, force = false): void {
    this.pending = status;
    const now = this.clock.now();
    if (force || now - this.lastShownAt >= this.intervalMs) this.flush(now);
    else this.timer.atEarliest(this.lastShownAt + this.intervalMs);
  }

  /** Stops the pending timer; call from the node's close handler. */
  close(): void {
    this.timer.stop();
  }

  private flush(now: number): void {
    this.timer.cancel();
    const source = this.pending;
    this.pending = undefined;
    const status = typeof source === 'function' ? source() : source;
    if (!status) return;
    const key = JSON.stringify(status);
    if (key !== this.last) this.node.status(status);
    this.last = key;
    this.lastShownAt = now;
  }
}
