/**
 * The one msg shape that says "these devices are gone now" (README "Sparkplug B"): the ingest
 * sends it on output 1 for a Sparkplug NDEATH or DDEATH.
 *
 *   msg.payload  = []                      (no readings: nothing for an archive to write)
 *   msg.liveness = { status: 'down', devices: ['<edge node>', '<edge node>/<device>', …],
 *                    reason: 'NDEATH' | 'DDEATH', source: 'sparkplug' }
 *
 * A telemetry-heartbeat-watch wired to it marks those devices down at once; every other node
 * of the package lets it pass (enrich) or ignores it (window, archive, alert): its payload holds
 * no reading.
 */

export interface Liveness {
  status: 'down';
  /** Device ids as the readings' `device` tag carries them. */
  devices: string[];
  reason: string;
  source: string;
}

/** The msg's liveness statement, if it carries a valid one. */
export function livenessOf(msg: object): Liveness | undefined {
  const value = (msg as { liveness?: unknown }).liveness;
  if (typeof value !== 'object' || value === null) return undefined;
  const { status, devices } = value as Partial<Liveness>;
  if (status !== 'down' || !Array.isArray(devices)) return undefined;
  return value as Liveness;
}
