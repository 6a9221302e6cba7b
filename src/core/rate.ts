/**
 * Rate measurement and the compact numbers shown in node status (`4.9k pts/s · spool 0`).
 * The clock is passed in so tests need no timers.
 */

/** Counts events and reports a per-second rate over the last completed interval. */
export class RateMeter {
  private count = 0;
  private windowStart: number;
  private lastRate = 0;

  constructor(now: number, private readonly intervalMs = 1_000) {
    this.windowStart = now;
  }

  add(n: number, now: number): void {
    this.roll(now);
    this.count += n;
  }

  /** Events per second over the last full interval (0 when idle for a whole interval). */
  rate(now: number): number {
    this.roll(now);
    return this.lastRate;
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < this.intervalMs) return;
    // More than two intervals without a roll means the last one was idle.
    this.lastRate = elapsed >= 2 * this.intervalMs ? 0 : (this.count * 1_000) / elapsed;
    this.count = 0;
    this.windowStart = now;
  }
}

/** 950 → "950", 4_930 → "4.9k", 12_345 → "12k", 2_500_000 → "2.5M". */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1_000) return String(Math.round(n));
  if (abs < 10_000) return `${(n / 1_000).toFixed(1)}k`;
  if (abs < 1_000_000) return `${Math.round(n / 1_000)}k`;
  if (abs < 10_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** 12345 → "12,345": for counts a user may want exactly (spooled points, dropped readings). */
export function formatExact(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
