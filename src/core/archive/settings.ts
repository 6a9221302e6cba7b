import path from 'node:path';
import { type ConfigProblem, type ConfigResult, configResult } from '../config-result';
import { DurationError, parseDuration } from '../duration';
import type { OnSpoolFull } from '../spool/types';
import { type FieldTypes, parseFieldTypes } from './field-types';

/** Config as saved in the flow (README "How each node behaves", telemetry-archive; names are public API). */
export interface ArchiveConfig {
  server: string;
  batchSize?: number | string;
  flushInterval?: string | number;
  maxConcurrent?: number | string;
  maxRetries?: number | string;
  maxBackoff?: string | number;
  spool?: boolean | string;
  spoolDir?: string;
  spoolMaxMB?: number | string;
  onSpoolFull?: string;
  /** `auto` (default): compress unless InfluxDB is on this machine; `true`/`false`: always/never. */
  gzip?: boolean | string;
  allowMsgOverride?: boolean | string;
  /** `count:integer,state:string` (field-types.ts). */
  fieldTypes?: string;
  /** Spool replay cap in points/s; blank or `auto`: adaptive only (replay-pacer.ts). */
  replayRate?: number | string;
}

export interface ArchiveSettings {
  batchSize: number;
  flushIntervalMs: number;
  maxConcurrent: number;
  maxRetries: number;
  maxBackoffMs: number;
  spool: boolean;
  spoolDir: string;
  spoolMaxBytes: number;
  onSpoolFull: OnSpoolFull;
  gzip: boolean | 'auto';
  allowMsgOverride: boolean;
  fieldTypes: FieldTypes;
  /** Points/s spool replay never exceeds; undefined: adaptive only. */
  replayRateCap: number | undefined;
}

export const DEFAULTS = {
  batchSize: 5000,
  flushInterval: '1s',
  maxConcurrent: 2,
  maxRetries: 3,
  maxBackoff: '30s',
  spoolMaxMB: 512,
  onSpoolFull: 'drop-oldest' as OnSpoolFull,
};

/** With the disk spool off, failed batches wait in memory, at most this much. */
export const MEMORY_SPOOL_MAX_BYTES = 64 * 1024 * 1024;

function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

// The readers below add a problem and return the default, so one pass finds every problem.

function integer(problems: ConfigProblem[], name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (blank(value)) return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  problems.push({ key: 'badInteger', params: { name, value: String(value), min: String(min), max: String(max) } });
  return fallback;
}

function duration(problems: ConfigProblem[], name: string, value: unknown, fallback: string, minMs: number, maxMs: number): number {
  let ms: number;
  try {
    ms = parseDuration(blank(value) ? fallback : value);
  } catch (err) {
    const reason = err instanceof DurationError ? err.message : String(err);
    problems.push({ key: 'badDuration', params: { name, value: String(value), reason } });
    return parseDuration(fallback);
  }
  if (ms >= minMs && ms <= maxMs) return ms;
  problems.push({ key: 'durationRange', params: { name, value: String(value), min: `${minMs}ms`, max: `${maxMs / 1000}s` } });
  return parseDuration(fallback);
}

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  return value === true || value === 'true';
}

function isOnSpoolFull(value: string): value is OnSpoolFull {
  return value === 'drop-oldest' || value === 'reject-new';
}

/**
 * Reads the node's config once, with defaults. Problems are keys under the catalogue's
 * `errors.`; every problem found is reported, not only the first.
 */
export function parseArchiveSettings(config: ArchiveConfig, context: { userDir: string; nodeId: string }): ConfigResult<ArchiveSettings> {
  const problems: ConfigProblem[] = [];
  const spoolMaxMB = blank(config.spoolMaxMB) ? DEFAULTS.spoolMaxMB : Number(config.spoolMaxMB);
  if (!Number.isFinite(spoolMaxMB) || spoolMaxMB <= 0 || spoolMaxMB > 1_000_000) {
    problems.push({ key: 'badSpoolMax', params: { value: String(config.spoolMaxMB) } });
  }
  const onSpoolFull = blank(config.onSpoolFull) ? DEFAULTS.onSpoolFull : String(config.onSpoolFull);
  if (!isOnSpoolFull(onSpoolFull)) problems.push({ key: 'badOnSpoolFull', params: { value: onSpoolFull } });
  const batchSize = integer(problems, 'batchSize', config.batchSize, DEFAULTS.batchSize, 1, 100_000);
  const flushIntervalMs = duration(problems, 'flushInterval', config.flushInterval, DEFAULTS.flushInterval, 10, 3_600_000);
  const maxConcurrent = integer(problems, 'maxConcurrent', config.maxConcurrent, DEFAULTS.maxConcurrent, 1, 16);
  const maxRetries = integer(problems, 'maxRetries', config.maxRetries, DEFAULTS.maxRetries, 0, 100);
  const maxBackoffMs = duration(problems, 'maxBackoff', config.maxBackoff, DEFAULTS.maxBackoff, 100, 86_400_000);
  const fieldTypes = parseFieldTypes(config.fieldTypes, problems);
  const replayRateCap =
    blank(config.replayRate) || String(config.replayRate).trim() === 'auto'
      ? undefined
      : integer(problems, 'replayRate', config.replayRate, 0, 1, 10_000_000);
  const spoolDir = blank(config.spoolDir)
    ? path.join(context.userDir, 'telemetry-spool', context.nodeId.replace(/[^A-Za-z0-9._-]/g, '_'))
    : path.resolve(context.userDir, String(config.spoolDir).trim());
  return configResult(problems, () => ({
    batchSize,
    flushIntervalMs,
    maxConcurrent,
    maxRetries,
    maxBackoffMs,
    spool: flag(config.spool, true),
    spoolDir,
    spoolMaxBytes: Math.floor(spoolMaxMB * 1024 * 1024),
    onSpoolFull: onSpoolFull as OnSpoolFull,
    gzip: config.gzip === undefined || config.gzip === '' || config.gzip === 'auto' ? 'auto' : flag(config.gzip, true),
    allowMsgOverride: flag(config.allowMsgOverride, false),
    fieldTypes,
    replayRateCap,
  }));
}

/**
 * Whether to gzip request bodies. On loopback compression only costs CPU on both ends (measured:
 * bench/archive.bench.js); over a network the body is ~9× smaller.
 */
export function useGzip(setting: boolean | 'auto', url: string): boolean {
  if (setting !== 'auto') return setting;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return true;
  }
  return !(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}

/** A database or retention policy name from `msg`: why it cannot be used, or undefined. */
export function checkTargetName(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'is empty';
  if (value.length > 255) return 'is longer than 255 characters';
  if (/[\u0000-\u001f]/.test(value)) return 'contains a control character';
  return undefined;
}
