/**
 * The alert engine (DESIGN §8): readings in, state changes out, all in event time (the readings'
 * timestamps), so it needs no timer. Per key (the `groupBy` tag values) and rule:
 *
 *   idle ──condition──▶ pending (since = first reading that met it)
 *   pending ──condition still met at since + for──▶ alerting  → one `alert`
 *   pending ──condition not met──▶ idle (a flap before `for` raises nothing)
 *   alerting ──value passed `clear`──▶ idle  → one `ok`
 *
 * A key is held only while one of its rules is pending or alerting, so memory follows the keys
 * in trouble, bounded by `maxKeys`: a new key beyond it is refused (counted, not tracked).
 */
import type { Reading } from '../reading';
import type { AlertRule } from './settings';
import { ruleSignature } from './settings';

export interface AlertEvent {
  key: string;
  /** The key's tag values (groupBy order), for a reading. */
  tags: Record<string, string>;
  field: string;
  status: 'alert' | 'ok';
  value: number;
  /** alert: when the condition began; ok: the timestamp of the reading that cleared it. */
  since: number;
  /** The rule's position in the list, from 1. */
  rule: number;
  severity: string;
  /** Event time of the reading that caused the change. */
  at: number;
}

interface RuleState {
  alerting: boolean;
  /** pending: first reading meeting the condition; alerting: when the condition began. */
  since: number;
  /** Timestamp of the last reading looked at (older readings are ignored). */
  last: number;
  value: number;
}

interface KeyState {
  tags: Record<string, string>;
  rules: Array<RuleState | undefined>;
}

export interface AddResult {
  /** The reading had no value for a groupBy tag. */
  noKey: boolean;
  /** A new key was not tracked: maxKeys reached. */
  refused: boolean;
}

export interface AlertSummary {
  /** Alerts in force (key × rule). */
  total: number;
  /** The oldest alerts in force first, at most `limit`. */
  alerting: Array<{ key: string; field: string; value: number; since: number; rule: number; severity: string }>;
}

export const SNAPSHOT_FORMAT = 'telemetry-alert/1';

export interface AlertSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  rules: string[];
  /** [key, tags, ruleIndex, alerting 0|1, since, last, value] */
  states: Array<[string, Record<string, string>, number, number, number, number, number]>;
}

export function conditionMet(rule: AlertRule, v: number): boolean {
  switch (rule.op) {
    case 'above':
      return v > rule.value;
    case 'below':
      return v < rule.value;
    case 'outside':
      return v < rule.value || v > rule.value2;
    case 'inside':
      return v >= rule.value && v <= rule.value2;
  }
}

/** Whether an alert in force ends (hysteresis: the value must pass `clear`). */
export function cleared(rule: AlertRule, v: number): boolean {
  switch (rule.op) {
    case 'above':
      return rule.clear < rule.value ? v < rule.clear : v <= rule.value;
    case 'below':
      return rule.clear > rule.value ? v > rule.clear : v >= rule.value;
    case 'outside':
      return v >= rule.value + rule.clear && v <= rule.value2 - rule.clear;
    case 'inside':
      return v < rule.value - rule.clear || v > rule.value2 + rule.clear;
  }
}

export class AlertEngine {
  private readonly keys = new Map<string, KeyState>();
  private alerts = 0;

  constructor(
    private readonly rules: AlertRule[],
    private readonly groupBy: string[],
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  get alerting(): number {
    return this.alerts;
  }

  /** The key of a reading: its groupBy tag values joined by "/" (the measurement when groupBy is empty). */
  keyOf(reading: Reading): { key: string; tags: Record<string, string> } | undefined {
    if (this.groupBy.length === 0) return { key: reading.measurement, tags: {} };
    const tags: Record<string, string> = {};
    const parts: string[] = [];
    for (const tag of this.groupBy) {
      // Tags are optional in a reading; an own string only (a tag key may be "constructor").
      const tags0 = reading.tags as Record<string, string> | undefined;
      const value = tags0 !== undefined && Object.hasOwn(tags0, tag) ? tags0[tag] : undefined;
      if (typeof value !== 'string' || value === '') return undefined;
      tags[tag] = value;
      parts.push(value);
    }
    return { key: parts.join('/'), tags };
  }

  /** Looks at one (valid) reading; appends the state changes it causes to `out`. */
  add(reading: Reading, out: AlertEvent[]): AddResult {
    const result: AddResult = { noKey: false, refused: false };
    const id = this.keyOf(reading);
    if (!id) {
      result.noKey = this.rules.some((rule) => typeof reading.fields[rule.field] === 'number');
      return result;
    }
    let state = this.keys.get(id.key);
    const t = reading.timestamp;
    this.rules.forEach((rule, i) => {
      const v = reading.fields[rule.field];
      if (typeof v !== 'number') return;
      const s = state?.rules[i];
      if (s && t < s.last) return; // out of order: history is not rewritten
      if (!s) {
        if (!conditionMet(rule, v)) return;
        if (!state) {
          if (this.keys.size >= this.maxKeys) {
            result.refused = true;
            return;
          }
          state = { tags: id.tags, rules: [] };
          this.keys.set(id.key, state);
        }
        const fresh: RuleState = { alerting: false, since: t, last: t, value: v };
        state.rules[i] = fresh;
        if (rule.forMs === 0) this.raise(id.key, state, fresh, rule, i, v, t, out);
        return;
      }
      s.last = t;
      s.value = v;
      if (s.alerting) {
        if (cleared(rule, v)) {
          this.alerts--;
          state!.rules[i] = undefined;
          out.push(this.event(id.key, state!.tags, rule, i, 'ok', v, t, t));
        }
      } else if (!conditionMet(rule, v)) {
        state!.rules[i] = undefined;
      } else if (t - s.since >= rule.forMs) {
        this.raise(id.key, state!, s, rule, i, v, t, out);
      }
    });
    if (state && state.rules.every((s) => s === undefined)) this.keys.delete(id.key);
    return result;
  }

  summary(limit: number): AlertSummary {
    const alerting: AlertSummary['alerting'] = [];
    for (const [key, state] of this.keys) {
      state.rules.forEach((s, i) => {
        if (s?.alerting) {
          const rule = this.rules[i]!;
          alerting.push({ key, field: rule.field, value: s.value, since: s.since, rule: i + 1, severity: rule.severity });
        }
      });
    }
    alerting.sort((a, b) => a.since - b.since);
    return { total: this.alerts, alerting: alerting.slice(0, limit) };
  }

  /** Forgets every key: nothing pending, nothing alerting (no `ok` is sent). */
  reset(): void {
    this.keys.clear();
    this.alerts = 0;
  }

  snapshot(): AlertSnapshot {
    const states: AlertSnapshot['states'] = [];
    for (const [key, state] of this.keys) {
      state.rules.forEach((s, i) => {
        if (s) states.push([key, state.tags, i, s.alerting ? 1 : 0, s.since, s.last, s.value]);
      });
    }
    return { format: SNAPSHOT_FORMAT, rules: this.rules.map(ruleSignature), states };
  }

  /**
   * Takes back a snapshot: alerts in force stay in force (no second `alert` after a restart, and
   * an `ok` when the value clears). States of rules that changed or went away are dropped.
   */
  restore(value: unknown): { restored: number; dropped: number } | { error: string } {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not an object' };
    const snap = value as Partial<AlertSnapshot>;
    if (snap.format !== SNAPSHOT_FORMAT) return { error: `unknown format ${JSON.stringify(snap.format)}` };
    if (!Array.isArray(snap.rules) || !Array.isArray(snap.states)) return { error: 'a column is missing' };
    const now = new Map<string, number>();
    this.rules.forEach((rule, i) => now.set(ruleSignature(rule), i));
    let restored = 0;
    let dropped = 0;
    for (const entry of snap.states) {
      if (!Array.isArray(entry) || entry.length !== 7) return { error: 'a state is not a row' };
      const [key, tags, at, alerting, since, last, v] = entry;
      if (typeof key !== 'string' || typeof tags !== 'object' || tags === null || typeof at !== 'number' || ![since, last, v].every((n) => typeof n === 'number' && Number.isFinite(n))) {
        return { error: 'a state has a bad column' };
      }
      const sig: unknown = snap.rules[at];
      const i = typeof sig === 'string' ? now.get(sig) : undefined;
      let state = this.keys.get(key);
      if (i === undefined || (!state && this.keys.size >= this.maxKeys)) {
        dropped++;
        continue;
      }
      if (!state) {
        state = { tags: { ...tags }, rules: [] };
        this.keys.set(key, state);
      }
      if (state.rules[i]?.alerting) this.alerts--;
      state.rules[i] = { alerting: alerting === 1, since, last, value: v };
      if (alerting === 1) this.alerts++;
      restored++;
    }
    return { restored, dropped };
  }

  private raise(key: string, state: KeyState, s: RuleState, rule: AlertRule, i: number, v: number, t: number, out: AlertEvent[]): void {
    s.alerting = true;
    this.alerts++;
    out.push(this.event(key, state.tags, rule, i, 'alert', v, s.since, t));
  }

  private event(key: string, tags: Record<string, string>, rule: AlertRule, i: number, status: AlertEvent['status'], value: number, since: number, at: number): AlertEvent {
    return { key, tags, field: rule.field, status, value, since, rule: i + 1, severity: rule.severity, at };
  }
}
