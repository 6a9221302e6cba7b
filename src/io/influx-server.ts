import type { InfluxVersion } from '../core/influxdb/connection';
import { createDatabaseStatement } from '../core/influxql/statements';
import { InfluxServerError, httpError } from './influx-errors';
import { type InfluxEndpoint, InfluxHttp, type InfluxResponse } from './influx-http';
import { InfluxV2Api } from './influx-v2';
import { InfluxV3Api } from './influx-v3';

/**
 * One InfluxDB endpoint shared by every node that uses a `telemetry-influxdb` config node:
 * writes, InfluxQL and database creation, each in the API of the configured version
 * (README "InfluxDB versions").
 */

export { InfluxServerError, httpError };

export interface StatementResult {
  statement_id?: number;
  error?: string;
  series?: Array<{ name?: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

/** Which InfluxDB API the server speaks natively (config `version`; absent = 1). */
export type { InfluxVersion };

export interface InfluxServerOptions extends InfluxEndpoint {
  /** 1 (default): /write + /query; 2: /api/v2/*, org + bucket + token; 3: /api/v3/*, database + token. */
  version?: InfluxVersion | undefined;
  /** 1.x and 3.x: the database. 2.x: the bucket's name (the same value as `bucket`). */
  database: string;
  retentionPolicy?: string | undefined;
  /** 2.x only. */
  org?: string | undefined;
  /** 2.x only. */
  bucket?: string | undefined;
  /** 2.x and 3.x: the API token (a credential). */
  token?: string | undefined;
  /** 3.x only: `no_sync=true` on writes (acknowledged before the WAL is persisted). */
  noSync?: boolean | undefined;
}

/** Where one write goes and how its body is encoded. */
export interface ServerWriteOptions {
  /** Default: the server's database (2.x: its bucket). */
  database?: string | undefined;
  /** 1.x only (2.x and 3.x have none). */
  retentionPolicy?: string | undefined;
  /** The body is gzip-compressed. */
  compressed?: boolean | undefined;
}

export class InfluxServer {
  readonly http: InfluxHttp;
  readonly version: InfluxVersion;
  /** Where writes go: the database (1.x, 3.x) or the bucket (2.x). */
  readonly database: string;
  readonly retentionPolicy: string | undefined;
  /** 2.x's own API, when version is 2. */
  readonly v2: InfluxV2Api | undefined;
  /** 3.x's own API, when version is 3. */
  readonly v3: InfluxV3Api | undefined;
  private readonly created = new Map<string, Promise<void>>();
  private readonly mapped = new Map<string, Promise<void>>();

  constructor(private readonly options: InfluxServerOptions) {
    this.version = options.version ?? 1;
    const tokenScheme = this.version === 2 ? 'Token' : this.version === 3 ? 'Bearer' : undefined;
    this.http = new InfluxHttp({ ...options, tokenScheme });
    this.database = (this.version === 2 ? options.bucket || options.database : options.database) ?? '';
    // Retention policies are a 1.x notion; 2.x/3.x writes name only the bucket/database.
    this.retentionPolicy = this.version === 1 ? options.retentionPolicy || undefined : undefined;
    this.v2 = this.version === 2 ? new InfluxV2Api(this.http, options.org ?? '') : undefined;
    this.v3 = this.version === 3 ? new InfluxV3Api(this.http) : undefined;
  }

  get url(): string {
    return this.options.url;
  }

  /**
   * Writes line protocol (ms timestamps) in this version's API and resolves with the answer,
   * whatever its status (the archive classifies it): 1.x `/write` 204; 2.x `/api/v2/write`
   * 204, errors as JSON `{code, message}`; 3.x `/api/v3/write_lp` 204, a partial write 400 with
   * JSON `{error, data: [{original_line, line_number, error_message}]}`.
   */
  write(lines: string | Buffer, options: ServerWriteOptions = {}): Promise<InfluxResponse> {
    const body = typeof lines === 'string' ? Buffer.from(lines) : lines;
    const database = options.database || this.database;
    const compressed = options.compressed === true;
    if (this.v2) return this.v2.write(body, database, compressed);
    if (this.v3) return this.v3.write(body, database, compressed, this.options.noSync === true);
    return this.http.write(body, { database, retentionPolicy: options.retentionPolicy, compressed });
  }

  /**
   * Runs InfluxQL and returns its statement results; throws InfluxServerError on an HTTP error
   * or when a statement reports an error (InfluxDB answers those with 200 and `error`).
   * `database` defaults to none on 1.x, to the server's database (2.x: bucket) on 2.x/3.x.
   * 2.x: through the v1-compatible API, after making sure a DBRP mapping exists for the
   * database (once per database, memoised).
   */
  async query(q: string, database?: string): Promise<StatementResult[]> {
    // 1.x: no database for server-wide statements (CREATE DATABASE, SHOW DATABASES); 2.x/3.x
    // always name one (the DBRP mapping, the 3.x database).
    const db = database || (this.version === 1 ? undefined : this.database);
    if (this.v2 && db) await this.ensureDbrp(db);
    const response = await this.http.query(q, db);
    if (response.status !== 200) throw httpError(response, 'query');
    const parsed = JSON.parse(response.body) as { results?: StatementResult[]; error?: string };
    if (parsed.error) throw new InfluxServerError('QUERY', parsed.error);
    const results = parsed.results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new InfluxServerError('QUERY', failed.error as string);
    return results;
  }

  /**
   * Creates the database (2.x: the bucket) when it does not exist: 1.x CREATE DATABASE
   * (idempotent), 2.x POST /api/v2/buckets after a lookup, 3.x POST /api/v3/configure/database.
   * Remembered per database, so a burst of 404s triggers one request; a failure is forgotten
   * so the next attempt asks again.
   */
  createDatabase(database: string = this.database): Promise<void> {
    return memo(this.created, database, async () => {
      if (this.v2) await this.v2.ensureBucket(database);
      else if (this.v3) await this.v3.createDatabase(database);
      else await this.query(createDatabaseStatement(database));
    });
  }

  /** The database is known to exist again (e.g. after a 404, forget the memo). */
  forgetDatabase(database: string): void {
    this.created.delete(database);
    this.mapped.delete(database);
  }

  close(): void {
    this.http.close();
  }

  /** 2.x: the DBRP mapping for `database` exists (made once per server; a failure is retried next time). */
  ensureDbrp(database: string): Promise<void> {
    const v2 = this.v2 as InfluxV2Api;
    return memo(this.mapped, database, () => v2.ensureDbrp(database));
  }
}

/** One pending `make(key)` per key; a failure is forgotten so the next call tries again. */
function memo(map: Map<string, Promise<void>>, key: string, make: () => Promise<void>): Promise<void> {
  let pending = map.get(key);
  if (!pending) {
    pending = make().catch((err: unknown) => {
      map.delete(key);
      throw err;
    });
    map.set(key, pending);
  }
  return pending;
}
