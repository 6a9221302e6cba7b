/**
 * The window node's configuration (README "How each node behaves", telemetry-window), parsed and checked once.
 * Property names are the public config names; every problem is reported at once, as an i18n key
 * under the node's `errors.` (nodes/locales/<lang>/telemetry-window.json) with its parameters.
 */
import { type ConfigProblem, type ConfigResult, configFailed, configResult } from '../config-result';
import { DurationError, formatDuration, parseDuration } from '../duration';
import { checkName } from '../reading';

export const WINDOW_TYPES = ['tumbling', 'hopping', 'session', 'count'] as const;
export type WindowType = (typeof WINDOW_TYPES)[number];

export const TIME_MODES = ['event', 'processing'] as const;
export type TimeMode = (typeof TIME_MODES)[number];

export const AGGREGATES = [
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'first',
  'last',
  'stddev',
  'spread',
  'median',
  'p90',
  'p95',
  'p99',
  'rate',
] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** Aggregates that need the quantile sketch (the only ones that are not a few numbers). */
export const SKETCH_AGGREGATES: ReadonlySet<Aggregate> = new Set<Aggregate>(['median', 'p90', 'p95', 'p99']);

/** Hopping windows per reading (size ÷ slide): each reading updates this many windows. */
export const MAX_WINDOWS_PER_READING = 100;

export interface WindowSpec {
  windowType: WindowType;
  /** ms; tumbling and hopping */
  size: number;
  /** ms; hopping (equal to size for tumbling) */
  slide: number;
  /** ms; session: silence that ends a session; count: silence that closes a part-filled window (0 = never) */
  gap: number;
  /** readings per count window */
  count: number;
  /** tag keys that, with the measurement, make the key */
  groupBy: string[];
  /** field names, or '*' for every numeric field */
  fields: string[] | '*';
  aggregates: Aggregate[];
  timeMode: TimeMode;
  /** ms */
  allowedLateness: number;
  /** template: {measurement}, {size}, {type} */
  outputMeasurement: string;
  maxKeys: number;
}

/** The node's config as the editor stores it (strings, mostly). */
export interface WindowConfigInput {
  windowType?: unknown;
  size?: unknown;
  slide?: unknown;
  gap?: unknown;
  count?: unknown;
  groupBy?: unknown;
  fields?: unknown;
  aggregates?: unknown;
  timeMode?: unknown;
  allowedLateness?: unknown;
  outputMeasurement?: unknown;
  maxKeys?: unknown;
}

export const DEFAULTS = {
  windowType: 'tumbling',
  size: '1m',
  slide: '30s',
  gap: '5m',
  count: 100,
  groupBy: 'device',
  fields: '*',
  aggregates: 'mean,min,max,count',
  timeMode: 'event',
  allowedLateness: '0s',
  outputMeasurement: '{measurement}_{size}',
  maxKeys: 100_000,
} as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['measurement', 'size', 'type']);

export function parseWindowConfig(input: WindowConfigInput): ConfigResult<WindowSpec> {
  const problems: ConfigProblem[] = [];
  const problem = (key: string, params?: Record<string, string | number>): void => {
    problems.push(params ? { key, params } : { key });
  };
  const text = (value: unknown, fallback: string | number): string =>
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ? String(fallback) : String(value).trim();

  const windowType = pick('windowType', text(input.windowType, DEFAULTS.windowType), WINDOW_TYPES, problem);
  const timeMode = pick('timeMode', text(input.timeMode, DEFAULTS.timeMode), TIME_MODES, problem);
  const timed = windowType === 'tumbling' || windowType === 'hopping';

  const size = timed ? duration('size', text(input.size, DEFAULTS.size), problem, 1) : 0;
  let slide = size;
  if (windowType === 'hopping') {
    slide = duration('slide', text(input.slide, DEFAULTS.slide), problem, 1);
    if (size > 0 && slide > size) {
      problem('slide-too-long', { slide: formatDuration(slide), size: formatDuration(size) });
    } else if (size > 0 && slide > 0 && Math.ceil(size / slide) > MAX_WINDOWS_PER_READING) {
      problem('too-many-hops', { hops: Math.ceil(size / slide), max: MAX_WINDOWS_PER_READING });
    }
  }
  let gap = 0;
  if (windowType === 'session') gap = duration('gap', text(input.gap, DEFAULTS.gap), problem, 1);
  if (windowType === 'count') gap = text(input.gap, '') === '' ? 0 : duration('gap', text(input.gap, ''), problem, 0);

  let count = 0;
  if (windowType === 'count') {
    count = Number(text(input.count, DEFAULTS.count));
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) problem('count', { value: shown(input.count) });
  }

  const groupBy = list(text(input.groupBy ?? DEFAULTS.groupBy, ''));
  for (const tag of groupBy) {
    const refusal = checkName('groupBy tag', tag);
    if (refusal) problem('group-by', { reason: refusal.message });
  }

  const fieldsText = text(input.fields, DEFAULTS.fields);
  const fields = fieldsText === '*' ? '*' : list(fieldsText);
  if (fields !== '*' && fields.length === 0) problem('fields');

  const aggregates: Aggregate[] = [];
  let unknownAggregate = false;
  for (const name of list(text(input.aggregates, DEFAULTS.aggregates))) {
    if (!(AGGREGATES as readonly string[]).includes(name)) {
      unknownAggregate = true;
      problem('unknown-aggregate', { name, allowed: AGGREGATES.join(', ') });
    } else if (!aggregates.includes(name as Aggregate)) {
      aggregates.push(name as Aggregate);
    }
  }
  if (aggregates.length === 0 && !unknownAggregate) problem('no-aggregates');

  const allowedLateness = duration('allowedLateness', text(input.allowedLateness, DEFAULTS.allowedLateness), problem, 0);

  const outputMeasurement = text(input.outputMeasurement, DEFAULTS.outputMeasurement);
  for (const match of outputMeasurement.matchAll(PLACEHOLDER)) {
    if (!KNOWN_PLACEHOLDERS.has(match[1] as string)) problem('placeholder', { name: match[1] as string });
  }

  const maxKeys = Number(text(input.maxKeys, DEFAULTS.maxKeys));
  if (!Number.isInteger(maxKeys) || maxKeys < 1) problem('max-keys', { value: shown(input.maxKeys) });

  const result = configResult<WindowSpec>(problems, () => ({
    windowType: windowType as WindowType,
    size,
    slide,
    gap,
    count,
    groupBy,
    fields,
    aggregates,
    timeMode: timeMode as TimeMode,
    allowedLateness,
    outputMeasurement,
    maxKeys,
  }));
  if (!result.ok) return result;
  const sample = renderMeasurement(result.settings, 'telemetry');
  const template = result.settings.outputMeasurement;
  if (sample === '') return configFailed([{ key: 'measurement-empty', params: { template } }]);
  if (sample.startsWith('#')) return configFailed([{ key: 'measurement-comment', params: { template } }]);
  const refusal = checkName('measurement', sample);
  if (refusal) return configFailed([{ key: 'measurement-name', params: { template, reason: refusal.message } }]);
  return result;
}

/** The text {size} stands for: the window size, a session's gap, or a count window's count. */
export function sizeLabel(spec: WindowSpec): string {
  if (spec.windowType === 'session') return formatDuration(spec.gap);
  if (spec.windowType === 'count') return String(spec.count);
  return formatDuration(spec.size);
}

/** The output measurement for readings of `measurement` (e.g. `telemetry_1m`). */
export function renderMeasurement(spec: WindowSpec, measurement: string): string {
  return spec.outputMeasurement.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'measurement') return measurement;
    if (name === 'size') return sizeLabel(spec);
    if (name === 'type') return spec.windowType;
    return whole;
  });
}

/** True when the state kept under `a` means the same under `b` (maxKeys may change freely). */
export function sameWindowing(a: WindowSpec, b: WindowSpec): boolean {
  const { maxKeys: _a, ...restA } = a;
  const { maxKeys: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

type Problem = (key: string, params?: Record<string, string | number>) => void;

/** A config value as the problem shows it (`"0"`, `-1`, `undefined`). */
function shown(value: unknown): string {
  return String(JSON.stringify(value));
}

function pick<T extends string>(name: string, value: string, allowed: readonly T[], problem: Problem): T | undefined {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problem('choice', { name, allowed: allowed.join(', '), value: shown(value) });
  return undefined;
}

function duration(name: string, value: string, problem: Problem, min: number): number {
  try {
    const ms = parseDuration(value);
    if (!Number.isInteger(ms)) {
      problem('whole-ms', { name, value: shown(value) });
      return 0;
    }
    if (ms < min) {
      problem('too-short', { name, min: formatDuration(min), value: shown(value) });
      return 0;
    }
    return ms;
  } catch (err) {
    problem('duration', { name, reason: err instanceof DurationError ? err.message : String(err) });
    return 0;
  }
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
