/**
 * Sparkplug B messages → readings, refusals, death notices and rebirth requests (DESIGN §6,
 * README "Sparkplug B"). Stateful (alias maps, seq; sessions.ts), pure otherwise: the arrival
 * time is passed in, nothing is sent or published here; never throws.
 *
 * Readings: measurement = the node's `measurement`; tags `group`, `edge`, `device` (`<edge>` for
 * node messages, `<edge>/<device>` for device messages); one field per metric named by the
 * metric's name; time = the metric's timestamp, else the payload's, else arrival. Metrics of
 * one message with different timestamps (historical batches) make one reading per timestamp.
 */
import type { Liveness } from '../../liveness';
import { ReadingDraft, type DraftContext } from '../draft';
import type { IngestOptions, IngestResult, Rejection } from '../types';
import { type Int64, type WireMetric, type WirePayload, decodeSparkplug, has, int64ToNumber, rebirthPayload } from './codec';
import { type AliasKey, type EdgeSession, EdgeSessions, MAX_EDGE_NODES, MAX_METRICS, MAX_TOTAL_METRICS } from './sessions';
import { type DataMessageType, ncmdTopic, parseSparkplugTopic } from './topic';
import { metricFields } from './values';

export interface SparkplugResult extends IngestResult {
  /** NDEATH/DDEATH: the devices to mark down (liveness.ts). */
  liveness?: Liveness;
  /** An NCMD `Node Control/Rebirth` to publish (only when the ingest can publish). */
  rebirth?: { topic: string; payload: Uint8Array };
  /** A command (NCMD, DCMD) or host STATE message: not telemetry, neither read nor refused. */
  ignored?: boolean;
}

export interface SparkplugInput {
  payload: unknown;
  topic: string | undefined;
  now: number;
  /** The ingest has a broker to publish rebirth requests on. */
  canRebirth: boolean;
}

/** Metric names that are commands to the edge node, not measurements: never fields. */
const NODE_CONTROL = 'Node Control/';

export class SparkplugIngest {
  readonly sessions = new EdgeSessions();

  constructor(private readonly options: Pick<IngestOptions, 'measurement' | 'maxFutureMs' | 'maxPastMs'>) {}

  handle(input: SparkplugInput): SparkplugResult {
    const rejections: Rejection[] = [];
    const result: SparkplugResult = { readings: [], rejections, multiple: true, format: 'sparkplug' };
    try {
      this.read(input, result);
    } catch (err) {
      // A defect: refuse the message, keep the node alive.
      const detail = err instanceof Error ? err.message : String(err);
      result.readings = [];
      rejections.push({ code: 'INTERNAL_ERROR', message: `unexpected error while reading the Sparkplug payload: ${detail}`, scope: 'message' });
    }
    if (result.readings.length === 0 && rejections.length === 0 && !result.liveness && !result.ignored) {
      rejections.push({ code: 'EMPTY_PAYLOAD', message: 'the Sparkplug payload holds no metrics', scope: 'message' });
    }
    return result;
  }

  private read(input: SparkplugInput, result: SparkplugResult): void {
    const refuse = (code: Rejection['code'], message: string): void => {
      result.rejections.push({ code, message, scope: 'message' });
    };
    const topic = parseSparkplugTopic(input.topic);
    if (!topic.ok) return refuse('TOPIC_MISMATCH', topic.reason);
    if (topic.kind === 'command') {
      result.ignored = true; // commands and host STATE are not telemetry (help: "Sparkplug B")
      return;
    }
    const bytes = asBytes(input.payload);
    if (typeof bytes === 'string') return refuse('BAD_PAYLOAD', bytes);
    const decoded = decodeSparkplug(bytes);
    if (!decoded.ok) return refuse('PARSE_ERROR', `the payload is not a Sparkplug B protobuf: ${decoded.reason}`);
    const payload = decoded.payload;
    const { type, group, edge } = topic;
    const deviceTag = topic.device === undefined ? edge : `${edge}/${topic.device}`;
    const session = this.sessions.get(group, edge);

    if (type === 'NDEATH') return this.nodeDeath(session, payload, group, edge, result);
    let wantRebirth = false;
    if (type === 'NBIRTH' && session) this.sessions.rebirth(session, bdSeqOf(payload));
    if (session) {
      if (!this.checkSeq(session, type, payload, result)) wantRebirth = true;
      if (topic.device !== undefined && type !== 'DDEATH') this.sessions.addDevice(session, deviceTag);
    }
    if (type === 'DDEATH') {
      if (session) this.sessions.removeDevice(session, deviceTag);
      result.liveness = { status: 'down', devices: [deviceTag], reason: 'DDEATH', source: 'sparkplug' };
      return;
    }
    const birth = type === 'NBIRTH' || type === 'DBIRTH';
    const unresolved = this.readMetrics(payload, session, birth, { group, edge, device: deviceTag }, input.now, result);
    if (unresolved) wantRebirth = true;
    if (wantRebirth && input.canRebirth && session && this.sessions.takeRebirth(session, input.now)) {
      result.rebirth = { topic: ncmdTopic(group, edge), payload: rebirthPayload(input.now) };
    }
  }

  private nodeDeath(session: EdgeSession | undefined, payload: WirePayload, group: string, edge: string, result: SparkplugResult): void {
    const bdSeq = bdSeqOf(payload);
    if (session?.bdSeq !== undefined && bdSeq !== undefined && bdSeq !== session.bdSeq) {
      // The will of an earlier connection, delivered after the node came back (Sparkplug 3.0 bdSeq rule).
      result.rejections.push({
        code: 'STALE_DEATH',
        message: `NDEATH of ${group}/${edge} with bdSeq ${bdSeq} belongs to an earlier session (current bdSeq ${session.bdSeq}): ignored`,
        scope: 'message',
      });
      return;
    }
    const devices = [edge, ...(session ? [...session.devices] : [])];
    if (session) this.sessions.remove(session);
    result.liveness = { status: 'down', devices, reason: 'NDEATH', source: 'sparkplug' };
  }

  /** False on a gap (the session is then out of sync until its next NBIRTH). */
  private checkSeq(session: EdgeSession, type: DataMessageType, payload: WirePayload, result: SparkplugResult): boolean {
    if (!has(payload, 'seq')) return true;
    const seq = int64ToNumber(payload.seq, false);
    if (seq === undefined || seq > 255) {
      result.rejections.push({ code: 'SEQ_GAP', message: `seq ${String(seq ?? 'beyond 2^53')} is outside 0–255`, scope: 'message' });
      return true;
    }
    const expected = session.nextSeq;
    session.nextSeq = (seq + 1) % 256;
    if (type === 'NBIRTH' || expected === undefined || seq === expected) return true;
    session.inSync = false;
    result.rejections.push({
      code: 'SEQ_GAP',
      message: `${type} of ${session.group}/${session.edge} has seq ${seq}, expected ${expected}: messages were lost; metrics sent by alias are refused until its next NBIRTH`,
      scope: 'message',
    });
    return false;
  }

  /** Returns true when a metric named only by an alias could not be resolved. */
  private readMetrics(
    payload: WirePayload,
    session: EdgeSession | undefined,
    birth: boolean,
    tags: { group: string; edge: string; device: string },
    now: number,
    result: SparkplugResult,
  ): boolean {
    const ctx: DraftContext = {
      now,
      bounds: { maxFutureMs: this.options.maxFutureMs, maxPastMs: this.options.maxPastMs },
      topic: undefined,
      defaultMeasurement: this.options.measurement,
      rejections: result.rejections,
    };
    const payloadTime = has(payload, 'timestamp') ? int64ToNumber(payload.timestamp, false) : undefined;
    // One reading per distinct timestamp, in the order first seen.
    const drafts = new Map<number, ReadingDraft>();
    let unresolved = false;
    let aliasesDropped = 0;
    for (const metric of payload.metrics) {
      const alias = has(metric, 'alias') ? aliasKey(metric.alias) : undefined;
      let name = has(metric, 'name') ? metric.name : undefined;
      let datatype = has(metric, 'datatype') ? metric.datatype : 0;
      if (name === undefined) {
        if (alias === undefined) {
          result.rejections.push({ code: 'BAD_PAYLOAD', message: 'a metric has neither a name nor an alias', scope: 'field' });
          continue;
        }
        const entry = this.resolve(session, alias);
        if (typeof entry === 'string') {
          if (entry !== 'full') unresolved = true;
          result.rejections.push({ code: entry === 'full' ? 'STATE_FULL' : 'UNKNOWN_ALIAS', message: this.aliasProblem(entry, alias, tags), scope: 'field', field: `alias ${alias}` });
          continue;
        }
        name = entry.name;
        if (datatype === 0) datatype = entry.datatype;
      } else if (session) {
        if (birth) {
          if (alias !== undefined && !this.sessions.define(session, alias, { name, datatype })) aliasesDropped++;
          this.sessions.defineType(session, name, datatype);
        } else if (datatype === 0) {
          datatype = session.types.get(name) ?? 0;
        }
      }
      if (name.startsWith(NODE_CONTROL)) continue; // commands, not measurements (help says so)
      const time = has(metric, 'timestamp') ? int64ToNumber(metric.timestamp, false) : payloadTime;
      const at = time ?? now;
      let draft = drafts.get(at);
      if (!draft) {
        draft = new ReadingDraft(ctx, undefined);
        draft.addTag('group', tags.group);
        draft.addTag('edge', tags.edge);
        draft.addTag('device', tags.device);
        draft.timestamp = at;
        drafts.set(at, draft);
      }
      metricFields(metric, name, datatype, { field: (n, v) => draft.addField(n, v), refuse: (n, c, m) => draft.refuseField(n, c, m) });
    }
    if (aliasesDropped > 0) {
      result.rejections.push({
        code: 'STATE_FULL',
        message: `${aliasesDropped} alias(es) of ${tags.group}/${tags.edge} not kept: at most ${MAX_METRICS} per edge node and ${MAX_TOTAL_METRICS} in all`,
        scope: 'message',
      });
    }
    for (const draft of drafts.values()) {
      const reading = draft.finish();
      if (reading) result.readings.push(reading);
    }
    return unresolved;
  }

  private resolve(session: EdgeSession | undefined, alias: AliasKey): { name: string; datatype: number } | 'unknown' | 'stale' | 'full' {
    if (!session) return 'full';
    if (!session.inSync) return 'stale';
    return session.aliases.get(alias) ?? (session.overflowed ? 'full' : 'unknown');
  }

  private aliasProblem(kind: 'unknown' | 'stale' | 'full', alias: AliasKey, tags: { group: string; edge: string }): string {
    const node = `${tags.group}/${tags.edge}`;
    if (kind === 'full') return `alias ${alias} of ${node} is not kept: the alias maps are full (at most ${MAX_EDGE_NODES} edge nodes, ${MAX_METRICS} metrics each, ${MAX_TOTAL_METRICS} in all)`;
    if (kind === 'stale') return `alias ${alias} of ${node} is not trusted after a seq gap (waiting for its NBIRTH)`;
    return `alias ${alias} is not defined by a BIRTH of ${node} seen since Node-RED started`;
  }
}

function bdSeqOf(payload: WirePayload): number | undefined {
  const metric = payload.metrics.find((m: WireMetric) => m.name === 'bdSeq');
  if (!metric) return undefined;
  if (metric.longValue !== null) return int64ToNumber(metric.longValue, false);
  return metric.intValue ?? undefined;
}

function aliasKey(alias: Int64): AliasKey {
  const n = int64ToNumber(alias, false);
  return n ?? `${typeof alias === 'number' ? alias : `${alias.high}:${alias.low}`}`;
}

function asBytes(payload: unknown): Uint8Array | string {
  if (payload instanceof Uint8Array) return payload;
  // A wired mqtt-in set to "a UTF-8 string" re-encodes exactly; a Buffer output is better (help).
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload === undefined || payload === null) return 'the message has no payload';
  return `a Sparkplug B payload must be bytes (a Buffer), got ${Array.isArray(payload) ? 'an array' : typeof payload}`;
}
