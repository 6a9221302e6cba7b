import { createDatabaseStatement } from '../core/influxql/statements';
import { InfluxEndpoint, InfluxHttp, InfluxResponse, influxErrorText } from './influx-http';

/**
 * One InfluxDB endpoint shared by every node that uses a `telemetry-influxdb` config node:
 * our HTTP client for writes and InfluxQL.
 */

export class InfluxServerError extends Error {
  constructor(readonly code: 'AUTH' | 'FORBIDDEN' | 'QUERY' | 'HTTP', message: string, readonly status?: number) {
    super(message);
    this.name = 'InfluxServerError';
  }
}

export interface StatementResult {
  statement_id?: number;
  error?: string;
  series?: Array<{ name?: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
}

/** Which InfluxDB API the server speaks natively (config `version`; absent = 1). */
export type InfluxVersion = 1 | 2 | 3;

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
}

export class InfluxServer {
  readonly http: InfluxHttp;
  readonly database: string;
  readonly retentionPolicy: string | undefined;
  private readonly created = new Map<string, Promise<void>>();

  constructor(private readonly options: InfluxServerOptions) {
    this.http = new InfluxHttp(options);
    this.database = options.database;
    this.retentionPolicy = options.retentionPolicy || undefined;
  }

  get url(): string {
    return this.options.url;
  }

  /**
   * Runs InfluxQL and returns its statement results; throws InfluxServerError on an HTTP error
   * or when a statement reports an error (InfluxDB answers those with 200 and `error`).
   */
  async query(q: string, database?: string): Promise<StatementResult[]> {
    const response = await this.http.query(q, database);
    if (response.status !== 200) throw httpError(response, 'query');
    const parsed = JSON.parse(response.body) as { results?: StatementResult[]; error?: string };
    if (parsed.error) throw new InfluxServerError('QUERY', parsed.error);
    const results = parsed.results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new InfluxServerError('QUERY', failed.error as string);
    return results;
  }

  /**
   * Creates the database when it does not exist (CREATE DATABASE is idempotent in 1.x).
   * Remembered per database, so a burst of 404s triggers one request; a failure is forgotten
   * so the next attempt asks again.
   */
  createDatabase(database: string = this.database): Promise<void> {
    let pending = this.created.get(database);
    if (!pending) {
      pending = this.query(createDatabaseStatement(database)).then(
        () => undefined,
        (err: unknown) => {
          this.created.delete(database);
          throw err;
        },
      );
      this.created.set(database, pending);
    }
    return pending;
  }

  /** The database is known to exist again (e.g. after a 404, forget the memo). */
  forgetDatabase(database: string): void {
    this.created.delete(database);
  }

  close(): void {
    this.http.close();
  }
}

export function httpError(response: InfluxResponse, what: string): InfluxServerError {
  const reason = influxErrorText(response);
  if (response.status === 401) {
    return new InfluxServerError('AUTH', `InfluxDB refused the credentials (401): ${reason}`, 401);
  }
  if (response.status === 403) {
    return new InfluxServerError('FORBIDDEN', `InfluxDB does not allow this ${what} for this user (403): ${reason}`, 403);
  }
  return new InfluxServerError('HTTP', `InfluxDB ${what} failed with ${response.status}: ${reason}`, response.status);
}
