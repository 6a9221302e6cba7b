import type { IClientOptions } from 'mqtt';
import type { Node, NodeAPI, NodeDef } from './shared/red';
import { SharedMqttConnection } from './mqtt-broker/connection';

/** Config as saved in the flow (DESIGN.md §5 telemetry-mqtt-broker). */
export interface MqttBrokerConfig extends NodeDef {
  url: string;
  clientId: string;
  protocolVersion: number | string;
  keepalive: number | string;
  clean: boolean;
  tls: string;
}

interface Credentials {
  username?: string;
  password?: string;
}

export interface MqttBrokerNode extends Node<Credentials> {
  connection: SharedMqttConnection;
  /** The configured URL with any user:password part removed, for status and logs. */
  displayUrl: string;
}

/** What the core tls-config node offers its users (packages/node_modules/@node-red/nodes/core/network/05-tls.js). */
interface TlsConfigNode extends Node {
  addTLSOptions(options: Record<string, unknown>): void;
}

export default function register(RED: NodeAPI): void {
  function TelemetryMqttBrokerNode(this: MqttBrokerNode, config: MqttBrokerConfig): void {
    RED.nodes.createNode(this, config);
    const options = clientOptions(this, config);
    const tlsNode = config.tls ? (RED.nodes.getNode(config.tls) as TlsConfigNode | null) : null;
    // The tls-config node sets ca/cert/key/servername and rejectUnauthorized (verification stays
    // on unless the user unticks it there; we never disable it globally).
    tlsNode?.addTLSOptions(options as Record<string, unknown>);
    this.displayUrl = redactUrl(config.url);
    this.connection = new SharedMqttConnection({ url: config.url, ...options }, { warn: (m) => this.warn(m) });
    this.on('close', (_removed: boolean, done: () => void) => {
      this.connection.close().then(done, done);
    });
  }

  RED.nodes.registerType<MqttBrokerNode, MqttBrokerConfig, unknown, Credentials>('telemetry-mqtt-broker', TelemetryMqttBrokerNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
}

function clientOptions(node: MqttBrokerNode, config: MqttBrokerConfig): IClientOptions {
  const protocolVersion = Number(config.protocolVersion) === 5 ? 5 : 4;
  const clean = config.clean !== false;
  const keepalive = Number(config.keepalive);
  // A persistent session (clean: false) is only found again under the same client id; an empty
  // one is derived from the config node id, which is stable across deploys and restarts.
  const clientId = config.clientId?.trim() || (clean ? `telemetry_${Math.random().toString(16).slice(2, 10)}` : `telemetry_${node.id}`);
  const options: IClientOptions = {
    clientId,
    protocolVersion,
    clean,
    keepalive: Number.isFinite(keepalive) && keepalive >= 0 ? keepalive : 60,
    connectTimeout: 15_000,
  };
  if (node.credentials?.username) options.username = node.credentials.username;
  if (node.credentials?.password) options.password = node.credentials.password;
  // MQTT 5: keep the session when the connection drops; the broker queues QoS 1/2 meanwhile.
  if (protocolVersion === 5 && !clean) options.properties = { sessionExpiryInterval: 0xffffffff };
  // MQTT 5: let the broker send up to 20,000 unacknowledged QoS 1/2 messages (Mosquitto's own
  // default is 20), what ack-after-archive needs to keep up (the connection's maxOwedAcks).
  if (protocolVersion === 5) options.properties = { ...options.properties, receiveMaximum: 20_000 };
  return options;
}

export function redactUrl(url: string): string {
  return String(url ?? '').replace(/\/\/[^@/]*@/, '//');
}

/** For user nodes: the shared connection of a broker config node, or undefined. */
export function getBroker(RED: NodeAPI, id: string | undefined): MqttBrokerNode | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as MqttBrokerNode | null;
  return node && node.connection instanceof SharedMqttConnection ? node : undefined;
}
