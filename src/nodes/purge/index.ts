import { configFailed, configOk } from '../../core/config-result';
import { PurgeConfigInput, parsePurgeSettings } from '../../core/purge/settings';
import { influxPurgePort } from '../../io/influx-purge-port';
import { getInfluxServer } from '../influxdb';
import { clockOf } from '../shared/clock';
import { startNode } from '../shared/controller';
import { shareFanOut } from '../shared/fan-out';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { PurgeController } from './controller';
import { scheduleLeader } from './leader';

/** Config as saved in the flow (README "How each node behaves", telemetry-purge; rp* are for mode retention-policy). */
export interface PurgeConfig extends NodeDef, PurgeConfigInput {
  server: string;
}

export default function register(RED: NodeAPI): void {
  function TelemetryPurgeNode(this: Node, config: PurgeConfig): void {
    RED.nodes.createNode(this, config);
    shareFanOut(RED, this);
    const clock = clockOf(RED);
    const t = translator(RED, 'telemetry-purge');
    startNode(this, t, () => {
      const parsed = parsePurgeSettings(config);
      const server = getInfluxServer(RED, config.server);
      // A purge without a server is a config problem like any other: listed with the rest.
      if (!server) return configFailed([...(parsed.ok ? [] : parsed.problems), { key: 'NO_SERVER' }]);
      if (!parsed.ok) return parsed;
      const target = { database: server.database, retentionPolicy: server.retentionPolicy };
      return configOk(new PurgeController({ node: this, settings: parsed.settings, io: influxPurgePort(server, clock), target, t, clock, scheduleTurn: scheduleLeader(RED) }));
    });
  }

  RED.nodes.registerType('telemetry-purge', TelemetryPurgeNode);
}
