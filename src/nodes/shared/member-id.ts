/**
 * The member id: which running copy of a flow this is, when the same flow runs on several
 * Node-RED instances (README "Running several instances"). Default: host name and Node-RED
 * port, e.g. `edge-2-1880` — unique per instance on one host and across hosts, and stable
 * across restarts, which a persistent MQTT session needs (its client id contains it).
 *
 * One derivation for every user: the broker config node's persistent-session client id
 * (src/nodes/mqtt-broker/client-options.ts) and the partition node's `memberId` default.
 * In containers, give each member a fixed host name (Compose `hostname:`), or the session is
 * new on every re-created container.
 */
import os from 'node:os';
import type { NodeAPI } from './red';

/** Longest member id kept: client ids stay well below brokers' limits (Mosquitto 65,535; some 128). */
export const MEMBER_ID_MAX_LENGTH = 64;

/** Letters, digits, `-`, `_` and `.`: safe in an MQTT client id and in a topic level. */
export function sanitizeMemberId(raw: string): string {
  return raw.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MEMBER_ID_MAX_LENGTH);
}

/** `<host name>-<port>` from a host name and Node-RED's HTTP port (1880 when unknown). */
export function memberIdOf(hostName: string, port: number | string | undefined): string {
  const p = Number(port);
  return sanitizeMemberId(`${hostName || 'node-red'}-${Number.isInteger(p) && p > 0 ? p : 1880}`);
}

/** This process's default member id. */
export function defaultMemberId(RED: NodeAPI): string {
  // uiPort is a Node-RED setting; the typings of RED.settings do not list it.
  const port = (RED.settings as unknown as { uiPort?: number | string } | undefined)?.uiPort;
  return memberIdOf(os.hostname(), port);
}
