import { Batch, Batcher, Destination } from './batcher';
import { Completions } from './completions';
import { WriteOutcome, WriteVerdict, retryDelay } from './classify';
import type { Health } from './report';
import { parseLine, splitLines } from '../line-protocol';
import type { FieldTypes } from './field-types';
import type { ArchiveRefusal } from './line-buffer';
import type { SchemaTracker } from './schema-limits';
import { type Spool, type SpoolProblem, type SpoolStats, SpoolWriteError, type SpooledRecord } from '../spool/types';
import { Delivery, DeliveryJob, DeliveryPolicy, Sleep } from './delivery';
import { type PacerView, ReplayPacer } from './replay-pacer';

/**
 * The archive's moving parts, without Node-RED: batches readings, writes them with a bounded
 * number of requests in flight, spools what cannot be written, replays the spool oldest first,
 * and persists everything on close. HTTP, the spool and the time are injected, and it owns no
 * timer: like the window engine it says when it next has work (`nextDeadline()`: a batch falls
 * due, a backoff or the close wait ends) and the shell calls `tick(now)` then; `wake` tells the
 * shell about a new deadline that may be earlier than the one it armed. So a test drives it with
 * a fake clock and a fake server.
 *
 * Memory bound: open batches (≤ 8 destinations) + `queueBatches` waiting + `maxConcurrent`
 * in flight (live or replayed), each ≤ batchSize lines (and about 4 MB). Anything beyond goes
 * to the spool.
 *
 * Scheduling: live batches and spool replay share `maxConcurrent` slots, taking turns when both
 * have work, so neither starves the other; replay hands out records oldest first and may use
 * every slot live batches leave free, paced by ReplayPacer (replay-pacer.ts: an adaptive rate
 * that backs off when InfluxDB answers slowly, capped by `replayRate`). One replay request
 * carries consecutive spool records up to `batchSize` points, so many small records (a slow
 * trickle spooled during an outage) do not become as many requests. While InfluxDB is failing
 * (`degraded`/`hold`) live batches go straight to the spool and one replay request at a time
 * is the probe: its first success makes the node healthy again.
 */

export interface EngineSettings {
  batchSize: number;
  flushIntervalMs: number;
  maxConcurrent: number;
  maxRetries: number;
  maxBackoffMs: number;
  /** First backoff step (ms); doubles per retry up to maxBackoffMs. */
  baseBackoffMs: number;
  /** Batches waiting for a free slot before further batches go to the spool. */
  queueBatches: number;
  /** How long close() waits for requests in flight before spooling their batches. */
  closeWaitMs: number;
  /** `fieldTypes` (field-types.ts). */
  fieldTypes?: FieldTypes | undefined;
  /** InfluxDB 3's schema limits, checked before batching (schema-limits.ts). */
  schema?: SchemaTracker | undefined;
  /** `replayRate`: replay never exceeds this many points/s; undefined: adaptive only. */
  replayRateCap?: number | undefined;
}

export interface EnginePorts {
  write(target: Destination, body: string | Buffer): Promise<WriteOutcome>;
  createDatabase(database: string): Promise<WriteVerdict | undefined>;
  spool: Spool;
  /** Epoch ms. */
  now(): number;
  /** Asks for `tick` at `deadline` (or soon after); earlier calls may still be pending. */
  wake(deadline: number): void;
  random?: () => number;
}

export type EngineEvent =
  | { type: 'written'; points: number; startedAt: number; endedAt: number; fromSpool: boolean }
  | { type: 'retry'; verdict: WriteVerdict; delayMs: number; fromSpool: boolean }
  | { type: 'spooled'; points: number; reason: 'failed' | 'degraded' | 'overflow' | 'close' }
  | { type: 'refused'; target: Destination; lines: string[]; code: string; reason: string }
  | { type: 'unspoolable'; target: Destination; lines: string[]; code: 'SPOOL_FULL' | 'SPOOL_ERROR'; reason: string; errorCode?: string }
  | { type: 'dropped'; points: number; records: number }
  | { type: 'health'; health: Health; verdict: WriteVerdict | undefined }
  | { type: 'spool-problem'; problem: SpoolProblem }
  | { type: 'lost'; points: number; reason: string };

type SpoolReason = 'failed' | 'degraded' | 'overflow' | 'close';

export interface EngineState {
  health: Health;
  problem: WriteVerdict | undefined;
  spool: SpoolStats;
  /** Lines in memory: open batches + waiting batches. */
  pendingLines: number;
  inFlight: number;
  /** The replay pacer: the rate replay may use now, and how often it backed off. */
  replay: PacerView;
  /**
   * A spool write failed (ENOSPC: disk full) since InfluxDB last took writes: its code. Kept
   * while the outage lasts (a smaller batch may still fit, the disk is still full).
   */
  spoolError: string | undefined;
}

interface Running {
  delivery: Delivery;
  done: Promise<void>;
  live: boolean;
  /** The live batch being written (its msgs complete when it is written or spooled). */
  batch?: Batch;
}

export class ArchiveEngine {
  private readonly batcher: Batcher;
  private readonly completions = new Completions();
  private readonly queue: Batch[] = [];
  private readonly running = new Set<Running>();
  private liveRunning = 0;
  /** Spool records being written, oldest first (one replay request may carry several). */
  private readonly replaying: SpooledRecord[] = [];
  /** Replay requests running. */
  private replayRunning = 0;
  private readonly pacer: ReplayPacer;
  private spoolError: string | undefined;
  /** Replay waits for the pacer until then (a deadline for `tick`). */
  private pacedUntil: number | undefined;
  /** Closing with a memory spool: a replay failed, stop trying. */
  private replayStopped = false;
  private lastPick: 'live' | 'replay' = 'replay';
  private health: Health = 'healthy';
  private problem: WriteVerdict | undefined;
  /** Backoff and close waits, each ended by `tick` at its deadline (or cancelled). */
  private readonly sleeps = new Set<{ at: number; finish: () => void }>();
  private closing = false;
  /** close() has finished: the spool is closed, nothing is taken any more. */
  private closed = false;
  private idleWaiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  private readonly random: () => number;

  constructor(
    private readonly settings: EngineSettings,
    private readonly ports: EnginePorts,
    private readonly emit: (event: EngineEvent) => void,
  ) {
    this.batcher = new Batcher({
      batchSize: settings.batchSize,
      flushIntervalMs: settings.flushIntervalMs,
      fieldTypes: settings.fieldTypes,
      schema: settings.schema,
    });
    this.random = ports.random ?? Math.random;
    this.pacer = new ReplayPacer({ batchSize: settings.batchSize, cap: settings.replayRateCap });
  }

  /** Starts replaying what an earlier run left in the spool. */
  start(): void {
    this.reportSpoolProblems();
    this.pump();
  }

  /**
   * Validates and takes readings for one destination; `refuse` hears about each invalid one.
   * Takes nothing (`spool-full`) when InfluxDB is failing and the spool is full under
   * `reject-new`: then the readings could go nowhere. `onDurable` (ack-after-archive) runs once
   * every batch holding these readings is written, in the disk spool or refused — at once when
   * none holds any (all invalid, or nothing taken); it may run before this returns. While
   * closing (Node-RED still delivers msgs sent before the flow stopped) they are not left in an
   * open batch that nobody flushes: they go out, or to the spool, with the close. Once close()
   * has finished nothing is taken (`closed`): the spool is closed and may belong to a new node.
   */
  acceptReadings(
    target: Destination,
    readings: readonly unknown[],
    refuse: (index: number, refusal: ArchiveRefusal) => void,
    onDurable?: () => void,
  ): 'accepted' | 'spool-full' | 'closed' {
    if (this.closed) return 'closed';
    if (this.spoolIsFullAndNeeded()) {
      onDurable?.();
      return 'spool-full';
    }
    const before = this.batcher.openBatch(target);
    const countBefore = before ? before.buffer.count : 0;
    const closed = this.batcher.addReadings(target, readings, this.ports.now(), refuse);
    if (onDurable) {
      // The msg's points are in the batches this closed and in the open one, if it grew.
      const open = this.batcher.openBatch(target);
      const holding = [...closed];
      if (open && (open !== before || open.buffer.count > countBefore)) holding.push(open);
      this.completions.wait(holding, onDurable);
    }
    this.enqueueAll(closed);
    return 'accepted';
  }

  /** Takes lines of line protocol (already valid) for one destination. */
  acceptLines(target: Destination, lines: readonly string[]): 'accepted' | 'spool-full' | 'closed' {
    if (this.closed) return 'closed';
    if (this.spoolIsFullAndNeeded()) return 'spool-full';
    this.enqueueAll(this.batcher.addLines(target, lines, this.ports.now()));
    return 'accepted';
  }

  private spoolIsFullAndNeeded(): boolean {
    return this.bypassLive() && this.ports.spool.stats().full;
  }

  /** Batches closed by new readings; while closing, the open ones too (nobody would flush them). */
  private enqueueAll(batches: Batch[]): void {
    for (const batch of this.closing ? [...batches, ...this.batcher.drain()] : batches) this.enqueue(batch);
    this.wakeForFlush();
    this.pump();
  }

  /** Closes every open batch now; resolves once those are written, spooled or refused. */
  flush(): Promise<void> {
    for (const batch of this.batcher.drain()) this.enqueue(batch);
    this.wakeForFlush();
    this.pump();
    return this.whenIdle(() => this.queue.length === 0 && this.liveRunning === 0);
  }

  state(): EngineState {
    let queued = 0;
    for (const batch of this.queue) queued += batch.buffer.count;
    return {
      health: this.health,
      problem: this.problem,
      spool: this.ports.spool.stats(),
      pendingLines: this.batcher.pendingLines + queued,
      inFlight: this.liveRunning + this.replayRunning,
      replay: this.pacer.view(),
      spoolError: this.spoolError,
    };
  }

  /** When `tick` has work: the oldest open batch falls due, or a backoff or close wait ends. */
  nextDeadline(): number | undefined {
    let earliest = this.closing ? undefined : this.batcher.nextDeadline();
    for (const sleep of this.sleeps) if (earliest === undefined || sleep.at < earliest) earliest = sleep.at;
    if (this.pacedUntil !== undefined && !this.closing && (earliest === undefined || this.pacedUntil < earliest)) earliest = this.pacedUntil;
    return earliest;
  }

  /** Does what is due at `now`: ends waits, sends batches whose flush interval has passed. */
  tick(now: number): void {
    for (const sleep of [...this.sleeps]) {
      if (sleep.at > now) continue;
      this.sleeps.delete(sleep);
      sleep.finish();
    }
    if (this.closing) return;
    if (this.pacedUntil !== undefined && this.pacedUntil <= now) this.pacedUntil = undefined;
    for (const batch of this.batcher.due(now)) this.enqueue(batch);
    this.pump();
  }

  /**
   * Redeploy or shutdown. Durable spool: while InfluxDB takes writes, the batches in memory get
   * one last try within `closeWaitMs` — a runtime that stops for good (a scale-out member that
   * leaves, README "Running several instances") would otherwise strand them in its spool until it
   * starts again; what is not written by then, or everything while InfluxDB is failing, goes to
   * the spool (if a request succeeds after all, InfluxDB gets the points twice and keeps one).
   * Replay stops at once: the spool stays for the next start. Memory spool: everything is tried
   * once within `closeWaitMs`; what is left is reported as lost.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const batches = [...this.batcher.drain(), ...this.queue.splice(0)];
    const durable = this.ports.spool.durable;
    if (durable && this.health !== 'healthy') {
      for (const batch of batches) this.spoolBatch(batch, 'close');
    } else {
      this.queue.push(...batches);
    }
    // A live batch waiting for its retry gets its last try now (a transient failure just before
    // the stop must not strand it in the spool); replay stops: the spool waits for the next start.
    const lastTry = !durable || this.health === 'healthy';
    for (const run of this.running) {
      if (run.live && lastTry) run.delivery.lastTry();
      else run.delivery.cancel();
    }
    this.pump();

    // With the disk spool a failed write ends the last try: the rest is spooled below.
    const settled = this.whenIdle(() => this.running.size === 0 && (this.queue.length === 0 || (durable && this.health !== 'healthy')));
    const waited = await this.within(settled, this.settings.closeWaitMs);
    if (!waited) {
      for (const run of [...this.running]) {
        run.delivery.abandon();
        this.running.delete(run);
        if (run.live) {
          this.spoolJob(run.delivery, 'close');
          if (run.batch) this.settleIfDurable(run.batch);
        }
      }
    }
    if (durable) {
      // A write failed during the last try (live batches then wait behind the spool), or time ran out.
      for (const batch of this.queue.splice(0)) this.spoolBatch(batch, 'close');
    } else {
      let lost = this.ports.spool.stats().points;
      for (const batch of this.queue.splice(0)) lost += batch.buffer.count;
      if (lost > 0) this.emit({ type: 'lost', points: lost, reason: 'the spool is off and InfluxDB did not take them before the node closed' });
    }
    this.ports.spool.close();
    this.closed = true;
    this.resolveIdle(true);
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling

  /** While InfluxDB is failing and the spool holds data, live batches queue behind it. */
  private bypassLive(): boolean {
    if (this.closing && !this.ports.spool.durable) return false;
    return this.health !== 'healthy' && this.ports.spool.stats().records > 0;
  }

  private enqueue(batch: Batch): void {
    if (this.bypassLive()) this.spoolBatch(batch, 'degraded');
    else if (this.queue.length >= this.settings.queueBatches && !this.closing) this.spoolBatch(batch, 'overflow');
    else this.queue.push(batch);
  }

  private pump(): void {
    for (;;) {
      const free = this.settings.maxConcurrent - this.liveRunning - this.replayRunning;
      if (free <= 0) return;
      const canLive = this.queue.length > 0 && !this.bypassLive();
      const record = this.replayRunning < this.replayLimit() ? this.nextReplay() : undefined;
      const paced = record !== undefined && !this.paceAllows();
      if (!canLive && (!record || paced)) return;
      if (record && !paced && (!canLive || this.lastPick === 'live')) {
        this.lastPick = 'replay';
        this.startReplay(this.replayGroup(record));
      } else {
        this.lastPick = 'live';
        this.startLive(this.queue.shift() as Batch);
      }
    }
  }

  /**
   * Replay may use every free slot while InfluxDB takes writes (live batches still get every
   * other turn); while it is failing, one request at a time probes it.
   */
  private replayLimit(): number {
    // Closing with the disk spool: the spool is kept for the next start, only live batches go.
    if (this.replayStopped || (this.closing && this.ports.spool.durable)) return 0;
    return this.health === 'healthy' && !this.closing ? this.settings.maxConcurrent : 1;
  }

  /**
   * Whether the pacer lets a replay request start now; if not, asks for a tick when it will.
   * Closing (memory spool: one last try) and probing a failing server are not paced: one
   * request at a time with the delivery's own backoff is slow enough then.
   */
  private paceAllows(): boolean {
    if (this.closing || this.health !== 'healthy') return true;
    const now = this.ports.now();
    const readyAt = this.pacer.readyAt();
    if (readyAt <= now) return true;
    if (this.pacedUntil !== readyAt) {
      this.pacedUntil = readyAt;
      this.ports.wake(readyAt);
    }
    return false;
  }

  /**
   * `first` and the records after it that can share its request: same destination, not being
   * written already, at most `batchSize` points together.
   */
  private replayGroup(first: SpooledRecord): SpooledRecord[] {
    const group = [first];
    let points = first.lines;
    for (let next = this.ports.spool.next(first); next; next = this.ports.spool.next(next)) {
      if (next.database !== first.database || next.retentionPolicy !== first.retentionPolicy) break;
      if (points + next.lines > this.settings.batchSize) break;
      if (this.replaying.some((r) => r.id === next?.id)) break;
      group.push(next);
      points += next.lines;
    }
    return group;
  }

  /** The oldest spool record not being written yet. */
  private nextReplay(): SpooledRecord | undefined {
    let record = this.ports.spool.peek();
    while (record && this.replaying.some((r) => r.id === record?.id)) record = this.ports.spool.next(record);
    return record;
  }

  private startLive(batch: Batch): void {
    const job: DeliveryJob = {
      database: batch.database,
      retentionPolicy: batch.retentionPolicy,
      body: batch.buffer.body(),
      count: batch.buffer.count,
      lines: () => batch.buffer.lines(),
    };
    const policy = { maxRetries: this.closing ? 0 : this.settings.maxRetries, retryHold: false };
    this.liveRunning += 1;
    this.run(job, policy, false, (delivery, result) => {
      this.liveRunning -= 1;
      if (result.settled) {
        this.completions.durable(batch);
        return;
      }
      const reason = this.closing ? 'close' : 'failed';
      if (result.whole) this.spoolBatch(batch, reason);
      else {
        this.spoolLines(job, delivery.remainingLines(), reason);
        this.settleIfDurable(batch);
      }
      if (result.failure) this.setHealth(result.failure.action === 'hold' ? 'hold' : 'degraded', result.failure);
    }, batch);
  }

  /** Writes `records` (consecutive, one destination) as one request; acks them once settled. */
  private startReplay(records: SpooledRecord[]): void {
    const first = records[0] as SpooledRecord;
    let count = 0;
    for (const record of records) count += record.lines;
    const job: DeliveryJob = {
      database: first.database,
      retentionPolicy: first.retentionPolicy,
      body: records.length === 1 ? first.body : joinBodies(records),
      count,
      lines: () => records.flatMap((record) => this.splitRecord(record)),
    };
    const policy = { maxRetries: this.closing ? 0 : Number.POSITIVE_INFINITY, retryHold: !this.closing };
    this.replaying.push(...records);
    this.replayRunning += 1;
    this.pacer.started(count, this.ports.now());
    this.run(job, policy, true, (delivery, result) => {
      this.replayRunning -= 1;
      for (const record of records) this.replaying.splice(this.replaying.indexOf(record), 1);
      if (result.settled) {
        for (const record of records) this.ports.spool.ack(record);
        this.reportSpoolProblems();
        return;
      }
      // Only a cancel (close) or a closing memory spool ends a replay early.
      if (this.closing && !this.ports.spool.durable) this.replayStopped = true;
      if (!result.whole) {
        // Part of it is settled (refused points already reported): keep only the rest.
        this.spoolLines(job, delivery.remainingLines(), 'close');
        for (const record of records) this.ports.spool.ack(record);
      }
    });
  }

  private run(
    job: DeliveryJob,
    policy: DeliveryPolicy,
    fromSpool: boolean,
    finish: (d: Delivery, r: { settled: boolean; whole?: boolean; failure?: WriteVerdict }) => void,
    batch?: Batch,
  ): void {
    const delivery = new Delivery(job, policy, this.deliveryPorts(), {
      written: (points, startedAt, endedAt) => {
        if (fromSpool) this.pacer.written(points, startedAt, endedAt);
        this.emit({ type: 'written', points, startedAt, endedAt, fromSpool });
      },
      refused: (lines, code, reason) => this.emit({ type: 'refused', target: job, lines, code, reason }),
      retrying: (verdict, delayMs) => {
        // Live or replayed, a failing write says InfluxDB is struggling: replay starts over slowly.
        this.pacer.failed(this.ports.now());
        this.emit({ type: 'retry', verdict, delayMs, fromSpool });
        // A failing replay is the probe: its verdict is the node's health.
        if (fromSpool) this.setHealth(verdict.action === 'hold' ? 'hold' : 'degraded', verdict);
      },
      answered: () => this.setHealth('healthy', undefined),
    });
    const entry: Running = { delivery, live: !fromSpool, done: Promise.resolve(), ...(batch ? { batch } : {}) };
    entry.done = delivery.run().then(
      (result) => {
        if (result.abandoned) return;
        this.running.delete(entry);
        finish(delivery, result);
        this.pump();
        this.resolveIdle(false);
      },
      (err: unknown) => {
        // Delivery.run handles every failure it knows; this keeps the data if it did not.
        this.running.delete(entry);
        finish(delivery, { settled: false, failure: { action: 'retry', code: 'INTERNAL', reason: String(err) } });
        this.pump();
        this.resolveIdle(false);
      },
    );
    this.running.add(entry);
  }

  private deliveryPorts() {
    return {
      write: this.ports.write,
      createDatabase: this.ports.createDatabase,
      now: () => this.ports.now(),
      sleep: (ms: number) => this.sleep(ms),
      retryDelay: (attempt: number, verdict: WriteVerdict) =>
        retryDelay(attempt, verdict, { baseMs: this.settings.baseBackoffMs, maxMs: this.settings.maxBackoffMs, random: this.random }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Spool

  private spoolBatch(batch: Batch, reason: SpoolReason): void {
    this.spoolBody(batch, batch.buffer.body(), batch.buffer.count, () => batch.buffer.lines(), reason);
    this.settleIfDurable(batch);
  }

  /**
   * In the disk spool (or refused to output 2 when it could not take it) a batch is durable; in
   * the memory spool it is not (nobody waits for it then: the node completes msgs at once).
   */
  private settleIfDurable(batch: Batch): void {
    if (this.ports.spool.durable) this.completions.durable(batch);
  }

  /** What an abandoned live delivery has not settled yet. */
  private spoolJob(delivery: Delivery, reason: SpoolReason): void {
    this.spoolLines(delivery.job, delivery.remainingLines(), reason);
  }

  private spoolLines(target: Destination, lines: string[], reason: SpoolReason): void {
    this.spoolBody(target, lines.join('\n'), lines.length, () => lines, reason);
  }

  /** Puts a body into the spool; what it cannot take goes to output 2, never nowhere. */
  private spoolBody(target: Destination, body: string | Buffer, count: number, lines: () => string[], reason: SpoolReason): void {
    if (count === 0) return;
    const entry = { database: target.database, retentionPolicy: target.retentionPolicy, body, lines: count };
    let result;
    try {
      result = this.ports.spool.append(entry);
    } catch (err) {
      // The disk is full or failing: what was spooled before is intact (DiskSpool cuts a failed
      // append back off); this batch goes to output 2 rather than nowhere.
      this.spoolError = err instanceof SpoolWriteError ? err.code : 'EUNKNOWN';
      this.emit({ type: 'unspoolable', target, lines: lines(), code: 'SPOOL_ERROR', reason: err instanceof Error ? err.message : String(err), errorCode: this.spoolError });
      return;
    }
    if (!result.ok) {
      this.emit({ type: 'unspoolable', target, lines: lines(), code: 'SPOOL_FULL', reason: result.message });
      return;
    }
    this.emit({ type: 'spooled', points: count, reason });
    if (result.dropped.points > 0) this.emit({ type: 'dropped', points: result.dropped.points, records: result.dropped.records });
    if (!this.closing) this.pump();
  }

  /**
   * The lines of a spooled record, for bisecting. Split like influxd splits them (a string field
   * may contain a newline) and kept as written, so a `42i` stays an integer; each is parsed only
   * to check it. A line that does not parse (it cannot, short of a damaged disk that passed the
   * checksum) is refused, not dropped.
   */
  private splitRecord(record: SpooledRecord): string[] {
    const lines: string[] = [];
    for (const raw of splitLines(record.body.toString('utf8'))) {
      const line = raw.replace(/^[ \t\0]+|[ \t\r\0]+$/g, '');
      if (line === '') continue;
      try {
        parseLine(line, 0, 'ms');
        lines.push(line);
      } catch (err) {
        this.emit({ type: 'refused', target: record, lines: [line], code: 'UNREADABLE', reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return lines;
  }

  private reportSpoolProblems(): void {
    for (const problem of this.ports.spool.takeProblems()) this.emit({ type: 'spool-problem', problem });
  }

  // -------------------------------------------------------------------------------------------
  // Health, timers, waiting

  private setHealth(health: Health, verdict: WriteVerdict | undefined): void {
    if (health === this.health && verdict?.code === this.problem?.code) return;
    this.health = health;
    this.problem = verdict;
    if (health !== 'healthy') this.pacer.failed(this.ports.now());
    // Batches go straight to InfluxDB again: a past spool failure is no longer the news.
    else this.spoolError = undefined;
    this.emit({ type: 'health', health, verdict });
    if (this.bypassLive()) {
      for (const batch of this.queue.splice(0)) this.spoolBatch(batch, 'degraded');
    }
  }

  private wakeForFlush(): void {
    const deadline = this.batcher.nextDeadline();
    if (deadline !== undefined && !this.closing) this.ports.wake(deadline);
  }

  /** Resolves at `now + ms` (a tick) or when cancelled. */
  private sleep(ms: number): Sleep {
    let finish!: () => void;
    const promise = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const sleep = { at: this.ports.now() + ms, finish };
    this.sleeps.add(sleep);
    this.ports.wake(sleep.at);
    return {
      promise,
      cancel: () => {
        this.sleeps.delete(sleep);
        finish();
      },
    };
  }

  private whenIdle(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push({ check, resolve }));
  }

  private resolveIdle(all: boolean): void {
    const waiting = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiting) {
      if (all || waiter.check()) waiter.resolve();
      else this.idleWaiters.push(waiter);
    }
  }

  /** True when `promise` settled within `ms`. */
  private async within(promise: Promise<void>, ms: number): Promise<boolean> {
    const timeout = this.sleep(ms);
    const settled = await Promise.race([promise.then(() => true), timeout.promise.then(() => false)]);
    timeout.cancel();
    return settled;
  }
}

/** Spool record bodies as one request body (line protocol: one newline between them). */
function joinBodies(records: readonly SpooledRecord[]): Buffer {
  const parts: Buffer[] = [];
  const newline = Buffer.from('\n');
  for (const record of records) {
    if (parts.length > 0) parts.push(newline);
    parts.push(record.body);
  }
  return Buffer.concat(parts);
}
