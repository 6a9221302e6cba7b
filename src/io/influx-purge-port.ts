import type { Clock } from '../core/clock';
import type { QueryResult } from '../core/purge/influx-results';
import type { PurgeIo } from '../core/purge/runner';
import type { InfluxServer } from './influx-server';
import { InfluxV2Purge } from './influx-v2-purge';

/**
 * The purge runner's I/O on one InfluxDB server: InfluxQL (each version's `/query`), the version
 * header, the clock, and for a 2.x config the native delete, write and bucket calls. What each
 * version does with them is the core's plan (core/purge/version-plan.ts).
 */
export function influxPurgePort(server: InfluxServer, clock: Clock): PurgeIo {
  const io: PurgeIo = {
    apiVersion: server.version,
    query: async (statement, database) => (await server.query(statement, database)) as QueryResult[],
    serverVersion: async () => {
      const header = (await server.http.ping()).headers['x-influxdb-version'];
      return Array.isArray(header) ? header[0] : header;
    },
    now: () => clock.now(),
  };
  if (server.version === 1) return io;
  // 2.x/3.x: the plan does not depend on the header (only the report shows it), and 3 Core may
  // want a token for /ping.
  const ping = io.serverVersion;
  io.serverVersion = () => ping().catch(() => undefined);
  if (server.version !== 2) return io;
  const v2 = new InfluxV2Purge(server);
  return {
    ...io,
    deletePoints: (request) => v2.deletePoints(request),
    writeLines: (lines) => v2.writeLines(lines),
    bucketRetention: () => v2.bucketRetention(),
    setBucketRetention: (everySeconds) => v2.setBucketRetention(everySeconds),
  };
}
