/**
 * What may be written into a reading by a rule: tag values stay strings (numbers and booleans are
 * turned into text), field values are finite numbers, booleans or strings. Anything else is a
 * rule failure with a reason, never a silent coercion.
 */
import { FieldValue, checkName, describeType } from '../reading';

export type Target = 'tags' | 'fields';

/** A value a rule can write, or the reason it cannot. */
export type Coerced = { ok: true; value: FieldValue } | { ok: false; reason: string };

export function coerceForTarget(target: Target, value: unknown): Coerced {
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'boolean') return { ok: true, value: target === 'tags' ? String(value) : value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: `${value} cannot be stored` };
    return { ok: true, value: target === 'tags' ? String(value) : value };
  }
  return { ok: false, reason: `${describeType(value)} cannot be a ${target === 'tags' ? 'tag' : 'field'} value` };
}

/**
 * Checks a tag or field name a rule writes. The validator would refuse the reading later anyway;
 * checking names when the rules are compiled turns a per-reading refusal into one config error.
 */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'a name is required';
  if (name === 'time') return '"time" is reserved by InfluxDB';
  // Writing obj["__proto__"] would change the object's prototype instead of adding a key.
  if (name === '__proto__') return '"__proto__" cannot be used as a name';
  return checkName('name', name)?.message;
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`;
  return describeType(value);
}
