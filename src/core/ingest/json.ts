/**
 * JSON payloads → readings. An object is one reading, an array is one reading per element.
 *
 * Nested objects are flattened with `_` (`{"ENERGY":{"Power":12}}` → field `ENERGY_Power`),
 * the naming Telegraf's JSON parser uses. The configured tag keys and timestamp key are
 * matched against these flattened names. Values that are still not a number, boolean or
 * string (null, arrays) are refused one by one with a reason; string values stay strings.
 *
 * An object whose only keys are those of a reading (`fields` plus any of `measurement`,
 * `tags`, `timestamp`) is taken as a reading, so readings can be fed back through ingest.
 */
import type { Reading } from '../reading';
import { DraftContext, ReadingDraft, withIndex } from './draft';
import { toEpochMs } from './timestamp';
import { UNSAFE_KEYS } from './types';

/** Nesting depth followed when flattening; deeper values are refused (bounds work on hostile input). */
export const MAX_DEPTH = 16;

const AUTO_TIMESTAMP_KEYS = ['ts', 'timestamp', 'time'] as const;
const READING_KEYS = new Set(['measurement', 'tags', 'fields', 'timestamp']);

export interface JsonOptions {
  tagKeys: ReadonlySet<string>;
  timestampKey: string | undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A JSON object or array (already parsed) → readings; refusals go to `ctx.rejections`. */
export function jsonToReadings(value: unknown, ctx: DraftContext, options: JsonOptions): Reading[] {
  const readings: Reading[] = [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (isPlainObject(element)) {
        const reading = objectToReading(element, ctx, options, i);
        if (reading) readings.push(reading);
      } else {
        ctx.rejections.push(withIndex({ code: 'NOT_AN_OBJECT', message: `array element ${i} is ${describe(element)}, not an object`, scope: 'item' }, i));
      }
    }
    if (value.length === 0) ctx.rejections.push({ code: 'EMPTY_PAYLOAD', message: 'the JSON array is empty', scope: 'message' });
  } else if (isPlainObject(value)) {
    const reading = objectToReading(value, ctx, options, undefined);
    if (reading) readings.push(reading);
  } else {
    ctx.rejections.push({
      code: 'NOT_AN_OBJECT',
      message: `a JSON payload must be an object or an array of objects, got ${describe(value)} (use format "value" or "auto" for bare values)`,
      scope: 'message',
    });
  }
  return readings;
}

function objectToReading(obj: Record<string, unknown>, ctx: DraftContext, options: JsonOptions, index: number | undefined): Reading | undefined {
  if (isReadingShaped(obj)) return readingShapedToReading(obj, ctx, index);
  const draft = new ReadingDraft(ctx, index);
  const timestampKey = options.timestampKey ?? AUTO_TIMESTAMP_KEYS.find((key) => Object.prototype.hasOwnProperty.call(obj, key));
  const state: WalkState = { draft, options, timestampKey, badTimestamp: false, deviceId: undefined };
  walk(obj, '', 0, state);
  if (state.badTimestamp) return undefined;
  if (state.deviceId !== undefined && !draft.hasTag('device')) draft.addTag('device', state.deviceId.value);
  return draft.finish();
}

interface WalkState {
  draft: ReadingDraft;
  options: JsonOptions;
  timestampKey: string | undefined;
  badTimestamp: boolean;
  /** `deviceId` is stored as tag `device` unless the payload also has `device` itself. */
  deviceId: { value: unknown } | undefined;
}

function walk(obj: Record<string, unknown>, prefix: string, depth: number, state: WalkState): void {
  const { draft, options } = state;
  for (const key of Object.keys(obj)) {
    const name = prefix === '' ? key : `${prefix}_${key}`;
    if (UNSAFE_KEYS.has(key)) {
      // Not followed into either: nothing under a "__proto__" key is data anyone meant to send.
      draft.refuseField(name, 'UNSAFE_KEY', `"${key}" cannot be part of a field or tag name`);
      continue;
    }
    const value = obj[key];
    if (name === state.timestampKey) {
      const ts = toEpochMs(value);
      if (ts.ok) {
        draft.timestamp = ts.ms;
      } else {
        state.badTimestamp = true;
        draft.refuseItem('BAD_TIMESTAMP', `"${name}": ${ts.reason}`);
      }
    } else if (isPlainObject(value)) {
      if (depth + 1 >= MAX_DEPTH) {
        draft.refuseField(name, 'TOO_DEEP', `"${name}" is nested more than ${MAX_DEPTH} levels deep`);
        continue;
      }
      walk(value, name, depth + 1, state);
    } else if (options.tagKeys.has(name)) {
      if (name === 'deviceId') state.deviceId = { value };
      else draft.addTag(name, value);
    } else {
      draft.addField(name, value);
    }
  }
}

function isReadingShaped(obj: Record<string, unknown>): boolean {
  if (!isPlainObject(obj.fields)) return false;
  for (const key of Object.keys(obj)) if (!READING_KEYS.has(key)) return false;
  return true;
}

function readingShapedToReading(obj: Record<string, unknown>, ctx: DraftContext, index: number | undefined): Reading | undefined {
  const draft = new ReadingDraft(ctx, index);
  if (obj.measurement !== undefined) {
    if (typeof obj.measurement !== 'string' || obj.measurement === '') {
      draft.refuseItem('EMPTY_MEASUREMENT', 'measurement must be a non-empty string');
      return undefined;
    }
    draft.measurement = obj.measurement;
  }
  if (obj.tags !== undefined) {
    if (!isPlainObject(obj.tags)) {
      draft.refuseItem('BAD_TAG', 'tags must be an object of strings');
      return undefined;
    }
    for (const key of Object.keys(obj.tags)) draft.addTag(key, obj.tags[key]);
  }
  if (obj.timestamp !== undefined) {
    const ts = toEpochMs(obj.timestamp);
    if (!ts.ok) {
      draft.refuseItem('BAD_TIMESTAMP', ts.reason);
      return undefined;
    }
    draft.timestamp = ts.ms;
  }
  const state: WalkState = { draft, options: { tagKeys: new Set(), timestampKey: undefined }, timestampKey: undefined, badTimestamp: false, deviceId: undefined };
  walk(obj.fields as Record<string, unknown>, '', 0, state);
  return draft.finish();
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'text';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
