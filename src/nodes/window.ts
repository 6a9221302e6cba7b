/**
 * telemetry-window (DESIGN.md §5, issue #4): keyed event-time windows with incremental aggregates.
 * Wiring only: config → WindowSpec (src/core/window/spec.ts), msgs → WindowController.
 */
import { parseWindowConfig, type WindowConfigInput } from '../core/window';
import { CodedError } from './shared/messages';
import type { Done, Node, NodeAPI, NodeDef, Send, TelemetryMsg } from './shared/red';
import { WindowController, type Translate } from './window/controller';
import { ContextStateStore } from './shared/context-state';
import { DURABLE_COMPLETE, ackTracker } from './shared/ack-tracker';

export const TYPE = 'telemetry-window';

export interface WindowNodeDef extends NodeDef, WindowConfigInput {
  persistState?: boolean | string;
  contextStore?: string;
}

/** Resolves when the deploy that created this node has started every node (or after 10 s). */
function flowsStarted(RED: NodeAPI): Promise<void> {
  return new Promise((resolve) => {
    const started = (): void => {
      clearTimeout(fallback);
      RED.events.removeListener('flows:started', started);
      resolve();
    };
    const fallback = setTimeout(started, 10_000);
    fallback.unref();
    RED.events.once('flows:started', started);
  });
}

export default function register(RED: NodeAPI): void {
  function TelemetryWindowNode(this: Node, config: WindowNodeDef): void {
    RED.nodes.createNode(this, config);
    const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);
    const parsed = parseWindowConfig(config);
    if (!parsed.ok) {
      // Invalid config: say why once, stay deployed, and fail each msg so Catch nodes see it.
      const reasons = parsed.problems.join('; ');
      this.error(t('errors.config', { reasons }));
      this.status({ fill: 'red', shape: 'ring', text: t('status.config-error') });
      this.on('input', (_msg: TelemetryMsg, _send: Send, done: Done) => done(new CodedError('CONFIG', t('errors.config', { reasons }))));
      return;
    }
    let persistState = config.persistState === true || config.persistState === 'true';
    // Without contextStorage in settings.js, Node-RED deletes a node's context when it stops.
    const settings = RED.settings as unknown as { contextStorage?: unknown };
    if (persistState && !settings.contextStorage) {
      this.warn(t('warnings.no-context-storage'));
      persistState = false;
    }
    // With persistState an input completes once its readings are saved: a durable sink for
    // ack-after-archive (test/faults/ACK-AFTER-ARCHIVE.md).
    if (persistState) (this as unknown as Record<symbol, unknown>)[DURABLE_COMPLETE] = true;
    const controller = new WindowController(this, { spec: parsed.spec, persistState }, {
      t,
      clock: Date.now,
      store: new ContextStateStore(this, config.contextStore ?? '', 'windowState'),
      started: flowsStarted(RED),
      deferDone: () => ackTracker(RED).inUse,
    });
    this.on('input', (msg: TelemetryMsg, send: Send, done: Done) => controller.input(msg, send, done));
    this.on('close', (removed: boolean, done: () => void) => controller.close(removed, done));
  }

  RED.nodes.registerType(TYPE, TelemetryWindowNode);
}
