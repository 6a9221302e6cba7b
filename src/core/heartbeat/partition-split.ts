/**
 * Heartbeat registry by partition (DESIGN §7): the devices of one partition leave with it and
 * come back on the member that gains it, in the format the node already persists
 * (HeartbeatSnapshot, columnar). Pure; the node's holder decides which device is whose.
 */
import { type HeartbeatSnapshot, SNAPSHOT_FORMAT } from './snapshot';

function empty(savedAt: number): HeartbeatSnapshot {
  return { format: SNAPSHOT_FORMAT, savedAt, devices: [], lastSeen: [], down: '', timeouts: [] };
}

/** Appends device `i` of `from` to `to` (columns and its own timeout). */
function copy(from: HeartbeatSnapshot, i: number, to: HeartbeatSnapshot, timeoutOf: Map<number, number>, downs: string[]): void {
  const own = timeoutOf.get(i);
  if (own !== undefined) to.timeouts.push(to.devices.length, own);
  to.devices.push(from.devices[i] as string);
  to.lastSeen.push(from.lastSeen[i] ?? null);
  downs.push(from.down[i] === '1' ? '1' : '0');
}

function timeoutsOf(s: HeartbeatSnapshot): Map<number, number> {
  const map = new Map<number, number>();
  for (let i = 0; i < s.timeouts.length; i += 2) map.set(s.timeouts[i] as number, s.timeouts[i + 1] as number);
  return map;
}

/** The devices for which `take` holds, and the rest. */
export function splitHeartbeatSnapshot(s: HeartbeatSnapshot, take: (device: string) => boolean): { taken: HeartbeatSnapshot; kept: HeartbeatSnapshot } {
  const taken = empty(s.savedAt);
  const kept = empty(s.savedAt);
  const timeoutOf = timeoutsOf(s);
  const takenDown: string[] = [];
  const keptDown: string[] = [];
  for (let i = 0; i < s.devices.length; i++) {
    if (take(s.devices[i] as string)) copy(s, i, taken, timeoutOf, takenDown);
    else copy(s, i, kept, timeoutOf, keptDown);
  }
  taken.down = takenDown.join('');
  kept.down = keptDown.join('');
  return { taken, kept };
}

/** `base` plus the devices of `extra`; a device in both takes `extra`'s (the saved history). */
export function mergeHeartbeatSnapshots(base: HeartbeatSnapshot, extra: HeartbeatSnapshot): HeartbeatSnapshot {
  const inExtra = new Set(extra.devices);
  const out = empty(base.savedAt);
  const downs: string[] = [];
  const baseTimeouts = timeoutsOf(base);
  for (let i = 0; i < base.devices.length; i++) if (!inExtra.has(base.devices[i] as string)) copy(base, i, out, baseTimeouts, downs);
  const extraTimeouts = timeoutsOf(extra);
  for (let i = 0; i < extra.devices.length; i++) copy(extra, i, out, extraTimeouts, downs);
  out.down = downs.join('');
  return out;
}
