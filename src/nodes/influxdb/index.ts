import { InfluxServer } from '../../io/influx-server';
import { CREDENTIALS, type Credentials, addTlsOptions } from '../shared/config-node';
import type { Node, NodeAPI, NodeDef } from '../shared/red';

/** Config as saved in the flow (README "How each node behaves", telemetry-influxdb). */
export interface InfluxConfig extends NodeDef {
  url: string;
  database: string;
  retentionPolicy: string;
  timeout: number | string;
  tls?: string;
}

export interface InfluxConfigNode extends Node<Credentials> {
  server: InfluxServer;
}

export default function register(RED: NodeAPI): void {
  function TelemetryInfluxNode(this: InfluxConfigNode, config: InfluxConfig): void {
    RED.nodes.createNode(this, config);
    const timeout = Number(config.timeout);
    const tls: Record<string, unknown> = {};
    addTlsOptions(RED, config.tls, tls);
    this.server = new InfluxServer({
      url: (config.url || 'http://127.0.0.1:8086').trim(),
      database: (config.database || 'telemetry').trim(),
      retentionPolicy: config.retentionPolicy?.trim() || undefined,
      timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 10_000,
      username: this.credentials?.username,
      password: this.credentials?.password,
      tls,
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      this.server.close();
      done();
    });
  }

  RED.nodes.registerType<InfluxConfigNode, InfluxConfig, unknown, Credentials>('telemetry-influxdb', TelemetryInfluxNode, {
    credentials: CREDENTIALS,
  });
}

/** For user nodes: the shared server of an influxdb config node, or undefined. */
export function getInfluxServer(RED: NodeAPI, id: string | undefined): InfluxServer | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as InfluxConfigNode | null;
  return node && node.server instanceof InfluxServer ? node.server : undefined;
}
