import { WriteOutcome, WriteVerdict, classifyWrite } from './classify';
import { Range, WritePlan } from './write-plan';
import type { Destination } from './batcher';

/**
 * One batch on its way into InfluxDB: writes it, and when the answer says so retries (with
 * backoff), bisects refused points out, splits a too-large body, or creates the database —
 * everything the classification table asks for, for one batch. It stops when the batch is
 * settled, or when its retry budget is spent or it is cancelled: then the lines not written yet
 * are handed back for the spool.
 */

export interface DeliveryJob extends Destination {
  /** The whole batch as one body (what is sent first). */
  body: string | Buffer;
  count: number;
  /** The individual lines, needed only to bisect or split. */
  lines(): string[];
}

export interface DeliveryPolicy {
  /** Retries of transient failures before giving up (Infinity for spool replay). */
  maxRetries: number;
  /** Keep retrying `hold` failures (auth, permissions) with backoff instead of giving up. */
  retryHold: boolean;
}

export interface Sleep {
  promise: Promise<void>;
  cancel(): void;
}

export interface DeliveryPorts {
  write(target: Destination, body: string | Buffer): Promise<WriteOutcome>;
  /** Creates the database; resolves undefined when done, or the verdict that explains why not. */
  createDatabase(database: string): Promise<WriteVerdict | undefined>;
  now(): number;
  sleep(ms: number): Sleep;
  retryDelay(attempt: number, verdict: WriteVerdict): number;
}

export interface DeliveryHooks {
  written(points: number, startedAt: number, endedAt: number): void;
  refused(lines: string[], code: string, reason: string): void;
  /** A failure that will be retried after `delayMs`. */
  retrying(verdict: WriteVerdict, delayMs: number): void;
  /** The server answered (the write may still have refused points). */
  answered(): void;
}

export interface DeliveryResult {
  /** Every line was written or refused. Otherwise `remainingLines()` are left (give up, cancel). */
  settled: boolean;
  /** Nothing was settled: what is left is the whole batch (its body can be kept as it is). */
  whole?: boolean;
  /** Why it gave up. */
  failure?: WriteVerdict;
  /** The engine stopped waiting for it (close): it must not act on anything any more. */
  abandoned?: boolean;
}

export class Delivery {
  private readonly plan: WritePlan;
  private cachedLines: string[] | undefined;
  private sleeping: Sleep | undefined;
  private cancelled = false;
  /** Closing: the request running or the next one is the last; any failure gives up. */
  private finalAttempt = false;
  private abandonedFlag = false;

  constructor(
    readonly job: DeliveryJob,
    private readonly policy: DeliveryPolicy,
    private readonly ports: DeliveryPorts,
    private readonly hooks: DeliveryHooks,
  ) {
    this.plan = new WritePlan(job.count);
  }

  /** Stop at the next opportunity (a pending backoff ends now); unwritten lines are returned. */
  cancel(): void {
    this.cancelled = true;
    this.sleeping?.cancel();
  }

  /**
   * One last try (the archive is closing): a pending backoff ends now and the next request is
   * made at once; whatever fails after this gives up and hands its lines back for the spool.
   */
  lastTry(): void {
    this.finalAttempt = true;
    this.sleeping?.cancel();
  }

  /** Forget this delivery: whatever it does from now on has no effect. */
  abandon(): void {
    this.abandonedFlag = true;
    this.cancel();
  }

  get abandoned(): boolean {
    return this.abandonedFlag;
  }

  /** Lines not settled yet (for the spool when the engine stops waiting). */
  remainingLines(): string[] {
    if (this.plan.untouched) return this.lines();
    return this.plan.remaining().flatMap((r) => this.slice(r));
  }

  async run(): Promise<DeliveryResult> {
    let attempt = 0;
    let createdDatabase = false;
    for (let range = this.plan.current(); range; range = this.plan.current()) {
      if (this.cancelled) return this.giveUp(undefined);
      const started = this.ports.now();
      const outcome = await this.send(this.plan.untouched ? this.job.body : this.slice(range).join('\n'));
      if (this.abandonedFlag) return { settled: false, abandoned: true };
      let verdict = classifyWrite(outcome, this.ports.now());

      if (verdict.action === 'create-database') {
        if (!createdDatabase) {
          createdDatabase = true;
          const problem = await this.ports.createDatabase(this.job.database);
          if (this.abandonedFlag) return { settled: false, abandoned: true };
          if (!problem) continue;
          verdict = problem;
        } else {
          verdict = { ...verdict, action: 'hold', reason: `${verdict.reason}; it still does not exist after CREATE DATABASE` };
        }
      }

      switch (verdict.action) {
        case 'ok':
          this.hooks.answered();
          this.hooks.written(range.end - range.start, started, this.ports.now());
          this.plan.accept();
          attempt = 0;
          break;
        case 'refuse-lines': {
          this.hooks.answered();
          this.lines();
          const before = this.plan.refused.length;
          const written = this.plan.refuseLines(verdict.code, verdict.lineErrors ?? []);
          if (written === undefined) {
            // Line numbers we cannot map onto what we sent: find the refused points ourselves.
            this.settleRefusal({ ...verdict, action: 'bisect' });
            break;
          }
          if (written > 0) this.hooks.written(written, started, this.ports.now());
          for (const refused of this.plan.refused.slice(before)) {
            this.hooks.refused(this.slice(refused), refused.code, refused.reason);
          }
          attempt = 0;
          break;
        }
        case 'bisect':
        case 'split':
          this.hooks.answered();
          this.settleRefusal(verdict);
          break;
        case 'retry':
        case 'hold': {
          const retryable = verdict.action === 'retry' || this.policy.retryHold;
          if (!retryable || attempt >= this.policy.maxRetries || this.cancelled || this.finalAttempt) return this.giveUp(verdict);
          const delay = this.ports.retryDelay(attempt, verdict);
          attempt += 1;
          this.hooks.retrying(verdict, delay);
          this.sleeping = this.ports.sleep(delay);
          await this.sleeping.promise;
          this.sleeping = undefined;
          if (this.abandonedFlag) return { settled: false, abandoned: true };
          // The database may have been created (or permission granted) meanwhile: ask again.
          createdDatabase = false;
          if (this.cancelled) return this.giveUp(verdict);
          break;
        }
        default:
          return this.giveUp(verdict);
      }
    }
    return { settled: true };
  }

  private async send(body: string | Buffer): Promise<WriteOutcome> {
    try {
      return await this.ports.write(this.job, body);
    } catch (err) {
      // The write port resolves every answer; a throw is a bug or an unexpected transport error.
      return { kind: 'transport', code: 'EUNKNOWN', message: err instanceof Error ? err.message : String(err) };
    }
  }

  private settleRefusal(verdict: WriteVerdict): void {
    const before = this.plan.refused.length;
    // Splitting needs the lines; make them now, before the plan stops being "untouched".
    this.lines();
    if (verdict.action === 'split') this.plan.tooLarge(verdict.code, verdict.reason);
    else this.plan.refuse(verdict.code, verdict.reason, verdict.dropped);
    for (const refused of this.plan.refused.slice(before)) {
      this.hooks.refused(this.slice(refused), refused.code, refused.reason);
    }
  }

  private giveUp(verdict: WriteVerdict | undefined): DeliveryResult {
    const result: DeliveryResult = { settled: false, whole: this.plan.untouched };
    if (verdict) result.failure = verdict;
    return result;
  }

  private lines(): string[] {
    this.cachedLines ??= this.job.lines();
    return this.cachedLines;
  }

  private slice(range: Range): string[] {
    return this.lines().slice(range.start, range.end);
  }
}
