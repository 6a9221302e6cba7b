/**
 * telemetry-window behind a telemetry-partition node: its open windows move with their
 * partition (the PartitionStateHolder contract, src/nodes/shared/partition-registry.ts).
 *
 * - Which key is whose: each msg from a partition node carries `msg.partition`; the holder
 *   records key → partition for its readings (bounded: entries of keys the engine no longer
 *   holds are pruned at every checkpoint). A key never seen with a partition (restored from the
 *   context store) is placed by the partition node's own hash of its tags.
 * - release(p): the keys of p leave the engine, as a WindowSnapshot cut to them; adopt(p, state):
 *   they join it. checkpoint(p): the same cut, keys kept.
 * - Acknowledgement: a msg with `msg.partition` completes (done) only once a checkpoint holding
 *   its readings is stored (`partitionSaved`), so the partition node acknowledges it to the broker
 *   only then — a member killed with SIGKILL loses no reading: the next owner restores the last
 *   checkpoint and the broker redelivers everything after it (a reading in a window that closed
 *   and was sent before the kill, but not yet checkpointed, may be counted twice: at-least-once).
 *   The holder asks for a checkpoint soon after such a msg, not only every 5 s.
 */
import type { Clock } from '../../core/clock';
import { asReadingList, type Reading } from '../../core/reading';
import { WindowEngine, type WindowSpec } from '../../core/window';
import type { WindowSnapshot } from '../../core/window/engine';
import { isWindowSnapshot, mergeSnapshots, splitSnapshot, type SnapshotKey } from '../../core/window/partition-split';
import { keyId } from '../../core/window/series-key';
import { CheckpointAcks, type PartitionLink } from '../shared/partition-holder-link';
import type { PartitionStateHolder } from '../shared/partition-registry';
import type { Done } from '../shared/red';

/** The controller's engine, as the holder reads and replaces it. */
export interface EngineSlot {
  get(): WindowEngine;
  set(engine: WindowEngine): void;
  /** Bumped by every change of the engine (input, timer, control): a snapshot is reused while it stays. */
  version(): number;
}

export class WindowPartitionHolder implements PartitionStateHolder {
  private readonly partitionOfKey = new Map<string, number>();
  private readonly acks: CheckpointAcks;
  private cache: { version: number; snapshot: WindowSnapshot } | undefined;
  /** Whether any partition took part: close then leaves the keys to their checkpoints. */
  private active = false;

  constructor(
    private readonly slot: EngineSlot,
    private readonly spec: WindowSpec,
    private readonly clock: Clock,
    private readonly link: PartitionLink,
  ) {
    this.acks = new CheckpointAcks(link);
  }

  /** A msg from a partition node: remember whose keys its readings are. */
  note(partition: number, payload: unknown): void {
    this.takePart();
    for (const item of asReadingList(payload)) {
      const reading = item as Reading;
      if (reading && typeof reading.measurement === 'string') this.partitionOfKey.set(keyId(reading, this.spec.groupBy), partition);
    }
  }

  /** Completes `done` once a checkpoint holding the msg's readings is stored. */
  hold(partition: number, done: Done): void {
    this.acks.hold(partition, () => done());
  }

  async releasePartition(p: number): Promise<unknown> {
    if (!this.active) return undefined;
    const { taken, kept } = splitSnapshot(this.snapshot(), (k) => this.partitionOf(k) === p);
    this.slot.set(WindowEngine.fromSnapshot(kept, this.clock.now(), this.spec));
    for (const key of [...taken.keys, ...taken.tombstones]) this.partitionOfKey.delete(key.id);
    this.acks.cover(p);
    return taken;
  }

  async adoptPartition(p: number, state: unknown): Promise<void> {
    this.takePart();
    if (!isWindowSnapshot(state)) return;
    const merged = mergeSnapshots(this.snapshot(), state);
    this.slot.set(WindowEngine.fromSnapshot(merged, this.clock.now(), this.spec));
    for (const key of [...state.keys, ...state.tombstones]) this.partitionOfKey.set(key.id, p);
  }

  async checkpointPartition(p: number): Promise<unknown> {
    if (!this.active) return undefined;
    this.acks.cover(p);
    const { taken } = splitSnapshot(this.snapshot(), (k) => this.partitionOf(k) === p);
    return taken;
  }

  partitionSaved(p: number): void {
    this.acks.saved(p);
  }

  /**
   * Closing: the keys of every partition are in their checkpoints (the owner checkpoints a
   * holder that goes away): drop them, so close does not send them as partial windows that the
   * next owner would send again in full. Inputs still held complete (their state is saved).
   */
  forgetPartitioned(): void {
    if (!this.active) return;
    const { kept } = splitSnapshot(this.slot.get().snapshot(), (k) => this.partitionOf(k) !== undefined);
    this.slot.set(WindowEngine.fromSnapshot(kept, this.clock.now(), this.spec));
    this.partitionOfKey.clear();
    this.acks.finishAll();
  }

  /** From the first partition msg or adopted partition on: moves apply, and completions count as durable. */
  private takePart(): void {
    if (this.active) return;
    this.active = true;
    this.link.markDurable();
  }


  private partitionOf(key: SnapshotKey): number | undefined {
    const known = this.partitionOfKey.get(key.id);
    if (known !== undefined || !this.active) return known;
    return this.link.layout()?.partitionOf(key.tags);
  }

  /** The engine's snapshot, reused while the engine is unchanged; prunes the key map. */
  private snapshot(): WindowSnapshot {
    const version = this.slot.version();
    if (this.cache?.version === version) return this.cache.snapshot;
    const snapshot = this.slot.get().snapshot();
    if (this.partitionOfKey.size > snapshot.keys.length + snapshot.tombstones.length) {
      const ids = new Set([...snapshot.keys, ...snapshot.tombstones].map((k) => k.id));
      for (const id of this.partitionOfKey.keys()) if (!ids.has(id)) this.partitionOfKey.delete(id);
    }
    this.cache = { version, snapshot };
    return snapshot;
  }
}
