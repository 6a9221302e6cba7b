/**
 * Rate measurement and the compact numbers shown in node status (`4.9k pts/s · spool 0`).
 * The clock is passed in so tests need no timers.
 */

/** Counts events and reports a per-second rate over the last completed interval. */
export class RateMeter {
  private count = 0;
  /** Events since the meter started (the monitor's readings/s history). */
  total = 0;
  private windowStart: number;
  private lastRate = 0;

  constructor(now: number, private readonly intervalMs = 1_000) {
    this.windowStart = now;
  }

  add(n: number, now: number): void {
    this.roll(now);
    this.count += n;
    this.total += n;
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

/**
 * 950 → "950", 4_930 → "4.9k", 12_345 → "12k", 2_500_000 → "2.5M". The unit is chosen after
 * rounding, so 999.6 is "1.0k" (not "1000") and 9_960 is "10k" (not "10.0k").
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (Math.round(abs) < 1_000) return Math.round(abs) === 0 ? '0' : `${sign}${Math.round(abs)}`;
  for (const [size, unit] of [[1_000, 'k'], [1_000_000, 'M']] as const) {
    const scaled = abs / size;
    const oneDecimal = scaled.toFixed(1);
    if (Number(oneDecimal) < 10) return `${sign}${oneDecimal}${unit}`;
    if (Math.round(scaled) < 1_000 || unit === 'M') return `${sign}${Math.round(scaled)}${unit}`;
  }
  return String(n); // not reached: the loop returns at "M"
}

/** 12345 → "12,345": for counts a user may want exactly (spooled points, dropped readings). */
export function formatExact(n: number): string {
  const rounded = Math.round(n);
  // Math.round(-0.4) is -0, which toLocaleString prints as "-0".
  return (Object.is(rounded, -0) ? 0 : rounded).toLocaleString('en-US');
}
