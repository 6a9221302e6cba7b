/**
 * The optional `device_status,device=<id> up=1|0` reading for a state change (`emitReading`),
 * so availability can be archived and graphed next to the telemetry it explains.
 */
import type { Reading } from '../reading';
import type { StateChange } from './tracker';

export const STATUS_MEASUREMENT = 'device_status';

/** A reading for `up`/`down`; none for `retired` (the device is gone, not down again). */
export function statusReading(change: StateChange): Reading | undefined {
  if (change.status === 'retired') return undefined;
  return {
    measurement: STATUS_MEASUREMENT,
    tags: { device: change.device },
    // Always 1 or 0 as a number: written as a float, so the field never flips type (README "The reading").
    fields: { up: change.status === 'up' ? 1 : 0 },
    timestamp: Math.floor(change.at),
  };
}
