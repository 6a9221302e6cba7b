/**
 * The monitor registry (issue #20, README "Seeing your pipeline"): one per Node-RED process.
 * `startNode` registers every controller that can describe itself (`figures()`), and removes
 * it on close; the monitor publisher (monitor-publisher.ts) reads the figures at most once a
 * second while an editor watches, and the ingest parse preview reads an ingest's last input.
 *
 * Controllers only count: a figure is a field or a cheap method of state they already keep.
 * Everything here is bounded: a few refused samples per node, each clipped.
 */
import type { TelemetryMsg } from './red';

/** What a node reports; every part but `readings` only where it applies. */
export interface MonitorFigures {
  /** Readings (or msgs, for nodes without readings) taken in since the node started: the rate. */
  readings: number;
  /** Readings or msgs refused since the node started (output 2, or done(err)). */
  refused?: number;
  /** The archive's disk spool. */
  spool?: { points: number; bytes: number };
  /** Ack-after-archive: inputs held until their readings are durable. */
  ackBacklog?: number;
  /** The window engine. */
  windows?: { open: number; keys: number; late: number };
  /** The heartbeat watch; `downList` longest silent first, at most the limit asked for. */
  devices?: { up: number; down: number; downList: string[] };
  /** The alert node: keys alerting now. */
  alerting?: number;
  /** The partition node: partitions this member owns of all, live members, readings awaiting the broker's PUBACK. */
  partitions?: { owned: number; total: number; members: number; publishing: number };
}

/** One refused msg as the sidebar shows it. */
export interface RefusedSample {
  at: number;
  code: string;
  reason: string;
  /** The refused content, as JSON or text, clipped to SAMPLE_CHARS. */
  sample: string;
}

/** An ingest's last input, for the parse preview. */
export interface LastInput {
  topic: string | undefined;
  payload: unknown;
}

/** What a controller offers to the monitor (optional methods of NodeController). */
export interface Monitored {
  figures(limits: FigureLimits): MonitorFigures;
  refusals?(): RefusedSample[];
  lastInput?(): LastInput | undefined;
}

export interface FigureLimits {
  /** Longest list a figure may hold (the heartbeat's down list). */
  list: number;
}

export interface MonitorEntry {
  id: string;
  type: string;
  source: Monitored;
}

/** Refused samples kept per node (the newest). */
export const REFUSED_SAMPLES = 5;
/** Characters kept of a refused sample and of its reason. */
export const SAMPLE_CHARS = 200;

const entries = new Map<string, MonitorEntry>();

/** Registers a node; the returned function removes it (only if it is still this entry). */
export function registerMonitored(node: { id: string; type: string }, source: Monitored): () => void {
  const entry: MonitorEntry = { id: node.id, type: node.type, source };
  entries.set(node.id, entry);
  return () => {
    if (entries.get(node.id) === entry) entries.delete(node.id);
  };
}

export function monitoredNodes(): IterableIterator<MonitorEntry> {
  return entries.values();
}

export function monitoredNode(id: string): MonitorEntry | undefined {
  return entries.get(id);
}

/** The last few refusals of one node: a ring of REFUSED_SAMPLES clipped samples. */
export class RefusalLog {
  private readonly samples: RefusedSample[] = [];
  count = 0;

  /** Records an output-2 msg (`msg.error = {code, message}`); `weight` adds to the count. */
  add(msg: TelemetryMsg, now: number, weight = 1): void {
    this.count += weight;
    const error = msg.error ?? { code: 'REFUSED', message: '' };
    this.samples.push({ at: now, code: clip(String(error.code)), reason: clip(String(error.message)), sample: describe(msg.payload) });
    if (this.samples.length > REFUSED_SAMPLES) this.samples.shift();
  }

  list(): RefusedSample[] {
    return this.samples.slice();
  }
}

function clip(text: string): string {
  return text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS - 1)}…` : text;
}

/** Text of a payload for a person to read; never more than SAMPLE_CHARS are kept. */
function describe(payload: unknown): string {
  if (typeof payload === 'string') return clip(payload);
  if (Buffer.isBuffer(payload)) return clip(payload.subarray(0, SAMPLE_CHARS * 4).toString('utf8'));
  try {
    return clip(JSON.stringify(payload) ?? String(payload));
  } catch {
    return clip(String(payload));
  }
}
