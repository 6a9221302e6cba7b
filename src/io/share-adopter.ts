/**
 * Draining a gone member's persistent session (src/io/share-presence.ts decides who and when).
 *
 * The adopter connects a second connection with the gone member's client id and clean = false:
 * the broker resumes that session and sends what it queued. The connection holds this member's
 * own handlers for those `$share` filters (no SUBSCRIBE is sent), so the messages go through the
 * same flow, with the same acknowledgement mode (ack-after-archive defers each PUBACK as usual).
 * Right after CONNACK it unsubscribes the session's `$share` filters: the broker stops routing new
 * messages to it, and the queue only shrinks. Once nothing has arrived for `idleMs` and every
 * message is acknowledged, it disconnects normally; the session stays at the broker, empty and
 * without subscriptions, for the member to resume when it returns (we never end the session: a
 * clean-session connect could race with the member coming back and wipe what is queued for it).
 *
 * The member coming back while we drain connects with its client id: the broker closes ours
 * (session taken over) and hands the session — with every message we had not acknowledged yet —
 * to the member, which resubscribes. The messages we had taken but not yet acknowledged are then
 * processed twice (at-least-once; InfluxDB keeps one point per series and timestamp).
 */
import type { Clock } from '../core/clock';

export interface DrainSettings {
  /** Quiet time after which the session counts as drained, ms. */
  idleMs: number;
  /** Upper bound of one drain, ms. */
  maxMs: number;
  /** How long to wait for the CONNACK, ms. */
  connectTimeoutMs: number;
}

export const DEFAULT_DRAIN_SETTINGS: DrainSettings = { idleMs: 2_000, maxMs: 600_000, connectTimeoutMs: 20_000 };

/** The adopter's connection, as the drain sees it (a SharedMqttConnection). */
export interface DrainTarget {
  start(): void;
  /** 'connecting' until CONNACK, then 'connected', then 'closed' (taken back, refused, dropped). */
  drainPhase(): 'connecting' | 'connected' | 'closed';
  unsubscribeAtBroker(filters: string[]): Promise<void>;
  /** Messages taken so far, when the last one arrived, and whether any is still unacknowledged. */
  drainActivity(): { messages: number; lastMessageAt: number | undefined; busy: boolean };
  close(): Promise<void>;
}

export interface DrainResult {
  /** `idle`: drained; `taken back`: the member returned; `failed`: no connection; `too long`: maxMs. */
  outcome: 'idle' | 'taken back' | 'failed' | 'too long';
  messages: number;
}

const POLL_MS = 100;

export async function drainSession(target: DrainTarget, shares: string[], clock: Clock, settings: DrainSettings): Promise<DrainResult> {
  const started = clock.now();
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));
  target.start();
  let outcome: DrainResult['outcome'] | undefined;
  while (target.drainPhase() === 'connecting') {
    if (clock.now() - started > settings.connectTimeoutMs) outcome = 'failed';
    if (outcome) break;
    await sleep(POLL_MS);
  }
  if (!outcome && target.drainPhase() !== 'connected') outcome = 'failed';
  let since = clock.now();
  if (!outcome) await target.unsubscribeAtBroker(shares).catch(() => undefined);
  while (!outcome) {
    const { lastMessageAt, busy } = target.drainActivity();
    const now = clock.now();
    if (target.drainPhase() === 'closed') outcome = 'taken back';
    else if (now - started > settings.maxMs) outcome = 'too long';
    else if (!busy && now - Math.max(since, lastMessageAt ?? 0) >= settings.idleMs) outcome = 'idle';
    else {
      if (busy) since = now;
      await sleep(POLL_MS);
    }
  }
  const { messages } = target.drainActivity();
  await target.close();
  return { outcome, messages };
}
