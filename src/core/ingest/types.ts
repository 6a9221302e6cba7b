/**
 * Shapes shared by the ingest parsers (README "How each node behaves", telemetry-ingest).
 *
 * Every parser returns what it accepted and what it refused, never throws: the node routes the
 * first to output 1 and the second to output 2, so each input is accounted for.
 */
import type { Reading, ReasonCode } from '../reading';
import type { TopicTemplate } from './topic-template';

/** `sparkplug` (Sparkplug B protobuf, sparkplug/) is never detected by `auto`: binary payloads. */
export type IngestFormat = 'auto' | 'json' | 'senml' | 'line' | 'value' | 'sparkplug';
export const INGEST_FORMATS: readonly IngestFormat[] = ['auto', 'json', 'senml', 'line', 'value', 'sparkplug'];

/**
 * What a retained MQTT message is (config `retained`): `process` reads it like any other (its
 * readings without a timestamp get the arrival time), `skip` ignores it, `timestamped` keeps only
 * the readings that carry their own event time — a retained message can be days old, and the
 * arrival time would date its value wrongly.
 */
export type RetainedMode = 'process' | 'skip' | 'timestamped';
export const RETAINED_MODES: readonly RetainedMode[] = ['process', 'skip', 'timestamped'];

/** What happens to SenML units (`u`, `bu`): a `unit` tag, or nothing. */
export type SenmlUnits = 'tag' | 'drop';

export type RejectionCode =
  | ReasonCode
  | 'EMPTY_PAYLOAD'
  | 'BAD_ENCODING'
  | 'BAD_PAYLOAD'
  | 'PARSE_ERROR'
  | 'UNKNOWN_FORMAT'
  | 'NOT_AN_OBJECT'
  | 'TOPIC_MISMATCH'
  | 'TIMESTAMP_OUT_OF_RANGE'
  | 'UNSAFE_KEY'
  | 'DUPLICATE_KEY'
  | 'TOO_DEEP'
  | 'TOO_MANY_FIELDS'
  | 'SENML_BAD_RECORD'
  | 'SENML_NO_VALUE'
  | 'SENML_MUST_UNDERSTAND'
  | 'SENML_VERSION'
  | 'RETAINED_NO_TIMESTAMP'
  | 'INTERNAL_ERROR'
  // Sparkplug B (sparkplug/)
  | 'UNKNOWN_ALIAS'
  | 'SEQ_GAP'
  | 'STATE_FULL'
  | 'STALE_DEATH'
  | 'NULL_VALUE'
  | 'UNSUPPORTED_TYPE'
  | 'PRECISION_LOSS';

/**
 * One refused part of a message. `scope` says how much was refused: the whole message, one
 * item of it (a JSON array element, a line, a SenML record) or one field of an otherwise
 * accepted reading.
 */
export interface Rejection {
  code: RejectionCode;
  message: string;
  scope: 'message' | 'item' | 'field';
  /** 0-based position of the item (array element, SenML record, line) when the payload held several. */
  index?: number;
  /** The refused field or tag name, for scope `field`. */
  field?: string;
}

export interface IngestResult {
  readings: Reading[];
  rejections: Rejection[];
  /**
   * True when the payload was a container (JSON array, SenML pack, several lines of line
   * protocol): the node then sends `Reading[]` even when only one reading was accepted.
   */
  multiple: boolean;
  /** The format the payload was read as (the detected one for `auto`), undefined when unreadable. */
  format: Exclude<IngestFormat, 'auto'> | undefined;
  /** True when a retained message was ignored whole (`retained: skip`): nothing to send. */
  skipped?: true;
}

/** Parsed, validated node configuration that the parsers use (see config.ts). */
export interface IngestOptions {
  format: IngestFormat;
  template: TopicTemplate | undefined;
  /** Default measurement (`measurement` config, `telemetry` unless set). */
  measurement: string;
  /** Payload keys (flattened names) that become tags; `deviceId` is stored as `device`. */
  tagKeys: ReadonlySet<string>;
  /** The payload key holding the event time; undefined = the first of `ts`, `timestamp`, `time`. */
  timestampKey: string | undefined;
  /** Readings further than this in the future (ms) are refused; undefined = no bound. */
  maxFutureMs: number | undefined;
  /** Readings further than this in the past (ms) are refused; undefined = no bound. */
  maxPastMs: number | undefined;
  senmlUnits: SenmlUnits;
  /** Retained MQTT messages: see RetainedMode. */
  retained: RetainedMode;
}

/** Names that can never be a tag or field: copying them onto ordinary objects downstream would pollute prototypes. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
