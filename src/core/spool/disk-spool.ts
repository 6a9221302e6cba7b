/**
 * The durable spool: append-only segment files of framed line protocol (record.ts) in one
 * directory, plus `index.json`, the read position (first record not yet written to InfluxDB).
 *
 * - Every append is one write + fdatasync: when `append` returns, the batch survives a crash.
 * - Records are read back oldest first; a segment is deleted once all of it was written.
 * - The index is replaced atomically after each acknowledgement. A stale or lost index only
 *   means some records are written again, which InfluxDB absorbs (same series + timestamp
 *   overwrites), so it is not fsynced.
 * - On open, segments are walked header by header. A torn last record (crash mid-append) is cut
 *   off; a damaged record elsewhere is skipped; both are reported, neither stops the node.
 * - A failing disk (ENOSPC: full; EIO) never damages what is spooled: a failed append is cut
 *   back off and reported to the caller (SpoolWriteError); a failed index save is reported once
 *   and only means some records are written again after a restart.
 * - The files never exceed `maxBytes`. When a new record does not fit: `drop-oldest` deletes the
 *   oldest segments (counting the points lost), `reject-new` refuses the record.
 *
 * Memory: per segment a few numbers; one record (≤ one batch) is held while it is replayed.
 */

import { MAX_HEADER_BYTES, RECORD_MAGIC, SpoolEntry, bodyIsIntact, encodeRecord, readHeader } from './record';
import { AppendResult, OnSpoolFull, Spool, SpoolFs, SpoolProblem, SpoolStats, SpoolWriteError, SpooledRecord } from './types';

export interface DiskSpoolOptions {
  maxBytes: number;
  onFull: OnSpoolFull;
  /** Target segment size; default maxBytes/16 within [64 KiB, 16 MiB]. */
  segmentBytes?: number;
  /** fdatasync every append (default true; false only for benchmarks and tests). */
  sync?: boolean;
}

interface Segment {
  seq: number;
  name: string;
  bytes: number;
  records: number;
  points: number;
  /** Damaged regions found on open: start offset → offset of the next readable record. */
  holes?: Map<number, number>;
}

interface SpooledAt extends SpooledRecord {
  seq: number;
  offset: number;
  totalBytes: number;
}

export interface OpenSummary {
  records: number;
  points: number;
  bytes: number;
  problems: SpoolProblem[];
}

const INDEX = 'index.json';
/**
 * How many records may be handed out beyond the read position: bounds what waits in memory
 * when the oldest record is slow (a long bisect) while later ones are written.
 */
export const MAX_OUTSTANDING = 64;
const NO_BODY = Buffer.alloc(0);
const SEGMENT = /^(\d{12})\.lp$/;
const MAGIC = Buffer.from(`\n${RECORD_MAGIC}`, 'utf8');

export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.lp`;
}

export class DiskSpool implements Spool {
  readonly durable = true;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly sync: boolean;
  private segments: Segment[] = [];
  /** Segment appends go to; always the last of `segments` when set. */
  private active: Segment | undefined;
  private nextSeq = 1;
  /** Read position inside segments[0], and what lies before it. */
  private head = { offset: 0, records: 0, points: 0 };
  /** Records handed out (peek/next) that the read position has not passed yet, by id. */
  private readonly outstanding = new Map<string, SpooledAt>();
  /** Of those, the ones acknowledged (out of order: waiting for the records before them). */
  private readonly acked = new Set<string>();
  private full = false;
  private problems: SpoolProblem[] = [];
  private opened = false;
  /** The last index save failed (reported once until one succeeds). */
  private indexFailing = false;

  constructor(private readonly fs: SpoolFs, private readonly options: DiskSpoolOptions) {
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(options.maxBytes / 16)));
    this.sync = options.sync ?? true;
  }

  /** Finds what a previous run left, repairs a torn tail, positions the reader. Call once. */
  open(): OpenSummary {
    if (this.opened) throw new Error('DiskSpool: already open');
    this.opened = true;
    this.fs.ensureDir();
    const names = this.fs.list();
    for (const name of names) if (name.endsWith('.tmp')) this.fs.remove(name);
    const seqs = names
      .map((name) => SEGMENT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const index = this.readIndex();

    for (const seq of seqs) {
      if (index && seq < index.seq) {
        // Fully written before the last run ended; its deletion did not happen yet.
        this.fs.remove(segmentName(seq));
        continue;
      }
      const segment = this.scan(seq);
      if (segment.bytes === 0) {
        this.fs.remove(segment.name);
        continue;
      }
      this.segments.push(segment);
    }
    this.nextSeq = Math.max(seqs[seqs.length - 1] ?? 0, index?.seq ?? 0) + 1;
    const first = this.segments[0];
    if (first && index && first.seq === index.seq) this.head = this.positionAt(first, index.offset);
    this.saveIndex();
    const stats = this.stats();
    return { records: stats.records, points: stats.points, bytes: stats.bytes, problems: this.takeProblems() };
  }

  append(entry: SpoolEntry): AppendResult {
    const record = encodeRecord(entry);
    if (record.length > this.maxBytes) {
      return { ok: false, reason: 'too-large', message: `a batch of ${record.length} bytes is larger than the whole spool (${this.maxBytes} bytes)` };
    }
    const dropped = { records: 0, points: 0 };
    if (this.totalBytes() + record.length > this.maxBytes) {
      if (this.options.onFull === 'reject-new') {
        this.full = true;
        return { ok: false, reason: 'full', message: `the spool is full (${this.maxBytes} bytes)` };
      }
      this.dropOldest(record.length, dropped);
    }
    let segment = this.active;
    const created = !segment || (segment.bytes > 0 && segment.bytes + record.length > this.segmentBytes);
    if (created) segment = this.startSegment();
    const target = segment as Segment;
    const before = target.bytes;
    try {
      this.fs.append(target.name, record, this.sync);
      if (created) this.fs.syncDir();
    } catch (err) {
      try {
        this.fs.truncate(target.name, before);
      } catch {
        // the next open cuts the partial record off as a torn tail
      }
      throw new SpoolWriteError(`cannot write to the spool: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    target.bytes += record.length;
    target.records += 1;
    target.points += entry.lines;
    this.full = false;
    return { ok: true, dropped };
  }

  peek(): SpooledRecord | undefined {
    this.advance();
    for (;;) {
      const segment = this.segments[0];
      if (!segment || this.head.offset >= segment.bytes) return undefined;
      const read = this.recordAt(segment, this.head.offset, true);
      if (read.record) return read.record;
      this.head.offset = read.skipTo;
      this.head.records += read.records;
      this.head.points += read.points;
      this.advance();
    }
  }

  next(record: SpooledRecord): SpooledRecord | undefined {
    const at = this.outstanding.get(record.id);
    if (!at) return undefined;
    if (this.outstanding.size >= MAX_OUTSTANDING) return undefined;
    let index = this.segments.findIndex((s) => s.seq === at.seq);
    let offset = at.offset + at.totalBytes;
    for (;;) {
      const segment = this.segments[index];
      if (!segment) return undefined;
      if (offset >= segment.bytes) {
        if (segment === this.active) return undefined;
        index += 1;
        offset = 0;
        continue;
      }
      // Damage found here is reported when the read position reaches it.
      const read = this.recordAt(segment, offset, false);
      if (!read.record) {
        offset = read.skipTo;
        continue;
      }
      if (!this.acked.has(read.record.id)) return read.record;
      offset += read.record.totalBytes;
    }
  }

  ack(record: SpooledRecord): void {
    const held = this.outstanding.get(record.id);
    if (!held) return;
    // Only its place is needed from now on: let the body go.
    this.outstanding.set(record.id, { ...held, body: NO_BODY });
    this.acked.add(record.id);
    this.advance();
    this.full = false;
  }

  stats(): SpoolStats {
    let records = 0;
    let points = 0;
    for (const s of this.segments) {
      records += s.records;
      points += s.points;
    }
    const bytes = this.totalBytes();
    const readBytes = this.segments.length > 0 ? this.head.offset : 0;
    return {
      bytes,
      pendingBytes: bytes - readBytes,
      records: records - (this.segments.length > 0 ? this.head.records : 0),
      points: points - (this.segments.length > 0 ? this.head.points : 0),
      maxBytes: this.maxBytes,
      full: this.full,
    };
  }

  takeProblems(): SpoolProblem[] {
    const problems = this.problems;
    this.problems = [];
    return problems;
  }

  close(): void {
    this.outstanding.clear();
    this.acked.clear();
  }

  // -------------------------------------------------------------------------------------------

  private totalBytes(): number {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    return bytes;
  }

  private startSegment(): Segment {
    const segment: Segment = { seq: this.nextSeq++, name: '', bytes: 0, records: 0, points: 0 };
    segment.name = segmentName(segment.seq);
    this.segments.push(segment);
    this.active = segment;
    return segment;
  }

  private removeHead(): void {
    const segment = this.segments.shift();
    if (!segment) return;
    if (segment === this.active) this.active = undefined;
    this.fs.remove(segment.name);
    this.head = { offset: 0, records: 0, points: 0 };
    for (const [id, record] of this.outstanding) {
      if (record.seq !== segment.seq) continue;
      this.outstanding.delete(id);
      this.acked.delete(id);
    }
  }

  /** Moves the read position past acknowledged records and written segments; saves the index. */
  private advance(): void {
    let moved = false;
    for (;;) {
      const segment = this.segments[0];
      if (!segment) break;
      if (this.head.offset >= segment.bytes) {
        if (segment === this.active && segment.bytes === 0) break;
        // A segment read to its end is written: delete it (the active one too, so that the
        // next append starts a new, empty segment).
        this.removeHead();
        moved = true;
        continue;
      }
      const hole = segment.holes?.get(this.head.offset);
      if (hole !== undefined) {
        this.head.offset = hole;
        continue;
      }
      const id = `${segment.seq}:${this.head.offset}`;
      const record = this.outstanding.get(id);
      if (!record || !this.acked.has(id)) break;
      this.outstanding.delete(id);
      this.acked.delete(id);
      this.head.offset += record.totalBytes;
      this.head.records += 1;
      this.head.points += record.lines;
      moved = true;
    }
    if (moved) this.saveIndex();
  }

  private dropOldest(needed: number, dropped: { records: number; points: number }): void {
    while (this.segments.length > 0 && this.totalBytes() + needed > this.maxBytes) {
      const segment = this.segments[0] as Segment;
      dropped.records += segment.records - this.head.records;
      dropped.points += segment.points - this.head.points;
      // Records past the read position that are already written (acked, waiting for the ones
      // before them) are not a loss. Records still being replayed are counted: their write may
      // yet succeed, so the count can be high by those, never low.
      for (const [id, record] of this.outstanding) {
        if (record.seq !== segment.seq || !this.acked.has(id)) continue;
        dropped.records -= 1;
        dropped.points -= record.lines;
      }
      this.removeHead();
    }
    this.saveIndex();
  }

  /**
   * The record at `offset` (handed out: remembered until the read position passes it), or where
   * to continue after a damaged one, which is reported when `report` is set.
   */
  private recordAt(segment: Segment, offset: number, report: boolean): { record: SpooledAt; skipTo?: never } | { record?: never; skipTo: number; records: number; points: number } {
    const hole = segment.holes?.get(offset);
    if (hole !== undefined) return { skipTo: hole, records: 0, points: 0 };
    const id = `${segment.seq}:${offset}`;
    const known = this.outstanding.get(id);
    if (known) return { record: known };
    const chunk = this.fs.read(segment.name, offset, Math.min(MAX_HEADER_BYTES, segment.bytes - offset));
    const parsed = readHeader(chunk);
    if (!parsed.ok || offset + parsed.header.totalBytes > segment.bytes) {
      const next = this.findNextRecord(segment.name, offset + 1, segment.bytes) ?? segment.bytes;
      if (report) this.report('corrupt', `skipped ${next - offset} unreadable bytes in spool segment ${segment.name}`, 0, next - offset);
      return { skipTo: next, records: 0, points: 0 };
    }
    const { header } = parsed;
    const tail = this.fs.read(segment.name, offset + header.headerBytes, header.bodyBytes + 1);
    if (!bodyIsIntact(header, tail)) {
      if (report) {
        this.report('corrupt', `skipped a damaged record of ${header.lines} points in spool segment ${segment.name} (checksum mismatch)`, header.lines, header.totalBytes);
      }
      return { skipTo: offset + header.totalBytes, records: 1, points: header.lines };
    }
    const record: SpooledAt = {
      id,
      seq: segment.seq,
      offset,
      totalBytes: header.totalBytes,
      database: header.database,
      retentionPolicy: header.retentionPolicy,
      body: tail.subarray(0, header.bodyBytes),
      lines: header.lines,
    };
    this.outstanding.set(id, record);
    return { record };
  }

  /** Walks a segment's headers: counts records and points, cuts a torn tail, maps damaged regions. */
  private scan(seq: number): Segment {
    const name = segmentName(seq);
    const segment: Segment = { seq, name, bytes: this.fs.size(name), records: 0, points: 0 };
    let offset = 0;
    let last: { offset: number; header: ReturnType<typeof readHeader> } | undefined;
    while (offset < segment.bytes) {
      const parsed = readHeader(this.fs.read(name, offset, Math.min(MAX_HEADER_BYTES, segment.bytes - offset)));
      if (parsed.ok && offset + parsed.header.totalBytes <= segment.bytes) {
        segment.records += 1;
        segment.points += parsed.header.lines;
        last = { offset, header: parsed };
        offset += parsed.header.totalBytes;
        continue;
      }
      const next = this.findNextRecord(name, offset + 1, segment.bytes);
      if (next === undefined) {
        this.cut(segment, offset, 'torn');
        break;
      }
      (segment.holes ??= new Map()).set(offset, next);
      this.report('corrupt', `skipped ${next - offset} unreadable bytes in spool segment ${name}`, 0, next - offset);
      offset = next;
    }
    // A crash can leave a last record whose length is right but whose bytes never reached the disk.
    if (last && last.header.ok && last.offset + last.header.header.totalBytes === segment.bytes) {
      const { header } = last.header;
      const tail = this.fs.read(name, last.offset + header.headerBytes, header.bodyBytes + 1);
      if (!bodyIsIntact(header, tail)) {
        segment.records -= 1;
        segment.points -= header.lines;
        this.cut(segment, last.offset, 'torn');
      }
    }
    return segment;
  }

  private cut(segment: Segment, offset: number, kind: 'torn'): void {
    const lost = segment.bytes - offset;
    this.fs.truncate(segment.name, offset);
    segment.bytes = offset;
    this.report(kind, `cut off a torn record of ${lost} bytes at the end of spool segment ${segment.name} (the process stopped while writing it)`, 0, lost);
  }

  /** Offset of the next record header after `from`, or undefined. */
  private findNextRecord(name: string, from: number, end: number): number | undefined {
    const step = 64 * 1024;
    for (let pos = Math.max(0, from - 1); pos < end; pos += step - MAGIC.length) {
      const chunk = this.fs.read(name, pos, Math.min(step, end - pos));
      const at = chunk.indexOf(MAGIC);
      if (at >= 0 && pos + at + 1 >= from) return pos + at + 1;
      if (chunk.length < step) return undefined;
    }
    return undefined;
  }

  /** Read position for an index offset: after the last whole record that ends at or before it. */
  private positionAt(segment: Segment, offset: number): { offset: number; records: number; points: number } {
    const position = { offset: 0, records: 0, points: 0 };
    while (position.offset < Math.min(offset, segment.bytes)) {
      const hole = segment.holes?.get(position.offset);
      if (hole !== undefined) {
        if (hole > offset) break;
        position.offset = hole;
        continue;
      }
      const parsed = readHeader(this.fs.read(segment.name, position.offset, Math.min(MAX_HEADER_BYTES, segment.bytes - position.offset)));
      if (!parsed.ok || position.offset + parsed.header.totalBytes > offset) break;
      position.offset += parsed.header.totalBytes;
      position.records += 1;
      position.points += parsed.header.lines;
    }
    return position;
  }

  private readIndex(): { seq: number; offset: number } | undefined {
    const text = this.fs.readText(INDEX);
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as { seq?: unknown; offset?: unknown };
      if (Number.isSafeInteger(parsed.seq) && Number.isSafeInteger(parsed.offset) && (parsed.offset as number) >= 0) {
        return { seq: parsed.seq as number, offset: parsed.offset as number };
      }
    } catch {
      // reported below
    }
    this.report('index', 'the spool index was unreadable: replaying every segment from its start (InfluxDB overwrites the duplicates)', 0, 0);
    return undefined;
  }

  private saveIndex(): void {
    const first = this.segments[0];
    const position = first ? { seq: first.seq, offset: this.head.offset } : { seq: this.nextSeq, offset: 0 };
    try {
      this.fs.writeTextAtomic(INDEX, JSON.stringify({ v: 1, ...position }));
      this.indexFailing = false;
    } catch (err) {
      // Not fatal: a stale index only replays some written records again (InfluxDB overwrites them).
      if (!this.indexFailing) {
        const reason = err instanceof Error ? err.message : String(err);
        this.report('index', `could not save the spool index (${reason}): after a restart some records may be written again`, 0, 0);
      }
      this.indexFailing = true;
    }
  }

  private report(kind: SpoolProblem['kind'], message: string, points: number, bytes: number): void {
    this.problems.push({ kind, message, points, bytes });
  }
}
