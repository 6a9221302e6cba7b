/**
 * The rule objects of the enrich node's `rules` property (a public format: README "enrich") and their
 * compilation: every rule is checked and turned into a closure once, at deploy, so applying a
 * chain to a reading does no parsing, no JSONata compilation and no table building.
 *
 * What is not pure (msg/flow/global/env values, JSONata, files) comes in through `CompileDeps`.
 */
import { FieldValue, Reading, ReasonCode } from '../reading';
import { LookupTable, TableError, TableFormat, TableOptions, tableFormatOf, tableFromData } from './table';
import { DEADBAND_MAX_SERIES, Deadband, parseDeadband } from './deadband';
import { LinearMap, cleanFloat, parseUnitPair } from './units';
import { Target, coerceForTarget, describeValue, nameProblem } from './values';

export type OnMissing = 'pass' | 'drop' | 'output2';
export const ON_MISSING: readonly OnMissing[] = ['pass', 'drop', 'output2'];

export type ValueType = 'str' | 'num' | 'bool' | 'json' | 'msg' | 'flow' | 'global' | 'env' | 'jsonata';
export const VALUE_TYPES: readonly ValueType[] = ['str', 'num', 'bool', 'json', 'msg', 'flow', 'global', 'env', 'jsonata'];

// The public format (README "enrich"). compileRules() takes `unknown`: rules come from a flow file
// or the admin API, so every property is checked rather than trusted.
export interface LookupRuleSpec {
  type: 'lookup';
  key: string;
  /** Inline table: object keyed by key value, or array of rows (JSON text is accepted too). */
  table?: unknown;
  /** A .json or .csv file, reloaded when it changes. */
  file?: string;
  as?: Target;
  /** Overrides the node's `onMissing` for this lookup. */
  onMissing?: OnMissing;
}
export interface SetRuleSpec { type: 'set'; target: Target; name: string; value: unknown; valueType?: ValueType }
export interface RenameRuleSpec { type: 'rename'; target: Target; from: string; to: string }
export interface RemoveRuleSpec { type: 'remove'; target: Target; name: string }
export interface ConvertRuleSpec { type: 'convert'; field: string; unit?: string; scale?: number | string; offset?: number | string }
/** Report by exception (./deadband.ts): drops `field` when it moved less than `delta`. */
export interface DeadbandRuleSpec { type: 'deadband'; field: string; delta: number | string; relative?: boolean; maxSilence?: string | number }
export type RuleSpec = LookupRuleSpec | SetRuleSpec | RenameRuleSpec | RemoveRuleSpec | ConvertRuleSpec | DeadbandRuleSpec;

/** Codes in `msg.error.code` for readings a rule refused (the validator's codes come on top). */
export type RuleFailureCode =
  | 'LOOKUP_MISS'
  | 'TABLE_UNAVAILABLE'
  | 'TYPE_CLASH'
  | 'BAD_VALUE'
  | 'NOT_NUMERIC'
  | 'EXPRESSION_FAILED'
  | 'RULE_FAILED';

/** Why a reading goes no further: dropped on purpose, or refused (a rule's or the validator's code). */
export type Stop = { kind: 'drop'; deadband?: true } | { kind: 'refuse'; code: RuleFailureCode | ReasonCode; message: string };
/** What a rule concluded for one reading: `undefined` = carry on with the next rule. */
export type Step = Stop | undefined;

/** A value read once per msg (msg, flow or global property), or why it could not be read. */
export type MsgValue = { ok: true; value: unknown } | { ok: false; message: string };

export interface RuleContext {
  msg: unknown;
  values: readonly MsgValue[];
}

export interface CompiledRule {
  readonly label: string;
  /** Changes `reading` in place (the engine hands it a copy). */
  apply(reading: Reading, context: RuleContext): Step | PromiseLike<Step>;
  /** A deadband rule's state (the node reports its bound). */
  readonly deadband?: Deadband;
}

export interface TableSource {
  current(): LookupTable | undefined;
  readonly error?: string | undefined;
}

export interface CompileDeps {
  /** Returns a getter run once per msg; may throw for an invalid property expression. */
  msgValue(type: 'msg' | 'flow' | 'global', path: string): (msg: unknown) => unknown;
  env(name: string): unknown;
  /** Prepares an expression once (throws on a syntax error); `$` is the reading, `$msg` the msg. */
  jsonata(expression: string): (reading: Reading, msg: unknown) => PromiseLike<unknown>;
  openFile(path: string, format: TableFormat, options: TableOptions): TableSource;
  onMissing: OnMissing;
  /** Series a deadband rule remembers at most (default DEADBAND_MAX_SERIES). */
  deadbandMaxSeries?: number;
}

export interface CompiledChain {
  rules: CompiledRule[];
  /** Getters for the per-msg values, in the slot order the rules read them from. */
  msgValues: Array<(msg: unknown) => unknown>;
}

/**
 * A rule the config cannot compile: `key` names the text under the node catalogue's `errors.`
 * (so the core builds no English for config), `params` fill it; `rule` is the rule's number.
 */
export class RuleConfigError extends Error {
  constructor(readonly key: string, readonly params: Record<string, string | number> = {}) {
    super(`${key} ${JSON.stringify(params)}`);
    this.name = 'RuleConfigError';
  }

  /** The same problem, located at rule `n` (1-based). */
  at(n: number): RuleConfigError {
    return new RuleConfigError(this.key, { rule: n, ...this.params });
  }
}

const refuse = (code: RuleFailureCode, message: string): Stop => ({ kind: 'refuse', code, message });
const DROP: Stop = { kind: 'drop' };
const SUPPRESSED: Stop = { kind: 'drop', deadband: true };

/** Writes a value that already suits `target`; refuses a clash between tags and fields. */
function put(reading: Reading, target: Target, name: string, value: FieldValue, label: string): Step {
  if (target === 'tags') {
    if (Object.hasOwn(reading.fields, name)) return refuse('TYPE_CLASH', `${label}: "${name}" is already a field, it cannot also be a tag`);
    reading.tags[name] = value as string;
    return undefined;
  }
  if (Object.hasOwn(reading.tags, name)) return refuse('TYPE_CLASH', `${label}: "${name}" is already a tag, it cannot also be a field`);
  if (Object.hasOwn(reading.fields, name)) {
    const existing = reading.fields[name];
    if (typeof existing !== typeof value) {
      return refuse(
        'TYPE_CLASH',
        `${label}: field "${name}" holds a ${typeof existing}, the new value is a ${typeof value}; InfluxDB refuses a field that changes type`,
      );
    }
  }
  reading.fields[name] = value;
  return undefined;
}

function coerceAndPut(reading: Reading, target: Target, name: string, value: unknown, label: string): Step {
  // Nothing to write (a JSONata expression that matched nothing, a missing msg property):
  // leave the reading as it is, which is what makes conditional tags possible.
  if (value === undefined) return undefined;
  const coerced = coerceForTarget(target, value);
  if (!coerced.ok) return refuse('BAD_VALUE', `${label}: ${coerced.reason}`);
  return put(reading, target, name, coerced.value, label);
}

function asTarget(value: unknown): Target {
  if (value === 'tags' || value === 'fields') return value;
  throw new RuleConfigError('rule-target', { value: describeValue(value) });
}

function asName(value: unknown, what: string): string {
  const problem = nameProblem(value);
  if (problem) throw new RuleConfigError('rule-name', { what, reason: problem });
  return value as string;
}

function asNumber(value: unknown, fallback: number, what: string): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new RuleConfigError('rule-number', { what, value: describeValue(value) });
  }
  return number;
}

function compileLookup(spec: Record<string, unknown>, where: string, deps: CompileDeps): CompiledRule {
  const key = asName(spec.key, 'key');
  const as = spec.as === undefined || spec.as === '' ? 'tags' : asTarget(spec.as);
  const onMissing = spec.onMissing === undefined || spec.onMissing === '' ? deps.onMissing : (spec.onMissing as OnMissing);
  if (!ON_MISSING.includes(onMissing)) throw new RuleConfigError('rule-onMissing', { values: ON_MISSING.join(', ') });

  let source: TableSource;
  let label: string;
  if (typeof spec.file === 'string' && spec.file.trim() !== '') {
    const file = spec.file.trim();
    const format = tableFormatOf(file);
    if (!format) throw new RuleConfigError('rule-file-format', { file: JSON.stringify(file) });
    source = deps.openFile(file, format, { key, as });
    label = `${where} (lookup ${key} in ${file})`;
  } else if (spec.table !== undefined && spec.table !== '') {
    let data = spec.table;
    try {
      if (typeof data === 'string') data = JSON.parse(data);
      const table = tableFromData(data, { key, as });
      source = { current: () => table };
    } catch (err) {
      throw err instanceof TableError ? new RuleConfigError('rule-invalid', { reason: err.message }) : new RuleConfigError('rule-table-json', { reason: (err as Error).message });
    }
    label = `${where} (lookup ${key})`;
  } else {
    throw new RuleConfigError('rule-no-table');
  }

  const missing = (why: string): Step => {
    if (onMissing === 'pass') return undefined;
    if (onMissing === 'drop') return DROP;
    return refuse('LOOKUP_MISS', `${label}: ${why}`);
  };
  return {
    label,
    apply(reading) {
      const table = source.current();
      if (!table) return refuse('TABLE_UNAVAILABLE', `${label}: no table loaded${source.error ? ` (${source.error})` : ''}`);
      if (!Object.hasOwn(reading.tags, key)) return missing(`the reading has no tag "${key}"`);
      const keyValue = reading.tags[key] as string;
      const row = table.get(keyValue);
      if (!row) return missing(`no row for ${key} ${JSON.stringify(keyValue)}`);
      const { columns, values } = row;
      for (let i = 0; i < columns.length; i++) {
        const value = values[i];
        if (value === undefined) continue;
        const step = put(reading, as, columns[i] as string, value, label);
        if (step) return step;
      }
      return undefined;
    },
  };
}

function constantValue(valueType: ValueType, value: unknown, deps: CompileDeps): unknown {
  switch (valueType) {
    case 'str':
      return value === undefined || value === null ? '' : String(value);
    case 'num':
      if (value === '' || value === undefined || value === null) throw new RuleConfigError('rule-value-empty');
      return asNumber(value, NaN, 'value');
    case 'bool':
      if (value === true || (typeof value === 'string' && /^true$/i.test(value.trim()))) return true;
      if (value === false || (typeof value === 'string' && /^false$/i.test(value.trim()))) return false;
      throw new RuleConfigError('rule-value-bool');
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch (err) {
        throw new RuleConfigError('rule-value-json', { reason: (err as Error).message });
      }
    default:
      // Env values are fixed for the life of a deployed flow: read them once.
      return deps.env(String(value ?? ''));
  }
}

function compileSet(spec: Record<string, unknown>, where: string, deps: CompileDeps, msgValues: CompiledChain['msgValues']): CompiledRule {
  const target = asTarget(spec.target);
  const name = asName(spec.name, 'name');
  const valueType = (spec.valueType === undefined || spec.valueType === '' ? 'str' : spec.valueType) as ValueType;
  if (!VALUE_TYPES.includes(valueType)) {
    throw new RuleConfigError('rule-value-type', { values: VALUE_TYPES.join(', '), value: describeValue(spec.valueType) });
  }
  const label = `${where} (set ${target}.${name})`;

  if (valueType === 'jsonata') {
    let evaluate: (reading: Reading, msg: unknown) => PromiseLike<unknown>;
    try {
      evaluate = deps.jsonata(String(spec.value ?? ''));
    } catch (err) {
      throw new RuleConfigError('rule-jsonata', { reason: describeError(err) });
    }
    const failed = (err: unknown): Step => refuse('EXPRESSION_FAILED', `${label}: JSONata: ${describeError(err)}`);
    return {
      label,
      apply: (reading, context) =>
        evaluate(reading, context.msg).then((value) => coerceAndPut(reading, target, name, value, label), failed),
    };
  }

  if (valueType === 'msg' || valueType === 'flow' || valueType === 'global') {
    const path = String(spec.value ?? '').trim();
    if (path === '') throw new RuleConfigError('rule-property-empty', { type: valueType });
    let getter: (msg: unknown) => unknown;
    try {
      getter = deps.msgValue(valueType, path);
    } catch (err) {
      throw new RuleConfigError('rule-property', { type: valueType, path: JSON.stringify(path), reason: describeError(err) });
    }
    const slot = msgValues.push(getter) - 1;
    return {
      label,
      apply(reading, context) {
        const read = context.values[slot] as MsgValue;
        if (!read.ok) return refuse('EXPRESSION_FAILED', `${label}: ${read.message}`);
        return coerceAndPut(reading, target, name, read.value, label);
      },
    };
  }

  const constant = constantValue(valueType, spec.value, deps);
  const coerced = coerceForTarget(target, constant);
  if (!coerced.ok) throw new RuleConfigError('rule-invalid', { reason: coerced.reason });
  const value = coerced.value;
  return { label, apply: (reading) => put(reading, target, name, value, label) };
}

function compileRename(spec: Record<string, unknown>, where: string): CompiledRule {
  const target = asTarget(spec.target);
  const from = asName(spec.from, 'from');
  const to = asName(spec.to, 'to');
  const label = `${where} (rename ${target}.${from} to ${to})`;
  return {
    label,
    apply(reading) {
      const group = reading[target];
      if (from === to || !Object.hasOwn(group, from)) return undefined;
      const value = group[from] as FieldValue;
      delete group[from];
      return put(reading, target, to, value, label);
    },
  };
}

function compileRemove(spec: Record<string, unknown>, where: string): CompiledRule {
  const target = asTarget(spec.target);
  const name = asName(spec.name, 'name');
  return {
    label: `${where} (remove ${target}.${name})`,
    apply(reading) {
      delete reading[target][name];
      return undefined;
    },
  };
}

function compileConvert(spec: Record<string, unknown>, where: string): CompiledRule {
  const field = asName(spec.field, 'field');
  let map: LinearMap;
  let what: string;
  if (typeof spec.unit === 'string' && spec.unit.trim() !== '') {
    const parsed = parseUnitPair(spec.unit);
    if (typeof parsed === 'string') throw new RuleConfigError('rule-invalid', { reason: parsed });
    map = parsed;
    what = spec.unit.trim();
  } else {
    map = { scale: asNumber(spec.scale, 1, 'scale'), offset: asNumber(spec.offset, 0, 'offset') };
    what = `× ${map.scale} + ${map.offset}`;
  }
  const { scale, offset } = map;
  const label = `${where} (convert ${field} ${what})`;
  return {
    label,
    apply(reading) {
      const fields = reading.fields;
      if (!Object.hasOwn(fields, field)) return undefined;
      const value = fields[field];
      if (typeof value !== 'number') {
        return refuse('NOT_NUMERIC', `${label}: field "${field}" is ${describeValue(value)}, not a number`);
      }
      const converted = cleanFloat(value * scale + offset);
      if (!Number.isFinite(converted)) return refuse('BAD_VALUE', `${label}: ${value} converts to ${converted}`);
      fields[field] = converted;
      return undefined;
    },
  };
}

function compileDeadband(spec: Record<string, unknown>, where: string, deps: CompileDeps): CompiledRule {
  const parsed = parseDeadband(spec);
  if ('key' in parsed) throw new RuleConfigError(parsed.key, parsed.params);
  const deadband = new Deadband(parsed, deps.deadbandMaxSeries ?? DEADBAND_MAX_SERIES);
  const field = parsed.field;
  return {
    label: `${where} (deadband ${field})`,
    deadband,
    apply(reading) {
      const fields = reading.fields;
      const value = fields[field];
      if (typeof value !== 'number' || deadband.keep(reading, value)) return undefined;
      // The last field: drop the reading without reshaping its fields object first.
      for (const name in fields) {
        if (name !== field && Object.hasOwn(fields, name)) {
          delete fields[field];
          return undefined;
        }
      }
      return SUPPRESSED;
    },
  };
}

function compileRule(spec: unknown, where: string, deps: CompileDeps, msgValues: CompiledChain['msgValues']): CompiledRule {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new RuleConfigError('rule-not-object');
  const rule = spec as Record<string, unknown>;
  switch (rule.type) {
    case 'lookup': return compileLookup(rule, where, deps);
    case 'set': return compileSet(rule, where, deps, msgValues);
    case 'rename': return compileRename(rule, where);
    case 'remove': return compileRemove(rule, where);
    case 'convert': return compileConvert(rule, where);
    case 'deadband': return compileDeadband(rule, where, deps);
    default: throw new RuleConfigError('rule-type', { value: describeValue(rule.type) });
  }
}

/** Checks and compiles the `rules` property; throws RuleConfigError naming the rule at fault. */
export function compileRules(specs: unknown, deps: CompileDeps): CompiledChain {
  if (specs === undefined || specs === null || specs === '') specs = [];
  if (!Array.isArray(specs)) throw new RuleConfigError('rules-not-array');
  const chain: CompiledChain = { rules: [], msgValues: [] };
  specs.forEach((spec: unknown, index) => {
    const where = `rule ${index + 1}`;
    try {
      chain.rules.push(compileRule(spec, where, deps, chain.msgValues));
    } catch (err) {
      throw err instanceof RuleConfigError ? err.at(index + 1) : err;
    }
  });
  return chain;
}

/** JSONata errors are plain objects with a message and a position, not Error instances. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') {
    const position = 'position' in err && typeof err.position === 'number' ? ` (at character ${err.position})` : '';
    return `${err.message}${position}`;
  }
  return String(err);
}
