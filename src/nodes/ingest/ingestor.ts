/**
 * Everything the ingest node does with a msg, whatever its source (wired input or its own MQTT
 * subscription): parse it with the core, send the readings on output 1 (or gather them into a
 * micro-batch) and the refused part on output 2. At most one msg per output per input, except
 * that one input can complete several batches.
 */
import type { Clock } from '../../core/clock';
import { ReadingBatcher } from '../../core/ingest/batcher';
import type { IngestConfig } from '../../core/ingest/config';
import { ingest } from '../../core/ingest/ingest';
import type { Reading } from '../../core/reading';
import { DeadlineTimer } from '../shared/deadline-timer';
import type { TelemetryMsg } from '../shared/red';
import { acceptedMsg, rejectionMsg } from './output';

/** [output 1, output 2]; each slot one msg, several msgs, or nothing. */
export type Outputs = [TelemetryMsg | TelemetryMsg[] | null, TelemetryMsg | null];
export type SendOutputs = (outputs: Outputs) => void;

export interface IngestorHooks {
  /** Sends msgs that no input caused (the batch timer, close). */
  send: SendOutputs;
  /** Called once per input: readings accepted, msgs sent to output 2 (0 or 1). */
  counted(accepted: number, rejectedMsgs: number): void;
  /**
   * Ack-after-archive: ids for batch msgs, so the msg ids that carry an input's readings are
   * known when it is handled (the runtime would only assign them on send).
   */
  newId?: () => string;
}

export class Ingestor {
  private readonly batcher: ReadingBatcher | undefined;
  /** The pending batch's deadline (batchInterval). */
  private readonly timer: DeadlineTimer;
  private batchTopic: string | undefined;
  /** _msgid of the pending batch (ack-after-archive only). */
  private batchId: string | undefined;

  constructor(private readonly config: IngestConfig, private readonly hooks: IngestorHooks, private readonly clock: Clock) {
    this.batcher = config.batch ? new ReadingBatcher(config.batch.size, config.batch.intervalMs) : undefined;
    this.timer = new DeadlineTimer(clock, (now) => this.onDue(now));
  }

  /**
   * Returns the `_msgid`s of the msgs that carry this input's accepted readings (empty when
   * none was accepted): its own id, or with batching the ids of the batches holding them.
   */
  handle(msg: TelemetryMsg, send: SendOutputs): string[] {
    const now = this.clock.now();
    const result = ingest({ payload: msg.payload, topic: typeof msg.topic === 'string' ? msg.topic : undefined, now }, this.config.options);
    const accepted = result.readings.length;
    // Output 2 keeps the raw payload (output 1 is a new msg: the input is never changed).
    const rejected = result.rejections.length > 0 ? rejectionMsg(msg, result.rejections, accepted) : null;
    let first: Outputs[0] = null;
    const carriers: string[] = [];
    if (accepted > 0) {
      if (this.batcher) {
        if (this.batcher.length === 0) {
          this.batchTopic = msg.topic;
          this.batchId = this.hooks.newId?.();
        }
        const full = this.batcher.add(result.readings, now).map((batch) => {
          const out = this.batchMsg(batch);
          this.batchId = this.hooks.newId?.(); // a batch after this one is another msg
          if (typeof out._msgid === 'string') carriers.push(out._msgid);
          return out;
        });
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
    if (first || rejected) send([first, rejected]);
    this.hooks.counted(accepted, rejected ? 1 : 0);
    return carriers;
  }

  /** Sends the pending batch now (msg.control "flush", close); false when there was none. */
  flush(send: SendOutputs = this.hooks.send): boolean {
    const batch = this.batcher?.flush();
    if (!batch) return false;
    this.timer.cancel();
    send([this.batchMsg(batch), null]);
    return true;
  }

  /** Stops the timer and sends what is pending: a redeploy must not drop readings. */
  close(): void {
    this.timer.stop();
    this.flush();
  }

  private batchMsg(batch: Reading[]): TelemetryMsg {
    // A batch mixes messages: its topic is the subscription filter, or the first message's topic.
    const topic = this.config.subscription?.topic ?? this.batchTopic;
    const id = this.batchId;
    this.batchId = undefined;
    return { ...(id !== undefined ? { _msgid: id } : {}), payload: batch, ...(topic !== undefined ? { topic } : {}) } as TelemetryMsg;
  }

  private onDue(now: number): void {
    const batch = this.batcher?.due(now);
    if (batch) this.hooks.send([this.batchMsg(batch), null]);
    // The batch went out full meanwhile and a new one started: wait for its deadline.
    this.timer.atEarliest(this.batcher?.deadline);
  }
}
