/**
 * The window node's configuration (DESIGN.md §5 telemetry-window), parsed and checked once.
 * Property names are the public config names; every problem is reported in words a Node-RED
 * user can act on, all at once, instead of the first one only.
 */
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

export type ParsedConfig = { ok: true; spec: WindowSpec } | { ok: false; problems: string[] };

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['measurement', 'size', 'type']);

export function parseWindowConfig(input: WindowConfigInput): ParsedConfig {
  const problems: string[] = [];
  const text = (value: unknown, fallback: string | number): string =>
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '') ? String(fallback) : String(value).trim();

  const windowType = pick('windowType', text(input.windowType, DEFAULTS.windowType), WINDOW_TYPES, problems);
  const timeMode = pick('timeMode', text(input.timeMode, DEFAULTS.timeMode), TIME_MODES, problems);
  const timed = windowType === 'tumbling' || windowType === 'hopping';

  const size = timed ? duration('size', text(input.size, DEFAULTS.size), problems, 1) : 0;
  let slide = size;
  if (windowType === 'hopping') {
    slide = duration('slide', text(input.slide, DEFAULTS.slide), problems, 1);
    if (size > 0 && slide > size) {
      problems.push(`slide (${formatDuration(slide)}) must not be longer than size (${formatDuration(size)}): readings between windows would belong to none`);
    } else if (size > 0 && slide > 0 && Math.ceil(size / slide) > MAX_WINDOWS_PER_READING) {
      problems.push(`size ÷ slide is ${Math.ceil(size / slide)}; at most ${MAX_WINDOWS_PER_READING} overlapping windows are allowed (each reading updates every one of them)`);
    }
  }
  let gap = 0;
  if (windowType === 'session') gap = duration('gap', text(input.gap, DEFAULTS.gap), problems, 1);
  if (windowType === 'count') gap = text(input.gap, '') === '' ? 0 : duration('gap', text(input.gap, ''), problems, 0);

  let count = 0;
  if (windowType === 'count') {
    count = Number(text(input.count, DEFAULTS.count));
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
      problems.push(`count must be a whole number from 1 to 1000000, got ${JSON.stringify(input.count)}`);
    }
  }

  const groupBy = list(text(input.groupBy ?? DEFAULTS.groupBy, ''));
  for (const tag of groupBy) {
    const problem = checkName('groupBy tag', tag);
    if (problem) problems.push(problem.message);
  }

  const fieldsText = text(input.fields, DEFAULTS.fields);
  const fields = fieldsText === '*' ? '*' : list(fieldsText);
  if (fields !== '*' && fields.length === 0) problems.push('fields must be "*" or a comma-separated list of field names');

  const aggregates: Aggregate[] = [];
  for (const name of list(text(input.aggregates, DEFAULTS.aggregates))) {
    if (!(AGGREGATES as readonly string[]).includes(name)) {
      problems.push(`unknown aggregate "${name}"; use ${AGGREGATES.join(', ')}`);
    } else if (!aggregates.includes(name as Aggregate)) {
      aggregates.push(name as Aggregate);
    }
  }
  if (aggregates.length === 0 && !problems.some((p) => p.startsWith('unknown aggregate'))) {
    problems.push('aggregates must name at least one aggregate');
  }

  const allowedLateness = duration('allowedLateness', text(input.allowedLateness, DEFAULTS.allowedLateness), problems, 0);

  const outputMeasurement = text(input.outputMeasurement, DEFAULTS.outputMeasurement);
  for (const match of outputMeasurement.matchAll(PLACEHOLDER)) {
    if (!KNOWN_PLACEHOLDERS.has(match[1] as string)) {
      problems.push(`outputMeasurement: unknown placeholder "{${match[1]}}"; use {measurement}, {size} or {type}`);
    }
  }

  const maxKeys = Number(text(input.maxKeys, DEFAULTS.maxKeys));
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    problems.push(`maxKeys must be a whole number of at least 1, got ${JSON.stringify(input.maxKeys)}`);
  }

  if (problems.length > 0) return { ok: false, problems };
  const spec: WindowSpec = {
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
  };
  const sample = renderMeasurement(spec, 'telemetry');
  const sampleProblem =
    sample === '' ? 'it is empty' : sample.startsWith('#') ? 'it starts with "#", which InfluxDB reads as a comment' : checkName('measurement', sample)?.message;
  if (sampleProblem) return { ok: false, problems: [`outputMeasurement "${spec.outputMeasurement}" gives an unusable measurement: ${sampleProblem}`] };
  return { ok: true, spec };
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

function pick<T extends string>(name: string, value: string, allowed: readonly T[], problems: string[]): T | undefined {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return undefined;
}

function duration(name: string, value: string, problems: string[], min: number): number {
  try {
    const ms = parseDuration(value);
    if (!Number.isInteger(ms)) {
      problems.push(`${name}: ${JSON.stringify(value)} is not a whole number of milliseconds`);
      return 0;
    }
    if (ms < min) {
      problems.push(`${name} must be at least ${formatDuration(min)}, got ${JSON.stringify(value)}`);
      return 0;
    }
    return ms;
  } catch (err) {
    problems.push(`${name}: ${err instanceof DurationError ? err.message : String(err)}`);
    return 0;
  }
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
