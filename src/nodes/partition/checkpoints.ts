/**
 * Per-partition checkpoints on the broker (DESIGN §7 "a store every member reaches"): a retained
 * QoS 1 message `<topicPrefix>/<group>/state/<p>` holding
 * `{ "v": 1, "group", "partition", "member", "savedAt", "holders": { <node id>: state } }`.
 *
 * Reading one needs no standing subscription to every partition's state (which would keep the
 * whole group's state in every member's memory): subscribe to p's state topic, then publish a
 * marker to this member's own probe topic; the broker sends the retained checkpoint (if any)
 * while handling the SUBSCRIBE, before it handles the marker, so once the marker is back the
 * checkpoint has arrived or there is none. MARKER_TIMEOUT_MS bounds the wait on brokers that
 * order differently (then "none so far" is taken, and the node warns).
 */
import type { Clock } from '../../core/clock';
import type { PartitionStates } from '../shared/partition-registry';

export interface Checkpoint {
  v: 1;
  group: string;
  partition: number;
  member: string;
  savedAt: number;
  holders: PartitionStates;
}

export interface CheckpointLink {
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  subscribe(filter: string): Promise<void>;
  unsubscribe(filter: string): Promise<void>;
}

export const MARKER_TIMEOUT_MS = 10_000;

interface Reading {
  checkpoint: Checkpoint | undefined;
  bad: string | undefined;
  marker: string;
  finish(timedOut: boolean): void;
}

export class CheckpointStore {
  private readonly reads = new Map<number, Reading>();
  private seq = 0;

  constructor(
    private readonly link: CheckpointLink,
    private readonly topicOf: (p: number) => string,
    private readonly markerTopic: string,
    private readonly who: { group: string; member: string },
    private readonly clock: Clock,
  ) {}

  async write(p: number, holders: PartitionStates): Promise<void> {
    const checkpoint: Checkpoint = { v: 1, group: this.who.group, partition: p, member: this.who.member, savedAt: this.clock.now(), holders };
    await this.link.publish(this.topicOf(p), JSON.stringify(checkpoint), true);
  }

  /** p's last checkpoint (undefined if none). A checkpoint that is not ours to read is an Error. */
  async read(p: number): Promise<{ checkpoint: Checkpoint | undefined; warning?: string }> {
    if (this.reads.has(p)) throw new Error(`partition ${p}: a checkpoint read is already running`);
    const topic = this.topicOf(p);
    const marker = `${p}:${++this.seq}`;
    let timer: unknown;
    const result = new Promise<{ checkpoint: Checkpoint | undefined; warning?: string }>((resolve) => {
      const reading: Reading = {
        checkpoint: undefined,
        bad: undefined,
        marker,
        finish: (timedOut) => {
          this.clock.clearTimeout(timer);
          this.reads.delete(p);
          const warning = timedOut ? `partition ${p}: the broker did not echo the checkpoint marker within ${MARKER_TIMEOUT_MS / 1000}s` : reading.bad;
          resolve(warning ? { checkpoint: reading.checkpoint, warning } : { checkpoint: reading.checkpoint });
        },
      };
      this.reads.set(p, reading);
    });
    try {
      await this.link.subscribe(topic);
      timer = this.clock.setTimeout(() => this.reads.get(p)?.finish(true), MARKER_TIMEOUT_MS);
      await this.link.publish(this.markerTopic, marker);
    } catch (err) {
      this.reads.delete(p);
      throw err;
    }
    const out = await result;
    await this.link.unsubscribe(topic).catch(() => undefined);
    return out;
  }

  /** Feeds a message of the link; true when it was a checkpoint or marker this store waits for. */
  onMessage(topic: string, payload: Buffer): boolean {
    if (topic === this.markerTopic) {
      const text = payload.toString('utf8');
      for (const reading of this.reads.values()) if (reading.marker === text) reading.finish(false);
      return true;
    }
    for (const [p, reading] of this.reads) {
      if (topic !== this.topicOf(p)) continue;
      const parsed = parseCheckpoint(payload, p, this.who.group);
      if (parsed instanceof Error) reading.bad = parsed.message;
      else reading.checkpoint = parsed;
      return true;
    }
    return false;
  }
}

export function parseCheckpoint(payload: Buffer, p: number, group: string): Checkpoint | undefined | Error {
  if (payload.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return new Error(`partition ${p}: the checkpoint is not JSON; starting without it`);
  }
  const c = value as Partial<Checkpoint>;
  if (typeof c !== 'object' || c === null || c.v !== 1 || typeof c.holders !== 'object' || c.holders === null) {
    return new Error(`partition ${p}: the checkpoint has an unknown format; starting without it`);
  }
  if (c.partition !== p || c.group !== group) return new Error(`partition ${p}: the checkpoint belongs to partition ${String(c.partition)} of "${String(c.group)}"; starting without it`);
  return c as Checkpoint;
}
