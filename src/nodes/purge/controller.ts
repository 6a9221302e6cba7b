import type { Clock } from '../../core/clock';
import { formatDuration } from '../../core/duration';
import { formatCount } from '../../core/rate';
import { PurgeError } from '../../core/purge/errors';
import { MeasurementReport, PurgeIo, PurgeTarget, RunResult, runPurge } from '../../core/purge/runner';
import { ActiveRun, RunProgress, RunState, Trigger } from '../../core/purge/run-state';
import { PurgeSettings, settingsForRun } from '../../core/purge/settings';
import type { NodeController } from '../shared/controller';
import { DeadlineTimer, Ticker } from '../shared/deadline-timer';
import { CodedError } from '../shared/messages';
import type { MonitorFigures } from '../shared/monitor';
import type { Done, Node, NodeStatus, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';
import type { ScheduleTurn } from './leader';

/** How long close() waits for the statement in flight before letting Node-RED go on. */
const CLOSE_WAIT_MS = 5_000;

/**
 * The purge node's behaviour behind the Node-RED shell: triggers (input, schedule, control),
 * one run at a time, status, reports and errors. The run itself is core/purge/runner.
 */
export interface PurgeControllerOptions {
  node: Pick<Node, 'status' | 'send' | 'error' | 'warn' | 'debug'>;
  settings: PurgeSettings;
  /** The influxdb config node's server, as the runner sees it. */
  io: PurgeIo;
  target: PurgeTarget;
  t: Translate;
  clock: Clock;
  /** Scheduled runs: whether this member leads them now (src/nodes/purge/leader.ts); default yes. */
  scheduleTurn?: () => ScheduleTurn;
}

interface Caller {
  msg: TelemetryMsg;
  send: Send;
  done: Done;
}

export class PurgeController implements NodeController {
  private readonly state = new RunState();
  private readonly status: StatusThrottle;
  private readonly schedule: Ticker | undefined;
  private current: Promise<void> | undefined;
  /** The editor's monitor sidebar (shared/monitor.ts): health comes from the status; runs skipped. */
  figures(): MonitorFigures {
    return { readings: 0, refused: this.state.skipped };
  }
  private closed = false;

  constructor(private readonly options: PurgeControllerOptions) {
    const { settings, clock } = options;
    this.status = new StatusThrottle(options.node, clock);
    this.status.set(this.idleStatus(settings), true);
    if (settings.scheduleMs !== undefined) this.schedule = new Ticker(clock, settings.scheduleMs, () => this.scheduled(settings));
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    if (msg.control !== undefined) {
      this.onControl(msg, done);
      return;
    }
    let run: PurgeSettings;
    try {
      run = settingsForRun(this.options.settings, msg.payload);
    } catch (err) {
      return done(this.codedError(err));
    }
    this.start('input', run, { msg, send, done });
  }

  /** Stops the schedule and the run in progress (after its current statement, or CLOSE_WAIT_MS). */
  async close(): Promise<void> {
    this.closed = true;
    this.schedule?.stop();
    this.state.cancel();
    const running = this.current;
    if (running) {
      let timer: DeadlineTimer | undefined;
      await Promise.race([running, new Promise<void>((resolve) => (timer = new DeadlineTimer(this.options.clock, () => resolve())).after(CLOSE_WAIT_MS))]);
      timer?.stop();
    }
    this.status.close();
  }

  private onControl(msg: TelemetryMsg, done: Done): void {
    if (msg.control === 'cancel') {
      if (this.state.cancel()) this.status.set({ fill: 'yellow', shape: 'ring', text: this.options.t('status.cancelling') }, true);
      done();
      return;
    }
    done(new CodedError('BAD_CONTROL', this.options.t('errors.BAD_CONTROL', { control: String(msg.control) })));
  }

  /** A scheduled run: only on the member that leads scheduled purges (leader.ts). */
  private scheduled(settings: PurgeSettings): void {
    const turn = this.options.scheduleTurn?.() ?? { lead: true };
    if (turn.lead) return this.start('schedule', settings);
    const text = this.options.t('status.notLeader', { group: turn.group });
    this.options.node.debug(text);
    this.status.set({ fill: 'grey', shape: 'ring', text }, true);
  }

  private start(trigger: Trigger, settings: PurgeSettings, caller?: Caller): void {
    const active = this.state.tryStart(trigger, this.options.clock.now(), settings.dryRun);
    if (!active) {
      const running = this.state.running as ActiveRun;
      const text = this.options.t('errors.BUSY', { trigger, since: new Date(running.startedAt).toISOString(), skipped: this.state.skipped });
      if (caller) caller.done(new CodedError('BUSY', text));
      else this.options.node.warn(text);
      this.showProgress(running);
      return;
    }
    this.current = this.execute(active, settings, caller).finally(() => {
      this.current = undefined;
    });
  }

  private async execute(active: ActiveRun, settings: PurgeSettings, caller: Caller | undefined): Promise<void> {
    this.showProgress(active, true); // idle → running is a state change: shown at once
    const result = await runPurge(this.options.io, {
      settings,
      target: this.options.target,
      isCancelled: () => active.cancelled || this.closed,
      onProgress: (p) => {
        active.progress = p;
        this.showProgress(active);
      },
      onStatement: (q) => this.options.node.debug(q),
    }).catch((err: unknown): RunResult => ({ reports: [], server: { version: undefined }, cutoff: undefined, error: new PurgeError('SERVER', String(err), { reason: String(err) }) }));
    this.report(active, settings, result, caller);
  }

  private report(active: ActiveRun, settings: PurgeSettings, result: RunResult, caller: Caller | undefined): void {
    const measured = result.reports.filter((r): r is MeasurementReport => 'measurement' in r);
    const sum = (k: 'matched' | 'deleted' | 'downsampled'): number => measured.reduce((n, r) => n + r[k], 0);
    const summary = {
      finishedAt: this.options.clock.now(),
      dryRun: settings.dryRun,
      matched: sum('matched'),
      deleted: sum('deleted'),
      downsampled: sum('downsampled'),
      measurements: measured.length,
      error: result.error?.code,
    };
    this.state.finish(active, summary);
    const { target } = this.options;
    const out: TelemetryMsg = {
      ...(caller?.msg ?? {}),
      topic: caller?.msg.topic ?? 'purge',
      payload: result.reports,
      purge: {
        mode: settings.mode,
        trigger: active.trigger,
        dryRun: settings.dryRun,
        database: target.database,
        retentionPolicy: target.retentionPolicy,
        cutoff: result.cutoff,
        server: result.server.version,
        startedAt: active.startedAt,
        durationMs: summary.finishedAt - active.startedAt,
        ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
      },
    } as TelemetryMsg;
    if (this.closed) {
      if (result.error?.code === 'CANCELLED') this.options.node.warn(this.options.t('warn.closed', { deleted: summary.deleted }));
      caller?.done();
      return;
    }
    if (result.error) {
      const err = this.fail(result.error, out);
      if (caller) {
        Object.assign(caller.msg, { payload: out.payload, purge: out.purge });
        caller.done(err);
      }
      return;
    }
    this.status.set(this.doneStatus(settings, summary), true);
    if (caller) {
      caller.send(out);
      caller.done();
    } else this.options.node.send(out);
  }

  private codedError(err: unknown): CodedError {
    if (!(err instanceof PurgeError)) return new CodedError('SERVER', String((err as Error)?.message ?? err));
    const key = `errors.${err.code}`;
    const text = this.options.t(key, { ...err.params, message: err.message });
    return new CodedError(err.code, text && !text.endsWith(key) ? text : err.message);
  }

  /** Red status; for a run without a caller, node.error so Catch nodes see it. */
  private fail(error: PurgeError, msg: TelemetryMsg): CodedError {
    const err = this.codedError(error);
    this.status.set({ fill: 'red', shape: 'ring', text: this.options.t('status.runError', { code: err.code, message: err.message.slice(0, 60) }) }, true);
    if ((msg.purge as { trigger?: string }).trigger === 'schedule') this.options.node.error(err.message, msg);
    return err;
  }

  private idleStatus(settings: PurgeSettings): NodeStatus {
    const params = {
      mode: settings.mode,
      olderThan: formatDuration(settings.olderThanMs),
      schedule: settings.scheduleMs ? formatDuration(settings.scheduleMs) : '',
    };
    const key = settings.scheduleMs ? 'status.readyScheduled' : 'status.ready';
    return { fill: 'grey', shape: settings.dryRun ? 'ring' : 'dot', text: `${settings.dryRun ? this.options.t('status.dryRunPrefix') : ''}${this.options.t(key, params)}` };
  }

  private showProgress(active: ActiveRun, force = false): void {
    const p: RunProgress = active.progress;
    const params = {
      percent: Math.floor(p.fraction * 100),
      measurement: p.measurement ?? '',
      matched: formatCount(p.matched),
      deleted: formatCount(p.deleted),
      slices: p.slices,
      skipped: this.state.skipped,
    };
    const key = active.dryRun ? 'status.runningDry' : 'status.running';
    let text = this.options.t(key, params);
    if (this.state.skipped > 0) text += this.options.t('status.skipped', params);
    this.status.set({ fill: 'blue', shape: active.dryRun ? 'ring' : 'dot', text }, force);
  }

  private doneStatus(settings: PurgeSettings, summary: { matched: number; deleted: number; downsampled: number; finishedAt: number }): NodeStatus {
    const params = {
      matched: formatCount(summary.matched),
      deleted: formatCount(summary.deleted),
      downsampled: formatCount(summary.downsampled),
      time: new Date(summary.finishedAt).toISOString().slice(11, 16),
    };
    if (settings.mode === 'retention-policy') return { fill: 'green', shape: 'dot', text: this.options.t(settings.dryRun ? 'status.rpDry' : 'status.rpDone', params) };
    return { fill: 'green', shape: settings.dryRun ? 'ring' : 'dot', text: this.options.t(settings.dryRun ? 'status.doneDry' : 'status.done', params) };
  }
}
