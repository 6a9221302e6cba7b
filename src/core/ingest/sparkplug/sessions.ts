/**
 * What the ingest remembers per Sparkplug edge node between messages: the alias map of its
 * last BIRTHs, the `seq` it expects next, its devices (so an NDEATH can name them), the
 * `bdSeq` of its NBIRTH (to tell a stale NDEATH from a current one) and when it was last
 * asked for a rebirth. Pure and clock-free: times are passed in.
 *
 * Memory bound (README "Sparkplug B"): at most MAX_EDGE_NODES edge nodes, each with at most
 * MAX_METRICS metrics kept (alias → name and name → datatype) and MAX_DEVICES devices; in all at
 * most MAX_TOTAL_METRICS metrics and MAX_TOTAL_DEVICES devices. Measured ~130 bytes per metric
 * with 20-character names (bench/sparkplug.bench.js): ~130 MB at the limit, ~1.3 MB for 100
 * edge nodes × 100 metrics. An NDEATH frees its edge node's entry. Beyond a bound, BIRTH metrics are still read
 * as readings, but their aliases are not kept: DATA sent by those aliases is refused with
 * STATE_FULL (and no rebirth is asked for, it would not help).
 */

export const MAX_EDGE_NODES = 10_000;
export const MAX_METRICS = 10_000;
export const MAX_TOTAL_METRICS = 1_000_000;
export const MAX_DEVICES = 1_000;
export const MAX_TOTAL_DEVICES = 1_000_000;
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
  private totalTypes = 0;
  private totalDevices = 0;

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
    this.clear(session);
    session.born = true;
    session.inSync = true;
    session.overflowed = false;
    session.bdSeq = bdSeq;
  }

  /** Records alias → name; false when a bound is reached (the alias is then not kept). */
  define(session: EdgeSession, alias: AliasKey, entry: AliasEntry): boolean {
    if (!session.aliases.has(alias)) {
      if (session.aliases.size >= MAX_METRICS || this.totalAliases >= MAX_TOTAL_METRICS) {
        session.overflowed = true;
        return false;
      }
      this.totalAliases++;
    }
    session.aliases.set(alias, entry);
    return true;
  }

  /** Remembers a metric's datatype (for DATA without one), within the same bounds. */
  defineType(session: EdgeSession, name: string, datatype: number): void {
    if (!session.types.has(name)) {
      if (session.types.size >= MAX_METRICS || this.totalTypes >= MAX_TOTAL_METRICS) return;
      this.totalTypes++;
    }
    session.types.set(name, datatype);
  }

  addDevice(session: EdgeSession, device: string): void {
    if (session.devices.has(device) || session.devices.size >= MAX_DEVICES || this.totalDevices >= MAX_TOTAL_DEVICES) return;
    session.devices.add(device);
    this.totalDevices++;
  }

  removeDevice(session: EdgeSession, device: string): void {
    if (session.devices.delete(device)) this.totalDevices--;
  }

  /** NDEATH: the edge node and its aliases are gone. */
  remove(session: EdgeSession): void {
    this.clear(session);
    this.sessions.delete(`${session.group}/${session.edge}`);
  }

  /** Whether a rebirth may be requested now (≤ 1 per REBIRTH_EVERY_MS); records it if so. */
  takeRebirth(session: EdgeSession, now: number): boolean {
    // A clock stepped back (now < last) does not block requests for the step's length.
    if (now - session.lastRebirthAt < REBIRTH_EVERY_MS && now >= session.lastRebirthAt) return false;
    session.lastRebirthAt = now;
    return true;
  }

  private clear(session: EdgeSession): void {
    this.totalAliases -= session.aliases.size;
    this.totalTypes -= session.types.size;
    this.totalDevices -= session.devices.size;
    session.aliases.clear();
    session.types.clear();
    session.devices.clear();
  }
}
