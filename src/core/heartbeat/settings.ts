/**
 * The node's config (README "How each node behaves", telemetry-heartbeat-watch, plus the options issue #8 added),
 * read once and checked, with every problem reported at once so the user fixes them in one go.
 * A problem's key is its code under the node's `errors.` (telemetry-heartbeat-watch.json), with
 * the config property it is in as `field` and the parser's own words as `detail`.
 */
import { type ConfigProblem, type ConfigResult, configFailed, configOk } from '../config-result';
import { parseDuration, parseOptionalDuration } from '../duration';
import { DEFAULT_MAX_DEVICES } from './tracker';

/** Longer ids are refused: they bound what one registry entry can cost. */
export const MAX_DEVICE_ID_LENGTH = 256;
/** V8 Maps hold at most 2^24 entries; stay well clear of it. */
export const MAX_MAX_DEVICES = 10_000_000;
export const MIN_SUMMARY_INTERVAL_MS = 1_000;
export const DEFAULT_TIMEOUT = '5m';
export const DEFAULT_DEVICE_KEY = 'tags.device';

export interface RawHeartbeatConfig {
  deviceKey?: unknown;
  timeout?: unknown;
  expected?: unknown;
  summaryInterval?: unknown;
  forgetAfter?: unknown;
  persistState?: unknown;
  contextStore?: unknown;
  timeoutTag?: unknown;
  timeouts?: unknown;
  emitReading?: unknown;
  maxDevices?: unknown;
  flapPeriod?: unknown;
}

export interface HeartbeatSettings {
  /** `deviceKey` split at dots: the path to the id inside each reading. */
  devicePath: string[];
  timeoutMs: number;
  expected: string[];
  summaryIntervalMs: number | undefined;
  forgetAfterMs: number | undefined;
  persistState: boolean;
  /** Context store name; '' for the default store. */
  contextStore: string;
  /** Tag whose value selects a row of `timeouts`; '' means the device id selects it. */
  timeoutTag: string;
  timeoutTable: Map<string, number>;
  emitReading: boolean;
  maxDevices: number;
  /** Flap damping period (ms), 0: off. */
  flapPeriodMs: number;
}

export type ProblemCode =
  | 'bad-duration'
  | 'not-positive'
  | 'summary-too-short'
  | 'forget-too-short'
  | 'bad-device-key'
  | 'bad-timeouts'
  | 'bad-max-devices'
  | 'too-many-expected'
  | 'id-too-long';

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
}

/** Comma- or newline-separated list, trimmed, empties and duplicates removed, order kept. */
export function splitList(value: unknown): string[] {
  return [...new Set(text(value).split(/[,\n]/).map((item) => item.trim()).filter((item) => item !== ''))];
}

export function parseSettings(raw: RawHeartbeatConfig): ConfigResult<HeartbeatSettings> {
  const problems: ConfigProblem[] = [];
  // detail: English words from the duration parser or JSON.parse, shown after the localised text.
  const problem = (field: keyof RawHeartbeatConfig, code: ProblemCode, detail = ''): undefined => {
    problems.push({ key: code, params: { field, detail } });
    return undefined;
  };
  const duration = (field: 'timeout' | 'summaryInterval' | 'forgetAfter', fallback: string | undefined): number | undefined => {
    try {
      const ms = parseOptionalDuration(raw[field], fallback === undefined ? undefined : parseDuration(fallback));
      return ms !== undefined && ms <= 0 ? problem(field, 'not-positive') : ms;
    } catch (err) {
      return problem(field, 'bad-duration', (err as Error).message);
    }
  };

  const timeoutMs = duration('timeout', DEFAULT_TIMEOUT);
  const summaryIntervalMs = duration('summaryInterval', undefined);
  if (summaryIntervalMs !== undefined && summaryIntervalMs < MIN_SUMMARY_INTERVAL_MS) problem('summaryInterval', 'summary-too-short');
  const forgetAfterMs = duration('forgetAfter', undefined);
  let flapPeriodMs = 0;
  try {
    // Absent (a flow saved before the option existed) = off: an upgrade must not start delaying
    // the downs of flows that alert on them. New nodes get DEFAULT_FLAP_PERIOD from the editor.
    flapPeriodMs = parseOptionalDuration(raw.flapPeriod, 0) ?? 0;
  } catch (err) {
    problem('flapPeriod', 'bad-duration', (err as Error).message);
  }

  const deviceKey = text(raw.deviceKey) || DEFAULT_DEVICE_KEY;
  const devicePath = deviceKey.split('.');
  if (devicePath.some((part) => part === '')) problem('deviceKey', 'bad-device-key', deviceKey);

  const timeoutTable = parseTimeoutTable(raw.timeouts, problem);
  const longest = Math.max(timeoutMs ?? 0, ...timeoutTable.values());
  if (forgetAfterMs !== undefined && timeoutMs !== undefined && forgetAfterMs <= longest) {
    problem('forgetAfter', 'forget-too-short', `${forgetAfterMs} ms ≤ ${longest} ms`);
  }

  let maxDevices = DEFAULT_MAX_DEVICES;
  if (text(raw.maxDevices) !== '') {
    maxDevices = Number(text(raw.maxDevices));
    if (!Number.isInteger(maxDevices) || maxDevices < 1 || maxDevices > MAX_MAX_DEVICES) {
      problem('maxDevices', 'bad-max-devices', text(raw.maxDevices));
    }
  }
  const expected = splitList(raw.expected);
  if (expected.length > maxDevices) problem('expected', 'too-many-expected', `${expected.length} > ${maxDevices}`);
  const tooLong = expected.find((id) => id.length > MAX_DEVICE_ID_LENGTH);
  if (tooLong !== undefined) problem('expected', 'id-too-long', `${tooLong.slice(0, 40)}…`);

  if (problems.length > 0 || timeoutMs === undefined) return configFailed(problems);
  return configOk({
    devicePath,
    timeoutMs,
    expected,
    summaryIntervalMs,
    forgetAfterMs,
    persistState: raw.persistState === true || raw.persistState === 'true',
    contextStore: text(raw.contextStore),
    timeoutTag: text(raw.timeoutTag),
    timeoutTable,
    emitReading: raw.emitReading === true || raw.emitReading === 'true',
    maxDevices,
    flapPeriodMs,
  });
}

/** `timeouts`: a JSON object (or its text) of tag value (or device id) → duration. */
function parseTimeoutTable(value: unknown, problem: (field: 'timeouts', code: ProblemCode, detail: string) => undefined): Map<string, number> {
  const table = new Map<string, number>();
  let parsed: unknown = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return table;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      problem('timeouts', 'bad-timeouts', (err as Error).message);
      return table;
    }
  }
  if (parsed === undefined || parsed === null) return table;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problem('timeouts', 'bad-timeouts', 'expected an object such as {"battery": "1h"}');
    return table;
  }
  for (const [key, duration] of Object.entries(parsed as Record<string, unknown>)) {
    try {
      const ms = parseDuration(duration);
      if (ms <= 0) throw new Error(`"${key}" must be longer than 0`);
      table.set(key, ms);
    } catch (err) {
      problem('timeouts', 'bad-timeouts', (err as Error).message);
    }
  }
  return table;
}
