/**
 * The clock a node runs on: the system clock, or the one a test put into the runtime settings
 * as `telemetryClock` (test/support/fake-clock.js), so node tests move time instead of sleeping.
 */
import type { Clock } from '../../core/clock';
import { monotonicClock, systemClock } from '../../io/system-clock';
import type { NodeAPI } from './red';

export type { Clock } from '../../core/clock';

function injected(RED: NodeAPI): Clock | undefined {
  // telemetryClock is not a Node-RED setting; only our tests set it (settings are untyped there).
  const clock = (RED.settings as unknown as { telemetryClock?: Clock }).telemetryClock;
  return clock && typeof clock.now === 'function' ? clock : undefined;
}

/** Wall-clock time and timers. */
export function clockOf(RED: NodeAPI): Clock {
  return injected(RED) ?? systemClock;
}

/** Time that never steps (NTP, suspend): for deadlines such as the heartbeat timeout. */
export function monotonicClockOf(RED: NodeAPI): Clock {
  return injected(RED) ?? monotonicClock;
}
