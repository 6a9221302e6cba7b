/**
 * Who is in a `$share` group, for adopting a dead member's queued share (README "Running several
 * instances", DESIGN §7). Mosquitto 2.0 keeps routing a round-robin share of `$share` messages
 * to a member that is offline with a persistent session; they wait for that client id and reach
 * nobody else. So every persistent session announces itself on a presence topic — retained, with
 * a last will saying it is gone — and when one goes, exactly one live member of its share groups
 * (the next client id after it on a ring of the live ones) connects with its client id and drains
 * it. Standard MQTT 3.1.1/5 only: retained messages, last will, persistent sessions.
 *
 * Pure: payload format, the member table and the choice of the adopter.
 */

/**
 * Two retained topics per member: `<prefix><client id>/state` (`alive` on connect, `gone` as its
 * last will) and `<prefix><client id>/shares` (its `$share` filters, published whenever they
 * change). Two, because the will is fixed at CONNECT, before the flow has subscribed anything,
 * and a will on the shares topic would overwrite the list the adopter needs.
 */
export const PRESENCE_PREFIX = 'telemetry-pipeline/share-members/';
export const PRESENCE_FILTER = `${PRESENCE_PREFIX}+/+`;

export interface Presence {
  clientId: string;
  /** `alive`: connected; `gone`: its last will, or a leave that kept its share subscriptions. */
  state: 'alive' | 'gone' | undefined;
  /**
   * Gone by a graceful leave that left messages unacknowledged in its session (taken while it
   * stopped): drained only after LEFT_DRAIN_DELAY_MS, so a member that is merely redeploying or
   * restarting resumes its own session instead of racing an adopter for it.
   */
  left?: boolean;
  /** Its `$share/<group>/<filter>` subscriptions: what may be queued for it (undefined: not seen). */
  shares: string[] | undefined;
}

/** The client id as one safe topic level. */
export function presenceLevel(clientId: string): string {
  return clientId.replace(/[/+#\u0000]/g, '_');
}

export function stateTopic(clientId: string): string {
  return `${PRESENCE_PREFIX}${presenceLevel(clientId)}/state`;
}

export function sharesTopic(clientId: string): string {
  return `${PRESENCE_PREFIX}${presenceLevel(clientId)}/shares`;
}

/** How long a member gone by a graceful leave (Presence.left) is given to come back before it is drained. */
export const LEFT_DRAIN_DELAY_MS = 3_000;

export function statePayload(clientId: string, state: 'alive' | 'gone', left = false): string {
  return JSON.stringify(left ? { v: 1, clientId, state, left: true } : { v: 1, clientId, state });
}

export function sharesPayload(clientId: string, shares: readonly string[]): string {
  return JSON.stringify({ v: 1, clientId, shares: [...shares].sort() });
}

type Update = { level: string; clientId?: string; state?: 'alive' | 'gone'; left?: boolean; shares?: string[] };

/** A presence message (topic + payload) as an update; `undefined` for a foreign one. Empty = cleared. */
export function parsePresence(topic: string, payload: Buffer | string): Update | undefined {
  if (!topic.startsWith(PRESENCE_PREFIX)) return undefined;
  const [level, kind, extra] = topic.slice(PRESENCE_PREFIX.length).split('/');
  if (!level || extra !== undefined || (kind !== 'state' && kind !== 'shares')) return undefined;
  const text = payload.toString();
  if (text === '') return { level };
  try {
    const p = JSON.parse(text) as { v?: unknown; clientId?: unknown; state?: unknown; left?: unknown; shares?: unknown };
    if (p.v !== 1 || typeof p.clientId !== 'string' || presenceLevel(p.clientId) !== level) return undefined;
    if (kind === 'state') {
      if (p.state === 'gone' && p.left === true) return { level, clientId: p.clientId, state: p.state, left: true };
      return p.state === 'alive' || p.state === 'gone' ? { level, clientId: p.clientId, state: p.state } : undefined;
    }
    if (!Array.isArray(p.shares)) return undefined;
    return { level, clientId: p.clientId, shares: p.shares.filter((x): x is string => typeof x === 'string' && x.startsWith('$share/')) };
  } catch {
    return undefined;
  }
}

/**
 * Members seen on the presence topics, by client id. Bounded by `maxMembers` (default 10,000):
 * beyond it new members are not tracked (never adopted by, never adopting for).
 */
export class ShareMembers {
  private readonly byLevel = new Map<string, Presence>();

  constructor(private readonly maxMembers = 10_000) {}

  /**
   * A presence message arrived; returns the member it concerns (undefined when foreign, or when
   * both of its topics are now cleared).
   */
  update(topic: string, payload: Buffer | string): Presence | undefined {
    const u = parsePresence(topic, payload);
    if (!u) return undefined;
    const kind = topic.endsWith('/state') ? 'state' : 'shares';
    let member = this.byLevel.get(u.level);
    if (!member) {
      if (!u.clientId || this.byLevel.size >= this.maxMembers) return undefined;
      member = { clientId: u.clientId, state: undefined, shares: undefined };
      this.byLevel.set(u.level, member);
    }
    if (kind === 'state') {
      member.state = u.state;
      if (u.left) member.left = true;
      else delete member.left;
    } else member.shares = u.shares;
    if (member.state === undefined && member.shares === undefined) {
      this.byLevel.delete(u.level);
      return undefined;
    }
    return member;
  }

  get(clientId: string): Presence | undefined {
    return this.byLevel.get(presenceLevel(clientId));
  }

  /** Live members other than `self` with a share filter in common with `shares`. */
  alivePeers(self: string, shares: readonly string[]): string[] {
    const mine = new Set(shares);
    return [...this.byLevel.values()].filter((p) => p.state === 'alive' && p.clientId !== self && (p.shares ?? []).some((s) => mine.has(s))).map((p) => p.clientId);
  }

  /**
   * Whether `self` (alive, subscribed to `selfShares`) is the one to drain `gone`: of the live
   * members sharing a filter with it, the first client id after `gone.clientId` in sorted order,
   * wrapping around. Every member computes the same answer from the same retained presences;
   * while views differ for a moment two may adopt — the broker then hands the session to the
   * later one, and the unacknowledged messages are redelivered (at-least-once).
   */
  isAdopter(gone: Presence, self: string, selfShares: readonly string[]): boolean {
    const goneShares = gone.shares ?? [];
    if (gone.state !== 'gone' || gone.clientId === self || goneShares.length === 0) return false;
    const mine = new Set(selfShares);
    if (!goneShares.some((s) => mine.has(s))) return false;
    const candidates = new Set([self]);
    for (const p of this.byLevel.values()) if (p.state === 'alive' && p.clientId !== gone.clientId && (p.shares ?? []).some((s) => goneShares.includes(s))) candidates.add(p.clientId);
    const ring = [...candidates].sort();
    const next = ring.find((id) => id > gone.clientId) ?? ring[0];
    return next === self;
  }
}
