/**
 * Sparkplug B payload bytes ↔ objects, through Eclipse Tahu's `sparkplug-payload` (the schema of
 * the specification, compiled with protobufjs). We decode with its compiled schema and read
 * each metric ourselves rather than calling its `decodePayload`: that one converts the whole
 * payload at once and throws on the first metric it cannot convert (a DataSet with an Int32
 * column, for one), which would cost every other metric of the message. Here a bad metric is
 * refused on its own (values.ts).
 */
import { org } from 'sparkplug-payload/lib/sparkplugPayloadProto';
import { encodePayload } from 'sparkplug-payload/lib/sparkplugbpayload';

const Payload = org.eclipse.tahu.protobuf.Payload;

/** protobufjs's 64-bit integer (the `long` package), or a plain number when Long is absent. */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}
export type Int64 = number | LongLike;

/**
 * One metric as decoded. Fields not on the wire read as the schema defaults (from the
 * prototype): `has(metric, 'alias')` tells set from unset.
 */
export interface WireMetric {
  name: string;
  alias: Int64;
  timestamp: Int64;
  datatype: number;
  isHistorical: boolean;
  isNull: boolean;
  intValue: number | null;
  longValue: Int64 | null;
  floatValue: number | null;
  doubleValue: number | null;
  booleanValue: boolean | null;
  stringValue: string | null;
  templateValue: { isDefinition?: boolean; metrics?: WireMetric[] } | null;
}

export interface WirePayload {
  timestamp: Int64;
  seq: Int64;
  metrics: WireMetric[];
}

/** Whether a protobuf field was on the wire (decoded messages keep defaults on the prototype). */
export function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

/** Bytes → payload, or the decoder's reason (truncated, wrong wire type, not protobuf at all). */
export function decodeSparkplug(bytes: Uint8Array): { ok: true; payload: WirePayload } | { ok: false; reason: string } {
  try {
    return { ok: true, payload: Payload.decode(bytes) as unknown as WirePayload };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** NCMD payload `Node Control/Rebirth = true` (the rebirth request of Sparkplug 3.0). */
export function rebirthPayload(now: number): Uint8Array {
  return encodePayload({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
}

/**
 * A 64-bit integer → a JS number when it is exact (|n| ≤ 2^53 − 1), else undefined: the caller
 * refuses it with a reason instead of storing a rounded value. `signed`: two's complement.
 */
export function int64ToNumber(value: Int64, signed: boolean): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  const low = value.low >>> 0;
  const high = signed ? value.high | 0 : value.high >>> 0;
  const n = high * 4_294_967_296 + low;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The exact decimal text of a 64-bit integer, for refusal messages. */
export function int64Text(value: Int64, signed: boolean): string {
  if (typeof value === 'number') return String(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return String(signed ? BigInt.asIntN(64, bits) : bits);
}
