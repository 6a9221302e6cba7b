/**
 * The file tables of one enrich node: opened while the rules compile, loaded once at start,
 * then refreshed by the shell on its poll timer (a stat per file per poll; a file is read only
 * when it changed) and on `msg.control = "reload"`. Reloads never run on the message path.
 */
import * as path from 'node:path';
import { FileTable, RefreshOutcome, TableFileAccess } from './file-table';
import type { TableFormat, TableOptions } from './table';

/** A refresh that changed something: a new table, or a new problem. */
export interface TableChange {
  table: FileTable;
  outcome: Exclude<RefreshOutcome, { kind: 'unchanged' }>;
}

export class TableFiles {
  private readonly tables = new Map<string, FileTable>();

  constructor(
    /** Relative paths are resolved against this (the Node-RED user directory). */
    private readonly baseDir: string,
    private readonly access: TableFileAccess,
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

  /** Refreshes every table; `force` re-reads files even when they look unchanged. */
  async refreshAll(force = false): Promise<TableChange[]> {
    const changes: TableChange[] = [];
    await Promise.all(
      [...this.tables.values()].map(async (table) => {
        let outcome: RefreshOutcome;
        try {
          outcome = await table.refresh(force);
        } catch (err) {
          // Not a parse error (those are outcomes): still report it rather than stop polling.
          outcome = { kind: 'failed', message: `${table.path}: ${(err as Error).message}`, kept: table.current()?.size };
        }
        if (outcome.kind !== 'unchanged') changes.push({ table, outcome });
      }),
    );
    return changes;
  }
}
