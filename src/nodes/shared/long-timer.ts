/**
 * Timers for durations users type: `30d` is longer than setTimeout's largest delay
 * (2^31 − 1 ms ≈ 24.8 days), and Node fires an overflowing timer after 1 ms — a monthly
 * schedule would run continuously. Long waits are taken in hops instead.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

export interface LongTimer {
  clear(): void;
}

/** Calls `fn` once after `ms` (any length). */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  const dueAt = Date.now() + ms;
  let handle: NodeJS.Timeout;
  const arm = (delay: number): void => {
    handle = setTimeout(() => {
      const left = dueAt - Date.now();
      if (left > 0) arm(left);
      else fn();
    }, Math.min(MAX_TIMER_DELAY_MS, Math.max(0, delay)));
  };
  arm(ms);
  return { clear: () => clearTimeout(handle) };
}

/** Calls `fn` every `ms` (any length) until cleared. */
export function setLongInterval(fn: () => void, ms: number): LongTimer {
  let current: LongTimer;
  const next = (): void => {
    current = setLongTimeout(() => {
      next();
      fn();
    }, ms);
  };
  next();
  return { clear: () => current.clear() };
}
