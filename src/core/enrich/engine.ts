/**
 * Runs a compiled rule chain over the readings of one msg (one reading or a batch).
 *
 * Each reading is copied (the input is never changed, so a refused reading goes out as it came
 * in), passed through the rules in order and validated. A reading a rule refuses stops there
 * and is reported with its reason; the rest of the batch carries on.
 * Everything runs synchronously unless a rule needs a promise (JSONata, a persistent context
 * store): batches of plain lookups and conversions never pay for promise scheduling.
 */
import { Reading, asReadingList, validateReading } from '../reading';
import type { Deadband } from './deadband';
import { CompiledChain, CompiledRule, MsgValue, RuleContext, Step, Stop, describeError } from './rules';

export interface Refused {
  /** Position in the msg's batch (0 for a single reading). */
  index: number;
  /** The reading as it arrived, before any rule. */
  reading: unknown;
  code: string;
  message: string;
}

export interface EnrichResult {
  readings: Reading[];
  refused: Refused[];
  /** Readings dropped by a lookup with `onMissing: "drop"`. */
  dropped: number;
  /** Readings a deadband rule left without a field: not written, not refused either. */
  suppressed: number;
}

type MaybePromise<T> = T | Promise<T>;
/** `undefined`: the reading made it through every rule. */
type Outcome = Stop | undefined;

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function ruleFailed(rule: CompiledRule, err: unknown): Stop {
  return { kind: 'refuse', code: 'RULE_FAILED', message: `${rule.label}: ${describeError(err)}` };
}

export class Enricher {
  constructor(private readonly chain: CompiledChain) {}

  get ruleCount(): number {
    return this.chain.rules.length;
  }

  /** The deadband rules' states, with their rule numbers (1-based). */
  deadbands(): Array<{ rule: number; deadband: Deadband }> {
    const found: Array<{ rule: number; deadband: Deadband }> = [];
    this.chain.rules.forEach((rule, index) => {
      if (rule.deadband) found.push({ rule: index + 1, deadband: rule.deadband });
    });
    return found;
  }

  /** Enriches `payload` (a reading or an array of them); `msg` is what rules see as the msg. */
  apply(payload: unknown, msg: unknown): MaybePromise<EnrichResult> {
    const inputs = asReadingList(payload);
    const values = this.readMsgValues(msg);
    if (isThenable<MsgValue[]>(values)) return Promise.resolve(values).then((read) => this.run(inputs, { msg, values: read }));
    return this.run(inputs, { msg, values });
  }

  /** Reads each msg/flow/global value once per msg, not once per reading of a batch. */
  private readMsgValues(msg: unknown): MaybePromise<MsgValue[]> {
    const getters = this.chain.msgValues;
    if (getters.length === 0) return [];
    let pending = false;
    const values = getters.map((get): MaybePromise<MsgValue> => {
      try {
        const value = get(msg);
        if (!isThenable(value)) return { ok: true, value };
        pending = true;
        return Promise.resolve(value).then(
          (resolved): MsgValue => ({ ok: true, value: resolved }),
          (err: unknown): MsgValue => ({ ok: false, message: describeError(err) }),
        );
      } catch (err) {
        return { ok: false, message: describeError(err) };
      }
    });
    return pending ? Promise.all(values) : (values as MsgValue[]);
  }

  private run(inputs: readonly unknown[], context: RuleContext): MaybePromise<EnrichResult> {
    const copies = new Array<Reading | undefined>(inputs.length);
    const outcomes = new Array<MaybePromise<Outcome>>(inputs.length);
    let pending = false;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (!hasReadingShape(input)) {
        outcomes[i] = invalidInput(input);
        continue;
      }
      const copy: Reading = { ...input, tags: { ...input.tags }, fields: { ...input.fields } };
      copies[i] = copy;
      const outcome = this.runFrom(copy, 0, context);
      if (isThenable(outcome)) pending = true;
      outcomes[i] = outcome;
    }
    if (!pending) return collect(inputs, copies, outcomes as Outcome[]);
    return Promise.all(outcomes).then((settled) => collect(inputs, copies, settled));
  }

  private runFrom(reading: Reading, start: number, context: RuleContext): MaybePromise<Outcome> {
    const rules = this.chain.rules;
    for (let i = start; i < rules.length; i++) {
      const rule = rules[i] as CompiledRule;
      let step: Step | PromiseLike<Step>;
      try {
        step = rule.apply(reading, context);
      } catch (err) {
        return ruleFailed(rule, err);
      }
      if (isThenable<Step>(step)) {
        return Promise.resolve(step).then(
          (settled) => settled ?? this.runFrom(reading, i + 1, context),
          (err: unknown) => ruleFailed(rule, err),
        );
      }
      if (step) return step;
    }
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * What the rules need to run safely: objects where tags and fields are. The full validation
 * runs once, on the result (see settle), instead of on the input and again on the result.
 */
function hasReadingShape(value: unknown): value is Reading {
  return isPlainObject(value) && (value.tags === undefined || isPlainObject(value.tags)) && isPlainObject(value.fields);
}

function invalidInput(input: unknown): Stop | undefined {
  const problem = validateReading(input);
  return problem && { kind: 'refuse', code: problem.code, message: `invalid reading: ${problem.message}` };
}

/**
 * The final word on one reading. The result of the rules is validated; the input is validated
 * only when something went wrong (refused, dropped, or an invalid result), so that a reading that
 * came in invalid is always reported as such, never dropped or blamed on a rule.
 */
function settle(input: unknown, copy: Reading | undefined, outcome: Outcome): Outcome {
  if (!copy) return outcome; // refused by its shape already
  if (!outcome) {
    const problem = validateReading(copy);
    if (!problem) return undefined;
    return invalidInput(input) ?? { kind: 'refuse', code: problem.code, message: `after the rules: ${problem.message}` };
  }
  return invalidInput(input) ?? outcome;
}

function collect(inputs: readonly unknown[], copies: readonly (Reading | undefined)[], outcomes: readonly Outcome[]): EnrichResult {
  const result: EnrichResult = { readings: [], refused: [], dropped: 0, suppressed: 0 };
  outcomes.forEach((ruled, index) => {
    const outcome = settle(inputs[index], copies[index], ruled);
    if (!outcome) result.readings.push(copies[index] as Reading);
    else if (outcome.kind === 'drop') {
      if (outcome.deadband) result.suppressed++;
      else result.dropped++;
    }
    else result.refused.push({ index, reading: inputs[index], code: outcome.code, message: outcome.message });
  });
  return result;
}
