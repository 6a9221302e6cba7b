/**
 * A partition member's own broker connection (telemetry-partition, DESIGN §7): publishes the
 * readings to their partition topics, keeps the member's presence (retained, with an empty
 * retained last will so the broker clears it when the member dies), hears the other members'
 * presence, and reads/writes the per-partition checkpoints (retained).
 *
 * Why a dedicated mqtt.js client rather than the broker config node's shared connection: the
 * last will is per connection and must be this member's presence topic; the shared connection
 * has no publish path and may be a persistent session (clean: false) of another node, whereas
 * this link is a clean session — nothing of it must survive the member. Its client id is
 * `tpm-<group>-<memberId>-<incarnation>`, unique per start, so two members never collide.
 *
 * Publishing: QoS 1; the promise resolves on the broker's PUBACK. When the connection drops,
 * every publish still waiting for its PUBACK is rejected and the client is thrown away (a new
 * one connects after a back-off): a checkpoint written before the drop must never reach the
 * broker after it, when another member may own that partition already. Whoever published a
 * rejected reading hears of it (its input msg fails and stays unacknowledged upstream).
 */
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { backoffDelay } from '../core/backoff';
import { type Clock, type TimerHandle, within } from '../core/clock';

export interface LinkEvents {
  /** Connected and subscribed (each time, reconnects included); the CONNACK tells MQTT 5 limits. */
  connected(connack: IConnackPacket): void;
  /** The connection dropped; a new one is tried after a back-off. */
  disconnected(detail: string | undefined): void;
  /** Any message on a subscribed topic. */
  message(topic: string, payload: Buffer, retain: boolean): void;
}

export interface LinkOptions extends IClientOptions {
  url: string;
}

const BASE_RECONNECT_MS = 1_000;
const MAX_RECONNECT_MS = 30_000;
/**
 * How long a SUBSCRIBE/UNSUBSCRIBE may wait for the broker's answer, and a graceful end for the
 * publishes in flight: mqtt.js waits for them forever, and a partition move (or the node's close,
 * which waits for the moves) must not hang on one packet the broker never answers.
 */
export const LINK_ANSWER_TIMEOUT_MS = 15_000;
export const LINK_END_GRACE_MS = 5_000;

export class LinkClosedError extends Error {
  constructor() {
    super('the connection to the broker dropped before the broker acknowledged the message');
  }
}

export class PartitionLink {
  private client: MqttClient | undefined;
  private attempt = 0;
  private lastError: string | undefined;
  private stopped = false;
  private retry: TimerHandle | undefined;
  private readonly waiting = new Set<(err: Error) => void>();

  constructor(
    private readonly options: LinkOptions,
    private readonly subscriptions: string[],
    private readonly events: LinkEvents,
    private readonly clock: Clock,
  ) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Publishes waiting for their PUBACK. */
  get pending(): number {
    return this.waiting.size;
  }

  start(): void {
    if (this.stopped || this.client) return;
    const { url, ...clientOptions } = this.options;
    // No reconnect inside mqtt.js: it would resend what was queued before the drop (see above).
    const client = mqtt.connect(url, { ...clientOptions, clean: true, reconnectPeriod: 0 });
    this.client = client;
    let up = false;
    client.on('connect', (connack) => {
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      client.subscribe(this.subscriptions, { qos: 1 }, (err) => {
        if (err || this.client !== client) return;
        up = true;
        this.attempt = 0;
        this.lastError = undefined;
        this.events.connected(connack);
      });
    });
    client.on('message', (topic, payload, packet) => {
      if (this.client === client) this.events.message(topic, payload, packet.retain);
    });
    client.on('error', (err) => {
      this.lastError = err.message;
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end(true);
      this.failWaiting();
      if (up) this.events.disconnected(this.lastError);
      else if (this.attempt === 0) this.events.disconnected(this.lastError ?? 'cannot connect');
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, { baseMs: BASE_RECONNECT_MS, maxMs: MAX_RECONNECT_MS });
      this.retry = this.clock.setTimeout(() => {
        this.retry = undefined;
        this.start();
      }, delay);
    });
  }

  /** QoS 1 publish; resolves on PUBACK, rejects (LinkClosedError) when the connection drops first. */
  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return Promise.reject(new LinkClosedError());
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      this.waiting.add(fail);
      client.publish(topic, payload, { qos: 1, retain }, (err) => {
        if (!this.waiting.delete(fail)) return; // already failed by the drop
        if (err) reject(err);
        else resolve();
      });
    });
  }

  subscribe(filter: string): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return Promise.reject(new LinkClosedError());
    const answered = new Promise<void>((resolve, reject) => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    return this.within(answered, LINK_ANSWER_TIMEOUT_MS, () => new Error(`the broker did not answer a SUBSCRIBE to "${filter}" within ${LINK_ANSWER_TIMEOUT_MS / 1000}s`));
  }

  unsubscribe(filter: string): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return Promise.resolve();
    return this.within(new Promise<void>((resolve) => client.unsubscribe(filter, () => resolve())), LINK_ANSWER_TIMEOUT_MS).catch(() => undefined);
  }

  /** Ends the connection for good (waits up to LINK_END_GRACE_MS for publishes in flight unless `force`). */
  async close(force = false): Promise<void> {
    this.stopped = true;
    if (this.retry !== undefined) this.clock.clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (client) {
      const ended = new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
      // A second end() of mqtt.js returns at once without closing anything: drop the socket instead.
      await this.within(ended, LINK_END_GRACE_MS).catch(() => client.stream?.destroy());
    }
    this.failWaiting();
  }

  /** `promise`, or a rejection once `ms` passed on the clock. */
  private within<T>(promise: Promise<T>, ms: number, error = (): Error => new Error(`no answer from the broker within ${ms / 1000}s`)): Promise<T> {
    return within(this.clock, promise, ms, error);
  }

  private failWaiting(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const fail of waiting) fail(new LinkClosedError());
  }
}
