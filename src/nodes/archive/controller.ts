import type { Clock } from '../../core/clock';
import type { Destination } from '../../core/archive/batcher';
import { ArchiveEngine, EngineEvent, EnginePorts } from '../../core/archive/engine';
import { ReportAccumulator, archiveStatus } from '../../core/archive/report';
import { ArchiveSettings, checkTargetName } from '../../core/archive/settings';
import { type SchemaLimits, SchemaTracker } from '../../core/archive/schema-limits';
import { parseLine } from '../../core/line-protocol';
import { RateMeter, formatExact } from '../../core/rate';
import { asReadingList, validateReading } from '../../core/reading';
import type { ArchiveRefusal } from '../../core/archive/line-buffer';
import type { Spool } from '../../core/spool/types';
import type { NodeController } from '../shared/controller';
import { DeadlineTimer, Ticker } from '../shared/deadline-timer';
import type { DurableSink } from '../shared/durability';
import { CodedError, rejectedMsg } from '../shared/messages';
import type { MonitorFigures } from '../shared/monitor';
import type { Done, Node, NodeMessage, Send, TelemetryMsg } from '../shared/red';
import { StatusThrottle } from '../shared/status-throttle';
import type { Translate } from '../shared/translate';
import { eventLoopTurns } from '../shared/turns';

const LOG_EVERY_MS = 60_000;
/** First backoff step; doubles per retry up to maxBackoff. */
const BASE_BACKOFF_MS = 500;
/** setImmediate turns a closing archive waits for msgs sent to it just before the flow stopped. */
const CLOSE_ARRIVAL_TURNS = 2;
/** Batches waiting for a free write slot before further batches go to the spool (memory bound). */
const QUEUE_BATCHES = 4;

export interface ArchiveParts {
  node: Node;
  settings: ArchiveSettings;
  /** The config node's database and retention policy (the default destination). */
  target: Destination;
  t: Translate;
  clock: Clock;
  spool: Spool;
  /** InfluxDB's write and create-database requests. */
  influx: Pick<EnginePorts, 'write' | 'createDatabase'>;
  /** With the disk spool: done() waits until a msg's readings are durable while someone follows. */
  sink: DurableSink | undefined;
  /** InfluxDB 3: its schema limits, checked before writing; undefined for 1.x and 2.x. */
  schemaLimits?: SchemaLimits | undefined;
  /** How long close() waits for requests in flight. */
  closeWaitMs: number;
  /** Called once the engine has closed the spool. */
  onClosed(): void;
}

/**
 * The archive node's behaviour in Node-RED terms: msgs in, reports and refusals out, status,
 * logs, close. The engine does the work; this class translates.
 */
export class ArchiveController implements NodeController {
  private readonly node: Node;
  private readonly settings: ArchiveSettings;
  private readonly t: Translate;
  private readonly clock: Clock;
  private readonly spool: Spool;
  private readonly target: Destination;
  private readonly sink: DurableSink | undefined;
  private readonly onClosed: () => void;
  private readonly engine: ArchiveEngine;
  private readonly status: StatusThrottle;
  private readonly report = new ReportAccumulator(1_000);
  private readonly rate: RateMeter;
  private readonly ticker: Ticker;
  private readonly reportTimer: DeadlineTimer;
  /** The engine's one timer: its next flush, backoff end or close wait. */
  private readonly engineTimer: DeadlineTimer;
  private warnedOverride = false;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;
  /** An unspoolable batch was logged; quiet until InfluxDB answers again. */
  private unspoolableLogged = false;
  /** drop-oldest dropped points since InfluxDB last answered: show it until it recovers. */
  private dropping = false;

  constructor(parts: ArchiveParts) {
    const { node, settings, clock, spool } = parts;
    ({ node: this.node, settings: this.settings, t: this.t, clock: this.clock, spool: this.spool } = parts);
    ({ target: this.target, sink: this.sink, onClosed: this.onClosed } = parts);
    this.rate = new RateMeter(clock.now());
    this.status = new StatusThrottle(node, clock);
    this.engineTimer = new DeadlineTimer(clock, (now) => {
      this.engine.tick(now);
      this.engineTimer.atEarliest(this.engine.nextDeadline());
    });
    this.engine = new ArchiveEngine(
      {
        batchSize: settings.batchSize,
        flushIntervalMs: settings.flushIntervalMs,
        maxConcurrent: settings.maxConcurrent,
        maxRetries: settings.maxRetries,
        maxBackoffMs: settings.maxBackoffMs,
        baseBackoffMs: Math.min(BASE_BACKOFF_MS, settings.maxBackoffMs),
        queueBatches: QUEUE_BATCHES,
        closeWaitMs: parts.closeWaitMs,
        fieldTypes: settings.fieldTypes,
        schema: parts.schemaLimits ? new SchemaTracker(parts.schemaLimits) : undefined,
        replayRateCap: settings.replayRateCap,
      },
      { ...parts.influx, spool, now: () => clock.now(), wake: (deadline) => this.engineTimer.atEarliest(deadline) },
      (event) => this.onEvent(event),
    );
    this.reportTimer = new DeadlineTimer(clock, () => this.sendReport());
    this.ticker = new Ticker(clock, 1_000, () => this.showStatus());
    this.showStatus(true);
    this.engine.start();
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
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
    const refuse = (index: number, refusal: ArchiveRefusal): void => {
      rejected.push(rejectedMsg(msg, refusal.code, refusal.message, readings[index]));
    };
    // While an ingest acknowledges after the archive (and only with the disk spool), the msg is
    // completed once its points are durable: written, spooled or refused for good. Otherwise at
    // once: holding msgs costs memory (~100 MB more RSS at 5,000 msg/s with a slow InfluxDB).
    const hold = this.sink?.holdDone === true;
    const taken = this.engine.acceptReadings(target, readings, refuse, hold ? () => done() : undefined);
    if (taken === 'closed') {
      // Sent before the flow stopped, delivered after this node closed: not taken, not durable
      // (an ack-after-archive ingest leaves it unacknowledged, so the broker delivers it again).
      done(new CodedError('CLOSED', this.t('errors.closed')));
      return;
    }
    if (taken === 'spool-full') {
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
    if (!hold) done();
  }

  async close(removed: boolean): Promise<void> {
    this.ticker.stop();
    this.reportTimer.stop();
    // Node-RED closes every node of the flow in one turn; msgs the nodes upstream sent just before
    // (an ingest's last batch, sent from its own close) arrive on the next turns: take them in.
    await eventLoopTurns(CLOSE_ARRIVAL_TURNS);
    try {
      await this.engine.close();
    } finally {
      this.engineTimer.stop();
      this.status.close();
      this.onClosed();
    }
    const left = this.spool.stats().points;
    if (removed && left > 0 && this.spool.durable) {
      this.node.warn(this.t('errors.removedWithSpool', { points: formatExact(left), dir: this.settings.spoolDir }));
    }
  }

  // -------------------------------------------------------------------------------------------

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
    const report = this.report.takeNow(this.clock.now(), { bytes: spool.pendingBytes, points: spool.points });
    return {
      ...report,
      health: state.health,
      problem: state.problem ? { code: state.problem.code, message: state.problem.reason } : null,
      pending: state.pendingLines,
      inFlight: state.inFlight,
      replay: {
        rate: state.replay.mode === 'unpaced' ? null : Math.round(state.replay.rate),
        cap: this.settings.replayRateCap ?? null,
        mode: state.replay.mode,
        baselineMs: state.replay.baselineMs ?? null,
        backoffs: state.replay.backoffs,
      },
      spool: {
        points: spool.points,
        bytes: spool.pendingBytes,
        diskBytes: spool.bytes,
        maxBytes: spool.maxBytes,
        full: spool.full,
        error: state.spoolError ?? null,
        durable: this.spool.durable,
        dir: this.spool.durable ? this.settings.spoolDir : null,
      },
    };
  }

  /** Where this msg's readings go: the config's database, or the msg's when allowed. */
  private destination(msg: TelemetryMsg): Destination | string {
    const target: Destination = { ...this.target };
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
    const now = this.clock.now();
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
        if (event.code === 'SPOOL_ERROR') this.report.recordSpoolError(event.lines.length);
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
    if (due !== undefined && due <= this.clock.now()) this.sendReport();
    else this.reportTimer.atEarliest(due);
  }

  private sendReport(): void {
    this.reportTimer.cancel();
    const spool = this.spool.stats();
    const report = this.report.take(this.clock.now(), { bytes: spool.pendingBytes, points: spool.points });
    if (report) this.node.send([{ payload: report }, null]);
    // msg.control = "status" sent one meanwhile: the next is due later.
    else this.scheduleReport();
  }

  /** The editor's monitor sidebar (shared/monitor.ts): points written, the spool. */
  figures(): MonitorFigures {
    const spool = this.spool.stats();
    return { readings: this.rate.total, spool: { points: spool.points, bytes: spool.pendingBytes } };
  }

  private showStatus(force = false): void {
    this.status.set(() => {
      const state = this.engine.state();
      const view = archiveStatus({
        health: state.health,
        problem: state.problem?.code,
        rate: this.rate.rate(this.clock.now()),
        spoolPoints: state.spool.points,
        spoolFull: state.spool.full || this.dropping,
        onSpoolFull: this.settings.onSpoolFull,
        durable: this.spool.durable,
        spoolError: state.spoolError,
      });
      return { fill: view.fill, shape: view.shape, text: this.t(`status.${view.key}`, view.params) };
    }, force);
  }

}
