import { httpError } from './influx-errors';
import { type InfluxHttp, type InfluxResponse, jsonBody, parseJson } from './influx-http';

/**
 * InfluxDB 3 Core's own API (https://docs.influxdata.com/influxdb3/core/api/v3/), spoken with
 * `Authorization: Bearer …` (set on the InfluxHttp). InfluxQL goes through the v1-compatible
 * `/query`, which 3 Core serves natively (no mapping needed).
 */
export class InfluxV3Api {
  constructor(private readonly http: InfluxHttp) {}

  /**
   * POST /api/v3/write_lp?db&precision=millisecond&accept_partial=true[&no_sync=true]:
   * 204 when written; a partial write answers 400 with per-line errors (the archive reads them).
   */
  write(body: Buffer, database: string, compressed: boolean, noSync: boolean): Promise<InfluxResponse> {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (compressed) headers['Content-Encoding'] = 'gzip';
    const query: Record<string, string> = { db: database, precision: 'millisecond', accept_partial: 'true' };
    if (noSync) query.no_sync = 'true';
    return this.http.send('POST', '/api/v3/write_lp', query, body, headers);
  }

  /** The database names (GET /api/v3/configure/database?format=json). */
  async databases(): Promise<string[]> {
    const response = await this.http.send('GET', '/api/v3/configure/database', { format: 'json' });
    if (response.status !== 200) throw httpError(response, 'database list');
    const rows = parseJson<Array<Record<string, string>>>(response) ?? [];
    return rows.map((row) => row['iox::database'] ?? Object.values(row)[0] ?? '').filter(Boolean);
  }

  /** POST /api/v3/configure/database {db}; 409 (it exists already) is success. */
  async createDatabase(database: string): Promise<void> {
    const { body, headers } = jsonBody({ db: database });
    const response = await this.http.send('POST', '/api/v3/configure/database', {}, body, headers);
    if (response.status === 200 || response.status === 201 || response.status === 204 || response.status === 409) return;
    throw httpError(response, `creation of database "${database}"`);
  }
}
