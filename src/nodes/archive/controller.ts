import type { Destination } from '../../core/archive/batcher';
import { ReportAccumulator, archiveStatus } from '../../core/archive/report';
import { parseLine } from '../../core/line-protocol';
import { RateMeter, formatExact } from '../../core/rate';
import { Refusal, asReadingList, validateReading } from '../../core/reading';
import { DiskSpool } from '../../core/spool/disk-spool';
import { MemorySpool } from '../../core/spool/memory-spool';
import type { Spool } from '../../core/spool/types';
import { createSpoolFs } from '../../io/spool-fs';
import type { InfluxServer } from '../../io/influx-server';
import { rejectedMsg } from '../shared/messages';
import type { Done, Node, NodeMessage, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status';
import { ArchiveSettings, MEMORY_SPOOL_MAX_BYTES, checkTargetName, useGzip } from '../../core/archive/settings';
import { ArchiveEngine, EngineEvent } from '../../core/archive/engine';
import { createDatabasePort, createWritePort } from '../../io/influx-write-port';

/** Translates `telemetry-archive.<key>` (the runtime's RED._, bound to this node set). */
export type Translate = (key: string, params?: Record<string, string>) => string;

/** Spool directories in use in this process: two nodes must never share one. */
const spoolDirsInUse = new Map<string, string>();

const LOG_EVERY_MS = 60_000;
/** First backoff step; doubles per retry up to maxBackoff. */
const BASE_BACKOFF_MS = 500;
/** Batches waiting for a free write slot before further batches go to the spool (memory bound). */
const QUEUE_BATCHES = 4;

export class SpoolInUseError extends Error {
  constructor(readonly dir: string, readonly owner: string) {
    super(`spool directory ${dir} is already used by node ${owner}`);
  }
}

/**
 * The archive node's behaviour in Node-RED terms: msgs in, reports and refusals out, status,
 * logs, close. The engine does the work; this class translates.
 */
export class ArchiveController {
  private readonly engine: ArchiveEngine;
  private readonly spool: Spool;
  private readonly status: StatusThrottle;
  private readonly report = new ReportAccumulator(1_000);
  private readonly rate = new RateMeter(Date.now());
  private readonly ticker: NodeJS.Timeout;
  private reportTimer: NodeJS.Timeout | undefined;
  private warnedOverride = false;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;
  /** An unspoolable batch was logged; quiet until InfluxDB answers again. */
  private unspoolableLogged = false;
  /** drop-oldest dropped points since InfluxDB last answered: show it until it recovers. */
  private dropping = false;

  constructor(
    private readonly node: Node,
    private readonly settings: ArchiveSettings,
    private readonly server: InfluxServer,
    private readonly t: Translate,
    closeWaitMs: number,
    /** True while someone waits for durable completions (ack-after-archive). */
    private readonly deferDone: () => boolean = () => false,
  ) {
    this.status = new StatusThrottle(node);
    this.spool = this.openSpool();
    this.engine = new ArchiveEngine(
      {
        batchSize: settings.batchSize,
        flushIntervalMs: settings.flushIntervalMs,
        maxConcurrent: settings.maxConcurrent,
        maxRetries: settings.maxRetries,
        maxBackoffMs: settings.maxBackoffMs,
        baseBackoffMs: Math.min(BASE_BACKOFF_MS, settings.maxBackoffMs),
        queueBatches: QUEUE_BATCHES,
        closeWaitMs,
      },
      {
        write: createWritePort(server, useGzip(settings.gzip, server.url)),
        createDatabase: createDatabasePort(server),
        spool: this.spool,
        clock: { now: Date.now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      },
      (event) => this.onEvent(event),
    );
    this.ticker = setInterval(() => this.showStatus(), 1_000);
    this.showStatus(true);
    this.engine.start();
  }

  handleInput(msg: TelemetryMsg, send: Send, done: Done): void {
    if (msg.control !== undefined && msg.control !== null) {
      this.handleControl(msg, send, done);
      return;
    }
    const target = this.destination(msg);
    if (typeof target === 'string') {
      send([null, rejectedMsg(msg, 'BAD_DESTINATION', target)]);
      done();
      return;
    }
    const readings = asReadingList(msg.payload);
    const rejected: NodeMessage[] = [];
    const refuse = (index: number, refusal: Refusal): void => {
      rejected.push(rejectedMsg(msg, refusal.code, refusal.message, readings[index]));
    };
    // While an ingest acknowledges after the archive, and with the disk spool, the msg is completed
    // (done) only once its points are durable: written, spooled or refused for good. Otherwise at
    // once: holding msgs until then costs memory (~100 MB more RSS at 5,000 msg/s with a slow
    // InfluxDB). A batch can be spooled (settled) while the readings are still being added.
    let adding = true;
    const waiter = this.spool.durable && this.deferDone() ? { remaining: 0, settle: () => adding || done() } : undefined;
    if (this.engine.acceptReadings(target, readings, refuse, waiter) === 'spool-full') {
      // Nothing was taken: the invalid readings keep their own reason, the valid ones get SPOOL_FULL.
      const valid = readings.filter((reading, index) => {
        const problem = validateReading(reading);
        if (problem) refuse(index, problem);
        return !problem;
      });
      if (valid.length > 0) {
        rejected.push(rejectedMsg(msg, 'SPOOL_FULL', this.t('errors.spoolFullReject'), Array.isArray(msg.payload) ? valid : valid[0]));
      }
    }
    if (rejected.length > 0) send([null, rejected]);
    adding = false;
    if (!waiter || waiter.remaining === 0) done();
  }

  async close(removed: boolean): Promise<void> {
    clearInterval(this.ticker);
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    try {
      await this.engine.close();
    } finally {
      this.status.close();
      if (this.settings.spool) spoolDirsInUse.delete(this.settings.spoolDir);
    }
    const left = this.spool.stats().points;
    if (removed && left > 0 && this.spool.durable) {
      this.node.warn(this.t('errors.removedWithSpool', { points: formatExact(left), dir: this.settings.spoolDir }));
    }
  }

  // -------------------------------------------------------------------------------------------

  private openSpool(): Spool {
    const { settings } = this;
    if (!settings.spool) {
      return new MemorySpool({ maxBytes: Math.min(settings.spoolMaxBytes, MEMORY_SPOOL_MAX_BYTES), onFull: settings.onSpoolFull });
    }
    const owner = spoolDirsInUse.get(settings.spoolDir);
    if (owner !== undefined && owner !== this.node.id) throw new SpoolInUseError(settings.spoolDir, owner);
    const spool = new DiskSpool(createSpoolFs(settings.spoolDir), { maxBytes: settings.spoolMaxBytes, onFull: settings.onSpoolFull });
    const found = spool.open();
    spoolDirsInUse.set(settings.spoolDir, this.node.id);
    for (const problem of found.problems) this.node.warn(problem.message);
    if (found.points > 0) {
      this.node.log(this.t('log.spoolFound', { points: formatExact(found.points), dir: settings.spoolDir }));
    }
    return spool;
  }

  private handleControl(msg: TelemetryMsg, send: Send, done: Done): void {
    if (msg.control === 'flush') {
      this.engine.flush().then(() => done(), done);
      return;
    }
    if (msg.control === 'status') {
      send([{ payload: this.statusPayload() }, null]);
      done();
      return;
    }
    done(new Error(this.t('errors.badControl', { control: String(msg.control) })));
  }

  /** `msg.control = "status"`: the report so far plus the node's current state. */
  private statusPayload(): Record<string, unknown> {
    const state = this.engine.state();
    const { spool } = state;
    const report = this.report.takeNow(Date.now(), { bytes: spool.pendingBytes, points: spool.points });
    return {
      ...report,
      health: state.health,
      problem: state.problem ? { code: state.problem.code, message: state.problem.reason } : null,
      pending: state.pendingLines,
      inFlight: state.inFlight,
      spool: {
        points: spool.points,
        bytes: spool.pendingBytes,
        diskBytes: spool.bytes,
        maxBytes: spool.maxBytes,
        full: spool.full,
        durable: this.spool.durable,
        dir: this.spool.durable ? this.settings.spoolDir : null,
      },
    };
  }

  /** Where this msg's readings go: the config's database, or the msg's when allowed. */
  private destination(msg: TelemetryMsg): Destination | string {
    const target: Destination = { database: this.server.database, retentionPolicy: this.server.retentionPolicy };
    const wantsOverride = msg.database !== undefined || msg.retentionPolicy !== undefined;
    if (!wantsOverride) return target;
    if (!this.settings.allowMsgOverride) {
      if (!this.warnedOverride) this.node.warn(this.t('errors.overrideIgnored'));
      this.warnedOverride = true;
      return target;
    }
    if (msg.database !== undefined) {
      const problem = checkTargetName(msg.database);
      if (problem) return this.t('errors.badTarget', { name: 'msg.database', problem });
      target.database = (msg.database as string).trim();
    }
    if (msg.retentionPolicy !== undefined) {
      if (msg.retentionPolicy === '' || msg.retentionPolicy === null) {
        target.retentionPolicy = undefined;
      } else {
        const problem = checkTargetName(msg.retentionPolicy);
        if (problem) return this.t('errors.badTarget', { name: 'msg.retentionPolicy', problem });
        target.retentionPolicy = (msg.retentionPolicy as string).trim();
      }
    }
    return target;
  }

  private onEvent(event: EngineEvent): void {
    const now = Date.now();
    switch (event.type) {
      case 'written':
        this.rate.add(event.points, now);
        this.report.recordWrite(event.points, event.startedAt, event.endedAt, event.fromSpool);
        break;
      case 'retry':
        this.report.recordRetry();
        break;
      case 'spooled':
        this.report.recordSpooled(event.points);
        break;
      case 'refused':
        this.report.recordRefused(event.lines.length);
        this.node.send([null, event.lines.map((line) => this.refusedMsg(event.target, [line], event.code, event.reason))]);
        break;
      case 'unspoolable':
        this.report.recordRefused(event.lines.length);
        this.node.send([null, this.refusedMsg(event.target, event.lines, event.code, event.reason)]);
        if (!this.unspoolableLogged) this.node.error(this.t('errors.unspoolable', { points: formatExact(event.lines.length), reason: event.reason }));
        this.unspoolableLogged = true;
        break;
      case 'dropped':
        this.report.recordDropped(event.points);
        this.dropping = true;
        this.droppedSinceLog += event.points;
        if (now - this.lastDropLog >= LOG_EVERY_MS) {
          this.node.warn(this.t('errors.dropped', { points: formatExact(this.droppedSinceLog), dir: this.settings.spoolDir }));
          this.droppedSinceLog = 0;
          this.lastDropLog = now;
        }
        break;
      case 'health':
        this.onHealth(event);
        break;
      case 'spool-problem':
        if (event.problem.kind === 'corrupt') this.node.error(event.problem.message);
        else this.node.warn(event.problem.message);
        break;
      case 'lost':
        this.node.error(this.t('errors.lost', { points: formatExact(event.points), reason: event.reason }));
        break;
    }
    this.scheduleReport();
    this.showStatus(event.type === 'health');
  }

  private onHealth(event: Extract<EngineEvent, { type: 'health' }>): void {
    const spooled = formatExact(this.spool.stats().points);
    if (event.health === 'healthy') {
      this.unspoolableLogged = false;
      this.dropping = false;
      this.node.log(this.t('log.recovered', { points: spooled }));
    } else if (event.health === 'hold') {
      // Someone must act (credentials, permissions, retention policy): an error Catch nodes see.
      this.node.error(this.t('errors.hold', { code: event.verdict?.code ?? '', reason: event.verdict?.reason ?? '', points: spooled }));
    } else {
      this.node.warn(this.t('errors.degraded', { code: event.verdict?.code ?? '', reason: event.verdict?.reason ?? '' }));
    }
  }

  /** Output 2 msg for points the server refused or the spool could not take. */
  private refusedMsg(target: Destination, lines: string[], code: string, reason: string): NodeMessage {
    const readings = lines.map((line) => {
      try {
        return parseLine(line, 0, 'ms');
      } catch {
        return line;
      }
    });
    return {
      payload: readings.length === 1 ? readings[0] : readings,
      error: { code, message: reason },
      database: target.database,
      retentionPolicy: target.retentionPolicy,
      lines,
    } as NodeMessage;
  }

  private scheduleReport(): void {
    const due = this.report.dueAt();
    if (due === undefined || this.reportTimer) return;
    const wait = due - Date.now();
    if (wait <= 0) {
      this.sendReport();
      return;
    }
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.sendReport();
    }, wait);
  }

  private sendReport(): void {
    const spool = this.spool.stats();
    const report = this.report.take(Date.now(), { bytes: spool.pendingBytes, points: spool.points });
    if (report) this.node.send([{ payload: report }, null]);
    // A timer may fire a millisecond before Date.now() says it is due: try again then.
    else this.scheduleReport();
  }

  private showStatus(force = false): void {
    const state = this.engine.state();
    const view = archiveStatus({
      health: state.health,
      problem: state.problem?.code,
      rate: this.rate.rate(Date.now()),
      spoolPoints: state.spool.points,
      spoolFull: state.spool.full || this.dropping,
      onSpoolFull: this.settings.onSpoolFull,
      durable: this.spool.durable,
    });
    this.status.set({ fill: view.fill, shape: view.shape, text: this.t(`status.${view.key}`, view.params) }, force);
  }
}
