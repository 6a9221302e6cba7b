/**
 * A metric's value → field values (README "Sparkplug B"):
 * - Int8/16/32, UInt8/16/32, Float, Double → number; Int64, UInt64 and DateTime (epoch ms) →
 *   number when exact, i.e. within ±(2^53 − 1): beyond that the metric is refused
 *   (PRECISION_LOSS) rather than stored rounded; Boolean → boolean; String, Text, UUID → string.
 * - Template instances are flattened: one field per member metric, named
 *   `<metric>/<member>` (nested templates likewise, at most 8 levels); template definitions
 *   (BIRTH `is_definition`) are schemas, not values, and give no field.
 * - DataSet, Bytes, File, PropertySet, PropertySetList and unknown types are refused with
 *   UNSUPPORTED_TYPE; a null metric (`is_null`) with NULL_VALUE.
 */
import type { FieldValue } from '../../reading';
import type { RejectionCode } from '../types';
import { type WireMetric, has, int64Text, int64ToNumber } from './codec';

export const DATATYPE = {
  Int8: 1, Int16: 2, Int32: 3, Int64: 4, UInt8: 5, UInt16: 6, UInt32: 7, UInt64: 8,
  Float: 9, Double: 10, Boolean: 11, String: 12, DateTime: 13, Text: 14, UUID: 15,
  DataSet: 16, Bytes: 17, File: 18, Template: 19, PropertySet: 20, PropertySetList: 21,
} as const;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DATATYPE).map(([name, id]) => [id, name]));

export function typeName(datatype: number): string {
  return TYPE_NAMES[datatype] ?? `unknown type ${datatype}`;
}

/** Template nesting followed at most this deep: a hostile payload cannot make us recurse without end. */
export const MAX_TEMPLATE_DEPTH = 8;

export interface FieldSink {
  field(name: string, value: FieldValue): void;
  refuse(name: string, code: RejectionCode, message: string): void;
}

/**
 * Emits the fields of one metric. `datatype` is the metric's own, else the one its BIRTH gave
 * (DATA may leave it out), else 0: then the value is read from whichever field is set.
 */
export function metricFields(metric: WireMetric, name: string, datatype: number, sink: FieldSink, depth = 0): void {
  if (metric.isNull) return sink.refuse(name, 'NULL_VALUE', `metric "${name}" is null (no value to store)`);
  switch (datatype) {
    case DATATYPE.Template:
      return templateFields(metric, name, sink, depth);
    case DATATYPE.DataSet:
    case DATATYPE.Bytes:
    case DATATYPE.File:
    case DATATYPE.PropertySet:
    case DATATYPE.PropertySetList:
      return sink.refuse(name, 'UNSUPPORTED_TYPE', `metric "${name}" is a ${typeName(datatype)}, which has no field form in InfluxDB (not stored)`);
  }
  const value = scalar(metric, datatype);
  if (value === undefined) {
    return sink.refuse(name, 'UNSUPPORTED_TYPE', `metric "${name}" (${typeName(datatype)}) carries no value of that type`);
  }
  if (value === PRECISION_LOSS) {
    const signed = datatype === DATATYPE.Int64 || (datatype === 0 && has(metric, 'longValue'));
    const text = metric.longValue === null ? '?' : int64Text(metric.longValue, signed);
    return sink.refuse(name, 'PRECISION_LOSS', `metric "${name}" (${typeName(datatype)}) = ${text} is beyond ±2^53 and cannot be stored exactly as a number`);
  }
  sink.field(name, value);
}

const PRECISION_LOSS = Symbol('precision loss');

function scalar(metric: WireMetric, datatype: number): FieldValue | typeof PRECISION_LOSS | undefined {
  switch (datatype) {
    case DATATYPE.Int8:
    case DATATYPE.Int16:
    case DATATYPE.Int32:
      // Sent as uint32 holding the two's complement (what Tahu's encoder writes).
      return metric.intValue === null ? undefined : metric.intValue | 0;
    case DATATYPE.UInt8:
    case DATATYPE.UInt16:
      return metric.intValue === null ? undefined : metric.intValue >>> 0;
    case DATATYPE.UInt32:
      // The specification puts it in int_value, Tahu's encoder in long_value: take either.
      if (metric.intValue !== null) return metric.intValue >>> 0;
      return long(metric, false);
    case DATATYPE.Int64:
      return long(metric, true);
    case DATATYPE.UInt64:
    case DATATYPE.DateTime:
      return long(metric, false);
    case DATATYPE.Float:
    case DATATYPE.Double:
      return metric.floatValue ?? metric.doubleValue ?? undefined;
    case DATATYPE.Boolean:
      return metric.booleanValue ?? undefined;
    case DATATYPE.String:
    case DATATYPE.Text:
    case DATATYPE.UUID:
      return metric.stringValue ?? undefined;
    default:
      // No datatype known: whichever value field is set (a 32-bit int read as signed, 64 as signed).
      if (metric.intValue !== null) return metric.intValue | 0;
      if (metric.longValue !== null) return long(metric, true);
      return metric.floatValue ?? metric.doubleValue ?? metric.booleanValue ?? metric.stringValue ?? undefined;
  }
}

function long(metric: WireMetric, signed: boolean): number | typeof PRECISION_LOSS | undefined {
  if (metric.longValue === null) return undefined;
  return int64ToNumber(metric.longValue, signed) ?? PRECISION_LOSS;
}

function templateFields(metric: WireMetric, name: string, sink: FieldSink, depth: number): void {
  const template = metric.templateValue;
  if (template === null) return sink.refuse(name, 'UNSUPPORTED_TYPE', `metric "${name}" is a Template without a value`);
  if (template.isDefinition === true) return; // a schema, not a value (README "Sparkplug B")
  if (depth >= MAX_TEMPLATE_DEPTH) {
    return sink.refuse(name, 'TOO_DEEP', `metric "${name}": templates nested deeper than ${MAX_TEMPLATE_DEPTH} levels are not flattened`);
  }
  for (const member of template.metrics ?? []) {
    const memberName = `${name}/${member.name}`;
    metricFields(member, memberName, member.datatype, sink, depth + 1);
  }
}
