/**
 * telemetry-mqtt-broker: one shared MQTT connection (src/io/mqtt-connection.ts) for every node
 * that selects this config node.
 */
import { type ConnectionOptions, SharedMqttConnection } from '../../io/mqtt-connection';
import { clockOf } from '../shared/clock';
import { defaultMemberId } from '../shared/member-id';
import { CREDENTIALS, type Credentials, addTlsOptions } from '../shared/config-node';
import type { Node, NodeAPI } from '../shared/red';
import { type MqttBrokerConfig, clientOptions } from './client-options';

export interface MqttBrokerNode extends Node<Credentials> {
  connection: SharedMqttConnection;
  /** URL, credentials and TLS of this broker, for nodes that open their own clients (telemetry-partition). */
  brokerOptions: ConnectionOptions;
}

export default function register(RED: NodeAPI): void {
  function TelemetryMqttBrokerNode(this: MqttBrokerNode, config: MqttBrokerConfig): void {
    RED.nodes.createNode(this, config);
    const options = clientOptions(this.id, config, this.credentials, defaultMemberId(RED));
    addTlsOptions(RED, config.tls, options as Record<string, unknown>);
    this.brokerOptions = { url: config.url, ...options };
    // Only the config node's own connection announces itself in its $share groups; connections
    // made from brokerOptions elsewhere (partition sessions) do not.
    this.connection = new SharedMqttConnection({ ...this.brokerOptions, sharePresence: true }, { warn: (m) => this.warn(m), error: (m) => this.error(m) }, clockOf(RED));
    this.on('close', (_removed: boolean, done: () => void) => {
      // Its users stop at the same moment and still send the acknowledgements they owe (issue #21).
      this.connection.closeAfterUsers().then(done, done);
    });
  }

  RED.nodes.registerType<MqttBrokerNode, MqttBrokerConfig, unknown, Credentials>('telemetry-mqtt-broker', TelemetryMqttBrokerNode, {
    credentials: CREDENTIALS,
  });
}

/** For user nodes: a broker config node with its shared connection, or undefined. */
export function getBroker(RED: NodeAPI, id: string | undefined): MqttBrokerNode | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as MqttBrokerNode | null;
  return node && node.connection instanceof SharedMqttConnection ? node : undefined;
}
