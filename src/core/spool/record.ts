/**
 * One spool record: a batch of line protocol for one database and retention policy.
 *
 *     #spool1 len=<body bytes> lines=<n> db=<uri-encoded> rp=<uri-encoded, empty = default> crc=<8 hex>\n
 *     <body: the lines, joined by \n>\n
 *
 * The header starts with `#`, which InfluxDB reads as a comment (and the validator refuses `#`
 * at the start of a measurement), so a segment file is itself valid line protocol: in an
 * emergency it can be posted to `/write` with curl. The CRC covers the header fields and the
 * body, so a record torn by a crash, or damaged on disk, is recognised and skipped.
 */

import { crc32 } from './crc32';

export const RECORD_MAGIC = '#spool1 ';
/** A header longer than this is corrupt (names are at most a few hundred bytes). */
export const MAX_HEADER_BYTES = 4_096;

export interface SpoolEntry {
  database: string;
  retentionPolicy: string | undefined;
  /** Line protocol, lines joined by `\n` (a string field may itself contain a newline). */
  body: string | Buffer;
  /** Number of points in the body. */
  lines: number;
}

export interface RecordHeader {
  headerBytes: number;
  bodyBytes: number;
  /** Header + body + the closing newline. */
  totalBytes: number;
  lines: number;
  database: string;
  retentionPolicy: string | undefined;
  crc: number;
  /** The CRC of the header fields, to continue over the body. */
  fieldsCrc: number;
}

const HEADER = /^#spool1 (len=(\d+) lines=(\d+) db=([^ ]*) rp=([^ ]*)) crc=([0-9a-f]{8})$/;

export function encodeRecord(entry: SpoolEntry): Buffer {
  const body = typeof entry.body === 'string' ? Buffer.from(entry.body, 'utf8') : entry.body;
  const fields = `len=${body.length} lines=${entry.lines} db=${encodeURIComponent(entry.database)} rp=${encodeURIComponent(entry.retentionPolicy ?? '')}`;
  const crc = crc32(body, crc32(Buffer.from(`${fields}\n`, 'utf8')));
  const header = Buffer.from(`${RECORD_MAGIC}${fields} crc=${crc.toString(16).padStart(8, '0')}\n`, 'utf8');
  const record = Buffer.allocUnsafe(header.length + body.length + 1);
  header.copy(record, 0);
  body.copy(record, header.length);
  record[record.length - 1] = 0x0a;
  return record;
}

export type HeaderResult = { ok: true; header: RecordHeader } | { ok: false; reason: 'incomplete' | 'corrupt' };

/** Reads the header at the start of `chunk` (which holds at least the header, or the file's end). */
export function readHeader(chunk: Buffer): HeaderResult {
  const newline = chunk.indexOf(0x0a);
  if (newline < 0) return { ok: false, reason: chunk.length < MAX_HEADER_BYTES ? 'incomplete' : 'corrupt' };
  const match = HEADER.exec(chunk.toString('utf8', 0, newline));
  if (!match) return { ok: false, reason: 'corrupt' };
  let database: string;
  let retentionPolicy: string;
  try {
    database = decodeURIComponent(match[4] as string);
    retentionPolicy = decodeURIComponent(match[5] as string);
  } catch {
    return { ok: false, reason: 'corrupt' };
  }
  const bodyBytes = Number(match[2]);
  return {
    ok: true,
    header: {
      headerBytes: newline + 1,
      bodyBytes,
      totalBytes: newline + 1 + bodyBytes + 1,
      lines: Number(match[3]),
      database,
      retentionPolicy: retentionPolicy === '' ? undefined : retentionPolicy,
      crc: parseInt(match[6] as string, 16),
      fieldsCrc: crc32(Buffer.from(`${match[1] as string}\n`, 'utf8')),
    },
  };
}

/** True when `tail` (the body plus its closing newline) belongs to `header`. */
export function bodyIsIntact(header: RecordHeader, tail: Buffer): boolean {
  if (tail.length !== header.bodyBytes + 1 || tail[header.bodyBytes] !== 0x0a) return false;
  return crc32(tail.subarray(0, header.bodyBytes), header.fieldsCrc) === header.crc;
}
