/**
 * How each InfluxDB API version the influxdb config node speaks (`version`, DESIGN §5) carries
 * out each purge mode: data, not `if` chains. The runner reads the plan; the io port supplies
 * the calls the plan names (InfluxQL for every version, `/api/v2/delete`, `/api/v2/write` and
 * the bucket's retention rule for 2.x).
 *
 * - 1.x: InfluxQL for everything (DELETE, SELECT … INTO, retention policy DDL). A 1.x config
 *   pointed at a 2.x/3.x server keeps the old behaviour: server-version.ts refuses by header.
 * - 2.x: counts with InfluxQL through the v1-compatible `/query` (2.x returns no count from a
 *   delete); deletes through `/api/v2/delete`; downsamples by querying aggregates with InfluxQL
 *   and writing them through `/api/v2/write` (2.x's InfluxQL has no SELECT … INTO); retention is
 *   the bucket's expire rule (`PATCH /api/v2/buckets/{id}`, `retentionRules[].everySeconds`).
 *   Retention policies do not exist there (a bucket is one), so no policy guard is needed.
 * - 3.x (3 Core): counts with InfluxQL through `/query`. 3 Core cannot delete by time (only a
 *   whole table or database), so `delete` is refused. `downsample-delete` is refused too: its
 *   delete cannot happen, and re-aggregating raw data the retention period is removing would
 *   overwrite good aggregates with partial ones. `retention-policy` is refused: 3 Core sets a
 *   database's retention period when the database is created and it cannot be changed
 *   afterwards (https://docs.influxdata.com/influxdb3/core/admin/databases/create/). Dry runs
 *   still count, so a user sees what is old before choosing how to remove it.
 */
import type { PurgeMode } from './settings';

export type ApiVersion = 1 | 2 | 3;

export interface Refusal {
  feature: string;
  hint: string;
}

export interface VersionPlan {
  version: ApiVersion;
  /** How matched points are removed. */
  delete: 'influxql' | 'api-v2';
  /** How aggregates reach the downsample target. */
  downsample: 'select-into' | 'query-write';
  /** What mode `retention-policy` changes. */
  retention: 'retention-policy' | 'bucket';
  /** The database has retention policies (SHOW RETENTION POLICIES, the other-policy guard). */
  retentionPolicies: boolean;
  /** Modes refused on this version; `dryRunCounts`: a dry run of the mode still counts what is old. */
  refused: Partial<Record<PurgeMode, Refusal & { dryRunCounts: boolean }>>;
}

const PLANS: Record<ApiVersion, VersionPlan> = {
  1: { version: 1, delete: 'influxql', downsample: 'select-into', retention: 'retention-policy', retentionPolicies: true, refused: {} },
  2: { version: 2, delete: 'api-v2', downsample: 'query-write', retention: 'bucket', retentionPolicies: false, refused: {} },
  3: {
    version: 3,
    delete: 'api-v2',
    downsample: 'query-write',
    retention: 'bucket',
    retentionPolicies: false,
    refused: {
      delete: {
        feature: 'deleting points by time',
        hint: 'InfluxDB 3 Core deletes only whole tables or databases; let the database retention period remove old data',
        dryRunCounts: true,
      },
      'downsample-delete': {
        feature: 'downsample-delete',
        hint: 'InfluxDB 3 Core cannot delete the raw points afterwards; aggregate upstream with telemetry-window and let the retention period remove raw data',
        dryRunCounts: true,
      },
      'retention-policy': {
        feature: 'changing the retention period',
        hint: 'InfluxDB 3 Core sets a database retention period only when the database is created (influxdb3 create database --retention-period)',
        dryRunCounts: false,
      },
    },
  },
};

/** The plan of a config `version` (`"1"`|`"2"`|`"3"`, a number, or absent = 1). */
export function versionPlan(version: unknown): VersionPlan {
  const v = Number(version ?? 1);
  return PLANS[(v === 2 || v === 3 ? v : 1) as ApiVersion];
}

/** The modes a version runs for real (the editor lists these). */
export function allowedModes(version: unknown): PurgeMode[] {
  const plan = versionPlan(version);
  return (['delete', 'downsample-delete', 'retention-policy'] as PurgeMode[]).filter((m) => !plan.refused[m]);
}
