/**
 * The input side of telemetry-partition: each reading goes to partition `hash(key) mod
 * partitions` (src/core/partition/hash.ts) and is published QoS 1 to `<topicPrefix>/<group>/<p>`.
 * The readings of one input msg that fall into one partition travel in one MQTT message (an
 * envelope `{ "topic": msg.topic, "payload": Reading | Reading[] }`), so a batch of 1,000
 * readings costs at most `partitions` publishes. The input msg completes (done) only once the
 * broker acknowledged every one of its publishes, so ack-after-archive upstream holds across
 * the hop. While the broker is unreachable the publishes wait (controller.ts); one still waiting
 * when the node closes fails the msg with done(err).
 *
 * Bound: at most MAX_PENDING_READINGS readings wait for PUBACKs; a msg beyond that fails at
 * once (code PARTITION_BUSY) instead of growing the heap while the broker is away.
 */
import { partitionOfTags } from '../../core/partition/hash';
import { type Reading, asReadingList, validateReading } from '../../core/reading';
import { refusedForGood } from '../shared/durability';
import { CodedError } from '../shared/messages';
import type { Done, TelemetryMsg } from '../shared/red';
import type { Translate } from '../shared/translate';

export const MAX_PENDING_READINGS = 100_000;

export interface PublisherDeps {
  partitions: number;
  keys: readonly string[];
  /** Publishes p's envelope QoS 1; resolves on PUBACK. */
  publish(p: number, payload: string): Promise<void>;
  t: Translate;
  /** Readings published (acknowledged) — for the status rate. */
  counted(n: number): void;
}

export class PartitionPublisher {
  private pendingReadings = 0;
  /** Readings refused since start (not a reading, or no key tag), for the monitor. */
  refused = 0;

  constructor(private readonly deps: PublisherDeps) {}

  get pending(): number {
    return this.pendingReadings;
  }

  handle(msg: TelemetryMsg, done: Done): void {
    const { t } = this.deps;
    const list = asReadingList(msg.payload);
    if (list.length === 0) {
      this.refused++;
      done(refusedForGood(new CodedError('NO_READINGS', t('errors.noReadings'))));
      return;
    }
    const byPartition = new Map<number, Reading[]>();
    let refused = 0;
    let firstReason = '';
    for (const item of list) {
      const problem = validateReading(item);
      const reading = item as Reading;
      const p = problem ? undefined : partitionOfTags(reading.tags, this.deps.keys, this.deps.partitions);
      if (p === undefined) {
        refused++;
        if (!firstReason) firstReason = problem ? problem.message : t('errors.missingKey', { keys: this.deps.keys.join(',') });
        continue;
      }
      const bucket = byPartition.get(p);
      if (bucket) bucket.push(reading);
      else byPartition.set(p, [reading]);
    }
    this.refused += refused;
    const accepted = list.length - refused;
    if (accepted > 0 && this.pendingReadings + accepted > MAX_PENDING_READINGS) {
      done(new CodedError('PARTITION_BUSY', t('errors.busy', { max: MAX_PENDING_READINGS })));
      return;
    }
    const single = !Array.isArray(msg.payload);
    const publishes: Promise<void>[] = [];
    for (const [p, readings] of byPartition) {
      const payload = JSON.stringify({ topic: msg.topic, payload: single ? readings[0] : readings });
      publishes.push(this.deps.publish(p, payload));
    }
    this.pendingReadings += accepted;
    Promise.all(publishes).then(
      () => {
        this.pendingReadings -= accepted;
        this.deps.counted(accepted);
        // Refused readings would be refused again: for ack-after-archive the msg is settled.
        if (refused > 0) done(refusedForGood(new CodedError('BAD_READING', t('errors.refused', { refused, total: list.length, reason: firstReason }))));
        else done();
      },
      (err: Error) => {
        this.pendingReadings -= accepted;
        done(new CodedError('PUBLISH_FAILED', t('errors.publishFailed', { reason: err.message })));
      },
    );
  }
}
