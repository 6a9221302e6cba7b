/**
 * A lookup table backed by a file that may change while the flow runs.
 *
 * The shell calls `refresh()` on a timer (and on `msg.control = "reload"`); this class decides
 * whether the file changed (size, mtime and inode: fs.watch misses changes on network and
 * container filesystems, a stat does not), reads and parses it, and keeps the last good table
 * when the new content is broken. A failure is returned once per file version, so the shell can
 * log it once instead of on every poll. File access is injected: the tests use a fake filesystem.
 */
import { LookupTable, TableError, TableFormat, TableOptions, parseTableText } from './table';

export interface FileVersion {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface TableFileAccess {
  stat(path: string): Promise<FileVersion>;
  read(path: string): Promise<string>;
}

export type RefreshOutcome =
  | { kind: 'unchanged' }
  | { kind: 'loaded'; rows: number; duplicates: number }
  /** `kept` is the size of the last good table still in use (undefined: none). */
  | { kind: 'failed'; message: string; kept: number | undefined };

/** Tables above this size are refused: a lookup table that big is a misconfigured path. */
export const MAX_TABLE_BYTES = 64 * 1024 * 1024;

const MISSING: FileVersion = { size: -1, mtimeMs: -1, ino: -1 };

function sameVersion(a: FileVersion | undefined, b: FileVersion): boolean {
  return a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

export class FileTable {
  private table: LookupTable | undefined;
  private version: FileVersion | undefined;
  private problem: string | undefined;
  private inFlight: Promise<RefreshOutcome> | undefined;

  constructor(
    readonly path: string,
    private readonly format: TableFormat,
    private readonly options: TableOptions,
    private readonly files: TableFileAccess,
    private readonly maxBytes = MAX_TABLE_BYTES,
  ) {}

  /** The table readings are looked up in: the last one that loaded, even if the file broke since. */
  current(): LookupTable | undefined {
    return this.table;
  }

  /** Why the file's current content is not in use, while that is so. */
  get error(): string | undefined {
    return this.problem;
  }

  /** Loads the file if it changed since the last attempt (or always, with `force`). */
  refresh(force = false): Promise<RefreshOutcome> {
    // Overlapping refreshes (a slow read and the next poll) would parse the same file twice.
    this.inFlight ??= this.load(force).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(force: boolean): Promise<RefreshOutcome> {
    let before: FileVersion;
    try {
      before = await this.files.stat(this.path);
    } catch (err) {
      if (!force && sameVersion(this.version, MISSING)) return { kind: 'unchanged' };
      this.version = MISSING;
      return this.fail(`cannot read ${this.path}: ${describeIoError(err)}`);
    }
    if (!force && sameVersion(this.version, before)) return { kind: 'unchanged' };
    if (before.size === 0) {
      // Often a file being rewritten in place (truncated, then written): keep the last table.
      this.version = before;
      return this.fail(`${this.path} is empty`);
    }
    if (before.size > this.maxBytes) {
      this.version = before;
      return this.fail(`${this.path} is ${before.size} bytes, more than the ${this.maxBytes} a lookup table may have`);
    }

    let text: string;
    try {
      text = await this.files.read(this.path);
      const after = await this.files.stat(this.path);
      // Still being written: try again at the next poll rather than report a half file as broken.
      if (!sameVersion(after, before)) return { kind: 'unchanged' };
    } catch (err) {
      this.version = before;
      return this.fail(`cannot read ${this.path}: ${describeIoError(err)}`);
    }
    this.version = before;
    try {
      const table = parseTableText(text, this.format, this.options);
      this.table = table;
      this.problem = undefined;
      return { kind: 'loaded', rows: table.size, duplicates: table.duplicates };
    } catch (err) {
      if (!(err instanceof TableError)) throw err;
      return this.fail(`${this.path}: ${err.message}`);
    }
  }

  private fail(message: string): RefreshOutcome {
    this.problem = message;
    return { kind: 'failed', message, kept: this.table?.size };
  }
}

function describeIoError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}
