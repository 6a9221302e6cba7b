/**
 * The one message shape every node speaks (README "The reading") and its validator.
 *
 * Validation returns reason codes instead of throwing so that a node can route a bad
 * reading to its error output with `msg.error = { code, message }` and keep going.
 */

export type FieldValue = number | boolean | string;

export interface Reading {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Event time, epoch milliseconds. */
  timestamp: number;
}

export type ReasonCode =
  | 'NOT_A_READING'
  | 'EMPTY_MEASUREMENT'
  | 'NO_FIELDS'
  | 'BAD_FIELD_TYPE'
  | 'NON_FINITE'
  | 'BAD_TIMESTAMP'
  | 'RESERVED_KEY'
  | 'EMPTY_KEY'
  | 'BAD_TAG'
  | 'STRING_TOO_LONG'
  | 'UNENCODABLE';

export interface Refusal {
  code: ReasonCode;
  message: string;
}

/** Strings longer than this (in UTF-16 code units) are refused: InfluxDB's own limit is 64 KiB. */
export const MAX_STRING_LENGTH = 64 * 1024;

/**
 * InfluxDB stores nanoseconds in an int64: 1677-09-21 .. 2262-04-11. In ms that is ±9.22e12.
 * A timestamp outside it is refused by the server with a 400 for the whole batch.
 */
export const MIN_TIMESTAMP_MS = -9_223_372_036_854;
export const MAX_TIMESTAMP_MS = 9_223_372_036_854;

/** Keys InfluxDB 1.x refuses as tag or field names (the point is dropped with a 400). */
const RESERVED_KEYS = new Set(['time']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  // A function node builds objects in its own vm context, whose Object.prototype is not this
  // realm's: accept a plain object of any realm (its prototype is a root prototype).
  return Object.prototype.toString.call(value) === '[object Object]' && Object.getPrototypeOf(proto) === null;
}

function refuse(code: ReasonCode, message: string): Refusal {
  return { code, message };
}

/**
 * Checks a name (measurement, tag key, tag value, field key) against what line protocol can carry.
 * InfluxDB 1.x does not unescape `\\` in names, so a backslash is written as it is; that makes a
 * backslash at the end of a name, or before a comma, space, equals sign or double quote (influxd
 * 1.6 unescapes `\\"` in measurements and field keys), impossible to encode without changing the
 * name. Newlines end a line and cannot be escaped at all; a lone UTF-16 surrogate has no UTF-8
 * form (the server would store U+FFFD instead).
 * `label` may be a function so the hot path of a valid name builds no message text.
 */
export function checkName(label: string | (() => string), name: string): Refusal | undefined {
  if (name.length <= 64 && SAFE_NAME.test(name)) return undefined;
  const what = typeof label === 'string' ? label : label();
  if (name.length > MAX_STRING_LENGTH) {
    return refuse('STRING_TOO_LONG', `${what} is longer than ${MAX_STRING_LENGTH} characters`);
  }
  if (/[\n\r]/.test(name)) {
    return refuse('UNENCODABLE', `${what} ${JSON.stringify(name)} contains a line break`);
  }
  if (/\\$|\\[ ,="]/.test(name)) {
    return refuse(
      'UNENCODABLE',
      `${what} ${JSON.stringify(name)} has a backslash at its end or before a space, comma, equals sign or double quote, which InfluxDB line protocol cannot represent`,
    );
  }
  if (hasLoneSurrogate(name)) {
    return refuse('UNENCODABLE', `${what} ${JSON.stringify(name)} contains a lone UTF-16 surrogate, which has no UTF-8 form`);
  }
  return undefined;
}

/** Short names of these characters need none of the checks below (the common case, fast). */
const SAFE_NAME = /^[\w.:/@+-]*$/;

/** True when `text` holds half of a UTF-16 surrogate pair without the other half. */
function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * influxd skips spaces, tabs and NUL bytes before a line and before its field section, so a
 * measurement or field key starting with a tab or NUL would lose that character (a leading space
 * is escaped, so it survives).
 */
function startsWithSkippedWhitespace(what: string, name: string): Refusal | undefined {
  return /^[\t\0]/.test(name)
    ? refuse('UNENCODABLE', `${what} ${JSON.stringify(name)} starts with a tab or NUL, which InfluxDB skips as whitespace`)
    : undefined;
}

/** InfluxDB 1.x refuses a point whose series key + "#!~#" + field key is longer than this (bytes). */
export const MAX_KEY_BYTES = 65_535;

/** UTF-8 length of `name` once its line-protocol escapes (a backslash per char in `special`) are added. */
function escapedBytes(name: string, special: RegExp): number {
  return Buffer.byteLength(name, 'utf8') + (name.match(special)?.length ?? 0);
}

function checkKey(what: 'tag' | 'field', key: string): Refusal | undefined {
  if (key.length === 0) return refuse('EMPTY_KEY', `${what} name is empty`);
  if (RESERVED_KEYS.has(key)) return refuse('RESERVED_KEY', `${what} name "${key}" is reserved by InfluxDB`);
  return checkName(() => `${what} name`, key) ?? (what === 'field' ? startsWithSkippedWhitespace('field name', key) : undefined);
}

/** Returns undefined when the value is a valid reading, else the first reason it is not. */
export function validateReading(value: unknown): Refusal | undefined {
  if (!isPlainObject(value)) return refuse('NOT_A_READING', 'a reading must be an object');
  const { measurement, tags, fields, timestamp } = value;

  if (typeof measurement !== 'string' || measurement.length === 0) {
    return refuse('EMPTY_MEASUREMENT', 'measurement must be a non-empty string');
  }
  if (measurement.startsWith('#')) {
    // InfluxDB reads a line starting with '#' as a comment and answers 204: a silent loss.
    return refuse('UNENCODABLE', `measurement ${JSON.stringify(measurement)} starts with "#", which InfluxDB reads as a comment`);
  }
  const measurementProblem = checkName('measurement', measurement) ?? startsWithSkippedWhitespace('measurement', measurement);
  if (measurementProblem) return measurementProblem;

  if (tags !== undefined && !isPlainObject(tags)) return refuse('BAD_TAG', 'tags must be an object of strings');
  for (const [key, tagValue] of Object.entries(tags ?? {})) {
    const keyProblem = checkKey('tag', key);
    if (keyProblem) return keyProblem;
    if (typeof tagValue !== 'string') {
      return refuse('BAD_TAG', `tag "${key}" must be a string, got ${describeType(tagValue)}`);
    }
    const valueProblem = checkName(() => `tag "${key}" value`, tagValue);
    if (valueProblem) return valueProblem;
  }

  if (!isPlainObject(fields)) return refuse('NO_FIELDS', 'fields must be an object with at least one field');
  const fieldEntries = Object.entries(fields);
  if (fieldEntries.length === 0) return refuse('NO_FIELDS', 'a reading needs at least one field');
  for (const [key, fieldValue] of fieldEntries) {
    const keyProblem = checkKey('field', key);
    if (keyProblem) return keyProblem;
    if (tags && Object.prototype.hasOwnProperty.call(tags, key)) {
      return refuse('RESERVED_KEY', `"${key}" is both a tag and a field`);
    }
    const fieldProblem = checkFieldValue(key, fieldValue);
    if (fieldProblem) return fieldProblem;
  }

  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) {
    return refuse('BAD_TIMESTAMP', 'timestamp must be an integer number of epoch milliseconds');
  }
  if (timestamp < MIN_TIMESTAMP_MS || timestamp > MAX_TIMESTAMP_MS) {
    return refuse('BAD_TIMESTAMP', `timestamp ${timestamp} is outside the range InfluxDB can store`);
  }
  return checkKeyLength(measurement, tags as Record<string, string> | undefined, fieldEntries);
}

/**
 * The series key (escaped measurement and non-empty tags as written) plus "#!~#" plus the longest
 * field key must fit in 65,535 UTF-8 bytes, or influxd refuses the point ("max key length exceeded").
 */
function checkKeyLength(
  measurement: string,
  tags: Record<string, string> | undefined,
  fieldEntries: readonly [string, unknown][],
): Refusal | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes and gains at most one escape: when 4 bytes per unit
  // fit, the exact count (the costly part of validating a reading) cannot exceed the limit.
  let units = measurement.length + 4;
  for (const key in tags) units += 2 + key.length + (tags[key] as string).length;
  for (const [key] of fieldEntries) units += key.length;
  if (units * 4 <= MAX_KEY_BYTES) return undefined;
  let bytes = escapedBytes(measurement, /[, ]/g) + 4;
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (value !== '') bytes += 2 + escapedBytes(key, /[,= ]/g) + escapedBytes(value, /[,= ]/g);
  }
  let longestField = 0;
  for (const [key] of fieldEntries) longestField = Math.max(longestField, escapedBytes(key, /[,= ]/g));
  bytes += longestField;
  return bytes > MAX_KEY_BYTES
    ? refuse('STRING_TOO_LONG', `measurement, tags and field name take ${bytes} bytes, more than the ${MAX_KEY_BYTES} InfluxDB allows for a series key`)
    : undefined;
}

export function checkFieldValue(key: string, value: unknown): Refusal | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : refuse('NON_FINITE', `field "${key}" is ${value}, which InfluxDB cannot store`);
  }
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'string') {
    if (value.length > MAX_STRING_LENGTH) {
      return refuse('STRING_TOO_LONG', `field "${key}" is longer than ${MAX_STRING_LENGTH} characters`);
    }
    return hasLoneSurrogate(value)
      ? refuse('UNENCODABLE', `field "${key}" contains a lone UTF-16 surrogate, which has no UTF-8 form`)
      : undefined;
  }
  return refuse('BAD_FIELD_TYPE', `field "${key}" must be a number, boolean or string, got ${describeType(value)}`);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** A msg payload may be one reading or a batch of them (README "The reading"). */
export function asReadingList(payload: unknown): unknown[] {
  return Array.isArray(payload) ? payload : [payload];
}
