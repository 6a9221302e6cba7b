/**
 * The `where` setting: which series a purge touches, as tag equality only. InfluxDB deletes by
 * tag and time but refuses field conditions, so this is all a DELETE can express; keeping the
 * dry-run count and the delete on the same condition means the count is what gets deleted.
 *
 * Shape (JSON): `{ "site": "plant-a", "device": ["dev-1", "dev-2"] }` — keys are ANDed, the
 * values of one key are ORed.
 */
import { LONE_SURROGATE } from '../influxql/quote';
import type { TagFilter } from '../influxql/statements';
import { PurgeError } from './errors';

export const MAX_TAG_VALUES = 1_000;

function bad(message: string, params: Record<string, string | number> = {}): PurgeError {
  return new PurgeError('WHERE_INVALID', message, { reason: message, ...params });
}

function tagValue(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  // Tag values are strings in InfluxDB; a JSON number or boolean means its text.
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  throw bad(`the value of tag "${key}" must be a string or an array of strings`);
}

/**
 * Text InfluxDB can hold and InfluxQL can carry: no line break or NUL (line protocol cannot write
 * one into a name) and valid Unicode (a lone surrogate would reach the server as U+FFFD, naming
 * something else).
 */
export function unusableText(text: string): string | undefined {
  if (/[\n\r\0]/.test(text)) return 'contains a line break or NUL';
  if (LONE_SURROGATE.test(text)) return 'is not valid Unicode (a lone surrogate)';
  return undefined;
}

function checkText(what: string, text: string): void {
  const problem = unusableText(text);
  if (problem) throw bad(`${what} ${JSON.stringify(text)} ${problem}`);
}

/**
 * Parses `where` from config (JSON text, possibly empty) or from a msg (an object).
 * Throws PurgeError(WHERE_INVALID) with a reason a user can act on.
 */
export function parseTagFilter(input: unknown): TagFilter {
  if (input === undefined || input === null) return [];
  let value = input;
  if (typeof input === 'string') {
    if (input.trim() === '') return [];
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw bad(`it is not valid JSON (${(err as Error).message})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('it must be a JSON object of tag names to values, e.g. {"site":"plant-a"}');
  }
  const filter: TagFilter = [];
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (key === '') throw bad('a tag name cannot be empty');
    if (key === 'time') throw bad('"time" is not a tag: the time range comes from olderThan');
    checkText('tag name', key);
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) throw bad(`tag "${key}" has an empty list of values`);
    if (list.length > MAX_TAG_VALUES) throw bad(`tag "${key}" has more than ${MAX_TAG_VALUES} values`);
    const values = [...new Set(list.map((v) => tagValue(key, v)))].sort();
    values.forEach((v) => checkText(`value of tag "${key}"`, v));
    filter.push({ key, values });
  }
  return filter.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * True when `candidate` selects a subset of the series `base` selects: it keeps every condition
 * of `base` with the same or fewer values, and may add conditions of its own.
 */
export function isNarrowerOrEqual(base: TagFilter, candidate: TagFilter): boolean {
  return base.every((condition) => {
    const other = candidate.find((c) => c.key === condition.key);
    return !!other && other.values.every((v) => condition.values.includes(v));
  });
}

/** `site=plant-a, device=dev-1|dev-2` — for status text and reports. */
export function describeTagFilter(filter: TagFilter): string {
  return filter.map((c) => `${c.key}=${c.values.join('|')}`).join(', ');
}

/** The filter as the JSON object a user writes (reports echo it back). */
export function tagFilterObject(filter: TagFilter): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const c of filter) out[c.key] = c.values.length === 1 ? (c.values[0] as string) : [...c.values];
  return out;
}
