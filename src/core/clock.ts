/**
 * Time as the core and the shell see it: read the time, arm and clear one-shot timers.
 * Nothing in `src/core` or `src/nodes` calls `Date.now` or `setTimeout` itself; the one real
 * clock is `src/io/system-clock.ts`, and tests hand in a fake one (test/support/fake-clock.js),
 * so timing behaviour is tested in microseconds instead of by sleeping.
 */
export type TimerHandle = unknown;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms`. Callers keep `ms` ≤ MAX_TIMER_DELAY_MS (DeadlineTimer does). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * setTimeout's largest delay (2^31 − 1 ms ≈ 24.8 days): Node fires an overflowing timer after
 * 1 ms, so a `30d` schedule would run back to back. Longer waits are taken in hops.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** `promise`, or a rejection with `error()` once `ms` passed on `clock` (the timer is cleared either way). */
export function within<T>(clock: Clock, promise: Promise<T>, ms: number, error = (): Error => new Error(`no answer within ${ms / 1000}s`)): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(error()), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}
