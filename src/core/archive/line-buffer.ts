/**
 * A batch body under construction: line protocol bytes in one growing Buffer, plus where each
 * line starts (to bisect or split it later).
 *
 * Why bytes and not an array of line strings: every point the archive writes passes here, and on
 * a small box the client's CPU is taken from InfluxDB's. Line strings that wait in a batch for a
 * write slot survive young-generation GC and get promoted, and the write then has to join and
 * UTF-8-encode them; profiled, that was over a third of the archive's CPU
 * (bench/archive.bench.js). A Buffer is off the JS heap and is the request body as it is.
 *
 * Readings of the common shape (plain objects; names from a charset that needs no escaping;
 * number and boolean fields) are validated and encoded straight into the buffer in one pass.
 * Anything else goes through the shared validateReading + encodeValidReading. The fast path
 * never accepts what the validator refuses and writes the same bytes as the encoder:
 * test/core/archive-line-buffer.test.js checks both on generated readings.
 */

import { encodeTypedReading, encodeValidReading } from '../line-protocol';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, Reading, Refusal, validateReading } from '../reading';
import { type FieldTypeRefusal, type FieldTypes, checkFieldTypes } from './field-types';
import type { LimitRefusal } from './schema-limits';

/** Why the archive refuses a reading before it is batched. */
export type ArchiveRefusal = Refusal | FieldTypeRefusal | LimitRefusal;

/** Checks beyond validateReading: `fieldTypes`, and InfluxDB 3's schema limits. */
export interface ReadingChecks {
  fieldTypes?: FieldTypes | undefined;
  /** Called with each valid reading that fits its field types; learns it when it returns undefined. */
  admit?: ((reading: Reading) => LimitRefusal | undefined) | undefined;
}

/** Bytes allowed in a plain name: A-Z a-z 0-9 _ . : / @ + - (no escapes, no `#`, ASCII only). */
const PLAIN = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/@+-') PLAIN[ch.charCodeAt(0)] = 1;
const MAX_PLAIN_NAME = 256;

const COMMA = 0x2c;
const EQUALS = 0x3d;
const SPACE = 0x20;
const NEWLINE = 0x0a;

function hasTypedField(value: unknown, types: FieldTypes): boolean {
  const fields = plainObject(value) ? value.fields : undefined;
  if (!plainObject(fields)) return false;
  for (const key of Object.keys(fields)) if (types.has(key)) return true;
  return false;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

export class LineBuffer {
  private buf: Buffer;
  private used = 0;
  private readonly starts: number[] = [];

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Lines in the buffer. */
  get count(): number {
    return this.starts.length;
  }

  /** Bytes of the body so far (lines and the newlines between them). */
  get bytes(): number {
    return this.used;
  }

  /** The body: the lines joined by `\n` (a view, valid until the next append). */
  body(): Buffer {
    return this.buf.subarray(0, this.used);
  }

  line(index: number): string {
    const end = index + 1 < this.starts.length ? (this.starts[index + 1] as number) - 1 : this.used;
    return this.buf.toString('utf8', this.starts[index], end);
  }

  lines(): string[] {
    return this.starts.map((_, i) => this.line(i));
  }

  /** Appends a line of line protocol (already encoded). */
  appendLine(line: string): void {
    const start = this.beginLine(line.length * 3);
    this.used += this.buf.write(line, start, 'utf8');
  }

  /** Validates and appends a reading; returns the validator's refusal instead when it is not valid. */
  appendReading(value: unknown, checks?: ReadingChecks): ArchiveRefusal | undefined {
    const types = checks?.fieldTypes;
    if (!(types && types.size > 0 && hasTypedField(value, types)) && this.appendPlain(value)) {
      const refusal = checks?.admit?.(value as Reading);
      if (refusal) this.dropLastLine();
      return refusal;
    }
    const problem = validateReading(value);
    if (problem) return problem;
    const reading = value as Reading;
    const texts = types && types.size > 0 ? checkFieldTypes(reading, types) : undefined;
    if (texts && !(texts instanceof Map)) return texts;
    const refusal = checks?.admit?.(reading);
    if (refusal) return refusal;
    this.appendLine(texts ? encodeTypedReading(reading, texts) : encodeValidReading(reading));
    return undefined;
  }

  /** Forgets the line just appended. */
  private dropLastLine(): void {
    const start = this.starts.pop() as number;
    // The newline before it belongs to it too.
    this.used = this.starts.length > 0 ? start - 1 : 0;
  }

  /** The fast path: true when the reading was plain and is now appended; else nothing changed. */
  private appendPlain(value: unknown): boolean {
    if (!plainObject(value)) return false;
    const { measurement, tags, fields, timestamp } = value;
    if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp < MIN_TIMESTAMP_MS || timestamp > MAX_TIMESTAMP_MS) return false;
    if (!plainObject(fields)) return false;
    if (tags !== undefined && !plainObject(tags)) return false;
    const usedBefore = this.used;
    this.beginLine(0);
    if (this.encodePlain(measurement, tags, fields, timestamp)) return true;
    // Not plain after all: forget the partial line.
    this.used = usedBefore;
    this.starts.pop();
    return false;
  }

  private encodePlain(measurement: unknown, tags: Record<string, unknown> | undefined, fields: Record<string, unknown>, timestamp: number): boolean {
    if (!this.name(measurement)) return false;
    if (tags !== undefined) {
      const keys = Object.keys(tags);
      if (keys.length > 1) keys.sort();
      for (const key of keys) {
        if (key === 'time') return false;
        this.byte(COMMA);
        if (!this.name(key)) return false;
        this.byte(EQUALS);
        if (!this.name(tags[key])) return false;
      }
    }
    let separator = SPACE;
    for (const key of Object.keys(fields)) {
      if (key === 'time' || (tags !== undefined && Object.prototype.hasOwnProperty.call(tags, key))) return false;
      const field = fields[key];
      let text: string;
      if (typeof field === 'number') {
        if (!Number.isFinite(field)) return false;
        // Same text as encodeFieldValue: a float (no `i`), and influxd keeps the sign of -0.
        text = Object.is(field, -0) ? '-0' : String(field);
      } else if (typeof field === 'boolean') {
        text = field ? 'true' : 'false';
      } else {
        return false;
      }
      this.byte(separator);
      separator = COMMA;
      if (!this.name(key)) return false;
      this.byte(EQUALS);
      this.ascii(text);
    }
    if (separator === SPACE) return false;
    this.byte(SPACE);
    this.ascii(String(timestamp));
    return true;
  }

  /** Copies a plain name; false when it is not one. */
  private name(value: unknown): boolean {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PLAIN_NAME) return false;
    this.reserve(value.length);
    const buf = this.buf;
    let at = this.used;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 128 || PLAIN[code] === 0) return false;
      buf[at++] = code;
    }
    this.used = at;
    return true;
  }

  /** Copies text known to be ASCII (numbers, true/false). */
  private ascii(text: string): void {
    this.reserve(text.length);
    const buf = this.buf;
    let at = this.used;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.used = at;
  }

  private byte(code: number): void {
    this.reserve(1);
    this.buf[this.used++] = code;
  }

  /** Starts a line (newline after the previous one); returns where it starts. */
  private beginLine(expectedBytes: number): number {
    this.reserve(expectedBytes + 1);
    if (this.starts.length > 0) this.buf[this.used++] = NEWLINE;
    this.starts.push(this.used);
    return this.used;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }
}
