/**
 * Window state by partition (DESIGN §7, README "Running several instances"): the open windows of
 * the keys of one partition leave with it (release), come back on the member that gains it
 * (adopt), and are checkpointed on their own. Works on WindowSnapshot, the format the node
 * already persists, so a partition's state is the same thing as a restart's, cut to its keys.
 * Pure; the node's holder (src/nodes/window/partition-holder.ts) decides which key is whose.
 */
import type { WindowSnapshot } from './engine';

export interface SnapshotKey {
  id: string;
  tags: Record<string, string>;
}

/** The keys (and tombstones) for which `take` holds, and the rest with the counters. */
export function splitSnapshot(snapshot: WindowSnapshot, take: (key: SnapshotKey) => boolean): { taken: WindowSnapshot; kept: WindowSnapshot } {
  const taken: WindowSnapshot = { version: 1, spec: snapshot.spec, keys: [], tombstones: [], counters: { late: 0, refused: 0, emitted: 0 } };
  const kept: WindowSnapshot = { version: 1, spec: snapshot.spec, keys: [], tombstones: [], counters: { ...snapshot.counters } };
  for (const key of snapshot.keys) (take(key) ? taken : kept).keys.push(key);
  for (const key of snapshot.tombstones) (take(key) ? taken : kept).tombstones.push(key);
  return { taken, kept };
}

/**
 * `base` plus the keys of `extra` (a partition's state from the previous owner). A key in both
 * (readings of it reached this member before the partition's state did: not expected, since a
 * partition's msgs flow only after adopt) keeps `extra`'s windows, the saved history.
 */
export function mergeSnapshots(base: WindowSnapshot, extra: WindowSnapshot): WindowSnapshot {
  const ids = new Set([...extra.keys, ...extra.tombstones].map((k) => k.id));
  return {
    version: 1,
    spec: base.spec,
    keys: [...base.keys.filter((k) => !ids.has(k.id)), ...extra.keys],
    tombstones: [...base.tombstones.filter((k) => !ids.has(k.id)), ...extra.tombstones],
    counters: { ...base.counters },
  };
}

/** Whether `value` looks like a partition's window state (a WindowSnapshot). */
export function isWindowSnapshot(value: unknown): value is WindowSnapshot {
  const s = value as WindowSnapshot | undefined;
  return !!s && s.version === 1 && !!s.spec && Array.isArray(s.keys) && Array.isArray(s.tombstones);
}
