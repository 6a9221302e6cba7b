import mqtt, { IClientOptions, type IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import { backoffDelay } from '../core/backoff';
import { type Clock, type TimerHandle, within } from '../core/clock';
import { topicMatches } from '../core/mqtt/topic-filter';
import { type DrainSettings, type DrainTarget, DEFAULT_DRAIN_SETTINGS } from './share-adopter';
import { type PresenceHost, SharePresence } from './share-presence';
import { REASON_SESSION_TAKEN_OVER, TakeoverDetector, type TakeoverSettings, type TakeoverVerdict } from '../core/mqtt/takeover';

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
 *
 * Redeploys: a user that is restarted rather than removed (`deregister(user, false)`) keeps its
 * subscription at the broker, so a persistent session (clean: false) goes on queueing. A message
 * that arrives for such a kept filter while no local handler listens is parked (not taken, not
 * acknowledged) until the user subscribes again; if it has not within PARK_GRACE_MS the kept
 * filters are dropped (timed on the injected Clock). On close a parked message stays
 * unacknowledged: the broker redelivers it.
 *
 * Stopping (issue #21): a user stops taking messages first (`detach`: its filters are kept, so
 * the next message for them is parked, unacknowledged, and reading stops), sends the PUBACKs it
 * still owes, and only then deregisters. `closeAfterUsers()` (the config node stopping, at the
 * same moment as its users) waits up to USERS_LEAVE_MS for the users to deregister before it
 * disconnects, so no acknowledgement is cut off by the disconnect.
 *
 * Shared subscriptions (`$share/g/...`) of several users on this one connection split the
 * messages between them (round robin), as separate clients of the group would.
 *
 * Deferred acknowledgements (`subscribe(…, { ackAfterHandler: true })`, for ack-after-archive):
 * a QoS 1 message is taken (reading goes on) but its PUBACK waits until the handler's promise
 * resolves; PUBACKs still leave in arrival order (MQTT-4.6.0-2), so a slow one holds back the
 * acks behind it, not the processing. A rejected promise is never acknowledged: the broker
 * redelivers it after the next reconnect (persistent session). Acks still owed when the
 * connection drops are forgotten, because the broker redelivers every unacknowledged message.
 * Reading stops while `maxOwedAcks` (20,000) PUBACKs are owed: the memory bound of this mode.
 * The broker must allow as many unacknowledged messages (Mosquitto: `max_inflight_messages`,
 * default 20, for MQTT 3.1.1 clients) or throughput drops to that many per archive round trip.
 *
 * PUBACK batching: mqtt.js writes each PUBACK on its own (one system call, one small TCP
 * segment each). While QoS 1/2 packets are taken, or deferred PUBACKs released, the socket is
 * corked until the next setImmediate, so the PUBACKs of one socket read (or one settled batch)
 * leave in one write, still in order.
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

export interface SubscribeOptions {
  /** QoS 1: acknowledge each message only when the handler's promise resolves (see above). */
  ackAfterHandler?: boolean;
}

export interface ConnectionOptions extends IClientOptions {
  url: string;
  /** Upper bound of the reconnect delay, ms. */
  maxReconnectMs?: number;
  /** Unsettled handler promises before the connection stops reading. */
  maxInFlight?: number;
  /** Deferred PUBACKs (ackAfterHandler) owed before the connection stops reading. */
  maxOwedAcks?: number;
  /** Session takeover detection (src/core/mqtt/takeover.ts); defaults there. */
  takeover?: TakeoverSettings;
  /**
   * Announce this persistent session (clean: false) in its `$share` groups and drain gone members
   * (src/io/share-presence.ts). Off unless true: the broker config node's connection sets it.
   */
  sharePresence?: boolean;
  /** How a gone member's session is drained (src/io/share-adopter.ts); defaults there. */
  drain?: DrainSettings;
  /**
   * This connection drains another member's session (share-adopter.ts): the member taking it
   * back is expected, not a takeover to report.
   */
  adopting?: boolean;
}

export interface Logger {
  warn(message: string): void;
  /** Errors a user must act on (a session takeover); warn when absent. */
  error?(message: string): void;
}

interface Subscription {
  userId: string;
  filter: string;
  qos: 0 | 1 | 2;
  handler: MessageHandler;
  ackAfterHandler: boolean;
}

/** A QoS 1 PUBACK owed to the broker once its message is settled. */
interface OwedAck {
  messageId: number;
  /** Connection generation it was received on: never acknowledged on a later connection. */
  generation: number;
  state: 'pending' | 'ack' | 'skip';
}

/** Passed to mqtt.js's handleMessage callback: take the packet but send no PUBACK (we send it later). */
const ACK_DEFERRED = new Error('acknowledgement deferred');

/** mqtt.js's packet writer: private in its typings, the only way to send a PUBACK we owe. */
type PacketWriter = { _sendPacket(packet: { cmd: 'puback'; messageId: number }): void };

const BASE_RECONNECT_MS = 1_000;
/** How long a message for a kept filter waits for its user to come back (a redeploy takes < 1 s). */
const PARK_GRACE_MS = 10_000;
/** How long ending a connection waits for mqtt.js to close it cleanly before dropping the socket. */
const END_GRACE_MS = 3_000;
/**
 * How long close() waits for registered users to leave: with the share leave (≤ 3 s) and the end
 * (≤ END_GRACE_MS) below Node-RED's 15 s close timeout.
 */
const USERS_LEAVE_MS = 9_000;

interface Parked {
  message: InboundMessage;
  /** mqtt.js's handleMessage callback for it: called = taken (and acknowledged). */
  callback: (() => void) | undefined;
  /** Takes it without acknowledging it (the connection is ending: the broker redelivers it). */
  skip: (() => void) | undefined;
  timer: TimerHandle;
}

export class SharedMqttConnection implements DrainTarget {
  private client: MqttClient | undefined;
  private readonly users = new Map<string, MqttUser>();
  private readonly subscriptions = new Map<string, Subscription>();
  private current: ConnectionState = { state: 'disconnected' };
  private reconnectAttempt = 0;
  private inFlight = 0;
  private heldCallback: (() => void) | undefined;
  private readonly maxInFlight: number;
  private readonly maxOwedAcks: number;
  /** userId → filters left subscribed at the broker by a restarted (not removed) user. */
  private readonly kept = new Map<string, string[]>();
  private parked: Parked | undefined;
  private readonly shareTurn = new Map<string, number>();
  /** Deferred PUBACKs in arrival order. */
  private owed: OwedAck[] = [];
  private generation = 0;
  /** Set by dispatch for the packet takeNext is about to be called with. */
  private deferredForNext: { messageId: number; settled: Promise<void> } | undefined;
  /** The socket is corked until the next setImmediate (holdWrites). */
  private writesHeld = false;
  /** Called when the last user has left (a close() waits for it). */
  private onUsersGone: (() => void) | undefined;
  private disconnecting: Promise<void> | undefined;
  /** Clients being ended: they acknowledge nothing more. */
  private readonly ending = new WeakSet<MqttClient>();
  /** `$share` messages of the current client never to be acknowledged (read while ending, parked, settled `skip`): left in the session. */
  private takenUnacknowledged = 0;
  private readonly takeover: TakeoverDetector;
  /** The broker's DISCONNECT of the current connection said "session taken over" (MQTT 5). */
  private takenOver = false;
  /** `$share` presence and adoption of gone members' sessions (persistent sessions only). */
  private readonly presence: SharePresence | undefined;
  /** For draining (DrainTarget): connected at least once, messages taken, the last one's time. */
  private connectedOnce = false;
  private messagesTaken = 0;
  private lastMessageAt: number | undefined;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    this.maxInFlight = options.maxInFlight ?? 1_000;
    this.maxOwedAcks = options.maxOwedAcks ?? 20_000;
    this.takeover = new TakeoverDetector(options.takeover);
    if (options.clean === false && options.clientId && options.sharePresence === true) {
      this.presence = new SharePresence(this.presenceHost(), log, clock, options.drain ?? DEFAULT_DRAIN_SETTINGS);
    }
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The MQTT version spoken (3.1.1 is 4): ack-after-archive warns about 3.1.1's small window. */
  get protocolVersion(): number {
    return this.options.protocolVersion ?? 4;
  }

  register(user: MqttUser): void {
    this.users.set(user.id, user);
    user.onState(this.current);
    if (!this.client) this.connect();
  }

  /**
   * Removes a user and its subscriptions; the last one out closes the connection. With
   * `removed` false (a node restarted by a redeploy) the broker-side subscriptions are kept.
   */
  async deregister(user: MqttUser, removed = true): Promise<void> {
    this.users.delete(user.id);
    this.detach(user.id);
    if (removed) {
      const filters = this.kept.get(user.id) ?? [];
      this.kept.delete(user.id);
      for (const filter of filters) await this.unsubscribe(user.id, filter).catch(() => undefined);
    }
    if (this.users.size === 0) {
      this.onUsersGone?.();
      await this.disconnect();
    }
  }

  /**
   * Stops handing messages to a user's subscriptions but keeps them at the broker (as for a
   * redeploy): the next message for them is parked unacknowledged and reading pauses. PUBACKs
   * the user still owes go out as their messages settle. Used first when a user stops.
   */
  detach(userId: string): void {
    const own = [...this.subscriptions.values()].filter((sub) => sub.userId === userId);
    if (own.length === 0) return;
    for (const sub of own) this.subscriptions.delete(subscriptionKey(userId, sub.filter));
    const kept = this.kept.get(userId) ?? [];
    for (const sub of own) if (!kept.includes(sub.filter)) kept.push(sub.filter);
    this.kept.set(userId, kept);
  }

  async subscribe(userId: string, filter: string, qos: 0 | 1 | 2, handler: MessageHandler, options: SubscribeOptions = {}): Promise<void> {
    this.subscriptions.set(subscriptionKey(userId, filter), { userId, filter, qos, handler, ackAfterHandler: options.ackAfterHandler === true });
    const kept = this.kept.get(userId);
    this.kept.delete(userId);
    // The user came back with another filter: the old one is no longer wanted.
    for (const old of kept ?? []) if (old !== filter) void this.unsubscribe(userId, old).catch(() => undefined);
    this.unpark(false);
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
    if (this.presence && filter.startsWith('$share/')) this.shareFiltersChanged(client);
  }

  /**
   * Publishes one message (a Sparkplug rebirth request). Fire and forget at QoS 0: while offline
   * it is dropped, which is what a request that only makes sense now should be.
   */
  publishIfConnected(topic: string, payload: Uint8Array): void {
    const client = this.client;
    if (!client || !client.connected) return;
    client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: 0, retain: false });
  }

  async unsubscribe(userId: string, filter: string): Promise<void> {
    this.subscriptions.delete(subscriptionKey(userId, filter));
    const stillWanted = [...this.subscriptions.values()].some((s) => s.filter === filter) || this.isKept(filter);
    const client = this.client;
    if (stillWanted || !client || !client.connected) return;
    await new Promise<void>((resolve) => client.unsubscribe(filter, () => resolve()));
  }

  /** Disconnects now, whoever is registered (what they still owe is redelivered by the broker). */
  close(): Promise<void> {
    return this.disconnect();
  }

  /**
   * The config node stops: its users stop at the same moment and owe PUBACKs that must leave
   * before the disconnect, so wait (≤ USERS_LEAVE_MS) for the last of them to deregister.
   */
  async closeAfterUsers(): Promise<void> {
    if (this.users.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(() => resolve(), USERS_LEAVE_MS);
        this.onUsersGone = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
      });
      this.onUsersGone = undefined;
    }
    await this.disconnect();
  }

  private disconnect(): Promise<void> {
    if (!this.disconnecting) {
      this.disconnecting = this.end().finally(() => {
        this.disconnecting = undefined;
      });
    }
    return this.disconnecting;
  }

  private async end(): Promise<void> {
    const client = this.client;
    // From now on nothing is taken for a user (a PUBACK would also be written after the end):
    // what this client still reads is taken unacknowledged, and the broker redelivers it.
    if (client) this.ending.add(client);
    // The parked message stays unacknowledged too, but is taken, before the leave below: mqtt.js
    // reads nothing while it is parked, so the leave would never see the broker's PUBACKs (it
    // waited LEAVE_TIMEOUT_MS on every stop) nor a PINGRESP (keepalive timeout, a reconnect
    // that dropped the PUBACKs still owed: counted twice), and end() never the socket's close.
    const parked = this.parked;
    this.parked = undefined;
    if (parked) this.clock.clearTimeout(parked.timer);
    if (parked?.skip) {
      if (parked.message.qos > 0 && this.isShareTopic(parked.message.topic)) this.takenUnacknowledged++;
      parked.skip();
    }
    this.releaseHeld();
    // Graceful leave of the `$share` groups, while still connected (share-presence.ts). PUBACKs
    // owed for durable messages still go out meanwhile.
    await this.presence?.leave();
    this.client = undefined;
    // What it still owes can never be sent now: the broker redelivers it after the next connect.
    this.generation++;
    this.owed = [];
    this.deferredForNext = undefined;
    this.kept.clear();
    if (!client) return;
    // mqtt.js's end(false) waits for its packets in flight, forever on a link that died without
    // closing: bounded, then the socket is dropped (a second end() would return at once).
    const ended = new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    await within(this.clock, ended, END_GRACE_MS).catch(() => client.stream?.destroy());
    this.setState({ state: 'disconnected' });
  }

  private connect(): void {
    const { url, maxReconnectMs, maxInFlight, maxOwedAcks, takeover, sharePresence, drain, adopting, ...clientOptions } = this.options;
    void maxInFlight; // ours, not mqtt.js options
    void maxOwedAcks;
    void takeover;
    void sharePresence;
    void drain;
    void adopting;
    this.setState({ state: 'connecting' });
    const will = this.presence ? { will: this.presence.will() } : {};
    const client = mqtt.connect(url, { reconnectPeriod: BASE_RECONNECT_MS, ...clientOptions, ...will });
    this.client = client;
    client.handleMessage = (packet, callback) => {
      if (this.ending.has(client)) {
        if ((packet as IPublishPacket).qos > 0 && this.isShareTopic((packet as IPublishPacket).topic)) this.takenUnacknowledged++;
        callback(ACK_DEFERRED); // taken, never acknowledged: redelivered after the next connect
        return;
      }
      if ((packet as IPublishPacket).qos > 0) this.holdWrites(client);
      this.takeNext(this.deferAck(packet as IPublishPacket, callback), () => callback(ACK_DEFERRED));
    };
    client.on('message', (topic, payload, packet) => {
      if (!this.ending.has(client)) this.dispatch(topic, payload, packet);
    });
    client.on('connect', (connack: IConnackPacket) => {
      // Small PUBACKs otherwise wait on Nagle + delayed ACK: QoS 1 throughput measured here went
      // from ~14,400 to ~23,000 msg/s with TCP_NODELAY (WebSocket streams have no such switch).
      (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.takeover.connected(this.clock.now());
      // During a takeover episode the backoff keeps growing (see watchTakeover).
      if (this.takeover.count === 0) {
        this.reconnectAttempt = 0;
        client.options.reconnectPeriod = BASE_RECONNECT_MS;
      }
      if (this.connectedOnce && connack.sessionPresent) this.resubscribe(client);
      this.takenUnacknowledged = 0;
      this.connectedOnce = true;
      this.setState({ state: 'connected' });
      this.presence?.connected().catch((err: Error) => this.presenceFailed(client, err));
    });
    client.on('reconnect', () => {
      if (client === this.client) this.setState({ state: 'connecting', detail: this.current.detail });
    });
    if (!this.options.adopting) this.watchTakeover(client);
    client.on('close', () => {
      // A client that was ended: end() already forgot what it owed, and a newer client may be
      // running (a redeploy of the nodes only), whose acknowledgements this must not drop.
      if (client !== this.client) return;
      // The parked message was read on the stream that closed: the broker redelivers it. Left
      // parked, nothing read after the reconnect could be parked, and a message for a kept filter
      // would be acknowledged undelivered (readings lost while a stopping user drains).
      const parked = this.parked;
      this.parked = undefined;
      if (parked) this.clock.clearTimeout(parked.timer);
      // The broker redelivers every unacknowledged message of a persistent session: owe nothing.
      this.generation++;
      this.owed = [];
      this.deferredForNext = undefined;
      // Bounded exponential backoff: a broker that is down is not hammered every second.
      client.options.reconnectPeriod = backoffDelay(this.reconnectAttempt++, {
        baseMs: BASE_RECONNECT_MS,
        maxMs: maxReconnectMs ?? 30_000,
      });
      if (this.current.state !== 'error') this.setState({ state: 'disconnected', detail: this.current.detail });
    });
    client.on('error', (err: Error & { code?: number | string }) => {
      if (client !== this.client) return; // an ended client's last words: not this connection's state
      const detail = describeMqttError(err);
      // Never log a password given inside the URL (mqtt://user:password@host).
      if (detail !== this.current.detail) this.log.warn(`MQTT ${redactUrl(url)}: ${detail}`);
      this.setState({ state: 'error', detail });
    });
  }

  /**
   * Session takeover (src/core/mqtt/takeover.ts): reported as an error state and logged; after
   * `stopAfter` in a row this connection stops reconnecting. Registered before the 'close'
   * handler below, so the backoff that handler computes already sees the episode.
   */
  private watchTakeover(client: MqttClient): void {
    client.on('disconnect', (packet: { reasonCode?: number }) => {
      if (packet.reasonCode === REASON_SESSION_TAKEN_OVER) this.takenOver = true;
    });
    client.on('error', () => this.takeover.failed());
    client.on('close', () => {
      const takenOver = this.takenOver;
      this.takenOver = false;
      const verdict = this.takeover.closed(this.clock.now(), { takenOver, byUs: this.client !== client || this.ending.has(client) });
      if (verdict.kind !== 'none') this.reportTakeover(client, verdict);
    });
  }

  private reportTakeover(client: MqttClient, verdict: Exclude<TakeoverVerdict, { kind: 'none' }>): void {
    const id = String(client.options.clientId ?? '');
    const what = verdict.certain
      ? `the broker handed session "${id}" to another connection with the same client id ${verdict.count} time(s) in a row`
      : `the broker closed the connection right after it was made ${verdict.count} times in a row: most likely another client uses the client id "${id}"`;
    const hint = 'is the same flow running on two Node-RED instances with one fixed client id?';
    const detail = verdict.kind === 'stop' ? `session takeover: ${what}; stopped reconnecting (${hint} Redeploy to try again)` : `session takeover: ${what} (${hint})`;
    (this.log.error ?? this.log.warn).call(this.log, `MQTT ${redactUrl(String(this.options.url))}: ${detail}`);
    if (verdict.kind === 'stop') {
      client.options.reconnectPeriod = 0;
      client.end(true);
    }
    this.setState({ state: 'error', detail });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.messagesTaken++;
    this.lastMessageAt = this.clock.now();
    const message: InboundMessage = {
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      ...(packet.properties ? { properties: packet.properties } : {}),
    };
    const deferred: Promise<unknown>[] = [];
    const delivered = this.deliver(message, packet.qos === 1 ? deferred : undefined);
    this.deferredForNext = undefined;
    if (deferred.length > 0 && packet.messageId !== undefined) {
      const settled = Promise.all(deferred).then(() => undefined);
      // deferAck handles the outcome; this only keeps a rejection from counting as unhandled
      // should the packet never reach it (the connection dropped in between).
      settled.catch(() => undefined);
      this.deferredForNext = { messageId: packet.messageId, settled };
    }
    if (!delivered && !this.parked && this.keptMatch(topic)) {
      // takeNext, called next for this same packet, holds its callback.
      this.parked = { message, callback: undefined, skip: undefined, timer: this.clock.setTimeout(() => this.unpark(true), PARK_GRACE_MS) };
    }
  }

  /**
   * Hands a message to every matching subscription (one per shared group); false when none
   * matched. The promises of ackAfterHandler subscriptions go into `deferred` when given.
   */
  private deliver(message: InboundMessage, deferred?: Promise<unknown>[]): boolean {
    const { topic } = message;
    let delivered = false;
    const sharesServed = new Set<string>();
    for (const candidate of this.subscriptions.values()) {
      if (!topicMatches(candidate.filter, topic)) continue;
      let sub = candidate;
      if (sub.filter.startsWith('$share/')) {
        if (sharesServed.has(sub.filter)) continue;
        sharesServed.add(sub.filter);
        sub = this.nextInShare(sub.filter);
      }
      delivered = true;
      let result: void | Promise<unknown>;
      try {
        result = sub.handler(message);
      } catch (err) {
        this.log.warn(`MQTT handler for "${sub.filter}" threw: ${(err as Error).message}`);
        continue;
      }
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        if (deferred && sub.ackAfterHandler) {
          // Bounded by the owed PUBACKs instead (maxOwedAcks): an archive takes ~1 s to make a
          // message durable, so 1,000 in flight would cap a pipeline at ~1,000 msg/s.
          deferred.push(result as Promise<unknown>);
          continue;
        }
        this.inFlight++;
        const settle = (): void => {
          this.inFlight--;
          if (this.canTake()) this.releaseHeld();
        };
        (result as Promise<unknown>).then(settle, settle);
      }
    }
    return delivered;
  }

  private nextInShare(filter: string): Subscription {
    const members = [...this.subscriptions.values()].filter((s) => s.filter === filter);
    const turn = this.shareTurn.get(filter) ?? 0;
    this.shareTurn.set(filter, turn + 1);
    return members[turn % members.length] as Subscription;
  }

  private takeNext(callback: () => void, skip?: () => void): void {
    if (this.parked && !this.parked.callback) {
      this.parked.callback = callback;
      this.parked.skip = skip;
    } else if (this.canTake()) callback();
    else this.heldCallback = callback;
  }

  /** Owed PUBACKs bound what is read too: messages not yet durable are held in memory. */
  private canTake(): boolean {
    return this.inFlight < this.maxInFlight && this.owed.length < this.maxOwedAcks;
  }

  /**
   * For a QoS 1 packet whose handlers asked for it: remember the PUBACK we owe and make mqtt.js
   * skip its own (its callback with an error takes the packet without acknowledging it).
   */
  private deferAck(packet: IPublishPacket, callback: (err?: Error) => void): () => void {
    const deferred = this.deferredForNext;
    this.deferredForNext = undefined;
    if (!deferred || packet.qos !== 1 || packet.messageId !== deferred.messageId) return () => callback();
    const owed: OwedAck = { messageId: deferred.messageId, generation: this.generation, state: 'pending' };
    this.owed.push(owed);
    deferred.settled.then(
      () => this.settleAck(owed, 'ack'),
      () => this.settleAck(owed, 'skip'),
    );
    return () => callback(ACK_DEFERRED);
  }

  private settleAck(owed: OwedAck, state: 'ack' | 'skip'): void {
    owed.state = state;
    const client = this.client;
    if (client) this.holdWrites(client);
    while (this.owed.length > 0 && (this.owed[0] as OwedAck).state !== 'pending') {
      const head = this.owed.shift() as OwedAck;
      if (head.state === 'ack' && head.generation === this.generation && client?.connected) {
        (client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId: head.messageId });
      } else if (head.state === 'skip' && head.generation === this.generation) {
        // Not durable: it stays in the session for whoever resumes it (leftUnacknowledged).
        this.takenUnacknowledged++;
      }
    }
    if (this.canTake()) this.releaseHeld();
  }

  /**
   * Delivers the parked message once a subscription matches it again, or when `giveUp` (the
   * grace time is over: its kept filters are dropped, and it goes to whoever matches, if anyone).
   */
  private unpark(giveUp: boolean): void {
    const parked = this.parked;
    if (!parked || !parked.callback) return;
    const waiting = !this.subscriptions.size || ![...this.subscriptions.values()].some((s) => topicMatches(s.filter, parked.message.topic));
    if (waiting && !giveUp && this.keptMatch(parked.message.topic)) return;
    this.clock.clearTimeout(parked.timer);
    this.parked = undefined;
    if (giveUp) {
      const filters = [...this.kept.values()].flat();
      this.kept.clear();
      for (const filter of filters) void this.unsubscribe('', filter).catch(() => undefined);
    }
    if (!this.deliver(parked.message)) this.log.warn(`MQTT: no node subscribes to "${parked.message.topic}" any more; a message was dropped`);
    this.takeNext(parked.callback);
  }

  private isKept(filter: string): boolean {
    for (const filters of this.kept.values()) if (filters.includes(filter)) return true;
    return false;
  }

  private keptMatch(topic: string): boolean {
    for (const filters of this.kept.values()) if (filters.some((f) => topicMatches(f, topic))) return true;
    return false;
  }

  /** Corks the socket until the next setImmediate: the packets written meanwhile leave in one write. */
  private holdWrites(client: MqttClient): void {
    if (this.writesHeld) return;
    const stream = client.stream as { cork?: () => void; uncork?: () => void } | undefined;
    if (!stream?.cork || !stream.uncork) return;
    stream.cork();
    this.writesHeld = true;
    setImmediate(() => {
      this.writesHeld = false;
      stream.uncork?.();
    });
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

  // --- `$share` presence, and draining a gone member's session (share-presence.ts, share-adopter.ts) ---

  /** Publishes one message (QoS 1 by default); resolves on the broker's acknowledgement. */
  async publish(topic: string, payload: string | Buffer, options: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('not connected: register before publishing');
    await new Promise<void>((resolve, reject) => {
      client.publish(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * After a reconnect that resumed the session, mqtt.js sends no SUBSCRIBE: it trusts the broker
   * kept them. It may not have: a peer that drained this session while we were away (a restart
   * within its drain, share-adopter.ts) unsubscribed our `$share` filters, and we would receive
   * nothing from them again, silently. So the `$share` filters — the only ones an adopter
   * removes — are subscribed again (idempotent; a shared subscription gets no retained
   * messages, MQTT 5 §4.8.2, so nothing is delivered twice). Other filters are left alone: a
   * repeated SUBSCRIBE would make the broker send their retained messages again.
   */
  private resubscribe(client: MqttClient): void {
    if (this.ending.has(client)) return;
    const filters = new Map<string, number>();
    for (const sub of this.subscriptions.values()) {
      if (sub.userId !== ADOPT_USER && sub.filter.startsWith('$share/')) filters.set(sub.filter, this.highestQos(sub.filter));
    }
    // A kept filter's user is restarting (a redeploy, < 1 s) and subscribes again with its own QoS.
    for (const kept of this.kept.values()) for (const f of kept) if (f.startsWith('$share/') && !filters.has(f)) filters.set(f, 1);
    if (filters.size === 0) return;
    // `resubscribe: true` is mqtt.js's own flag (its _resubscribe uses it): without it, a filter
    // it already knows at that QoS is not sent again.
    const map = { ...Object.fromEntries([...filters].map(([filter, qos]) => [filter, { qos: qos as 0 | 1 | 2 }])), resubscribe: true };
    client.subscribe(map as unknown as Record<string, { qos: 0 | 1 | 2 }>, (err) => {
      if (err && client === this.client && !this.ending.has(client)) this.log.warn(`MQTT: subscribing again after a reconnect failed: ${err.message}`);
    });
  }

  /**
   * Messages this connection read and will never acknowledge — taken while ending, or owed and
   * not acknowledged yet: the broker keeps them in the session for whoever resumes it.
   */
  private leftUnacknowledged(): number {
    let owed = 0;
    for (const entry of this.owed) if (entry.state !== 'ack' && entry.generation === this.generation) owed++;
    return this.takenUnacknowledged + owed;
  }

  /** Whether `topic` matches one of our `$share` filters (what a peer's drain would take from our session). */
  private isShareTopic(topic: string): boolean {
    for (const filter of this.shareFilters()) {
      const plain = filter.split('/').slice(2).join('/'); // $share/<group>/<filter>
      if (topicMatches(plain, topic)) return true;
    }
    return false;
  }

  /** Removes subscriptions at the broker only (local handlers stay): leaving a share group, draining. */
  async unsubscribeAtBroker(filters: string[]): Promise<void> {
    const client = this.client;
    if (!client || !client.connected || filters.length === 0) return;
    await new Promise<void>((resolve) => client.unsubscribe(filters, () => resolve()));
  }

  /** `$share` filters subscribed at the broker: of the current users and kept across a redeploy. */
  shareFilters(): string[] {
    const filters = new Set<string>();
    for (const sub of this.subscriptions.values()) if (sub.filter.startsWith('$share/')) filters.add(sub.filter);
    for (const kept of this.kept.values()) for (const f of kept) if (f.startsWith('$share/')) filters.add(f);
    return [...filters];
  }

  private shareFiltersChanged(client: MqttClient): void {
    if (!this.presence) return;
    // mqtt.js reads the will at every (re)connect.
    client.options.will = this.presence.will();
    this.presence.announce().catch((err: Error) => this.presenceFailed(client, err));
  }

  /**
   * An announcement that failed because this connection is stopping (mqtt.js removes what is in
   * flight when it ends: "Message removed") is no news; one that failed on a live connection is.
   */
  private presenceFailed(client: MqttClient, err: Error): void {
    if (client !== this.client || this.ending.has(client)) return;
    this.log.warn(`MQTT: announcing this member failed: ${err.message}`);
  }

  private presenceHost(): PresenceHost {
    return {
      clientId: String(this.options.clientId),
      shareFilters: () => this.shareFilters(),
      isConnected: () => this.client?.connected === true,
      publish: (topic, payload, retain) => this.publish(topic, payload, { qos: 1, retain }),
      subscribeInternal: (filter, handler) => this.subscribe(PRESENCE_USER, filter, 1, handler),
      unsubscribeAtBroker: (filters) => this.unsubscribeAtBroker(filters),
      leftUnacknowledged: () => this.leftUnacknowledged(),
      adopter: (clientId, shares) => this.adopter(clientId, shares),
      whenClosed: () => {
        const client = this.client;
        return client?.connected ? new Promise<void>((resolve) => client.once('close', () => resolve())) : Promise.resolve();
      },
      abandonOutgoing: () => {
        const client = this.client;
        // mqtt.js's table of packets awaiting an acknowledgement: public, untyped.
        const outgoing = (client as unknown as { outgoing?: Record<string, unknown> } | undefined)?.outgoing ?? {};
        for (const id of Object.keys(outgoing)) client?.removeOutgoingMessage(Number(id));
      },
    };
  }

  /**
   * A connection under a gone member's client id, holding this connection's handlers for `shares`
   * without subscribing: the broker resumes that session and sends what it queued.
   */
  private adopter(clientId: string, shares: string[]): SharedMqttConnection {
    const { will, ...options } = this.options;
    void will;
    const adopter = new SharedMqttConnection({ ...options, clientId, reconnectPeriod: 0, sharePresence: false, adopting: true }, this.log, this.clock);
    for (const sub of this.subscriptions.values()) {
      if (shares.includes(sub.filter)) adopter.subscriptions.set(subscriptionKey(`${ADOPT_USER}${sub.userId}`, sub.filter), { ...sub, userId: ADOPT_USER });
    }
    return adopter;
  }

  /** DrainTarget: connect (once, no reconnects). */
  start(): void {
    this.register({ id: ADOPT_USER, onState: () => undefined });
  }

  /** DrainTarget: connecting until CONNACK, then connected, then closed. */
  drainPhase(): 'connecting' | 'connected' | 'closed' {
    if (this.current.state === 'connected') return 'connected';
    return !this.connectedOnce && this.current.state !== 'error' ? 'connecting' : 'closed';
  }

  /** DrainTarget: messages taken, when the last one came, whether any is unsettled. */
  drainActivity(): { messages: number; lastMessageAt: number | undefined; busy: boolean } {
    return { messages: this.messagesTaken, lastMessageAt: this.lastMessageAt, busy: this.owed.length > 0 || this.inFlight > 0 };
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    for (const user of this.users.values()) user.onState(state);
  }
}

/** User ids of the connection's own subscriptions (no node has an id with a NUL). */
const PRESENCE_USER = '\u0000presence';
const ADOPT_USER = '\u0000adopt';

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

function describeMqttError(err: Error & { code?: number | string }): string {
  if (typeof err.code === 'number' && CONNACK_REASONS[err.code]) return CONNACK_REASONS[err.code] as string;
  if (err.code === 'ECONNREFUSED') return 'connection refused (is the broker running?)';
  if (err.code === 'ENOTFOUND') return 'broker host not found';
  return err.message || String(err.code ?? 'unknown error');
}

/** The URL without any user:password part, for status and logs. */
function redactUrl(url: string): string {
  return String(url ?? '').replace(/\/\/[^@/]*@/, '//');
}
