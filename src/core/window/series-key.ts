/**
 * Which key a reading belongs to: its measurement plus the values of the group-by tags.
 * A missing tag and an empty one are the same key (InfluxDB stores neither).
 */
import { escapeMeasurement, escapeName } from '../line-protocol';
import type { Reading } from '../reading';

/**
 * An unambiguous map key: every part is length-prefixed, so no tag value (whatever characters
 * it holds) can make two different keys collide.
 */
export function keyId(reading: Reading, groupBy: readonly string[]): string {
  const measurement = reading.measurement;
  let id = `${measurement.length}:${measurement}`;
  const tags = reading.tags;
  for (let i = 0; i < groupBy.length; i++) {
    const value = tags?.[groupBy[i] as string] ?? '';
    id += `|${value.length}:${value}`;
  }
  return id;
}

/** The group-by tags a key's output readings carry (empty ones left out). */
export function groupTags(reading: Reading, groupBy: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const key of groupBy) {
    const value = reading.tags?.[key];
    if (typeof value === 'string' && value !== '') tags[key] = value;
  }
  return tags;
}

/**
 * The key as people read it (`msg.window.key`): InfluxDB's series-key form,
 * `telemetry,device=dev-7,site=plant-a`, tags sorted, escaped as in line protocol.
 */
export function seriesKey(measurement: string, tags: Record<string, string>): string {
  let key = escapeMeasurement(measurement);
  for (const name of Object.keys(tags).sort()) key += `,${escapeName(name)}=${escapeName(tags[name] as string)}`;
  return key;
}
