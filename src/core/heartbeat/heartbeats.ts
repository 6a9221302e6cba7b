/**
 * Which devices a message is a sign of life from, and with which timeout.
 *
 * A heartbeat is evidence that a device talks, not that its data is good: a reading the archive
 * would refuse (a NaN field, say) still proves the device alive, so readings are not validated
 * here; only the device id must be found.
 */
import { asReadingList } from '../reading';
import { parseDuration } from '../duration';
import { MAX_DEVICE_ID_LENGTH, type HeartbeatSettings } from './settings';

export interface Heartbeat {
  device: string;
  /** undefined: the node's default timeout. */
  timeoutMs: number | undefined;
}

export type HeartbeatProblemCode = 'NO_DEVICE' | 'DEVICE_TOO_LONG' | 'BAD_TIMEOUT';

export interface HeartbeatProblem {
  code: HeartbeatProblemCode;
  /** English text; `params` fill the node's localised one. */
  message: string;
  params: Record<string, string | number>;
}

export interface MessageHeartbeats {
  beats: Heartbeat[];
  /** At most one per code, with how many items it hit; the rest of the msg still counts. */
  problems: HeartbeatProblem[];
}

type Rules = Pick<HeartbeatSettings, 'devicePath' | 'timeoutTag' | 'timeoutTable'>;

function valueAt(item: unknown, path: readonly string[]): unknown {
  let value = item;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function asId(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** `msg.timeout`: milliseconds or a duration text; undefined when absent. Throws when invalid. */
export function messageTimeout(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = parseDuration(value);
  if (ms <= 0) throw new RangeError(`msg.timeout must be longer than 0, got ${JSON.stringify(value)}`);
  return ms;
}

/**
 * One heartbeat per item of `msg.payload` (a reading or a batch): the id at `deviceKey` in the
 * item, else `msg.topic`. Timeout: `msg.timeout`, else the `timeouts` row for the item's
 * `timeoutTag` value (or its device id), else the default.
 */
export function readHeartbeats(payload: unknown, topic: unknown, timeout: unknown, rules: Rules): MessageHeartbeats {
  const beats: Heartbeat[] = [];
  const counts = new Map<HeartbeatProblemCode, number>();
  const count = (code: HeartbeatProblemCode): void => {
    counts.set(code, (counts.get(code) ?? 0) + 1);
  };
  let msgTimeout: number | undefined;
  let timeoutProblem: string | undefined;
  try {
    msgTimeout = messageTimeout(timeout);
  } catch (err) {
    // The heartbeats still count, with the usual timeouts: losing them would raise false alerts.
    timeoutProblem = (err as Error).message;
  }
  const items = Array.isArray(payload) && payload.length === 0 ? [undefined] : asReadingList(payload);
  const fallback = asId(topic);
  for (const item of items) {
    const device = asId(valueAt(item, rules.devicePath)) ?? fallback;
    if (device === undefined) {
      count('NO_DEVICE');
      continue;
    }
    if (device.length > MAX_DEVICE_ID_LENGTH) {
      count('DEVICE_TOO_LONG');
      continue;
    }
    beats.push({ device, timeoutMs: msgTimeout ?? lookup(item, device, rules) });
  }
  const problems: HeartbeatProblem[] = [];
  const missing = counts.get('NO_DEVICE');
  if (missing) {
    const params = { count: missing, total: items.length, key: rules.devicePath.join('.') };
    problems.push({
      code: 'NO_DEVICE',
      message: `${missing} of ${items.length} item(s) had no device id at "${params.key}" and the msg has no topic`,
      params,
    });
  }
  const tooLong = counts.get('DEVICE_TOO_LONG');
  if (tooLong) {
    const params = { count: tooLong, max: MAX_DEVICE_ID_LENGTH };
    problems.push({ code: 'DEVICE_TOO_LONG', message: `${tooLong} device id(s) longer than ${MAX_DEVICE_ID_LENGTH} characters`, params });
  }
  if (timeoutProblem !== undefined) {
    problems.push({ code: 'BAD_TIMEOUT', message: timeoutProblem, params: { detail: timeoutProblem } });
  }
  return { beats, problems };
}

function lookup(item: unknown, device: string, rules: Rules): number | undefined {
  if (rules.timeoutTable.size === 0) return undefined;
  if (rules.timeoutTag === '') return rules.timeoutTable.get(device);
  const tag = valueAt(item, ['tags', rules.timeoutTag]);
  return typeof tag === 'string' ? rules.timeoutTable.get(tag) : undefined;
}
