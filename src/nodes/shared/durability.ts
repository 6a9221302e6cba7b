/**
 * Ack-after-archive, in one module (test/faults/ACK-AFTER-ARCHIVE.md).
 *
 * Two sides:
 * - an ack-mode ingest asks the runtime's one `AckTracker` to follow its msgs (`use`, `expect`);
 * - a durable sink (archive with the disk spool, window with persistState) takes a
 *   `DurableSink` port: `holdDone` says whether anyone is following, so whether the sink must
 *   hold each msg's done() until its readings are durable.
 *
 * The tracker follows msgs by `_msgid` through the
 * flow and reports when a **durable sink** has completed them. A durable sink is a node that
 * calls `done()` for a msg only once its readings are durable (written to InfluxDB, appended to
 * the disk spool, refused for good, or held in persisted window state) and says so by setting
 * `node[DURABLE_COMPLETE] = true`. The runtime tells us about every completion through its
 * `onComplete` hook; the hook is added while at least one user (an ack-mode ingest) needs it.
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
 * - `durable`: a durable sink completed the msg;
 * - `failed`: a durable sink completed it with an error (not durable: never acknowledged, the
 *   broker redelivers it), e.g. a window that was stopping;
 * - `timeout`: no durable sink completed it in time (acknowledged anyway, counted);
 * - `closed`: nobody follows any more (the ack-mode ingest stopped).
 */
export type AckOutcome = 'durable' | 'failed' | 'timeout' | 'closed';

/** What the runtime passes to onComplete hooks (Node.prototype._complete). */
export interface CompleteEvent {
  msg?: { _msgid?: unknown } | null;
  error?: unknown;
  node?: { id?: string; node?: unknown } | null;
}

export interface HooksApi {
  add(label: string, fn: (event: CompleteEvent) => void): void;
  remove(label: string): void;
}

interface Waiter {
  resolve: (outcome: AckOutcome) => void;
  deadline: number;
}

const HOOK_LABEL = 'onComplete.telemetryAckAfterArchive';
const SWEEP_EVERY_MS = 250;

export class AckTracker {
  private readonly waiting = new Map<string, Waiter[]>();
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
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  /** Starts following completions; the returned function stops (the last user removes the hook). */
  use(): () => void {
    if (this.users++ === 0) {
      this.hooks.add(HOOK_LABEL, (event) => this.onComplete(event));
      this.sweeper = new Ticker(this.clock, SWEEP_EVERY_MS, () => this.sweep());
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      this.hooks.remove(HOOK_LABEL);
      this.sweeper?.stop();
      this.sweeper = undefined;
      for (const list of this.waiting.values()) for (const w of list) w.resolve('closed');
      this.waiting.clear();
    };
  }

  /** Resolves when a durable sink completes `msgId`, or with `timeout` after `timeoutMs`. */
  expect(msgId: string, timeoutMs: number): Promise<AckOutcome> {
    return new Promise((resolve) => {
      const list = this.waiting.get(msgId);
      const waiter = { resolve, deadline: this.clock.now() + timeoutMs };
      if (list) list.push(waiter);
      else this.waiting.set(msgId, [waiter]);
    });
  }

  /** Exported for tests: what the hook does. */
  onComplete(event: CompleteEvent): void {
    const node = event.node?.node as Record<symbol, unknown> | undefined;
    if (!node || node[DURABLE_COMPLETE] !== true) return;
    const id = event.msg?._msgid;
    if (typeof id !== 'string') return;
    const list = this.waiting.get(id);
    if (!list) return;
    this.waiting.delete(id);
    // A failure is not durable: the message stays unacknowledged. Said at once rather than at the
    // timeout, so a stopping ingest need not wait for it.
    const refused = typeof event.error === 'object' && event.error !== null && (event.error as Record<symbol, unknown>)[REFUSED_FOR_GOOD] === true;
    const outcome: AckOutcome = event.error && !refused ? 'failed' : 'durable';
    for (const w of list) w.resolve(outcome);
  }

  /** Exported for tests: resolves every waiter whose deadline has passed. */
  sweep(): void {
    const now = this.clock.now();
    for (const [id, list] of this.waiting) {
      const due = list.filter((w) => w.deadline <= now);
      if (due.length === 0) continue;
      for (const w of due) w.resolve('timeout');
      if (due.length === list.length) this.waiting.delete(id);
      else this.waiting.set(id, list.filter((w) => w.deadline > now));
    }
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
