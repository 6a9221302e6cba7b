/**
 * How a stateful node (window, heartbeat watch) takes part in partition moves: the runtime's
 * partition registry (src/nodes/shared/partition-registry.ts) seen from a holder.
 */
import { type PartitionLayout, type PartitionStateHolder, partitionRuntime } from './partition-registry';
import { markDurable } from './durability';
import type { NodeAPI } from './red';

export interface PartitionLink {
  layout(): PartitionLayout | undefined;
  requestCheckpoint(): void;
  /**
   * The node completes partition msgs only once a stored checkpoint holds them: from its first
   * partition msg on it counts as a durable sink for ack-after-archive (shared/durability.ts), so
   * the partition node acknowledges each message to the broker when its reading is safe.
   */
  markDurable(): void;
  /** Takes part in the moves of every partition group of this runtime (registry: registerHolder). */
  register(nodeId: string, holder: PartitionStateHolder): { ready: Promise<void>; unregister: () => Promise<void> };
}

/** The runtime's partition registry as a window (or heartbeat) holder uses it. */
export function partitionLinkOf(RED: NodeAPI, node: object): PartitionLink {
  const runtime = partitionRuntime(RED);
  return {
    markDurable: () => markDurable(node),
    layout: () => runtime.attachedGroups()[0]?.layout,
    requestCheckpoint: () => {
      for (const group of runtime.attachedGroups()) group.requestCheckpoint();
    },
    register: (nodeId, holder) => runtime.registerHolder(nodeId, holder),
  };
}


/**
 * The done() bookkeeping of a holder (window, heartbeat watch): a partition msg completes only
 * once a stored checkpoint holds its readings. Pending: not yet in a checkpoint; covered: in the
 * checkpoint (or release) being stored now, completed by `saved(p)`. A save that fails leaves
 * them covered: the next checkpoint of p covers them again and its save completes them.
 */
export class CheckpointAcks {
  private readonly pending = new Map<number, Array<() => void>>();
  private readonly covered = new Map<number, Array<() => void>>();

  constructor(private readonly link: PartitionLink) {}

  /** Holds `finish` until a checkpoint of `p` taken from now on is stored; asks for one soon. */
  hold(p: number, finish: () => void): void {
    const list = this.pending.get(p);
    if (list) list.push(finish);
    else this.pending.set(p, [finish]);
    this.link.requestCheckpoint();
  }

  /** A checkpoint (or release) of p is being taken now: what is pending goes into it. */
  cover(p: number): void {
    const waiting = this.pending.get(p);
    if (!waiting) return;
    this.pending.delete(p);
    const list = this.covered.get(p);
    if (list) list.push(...waiting);
    else this.covered.set(p, waiting);
  }

  /** p's checkpoint is stored: completes what it covers. */
  saved(p: number): void {
    const list = this.covered.get(p);
    this.covered.delete(p);
    for (const finish of list ?? []) finish();
  }

  /** Completes everything held (closing: the owner has checkpointed the holder's partitions). */
  finishAll(): void {
    for (const list of [...this.pending.values(), ...this.covered.values()]) for (const finish of list) finish();
    this.pending.clear();
    this.covered.clear();
  }
}
