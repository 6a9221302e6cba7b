/**
 * One timer for "call me at the earliest of these deadlines" — the shape of every engine here
 * (`nextDeadline()` / `tick(now)`): the shell arms it after each input and each tick. Deadlines
 * past setTimeout's limit are reached in hops, so `30d` waits 30 days and not 1 ms.
 */
import { type Clock, MAX_TIMER_DELAY_MS, type TimerHandle } from '../../core/clock';

export class DeadlineTimer {
  private handle: TimerHandle | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(private readonly clock: Clock, private readonly onDue: (now: number) => void) {}

  /** The deadline armed now (Infinity when none). */
  get deadline(): number {
    return this.armedFor;
  }

  /** Fires at `deadline` unless an earlier one is armed already; undefined does nothing. */
  atEarliest(deadline: number | undefined): void {
    if (deadline === undefined || this.stopped || deadline >= this.armedFor) return;
    this.arm(deadline);
  }

  /** Fires at `deadline`, replacing whatever was armed. */
  at(deadline: number): void {
    if (this.stopped) return;
    this.arm(deadline);
  }

  /** Fires `ms` from now, replacing whatever was armed. */
  after(ms: number): void {
    this.at(this.clock.now() + ms);
  }

  /** Fires `ms` from now unless a deadline is armed already (a debounce that keeps the first). */
  afterUnlessArmed(ms: number): void {
    if (this.handle === undefined) this.after(ms);
  }

  get armed(): boolean {
    return this.handle !== undefined;
  }

  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Infinity;
  }

  /** Cancels for good: close handlers call this, later arm calls do nothing. */
  stop(): void {
    this.cancel();
    this.stopped = true;
  }

  private arm(deadline: number): void {
    this.cancel();
    this.armedFor = deadline;
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, deadline - this.clock.now()));
    this.handle = this.clock.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.handle = undefined;
    const now = this.clock.now();
    if (now < this.armedFor) {
      this.arm(this.armedFor); // a hop of a long wait, or a timer a millisecond early
      return;
    }
    this.armedFor = Infinity;
    this.onDue(now);
  }
}

/** Calls `fn` every `ms` until stopped (status refresh, report intervals, schedules). */
export class Ticker {
  private readonly timer: DeadlineTimer;

  constructor(clock: Clock, private readonly everyMs: number, fn: (now: number) => void) {
    this.timer = new DeadlineTimer(clock, (now) => {
      this.timer.at(now + this.everyMs);
      fn(now);
    });
    this.timer.after(everyMs);
  }

  stop(): void {
    this.timer.stop();
  }
}
