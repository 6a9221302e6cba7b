/**
 * Node-RED's permission rule (@node-red/editor-api auth/permissions.js, the same since 1.x),
 * for the two places the editor API does not check for us: who may receive the monitor over
 * the comms channel, and "telemetry-ingest.write or flows.write" for the parse preview.
 * A scope is "*", "read", "write", "<name>.read|write", or a list of them.
 */

export function hasPermission(scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some((s) => hasPermission(s, permission));
  if (typeof scope !== 'string') return false;
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return /^((.+)\.)?read$/.test(permission);
  if (scope === 'write' || scope === '*.write') return /^((.+)\.)?write$/.test(permission);
  return false;
}

/**
 * The comms channel's user: `undefined` only when `adminAuth` is not set (Node-RED then
 * attaches no user to a connection, and every editor may do everything).
 */
export function userMay(user: { permissions?: unknown } | undefined, permission: string): boolean {
  return user === undefined || user === null || hasPermission(user.permissions, permission);
}
