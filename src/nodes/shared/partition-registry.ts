/**
 * How keyed state moves with its partition (issue #17, DESIGN §7) — the contract between a
 * `telemetry-partition` node (the *owner*) and the stateful nodes downstream of it (window,
 * heartbeat watch: the *holders*).
 *
 * One registry per Node-RED runtime and partition group. Holders register by node id in their
 * constructor; the partition node attaches as owner and gains partitions only after
 * `flows:started`, so every holder of the deploy is registered before a partition's msgs flow.
 *
 * Move protocol, as the owner runs it for partition p:
 * - release (p moves away, or the node closes): stop consuming p → `releasePartition(p)` here
 *   (every holder hands over and forgets p's keys) → the owner saves the states as p's checkpoint
 *   → disconnects p's session → announces the release.
 * - gain: the owner reads p's checkpoint → `adoptPartition(p, states)` here (each holder gets what
 *   it saved itself, by node id) → connects p's session, so p's msgs flow only after every holder
 *   has its state.
 * - periodic checkpoint: `checkpointPartition(p)` (keys kept) → saved the same way, every
 *   CHECKPOINT_EVERY_MS per owned partition, or soon after a holder's `requestCheckpoint()`.
 * After each save the holders' optional `partitionSaved(p)` is called.
 *
 * A holder that registers while partitions are already owned (a partial deploy restarted only
 * the window) is brought up to date by the owner (`PartitionOwner.holderAdded`: the owner reads
 * the checkpoints of its partitions and calls that holder's adoptPartition). A holder that goes
 * away first awaits its unregister function: the owner checkpoints that holder's partitions.
 *
 * Holders that do not name a group (the normal case: one partition node per runtime) take part
 * in every group that has an owner attached in this runtime. A holder behind one of several
 * partition nodes in the same runtime names the group, since partition numbers are per group.
 *
 * State objects must be JSON-serialisable: they cross processes in the checkpoint.
 */
import type { NodeAPI } from './red';

export interface PartitionStateHolder {
  /** JSON-serialisable state of the keys in partition p; the holder forgets them. */
  releasePartition(p: number): Promise<unknown>;
  /** State saved by the previous owner (undefined if none); called before p's messages flow. */
  adoptPartition(p: number, state: unknown): Promise<void>;
  /** Current state of p for a periodic checkpoint (keys kept). */
  checkpointPartition(p: number): Promise<unknown>;
  /**
   * Optional: the state this holder last returned for p (from checkpointPartition or
   * releasePartition) is now stored where every member reads it (the broker acknowledged the
   * checkpoint). What it covers is durable: a holder that defers done() for ack-after-archive
   * completes those msgs here. Not called when saving failed (the next checkpoint retries).
   */
  partitionSaved?(p: number): void;
}

/** The states of one partition, by holder node id (what one checkpoint holds). */
export type PartitionStates = Record<string, unknown>;

/** How readings map to partitions in a group (set by the owner; same in every member). */
export interface PartitionLayout {
  readonly partitions: number;
  /** The partition of a reading's tags (the key tags' values hashed, mod partitions); -1 when a key tag is missing. */
  partitionOf(tags: Record<string, string>): number;
}

/** The partition node's side, attached to the registry of its group. */
export interface PartitionOwner {
  readonly layout: PartitionLayout;
  /** A holder registered while partitions are owned: adopt its saved state of each of them. */
  holderAdded(nodeId: string, holder: PartitionStateHolder): Promise<void>;
  /** A holder is going away: checkpoint its state of the owned partitions. */
  holderRemoving(nodeId: string, holder: PartitionStateHolder): Promise<void>;
  /** A holder asks for a checkpoint of every owned partition soon (coalesced). */
  checkpointSoon(): void;
}

/** How often the owner checkpoints each owned partition without being asked. */
export const CHECKPOINT_EVERY_MS = 5_000;

export class PartitionRegistry {
  private owner: PartitionOwner | undefined;
  private readonly ownedNow = new Set<number>();

  constructor(
    readonly group: string,
    private readonly holdersOf: () => ReadonlyMap<string, PartitionStateHolder>,
  ) {}

  // ---- read side (holders, status) ----

  /** The layout of the attached owner, undefined while none is attached. */
  get layout(): PartitionLayout | undefined {
    return this.owner?.layout;
  }

  /** Partitions whose state the holders hold now (adopted and not released). */
  get owned(): ReadonlySet<number> {
    return this.ownedNow;
  }

  /**
   * Asks the owner for a checkpoint of every owned partition soon (several requests within a
   * few ms make one checkpoint): a holder holding done()s for ack-after-archive calls it so those
   * msgs need not wait for the periodic checkpoint. No-op while no owner is attached.
   */
  requestCheckpoint(): void {
    this.owner?.checkpointSoon();
  }

  /** @internal the owner stored p's checkpoint: tells the holders that take part. */
  saved(p: number, holderIds: readonly string[]): void {
    const holders = this.holdersOf();
    for (const id of holderIds) {
      try {
        holders.get(id)?.partitionSaved?.(p);
      } catch {
        // A holder's bookkeeping failure must not stop the others from hearing of the save.
      }
    }
  }

  /** Node ids of the holders taking part (registered for this group or for any group). */
  holderIds(): string[] {
    return [...this.holdersOf().keys()];
  }

  // ---- owner side ----

  /** Attaches the partition node. One owner per runtime and group: a second gets an Error. */
  attach(owner: PartitionOwner): (() => void) | Error {
    if (this.owner && this.owner !== owner) return new Error(`partition group "${this.group}" already has a partition node in this runtime`);
    this.owner = owner;
    return () => {
      if (this.owner !== owner) return;
      this.owner = undefined;
      this.ownedNow.clear();
    };
  }

  get attached(): boolean {
    return this.owner !== undefined;
  }

  /** Every holder hands over p's state and forgets it. Holders failing are left out (and reported). */
  async releasePartition(p: number): Promise<{ states: PartitionStates; failures: HolderFailure[] }> {
    this.ownedNow.delete(p);
    return this.collect((h) => h.releasePartition(p));
  }

  /** Every holder takes its state of p (states[nodeId], undefined if none); then p counts as owned. */
  async adoptPartition(p: number, states: PartitionStates): Promise<{ failures: HolderFailure[] }> {
    const failures: HolderFailure[] = [];
    await Promise.all(
      [...this.holdersOf()].map(async ([id, h]) => {
        try {
          await h.adoptPartition(p, states[id]);
        } catch (err) {
          failures.push({ nodeId: id, error: asError(err) });
        }
      }),
    );
    this.ownedNow.add(p);
    return { failures };
  }

  /** Every holder's current state of p (keys kept). */
  async checkpointPartition(p: number): Promise<{ states: PartitionStates; failures: HolderFailure[] }> {
    return this.collect((h) => h.checkpointPartition(p));
  }

  // ---- holder side (through PartitionRuntime) ----

  /** @internal called by PartitionRuntime when a holder of this group registers. */
  notifyAdded(nodeId: string, holder: PartitionStateHolder): Promise<void> {
    return this.owner && this.ownedNow.size > 0 ? this.owner.holderAdded(nodeId, holder) : Promise.resolve();
  }

  /** @internal called by PartitionRuntime when a holder of this group unregisters. */
  notifyRemoving(nodeId: string, holder: PartitionStateHolder): Promise<void> {
    return this.owner && this.ownedNow.size > 0 ? this.owner.holderRemoving(nodeId, holder) : Promise.resolve();
  }

  private async collect(fn: (h: PartitionStateHolder) => Promise<unknown>): Promise<{ states: PartitionStates; failures: HolderFailure[] }> {
    const states: PartitionStates = {};
    const failures: HolderFailure[] = [];
    await Promise.all(
      [...this.holdersOf()].map(async ([id, h]) => {
        try {
          const state = await fn(h);
          if (state !== undefined) states[id] = state;
        } catch (err) {
          failures.push({ nodeId: id, error: asError(err) });
        }
      }),
    );
    return { states, failures };
  }
}

export interface HolderFailure {
  nodeId: string;
  error: Error;
}

interface Registration {
  holder: PartitionStateHolder;
  /** undefined: every group with an owner in this runtime. */
  group: string | undefined;
}

/** All partition groups of one Node-RED runtime. */
export class PartitionRuntime {
  private readonly groups = new Map<string, PartitionRegistry>();
  private readonly holders = new Map<string, Registration>();

  /** The registry of `group` (created on first use). */
  group(name: string): PartitionRegistry {
    let registry = this.groups.get(name);
    if (!registry) {
      registry = new PartitionRegistry(name, () => this.holdersFor(name));
      this.groups.set(name, registry);
    }
    return registry;
  }

  /**
   * Registers a holder (in its node's constructor). The returned function unregisters; await it in
   * the node's close so the owner can checkpoint the holder's state first. `ready` resolves once
   * an owner that already owned partitions has handed this holder its state of them.
   */
  registerHolder(nodeId: string, holder: PartitionStateHolder, group?: string): { ready: Promise<void>; unregister: () => Promise<void> } {
    const registration: Registration = { holder, group };
    this.holders.set(nodeId, registration);
    const ready = Promise.all(this.registriesOf(group).map((r) => r.notifyAdded(nodeId, holder))).then(() => undefined);
    let done = false;
    const unregister = async (): Promise<void> => {
      if (done) return;
      done = true;
      try {
        await Promise.all(this.registriesOf(group).map((r) => r.notifyRemoving(nodeId, holder)));
      } finally {
        if (this.holders.get(nodeId) === registration) this.holders.delete(nodeId);
      }
    };
    return { ready, unregister };
  }

  /** Groups with a partition node attached in this runtime (purge leadership asks: src/nodes/purge/leader.ts). */
  attachedGroups(): PartitionRegistry[] {
    return [...this.groups.values()].filter((r) => r.attached);
  }

  private registriesOf(group: string | undefined): PartitionRegistry[] {
    if (group !== undefined) return [this.group(group)];
    return [...this.groups.values()].filter((r) => r.attached);
  }

  private holdersFor(group: string): ReadonlyMap<string, PartitionStateHolder> {
    const out = new Map<string, PartitionStateHolder>();
    for (const [id, r] of this.holders) if (r.group === undefined || r.group === group) out.set(id, r.holder);
    return out;
  }
}

const runtimes = new WeakMap<object, PartitionRuntime>();

/**
 * The runtime's partition registries. Keyed by `RED.events`: the RED object differs per node
 * module file, its `events` is the runtime's one emitter (also in node-red-node-test-helper).
 */
export function partitionRuntime(RED: NodeAPI): PartitionRuntime {
  const key = RED.events as unknown as object;
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = new PartitionRuntime();
    runtimes.set(key, runtime);
  }
  return runtime;
}

/** The registry of one group in this runtime (the partition node's side). */
export function partitionRegistry(RED: NodeAPI, group: string): PartitionRegistry {
  return partitionRuntime(RED).group(group);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
