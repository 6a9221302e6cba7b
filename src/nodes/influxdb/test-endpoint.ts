import { type InfluxConnection, type InfluxConnectionConfig, parseInfluxConnection } from '../../core/influxdb/connection';
import type { ProbeReport } from '../../core/influxdb/probe';
import { probeInflux } from '../../io/influx-probe';
import type { InfluxServer } from '../../io/influx-server';
import type { Credentials } from '../shared/config-node';
import type { NodeAPI } from '../shared/red';

/** What the editor shows in place of a stored password (Node-RED's credentials placeholder). */
const PLACEHOLDER = '__PWRD__';

type MakeServer = (connection: InfluxConnection, tls: string | undefined, credentials: Credentials) => InfluxServer;

interface TestRequest extends InfluxConnectionConfig {
  tls?: string;
  credentials?: Credentials;
}

/**
 * POST /telemetry-influxdb/:id/test (the dialog's *Test connection*): probes the dialog's
 * values, not yet deployed, with the stored credentials where the dialog shows the placeholder.
 * Answers a ProbeReport whose lines are i18n keys of this node's catalogue (the editor words them).
 */
export function registerTestEndpoint(RED: NodeAPI, makeServer: MakeServer): void {
  RED.httpAdmin.post('/telemetry-influxdb/:id/test', RED.auth.needsPermission('telemetry-influxdb.write'), (req, res) => {
    const body = (req.body ?? {}) as TestRequest;
    const parsed = parseInfluxConnection(body);
    if (!parsed.ok) {
      const report: ProbeReport = { ok: false, lines: parsed.problems.map((p) => ({ level: 'error', key: p.key, params: stringParams(p.params) })) };
      res.json(report);
      return;
    }
    const stored = (RED.nodes.getCredentials(String(req.params.id)) ?? {}) as Credentials;
    const server = makeServer(parsed.settings, typeof body.tls === 'string' && body.tls !== '_ADD_' ? body.tls : undefined, credentialsOf(body.credentials ?? {}, stored));
    probeInflux(server)
      .then((report) => res.json(report))
      .catch((err: unknown) => res.status(500).send(err instanceof Error ? err.message : String(err)))
      .finally(() => server.close());
  });
}

/** The dialog's credentials, the stored ones where it shows the placeholder or nothing. */
export function credentialsOf(sent: Credentials, stored: Credentials): Credentials {
  const pick = (key: keyof Credentials): string | undefined => {
    const value = sent[key];
    return value === undefined || value === PLACEHOLDER ? stored[key] : value;
  };
  return { username: pick('username'), password: pick('password'), token: pick('token') };
}

function stringParams(params: Record<string, string | number> | undefined): Record<string, string> | undefined {
  return params ? Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) : undefined;
}
