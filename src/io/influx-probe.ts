import { type ProbeFacts, type ProbeReport, interpretProbe } from '../core/influxdb/probe';
import { InfluxServerError } from './influx-errors';
import { InfluxTransportError, type InfluxResponse, influxErrorText, parseJson } from './influx-http';
import type { InfluxServer } from './influx-server';

/**
 * *Test connection* (the config dialog's button): asks the server what it is, whether the
 * credentials pass and whether the database (2.x: bucket) exists, without writing anything.
 * 1.x: /ping + SHOW DATABASES; 2.x: /ping (or /health) + /api/v2/orgs + /api/v2/buckets;
 * 3.x: /ping (or /health) + /api/v3/configure/database.
 */
export async function probeInflux(server: InfluxServer): Promise<ProbeReport> {
  try {
    return interpretProbe(await facts(server));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return interpretProbe({ configured: server.version, unreachable: reason, auth: 'unknown', target: 'unknown', name: server.database });
  }
}

async function facts(server: InfluxServer): Promise<ProbeFacts> {
  const base: ProbeFacts = { configured: server.version, auth: 'unknown', target: 'unknown', name: server.database };
  const ping = await server.http.ping();
  base.serverVersion = header(ping, 'x-influxdb-version') ?? (await healthVersion(server));
  try {
    return { ...base, ...(await authAndTarget(server)) };
  } catch (err) {
    if (err instanceof InfluxTransportError) throw err;
    if (err instanceof InfluxServerError) {
      if (err.code === 'AUTH') return { ...base, auth: 'refused', detail: err.message };
      if (err.code === 'FORBIDDEN') return { ...base, auth: 'forbidden', detail: err.message };
      if (err.code === 'NOT_FOUND' && server.version === 2) return { ...base, auth: 'ok', orgMissing: true, detail: err.message };
    }
    return { ...base, detail: err instanceof Error ? err.message : String(err) };
  }
}

async function authAndTarget(server: InfluxServer): Promise<Partial<ProbeFacts>> {
  if (server.v2) {
    const exists = (await server.v2.findBucket(server.database)) !== undefined;
    return { auth: 'ok', target: exists ? 'exists' : 'missing' };
  }
  if (server.v3) {
    const exists = (await server.v3.databases()).includes(server.database);
    return { auth: 'ok', target: exists ? 'exists' : 'missing' };
  }
  const response = await server.http.query('SHOW DATABASES');
  if (response.status === 401) throw new InfluxServerError('AUTH', `InfluxDB refused the credentials (401): ${influxErrorText(response)}`, 401);
  const parsed = parseJson<{ results?: Array<{ error?: string; series?: Array<{ values?: unknown[][] }> }> }>(response);
  const result = parsed?.results?.[0];
  // A 1.x user who is not an admin may not list databases: the credentials passed, the rest is unknown.
  if (response.status !== 200 || !result || result.error) return { auth: response.status === 200 ? 'ok' : 'unknown', detail: result?.error ?? influxErrorText(response) };
  const names = (result.series?.[0]?.values ?? []).map((row) => String(row[0]));
  return { auth: 'ok', target: names.includes(server.database) ? 'exists' : 'missing' };
}

/** /health's `version` (2.x answers JSON `{status, version}`), when /ping named none. */
async function healthVersion(server: InfluxServer): Promise<string | undefined> {
  const response = await server.http.send('GET', '/health', {});
  const version = response.status === 200 ? parseJson<{ version?: unknown }>(response)?.version : undefined;
  return typeof version === 'string' ? version : undefined;
}

function header(response: InfluxResponse, name: string): string | undefined {
  const value = response.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first ? first : undefined;
}
