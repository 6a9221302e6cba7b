/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"): spreads the
 * retries of many clients so a recovering server is not hit by all of them at once.
 * `random` is injected so tests are deterministic.
 */
export interface BackoffOptions {
  /** First delay before jitter, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms (config `maxBackoff`). */
  maxMs: number;
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): uniform in [base/2, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, { baseMs, maxMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const floor = Math.min(ceiling, baseMs / 2);
  return Math.round(floor + random() * (ceiling - floor));
}
