/**
 * Presence of a persistent-session connection in its `$share` groups, graceful leave, and
 * adoption of a dead member's queued share (src/core/mqtt/share-members.ts says why and how the
 * adopter is chosen). One per SharedMqttConnection with clean = false.
 *
 * - On connect: subscribe to the presence topics, publish ours retained (state `alive`, and our
 *   share filters); our last will makes the state `gone` when the broker loses us (kill -9, cable).
 * - Graceful leave (close): with another live member in a share group, unsubscribe our `$share`
 *   filters first — the broker then routes everything to the others and nothing is queued for us
 *   — and clear our presence; if messages stay unacknowledged in our session (read while
 *   stopping), say `gone` (left) instead: a peer drains them unless we are back within
 *   LEFT_DRAIN_DELAY_MS. Alone, keep the subscriptions (the broker queues for our return,
 *   as a persistent session should) and say `gone`, so a member that starts meanwhile drains it.
 * - A member `gone`: if we are its adopter, drain its session (src/io/share-adopter.ts), then
 *   clear its presence unless it came back meanwhile.
 */
import type { Clock } from '../core/clock';
import {
  LEFT_DRAIN_DELAY_MS,
  PRESENCE_FILTER,
  type Presence,
  ShareMembers,
  sharesPayload,
  sharesTopic,
  statePayload,
  stateTopic,
} from '../core/mqtt/share-members';
import type { InboundMessage, Logger } from './mqtt-connection';
import { type DrainSettings, type DrainTarget, drainSession } from './share-adopter';

/** What SharePresence needs of its connection. */
export interface PresenceHost {
  readonly clientId: string;
  /** `$share` filters subscribed at the broker (active and kept across a redeploy). */
  shareFilters(): string[];
  isConnected(): boolean;
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  subscribeInternal(filter: string, handler: (message: InboundMessage) => void): Promise<void>;
  unsubscribeAtBroker(filters: string[]): Promise<void>;
  /** Messages read and never to be acknowledged by this connection: the broker keeps them in the session. */
  leftUnacknowledged(): number;
  /** A second connection under `clientId` with this one's handlers for `shares` (not subscribed). */
  adopter(clientId: string, shares: string[]): DrainTarget;
  /** Resolves when the current connection closes (a leave stops waiting then). */
  whenClosed(): Promise<void>;
  /**
   * Forgets every packet still waiting for the broker's acknowledgement: called when a leave
   * could not finish (the connection died or the broker did not answer), so the close that
   * follows does not wait for acknowledgements that will never come.
   */
  abandonOutgoing(): void;
}

/** How long a leave waits for the broker's acknowledgements before closing anyway. */
const LEAVE_TIMEOUT_MS = 3_000;

export class SharePresence {
  private readonly table = new ShareMembers();
  private subscribed = false;
  private readonly queue: Presence[] = [];
  private readonly queued = new Set<string>();
  private draining = false;
  private closed = false;

  constructor(
    private readonly host: PresenceHost,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly drain: DrainSettings,
  ) {}

  /** The last will to connect with (read again at every reconnect). */
  will(): { topic: string; payload: Buffer; qos: 1; retain: true } {
    return { topic: stateTopic(this.host.clientId), payload: Buffer.from(statePayload(this.host.clientId, 'gone')), qos: 1, retain: true };
  }

  async connected(): Promise<void> {
    // A connection that ended (its last user left: a redeploy of the nodes only) and connects
    // again is a member again: announce, and adopt.
    this.closed = false;
    if (!this.subscribed) {
      this.subscribed = true;
      await this.host.subscribeInternal(PRESENCE_FILTER, (m) => this.received(m));
    }
    await this.announce();
    if (!this.closed && this.host.isConnected()) await this.host.publish(stateTopic(this.host.clientId), statePayload(this.host.clientId, 'alive'), true);
  }

  /** Our share filters (first, or changed): say so. */
  async announce(): Promise<void> {
    if (this.closed || !this.host.isConnected()) return;
    await this.host.publish(sharesTopic(this.host.clientId), sharesPayload(this.host.clientId, this.host.shareFilters()), true);
  }

  /** Graceful leave, before the connection closes (see the file comment). */
  async leave(): Promise<void> {
    this.closed = true;
    if (!this.host.isConnected()) return;
    const shares = this.host.shareFilters();
    const id = this.host.clientId;
    const steps = async (): Promise<void> => {
      if (shares.length > 0 && this.table.alivePeers(id, shares).length === 0) {
        await this.host.publish(stateTopic(id), statePayload(id, 'gone'), true);
        return;
      }
      if (shares.length > 0) await this.host.unsubscribeAtBroker(shares);
      // Messages read while stopping (sent before the UNSUBACK, which arrives after them) or not
      // yet durable stay unacknowledged in our session: say `gone` so that a peer drains them
      // if we do not come back soon (LEFT_DRAIN_DELAY_MS); otherwise nothing waits for us.
      if (shares.length > 0 && this.host.leftUnacknowledged() > 0) await this.host.publish(stateTopic(id), statePayload(id, 'gone', true), true);
      else await clear(this.host, id);
    };
    if (!(await this.bounded(steps()))) this.host.abandonOutgoing();
  }

  private received(message: InboundMessage): void {
    const presence = this.table.update(message.topic, message.payload);
    if (!presence || this.closed) return;
    if (!this.table.isAdopter(presence, this.host.clientId, this.host.shareFilters())) return;
    if (this.queued.has(presence.clientId)) return;
    this.queued.add(presence.clientId);
    if (presence.left) {
      // A graceful leave: a redeploy or restart resumes its own session within this time. Each
      // left member waits on its own timer, so it holds up no other drain.
      const id = presence.clientId;
      this.clock.setTimeout(() => {
        if (this.closed || this.table.get(id)?.state !== 'gone') {
          this.queued.delete(id);
          return;
        }
        this.queue.push(presence);
        void this.next();
      }, LEFT_DRAIN_DELAY_MS);
      return;
    }
    this.queue.push(presence);
    void this.next();
  }

  /** Drains one gone member at a time. */
  private async next(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let gone = this.queue.shift(); gone && !this.closed; gone = this.queue.shift()) {
        // It may have come back while it waited in the queue.
        if (this.table.get(gone.clientId)?.state !== 'gone') {
          this.queued.delete(gone.clientId);
          continue;
        }
        const mine = new Set(this.host.shareFilters());
        const shares = (gone.shares ?? []).filter((s) => mine.has(s));
        const goneShares = gone.shares ?? [];
        const result = await drainSession(this.host.adopter(gone.clientId, goneShares), goneShares, this.clock, this.drain);
        this.queued.delete(gone.clientId);
        this.log.warn(
          `MQTT: member "${gone.clientId}" left its share of ${shares.join(', ')}; drained its session: ${result.messages} message(s), ${result.outcome}`,
        );
        // Cleared only while still gone: a member that came back has announced itself again.
        if (result.outcome === 'idle' && this.table.get(gone.clientId)?.state === 'gone' && this.host.isConnected()) {
          await this.bounded(clear(this.host, gone.clientId));
        }
      }
    } catch (err) {
      this.log.warn(`MQTT: draining a gone member's session failed: ${(err as Error).message}`);
    } finally {
      this.draining = false;
    }
  }

  /** True when `work` finished; false when the connection closed or LEAVE_TIMEOUT_MS passed first. */
  private async bounded(work: Promise<void>): Promise<boolean> {
    let timer: unknown;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), LEAVE_TIMEOUT_MS);
    });
    const done = await Promise.race([work.then(() => true, () => false), timeout, this.host.whenClosed().then(() => false)]);
    this.clock.clearTimeout(timer);
    return done;
  }
}

/** Clears both retained presence topics of `clientId`. */
async function clear(host: PresenceHost, clientId: string): Promise<void> {
  await Promise.all([host.publish(stateTopic(clientId), '', true), host.publish(sharesTopic(clientId), '', true)]);
}
