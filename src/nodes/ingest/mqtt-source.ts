/**
 * The node's own subscription through a shared `telemetry-mqtt-broker` connection.
 *
 * Backpressure: the handler returns a promise that settles on the `setImmediate` after the msg
 * was sent. Node-RED delivers msgs with setImmediate too, so by then the next node has handled
 * it; the connection stops reading the socket while `maxInFlight` (1,000) such promises are
 * unsettled. At most ~1,000 messages are ever sent and not yet handled by the next node, and when
 * the flow is slower than the broker, TCP backpressure makes the broker hold the rest (its queue
 * limits apply: Mosquitto's max_queued_messages). Measured in bench/ingest.bench.js.
 * With batching (automatic by default) "sent" means "in the batch": fewer than batchSize
 * readings wait there besides, until the batch goes.
 */
import type { Clock } from '../../core/clock';
import type { ConnectionState, InboundMessage, MqttUser, SharedMqttConnection } from '../../io/mqtt-connection';
import { decodeUtf8 } from '../../core/ingest/payload';
import type { AckOutcome, AckTracker } from '../shared/durability';
import type { TelemetryMsg } from '../shared/red';
import { nextTurn } from '../shared/turns';

export interface MqttSourceHooks {
  /** Returns the _msgids that carry the message's accepted readings (ack-after-archive). */
  onMessage(msg: TelemetryMsg): string[] | void;
  onState(state: ConnectionState): void;
  onSubscribeError(err: Error): void;
}

/** Ack-after-archive: acknowledge a QoS 1 message once a durable sink completed its readings. */
export interface AckOptions {
  tracker: AckTracker;
  timeoutMs: number;
  newId(): string;
  /** How each message was settled: `durable`, `timeout` (acknowledged without it), `failed`/`closed` (not acknowledged). */
  onOutcome(outcome: AckOutcome): void;
  /** Times the wait for outstanding acknowledgements when the node stops. */
  clock: Clock;
}

/**
 * How long a stopping ingest waits for the messages it took to become durable (the window's
 * last checkpoint, the archive's last spool) so it can acknowledge them before it disconnects.
 * Below Node-RED's 15 s close timeout; what is not durable by then is redelivered.
 */
export const CLOSE_ACK_WAIT_MS = 5_000;

export class MqttSource {
  private readonly user: MqttUser;
  /** Messages taken whose acknowledgement waits for a durable sink (ack mode). */
  private readonly awaitingDurable = new Set<Promise<void>>();

  constructor(
    private readonly connection: SharedMqttConnection,
    private readonly id: string,
    /** `binary`: keep the payload a Buffer even when it happens to be valid UTF-8 (Sparkplug B). */
    private readonly subscription: { topic: string; qos: 0 | 1 | 2; binary?: boolean },
    private readonly hooks: MqttSourceHooks,
    private readonly ack?: AckOptions,
  ) {
    this.user = { id, onState: (state) => hooks.onState(state) };
  }

  start(): void {
    const connection = this.connection;
    connection.register(this.user);
    // Ack mode subscribes with QoS 1 at most: mqtt.js answers a QoS 2 PUBREC from memory, which a
    // crash loses; at QoS 1 the broker redelivers whatever was not acknowledged.
    const qos = this.ack ? (Math.min(this.subscription.qos, 1) as 0 | 1) : this.subscription.qos;
    connection
      .subscribe(this.id, this.subscription.topic, qos, (message) => this.receive(message), { ackAfterHandler: this.ack !== undefined })
      .catch((err: Error) => this.hooks.onSubscribeError(err));
  }

  /**
   * Stops in the order that keeps ack-after-archive exact over a stop or redeploy (issue #21):
   * 1. stop taking messages (the next one waits at the broker, unacknowledged);
   * 2. let the nodes downstream make what was taken durable (the window checkpoints, the
   *    archive spools: they stop at the same moment), up to CLOSE_ACK_WAIT_MS;
   * 3. acknowledge what became durable;
   * 4. only then leave the connection (the last user out disconnects).
   * Acknowledging after the disconnect is impossible, and not acknowledging what a checkpoint
   * holds makes the broker redeliver it: the window would count it twice.
   * `removed` false (a redeploy) keeps the broker-side subscription of a persistent session.
   */
  async close(removed: boolean): Promise<void> {
    this.connection.detach(this.id);
    if (this.ack && this.awaitingDurable.size > 0) await this.drain(this.ack.clock);
    return this.connection.deregister(this.user, removed);
  }

  /** Waits until every taken message is settled (and its PUBACK written), or the time is up. */
  private async drain(clock: Clock): Promise<void> {
    let timedOut = false;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const timeUp = new Promise<void>((resolve) => {
      timer = clock.setTimeout(() => {
        timedOut = true;
        resolve();
      }, CLOSE_ACK_WAIT_MS);
    });
    // Loop: a batch the ingest sends while stopping adds nothing new, but settling may take turns.
    while (this.awaitingDurable.size > 0 && !timedOut) {
      await Promise.race([Promise.allSettled([...this.awaitingDurable]), timeUp]);
    }
    if (timer !== undefined) clock.clearTimeout(timer);
    // PUBACKs released by those settlements leave in the socket write queued until setImmediate.
    await nextTurn();
  }

  private receive(message: InboundMessage): Promise<void> {
    // No _msgid unless acks follow it (the runtime keeps a given one): it gives the msg one on send.
    const msg = {
      topic: message.topic,
      // Text when it is UTF-8 (what every supported format is); the Buffer otherwise, so the
      // rejected msg carries the bytes exactly as they came.
      payload: this.subscription.binary ? message.payload : (decodeUtf8(message.payload) ?? message.payload),
      qos: message.qos,
      retain: message.retain,
    } as unknown as TelemetryMsg;
    if (this.ack) msg._msgid = this.ack.newId(); // assigned, not spread: no extra object per message
    const props = message.properties;
    if (props?.userProperties) msg.userProperties = props.userProperties;
    if (props?.contentType) msg.contentType = props.contentType;
    const carriers = this.hooks.onMessage(msg);
    if (this.ack && message.qos > 0) return this.whenDurable(carriers ?? [], this.ack);
    // Queued after the runtime's own setImmediate that delivers this msg to the next node, so
    // it settles once that node has handled it: the connection's in-flight count is then
    // exactly "sent but not yet handled downstream".
    return nextTurn();
  }

  /** Resolves (and so acknowledges) once every msg carrying the readings is durable, or at the timeout. */
  private whenDurable(carriers: string[], ack: AckOptions): Promise<void> {
    if (carriers.length === 0) return Promise.resolve(); // nothing accepted: refused for good
    const settled = Promise.all(carriers.map((id) => ack.tracker.expect(id, ack.timeoutMs))).then((outcomes) => {
      const outcome = outcomes.find((o) => o !== 'durable') ?? 'durable';
      ack.onOutcome(outcome);
      // Failed, or stopped before it was durable: never acknowledged, so the broker redelivers it.
      if (outcome === 'closed' || outcome === 'failed') throw new Error('the message did not become durable');
    });
    const tracked = settled.finally(() => this.awaitingDurable.delete(tracked));
    tracked.catch(() => undefined);
    this.awaitingDurable.add(tracked);
    return settled;
  }
}
