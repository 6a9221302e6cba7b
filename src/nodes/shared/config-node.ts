/**
 * What the two config nodes (mqtt-broker, influxdb) share: user name and password kept in
 * Node-RED credentials (never in the flow JSON), and TLS from a core `tls-config` node.
 */
import type { Node, NodeAPI } from './red';

export interface Credentials {
  username?: string;
  password?: string;
  /** telemetry-influxdb 2.x/3.x: the API token. */
  token?: string;
}

/** How both config nodes declare their credentials to RED.nodes.registerType. */
export const CREDENTIALS = { username: { type: 'text' }, password: { type: 'password' } } as const;

/** What the core tls-config node offers its users (@node-red/nodes core/network/05-tls.js). */
interface TlsConfigNode extends Node {
  addTLSOptions(options: Record<string, unknown>): void;
}

/**
 * Adds the TLS options of the tls-config node `tlsId` (ca/cert/key/servername and
 * rejectUnauthorized) to `options`. Verification stays on unless the user unticks it there;
 * we never disable it globally.
 */
export function addTlsOptions(RED: NodeAPI, tlsId: string | undefined, options: Record<string, unknown>): void {
  const tlsNode = tlsId ? (RED.nodes.getNode(tlsId) as TlsConfigNode | null) : null;
  tlsNode?.addTLSOptions(options);
}
