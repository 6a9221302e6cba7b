/**
 * What a closed window becomes (README "How each node behaves"): a reading with the group-by tags, fields named
 * `<field>_<aggregate>` and the window start as its timestamp, plus `msg.window`.
 */
import type { FieldValue, Reading } from '../reading';
import type { OpenWindow } from './open-window';
import type { WindowSpec } from './spec';

export interface WindowInfo {
  start: number;
  end: number;
  /** readings the window took */
  count: number;
  /** the key in series-key form: `telemetry,device=dev-7` */
  key: string;
  /** set when the window was closed before it was due (flush, or a stop without persistState) */
  partial?: true;
}

export interface ClosedWindow {
  reading: Reading;
  window: WindowInfo;
}

/**
 * The output reading, or undefined when no aggregate has a value (only possible when every
 * configured aggregate is stddev or rate and the window holds a single value per field).
 */
export function windowReading(spec: WindowSpec, measurement: string, tags: Record<string, string>, window: OpenWindow): Reading | undefined {
  const fields: Record<string, FieldValue> = {};
  let any = false;
  for (const [name, stats] of window.fields) {
    for (const aggregate of spec.aggregates) {
      const value = stats.value(aggregate);
      // Sums of huge values can overflow; InfluxDB cannot store a non-finite number.
      if (value === undefined || !Number.isFinite(value)) continue;
      fields[`${name}_${aggregate}`] = value;
      any = true;
    }
  }
  if (!any) return undefined;
  return { measurement, tags: { ...tags }, fields, timestamp: window.start };
}
