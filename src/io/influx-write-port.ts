import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Destination } from '../core/archive/batcher';
import type { WriteOutcome, WriteVerdict } from '../core/archive/classify';
import { InfluxTransportError, influxErrorText } from './influx-http';
import { InfluxServer, InfluxServerError } from './influx-server';

const gzip = promisify(zlib.gzip);

/**
 * Level 1: line protocol compresses ~8× at level 1 against ~11× at the default 6, for a
 * fraction of the CPU; compression runs in libuv's thread pool (zlib.gzip, not gzipSync),
 * off the event loop that Node-RED's flows share.
 */
const GZIP_OPTIONS = { level: 1 };

/**
 * The archive's write port: one request per call in the server's version's write API, every
 * answer (or its absence) as an outcome. `target.database` is the bucket on 2.x.
 */
export function createWritePort(server: InfluxServer, useGzip: boolean): (target: Destination, body: string | Buffer) => Promise<WriteOutcome> {
  return async (target, body) => {
    try {
      const payload = useGzip ? await gzip(body, GZIP_OPTIONS) : body;
      const response = await server.write(payload, {
        database: target.database,
        retentionPolicy: target.retentionPolicy,
        compressed: useGzip,
      });
      const retryAfter = response.headers['retry-after'];
      return {
        kind: 'response',
        status: response.status,
        reason: response.status >= 300 ? influxErrorText(response) : '',
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      };
    } catch (err) {
      if (err instanceof InfluxTransportError) return { kind: 'transport', code: err.code, message: err.message };
      return { kind: 'transport', code: 'EUNKNOWN', message: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** Creates a database after a 404; resolves undefined when it exists now, else why not. */
export function createDatabasePort(server: InfluxServer): (database: string) => Promise<WriteVerdict | undefined> {
  return async (database) => {
    // The database existed once (memoised) and was dropped since: ask the server again.
    server.forgetDatabase(database);
    try {
      await server.createDatabase(database);
      return undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof InfluxTransportError) {
        return { action: 'retry', code: err.code === 'ETIMEDOUT' ? 'TIMEOUT' : 'NETWORK', reason: `${err.code}: ${message}` };
      }
      if (err instanceof InfluxServerError && (err.status ?? 0) >= 500) {
        return { action: 'retry', code: 'SERVER_ERROR', reason: message };
      }
      const code = err instanceof InfluxServerError && (err.code === 'AUTH' || err.code === 'FORBIDDEN') ? err.code : 'DATABASE_NOT_FOUND';
      return { action: 'hold', code, reason: `database "${database}" does not exist and could not be created: ${message}` };
    }
  };
}
