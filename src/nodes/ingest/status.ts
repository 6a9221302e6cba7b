/**
 * The node's status line: `connected · 4.9k rd/s · 3 rejected`. Counting is per message and
 * cheap; the text is rendered once a second by a timer (and at once when the connection state
 * changes), through StatusThrottle (≤ 1 status per second).
 */
import type { Clock } from '../../core/clock';
import { RateMeter, formatCount, formatExact } from '../../core/rate';
import type { ConnectionStateName } from '../../io/mqtt-connection';
import { Ticker } from '../shared/deadline-timer';
import type { Node, NodeStatus } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';

const STATE_LOOK: Record<ConnectionStateName, Pick<NodeStatus, 'fill' | 'shape'>> = {
  connected: { fill: 'green', shape: 'dot' },
  connecting: { fill: 'yellow', shape: 'ring' },
  disconnected: { fill: 'red', shape: 'ring' },
  error: { fill: 'red', shape: 'ring' },
};

export class IngestStatus {
  private readonly throttle: StatusThrottle;
  private readonly meter: RateMeter;
  private rejected = 0;
  /** Retained messages ignored (`retained: skip`): shown so that nothing vanishes unseen. */
  private retainedSkipped = 0;
  private state: ConnectionStateName | undefined;
  private detail: string | undefined;
  private active = false;
  private ticker: Ticker | undefined;
  private renderedAt = -Infinity;

  constructor(node: Pick<Node, 'status'>, private readonly t: Translate, private readonly clock: Clock) {
    this.throttle = new StatusThrottle(node, clock);
    this.meter = new RateMeter(clock.now());
  }

  /** Shows the status and starts its once-a-second refresh. */
  start(): void {
    this.active = true;
    this.render(true);
    this.ticker = new Ticker(this.clock, 1_000, () => this.render());
  }

  setConnection(state: ConnectionStateName, detail: string | undefined): void {
    this.state = state;
    this.detail = detail;
    this.active = true;
    this.render(true);
  }

  count(accepted: number, rejectedMsgs: number): void {
    const now = this.clock.now();
    this.meter.add(accepted, now);
    this.rejected += rejectedMsgs;
    this.active = true;
    // The first message after a quiet second shows at once; the timer covers the rest.
    if (now - this.renderedAt >= 1_000) this.render();
  }

  skipRetained(): void {
    this.retainedSkipped++;
    this.active = true;
    if (this.clock.now() - this.renderedAt >= 1_000) this.render();
  }

  reset(): void {
    this.rejected = 0;
    this.retainedSkipped = 0;
    this.render(true);
  }

  close(): void {
    this.ticker?.stop();
    this.ticker = undefined;
    this.throttle.close();
  }

  private render(force = false): void {
    if (!this.active) return;
    const parts: string[] = [];
    if (this.state) {
      const label = this.t(`status.${this.state}`);
      parts.push(this.detail && this.state !== 'connected' ? `${label}: ${this.detail}` : label);
    }
    parts.push(this.t('status.rate', { rate: formatCount(this.meter.rate(this.clock.now())) }));
    if (this.rejected > 0) parts.push(this.t('status.rejected', { count: formatExact(this.rejected) }));
    if (this.retainedSkipped > 0) parts.push(this.t('status.retainedSkipped', { count: formatExact(this.retainedSkipped) }));
    const look = this.state ? STATE_LOOK[this.state] : { fill: 'green' as const, shape: 'dot' as const };
    this.throttle.set({ ...look, text: parts.join(' · ') }, force);
    this.renderedAt = this.clock.now();
  }
}
