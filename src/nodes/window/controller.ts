/**
 * The telemetry-window node's behaviour around the pure WindowEngine: msgs in and out, the one
 * timer for wall-clock closing, status, and keeping open windows across restarts.
 */
import type { Clock } from '../../core/clock';
import { formatCount, RateMeter } from '../../core/rate';
import { asReadingList, Reading, validateReading } from '../../core/reading';
import { ClosedWindow, WindowEngine, WindowSpec } from '../../core/window';
import type { ContextStateStore } from '../shared/context-state';
import type { NodeController } from '../shared/controller';
import { DeadlineTimer } from '../shared/deadline-timer';
import type { DurableSink } from '../shared/durability';
import { CodedError, rejectedMsg } from '../shared/messages';
import type { Done, Node, NodeMessage, NodeStatus, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';
import type { PartitionLink } from '../shared/partition-holder-link';
import { WindowPartitionHolder } from './partition-holder';

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
    this.checkpointTimer.afterUnlessArmed(CHECKPOINT_MS);
  }

  /** Saves the open windows, then completes the inputs they hold (or fails them: not durable). */
  private async checkpoint(): Promise<void> {
    const waiting = this.unsaved.splice(0);
    if (waiting.length === 0) return;
    let failure: Error | undefined;
    try {
      await this.deps.store.save(this.engine.snapshot());
      this.checkpointed = true;
    } catch (err) {
      failure = new CodedError('SAVE_FAILED', this.deps.t('errors.save-failed', { message: String(err) }));
    }
    for (const done of waiting) done(failure);
  }

  async close(removed: boolean): Promise<void> {
    this.closed = true;
    this.timer.stop();
    this.statusRefresh.stop();
    this.checkpointTimer.stop();
    this.status.close();
    // shutDown saves the windows (or sends them as partial aggregates): either way the inputs
    // held for a checkpoint are finished with.
    const held = this.unsaved.splice(0);
    try {
      // The owner checkpoints this holder's partitions first; they are then not ours to flush.
      await this.partitionRegistration?.unregister();
      this.partitionHolder?.forgetPartitioned();
      await this.shutDown(removed);
    } catch (err) {
      this.node.error(String(err));
    } finally {
      for (const finish of held) finish();
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
      send([windows.length > 0 ? windows.map(windowMsg) : null, rejected.length > 0 ? rejected : null]);
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
      if (out.length > 0) this.node.send([out.map(windowMsg), null]);
    } catch (err) {
      this.node.error(err instanceof Error ? err.message : String(err));
    }
    this.arm();
    this.showStatus();
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
    try {
      const restored = WindowEngine.fromSnapshot(value, this.deps.clock.now(), this.settings.spec);
      if (restored.spec === this.settings.spec && this.settings.persistState) {
        this.engine = restored;
        const stats = restored.stats();
        this.node.log(t('log.restored', { windows: stats.openWindows, keys: stats.keys }));
      } else {
        // The windowing changed (or persistence was switched off): the old windows cannot go on,
        // so they leave as partial aggregates under their old settings rather than vanish.
        const out: ClosedWindow[] = [];
        restored.flush(out);
        this.node.warn(t('warnings.state-not-resumed', { count: out.length }));
        if (out.length > 0) void this.deps.started.then(() => this.node.send([out.map(windowMsg), null]));
      }
    } catch (err) {
      this.node.warn(t('warnings.bad-state', { message: err instanceof Error ? err.message : String(err) }));
    }
    // Consumed: if the runtime crashed later, these windows must not come back a second time.
    await store.save(undefined).catch((err: unknown) => this.node.error(t('errors.save-failed', { message: String(err) })));
  }

  private async shutDown(removed: boolean): Promise<void> {
    if (this.restoring) await this.restoring;
    const { t, store } = this.deps;
    if (this.settings.persistState && !removed) {
      try {
        const stats = this.engine.stats();
        // Nothing to keep: the store was cleared when this instance started; clear what a
        // checkpoint of this instance left there since.
        if (stats.trackedKeys === 0) {
          if (this.checkpointed) await store.save(undefined);
          return;
        }
        await store.save(this.engine.snapshot());
        if (stats.openWindows > 0) this.node.log(t('log.saved', { windows: stats.openWindows, keys: stats.keys }));
        return;
      } catch (err) {
        this.node.error(t('errors.save-failed', { message: String(err) }));
      }
    }
    const out: ClosedWindow[] = [];
    this.engine.flush(out);
    if (out.length > 0) {
      this.node.send([out.map(windowMsg), null]);
      this.node.warn(t('warnings.partial-on-close', { count: out.length }));
    }
    if (removed) await store.save(undefined).catch(() => undefined);
  }
}

/** One msg per closed window: the reading as payload, msg.window as the README describes it. */
function windowMsg(closed: ClosedWindow): NodeMessage {
  return { topic: closed.window.key, payload: closed.reading, window: closed.window } as NodeMessage;
}
