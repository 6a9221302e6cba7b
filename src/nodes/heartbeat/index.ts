/**
 * telemetry-heartbeat-watch (README "How each node behaves", issue #8): per-device deadman alerts.
 * Wiring only: config → settings (src/core/heartbeat/settings.ts), msgs → HeartbeatController.
 */
import { configOk } from '../../core/config-result';
import { parseSettings, type RawHeartbeatConfig } from '../../core/heartbeat/settings';
import { monotonicClockOf } from '../shared/clock';
import { ContextStateStore, hasContextStorage } from '../shared/context-state';
import { startNode } from '../shared/controller';
import { shareFanOut } from '../shared/fan-out';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { partitionLinkOf } from '../shared/partition-holder-link';
import { HeartbeatController } from './controller';

export const TYPE = 'telemetry-heartbeat-watch';

export interface HeartbeatDef extends NodeDef, RawHeartbeatConfig {}

export default function register(RED: NodeAPI): void {
  function TelemetryHeartbeatWatchNode(this: Node, config: HeartbeatDef): void {
    RED.nodes.createNode(this, config);
    shareFanOut(RED, this);
    const t = translator(RED, TYPE);
    startNode(this, t, () => {
      const parsed = parseSettings(config);
      if (!parsed.ok) return parsed;
      const { settings } = parsed;
      const store = new ContextStateStore(this, settings.contextStore, 'heartbeatRegistry');
      if (settings.persistState && !hasContextStorage(RED)) {
        // Without contextStorage in settings.js the runtime deletes node context on every close.
        this.warn(t('warn.no-context-storage'));
      }
      if (!settings.persistState) {
        // Persistence switched off: a registry left from earlier must not come back some day.
        store.save(undefined).catch(() => undefined);
      }
      // Monotonic: a wall-clock step (NTP, suspend/resume) cannot fake a silence.
      const clock = monotonicClockOf(RED);
      const deps = { t, clock, store: settings.persistState ? store : undefined, partitions: partitionLinkOf(RED, this), nodeId: this.id };
      return configOk(new HeartbeatController(this, settings, deps));
    });
  }

  RED.nodes.registerType(TYPE, TelemetryHeartbeatWatchNode);
}
