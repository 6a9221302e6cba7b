/**
 * telemetry-mqtt-broker: one shared MQTT connection (src/io/mqtt-connection.ts) for every node
 * that selects this config node.
 */
import { SharedMqttConnection } from '../../io/mqtt-connection';
import { clockOf } from '../shared/clock';
import type { Node, NodeAPI } from '../shared/red';
import { type Credentials, type MqttBrokerConfig, clientOptions } from './client-options';

export interface MqttBrokerNode extends Node<Credentials> {
  connection: SharedMqttConnection;
}

/** What the core tls-config node offers its users (packages/node_modules/@node-red/nodes/core/network/05-tls.js). */
interface TlsConfigNode extends Node {
  addTLSOptions(options: Record<string, unknown>): void;
}

export default function register(RED: NodeAPI): void {
  function TelemetryMqttBrokerNode(this: MqttBrokerNode, config: MqttBrokerConfig): void {
    RED.nodes.createNode(this, config);
    const options = clientOptions(this.id, config, this.credentials);
    const tlsNode = config.tls ? (RED.nodes.getNode(config.tls) as TlsConfigNode | null) : null;
    // The tls-config node sets ca/cert/key/servername and rejectUnauthorized (verification stays
    // on unless the user unticks it there; we never disable it globally).
    tlsNode?.addTLSOptions(options as Record<string, unknown>);
    this.connection = new SharedMqttConnection({ url: config.url, ...options }, { warn: (m) => this.warn(m) }, clockOf(RED));
    this.on('close', (_removed: boolean, done: () => void) => {
      this.connection.close().then(done, done);
    });
  }

  RED.nodes.registerType<MqttBrokerNode, MqttBrokerConfig, unknown, Credentials>('telemetry-mqtt-broker', TelemetryMqttBrokerNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
}

/** For user nodes: a broker config node with its shared connection, or undefined. */
export function getBroker(RED: NodeAPI, id: string | undefined): MqttBrokerNode | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as MqttBrokerNode | null;
  return node && node.connection instanceof SharedMqttConnection ? node : undefined;
}
