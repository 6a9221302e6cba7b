/**
 * This member's side of the partition moves (DESIGN §7): which partitions to release and which
 * to gain now, from the live members (membership.ts) and the assignment (assignment.ts). Pure:
 * the node runs the moves (release: stop consuming → holders hand over → checkpoint → close
 * the session → announce; gain: read checkpoint → holders adopt → open the session) and reports
 * back with `done`/`failed`.
 *
 * Exactly one owner: a member gains p only when no other live member claims p in its presence.
 * The previous owner announces a release only after p's session is closed, so the two never
 * consume p at the same time. A dead member's claims vanish with its will (or expire), then
 * its partitions are gained from their last checkpoints. Beyond that the broker keeps one
 * connection per client id: two members can never read p's session at once.
 *
 * Per partition: idle → gaining → owned → releasing → idle. A partition whose session failed
 * (could not connect, dropped) goes back to idle and is gained again after a back-off.
 */
import { assignDynamic, assignStatic } from './assignment';
import type { Membership } from './membership';

export type PartitionPhase = 'idle' | 'gaining' | 'owned' | 'releasing';

export interface Moves {
  release: number[];
  gain: number[];
}

/** Time a new member listens to the retained presence messages before it takes partitions. */
export const SETTLE_MS = 2_000;
/** Back-off after a failed session before gaining that partition again. */
export const RETRY_MS = 2_000;

export class Coordinator {
  private readonly phase: PartitionPhase[];
  private readonly notBefore: number[];
  private startedAt: number | undefined;
  private wanted: Set<number> = new Set();
  /** The last assignment and the live members it was computed for (plan() runs on every presence). */
  private cached: { key: string; target: Set<number> } | undefined;

  constructor(
    readonly partitions: number,
    private readonly source: { kind: 'dynamic'; membership: Membership } | { kind: 'static'; instance: number; instances: number },
  ) {
    this.phase = new Array(partitions).fill('idle');
    this.notBefore = new Array(partitions).fill(0);
  }

  /** The member's link is up (again): partitions are taken after SETTLE_MS (dynamic). */
  start(now: number): void {
    this.startedAt = now;
  }

  /** The link dropped: nothing is gained until start() again. */
  stop(): void {
    this.startedAt = undefined;
  }

  get settledAt(): number | undefined {
    if (this.startedAt === undefined) return undefined;
    return this.source.kind === 'static' ? this.startedAt : this.startedAt + SETTLE_MS;
  }

  phaseOf(p: number): PartitionPhase {
    return this.phase[p] as PartitionPhase;
  }

  /** Partitions in `gaining`, `owned` or `releasing`: what the presence message claims. */
  claimed(): number[] {
    const out: number[] = [];
    this.phase.forEach((ph, p) => ph !== 'idle' && out.push(p));
    return out;
  }

  owned(): number[] {
    const out: number[] = [];
    this.phase.forEach((ph, p) => ph === 'owned' && out.push(p));
    return out;
  }

  /** The partitions this member should hold with the current membership. */
  target(): Set<number> {
    if (this.source.kind === 'static') return new Set(assignStatic(this.source.instance, this.source.instances, this.partitions));
    const self = this.source.membership.self;
    const live = this.source.membership.live();
    const key = live.join('\n');
    if (this.cached?.key === key) return this.cached.target;
    const out = new Set<number>();
    assignDynamic(live, this.partitions).forEach((m, p) => m === self && out.add(p));
    this.cached = { key, target: out };
    return out;
  }

  /**
   * What to start now. Releases anything owned that the assignment gives elsewhere; gains what
   * it gives here once settled, unclaimed by any other live member and out of back-off.
   * The returned partitions are moved to `releasing` / `gaining`.
   */
  plan(now: number): Moves {
    const settled = this.settledAt;
    const target = this.target();
    this.wanted = target;
    const release: number[] = [];
    const gain: number[] = [];
    for (let p = 0; p < this.partitions; p++) {
      const ph = this.phase[p];
      if (ph === 'owned' && !target.has(p)) {
        this.phase[p] = 'releasing';
        release.push(p);
      } else if (ph === 'idle' && target.has(p) && settled !== undefined && now >= settled && now >= (this.notBefore[p] as number)) {
        if (this.source.kind === 'dynamic' && this.source.membership.claimants(p).length > 0) continue;
        this.phase[p] = 'gaining';
        gain.push(p);
      }
    }
    return { release, gain };
  }

  /** The partitions that should be here but wait for another member to release them. */
  waiting(): number[] {
    return [...this.wanted].filter((p) => this.phase[p] === 'idle');
  }

  /** A gain or release finished. */
  done(p: number): void {
    if (this.phase[p] === 'gaining') this.phase[p] = 'owned';
    else if (this.phase[p] === 'releasing') this.phase[p] = 'idle';
  }

  /** A gain failed or an owned partition's session dropped: idle, gained again after RETRY_MS. */
  failed(p: number, now: number): void {
    this.phase[p] = 'idle';
    this.notBefore[p] = now + RETRY_MS;
  }

  /** Every partition in `owned`, moved to `releasing` (the node is closing or lost its link). */
  releaseAll(): number[] {
    const out: number[] = [];
    this.phase.forEach((ph, p) => {
      if (ph === 'owned') {
        this.phase[p] = 'releasing';
        out.push(p);
      }
    });
    return out;
  }

  /** When plan() may have something new without an outside event (settling, back-off). */
  nextDeadline(now: number): number | undefined {
    let next: number | undefined;
    const consider = (t: number): void => {
      if (t > now && (next === undefined || t < next)) next = t;
    };
    const settled = this.settledAt;
    if (settled !== undefined) consider(settled);
    this.notBefore.forEach((t, p) => this.phase[p] === 'idle' && consider(t));
    return next;
  }
}
