/**
 * The Node-RED side of the alert engine: readings in, state changes out (output 1), a periodic
 * summary (output 2), the state persisted in a context store, and status. All alert logic is in
 * src/core/alert/.
 */
import type { Clock } from '../../core/clock';
import { AlertEngine, type AlertEvent } from '../../core/alert/engine';
import type { AlertSettings } from '../../core/alert/settings';
import { formatExact } from '../../core/rate';
import { asReadingList, type Reading, validateReading } from '../../core/reading';
import type { ContextStateStore } from '../shared/context-state';
import type { NodeController } from '../shared/controller';
import { Ticker } from '../shared/deadline-timer';
import { CodedError } from '../shared/messages';
import type { MonitorFigures } from '../shared/monitor';
import type { Done, Node, Send, TelemetryMsg } from '../shared/red';
import { RestoreGate, restoreThenStart } from '../shared/restore-gate';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';
import { alertMsg, summaryMsg } from './messages';

export interface AlertDeps {
  t: Translate;
  clock: Clock;
  /** Present when `persistState` is on. */
  store: ContextStateStore | undefined;
}

/** `alerting` in a summary lists at most this many (the oldest). */
export const ALERTING_LIMIT = 100;
/** How often the state is saved while running (besides on close), when it changed. */
export const PERSIST_EVERY_MS = 60_000;

export class AlertController implements NodeController {
  private engine: AlertEngine | undefined;
  private readonly held = new RestoreGate();
  private readonly tickers: Ticker[] = [];
  private readonly status: StatusThrottle;
  private dirty = false;
  private closed = false;
  /** Readings taken in since start (the monitor's rate). */
  private seen = 0;

  constructor(
    private readonly node: Pick<Node, 'send' | 'status' | 'warn' | 'error' | 'log'>,
    private readonly settings: AlertSettings,
    private readonly deps: AlertDeps,
  ) {
    this.status = new StatusThrottle(node, deps.clock);
    restoreThenStart(node, deps.t, deps.store, (value) => this.start(value));
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    const engine = this.engine;
    if (!engine) {
      if (!this.held.hold(msg, send, done)) done(this.fail('RESTORING', 'errors.RESTORING'));
      return;
    }
    if (msg.control !== undefined) {
      this.control(engine, msg, send, done);
      return;
    }
    const events: AlertEvent[] = [];
    let invalid = 0;
    let noKey = 0;
    let refused = 0;
    let firstProblem = '';
    for (const item of asReadingList(msg.payload)) {
      this.seen++;
      const problem = validateReading(item);
      if (problem) {
        invalid++;
        firstProblem ||= problem.message;
        continue;
      }
      const result = engine.add(item as Reading, events);
      if (result.noKey) noKey++;
      if (result.refused) refused++;
      this.dirty = true;
    }
    if (events.length > 0) send([events.map((event) => alertMsg(event, this.settings.emitReading)), null]);
    this.showStatus();
    const reasons: Array<{ code: string; text: string }> = [];
    const t = this.deps.t;
    if (invalid > 0) reasons.push({ code: 'NOT_A_READING', text: t('errors.NOT_A_READING', { count: invalid, detail: firstProblem }) });
    if (noKey > 0) reasons.push({ code: 'NO_KEY', text: t('errors.NO_KEY', { count: noKey, tags: this.settings.groupBy.join(', ') }) });
    if (refused > 0) reasons.push({ code: 'KEYS_FULL', text: t('errors.KEYS_FULL', { count: refused, max: formatExact(this.settings.maxKeys) }) });
    // One error per msg for Catch nodes: the first code, every reason in the message.
    const first = reasons[0];
    done(first ? new CodedError(first.code, reasons.map((r) => r.text).join('; ')) : undefined);
  }

  /** The editor's monitor sidebar (shared/monitor.ts). */
  figures(): MonitorFigures {
    return { readings: this.seen, alerting: this.engine?.alerting ?? 0 };
  }

  async close(removed: boolean): Promise<void> {
    this.closed = true;
    for (const ticker of this.tickers) ticker.stop();
    this.status.close();
    this.held.fail(() => this.fail('CLOSED', 'errors.closed'));
    // A removed node's context is deleted by the runtime: nothing to keep.
    if (removed) return;
    await this.persist();
  }

  private start(persisted: unknown): void {
    if (this.closed) return;
    const { settings, deps } = this;
    const engine = new AlertEngine(settings.rules, settings.groupBy, settings.maxKeys);
    if (persisted !== undefined) {
      const report = engine.restore(persisted);
      if ('error' in report) this.node.warn(deps.t('warn.bad-state', { reason: report.error }));
      else this.node.log(deps.t('log.restored', { restored: report.restored, dropped: report.dropped }));
    }
    this.engine = engine;
    if (settings.summaryIntervalMs !== undefined) {
      this.tickers.push(new Ticker(deps.clock, settings.summaryIntervalMs, () => this.node.send([null, summaryMsg(engine.summary(ALERTING_LIMIT))])));
    }
    if (deps.store) this.tickers.push(new Ticker(deps.clock, PERSIST_EVERY_MS, () => void this.persist()));
    this.showStatus(true);
    this.held.release((msg, send, done) => this.input(msg, send, done));
  }

  private control(engine: AlertEngine, msg: TelemetryMsg, send: Send, done: Done): void {
    switch (msg.control) {
      case 'status': {
        // The asking msg comes back with the summary, so http in → … → http response works.
        const { control: _control, ...rest } = msg;
        send([null, { ...rest, ...summaryMsg(engine.summary(ALERTING_LIMIT)) }]);
        done();
        return;
      }
      case 'reset':
        engine.reset();
        this.dirty = true;
        this.showStatus(true);
        done();
        return;
      default:
        done(this.fail('UNKNOWN_CONTROL', 'errors.UNKNOWN_CONTROL', { control: String(msg.control) }));
    }
  }

  private persist(): Promise<void> {
    const { engine, deps } = this;
    if (!engine || !deps.store || !this.dirty) return Promise.resolve();
    this.dirty = false;
    return deps.store.save(engine.snapshot()).catch((err: Error) => {
      this.dirty = true;
      this.node.error(deps.t('errors.save-failed', { message: err.message }));
    });
  }

  private showStatus(force = false): void {
    const engine = this.engine;
    if (!engine) return;
    this.status.set(() => {
      const alerting = engine.alerting;
      const text = alerting > 0 ? this.deps.t('status.alerting', { count: formatExact(alerting) }) : this.deps.t('status.ok');
      return { fill: alerting > 0 ? 'red' : 'green', shape: 'dot', text };
    }, force);
  }

  private fail(code: string, key: string, params?: Record<string, string | number>): CodedError {
    return new CodedError(code, this.deps.t(key, params));
  }
}
