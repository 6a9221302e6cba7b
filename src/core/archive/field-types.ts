/**
 * `fieldTypes` (README "archive"): the InfluxDB type a named field is written as, so points fit
 * a database whose fields already have a type (Telegraf writes integers, say).
 *
 * Decisions, all refusals rather than conversions ("never rounded, no coercion surprises"):
 * - `integer`: a JS number that is an integer within int64, written `42i`. `42.5` is refused,
 *   not rounded. A number beyond 2^53 is accepted when it is an integer within int64 and written
 *   as the exact integer that double holds (it was already that value before it reached us).
 * - `uinteger`: the same within 0 … 2^64−1, written `42u` (InfluxDB 2.x/3.x; 1.x refuses `u`).
 * - `float`: any finite number, written as today (`42` is a float in line protocol).
 * - `string`: strings only; `boolean`: booleans only.
 * - A string is never a number: `"42"` does not fit `integer` (ingest keeps strings strings,
 *   DESIGN §5), nor does `true`; a number does not fit `string`. Each goes to output 2 with
 *   code `FIELD_TYPE`.
 * Fields not listed keep the reading's own type (numbers as floats).
 */

import type { ConfigProblem } from '../config-result';
import type { FieldValue, Reading } from '../reading';

export type FieldType = 'float' | 'integer' | 'uinteger' | 'string' | 'boolean';
export const FIELD_TYPES: readonly FieldType[] = ['float', 'integer', 'uinteger', 'string', 'boolean'];

/** Field name → type. Empty when the option is blank. */
export type FieldTypes = ReadonlyMap<string, FieldType>;

export interface FieldTypeRefusal {
  code: 'FIELD_TYPE';
  message: string;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function isFieldType(value: string): value is FieldType {
  return (FIELD_TYPES as readonly string[]).includes(value);
}

/**
 * Parses `count:integer, state:string`. Entries are separated by commas; the type follows the
 * last colon, so a field name may contain colons (not commas). Problems are i18n keys under
 * `errors.`: `fieldTypeEntry` (no name or no type), `fieldTypeUnknown`, `fieldTypeTwice`.
 */
export function parseFieldTypes(text: unknown, problems: ConfigProblem[]): Map<string, FieldType> {
  const types = new Map<string, FieldType>();
  if (text === undefined || text === null) return types;
  for (const raw of String(text).split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.lastIndexOf(':');
    const name = colon > 0 ? entry.slice(0, colon).trim() : '';
    const type = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (name === '' || type === '') {
      problems.push({ key: 'fieldTypeEntry', params: { entry } });
      continue;
    }
    if (!isFieldType(type)) {
      problems.push({ key: 'fieldTypeUnknown', params: { entry, type, types: FIELD_TYPES.join(', ') } });
      continue;
    }
    const before = types.get(name);
    if (before !== undefined && before !== type) {
      problems.push({ key: 'fieldTypeTwice', params: { name, first: before, second: type } });
      continue;
    }
    types.set(name, type);
  }
  return types;
}

function describe(value: FieldValue): string {
  return typeof value === 'string' ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : `${typeof value} ${String(value)}`;
}

/** Line protocol text of `value` as `type`, or why it does not fit. */
export function typedFieldText(name: string, value: FieldValue, type: FieldType): string | FieldTypeRefusal {
  const refuse = (why: string): FieldTypeRefusal => ({ code: 'FIELD_TYPE', message: `field "${name}" is typed ${type} (fieldTypes) but ${describe(value)} ${why}` });
  switch (type) {
    case 'integer':
    case 'uinteger': {
      if (typeof value !== 'number') return refuse('is not a number');
      if (!Number.isInteger(value)) return refuse('is not a whole number (it is never rounded)');
      const exact = BigInt(value);
      if (type === 'integer' && (exact < INT64_MIN || exact > INT64_MAX)) return refuse('is outside the 64-bit signed range');
      if (type === 'uinteger' && (exact < 0n || exact > UINT64_MAX)) return refuse(exact < 0n ? 'is negative' : 'is beyond 2^64−1');
      return `${exact}${type === 'integer' ? 'i' : 'u'}`;
    }
    case 'float':
      return typeof value === 'number' ? (Object.is(value, -0) ? '-0' : String(value)) : refuse('is not a number');
    case 'string':
      return typeof value === 'string' ? '' : refuse('is not a string');
    case 'boolean':
      return typeof value === 'boolean' ? '' : refuse('is not a boolean');
  }
}

/**
 * Checks a valid reading's typed fields. Returns the refusal of the first field that does not fit,
 * or the text of the fields that need a suffix (`integer`, `uinteger`) for the encoder; other
 * fields are encoded as usual.
 */
export function checkFieldTypes(reading: Reading, types: FieldTypes): FieldTypeRefusal | Map<string, string> {
  const texts = new Map<string, string>();
  for (const key of Object.keys(reading.fields)) {
    const type = types.get(key);
    if (type === undefined) continue;
    const text = typedFieldText(key, reading.fields[key] as FieldValue, type);
    if (typeof text !== 'string') return text;
    if (type === 'integer' || type === 'uinteger') texts.set(key, text);
  }
  return texts;
}
