/**
 * telemetry-partition at run time (DESIGN §7; the node's help text tells users the same):
 * input readings → their partitions' topics (publisher.ts); the partitions this member owns →
 * output (session.ts); membership and moves (core/partition/coordinator.ts) with the
 * stateful nodes downstream taking part through the partition registry.
 *
 * Moves, per partition p:
 * - gain: read p's checkpoint → registry.adoptPartition (holders restore) → open p's session →
 *   presence says "owns p".
 * - release (assignment moved p, or the node closes): stop consuming → let msgs already sent
 *   reach the next nodes → registry.releasePartition (holders hand over their state and forget
 *   p) → write the checkpoint (PUBACK) → holders hear partitionSaved (ack-after-archive
 *   completes their msgs) → wait for PUBACKs owed → close the session → presence no longer
 *   says "owns p" (the announcement the next owner waits for).
 * - lost (p's session or the member's link dropped): the holders' state of p is dropped without
 *   a checkpoint — with ack-after-archive everything not in the last checkpoint is still
 *   unacknowledged at the broker and comes again to whoever gains p; without it, the state is
 *   checkpointed first when the link is up.
 */
import type { IConnackPacket } from 'mqtt';
import type { Clock } from '../../core/clock';
import { RateMeter, formatCount } from '../../core/rate';
import { Coordinator } from '../../core/partition/coordinator';
import { type PartitionSettings, partitionTopics } from '../../core/partition/config';
import { fnv1a32, partitionOfTags } from '../../core/partition/hash';
import { Membership, PRESENCE_EVERY_MS, parsePresence } from '../../core/partition/membership';
import type { ConnectionOptions } from '../../io/mqtt-connection';
import { LinkClosedError, PartitionLink } from '../../io/partition-link';
import { PROBE_MESSAGES, probeBroker } from '../../io/partition-probe';
import type { NodeController } from '../shared/controller';
import { DeadlineTimer, Ticker } from '../shared/deadline-timer';
import { CodedError } from '../shared/messages';
import type { MonitorFigures } from '../shared/monitor';
import {
  CHECKPOINT_EVERY_MS,
  type HolderFailure,
  type PartitionOwner,
  type PartitionRegistry,
  type PartitionStates,
  type PartitionStateHolder,
} from '../shared/partition-registry';
import type { Done, Node, NodeStatus, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';
import { CheckpointStore } from './checkpoints';
import { PartitionPublisher } from './publisher';
import { PartitionSession, type SessionAck } from './session';
import { eventLoopTurns } from '../shared/turns';

/** How long a released partition waits for the PUBACKs its sent msgs still owe. */
export const RELEASE_ACK_GRACE_MS = 2_000;
/** setImmediate turns a release lets msgs already sent travel before the holders hand over. */
const DRAIN_TURNS = 10;
/** A holder's checkpointSoon() is served this long after (requests within it are coalesced). */
const CHECKPOINT_SOON_MS = 50;

export interface PartitionDeps {
  node: Pick<Node, 'id' | 'send' | 'status' | 'warn' | 'error' | 'log'>;
  t: Translate;
  clock: Clock;
  broker: ConnectionOptions;
  registry: PartitionRegistry;
  /** The member id (dynamic) or `instance-<i>` (static), and a random id of this start. */
  memberId: string;
  incarnation: string;
  ack: SessionAck | undefined;
  /** Run the broker settings probe at start (the node tests turn it off). */
  probe: boolean;
  /** Called last in close (ack-after-archive stops following completions). */
  closed(): void;
}

export class PartitionController implements NodeController, PartitionOwner {
  private readonly topics;
  private readonly link: PartitionLink;
  private readonly membership: Membership;
  private readonly coordinator: Coordinator;
  private readonly checkpoints: CheckpointStore;
  private readonly publisher: PartitionPublisher;
  private readonly sessions = new Map<number, PartitionSession>();
  private readonly running = new Set<Promise<void>>();
  private readonly planTimer: DeadlineTimer;
  private readonly soonTimer: DeadlineTimer;
  private readonly status: StatusThrottle;
  private readonly meterIn: RateMeter;
  private readonly meterOut: RateMeter;
  /** Checkpoints being taken, by partition (a release waits for p's to finish first). */
  private readonly checkpointing = new Map<number, Promise<void>>();
  /**
   * Per held partition, states no registered holder speaks for: those in the checkpoint of
   * holders that are not in this member's flow, and the last state of holders that went away
   * (a partial deploy, or Node-RED stopping them before this node). Every checkpoint written
   * carries them on, so no holder's state is lost because it was not there at that moment.
   */
  private readonly carried = new Map<number, PartitionStates>();
  private presenceTicker: Ticker | undefined;
  private checkpointTicker: Ticker | undefined;
  private statusTicker: Ticker | undefined;
  private detach: () => void = () => undefined;
  private linkUp = false;
  /** Bumped on every link drop: a move started before it is abandoned. */
  private epoch = 0;
  private closing = false;
  private lastPresence = '';
  private presenceBusy: Promise<void> = Promise.resolve();
  private problem: string | undefined;
  private probed = false;
  /** Incarnations of other processes seen with our member id (reported once each). */
  private readonly conflicts = new Set<string>();
  /** Partitions whose persistent session exists at the broker (retained `ready/<p>`). */
  private readonly ready = new Set<number>();
  /** Envelopes for partitions not ready yet (bounded by the publisher's MAX_PENDING_READINGS). */
  private readonly unready = new Map<number, Outgoing[]>();
  /** Envelopes waiting for the link to come back (same bound). */
  private offline: Outgoing[] = [];

  readonly layout: { partitions: number; partitionOf(tags: Record<string, string>): number };

  constructor(
    private readonly settings: PartitionSettings,
    private readonly deps: PartitionDeps,
  ) {
    const { clock, memberId, incarnation } = deps;
    this.topics = partitionTopics(settings.topicPrefix, settings.group);
    this.layout = {
      partitions: settings.partitions,
      partitionOf: (tags) => partitionOfTags(tags, settings.keys, settings.partitions) ?? -1,
    };
    this.membership = new Membership(memberId, incarnation);
    const a = settings.assignment;
    this.coordinator = new Coordinator(
      settings.partitions,
      a.kind === 'static' ? { kind: 'static', instance: a.instance, instances: a.instances } : { kind: 'dynamic', membership: this.membership },
    );
    this.planTimer = new DeadlineTimer(clock, () => this.replan());
    this.soonTimer = new DeadlineTimer(clock, () => this.checkpointAll());
    this.status = new StatusThrottle(deps.node, clock);
    this.meterIn = new RateMeter(clock.now());
    this.meterOut = new RateMeter(clock.now());
    const markerTopic = this.topics.probe(`${memberId}-${incarnation}`);
    this.link = new PartitionLink(
      {
        ...deps.broker,
        clientId: `tpm-${settings.group}-${memberId}-${incarnation}`,
        will: { topic: this.topics.member(memberId), payload: Buffer.alloc(0), qos: 1, retain: true },
        properties: undefined,
      },
      [this.topics.memberFilter, this.topics.readyFilter, markerTopic],
      {
        connected: (connack) => this.onLinkUp(connack),
        disconnected: (detail) => this.onLinkDown(detail),
        message: (topic, payload) => this.onLinkMessage(topic, payload),
      },
      clock,
    );
    this.checkpoints = new CheckpointStore(this.link, (p) => this.topics.state(p), markerTopic, { group: settings.group, member: memberId }, clock);
    this.publisher = new PartitionPublisher({
      partitions: settings.partitions,
      keys: settings.keys,
      publish: (p, payload) => this.publishTo(p, payload),
      t: deps.t,
      counted: (n) => this.meterIn.add(n, clock.now()),
    });
    const attached = deps.registry.attach(this);
    if (attached instanceof Error) throw attached;
    this.detach = attached;
    this.render(true);
    this.link.start();
    this.statusTicker = new Ticker(clock, 1_000, () => this.render());
    // Holders register in their constructors, all of which run in the same turn as this one: by
    // the time the link is up (network I/O later) every holder of the deploy is registered.
  }

  input(msg: TelemetryMsg, _send: Send, done: Done): void {
    if (msg.control !== undefined) {
      done(new CodedError('BAD_CONTROL', this.deps.t('errors.badControl', { control: String(msg.control) })));
      return;
    }
    this.publisher.handle(msg, done);
  }

  async close(_removed: boolean): Promise<void> {
    this.closing = true;
    // Node-RED stops every node of the flow in the same turn as this one: a msg sent on from now
    // could reach a holder after it handed over its last state (or a node no longer running),
    // yet be acknowledged. So nothing more is sent on; later arrivals wait at the broker.
    for (const session of this.sessions.values()) session.stopConsuming();
    this.planTimer.stop();
    this.soonTimer.stop();
    this.presenceTicker?.stop();
    this.checkpointTicker?.stop();
    this.statusTicker?.stop();
    this.status.close();
    await this.settleMoves();
    // Hand every partition over with its checkpoint, then leave: the others take them at once.
    const releases = this.coordinator.releaseAll().map((p) => this.release(p));
    await Promise.all(releases);
    if (this.linkUp) {
      await this.link.publish(this.topics.member(this.deps.memberId), '', true).catch(() => undefined);
    }
    await this.link.close();
    for (const list of this.unready.values()) for (const w of list) w.reject(new Error('the node closed before the partition had a session'));
    this.unready.clear();
    for (const w of this.offline.splice(0)) w.reject(new Error('the node closed while the broker was unreachable'));
    for (const session of this.sessions.values()) await session.close();
    this.sessions.clear();
    this.detach();
    this.deps.closed();
  }

  // ---- PartitionOwner (the registry's calls) ----

  async holderAdded(nodeId: string, holder: PartitionStateHolder): Promise<void> {
    for (const p of this.coordinator.owned()) {
      const read = await this.checkpoints.read(p).catch(() => ({ checkpoint: undefined }));
      await holder.adoptPartition(p, read.checkpoint?.holders[nodeId]);
    }
  }

  async holderRemoving(nodeId: string, holder: PartitionStateHolder): Promise<void> {
    // Its last state must hold the msgs already sent to it (acknowledged to the broker once
    // sent): let them arrive first. When the whole flow stops, this node's close has already
    // stopped consuming by then (Node-RED closes all nodes in one turn, in any order).
    await drainSent();
    for (const p of this.coordinator.claimed()) {
      const state = await holder.checkpointPartition(p).catch(() => undefined);
      if (state !== undefined) this.carried.set(p, { ...this.carried.get(p), [nodeId]: state });
    }
    await this.checkpointAll();
  }

  checkpointSoon(): void {
    this.soonTimer.afterUnlessArmed(CHECKPOINT_SOON_MS);
  }

  // ---- the member's link ----

  private onLinkUp(connack: IConnackPacket): void {
    this.linkUp = true;
    this.problem = undefined;
    const now = this.deps.clock.now();
    this.coordinator.start(now);
    this.lastPresence = '';
    this.publishPresence();
    this.presenceTicker?.stop();
    this.presenceTicker = new Ticker(this.deps.clock, PRESENCE_EVERY_MS, () => {
      this.lastPresence = '';
      this.publishPresence();
      if (this.membership.expire(this.deps.clock.now())) this.replan();
    });
    this.checkpointTicker?.stop();
    this.checkpointTicker = new Ticker(this.deps.clock, CHECKPOINT_EVERY_MS, () => void this.checkpointAll());
    const receiveMaximum = connack.properties?.receiveMaximum;
    if (receiveMaximum !== undefined && receiveMaximum < 1_000) this.deps.node.log(this.deps.t('errors.receiveMaximum', { value: receiveMaximum }));
    if (this.deps.probe && !this.probed) {
      this.probed = true;
      void this.runProbe();
    }
    this.render(true);
    this.replan();
    for (const entry of this.offline.splice(0)) this.trySend(entry);
  }

  private onLinkDown(detail: string | undefined): void {
    const wasUp = this.linkUp;
    this.linkUp = false;
    this.epoch++;
    this.problem = detail;
    this.coordinator.stop();
    this.membership.reset();
    this.presenceTicker?.stop();
    this.checkpointTicker?.stop();
    if (wasUp && !this.closing) {
      // Others take our partitions once our will clears the presence: stop consuming them now.
      for (const p of this.coordinator.owned()) this.track(this.lose(p, detail));
    }
    this.render(true);
  }

  private onLinkMessage(topic: string, payload: Buffer): void {
    if (this.checkpoints.onMessage(topic, payload)) return;
    const readyPrefix = this.topics.readyPrefix;
    if (topic.startsWith(readyPrefix)) {
      const p = Number(topic.slice(readyPrefix.length));
      if (payload.length > 0 && Number.isInteger(p) && p >= 0 && p < this.settings.partitions) this.markReady(p);
      return;
    }
    const prefix = this.topics.member('');
    if (!topic.startsWith(prefix)) return;
    const member = topic.slice(prefix.length);
    if (member === this.deps.memberId && payload.length === 0 && this.linkUp && !this.closing) {
      // Our presence was cleared while we run (a late last will of our previous connection): say it again.
      this.lastPresence = '';
      this.publishPresence();
      return;
    }
    const presence = parsePresence(member, payload.toString('utf8'));
    if (presence instanceof Error) {
      this.deps.node.warn(presence.message);
      return;
    }
    this.membership.seen(member, presence, this.deps.clock.now());
    const conflict = this.membership.conflict;
    if (conflict) {
      this.membership.clearConflict();
      // Once per other process, not on each of its presence refreshes.
      if (!this.conflicts.has(conflict) && this.conflicts.size < 100) {
        this.conflicts.add(conflict);
        this.deps.node.error(this.deps.t('errors.duplicateMember', { member }));
      }
    }
    this.replan();
  }

  /**
   * A partition's messages are queued by the broker only once its persistent session exists
   * (subscribed once, by whichever member gained it first). Until a member has said so in the
   * retained `ready/<p>`, readings for p wait here instead of being published to nobody.
   */
  private publishTo(p: number, payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: Outgoing = { p, payload, resolve, reject };
      if (this.ready.has(p)) this.trySend(entry);
      else {
        const list = this.unready.get(p);
        if (list) list.push(entry);
        else this.unready.set(p, [entry]);
      }
    });
  }

  /**
   * Publishes a readings envelope. While the link is down it waits for the link; one whose PUBACK
   * was lost in a drop is published again after the reconnect (at-least-once, like any redelivery).
   */
  private trySend(entry: Outgoing): void {
    if (!this.linkUp) {
      this.offline.push(entry);
      return;
    }
    this.link.publish(this.topics.partition(entry.p), entry.payload).then(entry.resolve, (err: Error) => {
      if (err instanceof LinkClosedError && !this.closing) this.offline.push(entry);
      else entry.reject(err);
    });
  }

  private markReady(p: number): void {
    if (this.ready.has(p)) return;
    this.ready.add(p);
    const waiting = this.unready.get(p) ?? [];
    this.unready.delete(p);
    for (const entry of waiting) this.trySend(entry);
  }

  private publishPresence(): void {
    if (!this.linkUp || this.closing) return;
    const body = JSON.stringify({ incarnation: this.deps.incarnation, owns: this.coordinator.claimed() });
    if (body === this.lastPresence) return;
    this.lastPresence = body;
    const topic = this.topics.member(this.deps.memberId);
    // In order, one at a time: a later presence must never be overtaken by an earlier one.
    this.presenceBusy = this.presenceBusy.then(() => this.link.publish(topic, body, true)).catch(() => undefined);
  }

  private async runProbe(): Promise<void> {
    try {
      const result = await probeBroker({
        options: this.deps.broker,
        clientId: `tpq-${this.settings.group}-${this.deps.memberId}-${this.deps.incarnation}`,
        topic: this.topics.probe(`queue-${this.deps.memberId}-${this.deps.incarnation}`),
        publish: (topic, payload) => this.link.publish(topic, payload),
        clock: this.deps.clock,
      });
      if (result.queued < PROBE_MESSAGES) this.deps.node.warn(this.deps.t('errors.brokerQueue', { queued: result.queued, sent: PROBE_MESSAGES }));
      if (this.deps.ack && result.inflight < 1_000) this.deps.node.warn(this.deps.t('errors.brokerInflight', { inflight: result.inflight }));
      this.deps.node.log(this.deps.t('log.brokerChecked', { queued: result.queued, sent: PROBE_MESSAGES, inflight: result.inflight }));
    } catch (err) {
      if (!this.closing) this.deps.node.warn(this.deps.t('errors.brokerCheckFailed', { reason: (err as Error).message }));
    }
  }

  // ---- moves ----

  private replan(): void {
    if (this.closing || !this.linkUp) return;
    const now = this.deps.clock.now();
    const { release, gain } = this.coordinator.plan(now);
    for (const p of release) this.track(this.release(p));
    for (const p of gain) this.track(this.gain(p));
    if (release.length + gain.length > 0) this.publishPresence();
    const next = [this.coordinator.nextDeadline(now), this.membership.nextExpiry()].filter((t): t is number => t !== undefined && t > now);
    if (next.length > 0) this.planTimer.at(Math.min(...next));
    this.render();
  }

  private track(move: Promise<void>): void {
    this.running.add(move);
    const forget = (): void => {
      this.running.delete(move);
      this.publishPresence();
      this.render();
      if (!this.closing) this.replan();
    };
    move.then(forget, forget);
  }

  private async settleMoves(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async gain(p: number): Promise<void> {
    const epoch = this.epoch;
    const { t, node, clock } = this.deps;
    let adopted = false;
    let session: PartitionSession | undefined;
    try {
      const read = await this.checkpoints.read(p);
      if (read.warning) node.warn(read.warning);
      this.ensureCurrent(epoch);
      const registered = new Set(this.deps.registry.holderIds());
      const others = Object.entries(read.checkpoint?.holders ?? {}).filter(([id]) => !registered.has(id));
      if (others.length > 0) this.carried.set(p, Object.fromEntries(others));
      const adopt = await this.deps.registry.adoptPartition(p, read.checkpoint?.holders ?? {});
      adopted = true;
      this.reportHolderFailures(p, 'adopt', adopt.failures);
      this.ensureCurrent(epoch);
      session = new PartitionSession(p, this.topics.partition(p), {
        options: this.sessionOptions(p),
        clock,
        warn: (m) => node.warn(m),
        send: (msg) => {
          this.meterOut.add(1, clock.now());
          node.send(msg);
        },
        lost: (detail) => this.track(this.lose(p, detail)),
        ack: this.deps.ack,
      });
      this.sessions.set(p, session);
      await session.open();
      this.ensureCurrent(epoch);
      this.coordinator.done(p);
      if (!this.ready.has(p)) {
        await this.link.publish(this.topics.ready(p), '1', true).catch(() => undefined);
        this.markReady(p);
      }
    } catch (err) {
      if (session) {
        this.sessions.delete(p);
        await session.close();
      }
      if (adopted) await this.deps.registry.releasePartition(p);
      this.carried.delete(p);
      this.coordinator.failed(p, clock.now());
      if (!(err instanceof StaleMove)) node.warn(t('errors.gainFailed', { partition: p, reason: (err as Error).message }));
    }
  }

  private async release(p: number): Promise<void> {
    const session = this.sessions.get(p);
    session?.stopConsuming();
    // Msgs already sent are on their way to the holders: let them arrive first.
    await drainSent();
    await this.checkpointing.get(p);
    const { states, failures } = await this.deps.registry.releasePartition(p);
    this.reportHolderFailures(p, 'release', failures);
    const holderIds = Object.keys(states);
    if (holderIds.length > 0 || this.deps.registry.holderIds().length > 0 || this.carried.has(p)) {
      try {
        await this.save(p, states);
        this.deps.registry.saved(p, this.deps.registry.holderIds().filter((id) => !failures.some((f) => f.nodeId === id)));
      } catch (err) {
        this.deps.node.warn(this.deps.t('errors.checkpointFailed', { partition: p, reason: (err as Error).message }));
      }
    }
    this.carried.delete(p);
    await session?.settled(RELEASE_ACK_GRACE_MS);
    this.sessions.delete(p);
    await session?.close();
    this.coordinator.done(p);
  }

  /** p's session or the link dropped: no checkpoint from a state the broker may replay. */
  private async lose(p: number, detail: string | undefined): Promise<void> {
    if (this.coordinator.phaseOf(p) !== 'owned') return;
    const session = this.sessions.get(p);
    this.sessions.delete(p);
    session?.stopConsuming();
    this.coordinator.failed(p, this.deps.clock.now());
    const { states } = await this.deps.registry.releasePartition(p);
    if (!this.deps.ack && this.linkUp && Object.keys(states).length > 0) await this.save(p, states).catch(() => undefined);
    this.carried.delete(p);
    await session?.close();
    if (!this.closing) this.deps.node.warn(this.deps.t('errors.partitionLost', { partition: p, reason: detail ?? '' }));
  }

  private async checkpointAll(): Promise<void> {
    if (!this.linkUp || this.deps.registry.holderIds().length === 0) return;
    await Promise.all(this.coordinator.owned().map((p) => this.checkpoint(p)));
  }

  private checkpoint(p: number): Promise<void> {
    const running = this.checkpointing.get(p);
    if (running) return running;
    const taking = this.takeCheckpoint(p).finally(() => this.checkpointing.delete(p));
    this.checkpointing.set(p, taking);
    return taking;
  }

  private async takeCheckpoint(p: number): Promise<void> {
    const epoch = this.epoch;
    try {
      const { states, failures } = await this.deps.registry.checkpointPartition(p);
      this.reportHolderFailures(p, 'checkpoint', failures);
      if (epoch !== this.epoch || this.coordinator.phaseOf(p) !== 'owned') return;
      await this.save(p, states);
      this.deps.registry.saved(p, this.deps.registry.holderIds().filter((id) => !failures.some((f) => f.nodeId === id)));
    } catch (err) {
      this.deps.node.warn(this.deps.t('errors.checkpointFailed', { partition: p, reason: (err as Error).message }));
    }
  }

  /** Writes p's checkpoint: the holders' states over the carried ones. */
  private save(p: number, states: PartitionStates): Promise<void> {
    return this.checkpoints.write(p, { ...this.carried.get(p), ...states });
  }

  private reportHolderFailures(p: number, step: string, failures: HolderFailure[]): void {
    for (const f of failures) this.deps.node.error(this.deps.t('errors.holderFailed', { partition: p, step, node: f.nodeId, reason: f.error.message }));
  }

  private ensureCurrent(epoch: number): void {
    if (epoch !== this.epoch || this.closing) throw new StaleMove();
  }

  /** p's persistent session: its client id follows the partition, not the member. */
  private sessionOptions(p: number): ConnectionOptions {
    const { broker } = this.deps;
    const v5 = broker.protocolVersion === 5;
    return {
      ...broker,
      clientId: sessionClientId(this.settings.topicPrefix, this.settings.group, p),
      clean: false,
      reconnectPeriod: 0,
      // MQTT 5: keep the session (and its queue) while nobody holds the partition; let the broker
      // send up to 20,000 unacknowledged messages (ack-after-archive holds them for a checkpoint).
      properties: v5 ? { sessionExpiryInterval: 0xffffffff, receiveMaximum: 20_000 } : undefined,
    };
  }

  /**
   * The editor's monitor sidebar (shared/monitor.ts): readings taken in (the rate), refused,
   * partitions owned, live members, readings awaiting the broker's PUBACK, and partition msgs
   * sent on whose acknowledgement waits for the nodes downstream (ack-after-archive).
   */
  figures(): MonitorFigures {
    let awaiting = 0;
    for (const session of this.sessions.values()) awaiting += session.outstanding;
    const members = this.settings.assignment.kind === 'dynamic' ? this.membership.live().length : this.settings.assignment.instances;
    return {
      readings: this.meterIn.total,
      refused: this.publisher.refused,
      ackBacklog: awaiting,
      partitions: { owned: this.coordinator.owned().length, total: this.settings.partitions, members, publishing: this.publisher.pending },
    };
  }

  // ---- status ----

  private render(force = false): void {
    this.status.set(() => this.statusNow(), force);
  }

  private statusNow(): NodeStatus {
    const { t, clock } = this.deps;
    const now = clock.now();
    if (!this.linkUp) return { fill: 'red', shape: 'ring', text: this.problem ? t('status.disconnectedBecause', { reason: this.problem }) : t('status.connecting') };
    const owned = this.coordinator.owned().length;
    const waiting = this.coordinator.waiting().length;
    const parts = [t('status.owns', { owned, partitions: this.settings.partitions })];
    if (this.settings.assignment.kind === 'dynamic') parts.push(t('status.members', { members: this.membership.live().length }));
    parts.push(t('status.rate', { in: formatCount(this.meterIn.rate(now)), out: formatCount(this.meterOut.rate(now)) }));
    if (waiting > 0) parts.push(t('status.waiting', { waiting }));
    return { fill: waiting > 0 || this.running.size > 0 ? 'yellow' : 'green', shape: 'dot', text: parts.join(' · ') };
  }
}

interface Outgoing {
  p: number;
  payload: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Lets msgs already sent on reach the next nodes (the runtime delivers them on setImmediate). */
async function drainSent(): Promise<void> {
  await eventLoopTurns(DRAIN_TURNS);
}

class StaleMove extends Error {
  constructor() {
    super('the move was overtaken (link dropped or node closing)');
  }
}

/** Client id of p's persistent session: group + partition (+ a hash of the topic prefix), never the member. */
export function sessionClientId(topicPrefix: string, group: string, p: number): string {
  return `tpp-${group}-${p}-${fnv1a32(topicPrefix).toString(16).padStart(8, '0')}`;
}
