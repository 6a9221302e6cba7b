/**
 * The Node-RED side of the enrich node: the compiled rule chain applied to msgs in order,
 * [enriched, refused] out, file tables polled on the clock, status and logs. The rules and the
 * tables themselves are in src/core/enrich/.
 */
import * as path from 'node:path';
import type { Clock } from '../../core/clock';
import type { EnrichSettings } from '../../core/enrich/config';
import { EnrichResult, Enricher } from '../../core/enrich/engine';
import type { TableChange, TableFiles } from '../../core/enrich/table-files';
import { RateMeter, formatCount, formatExact } from '../../core/rate';
import type { NodeController } from '../shared/controller';
import { type MonitorFigures, RefusalLog } from '../shared/monitor';
import { DeadlineTimer, Ticker } from '../shared/deadline-timer';
import { rejectedMsg } from '../shared/messages';
import { livenessOf } from '../../core/liveness';
import type { Done, Node, NodeStatus, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';

/** Msgs that may wait for the tables' first load (a few hundred ms); more are refused. */
const MAX_WAITING_MSGS = 10_000;
const STATUS_EVERY_MS = 1_000;

/** What one input produces: a msg per output, or nothing (a consumed control msg). */
type Outputs = [TelemetryMsg | null, TelemetryMsg | null] | null;

export interface EnrichControllerOptions {
  node: Pick<Node, 'status' | 'log' | 'warn' | 'error'>;
  t: Translate;
  clock: Clock;
  settings: EnrichSettings;
  /** The tables the rules opened while they compiled. */
  files: TableFiles;
}

export class EnrichController implements NodeController {
  private readonly node: EnrichControllerOptions['node'];
  private readonly t: Translate;
  private readonly clock: Clock;
  private readonly files: TableFiles;
  private readonly enricher: Enricher;
  private readonly deadbands: ReturnType<Enricher['deadbands']>;
  private readonly ready: Promise<void>;
  private readonly meter: RateMeter;
  private readonly poll: DeadlineTimer;
  private readonly ticker: Ticker;
  private readonly status: StatusThrottle;
  private readonly warned = new Set<string>();
  /** The last msg's outputs: rules resolve at different speeds, msgs still leave in order. */
  private previous: Promise<void> = Promise.resolve();
  private loaded = false;
  private closed = false;
  private waiting = 0;
  private seen = 0;
  private refused = 0;
  private readonly refusalLog = new RefusalLog();
  private dropped = 0;
  private suppressed = 0;
  /** A deadband rule reached its series limit (warned once per deploy). */
  private deadbandFull = false;

  constructor({ node, t, clock, settings, files }: EnrichControllerOptions) {
    this.node = node;
    this.t = t;
    this.clock = clock;
    this.files = files;
    this.enricher = new Enricher(settings.chain);
    this.deadbands = this.enricher.deadbands();
    this.meter = new RateMeter(clock.now());
    this.status = new StatusThrottle(node, clock);
    // A chain of polls rather than an interval: a slow read never overlaps the next poll.
    this.poll = new DeadlineTimer(clock, () => void this.refresh().finally(() => this.poll.after(settings.reloadMs)));
    this.ready = this.refresh().finally(() => {
      this.loaded = true;
      this.showStatus(true);
      if (settings.reloadMs > 0 && files.size > 0) this.poll.after(settings.reloadMs);
    });
    this.ticker = new Ticker(clock, STATUS_EVERY_MS, () => this.showStatus());
    this.showStatus(true);
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    const outputs = this.handle(msg);
    this.previous = this.previous.then(() =>
      outputs.then(
        (out) => {
          if (out && (out[0] || out[1])) send(out);
          done();
        },
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      ),
    );
  }

  /** Stops the timers, then lets the msgs already in the rules leave (Node-RED caps the wait). */
  async close(): Promise<void> {
    this.closed = true;
    this.poll.stop();
    this.ticker.stop();
    this.status.close();
    await this.previous;
  }

  /** Enriches one msg; rejects only on an unexpected error (input hands it to done()). */
  private async handle(msg: TelemetryMsg): Promise<Outputs> {
    if (typeof msg.control === 'string') {
      if (msg.control === 'reload') await this.refresh(true);
      // A bare control msg: "reload" is ours; others (flush, status…) are for the nodes downstream.
      if (msg.payload === undefined) return msg.control === 'reload' ? null : [msg, null];
    }
    // A death notice (src/core/liveness.ts) holds no reading: it passes on to a heartbeat watch.
    if (livenessOf(msg)) return [msg, null];
    if (!this.loaded) await this.waitUntilLoaded();
    const isBatch = Array.isArray(msg.payload);
    const result = await this.enricher.apply(msg.payload, msg);
    const total = isBatch ? (msg.payload as unknown[]).length : 1;
    this.count(result, total);

    const rejected = result.refused.length > 0 ? this.rejected(msg, result, isBatch, total) : null;
    if (rejected) this.refusalLog.add(rejected, this.clock.now(), result.refused.length);
    let enriched: TelemetryMsg | null = null;
    // A new msg: the input is never changed, other nodes may share it (shared/fan-out.ts).
    if (result.readings.length > 0) enriched = { ...msg, payload: isBatch ? result.readings : result.readings[0] };
    return [enriched, rejected];
  }

  /** Loads the tables that changed (every one with `force`) and reports what changed. */
  private async refresh(force = false): Promise<void> {
    const changes = await this.files.refreshAll(force);
    if (!this.closed) for (const change of changes) this.tableChanged(change);
  }

  private async waitUntilLoaded(): Promise<void> {
    if (this.waiting >= MAX_WAITING_MSGS) throw new Error(this.t('errors.too-many-waiting', { count: MAX_WAITING_MSGS }));
    this.waiting++;
    try {
      await this.ready;
    } finally {
      this.waiting--;
    }
  }

  private rejected(msg: TelemetryMsg, result: EnrichResult, isBatch: boolean, total: number): TelemetryMsg {
    const first = result.refused[0] as EnrichResult['refused'][number];
    if (!isBatch) return rejectedMsg(msg, first.code, first.message, first.reading);
    const summary = this.t('errors.batch-refused', { count: result.refused.length, total, first: first.message });
    const out = rejectedMsg(msg, first.code, summary, result.refused.map((r) => r.reading));
    out.errors = result.refused.map(({ index, code, message }) => ({ index, code, message }));
    return out;
  }

  private count(result: EnrichResult, total: number): void {
    this.seen += total;
    this.meter.add(total, this.clock.now());
    this.dropped += result.dropped;
    this.suppressed += result.suppressed;
    if (!this.deadbandFull && this.deadbands.length > 0) this.checkDeadbands();
    this.refused += result.refused.length;
    for (const { code, message } of result.refused) {
      // Once per code and deploy: visible even when output 2 is not wired, never a log flood.
      if (this.warned.has(code)) continue;
      this.warned.add(code);
      this.node.warn(this.t('warn.first-refusal', { code, message }));
    }
    this.showStatus();
  }

  private checkDeadbands(): void {
    for (const { rule, deadband } of this.deadbands) {
      if (deadband.overflow === 0) continue;
      this.deadbandFull = true;
      this.node.warn(this.t('warn.deadband-full', { rule, field: deadband.spec.field, max: formatExact(deadband.maxSeries) }));
      return;
    }
  }

  private tableChanged({ table, outcome }: TableChange): void {
    const file = path.basename(table.path);
    if (outcome.kind === 'loaded') {
      this.node.log(this.t('log.loaded', { file, rows: outcome.rows }));
      if (outcome.duplicates > 0) this.node.warn(this.t('warn.duplicates', { file, count: outcome.duplicates }));
    } else if (outcome.kept === undefined) {
      this.node.error(this.t('errors.table-unavailable', { message: outcome.message }));
    } else {
      this.node.warn(this.t('warn.table-kept', { message: outcome.message, rows: outcome.kept }));
    }
    this.showStatus(true);
  }

  private showStatus(force = false): void {
    this.status.set(() => this.statusView(), force);
  }

  private statusView(): NodeStatus {
    const broken = this.files.firstProblem();
    if (!this.loaded) return { fill: 'grey', shape: 'ring', text: this.t('status.loading', { count: this.files.size }) };
    if (broken) {
      const file = path.basename(broken.path);
      const rows = broken.current()?.size;
      const text = rows === undefined ? this.t('status.table-missing', { file }) : this.t('status.table-kept', { file, rows: formatExact(rows) });
      return { fill: rows === undefined ? 'red' : 'yellow', shape: 'ring', text };
    }
    if (this.seen === 0) return { fill: 'green', shape: 'ring', text: this.t('status.ready', { count: this.enricher.ruleCount }) };
    let text = this.t('status.rate', { rate: formatCount(this.meter.rate(this.clock.now())) });
    if (this.refused > 0) text += ` · ${this.t('status.refused', { count: formatExact(this.refused) })}`;
    if (this.dropped > 0) text += ` · ${this.t('status.dropped', { count: formatExact(this.dropped) })}`;
    if (this.suppressed > 0) text += ` · ${this.t('status.suppressed', { count: formatCount(this.suppressed) })}`;
    if (this.deadbandFull) text += ` · ${this.t('status.deadband-full')}`;
    return { fill: this.refused > 0 || this.deadbandFull ? 'yellow' : 'green', shape: 'dot', text };
  }

  /** The editor's monitor sidebar (shared/monitor.ts). */
  figures(): MonitorFigures {
    return { readings: this.seen, refused: this.refused };
  }

  refusals(): ReturnType<RefusalLog['list']> {
    return this.refusalLog.list();
  }
}
