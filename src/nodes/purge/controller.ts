import { formatDuration } from '../../core/duration';
import { formatCount } from '../../core/rate';
import { PurgeError } from '../../core/purge/errors';
import type { QueryResult } from '../../core/purge/influx-results';
import { MeasurementReport, PurgeIo, RunResult, runPurge } from '../../core/purge/runner';
import { ActiveRun, RunProgress, RunState, Trigger } from '../../core/purge/run-state';
import { PurgeSettings, settingsForRun } from '../../core/purge/settings';
import type { InfluxServer } from '../../io/influx-server';
import { CodedError } from '../shared/messages';
import type { Done, Node, NodeStatus, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status';
import { LongTimer, setLongTimeout } from '../shared/long-timer';

/**
 * The purge node's behaviour behind the Node-RED shell: triggers (input, schedule, control),
 * one run at a time, status, reports and errors. The run itself is core/purge/runner.
 */
export interface PurgeControllerOptions {
  node: Pick<Node, 'status' | 'send' | 'error' | 'warn' | 'debug'>;
  /** Parsed config, or the PurgeError that made it invalid. */
  settings: PurgeSettings | PurgeError;
  server: InfluxServer | undefined;
  /** RED._ scoped to `telemetry-purge.`: `t('status.done', {…})`. */
  t: (key: string, params?: Record<string, unknown>) => string;
  now?: () => number;
  /** How long close() waits for the statement in flight before letting Node-RED go on. */
  closeWaitMs?: number;
  maxPointsPerStatement?: number;
}

interface Caller {
  msg: TelemetryMsg;
  send: Send;
  done: Done;
}

export class PurgeController {
  private readonly state = new RunState();
  private readonly status: StatusThrottle;
  private readonly now: () => number;
  private timer: LongTimer | undefined;
  private current: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: PurgeControllerOptions) {
    this.now = options.now ?? Date.now;
    this.status = new StatusThrottle(options.node);
    const { settings } = options;
    if (settings instanceof PurgeError) {
      this.fail(settings, undefined, 'config');
      return;
    }
    if (!options.server) {
      this.fail(new PurgeError('NO_SERVER', 'no InfluxDB server configured', {}), undefined, 'config');
      return;
    }
    this.status.set(this.idleStatus(settings), true);
    this.scheduleNext();
  }

  onInput(msg: TelemetryMsg, send: Send, done: Done): void {
    if (msg.control !== undefined) {
      this.onControl(msg, done);
      return;
    }
    const { settings } = this.options;
    if (settings instanceof PurgeError) return done(this.codedError(settings));
    if (!this.options.server) return done(this.codedError(new PurgeError('NO_SERVER', 'no InfluxDB server configured', {})));
    let run: PurgeSettings;
    try {
      run = settingsForRun(settings, msg.payload);
    } catch (err) {
      return done(this.codedError(err));
    }
    this.start('input', run, { msg, send, done });
  }

  /** Stops the schedule and the run in progress (after its current statement). */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.clear();
    this.timer = undefined;
    this.state.cancel();
    const running = this.current;
    if (running) {
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((resolve) => (wait = setTimeout(resolve, this.options.closeWaitMs ?? 5_000)))]);
      if (wait) clearTimeout(wait);
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

  private scheduleNext(): void {
    const { settings } = this.options;
    if (this.closed || settings instanceof PurgeError || settings.scheduleMs === undefined) return;
    this.timer = setLongTimeout(() => {
      this.timer = undefined;
      this.start('schedule', settings);
      this.scheduleNext();
    }, settings.scheduleMs);
  }

  private start(trigger: Trigger, settings: PurgeSettings, caller?: Caller): void {
    const active = this.state.tryStart(trigger, this.now(), settings.dryRun);
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
    const server = this.options.server as InfluxServer;
    const io: PurgeIo = {
      query: (q, db) => server.query(q, db) as Promise<QueryResult[]>,
      serverVersion: async () => {
        const header = (await server.http.ping()).headers['x-influxdb-version'];
        return Array.isArray(header) ? header[0] : header;
      },
      now: this.now,
    };
    this.showProgress(active, true); // idle → running is a state change: shown at once
    const result = await runPurge(io, {
      settings,
      target: { database: server.database, retentionPolicy: server.retentionPolicy },
      isCancelled: () => active.cancelled || this.closed,
      onProgress: (p) => {
        active.progress = p;
        this.showProgress(active);
      },
      onStatement: (q) => this.options.node.debug(q),
      ...(this.options.maxPointsPerStatement ? { maxPointsPerStatement: this.options.maxPointsPerStatement } : {}),
    }).catch((err: unknown): RunResult => ({ reports: [], server: { version: undefined }, cutoff: undefined, error: new PurgeError('SERVER', String(err), { reason: String(err) }) }));
    this.report(active, settings, result, caller);
  }

  private report(active: ActiveRun, settings: PurgeSettings, result: RunResult, caller: Caller | undefined): void {
    const measured = result.reports.filter((r): r is MeasurementReport => 'measurement' in r);
    const sum = (k: 'matched' | 'deleted' | 'downsampled'): number => measured.reduce((n, r) => n + r[k], 0);
    const summary = {
      finishedAt: this.now(),
      dryRun: settings.dryRun,
      matched: sum('matched'),
      deleted: sum('deleted'),
      downsampled: sum('downsampled'),
      measurements: measured.length,
      error: result.error?.code,
    };
    this.state.finish(active, summary);
    const server = this.options.server as InfluxServer;
    const out: TelemetryMsg = {
      ...(caller?.msg ?? {}),
      topic: caller?.msg.topic ?? 'purge',
      payload: result.reports,
      purge: {
        mode: settings.mode,
        trigger: active.trigger,
        dryRun: settings.dryRun,
        database: server.database,
        retentionPolicy: server.retentionPolicy,
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
  private fail(error: PurgeError, msg: TelemetryMsg | undefined, kind: 'run' | 'config' = 'run'): CodedError {
    const err = this.codedError(error);
    this.status.set({ fill: 'red', shape: 'ring', text: this.options.t(`status.${kind}Error`, { code: err.code, message: err.message.slice(0, 60) }) }, true);
    if (kind === 'config') this.options.node.error(err.message);
    else if (msg && msg.purge && (msg.purge as { trigger?: string }).trigger === 'schedule') this.options.node.error(err.message, msg);
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
