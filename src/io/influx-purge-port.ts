import type { Clock } from '../core/clock';
import type { QueryResult } from '../core/purge/influx-results';
import type { PurgeIo } from '../core/purge/runner';
import type { InfluxServer, InfluxServerOptions } from './influx-server';
import { InfluxPurgeApi } from './influx-v2-purge-api';

/**
 * The purge runner's I/O on one InfluxDB server: InfluxQL, the version header, the clock, and
 * for a 2.x/3.x config (`version`) the native calls of influx-v2-purge-api.ts.
 * `close()` releases the native client's sockets (the purge node calls it on close).
 */
export function influxPurgePort(server: InfluxServer, clock: Clock): PurgeIo & { close(): void } {
  const serverVersion = async (): Promise<string | undefined> => {
    const header = (await server.http.ping()).headers['x-influxdb-version'];
    return Array.isArray(header) ? header[0] : header;
  };
  // InfluxServer keeps its options private; the purge needs org, bucket and token from them.
  const options = (server as unknown as { options?: InfluxServerOptions }).options;
  const version = Number(options?.version ?? 1);
  if (!options || (version !== 2 && version !== 3)) {
    return {
      query: async (statement, database) => (await server.query(statement, database)) as QueryResult[],
      serverVersion,
      now: () => clock.now(),
      close: () => undefined,
    };
  }
  const api = new InfluxPurgeApi(options);
  return {
    apiVersion: version,
    query: (statement, database) => api.query(statement, database),
    // 3 Core may require a token for /ping; the plan does not depend on the header, only the report.
    serverVersion: () => serverVersion().catch(() => undefined),
    now: () => clock.now(),
    deletePoints: (request) => api.deletePoints(request),
    writeLines: (lines) => api.writeLines(lines),
    bucketRetention: () => api.bucketRetention(),
    setBucketRetention: (everySeconds) => api.setBucketRetention(everySeconds),
    close: () => api.close(),
  };
}
