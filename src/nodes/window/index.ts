/**
 * telemetry-window (README "How each node behaves", issue #4): keyed event-time windows with incremental aggregates.
 * Wiring only: config → WindowSpec (src/core/window/spec.ts), msgs → WindowController.
 */
import type { Clock } from '../../core/clock';
import { configOk } from '../../core/config-result';
import { parseWindowConfig, type WindowConfigInput } from '../../core/window';
import { clockOf } from '../shared/clock';
import { ContextStateStore, hasContextStorage } from '../shared/context-state';
import { startNode } from '../shared/controller';
import { shareFanOut } from '../shared/fan-out';
import { DeadlineTimer } from '../shared/deadline-timer';
import { durableSink } from '../shared/durability';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { WindowController } from './controller';
import { partitionLinkOf } from '../shared/partition-holder-link';

export const TYPE = 'telemetry-window';

/** How long to wait for `flows:started` before sending anyway (a runtime that never emits it). */
const FLOWS_STARTED_FALLBACK_MS = 10_000;

export interface WindowNodeDef extends NodeDef, WindowConfigInput {
  persistState?: boolean | string;
  contextStore?: string;
}

/** Resolves when the deploy that created this node has started every node (or after 10 s). */
function flowsStarted(RED: NodeAPI, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    const fallback = new DeadlineTimer(clock, () => started());
    const started = (): void => {
      fallback.stop();
      RED.events.removeListener('flows:started', started);
      resolve();
    };
    fallback.after(FLOWS_STARTED_FALLBACK_MS);
    RED.events.once('flows:started', started);
  });
}

export default function register(RED: NodeAPI): void {
  function TelemetryWindowNode(this: Node, config: WindowNodeDef): void {
    RED.nodes.createNode(this, config);
    shareFanOut(RED, this);
    const t = translator(RED, TYPE);
    const clock = clockOf(RED);
    startNode(this, t, () => {
      const parsed = parseWindowConfig(config);
      if (!parsed.ok) return parsed;
      let persistState = config.persistState === true || config.persistState === 'true';
      if (persistState && !hasContextStorage(RED)) {
        this.warn(t('warnings.no-context-storage'));
        persistState = false;
      }
      return configOk(
        new WindowController(this, { spec: parsed.settings, persistState }, {
          t,
          clock,
          store: new ContextStateStore(this, config.contextStore ?? '', 'windowState'),
          started: flowsStarted(RED, clock),
          // With persistState an input completes once its readings are saved: a durable sink
          // for ack-after-archive (test/faults/ACK-AFTER-ARCHIVE.md).
          sink: persistState ? durableSink(RED, this, clock) : undefined,
          partitions: partitionLinkOf(RED, this),
          nodeId: this.id,
        }),
      );
    });
  }

  RED.nodes.registerType(TYPE, TelemetryWindowNode);
}
