/**
 * The real clocks: the only place in the package that reads the system time or arms a Node
 * timer for the nodes (src/core/clock.ts says why).
 */
import type { Clock, TimerHandle } from '../core/clock';

function timeout(fn: () => void, ms: number): TimerHandle {
  return setTimeout(fn, ms);
}

function clear(handle: TimerHandle): void {
  clearTimeout(handle as NodeJS.Timeout);
}

/** Wall-clock time: readings are stamped and windows close in epoch ms as users read them. */
export const systemClock: Clock = { now: () => Date.now(), setTimeout: timeout, clearTimeout: clear };

/**
 * Epoch ms that never steps: deadlines measured with it survive NTP corrections and
 * suspend/resume (the heartbeat watch's timeouts).
 */
export const monotonicClock: Clock = {
  now: () => Math.floor(performance.timeOrigin + performance.now()),
  setTimeout: timeout,
  clearTimeout: clear,
};
