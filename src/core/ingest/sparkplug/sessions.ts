/**
 * What the ingest remembers per Sparkplug edge node between messages: the alias map of its
 * last BIRTHs, the `seq` it expects next, its devices (so an NDEATH can name them), the
 * `bdSeq` of its NBIRTH (to tell a stale NDEATH from a current one) and when it was last
 * asked for a rebirth. Pure and clock-free: times are passed in.
 *
 * Memory bound (README "Sparkplug B"): at most MAX_EDGE_NODES edge nodes, each with at most
 * MAX_ALIASES aliases and MAX_DEVICES devices; in total at most MAX_TOTAL_ALIASES aliases
 * (~100 bytes each: ≤ ~100 MB in the worst case, ~1 MB for 100 edge nodes × 100 metrics).
 * An NDEATH frees its edge node's entry. Beyond a bound, BIRTH metrics are still read as
 * readings, but their aliases are not kept: DATA sent by those aliases is refused with
 * STATE_FULL (and no rebirth is asked for, it would not help).
 */

export const MAX_EDGE_NODES = 10_000;
export const MAX_ALIASES = 10_000;
export const MAX_TOTAL_ALIASES = 1_000_000;
export const MAX_DEVICES = 1_000;
/** At most one rebirth request per edge node in this time (DESIGN §6). */
export const REBIRTH_EVERY_MS = 5_000;

/** Alias keys: the alias as a number when exact, else its decimal text (never seen in practice). */
export type AliasKey = number | string;

export interface AliasEntry {
  name: string;
  datatype: number;
}

export class EdgeSession {
  readonly aliases = new Map<AliasKey, AliasEntry>();
  /** Datatypes by metric name, from BIRTH: DATA may omit the datatype. */
  readonly types = new Map<string, number>();
  readonly devices = new Set<string>();
  /** The seq expected next (0–255), undefined until a message carried one. */
  nextSeq: number | undefined;
  /**
   * False after a seq gap until the next NBIRTH: a lost message may have been a BIRTH that
   * changed aliases, so metrics sent by alias alone are not trusted meanwhile.
   */
  inSync = true;
  /** An NBIRTH was seen (the alias map is complete once its DBIRTHs followed). */
  born = false;
  /** `bdSeq` of the NBIRTH: an NDEATH with another bdSeq belongs to an older session. */
  bdSeq: number | undefined;
  lastRebirthAt = Number.NEGATIVE_INFINITY;
  /** A BIRTH defined more aliases than the bounds keep: an unknown alias is then no reason to ask again. */
  overflowed = false;

  constructor(readonly group: string, readonly edge: string) {}
}

export class EdgeSessions {
  private readonly sessions = new Map<string, EdgeSession>();
  private totalAliases = 0;

  get size(): number {
    return this.sessions.size;
  }

  get aliasCount(): number {
    return this.totalAliases;
  }

  /** The edge node's session, created on first sight; undefined when the table is full. */
  get(group: string, edge: string): EdgeSession | undefined {
    const key = `${group}/${edge}`;
    let session = this.sessions.get(key);
    if (!session && this.sessions.size < MAX_EDGE_NODES) {
      session = new EdgeSession(group, edge);
      this.sessions.set(key, session);
    }
    return session;
  }

  /** NBIRTH: forget what the previous session defined. */
  rebirth(session: EdgeSession, bdSeq: number | undefined): void {
    this.clearAliases(session);
    session.devices.clear();
    session.born = true;
    session.inSync = true;
    session.overflowed = false;
    session.bdSeq = bdSeq;
  }

  /** Records alias → name; false when a bound is reached (the alias is then not kept). */
  define(session: EdgeSession, alias: AliasKey, entry: AliasEntry): boolean {
    if (!session.aliases.has(alias)) {
      if (session.aliases.size >= MAX_ALIASES || this.totalAliases >= MAX_TOTAL_ALIASES) {
        session.overflowed = true;
        return false;
      }
      this.totalAliases++;
    }
    session.aliases.set(alias, entry);
    return true;
  }

  /** Remembers a metric's datatype (for DATA without one), within the same per-node bound. */
  defineType(session: EdgeSession, name: string, datatype: number): void {
    if (session.types.has(name) || session.types.size < MAX_ALIASES) session.types.set(name, datatype);
  }

  addDevice(session: EdgeSession, device: string): void {
    if (session.devices.size < MAX_DEVICES) session.devices.add(device);
  }

  /** NDEATH: the edge node and its aliases are gone. */
  remove(session: EdgeSession): void {
    this.clearAliases(session);
    this.sessions.delete(`${session.group}/${session.edge}`);
  }

  /** Whether a rebirth may be requested now (≤ 1 per REBIRTH_EVERY_MS); records it if so. */
  takeRebirth(session: EdgeSession, now: number): boolean {
    if (now - session.lastRebirthAt < REBIRTH_EVERY_MS && now >= session.lastRebirthAt) return false;
    session.lastRebirthAt = now;
    return true;
  }

  clear(): void {
    this.sessions.clear();
    this.totalAliases = 0;
  }

  private clearAliases(session: EdgeSession): void {
    this.totalAliases -= session.aliases.size;
    session.aliases.clear();
    session.types.clear();
  }
}
