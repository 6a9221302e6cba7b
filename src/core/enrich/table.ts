/**
 * Lookup tables for the `lookup` rule: built once (at deploy or when a file changes), then read
 * with one Map lookup per reading. Values are converted for their target when the table is built
 * (tags: text; fields: numbers, booleans and strings), so applying a row only copies values.
 *
 * Accepted shapes:
 * - an object keyed by the lookup key: `{ "dev-1": { "site": "plant-a", "floor": 2 } }`;
 * - an array of row objects: the key is the property named like the rule's `key`, else the first
 *   property of the first row;
 * - CSV text with a header line: the key is the column named like the rule's `key`, else the first
 *   column. With `as: "fields"`, cells that read as numbers become numbers and `true`/`false`
 *   become booleans; with `as: "tags"` every cell stays text. Empty cells add nothing.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { FieldValue } from '../reading';
import { Target, coerceForTarget, nameProblem } from './values';

/** One row: its column names (shared by every row of a CSV file) and the values to write. */
export interface Row {
  readonly columns: readonly string[];
  /** `undefined` where the cell was empty or null: that column is not written. */
  readonly values: readonly (FieldValue | undefined)[];
}

export class LookupTable {
  constructor(
    private readonly rows: ReadonlyMap<string, Row>,
    /** Keys that appeared more than once (the last row won). */
    readonly duplicates: number,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }
}

export class TableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableError';
  }
}

export interface TableOptions {
  /** The tag whose value selects the row. */
  key: string;
  as: Target;
}

export type TableFormat = 'csv' | 'json';

export function tableFormatOf(path: string): TableFormat | undefined {
  const match = /\.(csv|json)$/i.exec(path);
  return match ? ((match[1] as string).toLowerCase() as TableFormat) : undefined;
}

export function parseTableText(text: string, format: TableFormat, options: TableOptions): LookupTable {
  if (format === 'csv') return tableFromCsv(text, options);
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new TableError(`invalid JSON: ${(err as Error).message}`);
  }
  return tableFromData(data, options);
}

/** Checks column names once per distinct name (a 100k-row table repeats the same few). */
class ColumnChecker {
  private readonly seen = new Set<string>();

  check(name: string, where: string): void {
    if (this.seen.has(name)) return;
    const problem = nameProblem(name);
    if (problem) throw new TableError(`${where}: column ${JSON.stringify(name)}: ${problem}`);
    this.seen.add(name);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function cellValue(as: Target, value: unknown, where: string): FieldValue | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const coerced = coerceForTarget(as, value);
  if (!coerced.ok) throw new TableError(`${where}: ${coerced.reason}`);
  return coerced.value;
}

function rowFromObject(object: Record<string, unknown>, skip: string | undefined, as: Target, columnsChecker: ColumnChecker, where: string): Row {
  const columns: string[] = [];
  const values: (FieldValue | undefined)[] = [];
  for (const [column, raw] of Object.entries(object)) {
    if (column === skip) continue;
    columnsChecker.check(column, where);
    columns.push(column);
    values.push(cellValue(as, raw, `${where}, column "${column}"`));
  }
  return { columns, values };
}

/** Builds a table from parsed JSON or an inline `table` (object keyed by key, or array of rows). */
export function tableFromData(data: unknown, options: TableOptions): LookupTable {
  const rows = new Map<string, Row>();
  const checker = new ColumnChecker();
  let duplicates = 0;
  const add = (key: string, row: Row): void => {
    if (rows.has(key)) duplicates++;
    rows.set(key, row);
  };

  if (Array.isArray(data)) {
    const first: unknown = data[0];
    const keyColumn = isPlainObject(first) && !(options.key in first) ? Object.keys(first)[0] : options.key;
    data.forEach((item: unknown, index) => {
      const where = `row ${index + 1}`;
      if (!isPlainObject(item)) throw new TableError(`${where} must be an object of columns`);
      const keyValue = keyColumn === undefined ? undefined : item[keyColumn];
      if (typeof keyValue !== 'string' && typeof keyValue !== 'number' && typeof keyValue !== 'boolean') {
        throw new TableError(`${where} has no "${keyColumn ?? options.key}" value to look up by`);
      }
      add(String(keyValue), rowFromObject(item, keyColumn, options.as, checker, where));
    });
  } else if (isPlainObject(data)) {
    for (const [key, item] of Object.entries(data)) {
      const where = `row ${JSON.stringify(key)}`;
      if (!isPlainObject(item)) throw new TableError(`${where} must be an object of columns`);
      add(key, rowFromObject(item, undefined, options.as, checker, where));
    }
  } else {
    throw new TableError('a table must be an object keyed by the lookup key, or an array of row objects');
  }
  return new LookupTable(rows, duplicates);
}

/** JSON-style numbers only: "007" and "1e" stay text, so identifiers are not mangled. */
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function csvCell(as: Target, text: string): FieldValue | undefined {
  if (text === '') return undefined;
  if (as === 'tags') return text;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (NUMBER.test(text)) {
    const number = Number(text);
    if (Number.isFinite(number)) return number;
  }
  return text;
}

export function tableFromCsv(text: string, options: TableOptions): LookupTable {
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new TableError(`invalid CSV: ${(err as Error).message}`);
  }
  const header = records[0];
  if (!header) throw new TableError('the CSV has no header line');
  const checker = new ColumnChecker();
  const named = header.indexOf(options.key);
  const keyIndex = named >= 0 ? named : 0;
  const columns: string[] = [];
  const indexes: number[] = [];
  header.forEach((column, index) => {
    if (index === keyIndex) return;
    checker.check(column, 'header');
    columns.push(column);
    indexes.push(index);
  });

  const rows = new Map<string, Row>();
  let duplicates = 0;
  for (let line = 1; line < records.length; line++) {
    const record = records[line] as string[];
    const key = record[keyIndex];
    if (key === undefined || key === '') {
      throw new TableError(`record ${line + 1}: the key column "${header[keyIndex]}" is empty`);
    }
    const values = new Array<FieldValue | undefined>(indexes.length);
    for (let i = 0; i < indexes.length; i++) values[i] = csvCell(options.as, record[indexes[i] as number] ?? '');
    if (rows.has(key)) duplicates++;
    rows.set(key, { columns, values });
  }
  return new LookupTable(rows, duplicates);
}
