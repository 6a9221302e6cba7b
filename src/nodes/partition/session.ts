/**
 * One partition's consuming session (DESIGN §7): a persistent MQTT session (clean: false) whose
 * client id is derived from the group and the partition, not from the member, so the session —
 * and the messages the broker queued in it — moves with the partition from member to member.
 * The member protocol (coordinator.ts) lets one member at a time connect it; the broker itself
 * allows one connection per client id, so even a member that missed a move cannot read along.
 *
 * Acknowledgements: every message is taken with a deferred PUBACK (mqtt-connection.ts
 * `ackAfterHandler`). With ack-after-archive the PUBACK leaves once a durable sink completed the
 * msg (a window/heartbeat checkpoint, an archive write) or at the ack timeout; otherwise once the
 * next node has the msg. After `stopConsuming` nothing more is sent on and the messages still
 * arriving are never acknowledged: the broker gives them to the next owner of the session.
 * The session is never reconnected here: a drop is reported (`lost`) and the member decides.
 */
import type { Clock } from '../../core/clock';
import { type ConnectionOptions, type ConnectionState, type InboundMessage, SharedMqttConnection } from '../../io/mqtt-connection';
import type { AckOutcome, AckTracker } from '../shared/durability';
import type { TelemetryMsg } from '../shared/red';
import { nextTurn } from '../shared/turns';

export interface SessionAck {
  tracker: AckTracker;
  timeoutMs: number;
  newId(): string;
  onOutcome(outcome: AckOutcome): void;
}

export interface SessionDeps {
  options: ConnectionOptions;
  clock: Clock;
  warn(message: string): void;
  /** A msg for the node's output. */
  send(msg: TelemetryMsg): void;
  /** The session dropped or was refused after `open` resolved (not called after close()). */
  lost(detail: string | undefined): void;
  ack: SessionAck | undefined;
}

/** How long a session may take to connect and subscribe before the gain counts as failed. */
export const OPEN_TIMEOUT_MS = 15_000;

export class PartitionSession {
  private readonly connection: SharedMqttConnection;
  private consuming = true;
  private closed = false;
  private opened = false;
  private readonly unsettled = new Set<Promise<unknown>>();
  private received = 0;

  constructor(
    readonly partition: number,
    private readonly topic: string,
    private readonly deps: SessionDeps,
  ) {
    this.connection = new SharedMqttConnection(deps.options, { warn: deps.warn }, deps.clock);
  }

  /** Messages received so far. */
  get count(): number {
    return this.received;
  }

  /** Messages sent on and not yet acknowledged. */
  get outstanding(): number {
    return this.unsettled.size;
  }

  /** Connects and subscribes (QoS 1); resolves when the broker granted the subscription. */
  open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        this.deps.clock.clearTimeout(timer);
        if (err) reject(err);
        else {
          this.opened = true;
          resolve();
        }
      };
      const timer = this.deps.clock.setTimeout(() => finish(new Error(`partition ${this.partition}: the session did not open within ${OPEN_TIMEOUT_MS / 1000}s`)), OPEN_TIMEOUT_MS);
      this.connection.register({ id: 'partition', onState: (state) => this.onState(state, finish) });
      this.connection
        .subscribe('partition', this.topic, 1, (m) => this.receive(m), { ackAfterHandler: true })
        .then(() => finish(), (err: Error) => finish(err));
    });
  }

  /** No msg is sent on after this; later arrivals stay unacknowledged (redelivered to the next owner). */
  stopConsuming(): void {
    this.consuming = false;
  }

  /** Resolves when every msg sent on was acknowledged, or after `ms` (on the clock). */
  settled(ms: number): Promise<void> {
    if (this.unsettled.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(resolve, ms);
      void Promise.allSettled([...this.unsettled]).then(() => {
        this.deps.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Disconnects (the session stays at the broker, with its subscription and queue). */
  async close(): Promise<void> {
    this.consuming = false;
    this.closed = true;
    // PUBACKs released just before leave on the next setImmediate (the socket is corked till then).
    await nextTurn();
    await this.connection.close();
  }

  private onState(state: ConnectionState, opening: (err?: Error) => void): void {
    if (this.closed) return;
    if (state.state === 'error' && !this.opened) opening(new Error(`partition ${this.partition}: ${state.detail ?? 'connection refused'}`));
    if ((state.state === 'disconnected' || state.state === 'error') && this.opened) {
      this.closed = true;
      this.consuming = false;
      void this.connection.close();
      this.deps.lost(state.detail);
    }
  }

  private receive(message: InboundMessage): Promise<unknown> {
    if (!this.consuming) return Promise.reject(new Error('partition released'));
    this.received++;
    let envelope: { topic?: unknown; payload?: unknown };
    try {
      envelope = JSON.parse(message.payload.toString('utf8')) as { topic?: unknown; payload?: unknown };
    } catch {
      envelope = {};
    }
    if (typeof envelope !== 'object' || envelope === null || envelope.payload === undefined) {
      // Not written by a partition node: acknowledged so it cannot block the partition, and said.
      this.deps.warn(`partition ${this.partition}: a message on ${message.topic} is not a partition envelope; dropped`);
      return Promise.resolve();
    }
    // No _msgid unless acks follow it: the runtime gives the msg one on send.
    const msg = { payload: envelope.payload, partition: this.partition } as unknown as TelemetryMsg;
    if (typeof envelope.topic === 'string') msg.topic = envelope.topic;
    const ack = this.deps.ack;
    let done: Promise<unknown>;
    if (ack) {
      msg._msgid = ack.newId();
      done = ack.tracker.expect(msg._msgid, ack.timeoutMs).then((outcome) => {
        ack.onOutcome(outcome);
        if (outcome === 'closed') throw new Error('stopped before the msg was durable');
      });
    } else {
      // Settles after the runtime's own setImmediate that hands the msg to the next node.
      done = nextTurn();
    }
    this.deps.send(msg);
    this.unsettled.add(done);
    const forget = (): void => void this.unsettled.delete(done);
    done.then(forget, forget);
    return done;
  }
}
