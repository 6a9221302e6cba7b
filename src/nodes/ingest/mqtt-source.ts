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
import type { ConnectionState, InboundMessage, MqttUser, SharedMqttConnection } from '../../io/mqtt-connection';
import { decodeUtf8 } from '../../core/ingest/payload';
import type { AckOutcome, AckTracker } from '../shared/durability';
import type { TelemetryMsg } from '../shared/red';

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
  /** How each message was settled: `durable`, or `timeout`/`closed` (acknowledged without it). */
  onOutcome(outcome: AckOutcome): void;
}

export class MqttSource {
  private readonly user: MqttUser;

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

  /** `removed` false (a redeploy) keeps the broker-side subscription of a persistent session. */
  close(removed: boolean): Promise<void> {
    return this.connection.deregister(this.user, removed);
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
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Resolves (and so acknowledges) once every msg carrying the readings is durable, or at the timeout. */
  private whenDurable(carriers: string[], ack: AckOptions): Promise<void> {
    if (carriers.length === 0) return Promise.resolve(); // nothing accepted: refused for good
    return Promise.all(carriers.map((id) => ack.tracker.expect(id, ack.timeoutMs))).then((outcomes) => {
      const outcome = outcomes.find((o) => o !== 'durable') ?? 'durable';
      ack.onOutcome(outcome);
      // Stopped before it was durable: never acknowledged, so the broker redelivers it.
      if (outcome === 'closed') throw new Error('the node stopped before the message was durable');
    });
  }
}
