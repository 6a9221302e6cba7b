/**
 * The purge node's configuration, checked once (README "How each node behaves", telemetry-purge), and the guards
 * on a msg that asks to change a run: it may narrow what a run touches, never widen it.
 */
import { ConfigResult, configFailed, configOk } from '../config-result';
import { formatDuration, parseOptionalDuration } from '../duration';
import { PurgeError } from './errors';
import { DownsampleAggregate, TagFilter, isDownsampleAggregate } from '../influxql/statements';
import { isNarrowerOrEqual, parseTagFilter, unusableText } from './tag-filter';

export const PURGE_MODES = ['delete', 'downsample-delete', 'retention-policy'] as const;
export type PurgeMode = (typeof PURGE_MODES)[number];

/** Bounds that keep one node's run and its report small. */
export const MAX_MEASUREMENTS = 1_000;
export const MIN_SCHEDULE_MS = 1_000;
const HOUR = 3_600_000;

/** The config properties as the editor saves them (all text, except the booleans). */
export interface PurgeConfigInput {
  measurements?: unknown;
  olderThan?: unknown;
  where?: unknown;
  mode?: unknown;
  downsampleTo?: unknown;
  downsampleEvery?: unknown;
  downsampleAggregate?: unknown;
  schedule?: unknown;
  dryRun?: unknown;
  minAge?: unknown;
  allowMsgOverride?: unknown;
  rpName?: unknown;
  rpDefault?: unknown;
  rpShardDuration?: unknown;
}

export interface PurgeSettings {
  mode: PurgeMode;
  measurements: string[];
  olderThanMs: number;
  where: TagFilter;
  /** Target measurement template: `{measurement}` and `{every}` are replaced. */
  downsampleTo: string;
  downsampleEveryMs: number;
  downsampleAggregates: DownsampleAggregate[];
  /** Interval between scheduled runs; undefined = only on input. */
  scheduleMs: number | undefined;
  dryRun: boolean;
  minAgeMs: number;
  allowMsgOverride: boolean;
  /** retention-policy mode: policy name ('' = the server's configured or default policy). */
  rpName: string;
  rpDefault: boolean;
  rpShardDurationMs: number | undefined;
}

export const DEFAULT_DOWNSAMPLE_TO = '{measurement}_{every}';

function fail(code: string, message: string, params: Record<string, string | number> = {}): never {
  throw new PurgeError(code, message, params);
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function bool(value: unknown): boolean {
  return value === true || value === 'true';
}

function duration(value: unknown, field: string, fallback?: number): number | undefined {
  try {
    return parseOptionalDuration(value, fallback);
  } catch (err) {
    return fail('BAD_DURATION_SETTING', `${field}: ${(err as Error).message}`, { field, reason: (err as Error).message });
  }
}

/**
 * `a, b, c` or a JSON array (for names that contain commas or surrounding spaces).
 * Order is kept, duplicates dropped.
 */
export function parseMeasurementList(value: unknown): string[] {
  let names: unknown[];
  if (Array.isArray(value)) names = value;
  else {
    const raw = text(value).trim();
    if (raw.startsWith('[')) {
      try {
        names = JSON.parse(raw) as unknown[];
      } catch (err) {
        return fail('BAD_MEASUREMENTS', `measurements: not a valid JSON array (${(err as Error).message})`, { reason: (err as Error).message });
      }
      if (!Array.isArray(names)) fail('BAD_MEASUREMENTS', 'measurements: expected a JSON array of names', { reason: 'not an array' });
    } else names = raw === '' ? [] : raw.split(',').map((s) => s.trim());
  }
  const out: string[] = [];
  for (const name of names) {
    if (typeof name !== 'string' || name === '') fail('BAD_MEASUREMENTS', 'measurements: every name must be a non-empty string', { reason: 'empty name' });
    const problem = unusableText(name);
    if (problem) fail('BAD_MEASUREMENTS', `measurements: ${JSON.stringify(name)} ${problem}`, { reason: `${JSON.stringify(name)} ${problem}` });
    if (!out.includes(name)) out.push(name);
  }
  if (out.length > MAX_MEASUREMENTS) fail('BAD_MEASUREMENTS', `measurements: at most ${MAX_MEASUREMENTS} names`, { reason: 'too many' });
  return out;
}

function parseAggregates(value: unknown): DownsampleAggregate[] {
  const names = (text(value).trim() || 'mean').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out: DownsampleAggregate[] = [];
  for (const name of names) {
    if (!isDownsampleAggregate(name)) fail('BAD_AGGREGATE', `downsampleAggregate: unknown aggregate ${JSON.stringify(name)}`, { name });
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** Refuses a cutoff younger than minAge, and a cutoff that is not in the past at all. */
export function checkAge(olderThanMs: number, minAgeMs: number): void {
  if (!(olderThanMs > 0)) fail('OLDER_THAN_REQUIRED', 'olderThan must be a duration greater than zero, e.g. 90d', {});
  if (olderThanMs < minAgeMs) {
    fail('TOO_RECENT', `olderThan ${formatDuration(olderThanMs)} is shorter than minAge ${formatDuration(minAgeMs)}: refusing to touch data that recent`, {
      olderThan: formatDuration(olderThanMs),
      minAge: formatDuration(minAgeMs),
    });
  }
}

/**
 * Validates the node config. A problem is the first thing wrong, as `errors.<code>` of the
 * purge catalogue with the code's params (the same codes a msg override is refused with).
 */
export function parsePurgeSettings(input: PurgeConfigInput): ConfigResult<PurgeSettings> {
  try {
    return configOk(readSettings(input));
  } catch (err) {
    if (err instanceof PurgeError) return configFailed([{ key: err.code, params: err.params }]);
    throw err;
  }
}

function readSettings(input: PurgeConfigInput): PurgeSettings {
  const mode = (text(input.mode) || 'delete') as PurgeMode;
  if (!PURGE_MODES.includes(mode)) fail('BAD_MODE', `mode must be one of ${PURGE_MODES.join(', ')}`, { mode });
  const minAgeMs = duration(input.minAge, 'minAge', HOUR) as number;
  const olderThanMs = duration(input.olderThan, 'olderThan', 0) as number;
  checkAge(olderThanMs, minAgeMs);
  const measurements = parseMeasurementList(input.measurements);
  if (mode !== 'retention-policy' && measurements.length === 0) {
    fail('NO_MEASUREMENTS', 'measurements: name at least one measurement to purge', {});
  }
  let where: TagFilter;
  try {
    where = parseTagFilter(input.where);
  } catch (err) {
    throw err instanceof PurgeError ? err : new PurgeError('WHERE_INVALID', String(err), { reason: String(err) });
  }
  const downsampleEveryMs = duration(input.downsampleEvery, 'downsampleEvery', HOUR) as number;
  if (!Number.isInteger(downsampleEveryMs) || downsampleEveryMs < 1) {
    fail('BAD_DURATION_SETTING', 'downsampleEvery must be at least 1ms', { field: 'downsampleEvery', reason: 'must be at least 1ms' });
  }
  const scheduleMs = duration(input.schedule, 'schedule', undefined);
  if (scheduleMs !== undefined && scheduleMs < MIN_SCHEDULE_MS) {
    fail('BAD_DURATION_SETTING', `schedule must be empty or at least ${formatDuration(MIN_SCHEDULE_MS)}`, { field: 'schedule', reason: 'too short' });
  }
  const rpShardDurationMs = duration(input.rpShardDuration, 'rpShardDuration', undefined);
  const settings: PurgeSettings = {
    mode,
    measurements,
    olderThanMs,
    where,
    downsampleTo: text(input.downsampleTo).trim() || DEFAULT_DOWNSAMPLE_TO,
    downsampleEveryMs,
    downsampleAggregates: parseAggregates(input.downsampleAggregate),
    scheduleMs,
    // A destructive node starts safe: only an explicit false makes a run change data.
    dryRun: input.dryRun === undefined || input.dryRun === null || input.dryRun === '' ? true : bool(input.dryRun),
    minAgeMs,
    allowMsgOverride: bool(input.allowMsgOverride),
    rpName: text(input.rpName).trim(),
    rpDefault: bool(input.rpDefault),
    rpShardDurationMs,
  };
  if (mode === 'downsample-delete') checkDownsampleTargets(settings);
  return settings;
}

/** The downsample target of one measurement: the template with its placeholders filled. */
export function downsampleTarget(settings: Pick<PurgeSettings, 'downsampleTo' | 'downsampleEveryMs'>, measurement: string): string {
  return settings.downsampleTo.replace(/\{measurement\}/g, () => measurement).replace(/\{every\}/g, () => formatDuration(settings.downsampleEveryMs));
}

/** A target that is itself purged (or the source) would be deleted right after being written. */
export function checkDownsampleTargets(settings: PurgeSettings): void {
  const targets = new Set<string>();
  for (const m of settings.measurements) {
    const target = downsampleTarget(settings, m);
    if (target === '' || unusableText(target)) fail('BAD_DOWNSAMPLE_TARGET', `downsampleTo gives an invalid name for ${JSON.stringify(m)}`, { measurement: m, target });
    if (settings.measurements.includes(target)) {
      fail('BAD_DOWNSAMPLE_TARGET', `downsampleTo gives ${JSON.stringify(target)} for ${JSON.stringify(m)}, a measurement this node deletes from`, { measurement: m, target });
    }
    if (targets.has(target)) {
      fail('BAD_DOWNSAMPLE_TARGET', `downsampleTo gives ${JSON.stringify(target)} for more than one measurement: add {measurement} to it`, { measurement: m, target });
    }
    targets.add(target);
  }
}

const OVERRIDE_KEYS = ['measurements', 'olderThan', 'where', 'dryRun'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * The settings for one run triggered by `payload`. A payload that is not an object, or an
 * object without any of the override keys, is a plain trigger. Overrides need
 * allowMsgOverride, and each may only narrow: a subset of the measurements, an older cutoff,
 * a filter inside the configured one, a dry run instead of a real one.
 */
export function settingsForRun(settings: PurgeSettings, payload: unknown): PurgeSettings {
  if (!isPlainObject(payload)) return settings;
  const present = OVERRIDE_KEYS.filter((k) => payload[k] !== undefined);
  if (present.length === 0) return settings;
  if (!settings.allowMsgOverride) {
    fail('OVERRIDE_DISABLED', `msg.payload sets ${present.join(', ')}, but this node does not allow msg overrides (allowMsgOverride)`, { keys: present.join(', ') });
  }
  const unknown = Object.keys(payload).filter((k) => !(OVERRIDE_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    fail('OVERRIDE_UNKNOWN', `msg.payload has ${unknown.join(', ')}: only ${OVERRIDE_KEYS.join(', ')} can be set per run`, { keys: unknown.join(', ') });
  }
  const run: PurgeSettings = { ...settings };
  if (payload.measurements !== undefined) {
    const names = parseMeasurementList(payload.measurements);
    const extra = names.filter((n) => !settings.measurements.includes(n));
    if (names.length === 0 || extra.length > 0) {
      fail('OVERRIDE_WIDENS', `msg.payload.measurements may only name configured measurements (not ${extra.join(', ') || 'none'})`, { key: 'measurements', detail: extra.join(', ') });
    }
    run.measurements = names;
  }
  if (payload.olderThan !== undefined) {
    const olderThanMs = duration(payload.olderThan, 'msg.payload.olderThan') as number;
    if (olderThanMs < settings.olderThanMs) {
      fail('OVERRIDE_WIDENS', `msg.payload.olderThan ${formatDuration(olderThanMs)} is shorter than the configured ${formatDuration(settings.olderThanMs)}`, {
        key: 'olderThan',
        detail: formatDuration(olderThanMs),
      });
    }
    run.olderThanMs = olderThanMs;
  }
  if (payload.where !== undefined) {
    const where = parseTagFilter(payload.where);
    if (!isNarrowerOrEqual(settings.where, where)) {
      fail('OVERRIDE_WIDENS', 'msg.payload.where must keep every configured tag condition and may only remove values or add tags', { key: 'where', detail: '' });
    }
    run.where = where;
  }
  if (payload.dryRun !== undefined) {
    if (typeof payload.dryRun !== 'boolean') fail('OVERRIDE_WIDENS', 'msg.payload.dryRun must be true or false', { key: 'dryRun', detail: String(payload.dryRun) });
    if (settings.dryRun && !payload.dryRun) fail('OVERRIDE_WIDENS', 'this node is configured as a dry run; msg.payload.dryRun cannot turn that off', { key: 'dryRun', detail: 'false' });
    run.dryRun = payload.dryRun;
  }
  checkAge(run.olderThanMs, run.minAgeMs);
  return run;
}
