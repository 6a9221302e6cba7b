/**
 * One purge run: plans slices, counts, downsamples, verifies, deletes — one statement at a time,
 * oldest data first — and returns a report per measurement. I/O (the InfluxQL endpoint, the
 * server version) and the clock are injected; nothing here knows Node-RED.
 *
 * Per measurement:
 *  1. SHOW FIELD KEYS: nothing stored → nothing to do; a `where` key that is a field is refused
 *     (InfluxDB cannot delete by field, so the dry run would count what the delete cannot reach).
 *  2. DELETE has no retention policy: it removes matching points from every policy of the
 *     database. If another policy holds points of the same measurement older than the cutoff,
 *     the run is refused rather than destroy data the user did not point it at.
 *  3. From the oldest point to the cutoff, slice by slice (one shard group each, see slices.ts):
 *     count; split while a piece holds more than `maxPointsPerStatement`; for downsampling,
 *     SELECT … INTO, then check the target holds every expected value before deleting; DELETE;
 *     count again, so `deleted` is measured, not assumed. Empty stretches are skipped by asking
 *     for the next oldest point.
 * What differs between the InfluxDB API versions (how points are deleted, how aggregates are
 * written, what retention means, which modes are refused) comes from version-plan.ts; the io
 * port supplies the calls the plan names.
 */
import { formatDuration } from '../duration';
import { InfluxQLError } from '../influxql/errors';
import { PurgeError } from './errors';
import {
  DownsampleSpec,
  INFLUX_MIN_MS,
  aggregateStatement,
  SeriesSource,
  TimeRange,
  alterRetentionPolicyStatement,
  countStatement,
  createRetentionPolicyStatement,
  deleteStatement,
  downsampleCountStatement,
  downsampleStatement,
  oldestPointStatement,
  showFieldKeysStatement,
  showRetentionPoliciesStatement,
  showShardGroupsStatement,
} from '../influxql/statements';
import {
  QueryResult,
  RetentionPolicyInfo,
  aggregateReadings,
  downsampleShortfalls,
  firstRowTime,
  parseFieldKeys,
  parseRetentionPolicies,
  parseSeriesFieldCounts,
  pointsFromCounts,
  writtenCount,
} from './influx-results';
import type { RunProgress } from './run-state';
import { ServerCapabilities, serverCapabilities } from './server-version';
import { PurgeSettings, checkAge, downsampleTarget } from './settings';
import { DeleteRequest, deletePredicates, deleteRequests } from '../influxql/delete-predicate';
import { encodeReading } from '../line-protocol';
import { ApiVersion, VersionPlan, versionPlan } from './version-plan';
import { SliceGrid, cutoffFor, defaultShardGroupDuration, progressFraction, sliceAt, splitSlice } from './slices';
import { tagFilterObject } from './tag-filter';

export interface PurgeIo {
  /** Runs one statement with `db` = database; throws on an HTTP or statement error. */
  query(statement: string, database: string): Promise<QueryResult[]>;
  /** The server's `X-Influxdb-Version` (from /ping); undefined when it sends none. */
  serverVersion(): Promise<string | undefined>;
  now(): number;
  /** The influxdb config node's `version`; absent = 1 (everything through InfluxQL). */
  apiVersion?: ApiVersion | undefined;
  /** 2.x: `POST /api/v2/delete` with this body, to the configured org and bucket. */
  deletePoints?(request: DeleteRequest): Promise<void>;
  /** 2.x: writes line protocol (ms precision) to the configured bucket; throws when refused. */
  writeLines?(lines: string): Promise<void>;
  /** 2.x: the configured bucket's expire rule (0 = never). */
  bucketRetention?(): Promise<BucketRetention>;
  /** 2.x: sets the configured bucket's expire rule. */
  setBucketRetention?(everySeconds: number): Promise<void>;
}

export interface BucketRetention {
  bucket: string;
  /** 0 = data never expires. */
  everySeconds: number;
}

export interface PurgeTarget {
  database: string;
  /** The influxdb config node's retention policy; undefined = the database's default. */
  retentionPolicy?: string | undefined;
}

export interface RunOptions {
  settings: PurgeSettings;
  target: PurgeTarget;
  /** A piece of a slice holding more points than this is split before it is deleted. */
  maxPointsPerStatement?: number;
  isCancelled?: () => boolean;
  onProgress?: (progress: RunProgress) => void;
  /** Every statement, before it is sent (debug logging, tests). */
  onStatement?: (statement: string) => void;
}

export interface MeasurementReport {
  measurement: string;
  /** Exclusive upper bound of the purged range, epoch ms. */
  cutoff: number;
  /** Points (rows) older than the cutoff that the run found (see pointsFromCounts). */
  matched: number;
  deleted: number;
  /** Points written to the downsample target (dry run: that would be written). */
  downsampled: number;
  dryRun: boolean;
  durationMs: number;
  database: string;
  retentionPolicy: string | undefined;
  where: Record<string, string | string[]>;
  downsampleTo?: string;
  /** Time slices processed (each one shard group at most). */
  slices: number;
}

export interface RetentionPolicyReport {
  retentionPolicy: string;
  database: string;
  action: 'created' | 'altered' | 'unchanged';
  duration: string;
  shardDuration: string;
  default: boolean;
  previous: { duration: string; shardDuration: string; default: boolean } | null;
  /** Shard groups whose data InfluxDB drops with this duration (undefined: not allowed to list them). */
  expiringShardGroups: number | undefined;
  dryRun: boolean;
  durationMs: number;
}

/** Mode `retention-policy` on 2.x: the bucket's expire rule. */
export interface BucketRetentionReport {
  bucket: string;
  action: 'altered' | 'unchanged';
  duration: string;
  previous: { duration: string };
  dryRun: boolean;
  durationMs: number;
}

export interface RunResult {
  reports: Array<MeasurementReport | RetentionPolicyReport | BucketRetentionReport>;
  server: { version: string | undefined };
  /** The run's cutoff (delete modes), epoch ms. */
  cutoff: number | undefined;
  error?: PurgeError;
}

export const DEFAULT_MAX_POINTS_PER_STATEMENT = 500_000;

function durationText(ms: number): string {
  return ms === 0 ? 'INF' : formatDuration(ms);
}

function asPurgeError(err: unknown): PurgeError {
  if (err instanceof PurgeError) return err;
  if (err instanceof InfluxQLError) return new PurgeError(err.code, err.message, err.params);
  const e = err as { message?: string; code?: string };
  return new PurgeError(e.code === 'ETIMEDOUT' ? 'TIMEOUT' : 'SERVER', String(e.message ?? err), { reason: String(e.message ?? err) });
}

export class PurgeRunner {
  private readonly settings: PurgeSettings;
  private readonly maxPoints: number;
  private readonly reports: Array<MeasurementReport | RetentionPolicyReport | BucketRetentionReport> = [];
  private readonly plan: VersionPlan;
  private caps: ServerCapabilities = serverCapabilities(undefined);
  private cutoff: number | undefined;
  private progress: RunProgress = { fraction: 0, matched: 0, deleted: 0, downsampled: 0, slices: 0 };

  constructor(private readonly io: PurgeIo, private readonly options: RunOptions) {
    this.settings = options.settings;
    this.maxPoints = Math.max(1, options.maxPointsPerStatement ?? DEFAULT_MAX_POINTS_PER_STATEMENT);
    this.plan = versionPlan(io.apiVersion);
  }

  /** Resolves with the reports; on failure `error` is set and `reports` holds what was done. */
  async run(): Promise<RunResult> {
    try {
      // Settings normally arrive checked; checking again here keeps the guard next to the deletes.
      checkAge(this.settings.olderThanMs, this.settings.minAgeMs);
      this.caps = serverCapabilities(await this.io.serverVersion());
      this.refuseByPlan();
      if (this.settings.mode === 'retention-policy') await (this.plan.retention === 'bucket' ? this.applyBucketRetention() : this.applyRetentionPolicy());
      else await this.purgeAll();
      return this.result();
    } catch (err) {
      return { ...this.result(), error: asPurgeError(err) };
    }
  }

  private result(): RunResult {
    return { reports: this.reports, server: { version: this.caps.version }, cutoff: this.cutoff };
  }

  private async query(statement: string): Promise<QueryResult | undefined> {
    if (this.options.isCancelled?.()) throw new PurgeError('CANCELLED', 'the run was cancelled', {});
    this.options.onStatement?.(statement);
    const results = await this.io.query(statement, this.options.target.database);
    return results[0];
  }

  private unsupported(feature: string, hint: string): never {
    const version = this.caps.version ?? 'unknown';
    throw new PurgeError('UNSUPPORTED', `InfluxDB ${version} does not support ${feature} through its 1.x API: ${hint}`, { version, feature, hint });
  }

  /** A mode this API version cannot carry out is refused before anything is sent (a dry run may still count). */
  private refuseByPlan(): void {
    const refusal = this.plan.refused[this.settings.mode];
    if (!refusal || (this.settings.dryRun && refusal.dryRunCounts)) return;
    const version = `${this.plan.version}.x`;
    throw new PurgeError('REFUSED_BY_VERSION', `InfluxDB ${version} does not allow ${refusal.feature}: ${refusal.hint}`, { version, feature: refusal.feature, hint: refusal.hint });
  }

  /** 1.x API only: what the server behind it (by its version header) cannot do through InfluxQL. */
  private requireFeatures(): void {
    if (this.plan.version !== 1) return;
    const { supports, major } = this.caps;
    const { mode } = this.settings;
    if (mode === 'retention-policy' && !supports.retentionPolicies) {
      this.unsupported(
        'retention policies',
        major === 2 ? 'set the retention period of the bucket instead (influx bucket update --retention)' : 'set the retention period of the database instead',
      );
    }
    if (mode === 'downsample-delete' && !supports.selectInto) {
      this.unsupported('SELECT … INTO', major === 2 ? 'downsample with a task instead, and use mode delete here' : 'downsample outside InfluxQL');
    }
    if (mode !== 'retention-policy' && !supports.delete) {
      this.unsupported('DELETE', 'InfluxQL is read-only there; data leaves through the database retention period');
    }
  }

  private async policies(): Promise<RetentionPolicyInfo[]> {
    try {
      return parseRetentionPolicies(await this.query(showRetentionPoliciesStatement(this.options.target.database)));
    } catch (err) {
      if (/database not found/i.test(String((err as Error).message))) {
        throw new PurgeError('DB_NOT_FOUND', `database ${JSON.stringify(this.options.target.database)} does not exist`, { database: this.options.target.database });
      }
      throw err;
    }
  }

  private async purgeAll(): Promise<void> {
    this.requireFeatures();
    const { settings } = this;
    const policies = this.plan.retentionPolicies ? await this.policies() : [];
    // 2.x/3.x have no retention policies: a bucket (database) is the unit, and the config's rp is ignored.
    const configured = this.plan.retentionPolicies ? this.options.target.retentionPolicy : undefined;
    const source = configured ? policies.find((p) => p.name === configured) : policies.find((p) => p.isDefault);
    if (configured && !source) {
      throw new PurgeError('RP_NOT_FOUND', `retention policy ${JSON.stringify(configured)} does not exist on ${JSON.stringify(this.options.target.database)}`, {
        retentionPolicy: configured,
        database: this.options.target.database,
      });
    }
    // On 2.x the DELETE goes to the bucket mapped to the database's default policy: refuse any
    // other policy rather than delete from a bucket the user did not name.
    if (this.plan.version === 1 && this.caps.major === 2 && source && !source.isDefault) {
      this.unsupported('DELETE outside the default retention policy', 'point the influxdb config node at the default mapping of the bucket');
    }
    // 2.x: a filter its delete predicate cannot carry is refused before anything is counted.
    if (this.plan.delete === 'api-v2') for (const m of settings.measurements) deletePredicates(m, settings.where);
    const alignMs = settings.mode === 'downsample-delete' ? settings.downsampleEveryMs : 1;
    this.cutoff = cutoffFor(this.io.now(), settings.olderThanMs, alignMs);
    const grid: SliceGrid = {
      shardGroupMs: source?.shardGroupDurationMs || defaultShardGroupDuration(source?.durationMs ?? 0),
      alignMs,
      cutoff: this.cutoff,
    };
    const others = this.caps.major === 2 || !this.plan.retentionPolicies ? [] : policies.filter((p) => p !== source);
    for (const [index, measurement] of settings.measurements.entries()) {
      const report = await this.purgeMeasurement(measurement, source?.name, others, grid, index);
      this.reports.push(report);
    }
    this.reportProgress(1);
  }

  private reportProgress(fraction: number, measurement?: string): void {
    this.progress = { ...this.progress, fraction, measurement };
    this.options.onProgress?.(this.progress);
  }

  private async purgeMeasurement(
    measurement: string,
    retentionPolicy: string | undefined,
    otherPolicies: RetentionPolicyInfo[],
    grid: SliceGrid,
    index: number,
  ): Promise<MeasurementReport> {
    const { settings } = this;
    const { database } = this.options.target;
    const started = this.io.now();
    const source: SeriesSource = { database, retentionPolicy, measurement };
    const report: MeasurementReport = {
      measurement,
      cutoff: grid.cutoff,
      matched: 0,
      deleted: 0,
      downsampled: 0,
      dryRun: settings.dryRun,
      durationMs: 0,
      database,
      retentionPolicy,
      where: tagFilterObject(settings.where),
      slices: 0,
    };
    const downsample: DownsampleSpec | undefined =
      settings.mode === 'downsample-delete'
        ? {
            target: { database, retentionPolicy, measurement: downsampleTarget(settings, measurement) },
            everyMs: settings.downsampleEveryMs,
            aggregates: settings.downsampleAggregates,
          }
        : undefined;
    if (downsample) report.downsampleTo = downsample.target.measurement;
    const share = 1 / settings.measurements.length;
    this.reportProgress(index * share, measurement);
    const finish = (): MeasurementReport => ({ ...report, durationMs: this.io.now() - started });

    const fields = parseFieldKeys(await this.query(showFieldKeysStatement(source)));
    if (fields.size === 0) return finish();
    const onField = settings.where.find((c) => fields.has(c.key));
    if (onField) {
      throw new PurgeError('WHERE_ON_FIELD', `"${onField.key}" is a field of ${JSON.stringify(measurement)}, not a tag: InfluxDB deletes by tag and time only`, {
        key: onField.key,
        measurement,
      });
    }
    const everything: TimeRange = { start: INFLUX_MIN_MS, end: grid.cutoff };
    for (const other of otherPolicies) {
      const found = firstRowTime(await this.query(oldestPointStatement({ ...source, retentionPolicy: other.name }, everything, settings.where)));
      if (found !== undefined) {
        throw new PurgeError(
          'OTHER_RP_HAS_DATA',
          `retention policy ${JSON.stringify(other.name)} also holds ${JSON.stringify(measurement)} points older than the cutoff, and InfluxDB's DELETE would remove them too: refusing`,
          { measurement, retentionPolicy: other.name },
        );
      }
    }

    const first = firstRowTime(await this.query(oldestPointStatement(source, everything, settings.where)));
    if (first === undefined) return finish();
    const part = { source, downsample, report };
    let position = first;
    while (position < grid.cutoff) {
      const slice = sliceAt(position, grid);
      const matched = await this.countPoints(source, slice);
      if (matched > 0) {
        await this.processRange(part, slice, matched, grid.alignMs);
        report.slices++;
        this.progress.slices++;
      }
      this.reportProgress((index + progressFraction(first, grid.cutoff, slice.end)) * share, measurement);
      if (slice.end >= grid.cutoff) break;
      if (matched > 0) {
        position = slice.end;
      } else {
        // Jump over a gap (a device that was offline for months) instead of counting empty slices.
        const next = firstRowTime(await this.query(oldestPointStatement(source, { start: slice.end, end: grid.cutoff }, settings.where)));
        if (next === undefined) break;
        position = next;
      }
    }
    return finish();
  }

  private async countPoints(source: SeriesSource, range: TimeRange): Promise<number> {
    return pointsFromCounts(parseSeriesFieldCounts(await this.query(countStatement(source, range, this.settings.where))));
  }

  /** Splits `range` until each piece holds at most maxPoints (or is one bucket), then runs it. */
  private async processRange(
    part: { source: SeriesSource; downsample: DownsampleSpec | undefined; report: MeasurementReport },
    range: TimeRange,
    matched: number,
    alignMs: number,
  ): Promise<void> {
    if (matched === 0) return;
    if (matched > this.maxPoints && range.end - range.start > alignMs) {
      for (const piece of splitSlice(range, Math.ceil(matched / this.maxPoints), alignMs)) {
        await this.processRange(part, piece, await this.countPoints(part.source, piece), alignMs);
      }
      return;
    }
    const { settings } = this;
    const { source, downsample, report } = part;
    report.matched += matched;
    this.progress.matched += matched;
    if (downsample) {
      const expected = parseSeriesFieldCounts(await this.query(downsampleCountStatement(source, range, settings.where, downsample)));
      const wouldWrite = pointsFromCounts(expected);
      if (settings.dryRun) {
        report.downsampled += wouldWrite;
        this.progress.downsampled += wouldWrite;
        return;
      }
      if (wouldWrite === 0) {
        throw new PurgeError(
          'DOWNSAMPLE_EMPTY',
          `${settings.downsampleAggregates.join(', ')} gives no value for ${matched} points of ${JSON.stringify(source.measurement)} (fields that are not numbers?): refusing to delete them`,
          { measurement: source.measurement, matched, aggregate: settings.downsampleAggregates.join(', ') },
        );
      }
      const written = await this.writeAggregates(source, range, downsample);
      const found = parseSeriesFieldCounts(await this.query(countStatement(downsample.target, range, settings.where)));
      const shortfalls = downsampleShortfalls(expected, found);
      if (shortfalls.length > 0) {
        const s = shortfalls[0] as (typeof shortfalls)[number];
        throw new PurgeError(
          'DOWNSAMPLE_UNVERIFIED',
          `downsampling ${JSON.stringify(source.measurement)} into ${JSON.stringify(downsample.target.measurement)} wrote ${written} points, but ${s.field} of series ${s.series} has ${s.found} of ${s.expected} values: nothing of this slice was deleted`,
          { measurement: source.measurement, target: downsample.target.measurement, field: s.field, found: s.found, expected: s.expected },
        );
      }
      report.downsampled += written;
      this.progress.downsampled += written;
    }
    if (settings.dryRun) return;
    await this.deleteRange(source.measurement, range);
    const remaining = await this.countPoints(source, range);
    const deleted = Math.max(0, matched - remaining);
    report.deleted += deleted;
    this.progress.deleted += deleted;
  }

  /** SELECT … INTO on 1.x; on 2.x the aggregates are queried and written through the write API. */
  private async writeAggregates(source: SeriesSource, range: TimeRange, downsample: DownsampleSpec): Promise<number> {
    if (this.plan.downsample === 'select-into') return writtenCount(await this.query(downsampleStatement(source, range, this.settings.where, downsample)));
    const readings = aggregateReadings(await this.query(aggregateStatement(source, range, this.settings.where, downsample)), downsample.target.measurement);
    if (readings.length === 0) return 0;
    if (this.options.isCancelled?.()) throw new PurgeError('CANCELLED', 'the run was cancelled', {});
    await this.port('writeLines')(readings.map(encodeReading).join('\n'));
    return readings.length;
  }

  /** InfluxQL DELETE on 1.x; `/api/v2/delete` on 2.x, one request per value combination of `where`. */
  private async deleteRange(measurement: string, range: TimeRange): Promise<void> {
    if (this.plan.delete === 'influxql') {
      await this.query(deleteStatement(measurement, range, this.settings.where));
      return;
    }
    const remove = this.port('deletePoints');
    for (const request of deleteRequests(measurement, range, this.settings.where)) {
      if (this.options.isCancelled?.()) throw new PurgeError('CANCELLED', 'the run was cancelled', {});
      this.options.onStatement?.(`DELETE ${JSON.stringify(request)}`);
      await remove(request);
    }
  }

  /** A call the plan needs from the io port; its absence is a wiring bug, reported as such. */
  private port<K extends 'deletePoints' | 'writeLines' | 'bucketRetention' | 'setBucketRetention'>(name: K): NonNullable<PurgeIo[K]> {
    const fn = this.io[name];
    if (!fn) throw new PurgeError('SERVER', `the InfluxDB ${this.plan.version}.x port has no ${name}`, { reason: `no ${name}` });
    return (fn as (...args: unknown[]) => unknown).bind(this.io) as NonNullable<PurgeIo[K]>;
  }

  /**
   * 2.x: the bucket's expire rule becomes olderThan. InfluxDB 2.x keeps whole seconds and at
   * least one hour (https://docs.influxdata.com/influxdb/v2/reference/internals/data-retention/).
   */
  private async applyBucketRetention(): Promise<void> {
    const started = this.io.now();
    const everySeconds = Math.round(this.settings.olderThanMs / 1000);
    if (everySeconds < 3600) {
      throw new PurgeError('REFUSED_BY_VERSION', 'InfluxDB 2.x does not allow a bucket retention shorter than 1h', {
        version: '2.x',
        feature: 'a bucket retention shorter than 1h',
        hint: 'set olderThan to 1h or more',
      });
    }
    const current = await this.port('bucketRetention')();
    const action: BucketRetentionReport['action'] = current.everySeconds === everySeconds ? 'unchanged' : 'altered';
    if (!this.settings.dryRun && action === 'altered') await this.port('setBucketRetention')(everySeconds);
    this.reports.push({
      bucket: current.bucket,
      action,
      duration: durationText(everySeconds * 1000),
      previous: { duration: durationText(current.everySeconds * 1000) },
      dryRun: this.settings.dryRun,
      durationMs: this.io.now() - started,
    });
    this.reportProgress(1);
  }

  private async applyRetentionPolicy(): Promise<void> {
    this.requireFeatures();
    const { settings } = this;
    const { database } = this.options.target;
    const started = this.io.now();
    const policies = await this.policies();
    const name = settings.rpName || this.options.target.retentionPolicy || policies.find((p) => p.isDefault)?.name;
    if (!name) throw new PurgeError('RP_NOT_FOUND', `database ${JSON.stringify(database)} has no default retention policy: set rpName`, { retentionPolicy: '', database });
    const existing = policies.find((p) => p.name === name);
    const spec = { database, name, durationMs: settings.olderThanMs, shardDurationMs: settings.rpShardDurationMs, makeDefault: settings.rpDefault };
    const changes =
      !existing ||
      existing.durationMs !== spec.durationMs ||
      (spec.shardDurationMs !== undefined && existing.shardGroupDurationMs !== spec.shardDurationMs) ||
      (spec.makeDefault && !existing.isDefault);
    const action: RetentionPolicyReport['action'] = !existing ? 'created' : changes ? 'altered' : 'unchanged';
    let after: RetentionPolicyInfo = {
      name,
      durationMs: spec.durationMs,
      shardGroupDurationMs: spec.shardDurationMs ?? (existing && existing.durationMs === spec.durationMs ? existing.shardGroupDurationMs : defaultShardGroupDuration(spec.durationMs)),
      replicaN: existing?.replicaN ?? 1,
      isDefault: spec.makeDefault || !!existing?.isDefault,
    };
    if (!settings.dryRun && changes) {
      await this.query(existing ? alterRetentionPolicyStatement(spec) : createRetentionPolicyStatement(spec));
      after = (await this.policies()).find((p) => p.name === name) ?? after;
    }
    this.reports.push({
      retentionPolicy: name,
      database,
      action,
      duration: durationText(after.durationMs),
      shardDuration: durationText(after.shardGroupDurationMs),
      default: after.isDefault,
      previous: existing ? { duration: durationText(existing.durationMs), shardDuration: durationText(existing.shardGroupDurationMs), default: existing.isDefault } : null,
      expiringShardGroups: await this.expiringShardGroups(name, after.durationMs),
      dryRun: settings.dryRun,
      durationMs: this.io.now() - started,
    });
    this.reportProgress(1);
  }

  /** Shard groups of the policy that end before now − duration: what InfluxDB will drop. */
  private async expiringShardGroups(policy: string, durationMs: number): Promise<number | undefined> {
    let result: QueryResult | undefined;
    try {
      result = await this.query(showShardGroupsStatement());
    } catch (err) {
      if (err instanceof PurgeError && err.code === 'CANCELLED') throw err;
      return undefined; // SHOW SHARD GROUPS needs admin rights; the report says "unknown".
    }
    if (durationMs === 0) return 0;
    const limit = this.io.now() - durationMs;
    let count = 0;
    for (const series of result?.series ?? []) {
      const col = (n: string): number => series.columns.indexOf(n);
      for (const row of series.values ?? []) {
        const end = Date.parse(String(row[col('end_time')]));
        if (row[col('database')] === this.options.target.database && row[col('retention_policy')] === policy && end < limit) count++;
      }
    }
    return count;
  }
}

/** Convenience: one run. */
export function runPurge(io: PurgeIo, options: RunOptions): Promise<RunResult> {
  return new PurgeRunner(io, options).run();
}
