import { type ConfigProblem, type ConfigResult, configResult } from '../config-result';

/**
 * The `telemetry-influxdb` config (README "InfluxDB versions"): which API version, and where
 * writes go. `version` absent means 1, so flows saved before it existed behave as before.
 */

export type InfluxVersion = 1 | 2 | 3;

export interface InfluxConnectionConfig {
  url?: unknown;
  version?: unknown;
  database?: unknown;
  retentionPolicy?: unknown;
  org?: unknown;
  bucket?: unknown;
  timeout?: unknown;
  noSync?: unknown;
}

export interface InfluxConnection {
  url: string;
  version: InfluxVersion;
  /** Where writes go: the database (1.x, 3.x) or the bucket (2.x). */
  database: string;
  retentionPolicy: string | undefined;
  org: string | undefined;
  bucket: string | undefined;
  timeoutMs: number;
  noSync: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:8086';
const DEFAULT_DATABASE = 'telemetry';

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
}

/** `"1"`, `"2"`, `"3"` (or the numbers); absent or empty = 1; anything else undefined. */
export function parseInfluxVersion(value: unknown): InfluxVersion | undefined {
  const s = text(value);
  if (s === '') return 1;
  return s === '1' || s === '2' || s === '3' ? (Number(s) as InfluxVersion) : undefined;
}

/** The connection of a config (saved, or the dialog's values for *Test connection*). */
export function parseInfluxConnection(config: InfluxConnectionConfig): ConfigResult<InfluxConnection> {
  const problems: ConfigProblem[] = [];
  const version = parseInfluxVersion(config.version);
  if (version === undefined) problems.push({ key: 'errors.version', params: { value: text(config.version) } });
  const url = text(config.url) || DEFAULT_URL;
  if (!/^https?:\/\/[^\s@]+$/.test(url)) problems.push({ key: 'errors.url' });
  const org = text(config.org);
  const bucket = text(config.bucket);
  if (version === 2 && org === '') problems.push({ key: 'errors.org' });
  if (version === 2 && (bucket === '' || /[\r\n]/.test(bucket))) problems.push({ key: 'errors.bucket' });
  const database = version === 2 ? bucket : text(config.database) || (version === 1 ? DEFAULT_DATABASE : '');
  if (version !== 2 && (database === '' || /[\r\n]/.test(database))) problems.push({ key: 'errors.database' });
  const timeout = Number(config.timeout);
  return configResult(problems, () => ({
    url,
    version: version as InfluxVersion,
    database,
    retentionPolicy: version === 1 ? text(config.retentionPolicy) || undefined : undefined,
    org: version === 2 ? org : undefined,
    bucket: version === 2 ? bucket : undefined,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 10_000,
    noSync: version === 3 && (config.noSync === true || config.noSync === 'true'),
  }));
}
