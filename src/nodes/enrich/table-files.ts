/**
 * The file tables of one enrich node: opened while the rules compile, loaded once at start,
 * then polled on a timer (a stat per file per interval; the file is read only when it changed).
 * Reloads run on the timer, never on the message path.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { FileTable, RefreshOutcome, TableFileAccess } from '../../core/enrich/file-table';
import { TableFormat, TableOptions } from '../../core/enrich/table';

export const nodeFileAccess: TableFileAccess = {
  async stat(file) {
    const stats = await fs.stat(file);
    if (!stats.isFile()) throw new Error('not a regular file');
    return { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
  },
  read: (file) => fs.readFile(file, 'utf8'),
};

export interface TableFileEvents {
  /** Called once per refresh that changed something: a new table, or a new problem. */
  changed(table: FileTable, outcome: Exclude<RefreshOutcome, { kind: 'unchanged' }>): void;
}

export class TableFiles {
  private readonly tables = new Map<string, FileTable>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    /** Relative paths are resolved against this (the Node-RED user directory). */
    private readonly baseDir: string,
    private readonly events: TableFileEvents,
    private readonly access: TableFileAccess = nodeFileAccess,
  ) {}

  /** One FileTable per file and key/target: two rules reading the same table share it. */
  open(file: string, format: TableFormat, options: TableOptions): FileTable {
    const resolved = path.resolve(this.baseDir, file);
    const id = JSON.stringify([resolved, options.key, options.as]);
    let table = this.tables.get(id);
    if (!table) {
      table = new FileTable(resolved, format, options, this.access);
      this.tables.set(id, table);
    }
    return table;
  }

  get size(): number {
    return this.tables.size;
  }

  /** The first table whose file is currently broken or missing (the last good table is in use). */
  firstProblem(): FileTable | undefined {
    for (const table of this.tables.values()) if (table.error) return table;
    return undefined;
  }

  /** Loads every table now; `force` re-reads files even when they look unchanged. */
  async refreshAll(force = false): Promise<void> {
    await Promise.all(
      [...this.tables.values()].map(async (table) => {
        let outcome: RefreshOutcome;
        try {
          outcome = await table.refresh(force);
        } catch (err) {
          // Not a parse error (those are outcomes): still report it rather than stop polling.
          outcome = { kind: 'failed', message: `${table.path}: ${(err as Error).message}`, kept: table.current()?.size };
        }
        if (outcome.kind !== 'unchanged' && !this.closed) this.events.changed(table, outcome);
      }),
    );
  }

  /** Loads every table, then polls every `intervalMs` (0: never; `msg.control = "reload"` still works). */
  async start(intervalMs: number): Promise<void> {
    await this.refreshAll();
    if (intervalMs > 0 && this.tables.size > 0) this.schedule(intervalMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(intervalMs: number): void {
    if (this.closed) return;
    // A chain of timeouts rather than an interval: a slow read never overlaps the next poll.
    this.timer = setTimeout(() => {
      this.refreshAll().finally(() => this.schedule(intervalMs));
    }, intervalMs);
  }
}
