import type { DeleteRequest } from '../core/influxql/delete-predicate';
import type { BucketRetention } from '../core/purge/runner';
import { InfluxServerError, httpError } from './influx-errors';
import { jsonBody, parseJson } from './influx-http';
import type { InfluxServer } from './influx-server';

/**
 * What the purge needs from InfluxDB 2.x beyond writes and InfluxQL (influx-v2.ts), on the
 * server's own transport (Token auth, TLS, timeout). Paths and bodies from the InfluxDB OSS v2
 * OpenAPI definition (https://docs.influxdata.com/influxdb/v2/api/):
 * - `POST /api/v2/delete?org&bucket` with DeleteRequest `{start, stop, predicate}`: 204;
 * - `GET /api/v2/buckets/{bucketID}`: the Bucket with `retentionRules: [{type: "expire",
 *   everySeconds, shardGroupDurationSeconds}]` (none = keep forever);
 * - `PATCH /api/v2/buckets/{bucketID}` with PatchBucketRequest `{retentionRules: [{type:
 *   "expire", everySeconds}]}`: 200.
 */
export class InfluxV2Purge {
  constructor(private readonly server: InfluxServer) {}

  private get v2(): NonNullable<InfluxServer['v2']> {
    if (!this.server.v2) throw new InfluxServerError('HTTP', 'the influxdb config node is not set to version 2');
    return this.server.v2;
  }

  async deletePoints(request: DeleteRequest): Promise<void> {
    const { body, headers } = jsonBody(request);
    const response = await this.server.http.send('POST', '/api/v2/delete', { org: this.v2.org, bucket: this.server.database }, body, headers);
    if (response.status !== 204 && response.status !== 200) throw httpError(response, 'delete');
  }

  async writeLines(lines: string): Promise<void> {
    const response = await this.server.write(lines);
    if (response.status !== 204 && response.status !== 200) throw httpError(response, 'write');
  }

  private async bucketId(): Promise<string> {
    const id = await this.v2.findBucket(this.server.database);
    if (!id) throw new InfluxServerError('NOT_FOUND', `bucket "${this.server.database}" does not exist in org "${this.v2.org}"`, 404);
    return id;
  }

  async bucketRetention(): Promise<BucketRetention> {
    const id = await this.bucketId();
    const response = await this.server.http.send('GET', `/api/v2/buckets/${encodeURIComponent(id)}`, {});
    if (response.status !== 200) throw httpError(response, 'bucket lookup');
    const rules = parseJson<{ retentionRules?: Array<{ type?: string; everySeconds?: number }> }>(response)?.retentionRules ?? [];
    const rule = rules.find((r) => r.type === undefined || r.type === 'expire');
    return { bucket: this.server.database, everySeconds: rule?.everySeconds ?? 0 };
  }

  async setBucketRetention(everySeconds: number): Promise<void> {
    const id = await this.bucketId();
    const { body, headers } = jsonBody({ retentionRules: [{ type: 'expire', everySeconds }] });
    const response = await this.server.http.send('PATCH', `/api/v2/buckets/${encodeURIComponent(id)}`, {}, body, headers);
    if (response.status !== 200) throw httpError(response, 'bucket update');
  }
}
