import { InfluxServerError, httpError } from './influx-errors';
import { type InfluxHttp, type InfluxResponse, jsonBody, parseJson } from './influx-http';

/**
 * InfluxDB 2.x's own API (OpenAPI: https://docs.influxdata.com/influxdb/v2/api/), spoken with
 * `Authorization: Token …` (set on the InfluxHttp). Writes name the org and bucket; InfluxQL
 * goes through the v1-compatible `/query`, which finds the bucket through a DBRP mapping.
 */
export class InfluxV2Api {
  private orgIdMemo: Promise<string> | undefined;

  constructor(
    private readonly http: InfluxHttp,
    readonly org: string,
  ) {}

  /** POST /api/v2/write?org&bucket&precision=ms: 204 when written; any answer resolves. */
  write(body: Buffer, bucket: string, compressed: boolean): Promise<InfluxResponse> {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (compressed) headers['Content-Encoding'] = 'gzip';
    return this.http.send('POST', '/api/v2/write', { org: this.org, bucket, precision: 'ms' }, body, headers);
  }

  /** The org's id (GET /api/v2/orgs?org=), memoised; a failure is forgotten. */
  orgId(): Promise<string> {
    if (!this.orgIdMemo) {
      this.orgIdMemo = this.findOrgId().catch((err: unknown) => {
        this.orgIdMemo = undefined;
        throw err;
      });
    }
    return this.orgIdMemo;
  }

  private async findOrgId(): Promise<string> {
    const response = await this.http.send('GET', '/api/v2/orgs', { org: this.org });
    const orgs = response.status === 200 ? parseJson<{ orgs?: Array<{ id: string; name: string }> }>(response)?.orgs : undefined;
    const found = orgs?.find((o) => o.name === this.org);
    if (found) return found.id;
    if (response.status === 200 || response.status === 404) {
      throw new InfluxServerError('NOT_FOUND', `InfluxDB has no organization "${this.org}" that this token can see`, 404);
    }
    throw httpError(response, 'organization lookup');
  }

  /** The bucket's id, or undefined when the org has no bucket of that name. */
  async findBucket(name: string): Promise<string | undefined> {
    const orgID = await this.orgId();
    const response = await this.http.send('GET', '/api/v2/buckets', { orgID, name });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw httpError(response, 'bucket lookup');
    const buckets = parseJson<{ buckets?: Array<{ id: string; name: string }> }>(response)?.buckets ?? [];
    return buckets.find((b) => b.name === name)?.id;
  }

  /** POST /api/v2/buckets (no retention rule: keep forever); 422 "already exists" is fine. */
  async createBucket(name: string): Promise<string> {
    const orgID = await this.orgId();
    const { body, headers } = jsonBody({ orgID, name, retentionRules: [] });
    const response = await this.http.send('POST', '/api/v2/buckets', {}, body, headers);
    if (response.status === 201) {
      const id = parseJson<{ id?: string }>(response)?.id;
      if (id) return id;
    }
    const existing = response.status === 422 || response.status === 409 ? await this.findBucket(name) : undefined;
    if (existing) return existing;
    throw httpError(response, `creation of bucket "${name}"`);
  }

  /** The bucket exists afterwards (created when missing). */
  async ensureBucket(name: string): Promise<string> {
    return (await this.findBucket(name)) ?? this.createBucket(name);
  }

  /**
   * InfluxQL on `/query?db=<database>` needs a DBRP mapping: look it up (GET /api/v2/dbrps) and
   * map database → the bucket of the same name when there is none.
   */
  async ensureDbrp(database: string): Promise<void> {
    const orgID = await this.orgId();
    const response = await this.http.send('GET', '/api/v2/dbrps', { orgID, db: database });
    if (response.status !== 200) throw httpError(response, 'DBRP lookup');
    const mappings = parseJson<{ content?: unknown[] }>(response)?.content ?? [];
    if (mappings.length > 0) return;
    const bucketID = await this.ensureBucket(database);
    const { body, headers } = jsonBody({ orgID, bucketID, database, retention_policy: 'autogen', default: true });
    const created = await this.http.send('POST', '/api/v2/dbrps', {}, body, headers);
    if (created.status !== 201 && created.status !== 200) throw httpError(created, `DBRP mapping of "${database}"`);
  }

  /** GET /health: `{ status, version }` (no auth needed). */
  health(): Promise<InfluxResponse> {
    return this.http.send('GET', '/health', {});
  }
}
