/**
 * What a msg.payload or an MQTT payload is, before any format is applied: text, an already
 * parsed object/array (wired input), a bare number/boolean, or something unusable.
 */
import { describe, isPlainObject } from './json';

export type DecodedPayload =
  | { kind: 'text'; text: string }
  | { kind: 'structured'; value: unknown[] | Record<string, unknown> }
  | { kind: 'scalar'; value: number | boolean }
  | { kind: 'unusable'; code: 'EMPTY_PAYLOAD' | 'BAD_ENCODING' | 'BAD_PAYLOAD'; message: string };

// fatal: a payload that is not UTF-8 (protobuf, CBOR, a typo'd encoding) is refused instead of
// silently turned into U+FFFD characters. The BOM some Windows tools write is dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes → text, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function decodePayload(payload: unknown): DecodedPayload {
  if (payload === undefined || payload === null) {
    return { kind: 'unusable', code: 'EMPTY_PAYLOAD', message: 'the message has no payload' };
  }
  if (typeof payload === 'string') return { kind: 'text', text: payload.charCodeAt(0) === 0xfeff ? payload.slice(1) : payload };
  if (payload instanceof Uint8Array) {
    const text = decodeUtf8(payload);
    return text === undefined
      ? { kind: 'unusable', code: 'BAD_ENCODING', message: `the payload (${payload.length} bytes) is not UTF-8 text` }
      : { kind: 'text', text };
  }
  if (typeof payload === 'number' || typeof payload === 'boolean') return { kind: 'scalar', value: payload };
  if (Array.isArray(payload) || isPlainObject(payload)) return { kind: 'structured', value: payload };
  return { kind: 'unusable', code: 'BAD_PAYLOAD', message: `the payload is ${describePayload(payload)}, not text, a Buffer, an object or an array` };
}

function describePayload(payload: unknown): string {
  if (typeof payload === 'object' && payload !== null) {
    const name = (payload as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
  }
  return describe(payload);
}
