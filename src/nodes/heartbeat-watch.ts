/**
 * telemetry-heartbeat-watch (DESIGN.md §5, issue #8): per-device deadman alerts.
 * Wiring only: config → settings, msgs → HeartbeatWatch (src/nodes/heartbeat-watch/watch.ts).
 */
import { parseSettings, type RawHeartbeatConfig } from '../core/heartbeat/settings';
import { CodedError } from './shared/messages';
import type { Done, Node, NodeAPI, NodeDef, Send, TelemetryMsg } from './shared/red';
import { ContextStateStore } from './shared/context-state';
import { HeartbeatWatch, type Translate } from './heartbeat-watch/watch';

export const TYPE = 'telemetry-heartbeat-watch';

export interface HeartbeatWatchDef extends NodeDef, RawHeartbeatConfig {}

/** Wall-clock epoch ms that never steps: timeouts survive NTP corrections and suspend/resume. */
function monotonicEpochMs(): number {
  return Math.floor(performance.timeOrigin + performance.now());
}

function hasContextStorage(RED: NodeAPI): boolean {
  // contextStorage is a settings.js property the runtime exposes read-only; not in the types.
  return (RED.settings as unknown as { contextStorage?: unknown }).contextStorage !== undefined;
}

export default function register(RED: NodeAPI): void {
  function TelemetryHeartbeatWatchNode(this: Node, config: HeartbeatWatchDef): void {
    RED.nodes.createNode(this, config);
    const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);
    const parsed = parseSettings(config);
    if (!parsed.ok) {
      // Invalid config: say why once, stay deployed, and fail each msg so Catch nodes see it.
      const reasons = parsed.problems.map((p) => t(`errors.config.${p.code}`, { field: p.field, detail: p.detail })).join('; ');
      this.error(t('errors.config.invalid', { reasons }));
      this.status({ fill: 'red', shape: 'ring', text: t('status.config-error') });
      this.on('input', (_msg: TelemetryMsg, _send: Send, done: Done) => done(new CodedError('CONFIG', reasons)));
      return;
    }
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
    const watch = new HeartbeatWatch(this, settings, {
      t,
      clock: monotonicEpochMs,
      store: settings.persistState ? store : undefined,
    });
    this.on('input', (msg: TelemetryMsg, send: Send, done: Done) => watch.input(msg, send, done));
    this.on('close', (removed: boolean, done: () => void) => watch.close(removed, done));
  }

  RED.nodes.registerType(TYPE, TelemetryHeartbeatWatchNode);
}
