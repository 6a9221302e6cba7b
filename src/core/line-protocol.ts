/**
 * InfluxDB line protocol for readings: an encoder for the archive and a parser for ingest.
 *
 * Escaping follows what InfluxDB 1.x actually parses (checked against influxd 1.6):
 * - measurement: `,` and space are escaped;
 * - tag keys, tag values, field keys: `,`, `=` and space are escaped;
 * - string field values: `"` and `\` are escaped; a newline inside the quotes is kept as is;
 * - a backslash in a name is written as it is (1.x does not unescape `\\` there), which is
 *   why the validator refuses names whose backslash would look like an escape.
 * When parsing, influxd 1.6 also unescapes `\\=` and `\\"` in measurements and `\\"` in field
 * keys; the parser does the same.
 * Numbers are floats (no `i` suffix) so a field never flips type, unless the archive's `fieldTypes`
 * says otherwise (encodeTypedReading); time is in ms.
 */

import { FieldValue, Reading, validateReading } from './reading';

const MEASUREMENT_SPECIAL = /[, ]/g;
const NAME_SPECIAL = /[,= ]/g;
const STRING_SPECIAL = /["\\]/g;
// Most names need no escaping: a test is ~10× cheaper than a replace that finds nothing, and the
// encoder runs for every point the archive writes (bench/archive.bench.js).
const HAS_MEASUREMENT_SPECIAL = /[, ]/;
const HAS_NAME_SPECIAL = /[,= ]/;
const HAS_STRING_SPECIAL = /["\\]/;

export function escapeMeasurement(name: string): string {
  return HAS_MEASUREMENT_SPECIAL.test(name) ? name.replace(MEASUREMENT_SPECIAL, '\\$&') : name;
}

export function escapeName(name: string): string {
  return HAS_NAME_SPECIAL.test(name) ? name.replace(NAME_SPECIAL, '\\$&') : name;
}

export function encodeFieldValue(value: FieldValue): string {
  if (typeof value === 'number') {
    // String(1) is "1", which InfluxDB reads as a float (only a trailing "i" makes an integer).
    // String(-0) is "0", but influxd stores "-0" as the float -0: keep the sign.
    return Object.is(value, -0) ? '-0' : String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `"${HAS_STRING_SPECIAL.test(value) ? value.replace(STRING_SPECIAL, '\\$&') : value}"`;
}

/**
 * Encodes one reading that has already passed validateReading. Tags are sorted by key (what
 * InfluxDB does itself, so it saves the server the work); tags with an empty value are left out,
 * which InfluxDB treats exactly like a missing tag.
 */
export function encodeValidReading(reading: Reading): string {
  return encodeWithFieldTexts(reading, undefined);
}

/**
 * Like encodeValidReading, but the fields named in `texts` are written as the text given there
 * (the archive's `fieldTypes`: `42i`, `42u`; src/core/archive/field-types.ts checks them).
 */
export function encodeTypedReading(reading: Reading, texts: ReadonlyMap<string, string>): string {
  return encodeWithFieldTexts(reading, texts.size > 0 ? texts : undefined);
}

function encodeWithFieldTexts(reading: Reading, texts: ReadonlyMap<string, string> | undefined): string {
  let line = escapeMeasurement(reading.measurement);
  // validateReading accepts a reading without tags, so this must too.
  const tags: Record<string, string> = reading.tags ?? {};
  const tagKeys = Object.keys(tags).sort();
  for (const key of tagKeys) {
    const value = tags[key] as string;
    if (value === '') continue;
    line += `,${escapeName(key)}=${escapeName(value)}`;
  }
  let first = true;
  for (const key of Object.keys(reading.fields)) {
    const text = texts?.get(key) ?? encodeFieldValue(reading.fields[key] as FieldValue);
    line += `${first ? ' ' : ','}${escapeName(key)}=${text}`;
    first = false;
  }
  return `${line} ${Math.trunc(reading.timestamp)}`;
}

/** Validates then encodes; throws with the validator's message when the reading is invalid. */
export function encodeReading(reading: Reading): string {
  const problem = validateReading(reading);
  if (problem) throw new Error(`${problem.code}: ${problem.message}`);
  return encodeValidReading(reading);
}

/** Encodes readings one per line (no trailing newline). */
export function encodeReadings(readings: readonly Reading[]): string {
  return readings.map(encodeReading).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Parser

export class LineProtocolError extends Error {
  constructor(readonly line: string, reason: string) {
    super(`${reason} in line ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}`);
    this.name = 'LineProtocolError';
  }
}

/** Which precision the timestamps of parsed text are in (InfluxDB's `precision` parameter). */
export type Precision = 'ns' | 'us' | 'ms' | 's';

/**
 * Converts a timestamp's digits to epoch ms, rounding down (toward the past) like a clock would.
 * For s and ms a double is exact whenever the result is a safe integer (the caller checks that).
 * us and ns go through BigInt: ns values exceed 2^53, and dividing their nearest double can cross
 * a ms boundary (1700000000123999999 ns would become ...124 ms).
 */
function timestampToMs(digits: string, precision: Precision): number {
  if (precision === 'ms') return Number(digits);
  if (precision === 's') return Number(digits) * 1000;
  const value = BigInt(digits);
  const divisor = precision === 'us' ? 1_000n : 1_000_000n;
  const quotient = value / divisor;
  return Number(value < 0n && quotient * divisor !== value ? quotient - 1n : quotient);
}

/** Scans `text` from `pos` until an unescaped char in `stops`; returns [unescaped token, end]. */
function scanToken(text: string, pos: number, stops: string, escapable: string): [string, number] {
  let out = '';
  let i = pos;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length && escapable.includes(text[i + 1] as string)) {
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (stops.includes(ch)) break;
    out += ch;
    i++;
  }
  return [out, i];
}

/** Signed (`i`) and unsigned (`u`) 64-bit integer ranges of line protocol. */
export const INTEGER_RANGE = {
  i: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  u: { min: 0n, max: 2n ** 64n - 1n },
} as const;

/**
 * An integer field outside its 64-bit range is refused as influxd refuses it (400 "value out of
 * range"), instead of becoming a rounded float: a value a device meant as an exact integer must
 * not be stored as some other number. `-1u` is out of range too.
 */
function checkIntegerRange(line: string, raw: string): void {
  const suffix = raw[raw.length - 1] as 'i' | 'u';
  const digits = raw.slice(0, -1);
  // Longer than any 64-bit value (20 digits + sign): no BigInt of a 1 MB digit string.
  const value = digits.replace(/^-?0+(?=\d)/, '').length > 21 ? undefined : BigInt(digits);
  const { min, max } = INTEGER_RANGE[suffix];
  if (value === undefined || value < min || value > max) {
    const what = suffix === 'i' ? 'signed 64-bit integer' : 'unsigned 64-bit integer';
    throw new LineProtocolError(line, `value out of range: "${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}" does not fit a ${what} (${min} to ${max})`);
  }
}

function parseFieldValue(line: string, raw: string): FieldValue {
  if (raw.length === 0) throw new LineProtocolError(line, 'missing field value');
  if (raw === 't' || raw === 'T' || raw === 'true' || raw === 'True' || raw === 'TRUE') return true;
  if (raw === 'f' || raw === 'F' || raw === 'false' || raw === 'False' || raw === 'FALSE') return false;
  // Integers ("12i") and unsigned ("12u", InfluxDB 2.x) become numbers: the reading model has one
  // number type. A leading "+" is refused, as influxd does.
  const integer = /^-?\d+[iu]$/.test(raw);
  if (integer) checkIntegerRange(line, raw);
  const numeric = integer || /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(integer ? raw.slice(0, -1) : raw) : NaN;
  if (!Number.isFinite(numeric)) throw new LineProtocolError(line, `invalid field value "${raw}"`);
  // "-0" is the float -0 (influxd stores it so); "-0i" is the integer 0.
  return integer && numeric === 0 ? 0 : numeric;
}

/** Parses one line (not blank, not a comment). `now` supplies the time of lines without one. */
export function parseLine(line: string, now: number, precision: Precision = 'ns'): Reading {
  let [measurement, pos] = scanToken(line, 0, ', ', ', ="');
  if (measurement === '') throw new LineProtocolError(line, 'missing measurement');
  const tags: Record<string, string> = Object.create(null);
  while (line[pos] === ',') {
    const [key, afterKey] = scanToken(line, pos + 1, '=, ', ',= ');
    if (line[afterKey] !== '=' || key === '') throw new LineProtocolError(line, 'invalid tag');
    const [value, afterValue] = scanToken(line, afterKey + 1, ',= ', ',= ');
    if (value === '') throw new LineProtocolError(line, `missing value of tag "${key}"`);
    if (line[afterValue] === '=') throw new LineProtocolError(line, `unescaped "=" in the value of tag "${key}"`);
    if (key in tags) throw new LineProtocolError(line, `duplicate tag "${key}"`);
    tags[key] = value;
    pos = afterValue;
  }
  if (line[pos] !== ' ') throw new LineProtocolError(line, 'missing fields');
  // influxd skips spaces, tabs and NULs before the fields.
  while (line[pos] === ' ' || line[pos] === '\t' || line[pos] === '\0') pos++;

  const fields: Record<string, FieldValue> = Object.create(null);
  for (;;) {
    const [key, afterKey] = scanToken(line, pos, '=, ', ',= "');
    if (line[afterKey] !== '=' || key === '') throw new LineProtocolError(line, 'invalid field');
    pos = afterKey + 1;
    if (line[pos] === '"') {
      let value = '';
      let i = pos + 1;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        value += line[i];
      }
      if (i >= line.length) throw new LineProtocolError(line, `unterminated string in field "${key}"`);
      fields[key] = value;
      pos = i + 1;
    } else {
      let end = pos;
      while (end < line.length && line[end] !== ',' && line[end] !== ' ') end++;
      fields[key] = parseFieldValue(line, line.slice(pos, end));
      pos = end;
    }
    if (line[pos] !== ',') break;
    pos++;
  }

  const rest = line.slice(pos).replace(/^[ \t\0]+|[ \t\r\0]+$/g, '');
  let timestamp = now;
  if (rest !== '') {
    // A timestamp needs a space before it: `s="a"1000` is not a string followed by a time.
    if (!/^[ \t]/.test(line.slice(pos)) || !/^-?\d+$/.test(rest)) {
      throw new LineProtocolError(line, `invalid timestamp "${rest}"`);
    }
    timestamp = timestampToMs(rest, precision);
    if (!Number.isSafeInteger(timestamp)) throw new LineProtocolError(line, `invalid timestamp "${rest}"`);
  }
  // Null-prototype maps keep "__proto__" keys as data; hand out ordinary objects.
  return { measurement, tags: { ...tags }, fields: { ...fields }, timestamp };
}

export interface ParsedLines {
  readings: Reading[];
  errors: LineProtocolError[];
}

/**
 * Splits text into lines and parses each; a newline inside a quoted string field does not end
 * the line. Blank lines and `#` comments are skipped. A bad line is reported, not thrown.
 */
export function parseLines(text: string, now: number, precision: Precision = 'ns'): ParsedLines {
  const readings: Reading[] = [];
  const errors: LineProtocolError[] = [];
  for (const line of splitLines(text)) {
    // Like influxd: only spaces, tabs and NULs before a line are skipped (a measurement may start
    // with any other character, e.g. U+00A0). A trailing CR (CRLF text) is forgiven, which influxd
    // does not do.
    const trimmed = line.replace(/^[ \t\0]+|[ \t\r\0]+$/g, '');
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    try {
      readings.push(parseLine(trimmed, now, precision));
    } catch (err) {
      errors.push(err instanceof LineProtocolError ? err : new LineProtocolError(trimmed, String(err)));
    }
  }
  return { readings, errors };
}

/**
 * Splits text into lines almost like influxd's scanner: a quote only opens a string in the field
 * section right after `=`, so a `"` inside a measurement, tag or field key does not swallow the
 * following lines. (influxd also opens one at a stray `"` inside a field value, `x=a"b`, and then
 * loses the lines after it; here only that one line is refused.) Exported for tests.
 */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  let inFields = false;
  let afterEquals = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      afterEquals = false;
      continue;
    }
    if (ch === '\n' && !quoted) {
      lines.push(text.slice(start, i));
      start = i + 1;
      inFields = afterEquals = false;
      continue;
    }
    if (ch === ' ' && !quoted && i > start) inFields = true;
    if (!inFields) continue;
    if (ch === '"' && (quoted || afterEquals)) quoted = !quoted;
    afterEquals = !quoted && ch === '=';
  }
  lines.push(text.slice(start));
  return lines;
}
