/**
 * The window engine: keyed tumbling, hopping, session and count windows over readings, in event
 * or processing time. Like a Telegraf aggregator it has no timers and sends nothing: every method
 * takes the current time, and windows that close are pushed onto the `out` array the caller
 * passes in. The Node-RED node owns the single timer (see `nextDeadline`) and the sending.
 *
 * Closing, per key (measurement + group-by tags):
 * - event time: the key's watermark is its newest event time − allowedLateness; a window closes
 *   once the watermark reaches its end. A reading whose windows have all closed is late.
 * - wall clock: a key that receives nothing for `idleTimeout` (size + lateness; session:
 *   gap + lateness; count: gap) has all its windows closed, so a device that goes quiet still
 *   gets its last window out instead of waiting forever for a newer reading.
 * - processing time: windows are placed by arrival time and close when the clock passes their end.
 *
 * Memory: at most `maxKeys` keys. A key whose windows have all closed stays as a small
 * tombstone (its watermark) so a late reading cannot reopen — and so duplicate — a window that
 * was already emitted; tombstones are evicted oldest first when a new key needs the room.
 */
import { formatDuration } from '../duration';
import type { Reading } from '../reading';
import { MAX_FIELDS_PER_WINDOW, OpenWindow, OpenWindowJSON } from './open-window';
import { ClosedWindow, WindowInfo, windowReading } from './output';
import { groupTags, keyId, seriesKey } from './series-key';
import { parseWindowConfig, renderMeasurement, sameWindowing, SKETCH_AGGREGATES, WindowSpec } from './spec';

export type RefusalCode = 'MAX_KEYS' | 'NO_NUMERIC_FIELDS' | 'TOO_MANY_FIELDS';

export type Outcome =
  | { kind: 'accepted' }
  | { kind: 'late'; message: string }
  | { kind: 'refused'; code: RefusalCode; message: string };

const ACCEPTED: Outcome = Object.freeze({ kind: 'accepted' });

interface KeyState {
  readonly id: string;
  /** series-key text for msg.window.key */
  readonly key: string;
  /** output measurement, rendered once per key */
  readonly measurement: string;
  readonly tags: Record<string, string>;
  /** open windows, ordered by start (for sessions also by end: they never overlap) */
  windows: OpenWindow[];
  /** newest window time seen (event mode) */
  maxTime: number;
  /** windows ending at or before this have been emitted; a reading for them is late */
  closedUntil: number;
  /** clock time of the last reading */
  lastArrival: number;
}

export interface EngineStats {
  openWindows: number;
  /** keys with open windows */
  keys: number;
  /** keys held in memory, tombstones included (≤ maxKeys) */
  trackedKeys: number;
  late: number;
  refused: number;
  emitted: number;
  /** every key slot holds open windows: a reading for a new key is refused */
  atKeyLimit: boolean;
}

interface KeyJSON {
  id: string;
  key: string;
  measurement: string;
  tags: Record<string, string>;
  maxTime: number | null;
  closedUntil: number | null;
  windows: OpenWindowJSON[];
}

/** Open windows as the node keeps them in a context store across restarts. */
export interface WindowSnapshot {
  version: 1;
  spec: WindowSpec;
  keys: KeyJSON[];
  tombstones: KeyJSON[];
  counters: { late: number; refused: number; emitted: number };
}

export class WindowEngine {
  /** keys with open windows, least recently heard from first */
  private readonly active = new Map<string, KeyState>();
  /** keys whose windows have all closed, oldest first */
  private readonly tombstones = new Map<string, KeyState>();
  private openWindows = 0;
  private late = 0;
  private refused = 0;
  private emitted = 0;
  /** processing-time tumbling/hopping: no open window ends before this */
  private nextEnd = Infinity;
  private readonly withDigest: boolean;
  private readonly idleTimeout: number | undefined;
  private readonly eventTime: boolean;
  /** scratch for the selected fields of the reading being added (no allocation per reading) */
  private readonly names: string[] = [];
  private readonly values: number[] = [];

  constructor(readonly spec: WindowSpec) {
    this.withDigest = spec.aggregates.some((a) => SKETCH_AGGREGATES.has(a));
    this.eventTime = spec.timeMode === 'event';
    this.idleTimeout = idleTimeoutOf(spec);
  }

  /**
   * Adds one validated reading at clock time `now`; windows it closes are pushed onto `out`.
   * Never throws for data: a reading that cannot be taken comes back as late or refused.
   */
  add(reading: Reading, now: number, out: ClosedWindow[]): Outcome {
    const n = this.selectFields(reading);
    if (n === 0) return this.refuse('NO_NUMERIC_FIELDS', this.noFieldsMessage());
    if (n > MAX_FIELDS_PER_WINDOW) return this.refuse('TOO_MANY_FIELDS', `a reading with ${n} numeric fields exceeds the ${MAX_FIELDS_PER_WINDOW} fields a window keeps`);
    const id = keyId(reading, this.spec.groupBy);
    let state = this.active.get(id);
    if (state) {
      // Re-inserting keeps `active` in order of last arrival, which makes idle detection O(1).
      this.active.delete(id);
    } else {
      state = this.tombstones.get(id);
      if (state) this.tombstones.delete(id);
      else state = this.newKey(reading, id);
      if (!state) {
        return this.refuse(
          'MAX_KEYS',
          `all ${this.spec.maxKeys} key slots (maxKeys) hold open windows; reading for new key ${seriesKey(reading.measurement, groupTags(reading, this.spec.groupBy))} refused`,
        );
      }
    }
    this.active.set(id, state);
    state.lastArrival = now;

    const time = this.eventTime ? reading.timestamp : now;
    let outcome: Outcome;
    switch (this.spec.windowType) {
      case 'tumbling':
      case 'hopping':
        outcome = this.addTimed(state, time, reading.timestamp, n);
        break;
      case 'session':
        outcome = this.addSession(state, time, reading.timestamp, n);
        break;
      case 'count':
        outcome = this.addCounted(state, time, reading.timestamp, n, out);
        break;
    }
    if (outcome.kind === 'late') this.late++;
    if (outcome === ACCEPTED && this.eventTime && this.spec.windowType !== 'count' && time > state.maxTime) {
      state.maxTime = time;
      this.closeUpTo(state, time - this.spec.allowedLateness, out);
    }
    if (state.windows.length === 0) this.retire(state);
    return outcome;
  }

  /** Wall-clock closing: quiet keys, and processing-time windows whose end has passed. */
  tick(now: number, out: ClosedWindow[]): void {
    if (this.idleTimeout !== undefined) {
      for (const state of this.active.values()) {
        if (state.lastArrival + this.idleTimeout > now) break;
        this.closeAll(state, out, false);
        this.retire(state);
      }
    }
    if (!this.eventTime && this.isTimed() && now >= this.nextEnd) {
      let next = Infinity;
      for (const state of this.active.values()) {
        this.closeUpTo(state, now, out);
        const first = state.windows[0];
        if (first) next = Math.min(next, first.end);
        else this.retire(state);
      }
      this.nextEnd = next;
    }
  }

  /** The clock time at which `tick` next has work, or undefined when nothing is waiting. */
  nextDeadline(): number | undefined {
    let deadline = Infinity;
    if (this.idleTimeout !== undefined) {
      const oldest = this.active.values().next();
      if (!oldest.done) deadline = oldest.value.lastArrival + this.idleTimeout;
    }
    if (!this.eventTime && this.isTimed()) deadline = Math.min(deadline, this.nextEnd);
    return deadline === Infinity ? undefined : deadline;
  }

  /** Closes every open window now, marked partial; later readings for them count as late. */
  flush(out: ClosedWindow[]): void {
    for (const state of this.active.values()) {
      this.closeAll(state, out, true);
      this.retire(state);
    }
    this.nextEnd = Infinity;
  }

  /** Drops all state and counters without emitting anything. */
  reset(): void {
    this.active.clear();
    this.tombstones.clear();
    this.openWindows = 0;
    this.late = 0;
    this.refused = 0;
    this.emitted = 0;
    this.nextEnd = Infinity;
  }

  stats(): EngineStats {
    return {
      openWindows: this.openWindows,
      keys: this.active.size,
      trackedKeys: this.active.size + this.tombstones.size,
      late: this.late,
      refused: this.refused,
      emitted: this.emitted,
      atKeyLimit: this.active.size >= this.spec.maxKeys,
    };
  }

  snapshot(): WindowSnapshot {
    return {
      version: 1,
      spec: this.spec,
      keys: [...this.active.values()].map(keyToJSON),
      tombstones: [...this.tombstones.values()].map(keyToJSON),
      counters: { late: this.late, refused: this.refused, emitted: this.emitted },
    };
  }

  /**
   * Rebuilds an engine from a snapshot. It runs under `current` when that windows the same way
   * (only maxKeys may differ), else under the snapshot's own spec: compare `engine.spec` to tell.
   * Idle timers restart at `now`: the time the node was down does not count as silence.
   * Throws a TypeError on a malformed snapshot.
   */
  static fromSnapshot(value: unknown, now: number, current?: WindowSpec): WindowEngine {
    const snapshot = value as WindowSnapshot;
    if (!snapshot || snapshot.version !== 1 || !snapshot.spec || !Array.isArray(snapshot.keys) || !Array.isArray(snapshot.tombstones)) {
      throw new TypeError('not a window-state snapshot (version 1)');
    }
    const parsed = parseWindowConfig(specAsConfig(snapshot.spec));
    if (!parsed.ok) throw new TypeError(`snapshot has an invalid spec: ${parsed.problems.map((p) => p.key).join(', ')}`);
    const engine = new WindowEngine(current && sameWindowing(current, parsed.settings) ? current : parsed.settings);
    for (const json of snapshot.keys) {
      const state = keyFromJSON(json, now);
      if (state.windows.length === 0) continue;
      engine.active.set(state.id, state);
      engine.openWindows += state.windows.length;
      engine.nextEnd = Math.min(engine.nextEnd, (state.windows[0] as OpenWindow).end);
    }
    for (const json of snapshot.tombstones) {
      const state = keyFromJSON(json, now);
      engine.tombstones.set(state.id, state);
    }
    const counters = snapshot.counters ?? { late: 0, refused: 0, emitted: 0 };
    engine.late = Number(counters.late) || 0;
    engine.refused = Number(counters.refused) || 0;
    engine.emitted = Number(counters.emitted) || 0;
    return engine;
  }

  // -------------------------------------------------------------------------------------------

  private isTimed(): boolean {
    return this.spec.windowType === 'tumbling' || this.spec.windowType === 'hopping';
  }

  /** Copies the reading's numeric fields that take part into the scratch arrays; returns how many. */
  private selectFields(reading: Reading): number {
    const fields = reading.fields;
    let n = 0;
    if (this.spec.fields === '*') {
      for (const name in fields) {
        const value = fields[name];
        if (typeof value === 'number') {
          this.names[n] = name;
          this.values[n++] = value;
        }
      }
    } else {
      for (const name of this.spec.fields) {
        const value = Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
        if (typeof value === 'number') {
          this.names[n] = name;
          this.values[n++] = value;
        }
      }
    }
    return n;
  }

  private noFieldsMessage(): string {
    return this.spec.fields === '*'
      ? 'the reading has no numeric field to aggregate'
      : `the reading has none of the fields ${this.spec.fields.join(', ')} as a number`;
  }

  private refuse(code: RefusalCode, message: string): Outcome {
    this.refused++;
    return { kind: 'refused', code, message };
  }

  private newKey(reading: Reading, id: string): KeyState | undefined {
    if (this.active.size + this.tombstones.size >= this.spec.maxKeys) {
      const oldest = this.tombstones.keys().next();
      if (oldest.done) return undefined;
      this.tombstones.delete(oldest.value);
    }
    const tags = groupTags(reading, this.spec.groupBy);
    return {
      id,
      key: seriesKey(reading.measurement, tags),
      measurement: renderMeasurement(this.spec, reading.measurement),
      tags,
      windows: [],
      maxTime: -Infinity,
      closedUntil: -Infinity,
      lastArrival: 0,
    };
  }

  /** Event time before which a new window would already be closed (none in processing time). */
  private horizon(state: KeyState): number {
    return this.eventTime ? Math.max(state.maxTime - this.spec.allowedLateness, state.closedUntil) : -Infinity;
  }

  /** Tumbling (slide = size) and hopping windows: epoch-aligned [start, start + size). */
  private addTimed(state: KeyState, time: number, eventTime: number, n: number): Outcome {
    const { size, slide } = this.spec;
    const horizon = this.horizon(state);
    const newest = Math.floor(time / slide) * slide;
    // A window [s, s + size) holds `time` when time - size < s <= time; older ones end earlier.
    let oldest = newest;
    while (oldest - slide > time - size && oldest - slide + size > horizon) oldest -= slide;
    if (newest + size <= horizon) return this.lateOutcome(state, time, newest, newest + size);
    for (let start = oldest; start <= newest; start += slide) {
      const existing = findWindow(state.windows, start);
      if (existing && existing.fields.size + n > MAX_FIELDS_PER_WINDOW && existing.fields.size + existing.newFieldCount(this.names, n) > MAX_FIELDS_PER_WINDOW) {
        return this.refuse('TOO_MANY_FIELDS', `window ${state.key} at ${iso(start)} already holds ${existing.fields.size} of at most ${MAX_FIELDS_PER_WINDOW} fields`);
      }
    }
    for (let start = oldest; start <= newest; start += slide) {
      let window = findWindow(state.windows, start);
      if (!window) window = this.openWindow(state, start, start + size);
      window.add(this.names, this.values, n, eventTime, time, this.withDigest);
    }
    return ACCEPTED;
  }

  /** Session windows: [first reading, last reading + gap); a reading bridging two merges them. */
  private addSession(state: KeyState, time: number, eventTime: number, n: number): Outcome {
    const gap = this.spec.gap;
    if (this.eventTime && (time < state.closedUntil || time + gap <= state.maxTime - this.spec.allowedLateness)) {
      return this.lateOutcome(state, time, time, time + gap);
    }
    let target: OpenWindow | undefined;
    let fieldUpperBound = n;
    for (const window of state.windows) {
      if (window.firstTime - gap < time && time < window.lastTime + gap) fieldUpperBound += window.fields.size;
    }
    if (fieldUpperBound > MAX_FIELDS_PER_WINDOW) {
      const union = new Set(this.names.slice(0, n));
      for (const window of state.windows) {
        if (window.firstTime - gap < time && time < window.lastTime + gap) for (const name of window.fields.keys()) union.add(name);
      }
      if (union.size > MAX_FIELDS_PER_WINDOW) {
        return this.refuse('TOO_MANY_FIELDS', `session ${state.key} would hold ${union.size} of at most ${MAX_FIELDS_PER_WINDOW} fields`);
      }
    }
    for (let i = 0; i < state.windows.length; i++) {
      const window = state.windows[i] as OpenWindow;
      if (!(window.firstTime - gap < time && time < window.lastTime + gap)) continue;
      if (!target) {
        target = window;
      } else {
        target.merge(window);
        state.windows.splice(i--, 1);
        this.openWindows--;
      }
    }
    if (!target) {
      target = new OpenWindow(time, time + gap);
      let at = state.windows.length;
      while (at > 0 && (state.windows[at - 1] as OpenWindow).start > time) at--;
      state.windows.splice(at, 0, target);
      this.openWindows++;
    }
    target.add(this.names, this.values, n, eventTime, time, this.withDigest);
    target.start = target.firstTime;
    target.end = target.lastTime + gap;
    return ACCEPTED;
  }

  /** Count windows: close after `count` readings (or after `gap` of silence, in `tick`). */
  private addCounted(state: KeyState, time: number, eventTime: number, n: number, out: ClosedWindow[]): Outcome {
    let window = state.windows[0];
    if (window && window.fields.size + n > MAX_FIELDS_PER_WINDOW && window.fields.size + window.newFieldCount(this.names, n) > MAX_FIELDS_PER_WINDOW) {
      return this.refuse('TOO_MANY_FIELDS', `count window ${state.key} already holds ${window.fields.size} of at most ${MAX_FIELDS_PER_WINDOW} fields`);
    }
    if (!window) window = this.openWindow(state, time, time);
    window.add(this.names, this.values, n, eventTime, time, this.withDigest);
    window.start = window.firstTime;
    window.end = window.lastTime;
    if (window.count >= this.spec.count) {
      state.windows.shift();
      this.emit(state, window, out, false);
    }
    return ACCEPTED;
  }

  private lateOutcome(state: KeyState, time: number, start: number, end: number): Outcome {
    const watermark = state.maxTime - this.spec.allowedLateness;
    const reason =
      state.closedUntil >= end && state.closedUntil > watermark
        ? `windows up to ${iso(state.closedUntil)} were already closed (the key was quiet, or flushed)`
        : `the watermark is ${iso(watermark)} (newest reading ${iso(state.maxTime)} − allowedLateness ${formatDuration(this.spec.allowedLateness)})`;
    return {
      kind: 'late',
      message: `late reading at ${iso(time)} for ${state.key}: its window [${iso(start)}, ${iso(end)}) has closed; ${reason}`,
    };
  }

  private openWindow(state: KeyState, start: number, end: number): OpenWindow {
    const window = new OpenWindow(start, end);
    let at = state.windows.length;
    while (at > 0 && (state.windows[at - 1] as OpenWindow).start > start) at--;
    state.windows.splice(at, 0, window);
    this.openWindows++;
    if (end < this.nextEnd) this.nextEnd = end;
    return window;
  }

  /** Emits the key's windows that end at or before `limit`, oldest first. */
  private closeUpTo(state: KeyState, limit: number, out: ClosedWindow[]): void {
    while (state.windows.length > 0 && (state.windows[0] as OpenWindow).end <= limit) {
      this.emit(state, state.windows.shift() as OpenWindow, out, false);
    }
  }

  private closeAll(state: KeyState, out: ClosedWindow[], partial: boolean): void {
    for (const window of state.windows) this.emit(state, window, out, partial);
    state.windows = [];
  }

  private emit(state: KeyState, window: OpenWindow, out: ClosedWindow[], partial: boolean): void {
    this.openWindows--;
    if (window.end > state.closedUntil) state.closedUntil = window.end;
    const reading = windowReading(this.spec, state.measurement, state.tags, window);
    if (!reading) return;
    const info: WindowInfo = { start: window.start, end: window.end, count: window.count, key: state.key };
    if (partial) info.partial = true;
    out.push({ reading, window: info });
    this.emitted++;
  }

  /** A key without open windows: kept as a tombstone where lateness applies, else forgotten. */
  private retire(state: KeyState): void {
    this.active.delete(state.id);
    if (this.eventTime && this.spec.windowType !== 'count') this.tombstones.set(state.id, state);
  }
}

function idleTimeoutOf(spec: WindowSpec): number | undefined {
  switch (spec.windowType) {
    case 'count':
      return spec.gap > 0 ? spec.gap : undefined;
    case 'session':
      return spec.timeMode === 'event' ? spec.gap + spec.allowedLateness : spec.gap;
    default:
      // Processing-time windows close by the clock at their end; no idle rule needed.
      return spec.timeMode === 'event' ? spec.size + spec.allowedLateness : undefined;
  }
}

function findWindow(windows: readonly OpenWindow[], start: number): OpenWindow | undefined {
  for (let i = windows.length - 1; i >= 0; i--) {
    const window = windows[i] as OpenWindow;
    if (window.start === start) return window;
    if (window.start < start) return undefined;
  }
  return undefined;
}

function iso(time: number): string {
  return Number.isFinite(time) && Math.abs(time) <= 8.64e15 ? new Date(time).toISOString() : String(time);
}

function keyToJSON(state: KeyState): KeyJSON {
  return {
    id: state.id,
    key: state.key,
    measurement: state.measurement,
    tags: state.tags,
    maxTime: Number.isFinite(state.maxTime) ? state.maxTime : null,
    closedUntil: Number.isFinite(state.closedUntil) ? state.closedUntil : null,
    windows: state.windows.map((w) => w.toJSON()),
  };
}

function keyFromJSON(json: KeyJSON, now: number): KeyState {
  if (!json || typeof json.id !== 'string' || typeof json.key !== 'string' || typeof json.measurement !== 'string' || !Array.isArray(json.windows)) {
    throw new TypeError('a key in the snapshot needs id, key, measurement and windows');
  }
  return {
    id: json.id,
    key: json.key,
    measurement: json.measurement,
    tags: { ...(json.tags ?? {}) },
    windows: json.windows.map((w) => OpenWindow.fromJSON(w)).sort((a, b) => a.start - b.start),
    maxTime: typeof json.maxTime === 'number' ? json.maxTime : -Infinity,
    closedUntil: typeof json.closedUntil === 'number' ? json.closedUntil : -Infinity,
    lastArrival: now,
  };
}

/** A stored spec back in config form, so it is validated by the same parser as the editor's. */
function specAsConfig(spec: WindowSpec): Record<string, unknown> {
  return {
    ...spec,
    groupBy: Array.isArray(spec.groupBy) ? spec.groupBy.join(',') : '',
    fields: Array.isArray(spec.fields) ? spec.fields.join(',') : spec.fields,
    aggregates: Array.isArray(spec.aggregates) ? spec.aggregates.join(',') : '',
    gap: spec.windowType === 'count' && spec.gap === 0 ? '' : spec.gap,
  };
}
