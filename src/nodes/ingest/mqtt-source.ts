/**
 * The node's own subscription through a shared `telemetry-mqtt-broker` connection.
 *
 * Backpressure: the handler returns a promise that settles on the `setImmediate` after the msg
 * was sent. Node-RED delivers msgs with setImmediate too, so by then the next node has handled
 * it; the connection stops reading the socket while `maxInFlight` (1,000) such promises are
 * unsettled. At most ~1,000 messages are ever sent and not yet handled by the next node, and when
 * the flow is slower than the broker, TCP backpressure makes the broker hold the rest (its queue
 * limits apply: Mosquitto's max_queued_messages). Measured in bench/ingest.bench.js.
 */
import type { MqttBrokerNode } from '../mqtt-broker';
import type { ConnectionState, InboundMessage, MqttUser } from '../mqtt-broker/connection';
import { decodeUtf8 } from '../../core/ingest/payload';
import type { TelemetryMsg } from '../shared/red';

export interface MqttSourceHooks {
  onMessage(msg: TelemetryMsg): void;
  onState(state: ConnectionState): void;
  onSubscribeError(err: Error): void;
}

export class MqttSource {
  private readonly user: MqttUser;

  constructor(
    private readonly broker: MqttBrokerNode,
    private readonly id: string,
    private readonly subscription: { topic: string; qos: 0 | 1 | 2 },
    private readonly hooks: MqttSourceHooks,
  ) {
    this.user = { id, onState: (state) => hooks.onState(state) };
  }

  start(): void {
    const connection = this.broker.connection;
    connection.register(this.user);
    connection
      .subscribe(this.id, this.subscription.topic, this.subscription.qos, (message) => this.receive(message))
      .catch((err: Error) => this.hooks.onSubscribeError(err));
  }

  /** `removed` false (a redeploy) keeps the broker-side subscription of a persistent session. */
  close(removed: boolean): Promise<void> {
    return this.broker.connection.deregister(this.user, removed);
  }

  private receive(message: InboundMessage): Promise<void> {
    // No _msgid: the runtime gives the msg one when it is sent.
    const msg = {
      topic: message.topic,
      // Text when it is UTF-8 (what every supported format is); the Buffer otherwise, so the
      // rejected msg carries the bytes exactly as they came.
      payload: decodeUtf8(message.payload) ?? message.payload,
      qos: message.qos,
      retain: message.retain,
    } as unknown as TelemetryMsg;
    const props = message.properties;
    if (props?.userProperties) msg.userProperties = props.userProperties;
    if (props?.contentType) msg.contentType = props.contentType;
    this.hooks.onMessage(msg);
    // Queued after the runtime's own setImmediate that delivers this msg to the next node, so
    // it settles once that node has handled it: the connection's in-flight count is then
    // exactly "sent but not yet handled downstream".
    return new Promise((resolve) => setImmediate(resolve));
  }
}
