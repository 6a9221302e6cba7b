import type { Node, NodeStatus } from './red';

/**
 * Keeps `node.status()` calls to at most one per interval (DESIGN.md §4), however often the
 * node asks: the last requested status wins and is shown when the interval allows.
 * `force` shows it at once (state changes such as connected/disconnected must not wait).
 */
export class StatusThrottle {
  private pending: NodeStatus | undefined;
  private last: string | undefined;
  private lastShownAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly node: Pick<Node, 'status'>, private readonly intervalMs = 1_000) {}

  set(status: NodeStatus, force = false): void {
    this.pending = status;
    const now = Date.now();
    if (force || now - this.lastShownAt >= this.intervalMs) {
      this.flush(now);
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush(Date.now());
      }, this.intervalMs - (now - this.lastShownAt));
    }
  }

  /** Stops the pending timer; call from the node's close handler. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(now: number): void {
    if (!this.pending) return;
    const key = JSON.stringify(this.pending);
    if (key !== this.last) this.node.status(this.pending);
    this.last = key;
    this.pending = undefined;
    this.lastShownAt = now;
  }
}
