/**
 * The Node-RED side of the enrich node: config → compiled rule chain, file tables polled on a
 * timer, msgs in → [enriched, refused] out, status and logs. The rules themselves are in
 * src/core/enrich/.
 */
import * as path from 'path';
import { parseOptionalDuration } from '../../core/duration';
import { EnrichResult, Enricher } from '../../core/enrich/engine';
import type { FileTable, RefreshOutcome } from '../../core/enrich/file-table';
import { ON_MISSING, OnMissing, compileRules } from '../../core/enrich/rules';
import { RateMeter, formatCount, formatExact } from '../../core/rate';
import { rejectedMsg } from '../shared/messages';
import type { Node, NodeAPI, NodeDef, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status';
import { redValueSources } from './red-values';
import { TableFiles } from './table-files';

/** Config as saved in the flow (DESIGN.md §5 telemetry-enrich; `reloadInterval` is ours). */
export interface EnrichConfig extends NodeDef {
  rules?: unknown;
  onMissing?: string;
  reloadInterval?: string | number;
}

export const DEFAULT_RELOAD_INTERVAL_MS = 2_000;
/** Msgs that may wait for the tables' first load (a few hundred ms); more are refused. */
export const MAX_WAITING_MSGS = 10_000;

export type Translate = (key: string, params?: Record<string, string | number>) => string;

/** A config problem: the node shows it and refuses msgs, the runtime carries on. */
export class EnrichConfigError extends Error {}

/** What one input produces: a msg per output, or nothing (a consumed control msg). */
export type Outputs = [TelemetryMsg | null, TelemetryMsg | null] | null;

export class EnrichController {
  private readonly enricher: Enricher;
  private readonly files: TableFiles;
  private readonly ready: Promise<void>;
  private loaded = false;
  private waiting = 0;
  private readonly meter = new RateMeter(Date.now());
  private readonly ticker: NodeJS.Timeout;
  private readonly status: StatusThrottle;
  private readonly warned = new Set<string>();
  private seen = 0;
  private refused = 0;
  private dropped = 0;

  constructor(
    RED: NodeAPI,
    private readonly node: Node,
    config: EnrichConfig,
    private readonly t: Translate,
  ) {
    const onMissing = (config.onMissing || 'pass') as OnMissing;
    if (!ON_MISSING.includes(onMissing)) throw new EnrichConfigError(`onMissing must be one of ${ON_MISSING.join(', ')}`);
    let reloadMs: number;
    try {
      reloadMs = parseOptionalDuration(config.reloadInterval, DEFAULT_RELOAD_INTERVAL_MS) as number;
    } catch (err) {
      throw new EnrichConfigError(`reloadInterval: ${(err as Error).message}`);
    }
    this.files = new TableFiles(RED.settings.userDir ?? process.cwd(), {
      changed: (table, outcome) => this.tableChanged(table, outcome),
    });
    try {
      this.enricher = new Enricher(
        compileRules(config.rules, {
          ...redValueSources(RED, node),
          openFile: (file, format, options) => this.files.open(file, format, options),
          onMissing,
        }),
      );
    } catch (err) {
      throw new EnrichConfigError((err as Error).message);
    }
    this.status = new StatusThrottle(node);
    this.ready = this.files.start(reloadMs).finally(() => {
      this.loaded = true;
      this.showStatus(true);
    });
    this.ticker = setInterval(() => this.showStatus(), 1_000);
    this.showStatus(true);
  }

  /** Enriches one msg; rejects only on an unexpected error (the caller hands it to done()). */
  async handle(msg: TelemetryMsg): Promise<Outputs> {
    if (typeof msg.control === 'string') {
      if (msg.control === 'reload') await this.files.refreshAll(true);
      // A bare control msg: "reload" is ours; others (flush, status…) are for the nodes downstream.
      if (msg.payload === undefined) return msg.control === 'reload' ? null : [msg, null];
    }
    if (!this.loaded) await this.waitUntilLoaded();
    const isBatch = Array.isArray(msg.payload);
    const result = await this.enricher.apply(msg.payload, msg);
    const total = isBatch ? (msg.payload as unknown[]).length : 1;
    this.count(result, total);

    const rejected = result.refused.length > 0 ? this.rejected(msg, result, isBatch, total) : null;
    let enriched: TelemetryMsg | null = null;
    if (result.readings.length > 0) {
      msg.payload = isBatch ? result.readings : result.readings[0];
      enriched = msg;
    }
    return [enriched, rejected];
  }

  close(): void {
    this.files.close();
    clearInterval(this.ticker);
    this.status.close();
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
    this.meter.add(total, Date.now());
    this.dropped += result.dropped;
    this.refused += result.refused.length;
    for (const { code, message } of result.refused) {
      // Once per code and deploy: visible even when output 2 is not wired, never a log flood.
      if (this.warned.has(code)) continue;
      this.warned.add(code);
      this.node.warn(this.t('warn.first-refusal', { code, message }));
    }
    this.showStatus();
  }

  private tableChanged(table: FileTable, outcome: Exclude<RefreshOutcome, { kind: 'unchanged' }>): void {
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
    const broken = this.files.firstProblem();
    if (!this.loaded) {
      this.status.set({ fill: 'grey', shape: 'ring', text: this.t('status.loading', { count: this.files.size }) }, force);
      return;
    }
    if (broken) {
      const file = path.basename(broken.path);
      const rows = broken.current()?.size;
      const text = rows === undefined ? this.t('status.table-missing', { file }) : this.t('status.table-kept', { file, rows: formatExact(rows) });
      this.status.set({ fill: rows === undefined ? 'red' : 'yellow', shape: 'ring', text }, force);
      return;
    }
    if (this.seen === 0) {
      this.status.set({ fill: 'green', shape: 'ring', text: this.t('status.ready', { count: this.enricher.ruleCount }) }, force);
      return;
    }
    let text = this.t('status.rate', { rate: formatCount(this.meter.rate(Date.now())) });
    if (this.refused > 0) text += ` · ${this.t('status.refused', { count: formatExact(this.refused) })}`;
    if (this.dropped > 0) text += ` · ${this.t('status.dropped', { count: formatExact(this.dropped) })}`;
    this.status.set({ fill: this.refused > 0 ? 'yellow' : 'green', shape: 'dot', text }, force);
  }
}
