import mqtt, { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { backoffDelay } from '../../core/backoff';
import { topicMatches } from '../../core/mqtt/topic-filter';

/**
 * One MQTT connection shared by every node that uses a `telemetry-mqtt-broker` config node.
 * It connects when the first user registers and disconnects when the last one leaves (the
 * pattern of Node-RED's core mqtt-broker), fans connection state out to every user, and
 * dispatches each incoming message to the subscriptions whose filter matches.
 *
 * Flow control: a handler may return a promise; while `maxInFlight` promises are unsettled the
 * connection stops taking packets from the socket (mqtt.js does not read the next packet until
 * `handleMessage` calls back), so a slow flow makes the broker queue instead of our heap grow.
 * For QoS 1/2 the acknowledgement goes out when a packet is taken, so nothing un-taken is acked.
 */

export type ConnectionStateName = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface ConnectionState {
  state: ConnectionStateName;
  /** Human-readable reason for `error` / `disconnected`. */
  detail?: string;
}

export interface MqttUser {
  readonly id: string;
  onState(state: ConnectionState): void;
}

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** MQTT 5 properties (user properties, content type…), when present. */
  properties?: IPublishPacket['properties'];
}

export type MessageHandler = (message: InboundMessage) => void | Promise<unknown>;

export interface ConnectionOptions extends IClientOptions {
  url: string;
  /** Upper bound of the reconnect delay, ms. */
  maxReconnectMs?: number;
  /** Unsettled handler promises before the connection stops reading. */
  maxInFlight?: number;
}

export interface Logger {
  warn(message: string): void;
}

interface Subscription {
  userId: string;
  filter: string;
  qos: 0 | 1 | 2;
  handler: MessageHandler;
}

const BASE_RECONNECT_MS = 1_000;

export class SharedMqttConnection {
  private client: MqttClient | undefined;
  private readonly users = new Map<string, MqttUser>();
  private readonly subscriptions = new Map<string, Subscription>();
  private current: ConnectionState = { state: 'disconnected' };
  private reconnectAttempt = 0;
  private inFlight = 0;
  private heldCallback: (() => void) | undefined;
  private readonly maxInFlight: number;

  constructor(private readonly options: ConnectionOptions, private readonly log: Logger) {
    this.maxInFlight = options.maxInFlight ?? 1_000;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** How many users share this connection (one client, however many nodes). */
  get userCount(): number {
    return this.users.size;
  }

  /** The underlying client, for tests and diagnostics only. */
  get mqttClient(): MqttClient | undefined {
    return this.client;
  }

  register(user: MqttUser): void {
    this.users.set(user.id, user);
    user.onState(this.current);
    if (!this.client) this.connect();
  }

  /** Removes a user and its subscriptions; the last one out closes the connection. */
  async deregister(user: MqttUser): Promise<void> {
    this.users.delete(user.id);
    const own = [...this.subscriptions.values()].filter((sub) => sub.userId === user.id);
    for (const sub of own) await this.unsubscribe(user.id, sub.filter).catch(() => undefined);
    if (this.users.size === 0) await this.close();
  }

  async subscribe(userId: string, filter: string, qos: 0 | 1 | 2, handler: MessageHandler): Promise<void> {
    this.subscriptions.set(subscriptionKey(userId, filter), { userId, filter, qos, handler });
    const client = this.client;
    if (!client) throw new Error('not connected: register before subscribing');
    // mqtt.js queues the SUBSCRIBE while offline and repeats it after a reconnect.
    await new Promise<void>((resolve, reject) => {
      client.subscribe(filter, { qos: this.highestQos(filter) }, (err, granted) => {
        if (err) return reject(err);
        const refused = granted?.find((g) => g.qos === 128);
        if (refused) return reject(new Error(`the broker refused the subscription to "${filter}"`));
        resolve();
      });
    });
  }

  async unsubscribe(userId: string, filter: string): Promise<void> {
    this.subscriptions.delete(subscriptionKey(userId, filter));
    const stillWanted = [...this.subscriptions.values()].some((s) => s.filter === filter);
    const client = this.client;
    if (stillWanted || !client || !client.connected) return;
    await new Promise<void>((resolve) => client.unsubscribe(filter, () => resolve()));
  }

  /** Publishes (used by tests, the demo simulator and diagnostics). */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 | 2 = 0, retain = false): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.releaseHeld();
    if (!client) return;
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    this.setState({ state: 'disconnected' });
  }

  private connect(): void {
    const { url, maxReconnectMs, maxInFlight, ...clientOptions } = this.options;
    void maxInFlight; // ours, not an mqtt.js option
    this.setState({ state: 'connecting' });
    const client = mqtt.connect(url, { reconnectPeriod: BASE_RECONNECT_MS, ...clientOptions });
    this.client = client;
    client.handleMessage = (_packet, callback) => this.takeNext(callback);
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    client.on('connect', () => {
      this.reconnectAttempt = 0;
      client.options.reconnectPeriod = BASE_RECONNECT_MS;
      this.setState({ state: 'connected' });
    });
    client.on('reconnect', () => this.setState({ state: 'connecting', detail: this.current.detail }));
    client.on('close', () => {
      // Bounded exponential backoff: a broker that is down is not hammered every second.
      client.options.reconnectPeriod = backoffDelay(this.reconnectAttempt++, {
        baseMs: BASE_RECONNECT_MS,
        maxMs: maxReconnectMs ?? 30_000,
      });
      if (this.current.state !== 'error') this.setState({ state: 'disconnected', detail: this.current.detail });
    });
    client.on('error', (err: Error & { code?: number | string }) => {
      const detail = describeMqttError(err);
      if (detail !== this.current.detail) this.log.warn(`MQTT ${url}: ${detail}`);
      this.setState({ state: 'error', detail });
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const message: InboundMessage = {
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      ...(packet.properties ? { properties: packet.properties } : {}),
    };
    for (const sub of this.subscriptions.values()) {
      if (!topicMatches(sub.filter, topic)) continue;
      let result: void | Promise<unknown>;
      try {
        result = sub.handler(message);
      } catch (err) {
        this.log.warn(`MQTT handler for "${sub.filter}" threw: ${(err as Error).message}`);
        continue;
      }
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        this.inFlight++;
        const settle = (): void => {
          this.inFlight--;
          if (this.inFlight < this.maxInFlight) this.releaseHeld();
        };
        (result as Promise<unknown>).then(settle, settle);
      }
    }
  }

  private takeNext(callback: () => void): void {
    if (this.inFlight < this.maxInFlight) callback();
    else this.heldCallback = callback;
  }

  private releaseHeld(): void {
    const held = this.heldCallback;
    this.heldCallback = undefined;
    held?.();
  }

  private highestQos(filter: string): 0 | 1 | 2 {
    let qos: 0 | 1 | 2 = 0;
    for (const sub of this.subscriptions.values()) if (sub.filter === filter && sub.qos > qos) qos = sub.qos;
    return qos;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    for (const user of this.users.values()) user.onState(state);
  }
}

function subscriptionKey(userId: string, filter: string): string {
  return `${userId}\u0000${filter}`;
}

/** CONNACK codes of MQTT 3.1.1 (1-5) and MQTT 5 (0x80+) that users meet, in plain words. */
const CONNACK_REASONS: Record<number, string> = {
  1: 'the broker does not accept this protocol version',
  2: 'the broker refused the client id',
  3: 'the broker is unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
  133: 'the broker refused the client id',
  134: 'bad user name or password',
  135: 'not authorized',
  136: 'the broker is unavailable',
  137: 'the broker is busy',
  138: 'banned',
  140: 'bad authentication method',
};

export function describeMqttError(err: Error & { code?: number | string }): string {
  if (typeof err.code === 'number' && CONNACK_REASONS[err.code]) return CONNACK_REASONS[err.code] as string;
  if (err.code === 'ECONNREFUSED') return 'connection refused (is the broker running?)';
  if (err.code === 'ENOTFOUND') return 'broker host not found';
  return err.message || String(err.code ?? 'unknown error');
}
