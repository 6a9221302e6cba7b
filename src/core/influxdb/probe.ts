import type { InfluxVersion } from './connection';

/**
 * What *Test connection* found, in words (i18n keys under `probe.`): the facts come from
 * src/io/influx-probe.ts, the reading of them is here.
 */

export interface ProbeFacts {
  configured: InfluxVersion;
  /** The transport failure when the server did not answer at all. */
  unreachable?: string | undefined;
  /** From /ping's X-Influxdb-Version or /health's `version`. */
  serverVersion?: string | undefined;
  auth: 'ok' | 'refused' | 'forbidden' | 'unknown';
  /** The server's reason when auth is refused or forbidden, or a lookup failed. */
  detail?: string | undefined;
  /** 2.x: the organization was not found (or the token cannot see it). */
  orgMissing?: boolean | undefined;
  /** The database (2.x: bucket). `unknown` when the user may not list them. */
  target: 'exists' | 'missing' | 'unknown';
  name: string;
}

export interface ProbeLine {
  level: 'ok' | 'warn' | 'error';
  key: string;
  params?: Record<string, string>;
}

export interface ProbeReport {
  ok: boolean;
  lines: ProbeLine[];
}

/** The major version a version string names (`1.6.7`, `v2.7.1`, `3.0.0`), or undefined. */
export function majorVersion(version: string | undefined): InfluxVersion | undefined {
  const match = /^v?([123])\./.exec(String(version ?? '').trim());
  return match ? (Number(match[1]) as InfluxVersion) : undefined;
}

export function interpretProbe(facts: ProbeFacts): ProbeReport {
  if (facts.unreachable !== undefined) {
    return { ok: false, lines: [{ level: 'error', key: 'probe.unreachable', params: { reason: facts.unreachable } }] };
  }
  const lines: ProbeLine[] = [];
  const found = majorVersion(facts.serverVersion);
  if (facts.serverVersion === undefined) lines.push({ level: 'warn', key: 'probe.versionUnknown' });
  else if (found !== undefined && found !== facts.configured) {
    lines.push({ level: 'warn', key: 'probe.versionMismatch', params: { found: facts.serverVersion, configured: String(facts.configured) } });
  } else lines.push({ level: 'ok', key: 'probe.version', params: { found: facts.serverVersion } });

  const detail = facts.detail ?? '';
  if (facts.auth === 'refused') lines.push({ level: 'error', key: 'probe.authRefused', params: { reason: detail } });
  else if (facts.auth === 'forbidden') lines.push({ level: 'error', key: 'probe.authForbidden', params: { reason: detail } });
  else if (facts.auth === 'ok') lines.push({ level: 'ok', key: 'probe.authOk' });
  else lines.push({ level: 'warn', key: 'probe.authUnknown', params: { reason: detail } });

  const kind = facts.configured === 2 ? 'bucket' : 'database';
  const params = { name: facts.name };
  if (facts.orgMissing) lines.push({ level: 'error', key: 'probe.orgMissing', params: { reason: detail } });
  else if (facts.target === 'exists') lines.push({ level: 'ok', key: `probe.${kind}Exists`, params });
  else if (facts.target === 'missing') lines.push({ level: 'ok', key: `probe.${kind}WillBeCreated`, params });
  else if (facts.auth === 'ok') lines.push({ level: 'warn', key: `probe.${kind}Unknown`, params });
  return { ok: lines.every((line) => line.level !== 'error'), lines };
}
