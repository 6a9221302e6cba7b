/**
 * The enrich rule `deadband` (report by exception, DESIGN §8): per series (measurement + every
 * tag) it remembers the last value of `field` it passed on, and removes the field from a reading
 * whose value moved less than `delta` since then (`relative`: less than `delta` × |last value|),
 * unless `maxSilence` has passed since then in event time (the readings' timestamps), so a flat
 * line is still written now and then and liveness still sees the device.
 *
 * Only the field goes: a reading with other fields left carries on without it (a humidity that
 * changed is not lost because the temperature did not); a reading left with no field is dropped
 * (a `drop` stop: counted, never sent to output 2). Non-numeric values always pass and leave
 * the state as it is.
 *
 * Memory: at most `maxSeries` series per rule (~340 bytes each with two short tags, measured in
 * bench/enrich.bench.js; 100,000 series ≈ 34 MB). Beyond it new
 * series pass through uncompressed and `overflow` counts them, so the node can say so.
 */
import type { Reading } from '../reading';
import { parseOptionalDuration } from '../duration';
import { describeValue, nameProblem } from './values';

export const DEADBAND_MAX_SERIES = 100_000;

/** The checked rule (`{ type: "deadband", field, delta, relative, maxSilence }`). */
export interface DeadbandSpec {
  field: string;
  delta: number;
  relative: boolean;
  /** Event-time ms after which a value passes whatever it is; undefined = never. */
  maxSilenceMs: number | undefined;
}

/** Why a spec is not valid: an i18n key under `errors.` and its parameters. */
export interface DeadbandProblem {
  key: string;
  params: Record<string, string | number>;
}

export function parseDeadband(spec: Record<string, unknown>): DeadbandSpec | DeadbandProblem {
  const field = spec.field;
  const problem = nameProblem(field);
  if (problem) return { key: 'rule-name', params: { what: 'field', reason: problem } };
  const rawDelta = spec.delta;
  const delta = typeof rawDelta === 'string' && rawDelta.trim() !== '' ? Number(rawDelta.trim()) : rawDelta;
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta < 0) {
    return { key: 'rule-delta', params: { value: describeValue(rawDelta) } };
  }
  let relative: boolean;
  if (spec.relative === undefined || spec.relative === null || spec.relative === '' || spec.relative === false || spec.relative === 'false') relative = false;
  else if (spec.relative === true || spec.relative === 'true') relative = true;
  else return { key: 'rule-relative', params: { value: describeValue(spec.relative) } };
  let maxSilenceMs: number | undefined;
  try {
    maxSilenceMs = parseOptionalDuration(spec.maxSilence, undefined);
  } catch (err) {
    return { key: 'rule-maxSilence', params: { reason: (err as Error).message } };
  }
  if (maxSilenceMs === 0) maxSilenceMs = undefined;
  return { field: field as string, delta, relative, maxSilenceMs };
}

interface Last {
  value: number;
  time: number;
}

/**
 * The series key: measurement and every tag, names sorted, parts joined by line breaks. No valid
 * name or value holds a line break (line protocol cannot carry one; the validator refuses it), so
 * two valid series never share a key. Tags usually come in sorted order: they are then read once,
 * without sorting (measured: ~0.3 µs a reading instead of ~0.6 with a sort and length prefixes).
 */
export function deadbandSeriesKey(reading: Reading): string {
  let id = reading.measurement;
  const tags = reading.tags;
  let previous = '';
  for (const name in tags) {
    if (name < previous) return sortedKey(reading.measurement, tags);
    previous = name;
    id += '\n' + name + '\n' + (tags[name] as string);
  }
  return id;
}

function sortedKey(measurement: string, tags: Record<string, string>): string {
  let id = measurement;
  for (const name of Object.keys(tags).sort()) id += '\n' + name + '\n' + (tags[name] as string);
  return id;
}

/** The state of one deadband rule: what it last passed on, per series. */
export class Deadband {
  private readonly last = new Map<string, Last>();
  /** Readings of new series that passed uncompressed because the state was full. */
  overflow = 0;

  constructor(readonly spec: DeadbandSpec, readonly maxSeries: number = DEADBAND_MAX_SERIES) {}

  get size(): number {
    return this.last.size;
  }

  /** True when the field should be written (and remembers it), false when it is suppressed. */
  keep(reading: Reading, value: number): boolean {
    const time = reading.timestamp;
    // An invalid reading is refused after the rules: it must not touch the state.
    if (typeof time !== 'number' || !Number.isFinite(time) || typeof reading.measurement !== 'string') return true;
    const key = deadbandSeriesKey(reading);
    const last = this.last.get(key);
    if (last === undefined) {
      if (this.last.size >= this.maxSeries) {
        this.overflow++;
        return true;
      }
      this.last.set(key, { value, time });
      return true;
    }
    const { delta, relative, maxSilenceMs } = this.spec;
    const moved = Math.abs(value - last.value);
    const band = relative ? delta * Math.abs(last.value) : delta;
    const unchanged = value === last.value || moved < band;
    if (unchanged && (maxSilenceMs === undefined || time - last.time < maxSilenceMs)) return false;
    last.value = value;
    last.time = time;
    return true;
  }
}
