/**
 * Scheduled purges on one member at a time (DESIGN §7, README "Running several instances").
 *
 * The leader is the member that owns partition 0 of the runtime's partition group: the
 * telemetry-partition node already guarantees that exactly one live member owns a partition at a
 * time, moves it within seconds when that member leaves or dies, and works the same with static
 * assignment (the instance given partition 0). No second lock to get wrong: MQTT has no
 * compare-and-set, so a retained "lock" message could be taken by two members at once.
 *
 * - No partition node in this runtime: a single instance, every scheduled run goes ahead.
 * - A partition node, partition 0 owned here: scheduled runs go ahead.
 * - Otherwise (another member owns it, or it is moving right now): the scheduled run is skipped
 *   and the status says so; the leader runs it. A run that falls in a move of partition 0 is
 *   skipped everywhere: the next scheduled one runs (purges are idempotent: nothing piles up).
 * Purges triggered by a msg always run: the flow decided where.
 */
import { type PartitionRuntime, partitionRuntime } from '../shared/partition-registry';
import type { NodeAPI } from '../shared/red';

export type ScheduleTurn = { lead: true } | { lead: false; group: string };

export function scheduleTurn(runtime: PartitionRuntime): ScheduleTurn {
  const groups = runtime.attachedGroups();
  if (groups.length === 0) return { lead: true };
  if (groups.some((g) => g.owned.has(0))) return { lead: true };
  return { lead: false, group: (groups[0] as { group: string }).group };
}

/** Whether this member runs the scheduled purges now (asked at each scheduled run). */
export function scheduleLeader(RED: NodeAPI): () => ScheduleTurn {
  return () => scheduleTurn(partitionRuntime(RED));
}
