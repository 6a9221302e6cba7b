import { PurgeError } from '../core/purge/errors';
import { PurgeConfigInput, PurgeSettings, parsePurgeSettings } from '../core/purge/settings';
import { getInfluxServer } from './influxdb';
import { PurgeController } from './purge/controller';
import type { Done, Node, NodeAPI, NodeDef, Send, TelemetryMsg } from './shared/red';

/** Config as saved in the flow (DESIGN.md §5 telemetry-purge; rp* are for mode retention-policy). */
export interface PurgeConfig extends NodeDef, PurgeConfigInput {
  server: string;
}

export default function register(RED: NodeAPI): void {
  function TelemetryPurgeNode(this: Node, config: PurgeConfig): void {
    RED.nodes.createNode(this, config);
    let settings: PurgeSettings | PurgeError;
    try {
      settings = parsePurgeSettings(config);
    } catch (err) {
      settings = err instanceof PurgeError ? err : new PurgeError('BAD_CONFIG', String(err), {});
    }
    const controller = new PurgeController({
      node: this,
      settings,
      server: getInfluxServer(RED, config.server),
      // RED._ takes i18next's options object; our params are plain text and numbers.
      t: (key, params) => RED._(`telemetry-purge.${key}`, params as Record<string, string | number> | undefined),
    });
    this.on('input', (msg: object, send: Send, done: Done) => controller.onInput(msg as TelemetryMsg, send, done));
    this.on('close', (_removed: boolean, done: () => void) => {
      controller.close().then(done, done);
    });
  }

  RED.nodes.registerType('telemetry-purge', TelemetryPurgeNode);
}
