/**
 * SenML (RFC 8428, JSON representation) → readings.
 *
 * Records are resolved as §4.6 describes: base name + name, base time + time, base value +
 * value, base sum + sum, base unit when the record has none. Resolved times below 2^28 are
 * relative to now (§4.5.3); times are seconds, kept to the millisecond.
 *
 * Mapping onto readings (one series per device and unit, as InfluxDB users expect):
 * - the base name, without a trailing `:`, `/`, `.`, `-` or `_`, becomes tag `device`
 *   (unless the topic template sets `device`), and `n` the field name (`value` when empty);
 *   a record without a base name uses its whole name as the field name;
 * - `v` (+`bv`) is a number, `vs` a string, `vb` a boolean, `vd` the base64 text as a string;
 *   a sum `s` (+`bs`) is field `<name>_sum`;
 * - units: `tag` keeps the unit as tag `unit`, `drop` discards it;
 * - records of the same device, time (and unit, when kept) are fields of one reading.
 * A pack with a must-understand field (name ending in `_`, §4.4) is refused as a whole;
 * other unknown fields are ignored, as the RFC asks. So is a pack whose `bver` is higher than
 * the version we implement (§4.4: such a pack "MUST NOT" be used), or is not a positive integer.
 */
import type { Reading } from '../reading';
import { DraftContext, ReadingDraft, withIndex } from './draft';
import { describe, isPlainObject } from './json';
import type { SenmlUnits } from './types';

const NUMBER_KEYS = ['bt', 'bv', 'bs', 'bver', 'v', 's', 't', 'ut'] as const;
const STRING_KEYS = ['bn', 'bu', 'n', 'u', 'vs', 'vd'] as const;
export const SENML_KEYS: ReadonlySet<string> = new Set([...NUMBER_KEYS, ...STRING_KEYS, 'vb']);
const VALUE_KEYS = ['v', 'vs', 'vb', 'vd'] as const;
const BASE_KEYS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver'] as const;

/**
 * The SenML version this parser implements: RFC 8428's (its `bver` default, §4.4). Version 10
 * only added to earlier drafts, so lower versions are read as 10.
 */
export const SENML_VERSION = 10;

/** Times at or above 2^28 s are absolute (RFC 8428 §4.5.3). */
const RELATIVE_BELOW = 2 ** 28;

/** `format: auto`: an array of objects with only SenML labels, at least one carrying `n` or `bn`. */
export function looksLikeSenml(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  let named = false;
  for (const record of value) {
    if (!isPlainObject(record)) return false;
    for (const key of Object.keys(record)) if (!SENML_KEYS.has(key) && !key.endsWith('_')) return false;
    if (typeof record.n === 'string' || typeof record.bn === 'string') named = true;
  }
  return named;
}

interface BaseState {
  bn: string;
  bt: number;
  bu: string | undefined;
  bv: number;
  bs: number;
}

export function senmlToReadings(pack: unknown, ctx: DraftContext, units: SenmlUnits): Reading[] {
  // A lone record is accepted as a pack of one (the explicit senml format only).
  const records: unknown[] = Array.isArray(pack) ? pack : isPlainObject(pack) ? [pack] : [];
  if (records.length === 0) {
    ctx.rejections.push({
      code: Array.isArray(pack) ? 'EMPTY_PAYLOAD' : 'NOT_AN_OBJECT',
      message: Array.isArray(pack) ? 'the SenML pack is empty' : `a SenML pack must be an array of records, got ${describe(pack)}`,
      scope: 'message',
    });
    return [];
  }
  const mustUnderstand = findMustUnderstand(records);
  if (mustUnderstand) {
    ctx.rejections.push({ code: 'SENML_MUST_UNDERSTAND', message: `the SenML pack uses the must-understand field "${mustUnderstand}", which is not supported`, scope: 'message' });
    return [];
  }
  const version = findUnsupportedVersion(records);
  if (version) {
    ctx.rejections.push({ code: 'SENML_VERSION', message: version, scope: 'message' });
    return [];
  }

  const base: BaseState = { bn: '', bt: 0, bu: undefined, bv: 0, bs: 0 };
  const groups = new Map<string, ReadingDraft>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const problem = checkRecord(record);
    if (problem) {
      ctx.rejections.push(withIndex({ code: 'SENML_BAD_RECORD', message: `record ${i}: ${problem}`, scope: 'item' }, i));
      continue;
    }
    addRecord(record as Record<string, unknown>, i, base, groups, ctx, units);
  }
  const readings: Reading[] = [];
  for (const draft of groups.values()) {
    const reading = draft.finish();
    if (reading) readings.push(reading);
  }
  return readings;
}

function findMustUnderstand(records: unknown[]): string | undefined {
  for (const record of records) {
    if (!isPlainObject(record)) continue;
    const key = Object.keys(record).find((k) => k.endsWith('_'));
    if (key !== undefined) return key;
  }
  return undefined;
}

/**
 * Why the pack must not be used because of its `bver` (RFC 8428 §4.4), or undefined. Checked
 * on every record, before any is used: a version is a property of the whole pack.
 */
function findUnsupportedVersion(records: unknown[]): string | undefined {
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (!isPlainObject(record) || record.bver === undefined) continue;
    const bver = record.bver;
    if (typeof bver !== 'number' || !Number.isInteger(bver) || bver < 1) {
      return `record ${i}: "bver" must be a positive integer, got ${typeof bver === 'number' ? String(bver) : describe(bver)}`;
    }
    if (bver > SENML_VERSION) {
      return `record ${i}: the pack is SenML version ${bver}, newer than version ${SENML_VERSION} (RFC 8428) that this node understands; RFC 8428 §4.4 says such a pack must not be used`;
    }
  }
  return undefined;
}

/** Returns why a record is malformed (wrong types, several values), or undefined. */
function checkRecord(record: unknown): string | undefined {
  if (!isPlainObject(record)) return `a record must be an object, got ${describe(record)}`;
  for (const key of NUMBER_KEYS) {
    const v = record[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) return `"${key}" must be a number`;
  }
  for (const key of STRING_KEYS) {
    if (record[key] !== undefined && typeof record[key] !== 'string') return `"${key}" must be text`;
  }
  if (record.vb !== undefined && typeof record.vb !== 'boolean') return '"vb" must be a boolean';
  if (VALUE_KEYS.filter((k) => record[k] !== undefined).length > 1) return 'a record carries at most one of v, vs, vb, vd';
  return undefined;
}

function addRecord(
  record: Record<string, unknown>,
  index: number,
  base: BaseState,
  groups: Map<string, ReadingDraft>,
  ctx: DraftContext,
  units: SenmlUnits,
): void {
  if (record.bn !== undefined) base.bn = record.bn as string;
  if (record.bt !== undefined) base.bt = record.bt as number;
  if (record.bu !== undefined) base.bu = record.bu as string;
  if (record.bv !== undefined) base.bv = record.bv as number;
  if (record.bs !== undefined) base.bs = record.bs as number;

  const valueKey = VALUE_KEYS.find((k) => record[k] !== undefined);
  const hasSum = record.s !== undefined;
  if (valueKey === undefined && !hasSum) {
    const baseOnly = BASE_KEYS.some((k) => record[k] !== undefined) && record.n === undefined && record.t === undefined && record.u === undefined;
    if (!baseOnly) ctx.rejections.push(withIndex({ code: 'SENML_NO_VALUE', message: `record ${index} has neither a value nor a sum`, scope: 'item' }, index));
    return;
  }

  const n = (record.n as string | undefined) ?? '';
  if (base.bn + n === '') {
    ctx.rejections.push(withIndex({ code: 'SENML_BAD_RECORD', message: `record ${index} has no name (neither bn nor n)`, scope: 'item' }, index));
    return;
  }
  const device = base.bn.replace(/[:/._-]+$/, '');
  const field = base.bn === '' ? n : n || 'value';

  const seconds = base.bt + ((record.t as number | undefined) ?? 0);
  const timestamp = seconds < RELATIVE_BELOW ? ctx.now + Math.round(seconds * 1_000) : Math.round(seconds * 1_000);
  const unit = (record.u as string | undefined) ?? base.bu;
  const unitTag = units === 'tag' && unit ? unit : '';

  const key = `${device}\u0000${timestamp}\u0000${unitTag}`;
  let draft = groups.get(key);
  if (!draft) {
    draft = new ReadingDraft(ctx, index);
    draft.timestamp = timestamp;
    draft.relativeTime = seconds < RELATIVE_BELOW;
    if (device !== '') draft.addTag('device', device);
    if (unitTag !== '') draft.addTag('unit', unitTag);
    groups.set(key, draft);
  }
  draft.index = index;
  if (valueKey === 'v') draft.addField(field, base.bv + (record.v as number));
  else if (valueKey !== undefined) draft.addField(field, record[valueKey]);
  if (hasSum) draft.addField(`${field}_sum`, base.bs + (record.s as number));
}
