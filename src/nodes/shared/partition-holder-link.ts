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

