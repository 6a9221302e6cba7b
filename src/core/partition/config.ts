/**
 * telemetry-partition's configuration as saved in the flow (DESIGN §7; names are public API)
 * → validated settings. Every problem is reported with an i18n key, all at once.
 */
import { type ConfigProblem, type ConfigResult, configResult } from '../config-result';
import { parseDuration } from '../duration';

export interface RawPartitionConfig {
  broker?: unknown;
  group?: unknown;
  topicPrefix?: unknown;
  partitions?: unknown;
  key?: unknown;
  assignment?: unknown;
  instances?: unknown;
  instance?: unknown;
  memberId?: unknown;
  /** `archive` (default): PUBACK a partition message once a durable sink completed it; `none`: once sent on. */
  ackMode?: unknown;
  ackTimeout?: unknown;
}

export type Assignment = { kind: 'dynamic'; memberId: string } | { kind: 'static'; instance: number; instances: number };

export interface PartitionSettings {
  group: string;
  topicPrefix: string;
  partitions: number;
  keys: string[];
  assignment: Assignment;
  /** Ack-after-archive for partition messages; undefined = PUBACK once the next node has the msg. */
  ack: { timeoutMs: number } | undefined;
}

export const DEFAULTS = {
  group: 'pipeline',
  topicPrefix: 'telemetry/partition',
  partitions: 32,
  key: 'device',
  ackMode: 'archive',
  ackTimeout: '30s',
};

export const MAX_PARTITIONS = 1024;
export const MAX_NAME_LENGTH = 128;

type Report = (key: string, params?: Record<string, string | number>) => void;

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

/** A topic level: no wildcard, no separator, not empty (group and member id go into topics). */
function checkLevel(name: string, value: string, problem: Report): void {
  if (value === '' || value.length > MAX_NAME_LENGTH || /[+#/\u0000]/.test(value)) problem('badName', { name, value });
}

/** `defaultMemberId` is what the shell derives (host name and Node-RED port). */
export function parsePartitionConfig(raw: RawPartitionConfig, defaultMemberId: string): ConfigResult<PartitionSettings> {
  const problems: ConfigProblem[] = [];
  const problem: Report = (key, params) => problems.push(params ? { key, params } : { key });

  const group = text(raw.group) || DEFAULTS.group;
  checkLevel('group', group, problem);

  const topicPrefix = (text(raw.topicPrefix) || DEFAULTS.topicPrefix).replace(/\/+$/, '');
  if (topicPrefix === '' || /[+#\u0000]/.test(topicPrefix) || topicPrefix.startsWith('$') || topicPrefix.includes('//')) {
    problem('badTopicPrefix', { value: text(raw.topicPrefix) });
  }

  const partitionsText = text(raw.partitions);
  const partitions = partitionsText === '' ? DEFAULTS.partitions : Number(partitionsText);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    problem('badPartitions', { value: partitionsText, max: MAX_PARTITIONS });
  }

  const keys = (text(raw.key) || DEFAULTS.key).split(',').map((k) => k.trim());
  if (keys.some((k) => k === '') || new Set(keys).size !== keys.length) problem('badKey', { value: text(raw.key) });

  const kind = text(raw.assignment) || 'dynamic';
  let assignment: Assignment = { kind: 'dynamic', memberId: '' };
  if (kind === 'dynamic') {
    const memberId = text(raw.memberId) || defaultMemberId;
    checkLevel('memberId', memberId, problem);
    assignment = { kind: 'dynamic', memberId };
  } else if (kind === 'static') {
    const instances = Number(text(raw.instances));
    const instance = Number(text(raw.instance));
    if (text(raw.instances) === '' || !Number.isInteger(instances) || instances < 1 || instances > MAX_PARTITIONS) {
      problem('badInstances', { value: text(raw.instances) });
    } else if (Number.isInteger(partitions) && instances > partitions) {
      problem('instancesAbovePartitions', { instances, partitions });
    }
    if (text(raw.instance) === '' || !Number.isInteger(instance) || instance < 0 || (Number.isInteger(instances) && instance >= instances)) {
      problem('badInstance', { value: text(raw.instance), max: Number.isInteger(instances) ? instances - 1 : 0 });
    }
    assignment = { kind: 'static', instance, instances };
  } else {
    problem('badAssignment', { value: kind });
  }

  let ack: PartitionSettings['ack'];
  const mode = text(raw.ackMode) || DEFAULTS.ackMode;
  if (mode === 'archive') {
    try {
      const timeoutMs = parseDuration(text(raw.ackTimeout) || DEFAULTS.ackTimeout);
      if (timeoutMs < 1_000 || timeoutMs > 3_600_000) problem('badDuration', { name: 'ackTimeout', reason: 'it must be from 1s to 1h' });
      ack = { timeoutMs };
    } catch (err) {
      problem('badDuration', { name: 'ackTimeout', reason: (err as Error).message });
    }
  } else if (mode !== 'none') {
    problem('badAckMode', { value: mode });
  }

  return configResult(problems, () => ({ group, topicPrefix, partitions, keys, assignment, ack }));
}

/** Topics of a group (one place, so every member and the docs agree). */
export function partitionTopics(prefix: string, group: string) {
  const base = `${prefix}/${group}`;
  return {
    partition: (p: number) => `${base}/${p}`,
    state: (p: number) => `${base}/state/${p}`,
    stateFilter: `${base}/state/+`,
    ready: (p: number) => `${base}/ready/${p}`,
    readyPrefix: `${base}/ready/`,
    readyFilter: `${base}/ready/+`,
    member: (id: string) => `${base}/members/${id}`,
    memberFilter: `${base}/members/+`,
    probe: (id: string) => `${base}/probe/${id}`,
  };
}
