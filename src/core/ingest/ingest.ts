/**
 * One payload in → the readings it holds and the parts refused, with reasons. Pure: the time
 * of arrival is passed in, nothing is sent; never throws.
 *
 * Pipeline: topic template (tags, measurement, field name) → payload decoding (UTF-8 text,
 * parsed object, bare scalar) → format (given, or detected for `auto`) → parser → per-reading
 * finishing (arrival time, plausibility bounds, the shared reading validator).
 */
import type { Reading } from '../reading';
import type { DraftContext } from './draft';
import { jsonToReadings } from './json';
import { lineToReadings } from './line';
import { decodePayload } from './payload';
import { looksLikeSenml, senmlToReadings } from './senml';
import type { TopicParts } from './topic-template';
import type { IngestFormat, IngestOptions, IngestResult, Rejection } from './types';
import { isBareScalar, parseBareValue, valueToReading } from './value';

export interface IngestInput {
  payload: unknown;
  topic: string | undefined;
  /** Arrival time, epoch ms: the time of readings without one, and "now" for the bounds. */
  now: number;
  /** The MQTT retain flag (`msg.retain`): the message may be old, `options.retained` says what to do. */
  retained?: boolean;
}

type Parsed = Exclude<IngestFormat, 'auto'>;

export function ingest(input: IngestInput, options: IngestOptions): IngestResult {
  const rejections: Rejection[] = [];
  if (input.retained === true && options.retained === 'skip') {
    return { readings: [], rejections, multiple: false, format: undefined, skipped: true };
  }
  try {
    const result = ingestUnguarded(input, options, rejections);
    if (result.readings.length === 0 && rejections.length === 0) {
      // e.g. a SenML pack of base records only: never let a message vanish without a trace.
      rejections.push({ code: 'EMPTY_PAYLOAD', message: 'the payload holds no readings', scope: 'message' });
    }
    return result;
  } catch (err) {
    // A defect, or a wired object whose getters throw: refuse the message, keep the node alive.
    const detail = err instanceof Error ? err.message : String(err);
    return {
      readings: [],
      rejections: [{ code: 'INTERNAL_ERROR', message: `unexpected error while reading the payload: ${detail}`, scope: 'message' }],
      multiple: false,
      format: undefined,
    };
  }
}

function ingestUnguarded(input: IngestInput, options: IngestOptions, rejections: Rejection[]): IngestResult {
  const fail = (code: Rejection['code'], message: string, format?: Parsed): IngestResult => {
    rejections.push({ code, message, scope: 'message' });
    return { readings: [], rejections, multiple: false, format };
  };

  let topic: TopicParts | undefined;
  if (options.template) {
    const match = options.template.match(input.topic);
    if (!match.ok) return fail('TOPIC_MISMATCH', match.reason);
    topic = match.parts;
  }
  const ctx: DraftContext = {
    now: input.now,
    bounds: { maxFutureMs: options.maxFutureMs, maxPastMs: options.maxPastMs },
    topic,
    defaultMeasurement: options.measurement,
    rejections,
    ...(input.retained === true && options.retained === 'timestamped' ? { ownTimeOnly: true } : {}),
  };
  const done = (readings: Reading[], multiple: boolean, format: Parsed): IngestResult => ({ readings, rejections, multiple, format });
  const structured = (value: unknown, format: 'json' | 'senml' | 'auto'): IngestResult => {
    if (format === 'senml' || (format === 'auto' && looksLikeSenml(value))) {
      return done(senmlToReadings(value, ctx, options.senmlUnits), true, 'senml');
    }
    const json = jsonToReadings(value, ctx, { tagKeys: options.tagKeys, timestampKey: options.timestampKey });
    return done(json, Array.isArray(value), 'json');
  };
  const value = (v: unknown): IngestResult => {
    const reading = valueToReading(v, ctx);
    return done(reading ? [reading] : [], false, 'value');
  };

  const format = options.format;
  // Stateful (alias maps, seq): the node reads it through sparkplug/ingest.ts, never here.
  if (format === 'sparkplug') return fail('UNKNOWN_FORMAT', 'format "sparkplug" is read by SparkplugIngest, which keeps the edge nodes\' state');
  const payload = decodePayload(input.payload);
  switch (payload.kind) {
    case 'unusable':
      return fail(payload.code, payload.message);
    case 'structured':
      if (format === 'line') return fail('BAD_PAYLOAD', 'line protocol must be text (a string or Buffer), got an already parsed object', 'line');
      if (format === 'value') return fail('BAD_PAYLOAD', 'format "value" takes a number, boolean or text, got an object or array', 'value');
      return structured(payload.value, format);
    case 'scalar':
      if (format === 'value' || format === 'auto') return value(payload.value);
      if (format === 'line') return fail('BAD_PAYLOAD', `line protocol must be text, got a ${typeof payload.value}`, 'line');
      return fail('NOT_AN_OBJECT', `format "${format}" needs a JSON object or array, got a ${typeof payload.value} (use format "value" or "auto")`, format);
  }

  const text = payload.text.trim();
  if (text === '') return fail('EMPTY_PAYLOAD', 'the payload is empty');
  if (format === 'value') return value(parseBareValue(text));
  if (format === 'line') {
    const { readings, lines } = lineToReadings(payload.text, ctx);
    if (lines === 0) return fail('EMPTY_PAYLOAD', 'the payload holds only comments', 'line');
    return done(readings, lines > 1, 'line');
  }
  if (format === 'json' || format === 'senml' || text.startsWith('{') || text.startsWith('[')) {
    const parsed = parseJson(text);
    if (!parsed.ok) return fail('PARSE_ERROR', `the payload is not valid JSON: ${parsed.reason}`, format === 'auto' ? 'json' : format);
    return structured(parsed.value, format);
  }
  // format auto, text that is not JSON-looking
  if (isBareScalar(text)) return value(parseBareValue(text));
  return autoLine(payload.text, ctx, fail, done);
}

/** `auto`: text that parses as line protocol (at least one line) is line protocol; else unknown. */
function autoLine(
  text: string,
  ctx: DraftContext,
  fail: (code: Rejection['code'], message: string) => IngestResult,
  done: (readings: Reading[], multiple: boolean, format: Parsed) => IngestResult,
): IngestResult {
  const scratch: Rejection[] = [];
  const { readings, lines } = lineToReadings(text, { ...ctx, rejections: scratch });
  const parseErrors = scratch.filter((r) => r.code === 'PARSE_ERROR').length;
  if (lines === 0) return fail('EMPTY_PAYLOAD', 'the payload holds only comments');
  if (parseErrors === lines) {
    const first = scratch[0]?.message ?? '';
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    return fail(
      'UNKNOWN_FORMAT',
      `${JSON.stringify(preview)} is neither JSON, SenML, line protocol nor a bare number or boolean (as line protocol: ${first})`,
    );
  }
  for (const rejection of scratch) ctx.rejections.push(rejection);
  return done(readings, lines > 1, 'line');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: describeJsonError(err instanceof Error ? err.message : String(err)) };
  }
}

/**
 * V8's JSON.parse messages in words for people reading output 2: "Unexpected token" reads like
 * a crash of ours, and the position is more useful counted from 1.
 */
export function describeJsonError(raw: string): string {
  if (/Unexpected end of JSON input/i.test(raw)) return 'it ends before the JSON is complete';
  const position = /at position (\d+)/.exec(raw);
  const where = position ? ` at character ${Number(position[1]) + 1}` : '';
  const token = /^Unexpected token '?(.)'?/.exec(raw);
  if (token) return `unexpected character "${token[1]}"${where}`;
  if (/non-whitespace character after JSON/.test(raw)) return `extra text after the JSON${where}`;
  const reason = raw.replace(/ in JSON at position \d+.*$/s, '').replace(/^Unexpected /, 'unexpected ');
  return `${reason.charAt(0).toLowerCase()}${reason.slice(1)}${where}`;
}
