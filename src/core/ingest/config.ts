/**
 * The node's configuration as saved in the flow (README "How each node behaves", telemetry-ingest, names are
 * public API) → validated options. Every problem is reported with an i18n key and its
 * parameters, so the node can show all of them at once instead of failing on the first.
 */
import { type ConfigProblem, type ConfigResult, configResult } from '../config-result';
import { checkTopicFilter } from '../mqtt/topic-filter';
import { parseDuration } from '../duration';
import { checkName } from '../reading';
import { TopicTemplate } from './topic-template';
import { INGEST_FORMATS, IngestFormat, IngestOptions, RETAINED_MODES, RetainedMode, SenmlUnits, UNSAFE_KEYS } from './types';

export interface RawIngestConfig {
  broker?: unknown;
  topic?: unknown;
  qos?: unknown;
  format?: unknown;
  topicTemplate?: unknown;
  measurement?: unknown;
  tagKeys?: unknown;
  timestampKey?: unknown;
  maxFuture?: unknown;
  maxPast?: unknown;
  senmlUnits?: unknown;
  batchSize?: unknown;
  batchInterval?: unknown;
  /** `none` (default): acknowledge when taken; `archive`: once an archive made the readings durable. */
  ackMode?: unknown;
  ackTimeout?: unknown;
  /** `process` (default) | `skip` | `timestamped`: what a retained MQTT message is (RetainedMode). */
  retained?: unknown;
}

export interface BatchOptions {
  size: number;
  intervalMs: number;
  /**
   * The default (batchSize and batchInterval both empty): the node's own subscription gathers
   * what arrives within AUTO_BATCH.intervalMs, and a message nobody joined goes out as it would
   * unbatched (README "### ingest").
   */
  auto?: true;
}

/**
 * Automatic micro-batching: MQTT messages of one socket read are handled in one event-loop turn
 * (mqtt.js hands them over on process.nextTick), so a window of a couple of ms gathers a whole
 * read under load (hundreds of messages) and adds ~2 ms to a lone message when idle.
 */
export const AUTO_BATCH = { size: 1_000, intervalMs: 2 };

export interface IngestConfig {
  options: IngestOptions;
  /** Subscription, when a broker is configured. */
  subscription: { topic: string; qos: 0 | 1 | 2 } | undefined;
  /** Micro-batching, undefined = off (batchSize 0 or 1); `auto` when both fields are empty. */
  batch: BatchOptions | undefined;
  /** Ack-after-archive (test/faults/ACK-AFTER-ARCHIVE.md), undefined = off. */
  ack: { timeoutMs: number } | undefined;
}

export const DEFAULTS = {
  qos: 1 as const,
  format: 'auto' as IngestFormat,
  measurement: 'telemetry',
  tagKeys: 'deviceId,device,site',
  maxFuture: '1d',
  maxPast: '3650d',
  senmlUnits: 'tag' as SenmlUnits,
  retained: 'process' as RetainedMode,
  /** When only batchInterval is set. */
  batchSize: 1_000,
  /** When only batchSize is set: a reading never waits longer than this. */
  batchInterval: '1s',
  /** Ack-after-archive: a message no archive made durable by then is acknowledged anyway. */
  ackTimeout: '30s',
};

const ACK_TIMEOUT_MIN_MS = 1_000;
const ACK_TIMEOUT_MAX_MS = 3_600_000;

/** Upper bound of batchSize: a batch is held in memory. */
export const MAX_BATCH_SIZE = 100_000;

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value).trim());

/** Records a problem: `key` under `telemetry-ingest.errors.`, `params` for its placeholders. */
type Report = (key: string, params?: Record<string, string>) => void;

export function parseIngestConfig(raw: RawIngestConfig): ConfigResult<IngestConfig> {
  const problems: ConfigProblem[] = [];
  const problem: Report = (key, params = {}) => {
    problems.push({ key, params });
  };

  const format = (text(raw.format) || DEFAULTS.format) as IngestFormat;
  if (!INGEST_FORMATS.includes(format)) problem('badFormat', { format: String(raw.format) });

  let template: TopicTemplate | undefined;
  if (text(raw.topicTemplate) !== '') {
    const compiled = TopicTemplate.compile(text(raw.topicTemplate));
    if (typeof compiled === 'string') problem('badTemplate', { reason: compiled });
    else template = compiled;
    // Sparkplug topics have a fixed layout that already gives group, edge node and device.
    if (format === 'sparkplug') problem('sparkplugTemplate');
  }

  const measurement = text(raw.measurement) || DEFAULTS.measurement;
  const measurementProblem = checkName('measurement', measurement) ?? (measurement.startsWith('#') ? { message: 'it starts with "#"' } : undefined);
  if (measurementProblem) problem('badMeasurement', { reason: measurementProblem.message });

  const tagKeys = new Set((raw.tagKeys === undefined ? DEFAULTS.tagKeys : text(raw.tagKeys)).split(',').map((k) => k.trim()).filter((k) => k !== ''));
  for (const key of tagKeys) {
    if (UNSAFE_KEYS.has(key) || key === 'time') problem('badTagKey', { key });
  }

  const timestampKey = text(raw.timestampKey) || undefined;
  if (timestampKey !== undefined && UNSAFE_KEYS.has(timestampKey)) problem('badTimestampKey', { key: timestampKey });

  const maxFutureMs = optionalBound(raw.maxFuture, DEFAULTS.maxFuture, 'maxFuture', problem);
  const maxPastMs = optionalBound(raw.maxPast, DEFAULTS.maxPast, 'maxPast', problem);

  const senmlUnits = (text(raw.senmlUnits) || DEFAULTS.senmlUnits) as SenmlUnits;
  if (senmlUnits !== 'tag' && senmlUnits !== 'drop') problem('badSenmlUnits', { value: String(raw.senmlUnits) });

  const retained = (text(raw.retained) || DEFAULTS.retained) as RetainedMode;
  if (!RETAINED_MODES.includes(retained)) problem('badRetained', { value: String(raw.retained) });

  let subscription: IngestConfig['subscription'];
  if (text(raw.broker) !== '') {
    const topic = text(raw.topic);
    const qos = raw.qos === undefined || raw.qos === '' ? DEFAULTS.qos : Number(raw.qos);
    const filterProblem = topic === '' ? 'a topic is needed when a broker is selected' : checkTopicFilter(topic);
    if (filterProblem) problem('badTopic', { reason: filterProblem });
    if (qos !== 0 && qos !== 1 && qos !== 2) problem('badQos', { qos: String(raw.qos) });
    subscription = { topic, qos: qos as 0 | 1 | 2 };
  }

  const batch = parseBatch(raw, problem);
  const ack = parseAck(raw, subscription, problem);

  return configResult(problems, () => {
    const options: IngestOptions = { format, template, measurement, tagKeys, timestampKey, maxFutureMs, maxPastMs, senmlUnits, retained };
    return { options, subscription, batch, ack };
  });
}

/** Missing → the default; empty text → no bound; else a duration. */
function optionalBound(value: unknown, fallback: string, name: string, problem: Report): number | undefined {
  if (value === undefined || value === null) return parseDuration(fallback);
  if (text(value) === '') return undefined;
  try {
    return parseDuration(value);
  } catch (err) {
    problem('badDuration', { name, reason: (err as Error).message });
    return undefined;
  }
}

function parseAck(raw: RawIngestConfig, subscription: IngestConfig['subscription'], problem: Report): IngestConfig['ack'] {
  const mode = text(raw.ackMode) || 'none';
  if (mode !== 'none' && mode !== 'archive') {
    problem('badAckMode', { value: String(raw.ackMode) });
    return undefined;
  }
  if (mode === 'none') return undefined;
  // Nothing to hold back without a broker, and nothing is ever acknowledged at QoS 0.
  if (!subscription) problem('ackNeedsBroker');
  else if (subscription.qos === 0) problem('ackNeedsQos');
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(text(raw.ackTimeout) || DEFAULTS.ackTimeout);
  } catch (err) {
    problem('badDuration', { name: 'ackTimeout', reason: (err as Error).message });
    return undefined;
  }
  if (timeoutMs < ACK_TIMEOUT_MIN_MS || timeoutMs > ACK_TIMEOUT_MAX_MS) {
    problem('badDuration', { name: 'ackTimeout', reason: 'it must be from 1s to 1h' });
    return undefined;
  }
  return { timeoutMs };
}

function parseBatch(raw: RawIngestConfig, problem: Report): BatchOptions | undefined {
  const sizeText = text(raw.batchSize);
  const intervalText = text(raw.batchInterval);
  const size = sizeText === '' ? 0 : Number(sizeText);
  if (!Number.isInteger(size) || size < 0 || size > MAX_BATCH_SIZE) {
    problem('badBatchSize', { value: sizeText, max: String(MAX_BATCH_SIZE) });
    return undefined;
  }
  let intervalMs: number | undefined;
  if (intervalText !== '') {
    try {
      intervalMs = parseDuration(intervalText);
    } catch (err) {
      problem('badDuration', { name: 'batchInterval', reason: (err as Error).message });
      return undefined;
    }
    if (intervalMs <= 0) {
      problem('badDuration', { name: 'batchInterval', reason: 'it must be longer than 0' });
      return undefined;
    }
  }
  // Both empty: automatic micro-batching (the default).
  if (sizeText === '' && intervalMs === undefined) return { ...AUTO_BATCH, auto: true };
  // An explicit batchSize 0/1 without an interval is "off": one msg per MQTT message.
  if (size <= 1 && intervalMs === undefined) return undefined;
  return { size: size === 0 ? DEFAULTS.batchSize : size, intervalMs: intervalMs ?? parseDuration(DEFAULTS.batchInterval) };
}
