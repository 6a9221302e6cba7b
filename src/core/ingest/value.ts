/**
 * Bare values: a payload that is just `21.5`, `true` or `ON` (Tasmota's POWER topics, most
 * single-sensor firmwares). The field is named by `{field}` in the topic template, else `value`.
 */
import type { FieldValue, Reading } from '../reading';
import { DraftContext, ReadingDraft } from './draft';

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;

/** Text that is a number or a boolean (what `format: auto` calls a bare value). */
export function isBareScalar(text: string): boolean {
  return NUMBER.test(text) || BOOLEAN.test(text);
}

/**
 * Reads trimmed text as a value: a number, `true`/`false` (any case), a JSON string literal
 * (`"on"` → `on`), else the text itself.
 */
export function parseBareValue(text: string): FieldValue {
  if (NUMBER.test(text)) return Number(text);
  if (BOOLEAN.test(text)) return text.toLowerCase() === 'true';
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // not a JSON string literal: keep the text as it is
    }
  }
  return text;
}

export function valueToReading(value: unknown, ctx: DraftContext): Reading | undefined {
  const draft = new ReadingDraft(ctx, undefined);
  draft.addField(ctx.topic?.field ?? 'value', value);
  return draft.finish();
}
