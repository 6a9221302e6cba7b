/**
 * telemetry-partition's start-up check of the broker settings it depends on (help text,
 * "Broker settings"). A partition's messages wait in its persistent session while the partition
 * moves, and ack-after-archive keeps many of them unacknowledged, so two limits matter:
 *
 * - queue: how many QoS 1 messages the broker keeps for an offline persistent session
 *   (Mosquitto `max_queued_messages`, default 1000, drops the rest silently);
 * - in-flight window: how many unacknowledged QoS 1 messages it sends one session at a time
 *   (Mosquitto `max_inflight_messages`, default 20; MQTT 5 clients also state a Receive Maximum).
 *
 * The probe measures both, with standard MQTT only: a probe session (clean: false) subscribes
 * and goes offline; PROBE_MESSAGES QoS 1 messages are published to it; it comes back and holds
 * every PUBACK — what arrives before the stream stops is the in-flight window — then acknowledges
 * them all and counts what the broker kept. Finally the probe session is removed (a clean
 * connect with the same client id). About 1,100 small messages, once per start of the node.
 */
import type { Clock } from '../core/clock';
import { type ConnectionOptions, type InboundMessage, SharedMqttConnection } from './mqtt-connection';

export const PROBE_MESSAGES = 1_100;
const QUIET_MS = 1_000;
const STEP_TIMEOUT_MS = 15_000;

export interface ProbeResult {
  /** Messages the broker kept for the offline session (PROBE_MESSAGES when nothing was dropped). */
  queued: number;
  /** Unacknowledged messages the broker sent at once (PROBE_MESSAGES or more: no limit met). */
  inflight: number;
}

export interface ProbeDeps {
  options: ConnectionOptions;
  clientId: string;
  topic: string;
  /** Publishes one QoS 1 message and resolves on PUBACK (the member's link). */
  publish(topic: string, payload: string): Promise<void>;
  clock: Clock;
}

export async function probeBroker(deps: ProbeDeps): Promise<ProbeResult> {
  const { options, clientId, topic, clock } = deps;
  const session: ConnectionOptions = {
    ...options,
    clientId,
    clean: false,
    ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300, receiveMaximum: 65_535 } } : {}),
    maxOwedAcks: PROBE_MESSAGES + 10,
  };
  const quiet = { log: { warn: () => undefined } };
  // 1. The probe session subscribes, then goes offline.
  let first: SharedMqttConnection | undefined = new SharedMqttConnection(session, quiet.log, clock);
  const user = { id: 'probe', onState: () => undefined };
  try {
    first.register(user);
    await withTimeout(clock, first.subscribe('probe', topic, 1, () => undefined), 'subscribe');
    await first.close();
    first = undefined;
    // 2. Messages for it while it is away.
    const sent: Promise<void>[] = [];
    for (let i = 0; i < PROBE_MESSAGES; i++) sent.push(deps.publish(topic, String(i)));
    await withTimeout(clock, Promise.all(sent), 'publish');
  } finally {
    await first?.close();
  }
  // 3. Back: hold every PUBACK until the stream stops, then release them and count the rest.
  let received = 0;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let lastAt = clock.now();
  const again = new SharedMqttConnection(session, quiet.log, clock);
  try {
    again.register(user);
    await withTimeout(clock, again.subscribe('probe', topic, 1, (_m: InboundMessage) => {
      received++;
      lastAt = clock.now();
      return held;
    }, { ackAfterHandler: true }), 'resubscribe');
    await untilQuiet(clock, () => lastAt);
    const inflight = received;
    release();
    await untilQuiet(clock, () => lastAt);
    return { queued: received, inflight };
  } finally {
    release();
    await again.close();
    // 4. Remove the probe session: a clean connect with its client id discards it.
    const cleanup = new SharedMqttConnection({ ...options, clientId, clean: true, properties: undefined }, quiet.log, clock);
    await new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, 5_000);
      cleanup.register({
        id: 'probe-cleanup',
        onState: (state) => {
          if (state.state !== 'connected') return;
          clock.clearTimeout(timer);
          resolve();
        },
      });
    });
    await cleanup.close();
  }
}

/** Resolves once nothing arrived for QUIET_MS (checked on the clock, at most STEP_TIMEOUT_MS). */
function untilQuiet(clock: Clock, lastAt: () => number): Promise<void> {
  const start = clock.now();
  return new Promise((resolve) => {
    const check = (): void => {
      const now = clock.now();
      if (now - lastAt() >= QUIET_MS || now - start >= STEP_TIMEOUT_MS) resolve();
      else clock.setTimeout(check, QUIET_MS / 4);
    };
    clock.setTimeout(check, QUIET_MS / 4);
  });
}

function withTimeout<T>(clock: Clock, promise: Promise<T>, step: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`broker check: ${step} timed out`)), STEP_TIMEOUT_MS);
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
