/**
 * InfluxDB 3's schema limits, checked before a point is batched (README "archive"): a point
 * that would add a table or column beyond them goes to output 2 with a clear reason, instead of
 * a server refusal in the middle of a batch.
 *
 * Defaults are InfluxDB 3 Core's, constants in influxdb3_catalog/src/catalog.rs
 * (`Catalog::DEFAULT_NUM_TABLES_LIMIT = 2000`, `DEFAULT_NUM_COLUMNS_PER_TABLE_LIMIT = 500`,
 * `DEFAULT_NUM_TAG_COLUMNS_LIMIT = 250`; Core does not let the user change them). A column is a
 * tag, a field or `time` (the catalog counts `time` as a column of every table).
 * Core counts tables across all databases of the server; we only know the ones this node wrote,
 * so the check is per database, a lower bound the server still enforces.
 *
 * What we know is learned lazily from the points this node batches (a point the server later
 * refuses still counts, which errs toward refusing early). Memory bound: at most `maxNames`
 * table and column names in all (default 200,000, ~20 MB); past it the least recently used
 * database is forgotten and learned again from scratch — its checks are then lenient until it
 * is re-learned, never wrong in the strict direction.
 */

import type { Reading } from '../reading';

export interface SchemaLimits {
  tablesPerDatabase: number;
  columnsPerTable: number;
  tagsPerTable: number;
}

export const INFLUXDB3_CORE_LIMITS: SchemaLimits = { tablesPerDatabase: 2000, columnsPerTable: 500, tagsPerTable: 250 };

export interface LimitRefusal {
  code: 'LIMIT_TABLES' | 'LIMIT_COLUMNS' | 'LIMIT_TAGS';
  message: string;
}

interface Table {
  tags: Set<string>;
  fields: Set<string>;
}

export class SchemaTracker {
  /** database → table → its columns; insertion order = least recently used first. */
  private readonly databases = new Map<string, Map<string, Table>>();
  private names = 0;

  constructor(
    private readonly limits: SchemaLimits = INFLUXDB3_CORE_LIMITS,
    private readonly maxNames = 200_000,
  ) {}

  /** Names held now (tables + columns), for tests of the bound. */
  get size(): number {
    return this.names;
  }

  /**
   * Checks a valid reading against the limits and, when it fits, learns its table and columns.
   * Returns why it does not fit, or undefined.
   */
  admit(database: string, reading: Reading): LimitRefusal | undefined {
    const tables = this.touch(database);
    const table = tables.get(reading.measurement);
    const tagKeys = Object.keys(reading.tags ?? {}).filter((k) => (reading.tags[k] as string) !== '');
    const fieldKeys = Object.keys(reading.fields);
    if (!table) {
      if (tables.size >= this.limits.tablesPerDatabase) {
        return {
          code: 'LIMIT_TABLES',
          message: `table "${reading.measurement}" would be table ${tables.size + 1} of database "${database}"; InfluxDB 3 allows ${this.limits.tablesPerDatabase}`,
        };
      }
    }
    const tags = table?.tags ?? new Set<string>();
    const fields = table?.fields ?? new Set<string>();
    const newTags = tagKeys.filter((k) => !tags.has(k));
    const newFields = fieldKeys.filter((k) => !fields.has(k));
    if (tags.size + newTags.length > this.limits.tagsPerTable) {
      return {
        code: 'LIMIT_TAGS',
        message: `table "${reading.measurement}" would have ${tags.size + newTags.length} tags (new: ${newTags.join(', ')}); InfluxDB 3 allows ${this.limits.tagsPerTable}`,
      };
    }
    // + 1: the time column.
    const columns = tags.size + fields.size + newTags.length + newFields.length + 1;
    if (columns > this.limits.columnsPerTable) {
      return {
        code: 'LIMIT_COLUMNS',
        message: `table "${reading.measurement}" would have ${columns} columns with time (new: ${[...newTags, ...newFields].join(', ')}); InfluxDB 3 allows ${this.limits.columnsPerTable}`,
      };
    }
    if (!table) {
      tables.set(reading.measurement, { tags, fields });
      this.names += 1;
    }
    for (const key of newTags) tags.add(key);
    for (const key of newFields) fields.add(key);
    this.names += newTags.length + newFields.length;
    this.enforceBound(database);
    return undefined;
  }

  /** The database's tables, marked most recently used. */
  private touch(database: string): Map<string, Table> {
    let tables = this.databases.get(database);
    if (tables) this.databases.delete(database);
    else tables = new Map();
    this.databases.set(database, tables);
    return tables;
  }

  private enforceBound(current: string): void {
    for (const [database, tables] of this.databases) {
      if (this.names <= this.maxNames) return;
      // The database in use is forgotten last: when it alone exceeds the bound, start it afresh.
      if (database === current && this.databases.size > 1) continue;
      this.databases.delete(database);
      for (const table of tables.values()) this.names -= 1 + table.tags.size + table.fields.size;
    }
  }
}
