/**
 * How a stateful node (window, heartbeat watch) takes part in partition moves: the runtime's
 * partition registry (src/nodes/shared/partition-registry.ts) seen from a holder.
 */
import { type PartitionLayout, type PartitionStateHolder, partitionRuntime } from './partition-registry';
import type { NodeAPI } from './red';

export interface PartitionLink {
  layout(): PartitionLayout | undefined;
  requestCheckpoint(): void;
  /** Takes part in the moves of every partition group of this runtime (registry: registerHolder). */
  register(nodeId: string, holder: PartitionStateHolder): { ready: Promise<void>; unregister: () => Promise<void> };
}

/** The runtime's partition registry as a window (or heartbeat) holder uses it. */
export function partitionLinkOf(RED: NodeAPI): PartitionLink {
  const runtime = partitionRuntime(RED);
  return {
    layout: () => runtime.attachedGroups()[0]?.layout,
    requestCheckpoint: () => {
      for (const group of runtime.attachedGroups()) group.requestCheckpoint();
    },
    register: (nodeId, holder) => runtime.registerHolder(nodeId, holder),
  };
}

