import type { IClientOptions } from 'mqtt';
import type { Credentials } from '../shared/config-node';
import type { NodeDef } from '../shared/red';

/** Config as saved in the flow (README "How each node behaves", telemetry-mqtt-broker). */
export interface MqttBrokerConfig extends NodeDef {
  url: string;
  clientId: string;
  protocolVersion: number | string;
  keepalive: number | string;
  clean: boolean;
  tls: string;
}

/**
 * mqtt.js options for a broker config node `nodeId` (its id names a persistent session) in the
 * Node-RED instance `memberId` (src/nodes/shared/member-id.ts).
 */
export function clientOptions(nodeId: string, config: MqttBrokerConfig, credentials: Credentials | undefined, memberId: string): IClientOptions {
  const protocolVersion = Number(config.protocolVersion) === 5 ? 5 : 4;
  const clean = config.clean !== false;
  const keepalive = Number(config.keepalive);
  // A persistent session (clean: false) is only found again under the same client id; an empty
  // one is derived from the config node id, which is stable across deploys and restarts, and the
  // member id, so copies of one flow on several instances never share (and take over) a session.
  const clientId = config.clientId?.trim() || (clean ? `telemetry_${Math.random().toString(16).slice(2, 10)}` : persistentClientId(nodeId, memberId));
  const options: IClientOptions = {
    clientId,
    protocolVersion,
    clean,
    keepalive: Number.isFinite(keepalive) && keepalive >= 0 ? keepalive : 60,
    connectTimeout: 15_000,
    // PINGREQ every keep-alive even while we publish: mqtt.js otherwise postpones pings after each
    // packet sent, so a member that keeps publishing into a dead link (cable cut, half-open TCP)
    // never notices; with pings a missing PINGRESP closes the connection within ~keep-alive.
    reschedulePings: false,
  };
  if (credentials?.username) options.username = credentials.username;
  if (credentials?.password) options.password = credentials.password;
  // MQTT 5: keep the session when the connection drops; the broker queues QoS 1/2 meanwhile.
  if (protocolVersion === 5 && !clean) options.properties = { sessionExpiryInterval: 0xffffffff };
  // MQTT 5: let the broker send up to 20,000 unacknowledged QoS 1/2 messages (Mosquitto's own
  // default is 20), what ack-after-archive needs to keep up (the connection's maxOwedAcks).
  if (protocolVersion === 5) options.properties = { ...options.properties, receiveMaximum: 20_000 };
  return options;
}

/** The generated client id of a persistent session: `telemetry_<config node id>_<member id>`. */
export function persistentClientId(nodeId: string, memberId: string): string {
  return `telemetry_${nodeId}_${memberId}`;
}
