/**
 * Ack-after-archive for the ingest node (ackMode "archive", test/faults/ACK-AFTER-ARCHIVE.md):
 * the runtime's one AckTracker, ids for the msgs it follows, and a warning (at most once a
 * minute) when messages had to be acknowledged without reaching a durable sink in time.
 */
import type { Clock } from '../../core/clock';
import { formatExact } from '../../core/rate';
import { ackTracker, type AckOutcome } from '../shared/durability';
import type { Node, NodeAPI } from '../shared/red';
import type { Translate } from '../shared/translate';
import type { AckOptions } from './mqtt-source';

const WARN_EVERY_MS = 60_000;

export interface IngestAck {
  options: AckOptions;
  release(): void;
}

export function createIngestAck(
  RED: NodeAPI,
  node: Pick<Node, 'warn'>,
  timeoutMs: number,
  t: Translate,
  clock: Clock,
): IngestAck {
  const tracker = ackTracker(RED, clock);
  const release = tracker.use();
  let unwarned = 0;
  let lastWarn = Number.NEGATIVE_INFINITY;
  const onOutcome = (outcome: AckOutcome): void => {
    if (outcome === 'durable') return;
    unwarned++;
    const now = clock.now();
    if (outcome === 'timeout' && now - lastWarn >= WARN_EVERY_MS) {
      node.warn(t('errors.ackTimeout', { count: formatExact(unwarned), timeout: `${timeoutMs / 1000}s` }));
      unwarned = 0;
      lastWarn = now;
    }
  };
  return {
    // newId announces the id: the ingest sends before it expects (durability.ts, "Counting").
    options: { tracker, timeoutMs, newId: () => tracker.announce(RED.util.generateId()), onOutcome, clock },
    release,
  };
}
