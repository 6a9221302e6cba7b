/**
 * telemetry-alert's config (DESIGN §8): the rules, the grouping, the summary and persistence.
 * Every problem is reported at once; a problem's key is its code under the node's `errors.`
 * (telemetry-alert.json), with the config property as `field` and details as `detail`.
 */
import { type ConfigProblem, type ConfigResult, configFailed, configOk } from '../config-result';
import { parseOptionalDuration } from '../duration';

export type AlertOp = 'above' | 'below' | 'outside' | 'inside';
export const OPS: readonly AlertOp[] = ['above', 'below', 'outside', 'inside'];
export const MIN_SUMMARY_INTERVAL_MS = 1_000;
export const DEFAULT_MAX_KEYS = 100_000;
export const MAX_MAX_KEYS = 10_000_000;
export const MAX_RULES = 100;

export interface AlertRule {
  field: string;
  op: AlertOp;
  /** above/below: the threshold; outside/inside: the band's low end. */
  value: number;
  /** outside/inside: the band's high end. */
  value2: number;
  forMs: number;
  /**
   * above/below: the value that ends the alert (above: back below it; below: back above it),
   * default `value`. outside/inside: the hysteresis width (≥ 0) the value must pass the band by.
   */
  clear: number;
  severity: string;
}

export interface RawAlertConfig {
  rules?: unknown;
  groupBy?: unknown;
  summaryInterval?: unknown;
  persistState?: unknown;
  contextStore?: unknown;
  emitReading?: unknown;
  maxKeys?: unknown;
}

export interface AlertSettings {
  rules: AlertRule[];
  groupBy: string[];
  summaryIntervalMs: number | undefined;
  persistState: boolean;
  contextStore: string;
  emitReading: boolean;
  maxKeys: number;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const s = text(value);
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

const isTrue = (value: unknown): boolean => value === true || value === 'true';

export function parseSettings(raw: RawAlertConfig): ConfigResult<AlertSettings> {
  const problems: ConfigProblem[] = [];
  const problem = (field: string, code: string, detail = ''): void => {
    problems.push({ key: code, params: { field, detail } });
  };

  let summaryIntervalMs: number | undefined;
  try {
    summaryIntervalMs = parseOptionalDuration(raw.summaryInterval, undefined);
    if (summaryIntervalMs !== undefined && summaryIntervalMs < MIN_SUMMARY_INTERVAL_MS) problem('summaryInterval', 'summary-too-short');
  } catch (err) {
    problem('summaryInterval', 'bad-duration', (err as Error).message);
  }

  const groupBy = Array.isArray(raw.groupBy)
    ? raw.groupBy.map(text).filter((k) => k !== '')
    : raw.groupBy === undefined || raw.groupBy === null
      ? ['device']
      : text(raw.groupBy).split(',').map((k) => k.trim()).filter((k) => k !== '');

  let maxKeys = DEFAULT_MAX_KEYS;
  if (text(raw.maxKeys) !== '') {
    maxKeys = Number(text(raw.maxKeys));
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_MAX_KEYS) problem('maxKeys', 'bad-max-keys', text(raw.maxKeys));
  }

  const rules = parseRules(raw.rules, problem);
  if (problems.length > 0) return configFailed(problems);
  return configOk({
    rules,
    groupBy,
    summaryIntervalMs,
    persistState: isTrue(raw.persistState),
    contextStore: text(raw.contextStore),
    emitReading: isTrue(raw.emitReading),
    maxKeys,
  });
}

function parseRules(value: unknown, problem: (field: string, code: string, detail?: string) => void): AlertRule[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch (err) {
      problem('rules', 'bad-rules', (err as Error).message);
      return [];
    }
  }
  if (!Array.isArray(list) || list.length === 0) {
    problem('rules', 'no-rules');
    return [];
  }
  if (list.length > MAX_RULES) problem('rules', 'too-many-rules', `${list.length} > ${MAX_RULES}`);
  const rules: AlertRule[] = [];
  list.forEach((item: unknown, i) => {
    const where = `rules[${i + 1}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problem(where, 'bad-rule', 'not an object');
      return;
    }
    const r = item as Record<string, unknown>;
    const field = text(r.field);
    if (field === '') problem(where, 'rule-no-field');
    const op = text(r.op) as AlertOp;
    if (!OPS.includes(op)) problem(where, 'rule-bad-op', text(r.op));
    const v = num(r.value);
    if (v === undefined) problem(where, 'rule-bad-value', text(r.value));
    const band = op === 'outside' || op === 'inside';
    const v2 = band ? num(r.value2) : v;
    if (band && (v2 === undefined || v === undefined || v2 < v)) problem(where, 'rule-bad-value2', text(r.value2));
    let forMs = 0;
    try {
      forMs = parseOptionalDuration(r.for, 0) ?? 0;
    } catch (err) {
      problem(where, 'bad-duration', (err as Error).message);
    }
    let clear = band ? 0 : v ?? 0;
    if (text(r.clear) !== '') {
      const c = num(r.clear);
      if (c === undefined) problem(where, 'rule-bad-clear', text(r.clear));
      else if (v !== undefined && ((op === 'above' && c > v) || (op === 'below' && c < v) || (band && c < 0))) {
        problem(where, `rule-clear-${op}`, String(c));
      } else clear = c;
    }
    if (v !== undefined && field !== '' && OPS.includes(op)) {
      rules.push({ field, op, value: v, value2: v2 ?? v, forMs, clear, severity: text(r.severity) });
    }
  });
  return rules;
}

/** Identifies a rule across restarts: a restored state only comes back to the same rule. */
export function ruleSignature(rule: AlertRule): string {
  return JSON.stringify([rule.field, rule.op, rule.value, rule.value2, rule.forMs, rule.clear]);
}

