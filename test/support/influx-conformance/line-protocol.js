'use strict';
// A line-protocol parser as strict as the vendors' parsers, for the conformance server.
//
// Grammar (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/, and the
// parsers it describes: Go models/points.go in influxdata/influxdb 2.x, the Rust
// influxdb_line_protocol crate used by InfluxDB 3):
//   measurement[,tagKey=tagValue...] fieldKey=fieldValue[,fieldKey=fieldValue...] [timestamp]
// - measurement: escapes `\,` and `\ `; tag keys/values and field keys: `\,` `\=` `\ `.
// - field values: float (`1`, `-1.5`, `1e3`), integer `1i`, unsigned integer `1u`, string
//   `"..."` (escapes `\"` and `\\`), boolean `t T true True TRUE f F false False FALSE`.
// - timestamp: an integer (may be negative) in the request's precision.
// Blank lines and lines starting with `#` are skipped (comments).
//
// parseLine(line) → { measurement, tags: [[k, v]], fields: [[k, {type, value, raw}]], timestamp,
// seriesRaw } or throws an Error whose `message` says what is wrong in the words of the Go
// parser (2.x; not byte-identical) and whose `v3` says it as 3.x's Rust parser
// (core/influxdb_line_protocol/src/lib.rs Error display strings) where one matches.

const BOOL_TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const BOOL_FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);
const FLOAT_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const INT_MAX = 9223372036854775807n;
const INT_MIN = -9223372036854775808n;
const UINT_MAX = 18446744073709551615n;

function bad(message, v3) {
  return Object.assign(new Error(message), { v3: v3 || message });
}

/** Reads an escaped token up to one of `stops` (unescaped); returns [unescaped, raw, nextIndex]. */
function token(line, i, stops) {
  let out = '';
  const start = i;
  while (i < line.length) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      const n = line[i + 1];
      if (n === ',' || n === '=' || n === ' ' || n === '\\' || n === '"') {
        out += n;
        i += 2;
        continue;
      }
    }
    if (stops.includes(c)) break;
    out += c;
    i++;
  }
  return [out, line.slice(start, i), i];
}

function fieldValue(raw) {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"') || raw.endsWith('\\"') && !raw.endsWith('\\\\"')) {
      throw bad(`invalid field format: unterminated string ${raw}`);
    }
    return { type: 'string', value: raw.slice(1, -1).replace(/\\(["\\])/g, '$1'), raw };
  }
  if (BOOL_TRUE.has(raw)) return { type: 'boolean', value: true, raw };
  if (BOOL_FALSE.has(raw)) return { type: 'boolean', value: false, raw };
  if (/^[-+]?\d+i$/.test(raw)) {
    const v = BigInt(raw.slice(0, -1));
    if (v > INT_MAX || v < INT_MIN) throw bad(`unable to parse integer ${raw}: value out of range`, `Unable to parse integer value \`${raw}\``);
    return { type: 'integer', value: v, raw };
  }
  if (/^\d+u$/.test(raw)) {
    const v = BigInt(raw.slice(0, -1));
    if (v > UINT_MAX) throw bad(`unable to parse unsigned ${raw}: value out of range`, `Unable to parse unsigned integer value \`${raw}\``);
    return { type: 'uinteger', value: v, raw };
  }
  if (FLOAT_RE.test(raw)) {
    const v = Number(raw);
    if (!Number.isFinite(v)) throw bad(`invalid number ${raw}: value out of range`, `Unable to parse floating-point value \`${raw}\``);
    return { type: 'float', value: v, raw };
  }
  if (/^[tTfF]/.test(raw)) throw new Error(`invalid boolean ${raw}`);
  throw bad(`invalid number ${raw}`, `Unable to parse floating-point value \`${raw}\``);
}

/** Splits the field set on unescaped commas outside string values. */
function splitFields(s) {
  const parts = [];
  let cur = '';
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === ',' && !inString) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (inString) throw bad('invalid field format: unterminated string');
  parts.push(cur);
  return parts;
}

/** Index of the first unescaped space outside a string value, from `from`. */
function nextSpace(s, from) {
  let inString = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === ' ' && !inString) return i;
  }
  return -1;
}

function parseLine(line) {
  const [measurement, , afterM] = token(line, 0, [',', ' ']);
  if (!measurement) throw bad('missing measurement', 'Invalid measurement was provided');
  let i = afterM;
  const tags = [];
  while (line[i] === ',') {
    const [k, , ik] = token(line, i + 1, ['=', ',', ' ']);
    if (!k) throw bad('missing tag key', 'Expected tag key, got nothing');
    if (line[ik] !== '=') throw bad('missing tag value', 'Tag set malformed');
    const [v, , iv] = token(line, ik + 1, [',', ' ']);
    if (!v) throw bad('missing tag value', 'Expected tag value, got nothing');
    if (tags.some(([x]) => x === k)) throw bad('duplicate tags', `Must not contain duplicate tags, but \`${k}\` was repeated`);
    tags.push([k, v]);
    i = iv;
  }
  const seriesRaw = line.slice(0, i);
  if (line[i] !== ' ') throw bad('missing fields', 'No fields were provided');
  while (line[i] === ' ') i++;
  const end = nextSpace(line, i);
  const fieldSet = end < 0 ? line.slice(i) : line.slice(i, end);
  if (!fieldSet) throw bad('missing fields', 'No fields were provided');
  const fields = [];
  const seen = new Set();
  for (const part of splitFields(fieldSet)) {
    const [k, , ik] = token(part, 0, ['=']);
    if (!k) throw bad('missing field key', 'No fields were provided');
    if (part[ik] !== '=') throw bad(`missing field value for ${k}`, 'No fields were provided');
    const raw = part.slice(ik + 1);
    if (!raw) throw bad(`missing field value for ${k}`, `Unable to parse floating-point value \`\``);
    if (seen.has(k)) throw bad(`duplicate field key ${k}`, `invalid line protocol - multiple instances of '${k}' field found`);
    seen.add(k);
    fields.push([k, fieldValue(raw)]);
  }
  let timestamp = null;
  if (end >= 0) {
    const rest = line.slice(end).trim();
    if (rest) {
      if (!/^-?\d+$/.test(rest)) throw bad(`bad timestamp ${rest}`, `Unable to parse timestamp value \`${rest}\``);
      timestamp = BigInt(rest);
      if (timestamp > INT_MAX || timestamp < INT_MIN) throw bad(`bad timestamp ${rest}: out of range`, `Unable to parse timestamp value \`${rest}\``);
    }
  }
  return { measurement, tags, fields, timestamp, seriesRaw };
}

/**
 * The lines of a body without blank and comment lines → [{ line, number, ordinal }]: `number`
 * is the physical line (1-based), `ordinal` the position among the lines kept (1-based), which
 * is what 3.x reports as `line_number` (core/influxdb_line_protocol parse_lines skips empty and
 * comment lines; influxdb3_write validator.rs numbers what it yields).
 */
function splitLines(body) {
  const out = [];
  body.split('\n').forEach((l, idx) => {
    const line = l.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    out.push({ line, number: idx + 1, ordinal: out.length + 1 });
  });
  return out;
}

/**
 * Line protocol for the 1.6 storage: unsigned integers (which influxd 1.6 does not accept) are
 * written as integers; the timestamp is replaced by `timestampNs` when given.
 */
function toStorageLine(p, timestampNs) {
  const fields = p.fields
    .map(([k, f]) => {
      const key = k.replace(/([,= \\])/g, '\\$1');
      return `${key}=${f.type === 'uinteger' ? `${f.value}i` : f.raw}`;
    })
    .join(',');
  const ts = timestampNs !== undefined ? timestampNs : p.timestamp;
  return `${p.seriesRaw} ${fields}${ts === null || ts === undefined ? '' : ` ${ts}`}`;
}

module.exports = { parseLine, splitLines, toStorageLine };
