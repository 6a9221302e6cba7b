/**
 * Ack-after-archive (test/faults/ACK-AFTER-ARCHIVE.md): follows msgs by `_msgid` through the
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
import type { NodeAPI } from './red';

/** Set to true on a node object whose done() means "durable" (archive, window with persistState). */
export const DURABLE_COMPLETE = Symbol.for('@iot-telemetry/durable-complete');

export type AckOutcome = 'durable' | 'timeout' | 'closed';

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
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly hooks: HooksApi,
    private readonly now: () => number = Date.now,
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
      this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
      this.sweeper.unref?.();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      this.hooks.remove(HOOK_LABEL);
      if (this.sweeper) clearInterval(this.sweeper);
      this.sweeper = undefined;
      for (const list of this.waiting.values()) for (const w of list) w.resolve('closed');
      this.waiting.clear();
    };
  }

  /** Resolves when a durable sink completes `msgId`, or with `timeout` after `timeoutMs`. */
  expect(msgId: string, timeoutMs: number): Promise<AckOutcome> {
    return new Promise((resolve) => {
      const list = this.waiting.get(msgId);
      const waiter = { resolve, deadline: this.now() + timeoutMs };
      if (list) list.push(waiter);
      else this.waiting.set(msgId, [waiter]);
    });
  }

  /** Exported for tests: what the hook does. */
  onComplete(event: CompleteEvent): void {
    if (event.error) return; // a failure is not durable: the message stays unacknowledged
    const node = event.node?.node as Record<symbol, unknown> | undefined;
    if (!node || node[DURABLE_COMPLETE] !== true) return;
    const id = event.msg?._msgid;
    if (typeof id !== 'string') return;
    const list = this.waiting.get(id);
    if (!list) return;
    this.waiting.delete(id);
    for (const w of list) w.resolve('durable');
  }

  /** Exported for tests: resolves every waiter whose deadline has passed. */
  sweep(): void {
    const now = this.now();
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
export function ackTracker(RED: NodeAPI): AckTracker {
  // RED.hooks is part of the runtime API for nodes since Node-RED 1.3; not in @types/node-red 1.3.
  const hooks = (RED as unknown as { hooks?: HooksApi }).hooks ?? NO_HOOKS;
  let tracker = trackers.get(hooks);
  if (!tracker) {
    tracker = new AckTracker(hooks);
    trackers.set(hooks, tracker);
  }
  return tracker;
}
