/**
 * "Never two runs at once": the state of a purge node between triggers. A trigger that arrives
 * during a run is refused and counted (never queued: a schedule shorter than a purge would
 * otherwise pile up runs without bound). The clock is passed in.
 */
export type Trigger = 'input' | 'schedule';

export interface RunProgress {
  /** 0..1 over the whole run. */
  fraction: number;
  measurement?: string | undefined;
  matched: number;
  deleted: number;
  downsampled: number;
  /** Slices (statements' worth of time) finished so far. */
  slices: number;
}

export interface RunSummary {
  finishedAt: number;
  dryRun: boolean;
  matched: number;
  deleted: number;
  downsampled: number;
  measurements: number;
  error?: string | undefined;
}

export interface ActiveRun {
  id: number;
  trigger: Trigger;
  startedAt: number;
  dryRun: boolean;
  progress: RunProgress;
  cancelled: boolean;
}

export class RunState {
  private active: ActiveRun | undefined;
  private nextId = 1;
  /** Triggers refused because a run was in progress, since the node started. */
  skipped = 0;
  last: RunSummary | undefined;

  get running(): ActiveRun | undefined {
    return this.active;
  }

  /** Starts a run, or returns undefined (and counts the skip) when one is already running. */
  tryStart(trigger: Trigger, now: number, dryRun: boolean): ActiveRun | undefined {
    if (this.active) {
      this.skipped++;
      return undefined;
    }
    this.active = {
      id: this.nextId++,
      trigger,
      startedAt: now,
      dryRun,
      cancelled: false,
      progress: { fraction: 0, matched: 0, deleted: 0, downsampled: 0, slices: 0 },
    };
    return this.active;
  }

  /** Asks the active run to stop after its current statement; false when nothing runs. */
  cancel(): boolean {
    if (!this.active) return false;
    this.active.cancelled = true;
    return true;
  }

  finish(run: ActiveRun, summary: RunSummary): void {
    if (this.active === run) this.active = undefined;
    this.last = summary;
  }
}
