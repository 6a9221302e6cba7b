/**
 * The Node-RED side of the heartbeat tracker: one timer for the whole fleet, bursts of changes
 * sent in slices, periodic summaries, the registry persisted in a context store, and status.
 * All liveness logic is in src/core/heartbeat/.
 */
import type { Clock } from '../../core/clock';
import { formatExact } from '../../core/rate';
import { readHeartbeats } from '../../core/heartbeat/heartbeats';
import { livenessOf } from '../../core/liveness';
import { parseSnapshot } from '../../core/heartbeat/snapshot';
import type { HeartbeatSettings } from '../../core/heartbeat/settings';
import { HeartbeatTracker, type StateChange } from '../../core/heartbeat/tracker';
import type { ContextStateStore } from '../shared/context-state';
import type { NodeController } from '../shared/controller';
import { DeadlineTimer, Ticker } from '../shared/deadline-timer';
import { CodedError } from '../shared/messages';
import type { FigureLimits, MonitorFigures } from '../shared/monitor';
import type { Done, Node, Send, TelemetryMsg } from '../shared/red';
import { RestoreGate, restoreThenStart } from '../shared/restore-gate';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';
import { changeMsg, summaryMsg } from './messages';
import { HeartbeatPartitionHolder } from './partition-holder';
import type { PartitionLink } from '../shared/partition-holder-link';
import type { HeartbeatSnapshot } from '../../core/heartbeat/snapshot';

export interface HeartbeatDeps {
  t: Translate;
  /** Monotonic in production so a wall-clock step cannot fake a silence. */
  clock: Clock;
  /** Present when `persistState` is on. */
  store: ContextStateStore | undefined;
  /** The runtime's partition registry: devices move with their partition (partition-holder.ts). */
  partitions?: PartitionLink;
  /** This node's id, under which it registers as a partition state holder. */
  nodeId?: string;
}

/** Heap entries looked at per event-loop turn: ≤ this many msgs per send, then yield. */
export const STEPS_PER_TURN = 1_000;
/** `downDevices` in a summary lists at most this many (the longest silent). */
export const DOWN_DEVICES_LIMIT = 100;
/** How often the registry is saved while running (besides on close), when it changed. */
export const PERSIST_EVERY_MS = 60_000;

export class HeartbeatController implements NodeController {
  private tracker: HeartbeatTracker | undefined;
  private readonly held = new RestoreGate();
  /** The one timer for the whole fleet: the earliest deadline in the tracker. */
  private readonly timer: DeadlineTimer;
  private slice: NodeJS.Immediate | undefined;
  private readonly tickers: Ticker[] = [];
  private readonly status: StatusThrottle;
  private dirty = false;
  private closed = false;
  /** Heartbeats taken in since start (the monitor's rate). */
  private beats = 0;
  private readonly partitionHolder: HeartbeatPartitionHolder | undefined;
  private readonly partitionRegistration: { unregister: () => Promise<void> } | undefined;
  private warnedUnplaced = false;

  constructor(
    private readonly node: Pick<Node, 'send' | 'status' | 'warn' | 'error' | 'log'>,
    private readonly settings: HeartbeatSettings,
    private readonly deps: HeartbeatDeps,
  ) {
    this.status = new StatusThrottle(node, deps.clock);
    this.timer = new DeadlineTimer(deps.clock, () => this.runSlice());
    if (deps.partitions && deps.nodeId) {
      const slot = {
        snapshot: () => this.tracker?.snapshot(deps.clock.now()),
        rebuild: (s: HeartbeatSnapshot) => this.rebuild(s),
        hasExpected: settings.expected.length > 0,
      };
      this.partitionHolder = new HeartbeatPartitionHolder(slot, deps.partitions);
      this.partitionRegistration = deps.partitions.register(deps.nodeId, this.partitionHolder);
    }
    restoreThenStart(node, deps.t, deps.store, (value) => this.start(value));
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    const tracker = this.tracker;
    if (!tracker) {
      if (!this.held.hold(msg, send, done)) done(this.fail('RESTORING', 'errors.RESTORING'));
      return;
    }
    if (msg.control !== undefined) {
      this.control(tracker, msg, send, done);
      return;
    }
    // A retained MQTT message (msg.retain, kept by ingest, never mixed with live readings in one
    // msg) is the broker's copy of the last thing a device said, maybe long ago: not a sign of
    // life. A dead device's retained message must not bring it `up` after a restart (#21).
    if (msg.retain === true) {
      done();
      return;
    }
    const now = this.deps.clock.now();
    const liveness = livenessOf(msg);
    if (liveness) {
      this.markDown(tracker, liveness.devices, now, send, done);
      return;
    }
    const { beats, problems } = readHeartbeats(msg.payload, msg.topic, msg.timeout, this.settings);
    const partition = this.partitionHolder && typeof msg.partition === 'number' ? msg.partition : undefined;
    if (partition !== undefined) for (const beat of beats) this.partitionHolder?.note(partition, beat.device);
    const changes: StateChange[] = [];
    let refused = 0;
    for (const beat of beats) {
      if (!tracker.beat(beat.device, now, beat.timeoutMs, changes)) refused++;
    }
    this.dirty ||= beats.length > 0;
    this.beats += beats.length;
    if (changes.length > 0) send([changes.map((change) => changeMsg(change, this.settings.emitReading)), null]);
    this.arm();
    this.showStatus();
    const reasons: Array<{ code: string; text: string }> = problems.map((p) => ({ code: p.code, text: this.deps.t(`errors.${p.code}`, p.params) }));
    if (refused > 0) {
      const params = { count: refused, max: formatExact(this.settings.maxDevices) };
      reasons.unshift({ code: 'REGISTRY_FULL', text: this.deps.t('errors.REGISTRY_FULL', params) });
    }
    // One error per msg for Catch nodes: the first code, every reason in the message.
    const first = reasons[0];
    const error = first ? new CodedError(first.code, reasons.map((r) => r.text).join('; ')) : undefined;
    // From a partition node: complete once a checkpoint of the partition holds these heartbeats.
    if (partition !== undefined) this.partitionHolder?.hold(partition, () => done(error));
    else done(error);
  }

  /** A death notice (a Sparkplug NDEATH/DDEATH from the ingest): `down` at once. */
  private markDown(tracker: HeartbeatTracker, devices: readonly unknown[], now: number, send: Send, done: Done): void {
    const changes: StateChange[] = [];
    const ids = devices.filter((d): d is string => typeof d === 'string' && d !== '');
    const refused = tracker.markDown(ids, now, changes);
    this.dirty ||= changes.length > 0;
    if (changes.length > 0) send([changes.map((change) => changeMsg(change, this.settings.emitReading)), null]);
    this.arm();
    this.showStatus();
    const params = { count: refused, max: formatExact(this.settings.maxDevices) };
    done(refused > 0 ? new CodedError('REGISTRY_FULL', this.deps.t('errors.REGISTRY_FULL', params)) : undefined);
  }

  async close(removed: boolean): Promise<void> {
    this.closed = true;
    this.timer.stop();
    if (this.slice) clearImmediate(this.slice);
    for (const ticker of this.tickers) ticker.stop();
    this.status.close();
    this.held.fail(() => this.fail('CLOSED', 'errors.closed'));
    // The owner checkpoints this holder's partitions first; their devices are then not ours to keep.
    await this.partitionRegistration?.unregister().catch(() => undefined);
    this.partitionHolder?.forgetPartitioned();
    // A removed node's context is deleted by the runtime: nothing to keep.
    if (removed) return;
    await this.persist();
  }

  private start(persisted: unknown): void {
    if (this.closed) return;
    const { settings, deps } = this;
    const tracker = this.newTracker();
    if (persisted !== undefined) {
      const parsed = parseSnapshot(persisted);
      if (parsed.ok) {
        const report = tracker.restore(parsed.snapshot);
        this.node.log(deps.t('log.restored', { restored: report.restored, dropped: report.dropped }));
      } else {
        this.node.warn(deps.t('warn.bad-state', { reason: parsed.reason }));
      }
    }
    this.tracker = tracker;
    if (settings.summaryIntervalMs !== undefined) {
      // this.tracker, not tracker: a partition move rebuilds it.
      this.tickers.push(new Ticker(deps.clock, settings.summaryIntervalMs, () => this.node.send([null, summaryMsg((this.tracker ?? tracker).summary(DOWN_DEVICES_LIMIT))])));
    }
    if (deps.store) this.tickers.push(new Ticker(deps.clock, PERSIST_EVERY_MS, () => void this.persist()));
    this.partitionHolder?.started();
    this.arm();
    this.showStatus(true);
    this.held.release((msg, send, done) => this.input(msg, send, done));
  }

  private newTracker(): HeartbeatTracker {
    const { settings } = this;
    return new HeartbeatTracker(
      {
        timeoutMs: settings.timeoutMs,
        forgetAfterMs: settings.forgetAfterMs,
        expected: this.expectedHere(),
        maxDevices: settings.maxDevices,
        flapPeriodMs: settings.flapPeriodMs,
        expectedTimeoutMs: (device) => (settings.timeoutTag === '' ? settings.timeoutTable.get(device) : undefined),
      },
      this.deps.clock.now(),
    );
  }

  /**
   * The `expected` devices this member watches: all, or behind a partition node only those of
   * the partitions it owns now (another member hears the others: watching them here would report
   * them `down` falsely). A device's partition comes from its id when the partition key is the
   * one tag the id is read from (`deviceKey` `tags.<k>`, partition `key` `<k>`); otherwise it
   * cannot be known before the device reports, and none is watched (warned once).
   */
  private expectedHere(): readonly string[] {
    const { expected, devicePath } = this.settings;
    const holder = this.partitionHolder;
    if (!holder || expected.length === 0 || !holder.partitioned) return expected;
    const tag = devicePath.length === 2 && devicePath[0] === 'tags' ? devicePath[1] : undefined;
    const here: string[] = [];
    let unplaced = 0;
    for (const device of expected) {
      const p = tag === undefined ? -1 : holder.partitionOf(tag, device);
      if (p < 0) unplaced++;
      else if (holder.owns(p)) here.push(device);
    }
    if (unplaced > 0 && !this.warnedUnplaced) {
      this.warnedUnplaced = true;
      this.node.warn(this.deps.t('warn.expected-unpartitioned', { count: unplaced, deviceKey: devicePath.join('.') }));
    }
    return here;
  }

  /** A partition moved in or out (partition-holder.ts): a fresh tracker from `snapshot`. */
  private rebuild(snapshot: HeartbeatSnapshot): void {
    const tracker = this.newTracker();
    tracker.restore(snapshot);
    this.tracker = tracker;
    this.dirty = true;
    this.arm();
    this.showStatus();
  }

  private control(tracker: HeartbeatTracker, msg: TelemetryMsg, send: Send, done: Done): void {
    const now = this.deps.clock.now();
    switch (msg.control) {
      case 'status': {
        // The asking msg comes back with the summary, so http in → … → http response works.
        const { control: _control, ...rest } = msg;
        send([null, { ...rest, ...summaryMsg(tracker.summary(DOWN_DEVICES_LIMIT)) }]);
        done();
        return;
      }
      case 'reset':
        tracker.reset(now);
        this.dirty = true;
        this.arm();
        this.showStatus(true);
        done();
        return;
      case 'forget': {
        const device = typeof msg.device === 'string' && msg.device !== '' ? msg.device : msg.topic;
        const change = typeof device === 'string' ? tracker.forget(device, now) : undefined;
        if (!change) {
          done(this.fail('UNKNOWN_DEVICE', 'errors.UNKNOWN_DEVICE', { device: String(device) }));
          return;
        }
        this.dirty = true;
        send([changeMsg(change, this.settings.emitReading), null]);
        this.showStatus();
        done();
        return;
      }
      default:
        done(this.fail('UNKNOWN_CONTROL', 'errors.UNKNOWN_CONTROL', { control: String(msg.control) }));
    }
  }

  /** Keeps the one timer set for the earliest deadline in the fleet. */
  private arm(): void {
    if (this.slice || !this.tracker) return; // a slice in progress re-arms when done
    const at = this.tracker.nextDueAt();
    if (at !== Infinity) this.timer.atEarliest(at);
  }

  /**
   * Sends at most STEPS_PER_TURN changes, then yields (setImmediate) while more are due:
   * 100,000 devices going down together leave the event loop free between slices.
   */
  private runSlice(): void {
    this.slice = undefined;
    const tracker = this.tracker;
    if (this.closed || !tracker) return;
    const changes: StateChange[] = [];
    const more = tracker.advance(this.deps.clock.now(), STEPS_PER_TURN, changes);
    if (changes.length > 0) {
      this.dirty = true;
      this.node.send([changes.map((change) => changeMsg(change, this.settings.emitReading)), null]);
      this.showStatus();
    }
    if (more) this.slice = setImmediate(() => this.runSlice());
    else this.arm();
  }

  private persist(): Promise<void> {
    const { tracker, deps } = this;
    if (!tracker || !deps.store || !this.dirty) return Promise.resolve();
    this.dirty = false;
    return deps.store.save(tracker.snapshot(deps.clock.now())).catch((err: Error) => {
      this.dirty = true;
      this.node.error(deps.t('errors.save-failed', { message: err.message }));
    });
  }

  private showStatus(force = false): void {
    const tracker = this.tracker;
    if (!tracker) return;
    this.status.set(() => {
      const text = this.deps.t('status.counts', { up: formatExact(tracker.up), down: formatExact(tracker.down) });
      return { fill: tracker.down > 0 ? 'red' : 'green', shape: 'dot', text };
    }, force);
  }

  private fail(code: string, key: string, params?: Record<string, string | number>): CodedError {
    return new CodedError(code, this.deps.t(key, params));
  }

  /** The editor's monitor sidebar (shared/monitor.ts): up/down counts, longest silent first. */
  figures(limits: FigureLimits): MonitorFigures {
    const summary = this.tracker?.summary(limits.list);
    return { readings: this.beats, ...(summary ? { devices: { up: summary.up, down: summary.down, downList: summary.downDevices } } : {}) };
  }
}
