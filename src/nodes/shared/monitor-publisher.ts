/**
 * The runtime half of the editor's monitor sidebar (README "Seeing your pipeline"):
 *
 * - Who receives it: an editor session that asked for it (`telemetry/monitor/watch` over the
 *   comms channel: the editor sends it while the Monitor tab is shown, renewed every 10 s and
 *   after a reconnect) and whose user may read flows (`flows.read`; every session when
 *   adminAuth is off). A request is a lease of LEASE_MS: a session stops receiving when it says
 *   so (tab hidden), disconnects, or stops renewing. Nobody watching: nothing is built or sent.
 * - How often: one update a second at most (all nodes in one message), while someone watches;
 *   a node's figures are read at most once a second (the sampler reuses the last update's).
 * - How much: at most MAX_NODES nodes per update, each entry clipped (lists and texts bounded
 *   in monitor.ts and here), so one update stays under MAX_UPDATE_BYTES.
 * - The sparkline: every SAMPLE_MS the readings count of each node is sampled, whether or not
 *   anyone watches (a counter read, no list), so a newly opened editor sees the last minutes.
 */
import type { Clock } from '../../core/clock';
import { DeadlineTimer, Ticker } from './deadline-timer';
import { type MonitorEntry, type MonitorFigures, type RefusedSample } from './monitor';
import { userMay } from './monitor-permissions';
import type { NodeStatus } from './red';

export const MONITOR_TOPIC = 'telemetry/monitor';
export const WATCH_TOPIC = 'telemetry/monitor/watch';
/** Nodes in one update; more are counted in `more`. */
export const MAX_NODES = 100;
/** Down devices listed per heartbeat watch (longest silent first), each name clipped. */
export const DOWN_LIST = 20;
const NAME_CHARS = 64;
/** Sparkline: one point per SAMPLE_MS, the last SPARK_POINTS of them (5 minutes). */
export const SAMPLE_MS = 5_000;
export const SPARK_POINTS = 60;
export const PUBLISH_MS = 1_000;
/** How long one watch request lasts without renewal (the editor renews every 10 s). */
export const LEASE_MS = 30_000;
/** Worst case of one node's entry (5 clipped samples, 20 names, 60 points, figures) ≈ 4 KB. */
export const MAX_UPDATE_BYTES = MAX_NODES * 4_096;

export interface MonitorNodeView {
  id: string;
  type: string;
  status: NodeStatus | undefined;
  /** Readings per second over the last sample interval. */
  rate: number;
  /** Readings per second, one point per SAMPLE_MS, oldest first. */
  spark: number[];
  figures: MonitorFigures;
  refusals: RefusedSample[];
}

export interface MonitorUpdate {
  at: number;
  nodes: MonitorNodeView[];
  /** Nodes left out (beyond MAX_NODES). */
  more: number;
}

export interface PublisherDeps {
  clock: Clock;
  nodes(): Iterable<MonitorEntry>;
  /** Sends to one comms session. */
  send(session: string, update: MonitorUpdate): void;
}

interface History {
  count: number;
  at: number;
  rate: number;
  spark: number[];
}

export class MonitorPublisher {
  /** session → end of its lease */
  private readonly sessions = new Map<string, number>();
  private readonly statuses = new Map<string, NodeStatus>();
  private readonly history = new Map<string, History>();
  private readonly publishTimer: DeadlineTimer;
  private readonly sampler: Ticker;
  private lastPublished = Number.NEGATIVE_INFINITY;
  /** Readings counts read by the last build: the sampler reuses them (≤ 1 read per node a second). */
  private built: { at: number; counts: Map<string, number> } | undefined;

  constructor(private readonly deps: PublisherDeps) {
    this.publishTimer = new DeadlineTimer(deps.clock, (now) => this.publish(now));
    this.sampler = new Ticker(deps.clock, SAMPLE_MS, (now) => this.sample(now));
  }

  /** A session asks to receive updates (`on`) or to stop; refused without `flows.read`. */
  watch(session: unknown, user: { permissions?: unknown } | undefined, on: boolean): boolean {
    if (typeof session !== 'string') return false;
    if (!on || !userMay(user, 'flows.read')) {
      this.drop(session);
      return false;
    }
    this.sessions.set(session, this.deps.clock.now() + LEASE_MS);
    // The first update at once, unless one went out less than a second ago.
    this.publishTimer.atEarliest(Math.max(this.deps.clock.now(), this.lastPublished + PUBLISH_MS));
    return true;
  }

  drop(session: unknown): void {
    if (typeof session === 'string') this.sessions.delete(session);
  }

  get watchers(): number {
    return this.sessions.size;
  }

  /** The latest status of a node (Node-RED's `node-status` event): the row's health. */
  status(id: string, status: NodeStatus | undefined): void {
    if (status && (status.text || status.fill)) this.statuses.set(id, status);
    else this.statuses.delete(id);
  }

  stop(): void {
    this.publishTimer.stop();
    this.sampler.stop();
  }

  /** Builds one update (exported for tests: the bounds are checked on it). */
  build(now: number): MonitorUpdate {
    const nodes: MonitorNodeView[] = [];
    const counts = new Map<string, number>();
    let more = 0;
    for (const entry of this.deps.nodes()) {
      if (nodes.length >= MAX_NODES) {
        more++;
        continue;
      }
      const figures = safely(() => entry.source.figures({ list: DOWN_LIST }));
      if (!figures) continue;
      counts.set(entry.id, figures.readings);
      if (figures.devices) figures.devices.downList = figures.devices.downList.slice(0, DOWN_LIST).map(clipName);
      const history = this.history.get(entry.id);
      nodes.push({
        id: entry.id,
        type: entry.type,
        status: this.statuses.get(entry.id),
        rate: history?.rate ?? 0,
        spark: history ? history.spark.slice() : [],
        figures,
        refusals: safely(() => entry.source.refusals?.()) ?? [],
      });
    }
    this.built = { at: now, counts };
    return { at: now, nodes, more };
  }

  private publish(now: number): void {
    for (const [session, until] of this.sessions) if (until < now) this.sessions.delete(session);
    if (this.sessions.size === 0) return;
    const update = this.build(now);
    for (const session of this.sessions.keys()) this.deps.send(session, update);
    this.lastPublished = now;
    this.publishTimer.at(now + PUBLISH_MS);
  }

  private sample(now: number): void {
    const seen = new Set<string>();
    const built = this.built && now - this.built.at <= PUBLISH_MS ? this.built : undefined;
    for (const entry of this.deps.nodes()) {
      seen.add(entry.id);
      const reused = built?.counts.get(entry.id);
      const count = reused ?? safely(() => entry.source.figures({ list: 0 }).readings);
      if (count === undefined) continue;
      const at = reused !== undefined && built ? built.at : now; // when the count was read
      const last = this.history.get(entry.id);
      if (!last || count < last.count) {
        this.history.set(entry.id, { count, at, rate: 0, spark: [] });
        continue;
      }
      const rate = at > last.at ? ((count - last.count) * 1_000) / (at - last.at) : 0;
      last.spark.push(Math.round(rate * 10) / 10);
      if (last.spark.length > SPARK_POINTS) last.spark.shift();
      last.count = count;
      last.at = at;
      last.rate = rate;
    }
    // Nodes that went away (redeploy, removal): forget them, so memory follows the flows.
    for (const id of this.history.keys()) if (!seen.has(id)) this.history.delete(id);
    for (const id of this.statuses.keys()) if (!seen.has(id)) this.statuses.delete(id);
  }
}

/**
 * A node's figures, or undefined when reading them failed: the monitor runs on a timer, where
 * an exception would stop Node-RED; a node that cannot describe itself is left out instead.
 */
function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function clipName(name: string): string {
  return name.length > NAME_CHARS ? `${name.slice(0, NAME_CHARS - 1)}…` : name;
}
