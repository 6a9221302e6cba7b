import http from 'node:http';
import https from 'node:https';
import type { DeleteRequest } from '../core/influxql/delete-predicate';
import type { QueryResult } from '../core/purge/influx-results';
import type { BucketRetention } from '../core/purge/runner';
import { InfluxTransportError } from './influx-http';
import { InfluxServerError, InfluxServerOptions, httpError } from './influx-server';

/**
 * The calls the purge makes to InfluxDB 2.x and 3.x in their own API, with `Authorization: Token`
 * (both versions accept it; https://docs.influxdata.com/influxdb/v2/api/#tag/Authentication):
 * InfluxQL through `/query` (2.x: the v1-compatible endpoint, `db` = the bucket's name through
 * its DBRP mapping; 3.x: `/query?db`), and for 2.x `/api/v2/delete`, `/api/v2/write` and the
 * bucket's retention rule (`GET /api/v2/buckets?org&name`, `PATCH /api/v2/buckets/{id}`).
 * Paths and bodies follow the InfluxDB OSS v2 OpenAPI definition (influxdata/openapi,
 * contracts/oss.yml): DeleteRequest {start, stop, predicate}; PatchBucketRequest
 * {retentionRules: [{type: "expire", everySeconds}]}.
 */
export class InfluxPurgeApi {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(private readonly options: InfluxServerOptions) {
    this.base = new URL(options.url);
    const agentOptions = { keepAlive: true, maxSockets: 2 };
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ ...agentOptions, ...options.tls }) : new http.Agent(agentOptions);
  }

  private get bucket(): string {
    return this.options.bucket || this.options.database;
  }

  private orgQuery(): Record<string, string> {
    return { org: this.options.org ?? '', bucket: this.bucket };
  }

  async query(statement: string, database: string): Promise<QueryResult[]> {
    const response = await this.request('POST', '/query', { q: statement, db: database, epoch: 'ms' });
    if (response.status !== 200) throw httpError(response, 'query');
    const parsed = JSON.parse(response.body) as { results?: QueryResult[]; error?: string };
    if (parsed.error) throw new InfluxServerError('QUERY', parsed.error);
    const failed = (parsed.results ?? []).find((r) => r.error);
    if (failed) throw new InfluxServerError('QUERY', failed.error as string);
    return parsed.results ?? [];
  }

  async deletePoints(body: DeleteRequest): Promise<void> {
    const response = await this.request('POST', '/api/v2/delete', this.orgQuery(), JSON.stringify(body), 'application/json');
    if (response.status !== 204 && response.status !== 200) throw httpError(response, 'delete');
  }

  async writeLines(lines: string): Promise<void> {
    const response = await this.request('POST', '/api/v2/write', { ...this.orgQuery(), precision: 'ms' }, lines, 'text/plain; charset=utf-8');
    if (response.status !== 204 && response.status !== 200) throw httpError(response, 'write');
  }

  private async findBucket(): Promise<{ id: string; name: string; retentionRules?: Array<{ type?: string; everySeconds?: number }> }> {
    const response = await this.request('GET', '/api/v2/buckets', { org: this.options.org ?? '', name: this.bucket });
    if (response.status !== 200) throw httpError(response, 'bucket lookup');
    const found = (JSON.parse(response.body) as { buckets?: Array<{ id: string; name: string }> }).buckets?.find((b) => b.name === this.bucket);
    if (!found) throw new InfluxServerError('HTTP', `bucket ${JSON.stringify(this.bucket)} does not exist in org ${JSON.stringify(this.options.org ?? '')}`, 404);
    return found;
  }

  async bucketRetention(): Promise<BucketRetention> {
    const bucket = await this.findBucket();
    const rule = (bucket.retentionRules ?? []).find((r) => r.type === undefined || r.type === 'expire');
    return { bucket: bucket.name, everySeconds: rule?.everySeconds ?? 0 };
  }

  async setBucketRetention(everySeconds: number): Promise<void> {
    const bucket = await this.findBucket();
    const body = JSON.stringify({ retentionRules: [{ type: 'expire', everySeconds }] });
    const response = await this.request('PATCH', `/api/v2/buckets/${encodeURIComponent(bucket.id)}`, {}, body, 'application/json');
    if (response.status !== 200) throw httpError(response, 'bucket update');
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, query: Record<string, string>, body?: string, contentType?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const url = new URL(this.base.href);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const raw = body === undefined ? undefined : Buffer.from(body);
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (this.options.token) headers.Authorization = `Token ${this.options.token}`;
    if (raw) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = raw.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new InfluxTransportError(err.message, 'ERESPONSE')));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new InfluxTransportError(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT')));
      req.on('error', (err: Error & { code?: string }) => reject(err instanceof InfluxTransportError ? err : new InfluxTransportError(err.message, err.code ?? 'ENETWORK')));
      req.end(raw);
    });
  }
}
