/**
 * Sparkplug B topics (Eclipse Sparkplug 3.0 §4.1, DESIGN §6):
 * `spBv1.0/<group>/<NBIRTH|NDATA|NDEATH|DBIRTH|DDATA|DDEATH|NCMD|DCMD>/<edge node>[/<device>]`,
 * and `spBv1.0/STATE/<host id>` for host applications.
 */

export const NAMESPACE = 'spBv1.0';

export type DataMessageType = 'NBIRTH' | 'NDATA' | 'NDEATH' | 'DBIRTH' | 'DDATA' | 'DDEATH';
/** Commands to edge nodes and host STATE: not telemetry, the ingest ignores them (help says so). */
export type CommandMessageType = 'NCMD' | 'DCMD' | 'STATE';

export type SparkplugTopic =
  | { ok: true; kind: 'data'; type: DataMessageType; group: string; edge: string; device: string | undefined }
  | { ok: true; kind: 'command'; type: CommandMessageType }
  | { ok: false; reason: string };

const NODE_TYPES = new Set(['NBIRTH', 'NDATA', 'NDEATH']);
const DEVICE_TYPES = new Set(['DBIRTH', 'DDATA', 'DDEATH']);

export function parseSparkplugTopic(topic: string | undefined): SparkplugTopic {
  if (topic === undefined || topic === '') return { ok: false, reason: 'the message has no topic: a Sparkplug B topic names the group, message type and edge node' };
  const parts = topic.split('/');
  if (parts[0] !== NAMESPACE) return { ok: false, reason: `topic "${topic}" is not a Sparkplug B topic (it must start with "${NAMESPACE}/")` };
  if (parts[1] === 'STATE') return { ok: true, kind: 'command', type: 'STATE' };
  const [, group = '', type = '', edge = '', device] = parts;
  if (type === 'NCMD' || type === 'DCMD') return { ok: true, kind: 'command', type };
  if (parts.length > 5) return { ok: false, reason: `topic "${topic}" has more levels than spBv1.0/<group>/<type>/<edge node>/<device>` };
  if (group === '' || edge === '') return { ok: false, reason: `topic "${topic}" has an empty group or edge node id` };
  if (NODE_TYPES.has(type)) {
    if (device !== undefined) return { ok: false, reason: `${type} topic "${topic}" must not name a device` };
    return { ok: true, kind: 'data', type: type as DataMessageType, group, edge, device: undefined };
  }
  if (DEVICE_TYPES.has(type)) {
    if (device === undefined || device === '') return { ok: false, reason: `${type} topic "${topic}" must name a device` };
    return { ok: true, kind: 'data', type: type as DataMessageType, group, edge, device };
  }
  return { ok: false, reason: `topic "${topic}" has an unknown Sparkplug message type "${type}"` };
}

/** The NCMD topic that asks an edge node for a rebirth. */
export function ncmdTopic(group: string, edge: string): string {
  return `${NAMESPACE}/${group}/NCMD/${edge}`;
}
