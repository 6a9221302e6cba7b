/**
 * Who is in the group (DESIGN §7), from presence messages, on the injected clock.
 *
 * Each member keeps a retained presence message `<prefix>/<group>/members/<memberId>` with the
 * partitions it holds (`owns`), republished every PRESENCE_EVERY_MS and whenever `owns`
 * changes; its last will is an empty retained message on the same topic, so the broker clears
 * it when the member dies. A graceful leave publishes the empty message itself.
 *
 * A member is live from its first presence until its empty message, or until no presence came
 * for PRESENCE_EXPIRY_MS (a retained presence left by a member that died while the broker was
 * down never gets its will). Receive times are ours, so members' clocks need not agree.
 * The incarnation (random per start) tells a restarted member from a second process that was
 * given the same member id: a second incarnation seen while ours runs is a conflict.
 */

export const PRESENCE_EVERY_MS = 10_000;
export const PRESENCE_EXPIRY_MS = 35_000;

export interface Presence {
  member: string;
  incarnation: string;
  /** Partitions this member holds (adopted or being released). */
  owns: number[];
}

interface Seen {
  presence: Presence;
  lastSeen: number;
}

/** Bound on members tracked: more than this many live members is a configuration error. */
export const MAX_MEMBERS = 1_000;

export class Membership {
  private readonly members = new Map<string, Seen>();
  private conflictWith: string | undefined;

  constructor(
    readonly self: string,
    readonly incarnation: string,
  ) {}

  /** A presence message (payload parsed) or its removal (`undefined`: empty retained message). */
  seen(member: string, presence: Presence | undefined, now: number): void {
    if (member === this.self) {
      if (presence && presence.incarnation !== this.incarnation) this.conflictWith = presence.incarnation;
      return;
    }
    if (!presence) {
      this.members.delete(member);
      return;
    }
    if (!this.members.has(member) && this.members.size >= MAX_MEMBERS) return;
    this.members.set(member, { presence, lastSeen: now });
  }

  /** Forgets members not heard from within PRESENCE_EXPIRY_MS; true when any went. */
  expire(now: number): boolean {
    let changed = false;
    for (const [id, s] of this.members) {
      if (now - s.lastSeen >= PRESENCE_EXPIRY_MS) {
        this.members.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  /** When the next member would expire, if any. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const s of this.members.values()) {
      const at = s.lastSeen + PRESENCE_EXPIRY_MS;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Live member ids, this one included, sorted. */
  live(): string[] {
    return [this.self, ...this.members.keys()].sort();
  }

  /** Other live members that say they hold p. */
  claimants(p: number): string[] {
    const out: string[] = [];
    for (const [id, s] of this.members) if (s.presence.owns.includes(p)) out.push(id);
    return out;
  }

  /** Another process presented itself with this member id (a copy with the same memberId). */
  get conflict(): string | undefined {
    return this.conflictWith;
  }

  clearConflict(): void {
    this.conflictWith = undefined;
  }

  /** Forget everybody (our link to the broker dropped: presence is read again from scratch). */
  reset(): void {
    this.members.clear();
  }
}

/** Parses a presence payload; undefined for an empty one (gone), an Error for garbage. */
export function parsePresence(member: string, payload: string): Presence | undefined | Error {
  if (payload === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return new Error(`presence of "${member}" is not JSON`);
  }
  const v = value as { incarnation?: unknown; owns?: unknown };
  if (typeof v !== 'object' || v === null || typeof v.incarnation !== 'string' || !Array.isArray(v.owns) || !v.owns.every((p) => Number.isInteger(p))) {
    return new Error(`presence of "${member}" has no incarnation/owns`);
  }
  return { member, incarnation: v.incarnation, owns: v.owns as number[] };
}
