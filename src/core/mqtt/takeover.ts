/**
 * Session takeover detection. Two clients connecting with the same client id take the session
 * from each other in turn: the broker closes the older connection when the newer one connects
 * (MQTT-3.1.4-2), the older reconnects a second later and closes the newer, and so on forever —
 * what two Node-RED instances running the same flow with one fixed client id did. Each side sees
 * its connection closed by the broker shortly after it was made.
 *
 * - MQTT 5: the broker says so — DISCONNECT with reason 0x8E "session taken over": certain.
 * - MQTT 3.1.1: the broker just closes the socket. `suspectAfter` consecutive connections closed
 *   by the broker within `shortMs` of their CONNACK, without an error in between (a broker that
 *   is down answers the reconnect with an error: that resets the count), are reported as a
 *   probable takeover.
 *
 * While takeovers go on the caller backs off exponentially (it does not reset its reconnect
 * attempt counter), and after `stopAfter` consecutive ones it stops reconnecting and says why:
 * never a loop. A connection that lives longer than `shortMs` ends the episode.
 * Pure: times are passed in (the connection's injected Clock).
 */

export interface TakeoverSettings {
  /** A connection closed by the broker sooner than this after CONNACK counts as short, ms. */
  shortMs: number;
  /** Consecutive short connections (3.1.1) before a takeover is reported. */
  suspectAfter: number;
  /** Consecutive takeovers (reported or certain) before reconnecting stops. */
  stopAfter: number;
}

export const DEFAULT_TAKEOVER_SETTINGS: TakeoverSettings = { shortMs: 10_000, suspectAfter: 3, stopAfter: 6 };

/** MQTT 5 reason code of a DISCONNECT sent to the older of two connections with one client id. */
export const REASON_SESSION_TAKEN_OVER = 0x8e;

export type TakeoverVerdict =
  /** Nothing unusual (or not yet enough evidence). */
  | { kind: 'none' }
  /** Report: `certain` when the broker said so; `count` consecutive takeovers so far. */
  | { kind: 'takeover'; certain: boolean; count: number }
  /** Stop reconnecting: `count` takeovers in a row. */
  | { kind: 'stop'; certain: boolean; count: number };

export class TakeoverDetector {
  private connectedAt: number | undefined;
  private shortCount = 0;
  private certainSeen = false;

  constructor(private readonly settings: TakeoverSettings = DEFAULT_TAKEOVER_SETTINGS) {}

  /** Consecutive short connections so far; > 0 means the caller should keep backing off. */
  get count(): number {
    return this.shortCount;
  }

  connected(now: number): void {
    this.connectedAt = now;
  }

  /** The broker could not be reached or refused us: whatever closed the last connection, not a takeover. */
  failed(): void {
    this.connectedAt = undefined;
    this.shortCount = 0;
    this.certainSeen = false;
  }

  /**
   * The connection closed. `takenOver`: the broker's DISCONNECT said 0x8E; `byUs`: we ended it.
   */
  closed(now: number, { takenOver = false, byUs = false }: { takenOver?: boolean; byUs?: boolean } = {}): TakeoverVerdict {
    const since = this.connectedAt;
    this.connectedAt = undefined;
    if (byUs || since === undefined) return { kind: 'none' };
    if (!takenOver && now - since >= this.settings.shortMs) {
      this.shortCount = 0;
      this.certainSeen = false;
      return { kind: 'none' };
    }
    this.shortCount++;
    if (takenOver) this.certainSeen = true;
    const certain = this.certainSeen;
    if (this.shortCount >= this.settings.stopAfter) return { kind: 'stop', certain, count: this.shortCount };
    if (certain || this.shortCount >= this.settings.suspectAfter) return { kind: 'takeover', certain, count: this.shortCount };
    return { kind: 'none' };
  }
}
