/**
 * The registry as it is persisted in a Node-RED context store (`persistState`).
 *
 * Columnar rather than one object per device: a million devices serialise to ~30 MB of JSON and
 * need no million small objects while being built. What comes back from a store is untrusted
 * (another version, a hand edit, a truncated file), so `parseSnapshot` checks every column.
 */

export const SNAPSHOT_FORMAT = 'telemetry-heartbeat-watch/1';

export interface HeartbeatSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** Tracker clock when saved (epoch ms). */
  savedAt: number;
  devices: string[];
  /** Epoch ms of each device's last heartbeat; null for an expected device never seen. */
  lastSeen: Array<number | null>;
  /** One character per device: "1" reported down, "0" up. */
  down: string;
  /** Per-device timeouts that came with the last heartbeat: flat pairs [index, ms, index, ms…]. */
  timeouts: number[];
}

export type SnapshotParse = { ok: true; snapshot: HeartbeatSnapshot } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseSnapshot(value: unknown): SnapshotParse {
  const fail = (reason: string): SnapshotParse => ({ ok: false, reason });
  if (!isRecord(value)) return fail('not an object');
  if (value.format !== SNAPSHOT_FORMAT) return fail(`unknown format ${JSON.stringify(value.format)}`);
  const { savedAt, devices, lastSeen, down, timeouts } = value;
  if (typeof savedAt !== 'number' || !Number.isFinite(savedAt)) return fail('savedAt is not a time');
  if (!Array.isArray(devices) || !Array.isArray(lastSeen) || typeof down !== 'string' || !Array.isArray(timeouts)) {
    return fail('a column is missing');
  }
  const n = devices.length;
  if (lastSeen.length !== n || down.length !== n) return fail('columns differ in length');
  for (let i = 0; i < n; i++) {
    const id: unknown = devices[i];
    if (typeof id !== 'string' || id === '') return fail(`device ${i} has no id`);
    const seen: unknown = lastSeen[i];
    if (seen !== null && (typeof seen !== 'number' || !Number.isFinite(seen))) return fail(`device ${i} has a bad lastSeen`);
    const flag = down.charCodeAt(i);
    if (flag !== 48 && flag !== 49) return fail(`device ${i} has a bad status`);
  }
  if (timeouts.length % 2 !== 0) return fail('timeouts are not pairs');
  for (let i = 0; i < timeouts.length; i += 2) {
    const at: unknown = timeouts[i];
    const ms: unknown = timeouts[i + 1];
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= n) return fail('a timeout names no device');
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return fail('a timeout is not a positive duration');
  }
  return { ok: true, snapshot: value as unknown as HeartbeatSnapshot };
}
