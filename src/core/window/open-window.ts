/**
 * One open window of one key: its bounds, how many readings it took, and the running
 * statistics of each field. Bounds are fixed for tumbling and hopping windows; the engine moves
 * them for session and count windows as readings arrive.
 */
import { FieldStats, FieldStatsJSON } from './field-stats';

/** A window holds statistics for at most this many distinct fields (memory bound per window). */
export const MAX_FIELDS_PER_WINDOW = 256;

export interface OpenWindowJSON {
  start: number;
  end: number;
  count: number;
  /** earliest and latest window time (event or arrival time) of its readings */
  first: number;
  last: number;
  fields: Array<[string, FieldStatsJSON]>;
}

export class OpenWindow {
  count = 0;
  firstTime = Infinity;
  lastTime = -Infinity;
  readonly fields = new Map<string, FieldStats>();

  constructor(
    public start: number,
    public end: number,
  ) {}

  /** How many of the first `n` names this window has no statistics for yet. */
  newFieldCount(names: readonly string[], n: number): number {
    let fresh = 0;
    for (let i = 0; i < n; i++) if (!this.fields.has(names[i] as string)) fresh++;
    return fresh;
  }

  /**
   * Adds one reading's selected fields (the first `n` of `names`/`values`). `windowTime` places
   * the reading in time for the window's bounds, `eventTime` orders first/last.
   */
  add(names: readonly string[], values: readonly number[], n: number, eventTime: number, windowTime: number, withDigest: boolean): void {
    this.count++;
    if (windowTime < this.firstTime) this.firstTime = windowTime;
    if (windowTime > this.lastTime) this.lastTime = windowTime;
    for (let i = 0; i < n; i++) {
      const name = names[i] as string;
      let stats = this.fields.get(name);
      if (!stats) {
        stats = new FieldStats(withDigest);
        this.fields.set(name, stats);
      }
      stats.add(values[i] as number, eventTime);
    }
  }

  /** Folds another window in (sessions bridged by a reading). Bounds are the caller's to set. */
  merge(other: OpenWindow): void {
    this.count += other.count;
    if (other.firstTime < this.firstTime) this.firstTime = other.firstTime;
    if (other.lastTime > this.lastTime) this.lastTime = other.lastTime;
    for (const [name, stats] of other.fields) {
      const mine = this.fields.get(name);
      if (mine) mine.merge(stats);
      else this.fields.set(name, stats);
    }
  }

  toJSON(): OpenWindowJSON {
    return {
      start: this.start,
      end: this.end,
      count: this.count,
      first: this.firstTime,
      last: this.lastTime,
      fields: [...this.fields].map(([name, stats]) => [name, stats.toJSON()]),
    };
  }

  static fromJSON(json: OpenWindowJSON): OpenWindow {
    if (!json || typeof json.start !== 'number' || typeof json.end !== 'number' || typeof json.count !== 'number' || !Array.isArray(json.fields)) {
      throw new TypeError('an open window needs numeric start, end, count and a fields array');
    }
    const window = new OpenWindow(json.start, json.end);
    window.count = json.count;
    window.firstTime = typeof json.first === 'number' ? json.first : Infinity;
    window.lastTime = typeof json.last === 'number' ? json.last : -Infinity;
    for (const [name, stats] of json.fields) window.fields.set(String(name), FieldStats.fromJSON(stats));
    return window;
  }
}
