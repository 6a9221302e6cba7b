/**
 * telemetry-alert (DESIGN §8, issue #22): threshold alerts with `for` and hysteresis, per key.
 * Wiring only: config → settings (src/core/alert/settings.ts), msgs → AlertController.
 */
import { configOk } from '../../core/config-result';
import { parseSettings, type RawAlertConfig } from '../../core/alert/settings';
import { clockOf } from '../shared/clock';
import { ContextStateStore, hasContextStorage } from '../shared/context-state';
import { startNode } from '../shared/controller';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { AlertController } from './controller';

export const TYPE = 'telemetry-alert';

export interface AlertDef extends NodeDef, RawAlertConfig {}

export default function register(RED: NodeAPI): void {
  function TelemetryAlertNode(this: Node, config: AlertDef): void {
    RED.nodes.createNode(this, config);
    const t = translator(RED, TYPE);
    startNode(this, t, () => {
      const parsed = parseSettings(config);
      if (!parsed.ok) return parsed;
      const { settings } = parsed;
      const store = new ContextStateStore(this, settings.contextStore, 'alertState');
      if (settings.persistState && !hasContextStorage(RED)) this.warn(t('warn.no-context-storage'));
      // Persistence switched off: a state left from earlier must not come back some day.
      if (!settings.persistState) store.save(undefined).catch(() => undefined);
      // Event time drives the alerts; the clock only paces the summary and the saves.
      const clock = clockOf(RED);
      return configOk(new AlertController(this, settings, { t, clock, store: settings.persistState ? store : undefined }));
    });
  }

  RED.nodes.registerType(TYPE, TelemetryAlertNode);
}
