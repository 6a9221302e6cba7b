/**
 * A reading under construction. Parsers add tags and fields one by one; a bad field is refused
 * on its own (scope `field`) and the rest of the reading survives, so one `null` in a
 * Zigbee2MQTT payload does not cost the temperature next to it.
 *
 * Keys come from untrusted payloads: `__proto__`, `constructor` and `prototype` are refused
 * before any assignment, so `obj[key] = value` can never reach a prototype, here or in a
 * downstream node that copies the reading the same way.
 */
import { FieldValue, Reading, checkFieldValue, checkName, describeType, validateReading } from '../reading';
import { TimeBounds, checkTimeBounds } from './timestamp';
import { Rejection, RejectionCode, UNSAFE_KEYS } from './types';
import type { TopicParts } from './topic-template';

/** Fields per reading: far above any real device, low enough to bound work per message. */
export const MAX_FIELDS = 1_000;

const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/** What every reading of one message shares. */
export interface DraftContext {
  now: number;
  bounds: TimeBounds;
  topic: TopicParts | undefined;
  defaultMeasurement: string;
  rejections: Rejection[];
  /**
   * A retained message under `retained: timestamped`: a reading without its own event time is
   * refused (RETAINED_NO_TIMESTAMP) instead of getting the arrival time.
   */
  ownTimeOnly?: boolean;
}

export class ReadingDraft {
  measurement: string;
  readonly tags: Record<string, string> = {};
  readonly fields: Record<string, FieldValue> = {};
  timestamp: number | undefined;
  /** The timestamp was computed from the arrival time (a SenML relative time): not the device's own. */
  relativeTime = false;
  private fieldCount = 0;
  private refusedFields = 0;
  /** The topic template's tags (shared by every reading of the message: never written to). */
  private readonly topicTags: Readonly<Record<string, string>> | undefined;

  /** `index` is the item's position when the payload held several (array element, line, record). */
  constructor(private readonly ctx: DraftContext, public index: number | undefined) {
    this.measurement = ctx.topic?.measurement ?? ctx.defaultMeasurement;
    // Per reading, so no Set or key arrays here: for…in over the template's own plain object.
    const topicTags = ctx.topic?.tags;
    this.topicTags = topicTags;
    if (topicTags) for (const key in topicTags) this.tags[key] = topicTags[key] as string;
  }

  /** Adds a field, or records why it is refused. */
  addField(name: string, value: unknown): void {
    const problem = this.checkKey('field', name) ?? checkFieldValue(name, value);
    if (problem) return this.refuseField(name, problem.code, problem.message);
    if (this.fieldCount >= MAX_FIELDS) {
      return this.refuseField(name, 'TOO_MANY_FIELDS', `field "${name}" is beyond the limit of ${MAX_FIELDS} fields per reading`);
    }
    this.fields[name] = value as FieldValue;
    this.fieldCount++;
  }

  /**
   * Adds a tag from the payload. Numbers and booleans become their text. A tag the topic
   * template already set keeps the topic's value: the topic is what the broker's ACL
   * authorises, the payload is whatever the device claims.
   */
  addTag(name: string, value: unknown): void {
    if (this.topicTags !== undefined && hasOwn(this.topicTags, name)) return;
    const problem = this.checkKey('tag', name);
    if (problem) return this.refuseField(name, problem.code, problem.message);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return this.refuseField(name, 'BAD_TAG', `tag "${name}" must be text, a number or a boolean, got ${describeType(value)}`);
    }
    const text = String(value);
    const valueProblem = checkName(() => `tag "${name}" value`, text);
    if (valueProblem) return this.refuseField(name, valueProblem.code, valueProblem.message);
    this.tags[name] = text;
  }

  hasTag(name: string): boolean {
    return hasOwn(this.tags, name);
  }

  /**
   * Completes the reading: arrival time when it has none, plausibility of its time, the shared
   * validator as the last word. Returns undefined (and records the refusal) when refused.
   */
  finish(): Reading | undefined {
    if (this.fieldCount === 0) {
      const why = this.refusedFields > 0 ? 'every field of the reading was refused' : 'the reading has no fields';
      this.refuseItem('NO_FIELDS', why);
      return undefined;
    }
    if (this.ctx.ownTimeOnly && (this.timestamp === undefined || this.relativeTime)) {
      this.refuseItem('RETAINED_NO_TIMESTAMP', 'a retained message\'s reading without its own timestamp is not used (retained: timestamped): its arrival time is not when it was measured');
      return undefined;
    }
    const timestamp = this.timestamp ?? this.ctx.now;
    const outOfBounds = checkTimeBounds(timestamp, this.ctx.now, this.ctx.bounds);
    if (outOfBounds) {
      this.refuseItem('TIMESTAMP_OUT_OF_RANGE', outOfBounds);
      return undefined;
    }
    const reading: Reading = { measurement: this.measurement, tags: this.tags, fields: this.fields, timestamp };
    const problem = validateReading(reading);
    if (problem) {
      this.refuseItem(problem.code, problem.message);
      return undefined;
    }
    return reading;
  }

  /** Refuses the whole item (e.g. an unreadable timestamp). */
  refuseItem(code: RejectionCode, message: string): void {
    this.ctx.rejections.push(withIndex({ code, message, scope: 'item' }, this.index));
  }

  /** Refuses one field or tag; the rest of the reading is kept. */
  refuseField(name: string, code: RejectionCode, message: string): void {
    this.refusedFields++;
    this.ctx.rejections.push(withIndex({ code, message, scope: 'field', field: name }, this.index));
  }

  private checkKey(what: 'tag' | 'field', name: string): { code: RejectionCode; message: string } | undefined {
    if (name === '') return { code: 'EMPTY_KEY', message: `${what} name is empty` };
    if (UNSAFE_KEYS.has(name)) return { code: 'UNSAFE_KEY', message: `"${name}" cannot be a ${what} name` };
    if (name === 'time') return { code: 'RESERVED_KEY', message: `${what} name "time" is reserved by InfluxDB` };
    if (hasOwn(this.fields, name) || hasOwn(this.tags, name)) {
      return { code: 'DUPLICATE_KEY', message: `"${name}" is already a ${hasOwn(this.tags, name) ? 'tag' : 'field'} of this reading` };
    }
    return checkName(what === 'tag' ? 'tag name' : 'field name', name);
  }
}

export function withIndex(rejection: Rejection, index: number | undefined): Rejection {
  if (index !== undefined) rejection.index = index;
  return rejection;
}
