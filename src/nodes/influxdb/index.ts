import { type InfluxConnection, type InfluxConnectionConfig, parseInfluxConnection } from '../../core/influxdb/connection';
import { InfluxServer } from '../../io/influx-server';
import { CREDENTIALS, type Credentials, addTlsOptions } from '../shared/config-node';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { registerTestEndpoint } from './test-endpoint';

/** Config as saved in the flow (README "How each node behaves" and "InfluxDB versions"). */
export interface InfluxConfig extends NodeDef, InfluxConnectionConfig {
  tls?: string;
}

export interface InfluxConfigNode extends Node<Credentials> {
  /** Undefined when the config is unusable (logged once; the user nodes show "no server"). */
  server: InfluxServer | undefined;
}

export default function register(RED: NodeAPI): void {
  const t = translator(RED, 'telemetry-influxdb');

  function TelemetryInfluxNode(this: InfluxConfigNode, config: InfluxConfig): void {
    RED.nodes.createNode(this, config);
    const parsed = parseInfluxConnection(config);
    if (!parsed.ok) {
      this.server = undefined;
      this.error(t('errors.config', { reason: parsed.problems.map((p) => t(p.key, p.params)).join('; ') }));
      return;
    }
    this.server = createServer(RED, parsed.settings, config.tls, this.credentials);
    this.on('close', (_removed: boolean, done: () => void) => {
      this.server?.close();
      done();
    });
  }

  RED.nodes.registerType<InfluxConfigNode, InfluxConfig, unknown, Credentials>('telemetry-influxdb', TelemetryInfluxNode, {
    // 2.x/3.x add the API token beside 1.x's user and password.
    credentials: { ...CREDENTIALS, token: { type: 'password' } },
  });
  registerTestEndpoint(RED, (connection, tls, credentials) => createServer(RED, connection, tls, credentials));
}

/** The server of one connection: the version's API, the credentials it uses, TLS. */
export function createServer(RED: NodeAPI, connection: InfluxConnection, tlsId: string | undefined, credentials: Credentials | undefined): InfluxServer {
  const tls: Record<string, unknown> = {};
  addTlsOptions(RED, tlsId, tls);
  return new InfluxServer({
    ...connection,
    username: credentials?.username,
    password: credentials?.password,
    token: credentials?.token,
    tls,
  });
}

/** For user nodes: the shared server of an influxdb config node, or undefined. */
export function getInfluxServer(RED: NodeAPI, id: string | undefined): InfluxServer | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as InfluxConfigNode | null;
  return node && node.server instanceof InfluxServer ? node.server : undefined;
}
