/**
 * Everything the ingest node does with a msg, whatever its source (wired input or its own MQTT
 * subscription): parse it with the core, send the readings on output 1 (or gather them into a
 * micro-batch) and the refused part on output 2. At most one msg per output per input, except
 * that one input can complete several batches.
 *
 * Automatic batching (the default, `config.batch.auto`) gathers only the node's own MQTT
 * messages, which arrive many per event-loop turn under load; wired msgs arrive one per
 * Node-RED delivery and go out one per input. Shape rule: a batch holding the readings of one
 * message only (nothing joined it within the window) goes out as that message would unbatched
 * (the msg itself, a plain reading for a single reading); two or more messages make one
 * `Reading[]` msg.
 *
 * Retained MQTT messages (`msg.retain === true`, set by the node's own subscription and by the
 * core `mqtt in` node): `config.options.retained` decides what is read from them (core/ingest),
 * and every output-1 msg says whether its readings came from retained messages with
 * `msg.retain`: a batch never mixes retained and live readings (a change of kind sends the
 * pending batch first), so a heartbeat watch downstream can tell an old retained value from a
 * sign of life (issue #21).
 */
import type { Clock } from '../../core/clock';
import { ReadingBatcher } from '../../core/ingest/batcher';
import type { IngestConfig } from '../../core/ingest/config';
import { type IngestInput, ingest } from '../../core/ingest/ingest';
import { SparkplugIngest, type SparkplugResult } from '../../core/ingest/sparkplug/ingest';
import type { IngestResult } from '../../core/ingest/types';
import type { Reading } from '../../core/reading';
import { DeadlineTimer } from '../shared/deadline-timer';
import type { TelemetryMsg } from '../shared/red';
import { acceptedMsg, rejectionMsg } from './output';

/** [output 1, output 2]; each slot one msg, several msgs, or nothing. */
export type Outputs = [TelemetryMsg | TelemetryMsg[] | null, TelemetryMsg | null];
export type SendOutputs = (outputs: Outputs) => void;

/** What most inputs complete: no batch (never written to). */
const NO_MSGS: TelemetryMsg[] = [];

export interface IngestorHooks {
  /** Sends msgs that no input caused (the batch timer, close). */
  send: SendOutputs;
  /** Called once per input: readings accepted, msgs sent to output 2 (0 or 1). */
  counted(accepted: number, rejectedMsgs: number): void;
  /** Called for a retained message ignored whole (`retained: skip`). */
  skippedRetained?(): void;
  /**
   * Ack-after-archive: ids for batch msgs, so the msg ids that carry an input's readings are
   * known when it is handled (the runtime would only assign them on send).
   */
  newId?: () => string;
  /** Sparkplug rebirth requests (NCMD) go out here; absent for a wired-only ingest. */
  publish?: (topic: string, payload: Uint8Array) => void;
}

export class Ingestor {
  private readonly batcher: ReadingBatcher | undefined;
  /** The pending batch's deadline (batchInterval). */
  private readonly timer: DeadlineTimer;
  private batchTopic: string | undefined;
  /** _msgid of the pending batch (ack-after-archive only). */
  private batchId: string | undefined;
  /** Auto mode: the one message whose readings (all of them) the pending batch holds. */
  private lone: { msg: TelemetryMsg; multiple: boolean } | undefined;
  /** The pending batch holds readings of retained messages (never mixed with live ones). */
  private batchRetained = false;
  private readonly auto: boolean;
  /** Format "sparkplug": the edge nodes' alias maps and seq live here, per node. */
  private readonly sparkplug: SparkplugIngest | undefined;

  constructor(private readonly config: IngestConfig, private readonly hooks: IngestorHooks, private readonly clock: Clock) {
    this.sparkplug = config.options.format === 'sparkplug' ? new SparkplugIngest(config.options) : undefined;
    this.batcher = config.batch ? new ReadingBatcher(config.batch.size, config.batch.intervalMs) : undefined;
    this.auto = config.batch?.auto === true;
    this.timer = new DeadlineTimer(clock, (now) => this.onDue(now));
  }

  /**
   * Returns the `_msgid`s of the msgs that carry this input's accepted readings (empty when
   * none was accepted): its own id, or with batching the ids of the batches holding them.
   * `subscribed`: the msg came from the node's own subscription (automatic batching applies).
   */
  handle(msg: TelemetryMsg, send: SendOutputs, subscribed = false): string[] {
    const now = this.clock.now();
    const retained = msg.retain === true;
    const topic = typeof msg.topic === 'string' ? msg.topic : undefined;
    const input = { payload: msg.payload, topic, now, ...(retained ? { retained } : {}) };
    const result: IngestResult = this.sparkplug ? this.readSparkplug(this.sparkplug, input, send) : ingest(input, this.config.options);
    if (result.skipped) {
      this.hooks.skippedRetained?.();
      return [];
    }
    const accepted = result.readings.length;
    // Output 2 keeps the raw payload (output 1 is a new msg: the input is never changed).
    const rejected = result.rejections.length > 0 ? rejectionMsg(msg, result.rejections, accepted) : null;
    let first: Outputs[0] = null;
    const carriers: string[] = [];
    if (accepted > 0) {
      if (this.batcher && (subscribed || !this.auto)) {
        // Retained and live readings never share a msg: the pending batch of the other kind goes first.
        const other = this.batcher.length > 0 && this.batchRetained !== retained ? this.pendingMsg() : undefined;
        if (this.batcher.length === 0) {
          this.batchRetained = retained;
          this.batchTopic = msg.topic;
          this.batchId = this.hooks.newId?.();
          // Lone only while all its readings fit one batch: a message is never split into its own msg.
          if (this.auto && accepted < this.batcher.size) this.lone = { msg, multiple: result.multiple };
        } else {
          this.lone = undefined;
        }
        const batches = this.batcher.add(result.readings, now);
        const full: TelemetryMsg[] = batches.length > 0 || other ? [] : NO_MSGS;
        if (other) full.push(other);
        for (const batch of batches) {
          const out = this.batchMsg(batch);
          this.batchId = this.hooks.newId?.(); // a batch after this one is another msg
          if (typeof out._msgid === 'string') carriers.push(out._msgid);
          full.push(out);
        }
        if (full.length > 0) first = full.length === 1 ? (full[0] as TelemetryMsg) : full;
        // What is left pending after full batches went out came from this message.
        if (full.length > 0 && this.batcher.length > 0) this.batchTopic = msg.topic;
        if (this.batcher.length > 0 && this.batchId !== undefined) carriers.push(this.batchId);
        this.timer.atEarliest(this.batcher.deadline);
      } else {
        first = acceptedMsg(msg, result.readings, result.multiple);
        if (typeof first._msgid === 'string') carriers.push(first._msgid);
      }
    }
    const liveness = (result as SparkplugResult).liveness;
    // A death: its own msg on output 1 (src/core/liveness.ts), after any pending batch (flushed above).
    if (liveness) first = { ...msg, payload: [], liveness } as TelemetryMsg;
    if (first || rejected) send([first, rejected]);
    this.hooks.counted(accepted, rejected ? 1 : 0);
    return carriers;
  }

  /**
   * Sparkplug B: rebirth requests are published at once; before a death notice goes out, the
   * pending batch does, so a heartbeat watch never sees the device's last readings after its death.
   */
  private readSparkplug(sparkplug: SparkplugIngest, input: IngestInput, send: SendOutputs): SparkplugResult {
    if (input.retained === true && this.config.options.retained === 'skip') return { readings: [], rejections: [], multiple: true, format: 'sparkplug', skipped: true };
    const result = sparkplug.handle({ ...input, canRebirth: this.hooks.publish !== undefined });
    if (result.rebirth) this.hooks.publish?.(result.rebirth.topic, result.rebirth.payload);
    if (result.liveness) this.flush(send);
    return result;
  }

  /** Sends the pending batch now (msg.control "flush", close); false when there was none. */
  flush(send: SendOutputs = this.hooks.send): boolean {
    const out = this.pendingMsg();
    if (!out) return false;
    send([out, null]);
    return true;
  }

  /** The pending batch as a msg, taken out of the batcher (its timer cancelled); undefined when empty. */
  private pendingMsg(): TelemetryMsg | undefined {
    const batch = this.batcher?.flush();
    if (!batch) return undefined;
    this.timer.cancel();
    return this.batchMsg(batch);
  }

  /** Stops the timer and sends what is pending: a redeploy must not drop readings. */
  close(): void {
    this.timer.stop();
    this.flush();
  }

  private batchMsg(batch: Reading[]): TelemetryMsg {
    const id = this.batchId;
    this.batchId = undefined;
    const lone = this.lone;
    this.lone = undefined;
    // All the readings of one message, nothing else: the msg goes out as it would unbatched.
    if (lone) {
      const out = acceptedMsg(lone.msg, batch, lone.multiple);
      if (id !== undefined) out._msgid = id;
      return out;
    }
    // A batch mixes messages: its topic is the subscription filter, or the first message's topic.
    const topic = this.config.subscription?.topic ?? this.batchTopic;
    const out = { ...(id !== undefined ? { _msgid: id } : {}), payload: batch, ...(topic !== undefined ? { topic } : {}) } as TelemetryMsg;
    if (this.batchRetained) out.retain = true; // all its readings came from retained messages
    return out;
  }

  private onDue(now: number): void {
    const batch = this.batcher?.due(now);
    if (batch) this.hooks.send([this.batchMsg(batch), null]);
    // The batch went out full meanwhile and a new one started: wait for its deadline.
    this.timer.atEarliest(this.batcher?.deadline);
  }
}
