import type { Clock } from '../core/clock';
import type { QueryResult } from '../core/purge/influx-results';
import type { PurgeIo } from '../core/purge/runner';
import type { InfluxServer } from './influx-server';

/** The purge runner's I/O on one InfluxDB server: InfluxQL, the version header, the clock. */
export function influxPurgePort(server: InfluxServer, clock: Clock): PurgeIo {
  return {
    query: async (statement, database) => (await server.query(statement, database)) as QueryResult[],
    serverVersion: async () => {
      const header = (await server.http.ping()).headers['x-influxdb-version'];
      return Array.isArray(header) ? header[0] : header;
    },
    now: () => clock.now(),
  };
}
