import type { Clock } from '../../core/clock';
import { DeadlineTimer } from './deadline-timer';
import type { Node, NodeStatus } from './red';

/**
 * Keeps `node.status()` calls to at most one per interval (ARCHITECTURE.md "Conventions"), however often the
 * node asks: the last requested status wins and is shown when the interval allows.
 * `force` shows it at once (state changes such as connected/disconnected must not wait).
 */
export class StatusThrottle {
  private pending: NodeStatus | undefined;
  private last: string | undefined;
  private lastShownAt = Number.NEGATIVE_INFINITY;
  private readonly timer: DeadlineTimer;

  constructor(private readonly node: Pick<Node, 'status'>, private readonly clock: Clock, private readonly intervalMs = 1_000) {
    this.timer = new DeadlineTimer(clock, (now) => this.flush(now));
  }

  set(status: NodeStatus, force = false): void {
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
    if (!this.pending) return;
    const key = JSON.stringify(this.pending);
    if (key !== this.last) this.node.status(this.pending);
    this.last = key;
    this.pending = undefined;
    this.lastShownAt = now;
  }
}
