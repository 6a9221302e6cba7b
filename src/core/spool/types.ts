/**
 * The spool as the archive sees it: append batches that could not be written, read back the
 * oldest, acknowledge it once InfluxDB has it. Two implementations: DiskSpool (durable, the
 * default) and MemorySpool (`spool: false`: a small bounded buffer, lost on restart).
 */

import type { SpoolEntry } from './record';

export type { SpoolEntry };

export type OnSpoolFull = 'drop-oldest' | 'reject-new';

/** A record read back from the spool; hand it to `ack` once written. */
export interface SpooledRecord {
  /** Identifies the record's place in the spool. */
  readonly id: string;
  readonly database: string;
  readonly retentionPolicy: string | undefined;
  readonly body: Buffer;
  readonly lines: number;
}

export type AppendResult =
  | { ok: true; dropped: { records: number; points: number } }
  | { ok: false; reason: 'full' | 'too-large'; message: string };

export interface SpoolStats {
  /** Bytes the spool occupies (on disk for DiskSpool). Never more than `maxBytes`. */
  bytes: number;
  /** Bytes not yet written to InfluxDB. */
  pendingBytes: number;
  /** Points not yet written to InfluxDB. */
  points: number;
  records: number;
  maxBytes: number;
  /** The last append was refused for lack of room (reject-new), and nothing was freed since. */
  full: boolean;
}

/** Something the spool found and skipped; the node reports it (never silently). */
export interface SpoolProblem {
  kind: 'torn' | 'corrupt' | 'index';
  message: string;
  /** Points lost with the damaged record, when its header could still be read. */
  points: number;
  bytes: number;
}

export interface Spool {
  readonly durable: boolean;
  /** Adds a record; throws SpoolWriteError when the storage fails. */
  append(entry: SpoolEntry): AppendResult;
  /** The oldest record not yet acknowledged (the same object until it is acked). */
  peek(): SpooledRecord | undefined;
  /**
   * The record after `record` (to write several at once), or undefined at the end or when
   * `record` was dropped meanwhile.
   */
  next(record: SpooledRecord): SpooledRecord | undefined;
  /**
   * The record was written. Records may be acknowledged in any order: the read position moves
   * past a record once it and every record before it are acknowledged. A record dropped
   * meanwhile (drop-oldest) is ignored.
   */
  ack(record: SpooledRecord): void;
  stats(): SpoolStats;
  /** Problems found since the last call (damaged records skipped, unreadable index). */
  takeProblems(): SpoolProblem[];
  close(): void;
}

export class SpoolWriteError extends Error {
  /** The system's error code (`ENOSPC` when the disk is full, `EIO`…), or `EUNKNOWN`. */
  readonly code: string;
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'SpoolWriteError';
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : 'EUNKNOWN';
  }
}

/**
 * The file operations DiskSpool needs, on names inside its own directory. Synchronous on
 * purpose: an append must be on disk before the batch is forgotten, a redeploy must find every
 * record, and sync calls cannot interleave. See src/io/spool-fs.ts for the real one and
 * test/support/memory-fs.js for the test double that can simulate crashes.
 */
export interface SpoolFs {
  /** Creates the directory (and parents) when missing. */
  ensureDir(): void;
  list(): string[];
  size(name: string): number;
  /** Up to `length` bytes from `position` (fewer at the end of the file). */
  read(name: string, position: number, length: number): Buffer;
  /** Appends `data`; with `sync`, it is on stable storage (fdatasync) when this returns. */
  append(name: string, data: Buffer, sync: boolean): void;
  truncate(name: string, length: number): void;
  remove(name: string): void;
  readText(name: string): string | undefined;
  /** Replaces the file atomically (temp file + rename). */
  writeTextAtomic(name: string, text: string): void;
  /** Makes created and removed names durable (fsync of the directory). */
  syncDir(): void;
}
