/**
 * InfluxDB line protocol for readings: an encoder for the archive and a parser for ingest.
 *
 * Escaping follows what InfluxDB 1.x actually parses (checked against influxd 1.6):
 * - measurement: `,` and space are escaped;
 * - tag keys, tag values, field keys: `,`, `=` and space are escaped;
 * - string field values: `"` and `\` are escaped; a newline inside the quotes is kept as is;
 * - a backslash in a name is written as it is (1.x does not unescape `\\` there), which is
 *   why the validator refuses names whose backslash would look like an escape.
 * Numbers are always floats (no `i` suffix) so a field never flips type; time is in ms.
 */

import { FieldValue, Reading, validateReading } from './reading';

const MEASUREMENT_SPECIAL = /[, ]/g;
const NAME_SPECIAL = /[,= ]/g;
const STRING_SPECIAL = /["\\]/g;

export function escapeMeasurement(name: string): string {
  return name.replace(MEASUREMENT_SPECIAL, '\\$&');
}

export function escapeName(name: string): string {
  return name.replace(NAME_SPECIAL, '\\$&');
}

export function encodeFieldValue(value: FieldValue): string {
  if (typeof value === 'number') {
    // String(1) is "1", which InfluxDB reads as a float (only a trailing "i" makes an integer).
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `"${value.replace(STRING_SPECIAL, '\\$&')}"`;
}

/**
 * Encodes one reading that has already passed validateReading. Tags are sorted by key (what
 * InfluxDB does itself, so it saves the server the work); tags with an empty value are left out,
 * which InfluxDB treats exactly like a missing tag.
 */
export function encodeValidReading(reading: Reading): string {
  let line = escapeMeasurement(reading.measurement);
  const tagKeys = Object.keys(reading.tags).sort();
  for (const key of tagKeys) {
    const value = reading.tags[key] as string;
    if (value === '') continue;
    line += `,${escapeName(key)}=${escapeName(value)}`;
  }
  let first = true;
  for (const key of Object.keys(reading.fields)) {
    line += `${first ? ' ' : ','}${escapeName(key)}=${encodeFieldValue(reading.fields[key] as FieldValue)}`;
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

const PRECISION_DIVISOR: Record<Precision, number> = { ns: 1e6, us: 1e3, ms: 1, s: 1e-3 };

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

function parseFieldValue(line: string, raw: string): FieldValue {
  if (raw.length === 0) throw new LineProtocolError(line, 'missing field value');
  if (raw === 't' || raw === 'T' || raw === 'true' || raw === 'True' || raw === 'TRUE') return true;
  if (raw === 'f' || raw === 'F' || raw === 'false' || raw === 'False' || raw === 'FALSE') return false;
  // Integers ("12i") and unsigned ("12u") become numbers: the reading model has one number type.
  const numeric = /^[+-]?(\d+[iu]|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(raw) ? Number(raw.replace(/[iu]$/, '')) : NaN;
  if (!Number.isFinite(numeric)) throw new LineProtocolError(line, `invalid field value "${raw}"`);
  return numeric;
}

/** Parses one line (not blank, not a comment). `now` supplies the time of lines without one. */
export function parseLine(line: string, now: number, precision: Precision = 'ns'): Reading {
  let [measurement, pos] = scanToken(line, 0, ', ', ', ');
  if (measurement === '') throw new LineProtocolError(line, 'missing measurement');
  const tags: Record<string, string> = Object.create(null);
  while (line[pos] === ',') {
    const [key, afterKey] = scanToken(line, pos + 1, '=, ', ',= ');
    if (line[afterKey] !== '=' || key === '') throw new LineProtocolError(line, 'invalid tag');
    const [value, afterValue] = scanToken(line, afterKey + 1, ', ', ',= ');
    if (value === '') throw new LineProtocolError(line, `missing value of tag "${key}"`);
    tags[key] = value;
    pos = afterValue;
  }
  if (line[pos] !== ' ') throw new LineProtocolError(line, 'missing fields');
  while (line[pos] === ' ') pos++;

  const fields: Record<string, FieldValue> = Object.create(null);
  for (;;) {
    const [key, afterKey] = scanToken(line, pos, '=, ', ',= ');
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

  const rest = line.slice(pos).trim();
  let timestamp = now;
  if (rest !== '') {
    if (!/^-?\d+$/.test(rest)) throw new LineProtocolError(line, `invalid timestamp "${rest}"`);
    timestamp = Math.floor(Number(rest) / PRECISION_DIVISOR[precision]);
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
    const trimmed = line.trim();
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
 * Splits like InfluxDB's own scanner: a quote only opens a string in the field section right
 * after `=`, so a `"` inside a measurement or tag does not swallow the following lines.
 */
function splitLines(text: string): string[] {
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
