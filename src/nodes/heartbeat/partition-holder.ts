/**
 * telemetry-heartbeat-watch behind a telemetry-partition node: the registry entries of a
 * partition's devices move with it (PartitionStateHolder, src/nodes/shared/partition-registry.ts),
 * so the member that gains a partition knows when each of its devices was last heard and none is
 * reported `down` for the move.
 *
 * - Which device is whose: recorded from `msg.partition` for each heartbeat's device (bounded by
 *   maxDevices: entries of devices the registry no longer holds are pruned at each checkpoint).
 * - release / adopt / checkpoint: the registry snapshot cut to the partition's devices; the
 *   tracker is rebuilt from the rest (release) or with them added (adopt). A rebuilt tracker gives
 *   every device a fresh grace of its timeout (as after a restart): a device that went silent just
 *   before a move is reported `down` up to one timeout later than without the move, never early.
 * - Acknowledgement: a msg with `msg.partition` completes only once a stored checkpoint holds it.
 * - `expected` devices: watched only while this member owns their partition (the controller
 *   filters the list through `owns`, and the tracker is rebuilt on every adopt and release), so a
 *   member never reports `down` a device another member hears. The partition of a device never
 *   seen is computed from its id, which works when the partition key is the one tag the watch
 *   reads the id from (`deviceKey` `tags.device`, key `device`); with any other key the
 *   controller watches none of them and warns.
 */
import { type HeartbeatSnapshot, parseSnapshot } from '../../core/heartbeat/snapshot';
import { mergeHeartbeatSnapshots, splitHeartbeatSnapshot } from '../../core/heartbeat/partition-split';
import type { PartitionStateHolder } from '../shared/partition-registry';
import type { Done } from '../shared/red';
import { CheckpointAcks, type PartitionLink } from '../shared/partition-holder-link';

/** The controller's tracker, as the holder reads and rebuilds it. */
export interface RegistrySlot {
  /** The current registry (undefined while restoring from the context store). */
  snapshot(): HeartbeatSnapshot | undefined;
  /** Replaces the tracker by a fresh one restored from `snapshot`. */
  rebuild(snapshot: HeartbeatSnapshot): void;
  /** The watch has `expected` devices: which are watched follows the owned partitions. */
  readonly hasExpected: boolean;
}

export class HeartbeatPartitionHolder implements PartitionStateHolder {
  private readonly partitionOfDevice = new Map<string, number>();
  private readonly acks: CheckpointAcks;
  private active = false;
  /** Partitions adopted and not released: whose `expected` devices this member watches. */
  private readonly ownedNow = new Set<number>();
  /** States adopted while the tracker was still being restored from the context store. */
  private deferred: Array<[number, HeartbeatSnapshot]> = [];

  constructor(
    private readonly slot: RegistrySlot,
    private readonly link: PartitionLink,
  ) {
    this.acks = new CheckpointAcks(link);
  }

  note(partition: number, device: string): void {
    this.takePart();
    this.partitionOfDevice.set(device, partition);
  }

  /** Behind a partition node: moves apply (a partition msg or adopt came, or a partition node is attached). */
  get partitioned(): boolean {
    return this.active || this.link.layout() !== undefined;
  }

  /** The partition of a device's key tag value (-1: no layout, or the key is not that one tag). */
  partitionOf(tag: string, value: string): number {
    return this.link.layout()?.partitionOf({ [tag]: value }) ?? -1;
  }

  owns(p: number): boolean {
    return this.ownedNow.has(p);
  }

  hold(partition: number, done: Done): void {
    this.acks.hold(partition, () => done());
  }

  async releasePartition(p: number): Promise<unknown> {
    this.ownedNow.delete(p); // before the rebuild: p's expected devices are not watched here any more
    const current = this.active ? this.slot.snapshot() : undefined;
    if (!current) return undefined;
    const { taken, kept } = splitHeartbeatSnapshot(current, (d) => this.partitionOfDevice.get(d) === p);
    this.slot.rebuild(kept);
    for (const device of taken.devices) this.partitionOfDevice.delete(device);
    this.acks.cover(p);
    return taken;
  }

  async adoptPartition(p: number, state: unknown): Promise<void> {
    this.takePart();
    this.ownedNow.add(p);
    const parsed = state === undefined ? undefined : parseSnapshot(state);
    const saved = parsed?.ok ? parsed.snapshot : undefined;
    const current = this.slot.snapshot();
    if (!saved) {
      // Nothing saved for p: still rebuilt when p's expected devices start being watched here.
      if (current && this.slot.hasExpected) this.slot.rebuild(current);
      return;
    }
    for (const device of saved.devices) this.partitionOfDevice.set(device, p);
    if (current) this.slot.rebuild(mergeHeartbeatSnapshots(current, saved));
    else this.deferred.push([p, saved]);
  }

  /** The tracker exists now: adds what was adopted before. */
  started(): void {
    const deferred = this.deferred;
    this.deferred = [];
    let current = this.slot.snapshot();
    if (!current || deferred.length === 0) return;
    for (const [, snapshot] of deferred) current = mergeHeartbeatSnapshots(current, snapshot);
    this.slot.rebuild(current);
  }

  async checkpointPartition(p: number): Promise<unknown> {
    const current = this.active ? this.slot.snapshot() : undefined;
    if (!current) return undefined;
    this.acks.cover(p);
    if (this.partitionOfDevice.size > current.devices.length) {
      const live = new Set(current.devices);
      for (const device of this.partitionOfDevice.keys()) if (!live.has(device)) this.partitionOfDevice.delete(device);
    }
    return splitHeartbeatSnapshot(current, (d) => this.partitionOfDevice.get(d) === p).taken;
  }

  partitionSaved(p: number): void {
    this.acks.saved(p);
  }

  /** Closing: the partitions' devices are in their checkpoints; drop them (not ours to persist). */
  forgetPartitioned(): void {
    if (!this.active) return;
    const current = this.slot.snapshot();
    if (current) this.slot.rebuild(splitHeartbeatSnapshot(current, (d) => this.partitionOfDevice.has(d)).kept);
    this.partitionOfDevice.clear();
    this.ownedNow.clear();
    this.acks.finishAll();
  }

  /** From the first partition msg or adopted partition on: moves apply, and completions count as durable. */
  private takePart(): void {
    if (this.active) return;
    this.active = true;
    this.link.markDurable();
  }

}
