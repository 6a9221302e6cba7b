/**
 * What a server can do for the purge, from the `X-Influxdb-Version` header of `/ping`.
 *
 * - 1.x: everything (DELETE, SELECT … INTO, retention policy DDL).
 * - 2.x: the 1.x-compatible `/query` runs DELETE (since 2.0) but not SELECT … INTO, and
 *   retention is a bucket setting, not a retention policy InfluxQL can create or alter.
 * - 3.x: InfluxQL is read-only (SELECT and SHOW); data leaves through the database's retention
 *   period or by deleting a table, neither of which InfluxQL reaches.
 * An unknown or missing version is treated as 1.x: the server's own error then says what failed.
 */
export type PurgeFeature = 'delete' | 'selectInto' | 'retentionPolicies';

export interface ServerCapabilities {
  /** As the server reported it, e.g. `1.8.10`, `v2.7.4`, `3.0.1`; undefined when not reported. */
  version: string | undefined;
  major: number | undefined;
  supports: Record<PurgeFeature, boolean>;
}

export function serverCapabilities(versionHeader: string | string[] | undefined): ServerCapabilities {
  const version = (Array.isArray(versionHeader) ? versionHeader[0] : versionHeader)?.trim() || undefined;
  const match = version ? /^v?(\d+)\./i.exec(version) : null;
  const major = match ? Number(match[1]) : undefined;
  const supports: Record<PurgeFeature, boolean> =
    major === 2
      ? { delete: true, selectInto: false, retentionPolicies: false }
      : major !== undefined && major >= 3
        ? { delete: false, selectInto: false, retentionPolicies: false }
        : { delete: true, selectInto: true, retentionPolicies: true };
  return { version, major, supports };
}
