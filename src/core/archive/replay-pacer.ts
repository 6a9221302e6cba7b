/**
 * How fast the spool is replayed: an adaptive rate (AIMD, like TCP's congestion control, on
 * points per second), optionally capped by `replayRate`.
 *
 * Why adaptive and not only a fixed cap: the right rate depends on the server (a Raspberry Pi
 * takes a few thousand points a second, a real server hundreds of thousands), and a fixed cap
 * either swamps the small one or drains the big one needlessly slowly. Write latency says how
 * much the server is working: as long as a replay write answers about as fast as the fastest
 * recent one, the server is not queueing our writes and the rate may grow; when the answer takes
 * clearly longer, or a write fails, the server is struggling and the rate is halved. So replay
 * stays just below what the server takes without queueing, and a small server keeps headroom
 * for the live writes and its own work (compactions, queries).
 *
 * - Start (and again after a failed write): unpaced (up to the cap) — the request slots
 *   (`maxConcurrent`) bound it — until the first slow answer. What the server took until then is
 *   the best first estimate of what it can take, and a fast server is drained at full speed.
 * - Slow: the smoothed latency (EWMA, ¼ weight to each answer, so one outlier is not enough)
 *   exceeds baseline + max(baseline/2, 50 ms), the baseline being the lowest replay latency of
 *   the last 10–20 s. Two equal requests queued at a server that writes one at a time take twice
 *   the baseline, so queueing is seen; a server that stays slower becomes the new baseline after
 *   10–20 s. Then the rate becomes half the rate actually achieved over the last 2 s (≥ floor),
 *   once per round trip (answers to requests sent before a cut
 *   do not count), and grows again by batchSize/2 points/s per second of fast
 *   answers (additive increase: back to a 5,000 points/s server ~10 s after a cut to half).
 * - Failed write (retry verdict, timeout, InfluxDB unhealthy): unpaced again once it answers.
 * - `cap` (the `replayRate` setting): never above it.
 * - Floor: batchSize/2 points/s (one full request every 2 s; the cap, when lower), so the spool
 *   always drains.
 *
 * Pacing: a record may start once the previous start's points are paid for at the current rate
 * (`readyAt`); a faster rate shortens the wait at once. Pure: the caller passes the time.
 * Memory: a few numbers and at most WINDOW_SAMPLES recent writes.
 */

export interface ReplayPacerSettings {
  /** Points per request (the archive's batchSize): sets the floor and the step. */
  batchSize: number;
  /** Points/s never exceeded (`replayRate`); undefined: adaptive only. */
  cap?: number | undefined;
}

/** Rates above this are "no limit" (the request slots are the limit then). */
export const UNLIMITED_RATE = 10_000_000;
/** The extra latency, beyond the baseline, that always counts as "not slow". */
const MIN_SLACK_MS = 50;
/** The baseline (lowest latency) is the minimum over the current and the previous period. */
const BASELINE_MS = 10_000;
/** Weight of each answer in the smoothed latency. */
const SMOOTHING = 0.25;
/** The achieved rate is measured over this window. */
const ACHIEVED_WINDOW_MS = 2_000;
const WINDOW_SAMPLES = 256;

export interface PacerView {
  /** Points/s replay may use now (UNLIMITED_RATE: unpaced). */
  rate: number;
  /** `unpaced` until the first slow answer, `paced` after it. */
  mode: 'unpaced' | 'paced';
  /** Lowest replay latency of the last 10–20 s (ms), undefined before the first write. */
  baselineMs: number | undefined;
  /** Times the rate was cut because InfluxDB answered slowly or failed. */
  backoffs: number;
}

export class ReplayPacer {
  private readonly cap: number;
  private readonly floor: number;
  private readonly step: number;
  private rateNow: number;
  private slowStart = true;
  private lastStart: { at: number; points: number } | undefined;
  private lastIncreaseAt: number | undefined;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** Lowest latency in the current and the previous baseline period. */
  private baseline = { current: Number.POSITIVE_INFINITY, previous: Number.POSITIVE_INFINITY, since: Number.NEGATIVE_INFINITY };
  private readonly recent: Array<{ at: number; points: number }> = [];
  private backoffs = 0;
  private smoothed: number | undefined;

  constructor(settings: ReplayPacerSettings) {
    this.cap = Math.min(UNLIMITED_RATE, settings.cap ?? UNLIMITED_RATE);
    this.floor = Math.min(this.cap, Math.max(10, settings.batchSize / 2));
    this.step = Math.max(10, settings.batchSize / 2);
    this.rateNow = this.cap;
  }

  /** When the next replay request may start (≤ now: at once). */
  readyAt(): number {
    if (!this.lastStart || this.rateNow >= UNLIMITED_RATE) return Number.NEGATIVE_INFINITY;
    return this.lastStart.at + (this.lastStart.points * 1000) / this.rateNow;
  }

  /** A replay request of `points` starts at `now`. */
  started(points: number, now: number): void {
    this.lastStart = { at: now, points };
  }

  /** A replay write of `points` was answered (written) after `endedAt - startedAt` ms. */
  written(points: number, startedAt: number, endedAt: number): void {
    const latency = Math.max(0, endedAt - startedAt);
    this.noteAchieved(points, endedAt);
    const baseline = this.updateBaseline(latency, endedAt);
    this.smoothed = this.smoothed === undefined ? latency : this.smoothed + SMOOTHING * (latency - this.smoothed);
    const slow = this.smoothed > baseline + Math.max(baseline / 2, MIN_SLACK_MS);
    if (slow) {
      // An answer to a request sent before the last cut carries no news about the cut rate.
      if (startedAt >= this.lastDecreaseAt) this.decrease(endedAt);
      return;
    }
    if (!this.slowStart) {
      const since = this.lastIncreaseAt === undefined ? 1_000 : Math.min(1_000, Math.max(0, endedAt - this.lastIncreaseAt));
      this.rateNow = Math.min(this.cap, this.rateNow + (this.step * since) / 1_000);
    }
    this.lastIncreaseAt = endedAt;
  }

  /** A write failed (InfluxDB down, overloaded, timing out): measure afresh once it answers. */
  failed(now: number): void {
    if (!this.slowStart) this.backoffs += 1;
    this.rateNow = this.cap;
    this.slowStart = true;
    this.smoothed = undefined;
    this.lastDecreaseAt = now;
    this.lastIncreaseAt = now;
  }

  view(): PacerView {
    const baseline = Math.min(this.baseline.current, this.baseline.previous);
    return {
      rate: this.rateNow,
      mode: this.slowStart ? 'unpaced' : 'paced',
      baselineMs: Number.isFinite(baseline) ? baseline : undefined,
      backoffs: this.backoffs,
    };
  }

  // -------------------------------------------------------------------------------------------

  private decrease(now: number): void {
    const achieved = this.achieved(now);
    const base = achieved > 0 ? Math.min(this.rateNow, achieved) : this.rateNow;
    this.rateNow = Math.max(this.floor, base / 2);
    this.slowStart = false;
    this.lastDecreaseAt = now;
    this.lastIncreaseAt = now;
    this.backoffs += 1;
    // Judge the new rate by the answers it brings, not by the average that caused the cut.
    this.smoothed = undefined;
  }

  private updateBaseline(latency: number, now: number): number {
    const b = this.baseline;
    if (now - b.since >= BASELINE_MS) {
      // After a quiet spell longer than a period, the old minimum says nothing about today.
      b.previous = now - b.since < 2 * BASELINE_MS ? b.current : Number.POSITIVE_INFINITY;
      b.current = Number.POSITIVE_INFINITY;
      b.since = now;
    }
    // The baseline before this answer: a first slow answer must not be its own yardstick.
    const before = Math.min(b.current, b.previous);
    b.current = Math.min(b.current, latency);
    return Number.isFinite(before) ? before : latency;
  }

  private noteAchieved(points: number, now: number): void {
    this.recent.push({ at: now, points });
    if (this.recent.length > WINDOW_SAMPLES) this.recent.shift();
  }

  /** Replayed points/s over the last ACHIEVED_WINDOW_MS (0 when nothing was written in it). */
  private achieved(now: number): number {
    while (this.recent.length > 0 && (this.recent[0] as { at: number }).at < now - ACHIEVED_WINDOW_MS) this.recent.shift();
    const first = this.recent[0];
    if (!first) return 0;
    let points = 0;
    for (const r of this.recent) points += r.points;
    // Replay that began less than a window ago is measured over the time it has run.
    const span = Math.min(ACHIEVED_WINDOW_MS, Math.max(500, now - first.at));
    return (points * 1000) / span;
  }
}
