/**
 * Ack-after-archive, in one module (test/faults/ACK-AFTER-ARCHIVE.md).
 *
 * Two sides:
 * - an ack-mode ingest asks the runtime's one `AckTracker` to follow its msgs (`use`, `expect`);
 * - a durable sink (archive with the disk spool, window with persistState) takes a
 *   `DurableSink` port: `holdDone` says whether anyone is following, so whether the sink must
 *   hold each msg's done() until its readings are durable.
 *
 * The tracker follows msgs by `_msgid` through the flow and reports when **every durable sink the
 * msg reached** has completed it. A durable sink is a node that calls `done()` for a msg only
 * once its readings are durable (written to InfluxDB, appended to the disk spool, refused for
 * good, or held in persisted window state) and says so by setting `node[DURABLE_COMPLETE] = true`.
 *
 * Counting (a fan-out to two durable sinks, e.g. ingest → [archive, window persistState], must
 * not be acknowledged when the quicker one completes while the other still holds the readings
 * in memory):
 * - a `preDeliver` hook counts every delivery of a followed msg (each clone of a fan-out is a
 *   delivery of its own) to a node that completes msgs: a durable sink, or any node whose input
 *   handler takes `done` (Node-RED counts those in `_expectedDoneCount`). A node in between
 *   (enrich, switch, function) may still send the msg on to a durable sink, so its delivery is
 *   outstanding until it completed — by then its own sends were counted.
 * - the `onComplete` hook takes one count off per completion; a durable sink's completion also
 *   marks the msg as having reached one. `failed` at once when a durable sink completes it with
 *   an error (never acknowledged).
 * - `durable` when nothing is outstanding and at least one durable sink completed it, checked
 *   again one `setImmediate` later (the grace): a node may call done() just before its send of
 *   the same msg (`done(); send(msg)`, or a send in a promise callback); that send is counted by
 *   then, so the msg is not settled while it is still on its way to a second durable sink.
 * - nodes whose handler does not take `done` never complete (legacy nodes): they are not
 *   counted; what they send on is counted when they send it (only after the grace is that lost).
 *   A node that takes `done` but never calls it for a msg holds it until the timeout.
 * Deliveries are counted only for ids the tracker knows: `announce` (the ingest's `newId`)
 * registers an id before the msg is sent, since the ingest sends first and `expect`s after;
 * an announced id nobody expects (refused, or an input id a batch replaced) is dropped at the
 * next sweep.
 *
 * A msg that no durable sink completes within its timeout (a switch dropped it, no archive is
 * wired) resolves as `timeout`, so a broker window can never stall for good; the caller counts
 * those. One tracker per runtime (hooks are global to it).
 */
import type { Clock } from '../../core/clock';
import { Ticker } from './deadline-timer';
import type { Node, NodeAPI } from './red';

/** Set to true on a node object whose done() means "durable" (see `durableSink`). */
export const DURABLE_COMPLETE = Symbol.for('@iot-telemetry/durable-complete');

/**
 * Set on an Error a durable sink passes to done() when it refused the msg's readings for good
 * (bad input: a redelivery would be refused again). The msg is then settled, not `failed`, so
 * the broker is not left waiting for an acknowledgement that could never come.
 */
export const REFUSED_FOR_GOOD = Symbol.for('@iot-telemetry/refused-for-good');

/** Marks `err` as a refusal for good (see REFUSED_FOR_GOOD). */
export function refusedForGood<E extends Error>(err: E): E {
  (err as unknown as Record<symbol, unknown>)[REFUSED_FOR_GOOD] = true;
  return err;
}

/**
 * - `durable`: every durable sink the msg reached completed it (and at least one did);
 * - `failed`: a durable sink completed it with an error (not durable: never acknowledged, the
 *   broker redelivers it), e.g. a window that was stopping;
 * - `timeout`: not settled in time (no durable sink reached, or one never completed it; acknowledged
 *   anyway, counted);
 * - `closed`: nobody follows any more (the ack-mode ingest stopped).
 */
export type AckOutcome = 'durable' | 'failed' | 'timeout' | 'closed';

/** What the runtime passes to onComplete hooks (Node.prototype._complete). */
export interface CompleteEvent {
  msg?: { _msgid?: unknown } | null;
  error?: unknown;
  node?: { id?: string; node?: unknown } | null;
}

/** The part of a preDeliver SendEvent the tracker reads (Flow.js handlePreDeliver). */
export interface DeliverEvent {
  msg?: { _msgid?: unknown } | null;
  destination?: { node?: unknown } | null;
}

/** One hook function takes either event; each handler reads only its own fields. */
export type HookEvent = CompleteEvent & DeliverEvent;

export interface HooksApi {
  add(label: string, fn: (event: HookEvent) => void): void;
  remove(label: string): void;
}

interface Waiter {
  resolve: (outcome: AckOutcome) => void;
  deadline: number;
}

/** A followed msg id: who waits for it and how far its deliveries got. */
interface Followed {
  waiters: Waiter[];
  /**
   * Deliveries to completing nodes (durable sinks and nodes that take done) not yet completed:
   * msg object and node, pairwise (a clone per wire, but the first wire gets the very object its
   * sender received, and fan-out sharing hands one object to several of our nodes). Only the
   * completion of a counted delivery — that node, that object — takes one off: the sender
   * completing its input, or a node handed a msg outside the router (a link in, a test's
   * `receive`), completes nothing that was counted. One flat array [msg, node, msg, node, …],
   * allocated at the first delivery: a WeakMap per msg object cost ~1.5 µs per msg, mostly in
   * the garbage collector.
   */
  deliveries: object[] | undefined;
  /** Pairs in `deliveries`. */
  outstanding: number;
  /** A durable sink completed it. */
  reachedDurable: boolean;
  /** A settle check is queued (setImmediate). */
  checking: boolean;
  /** When it was announced or first expected (an announced id nobody expects is dropped). */
  since: number;
}

const COMPLETE_HOOK = 'onComplete.telemetryAckAfterArchive';
const DELIVER_HOOK = 'preDeliver.telemetryAckAfterArchive';
const SWEEP_EVERY_MS = 250;

/** The runtime's Node fields the counting reads (Node-RED ≥ 1.0: `_expectedDoneCount`). */
interface NodeFields {
  [DURABLE_COMPLETE]?: unknown;
  /** Input handlers that take done (Node.prototype.on): > 0 means the node completes its msgs. */
  _expectedDoneCount?: unknown;
}

/** A durable sink, or any node that calls done() (so its completion can be waited for). */
function completes(node: NodeFields): boolean {
  return node[DURABLE_COMPLETE] === true || (typeof node._expectedDoneCount === 'number' && node._expectedDoneCount > 0);
}

export class AckTracker {
  private readonly followed = new Map<string, Followed>();
  /** Msgs to settle at the next setImmediate (see `check`). */
  private checks: Array<[string, Followed]> = [];
  private users = 0;
  private sweeper: Ticker | undefined;

  constructor(
    private readonly hooks: HooksApi,
    private readonly clock: Clock,
  ) {}

  /** True while an ack-mode ingest follows completions: durable sinks then defer done(). */
  get inUse(): boolean {
    return this.users > 0;
  }

  /** msgs waiting for a durable completion. */
  get pending(): number {
    let n = 0;
    for (const f of this.followed.values()) n += f.waiters.length;
    return n;
  }

  /** Starts following completions; the returned function stops (the last user removes the hooks). */
  use(): () => void {
    if (this.users++ === 0) {
      this.hooks.add(COMPLETE_HOOK, (event) => this.onComplete(event));
      this.hooks.add(DELIVER_HOOK, (event) => this.onDeliver(event));
      this.sweeper = new Ticker(this.clock, SWEEP_EVERY_MS, () => this.sweep());
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      this.hooks.remove(COMPLETE_HOOK);
      this.hooks.remove(DELIVER_HOOK);
      this.sweeper?.stop();
      this.sweeper = undefined;
      for (const f of this.followed.values()) for (const w of f.waiters) w.resolve('closed');
      this.followed.clear();
    };
  }

  /**
   * Registers `msgId` before a msg carrying it is sent, so its deliveries are counted even when
   * `expect` comes after the send (the ingest). Returns `msgId`. A no-op while nobody follows.
   */
  announce(msgId: string): string {
    if (this.users > 0 && !this.followed.has(msgId)) this.followed.set(msgId, this.newFollowed());
    return msgId;
  }

  /** Resolves when every durable sink the msg reached completed `msgId`, or with `timeout` after `timeoutMs`. */
  expect(msgId: string, timeoutMs: number): Promise<AckOutcome> {
    return new Promise((resolve) => {
      let f = this.followed.get(msgId);
      if (!f) {
        f = this.newFollowed();
        this.followed.set(msgId, f);
      }
      f.waiters.push({ resolve, deadline: this.clock.now() + timeoutMs });
      // Already completed before anyone expected it (synchronous delivery): settle now.
      if (f.reachedDurable && f.outstanding === 0) this.check(msgId, f);
    });
  }

  /** Exported for tests: what the preDeliver hook does (runs for every delivery: kept cheap). */
  onDeliver(event: DeliverEvent): void {
    const id = event.msg?._msgid;
    if (typeof id !== 'string') return;
    const f = this.followed.get(id);
    if (!f) return;
    const node = event.destination?.node as NodeFields | undefined;
    if (!node || !completes(node)) return;
    if (f.deliveries) f.deliveries.push(event.msg as object, node);
    else f.deliveries = [event.msg as object, node];
    f.outstanding++;
  }

  /** Exported for tests: what the onComplete hook does. */
  onComplete(event: CompleteEvent): void {
    const id = event.msg?._msgid;
    if (typeof id !== 'string') return;
    const f = this.followed.get(id);
    if (!f) return;
    const node = event.node?.node as NodeFields | undefined;
    if (!node || !completes(node)) return;
    const msg = event.msg as object;
    const d = f.deliveries;
    if (d) {
      for (let i = 0; i < d.length; i += 2) {
        if (d[i] !== msg || d[i + 1] !== node) continue;
        d.splice(i, 2);
        f.outstanding--;
        break;
      }
    }
    if (node[DURABLE_COMPLETE] !== true) {
      if (f.outstanding === 0 && f.reachedDurable) this.check(id, f);
      return;
    }
    // A failure is not durable: the message stays unacknowledged. Said at once rather than at the
    // timeout, so a stopping ingest need not wait for it.
    const refused = typeof event.error === 'object' && event.error !== null && (event.error as Record<symbol, unknown>)[REFUSED_FOR_GOOD] === true;
    if (event.error && !refused) {
      this.settle(id, f, 'failed');
      return;
    }
    f.reachedDurable = true;
    if (f.outstanding === 0) this.check(id, f);
  }

  /** Exported for tests: resolves every waiter whose deadline has passed; drops ids nobody expected. */
  sweep(): void {
    const now = this.clock.now();
    for (const [id, f] of this.followed) {
      if (f.waiters.length === 0) {
        // Announced and not expected within a sweep period: no msg of it is followed.
        if (now - f.since >= SWEEP_EVERY_MS) this.followed.delete(id);
        continue;
      }
      const due = f.waiters.filter((w) => w.deadline <= now);
      if (due.length === 0) continue;
      for (const w of due) w.resolve('timeout');
      if (due.length === f.waiters.length) this.followed.delete(id);
      else f.waiters = f.waiters.filter((w) => w.deadline > now);
    }
  }

  private newFollowed(): Followed {
    return { waiters: [], deliveries: undefined, outstanding: 0, reachedDurable: false, checking: false, since: this.clock.now() };
  }

  /**
   * Settles `durable` one setImmediate later if still nothing is outstanding (see the grace in
   * the module comment). setImmediate, not the Clock: it orders after the sends of this turn of
   * the event loop, it measures no time. One setImmediate for all msgs due in a turn (per msg it
   * cost ~1 µs).
   */
  private check(id: string, f: Followed): void {
    if (f.checking) return;
    f.checking = true;
    this.checks.push([id, f]);
    if (this.checks.length === 1) setImmediate(() => this.runChecks());
  }

  private runChecks(): void {
    const due = this.checks;
    this.checks = [];
    for (const [id, f] of due) {
      f.checking = false;
      if (this.followed.get(id) !== f || f.outstanding > 0 || !f.reachedDurable) continue;
      if (f.waiters.length === 0) continue; // announced, not yet expected: checked again by expect
      this.settle(id, f, 'durable');
    }
  }

  private settle(id: string, f: Followed, outcome: AckOutcome): void {
    this.followed.delete(id);
    for (const w of f.waiters) w.resolve(outcome);
  }
}

const trackers = new WeakMap<object, AckTracker>();

/** For runtimes without RED.hooks (node-red-node-test-helper): completions are never seen. */
const NO_HOOKS: HooksApi = { add: () => undefined, remove: () => undefined };

/** The runtime's one tracker. */
export function ackTracker(RED: NodeAPI, clock: Clock): AckTracker {
  // RED.hooks is part of the runtime API for nodes since Node-RED 1.3; not in @types/node-red 1.3.
  const hooks = (RED as unknown as { hooks?: HooksApi }).hooks ?? NO_HOOKS;
  let tracker = trackers.get(hooks);
  if (!tracker) {
    tracker = new AckTracker(hooks, clock);
    trackers.set(hooks, tracker);
  }
  return tracker;
}

/** The port a durable sink uses: whether to hold done() until a msg's readings are durable. */
export interface DurableSink {
  /**
   * True while an ack-mode ingest follows completions. Holding done() costs memory (~100 MB
   * more RSS at 5,000 msg/s with a slow InfluxDB), so sinks complete at once otherwise.
   */
  readonly holdDone: boolean;
  /**
   * Follows a msg this node is about to send to a durable sink further down (a window's
   * aggregate to an archive): give the msg `msgId`; `outcome` resolves `durable` when a durable
   * sink completed it, else `timeout` after `timeoutMs` or `closed` when nobody follows any more.
   */
  follow(timeoutMs: number): { msgId: string; outcome: Promise<AckOutcome> };
}

/**
 * Declares `node` a durable sink: its done() for a msg means the msg's readings are durable
 * (written, spooled to disk, refused for good, or saved in persisted state). Call it only when
 * that is true for this node's settings.
 */
export function durableSink(RED: NodeAPI, node: Node, clock: Clock): DurableSink {
  (node as unknown as Record<symbol, unknown>)[DURABLE_COMPLETE] = true;
  const tracker = ackTracker(RED, clock);
  return {
    get holdDone() {
      return tracker.inUse;
    },
    follow(timeoutMs: number) {
      const msgId = RED.util.generateId();
      return { msgId, outcome: tracker.expect(msgId, timeoutMs) };
    },
  };
}

/** For tests of the tracker: marks a fake node object the way `durableSink` does. */
export function markDurable(node: object): void {
  (node as Record<symbol, unknown>)[DURABLE_COMPLETE] = true;
}
