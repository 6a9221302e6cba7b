/**
 * The telemetry-window node's behaviour around the pure WindowEngine: msgs in and out, the one
 * timer for wall-clock closing, status, and keeping open windows across restarts.
 *
 * Under ack-after-archive (persistState and an ack-mode ingest upstream) the node is
 * at-least-once end to end (test/faults/ACK-AFTER-ARCHIVE.md):
 * - an input completes (so the broker gets its acknowledgement) once a checkpoint holds its
 *   readings;
 * - a closed window's aggregate stays in the checkpoint ("unconfirmed") until a durable sink
 *   downstream (the archive) has written or spooled the msg carrying it; a restarted node sends
 *   the unconfirmed aggregates again, with the same timestamp, so InfluxDB keeps one point.
 */
import type { Clock } from '../../core/clock';
import { formatCount, RateMeter } from '../../core/rate';
import { asReadingList, Reading, validateReading } from '../../core/reading';
import { ClosedWindow, UnconfirmedAggregates, unconfirmedFromCheckpoint, WindowEngine, WindowSnapshot, WindowSpec } from '../../core/window';
import type { ContextStateStore } from '../shared/context-state';
import type { NodeController } from '../shared/controller';
import { DeadlineTimer } from '../shared/deadline-timer';
import type { AckOutcome, DurableSink } from '../shared/durability';
import { CodedError, rejectedMsg } from '../shared/messages';
import type { Done, Node, NodeMessage, NodeStatus, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { MonitorFigures } from '../shared/monitor';
import type { Translate } from '../shared/translate';
import type { PartitionLink } from '../shared/partition-holder-link';
import { WindowPartitionHolder } from './partition-holder';
import { nextTurn } from '../shared/turns';

export interface WindowSettings {
  spec: WindowSpec;
  /** keep open windows in the context store across redeploys and restarts */
  persistState: boolean;
}

export interface ControllerDeps {
  t: Translate;
  clock: Clock;
  store: ContextStateStore;
  /** resolves once every node of the deploy runs: sending earlier could reach a node not yet created */
  started: Promise<void>;
  /** Present with persistState: while it holds done(), inputs complete after a checkpoint. */
  sink: DurableSink | undefined;
  /** The runtime's partition registry: open windows move with their partition (partition-holder.ts). */
  partitions?: PartitionLink;
  /** This node's id, under which it registers as a partition state holder. */
  nodeId?: string;
}

/** How long after the last input the status is refreshed, so the shown rate falls back to 0. */
const STATUS_REFRESH_MS = 2_100;
/**
 * With persistState, inputs are completed (done) only after a save of the windows holding their
 * readings, taken at most this long after the first unsaved input (ack-after-archive counts a
 * reading in persisted window state as delivered).
 */
export const CHECKPOINT_MS = 1_000;
/**
 * How long an aggregate sent under ack-after-archive may take to become durable downstream
 * before it leaves the checkpoint anyway (counted; the ingest's default ackTimeout): an
 * aggregate wired to no archive must not stay in the checkpoint for ever.
 */
export const AGGREGATE_FOLLOW_MS = 30_000;
const GIVEN_UP_WARN_EVERY_MS = 60_000;
/** Event-loop turns a stopping node waits at most for msgs already on their way to it. */
const MAX_ARRIVAL_TURNS = 50;

/**
 * What a checkpoint stores: the engine's snapshot, plus the aggregates sent but not yet
 * durable downstream. `tracked` marks a checkpoint taken under ack-after-archive: the store
 * then stays the node's state after a restore (a crash right after it must find it again).
 */
export interface WindowCheckpoint extends WindowSnapshot {
  unconfirmed?: ClosedWindow[];
  tracked?: true;
}

type NodeLike = Pick<Node, 'send' | 'status' | 'log' | 'warn' | 'error'>;

export class WindowController implements NodeController {
  private engine: WindowEngine;
  private readonly status: StatusThrottle;
  private readonly rate: RateMeter;
  /** set while the stored state is being loaded; inputs wait for it */
  private restoring: Promise<void> | undefined;
  private running = false;
  private closed = false;
  /** The single timer for the engine's next deadline (quiet keys, processing-time ends). */
  private readonly timer: DeadlineTimer;
  private readonly statusRefresh: DeadlineTimer;
  /** done() of inputs whose readings are not saved yet (persistState), completed by the next checkpoint. */
  private unsaved: Done[] = [];
  private readonly checkpointTimer: DeadlineTimer;
  private checkpointed = false;
  /** The state changed without inputs waiting (windows closed by the timer, aggregates confirmed). */
  private dirty = false;
  /** The save in progress, so a stop waits for it before saving the last state. */
  private saving: Promise<void> = Promise.resolve();
  /** Set when close() has taken the last snapshot: later inputs are not kept. */
  private finalSnapshotTaken = false;
  /** Inputs taken so far: close() waits until msgs already on their way have arrived. */
  private inputsSeen = 0;
  /** Aggregates sent on under ack-after-archive, kept in checkpoints until durable downstream. */
  private readonly unconfirmed = new UnconfirmedAggregates();
  /** Unconfirmed aggregates of the previous run, sent again once the flows have started. */
  private resendQueue: ClosedWindow[] = [];
  /** Aggregates that left the checkpoint without a durable completion (none wired, timeout). */
  private unconfirmedGivenUp = 0;
  private lastGivenUpWarning = Number.NEGATIVE_INFINITY;
  private lastUntrackedWarning = Number.NEGATIVE_INFINITY;
  /** A checkpoint was taken while an ack-mode ingest followed completions. */
  private wasTracked = false;
  /** Partition moves (partition-holder.ts): the engine's change counter, the holder, its registration. */
  private version = 0;
  private readonly partitionHolder: WindowPartitionHolder | undefined;
  private readonly partitionRegistration: { ready: Promise<void>; unregister: () => Promise<void> } | undefined;
  private partitionsPending: Promise<void> | undefined;

  constructor(
    private readonly node: NodeLike,
    private readonly settings: WindowSettings,
    private readonly deps: ControllerDeps,
  ) {
    this.engine = new WindowEngine(settings.spec);
    this.status = new StatusThrottle(node, deps.clock);
    this.rate = new RateMeter(deps.clock.now());
    this.timer = new DeadlineTimer(deps.clock, (now) => this.onTimer(now));
    this.statusRefresh = new DeadlineTimer(deps.clock, () => this.showStatus());
    this.checkpointTimer = new DeadlineTimer(deps.clock, () => void this.checkpoint());
    if (deps.partitions && deps.nodeId) {
      const slot = { get: () => this.engine, set: (engine: WindowEngine) => this.replaceEngine(engine), version: () => this.version };
      this.partitionHolder = new WindowPartitionHolder(slot, settings.spec, deps.clock, deps.partitions);
      this.partitionRegistration = deps.partitions.register(deps.nodeId, this.partitionHolder);
      // Restarted alone while the partition node owns partitions: their state comes first.
      const ready = this.partitionRegistration.ready.catch(() => undefined);
      this.partitionsPending = ready.then(() => {
        this.partitionsPending = undefined;
      });
    }
    this.restoring = this.restore().finally(() => {
      this.restoring = undefined;
    });
    void Promise.all([this.restoring, deps.started]).then(() => {
      this.running = true;
      this.arm();
      this.showStatus(true);
    });
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    if (this.restoring) {
      void this.restoring.then(() => this.input(msg, send, done));
      return;
    }
    const partition = this.partitionHolder && typeof msg.partition === 'number' ? msg.partition : undefined;
    if (partition !== undefined && this.partitionsPending) {
      void this.partitionsPending.then(() => this.input(msg, send, done));
      return;
    }
    this.inputsSeen++;
    if (this.finalSnapshotTaken) {
      // Stopping, and the last state is saved: taking it now would lose it. Failing it keeps an
      // ack-after-archive message unacknowledged, so the broker redelivers it after the restart.
      done(new CodedError('STOPPED', this.deps.t('errors.stopped')));
      return;
    }
    if (partition !== undefined) this.partitionHolder?.note(partition, msg.payload);
    try {
      this.handle(msg, send);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // From a partition node: complete once a checkpoint of the partition holds its readings.
    if (partition !== undefined && msg.control === undefined) {
      this.partitionHolder?.hold(partition, done);
      return;
    }
    // Checkpoints cost a snapshot of every open window: only while someone waits for them.
    if (msg.control !== undefined || !this.deps.sink?.holdDone) {
      done();
      return;
    }
    this.unsaved.push(done);
    this.checkpointSoon();
  }

  private get tracking(): boolean {
    return this.deps.sink?.holdDone === true;
  }

  private checkpointSoon(): void {
    if (!this.closed) this.checkpointTimer.afterUnlessArmed(CHECKPOINT_MS);
  }

  /** Saves the open windows and unconfirmed aggregates, then completes the inputs they hold (or fails them: not durable). */
  private checkpoint(): Promise<void> {
    const waiting = this.unsaved.splice(0);
    if (waiting.length === 0 && !this.dirty) return this.saving;
    this.dirty = false;
    const state = this.checkpointState();
    this.saving = this.saving.then(async () => {
      let failure: Error | undefined;
      try {
        await this.deps.store.save(state);
        this.checkpointed = true;
      } catch (err) {
        failure = new CodedError('SAVE_FAILED', this.deps.t('errors.save-failed', { message: String(err) }));
      }
      for (const done of waiting) done(failure);
    });
    return this.saving;
  }

  /** The state a checkpoint or a stop saves. */
  private checkpointState(): WindowCheckpoint {
    const state: WindowCheckpoint = this.engine.snapshot();
    if (this.unconfirmed.size > 0 || this.resendQueue.length > 0) state.unconfirmed = [...this.resendQueue, ...this.unconfirmed.list()];
    // Sticky: when the node stops, the ingest may stop following first; the state it saves is
    // still the one the acknowledgements were given for.
    if (this.tracking) this.wasTracked = true;
    if (this.wasTracked) state.tracked = true;
    return state;
  }

  async close(removed: boolean): Promise<void> {
    this.closed = true;
    this.timer.stop();
    this.statusRefresh.stop();
    this.checkpointTimer.stop();
    this.status.close();
    // Order (issue #21): the last state is saved first, and only then are the inputs it holds
    // completed, so an ack-after-archive ingest acknowledges exactly what the saved state holds
    // (inputs that arrive while the node stops, up to that save, are in it too).
    try {
      // The owner checkpoints this holder's partitions first; they are then not ours to flush.
      await this.partitionRegistration?.unregister();
      this.partitionHolder?.forgetPartitioned();
      await this.shutDown(removed);
    } catch (err) {
      this.node.error(String(err));
    } finally {
      this.finalSnapshotTaken = true;
      for (const finish of this.unsaved.splice(0)) finish();
    }
  }

  // -------------------------------------------------------------------------------------------

  private handle(msg: TelemetryMsg, send: Send): void {
    this.version++;
    const now = this.deps.clock.now();
    const windows: ClosedWindow[] = [];
    const rejected: NodeMessage[] = [];
    // A msg with msg.control is a command; its payload (an inject node's timestamp) is not data.
    const control = msg.control;
    let controlError: Error | undefined;
    if (control === undefined || control === null) this.addReadings(msg, now, windows, rejected);
    else controlError = this.control(control, windows);
    if (windows.length > 0 || rejected.length > 0) {
      send([windows.length > 0 ? this.aggregateMsgs(windows) : null, rejected.length > 0 ? rejected : null]);
    }
    this.arm();
    this.showStatus();
    if (controlError) throw controlError;
  }

  private addReadings(msg: TelemetryMsg, now: number, windows: ClosedWindow[], rejected: NodeMessage[]): void {
    const list = asReadingList(msg.payload);
    const single = !Array.isArray(msg.payload);
    const refused = new Map<string, { items: unknown[]; message: string }>();
    const refuse = (code: string, item: unknown, message: string): void => {
      const group = refused.get(code);
      if (group) group.items.push(item);
      else refused.set(code, { items: [item], message });
    };
    for (const item of list) {
      const problem = validateReading(item);
      if (problem) {
        refuse(problem.code, item, problem.message);
        continue;
      }
      const outcome = this.engine.add(item as Reading, now, windows);
      if (outcome.kind === 'late') refuse('LATE', item, outcome.message);
      else if (outcome.kind === 'refused') refuse(outcome.code, item, outcome.message);
    }
    this.rate.add(list.length, now);
    for (const [code, { items, message }] of refused) {
      const text = items.length === 1 ? message : this.deps.t('errors.several', { count: items.length, first: message });
      const out = rejectedMsg(msg, code, text, single ? items[0] : items);
      if (code === 'LATE') out.late = true;
      rejected.push(out);
    }
  }

  private control(control: unknown, windows: ClosedWindow[]): Error | undefined {
    if (control === 'flush') {
      this.engine.flush(windows);
      return undefined;
    }
    if (control === 'reset') {
      this.engine.reset();
      return undefined;
    }
    return new CodedError('UNKNOWN_CONTROL', this.deps.t('errors.control', { control: String(control) }));
  }

  /**
   * One msg per closed window. Under ack-after-archive each is followed to the durable sink
   * downstream and kept in the checkpoints until it gets there; a checkpoint is due soon, as
   * the closed windows have left the open state it saved last.
   */
  private aggregateMsgs(closed: ClosedWindow[]): NodeMessage[] {
    const msgs = closed.map(windowMsg);
    if (!this.tracking) return msgs;
    const sink = this.deps.sink as DurableSink;
    for (let i = 0; i < msgs.length; i++) {
      // Full: sent untracked (said in a warning), and not followed: a follow-up nobody reads
      // would only hold the ack tracker's entry until its timeout.
      if (!this.unconfirmed.hasRoom()) {
        this.warnUntracked();
        continue;
      }
      const { msgId, outcome } = sink.follow(AGGREGATE_FOLLOW_MS);
      if (!this.unconfirmed.add(msgId, closed[i] as ClosedWindow)) continue;
      (msgs[i] as NodeMessage & { _msgid: string })._msgid = msgId;
      void outcome.then((o) => this.aggregateSettled(msgId, o));
    }
    this.dirty = true;
    this.checkpointSoon();
    return msgs;
  }

  private aggregateSettled(msgId: string, outcome: AckOutcome): void {
    // `closed`: the ack-mode ingest stopped following (a stop or redeploy). The aggregate is
    // not known to be durable, so it stays: the stop saves it and the restarted node sends it again.
    if (outcome === 'closed') return;
    if (!this.unconfirmed.settle(msgId)) return;
    if (outcome !== 'durable') this.givenUp();
    this.dirty = true;
    this.checkpointSoon();
  }

  /** Counts an aggregate no durable sink completed in time; warns at most once a minute. */
  private givenUp(): void {
    this.unconfirmedGivenUp++;
    const now = this.deps.clock.now();
    if (now - this.lastGivenUpWarning < GIVEN_UP_WARN_EVERY_MS) return;
    this.lastGivenUpWarning = now;
    this.node.warn(this.deps.t('warnings.unconfirmed-given-up', { count: this.unconfirmedGivenUp, timeout: `${AGGREGATE_FOLLOW_MS / 1000}s` }));
    this.unconfirmedGivenUp = 0;
  }

  /** Aggregates sent beyond the bound lose at-least-once: say so, at most once a minute. */
  private warnUntracked(): void {
    const now = this.deps.clock.now();
    if (now - this.lastUntrackedWarning < GIVEN_UP_WARN_EVERY_MS) return;
    this.lastUntrackedWarning = now;
    this.node.warn(this.deps.t('warnings.unconfirmed-untracked', { count: this.unconfirmed.untracked, max: this.unconfirmed.limit }));
  }

  /** A partition moved in or out (partition-holder.ts). */
  private replaceEngine(engine: WindowEngine): void {
    this.engine = engine;
    this.version++;
    this.arm();
  }

  /** A timer already armed for a deadline that went away (reset) fires and finds nothing: harmless. */
  private arm(): void {
    if (this.running) this.timer.atEarliest(this.engine.nextDeadline());
  }

  private onTimer(now: number): void {
    this.version++;
    try {
      const out: ClosedWindow[] = [];
      this.engine.tick(now, out);
      if (out.length > 0) this.node.send([this.aggregateMsgs(out), null]);
    } catch (err) {
      this.node.error(err instanceof Error ? err.message : String(err));
    }
    this.arm();
    this.showStatus();
  }

  /** The editor's monitor sidebar (shared/monitor.ts). */
  figures(): MonitorFigures {
    const stats = this.engine.stats();
    return { readings: this.rate.total, windows: { open: stats.openWindows, keys: stats.keys, late: stats.late } };
  }

  private showStatus(force = false): void {
    if (this.closed) return;
    this.status.set(() => this.statusView(), force);
    this.statusRefresh.afterUnlessArmed(STATUS_REFRESH_MS);
  }

  private statusView(): NodeStatus {
    const { t } = this.deps;
    const stats = this.engine.stats();
    const params = {
      rate: formatCount(this.rate.rate(this.deps.clock.now())),
      windows: formatCount(stats.openWindows),
      keys: formatCount(stats.keys),
      late: formatCount(stats.late),
      max: formatCount(this.settings.spec.maxKeys),
    };
    return stats.atKeyLimit
      ? { fill: 'red', shape: 'ring', text: t('status.key-limit', params) }
      : { fill: 'green', shape: 'dot', text: t('status.running', params) };
  }

  /** Loads windows kept by the previous instance of this node, once, and clears them from the store. */
  private async restore(): Promise<void> {
    const { t, store } = this.deps;
    let value: unknown;
    try {
      value = await store.load();
    } catch (err) {
      this.node.error(t('errors.load-failed', { message: String(err) }));
      return;
    }
    if (value === undefined || value === null) return;
    const { aggregates: resend, malformed } = unconfirmedFromCheckpoint(value);
    if (malformed > 0) this.node.warn(t('warnings.bad-state', { message: t('errors.bad-unconfirmed', { count: malformed }) }));
    let resumed = false;
    try {
      const restored = WindowEngine.fromSnapshot(value, this.deps.clock.now(), this.settings.spec);
      if (restored.spec === this.settings.spec && this.settings.persistState) {
        this.engine = restored;
        resumed = true;
        const stats = restored.stats();
        this.node.log(t('log.restored', { windows: stats.openWindows, keys: stats.keys }));
      } else {
        // The windowing changed (or persistence was switched off): the old windows cannot go on,
        // so they leave as partial aggregates under their old settings rather than vanish.
        const out: ClosedWindow[] = [];
        restored.flush(out);
        this.node.warn(t('warnings.state-not-resumed', { count: out.length }));
        resend.push(...out);
      }
    } catch (err) {
      this.node.warn(t('warnings.bad-state', { message: err instanceof Error ? err.message : String(err) }));
    }
    if (resend.length > 0) this.node.log(t('log.resent', { count: resend.length }));
    this.resendQueue = resend;
    const tracked = resumed && (value as WindowCheckpoint).tracked === true;
    if (tracked) {
      this.checkpointed = true; // the store holds this node's state: a stop must replace or clear it
    } else {
      // Consumed: if the runtime crashed later, these windows must not come back a second time.
      await store.save(undefined).catch((err: unknown) => this.node.error(t('errors.save-failed', { message: String(err) })));
    }
    // Aggregates not known to be durable downstream go again once the flows run (same points).
    // A checkpoint taken under ack-after-archive stays in the store until the next one replaces
    // it: every reading since it is unacknowledged, so a crash meanwhile loses nothing.
    void this.deps.started.then(() => {
      if (this.finalSnapshotTaken) return;
      const again = this.resendQueue.splice(0);
      if (again.length > 0) this.node.send([this.aggregateMsgs(again), null]);
      if (!tracked) return;
      if (this.tracking) {
        this.dirty = true;
        void this.checkpoint();
      } else {
        store.save(undefined).catch((err: unknown) => this.node.error(t('errors.save-failed', { message: String(err) })));
      }
    });
  }

  /**
   * Node-RED stops every node at once, and msgs already sent to this one (the ingest's last
   * batch, msgs between nodes) arrive on the next turns of the event loop, each hop on a
   * setImmediate. Saving after they have arrived puts them in the last state, so their inputs
   * complete and an ack-after-archive ingest acknowledges them, instead of a redelivery (and
   * without persistState they are in the partial windows sent). Waits until two turns bring no
   * input (at most MAX_ARRIVAL_TURNS).
   */
  private async letInFlightArrive(): Promise<void> {
    let quiet = 0;
    for (let turn = 0; turn < MAX_ARRIVAL_TURNS && quiet < 2; turn++) {
      const before = this.inputsSeen;
      await nextTurn();
      quiet = this.inputsSeen === before ? quiet + 1 : 0;
    }
    await this.saving;
  }

  private async shutDown(removed: boolean): Promise<void> {
    if (this.restoring) await this.restoring;
    // A checkpoint still being written must not land after (and over) the last state.
    await this.saving;
    const { t, store } = this.deps;
    await this.letInFlightArrive();
    if (this.settings.persistState && !removed) {
      try {
        const stats = this.engine.stats();
        // Nothing to keep: the store was cleared when this instance started; clear what a
        // checkpoint of this instance left there since.
        if (stats.trackedKeys === 0 && this.unconfirmed.size === 0 && this.resendQueue.length === 0) {
          this.finalSnapshotTaken = true;
          if (this.checkpointed) await store.save(undefined);
          return;
        }
        const state = this.checkpointState();
        this.finalSnapshotTaken = true;
        await store.save(state);
        if (stats.openWindows > 0) this.node.log(t('log.saved', { windows: stats.openWindows, keys: stats.keys }));
        return;
      } catch (err) {
        this.node.error(t('errors.save-failed', { message: String(err) }));
      }
    }
    this.finalSnapshotTaken = true;
    const out: ClosedWindow[] = [];
    this.engine.flush(out);
    if (out.length > 0) {
      this.node.send([this.aggregateMsgs(out), null]);
      this.node.warn(t('warnings.partial-on-close', { count: out.length }));
    }
    if (removed) await store.save(undefined).catch(() => undefined);
  }
}

/** One msg per closed window: the reading as payload, msg.window as the README describes it. */
function windowMsg(closed: ClosedWindow): NodeMessage {
  return { topic: closed.window.key, payload: closed.reading, window: closed.window } as NodeMessage;
}
