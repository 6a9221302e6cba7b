import { configFailed, configOk } from '../../core/config-result';
import { type QueryConfigInput, parseQuerySettings } from '../../core/query/settings';
import { runInfluxQuery } from '../../io/influx-query';
import { getInfluxServer } from '../influxdb';
import { clockOf } from '../shared/clock';
import { startNode } from '../shared/controller';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { QueryController } from './controller';

/** Config as saved in the flow (README "Charts", telemetry-query). */
export interface QueryConfig extends NodeDef, QueryConfigInput {
  server: string;
}

export default function register(RED: NodeAPI): void {
  function TelemetryQueryNode(this: Node, config: QueryConfig): void {
    RED.nodes.createNode(this, config);
    const clock = clockOf(RED);
    const t = translator(RED, 'telemetry-query');
    startNode(this, t, () => {
      const parsed = parseQuerySettings(config);
      const server = getInfluxServer(RED, config.server);
      if (!server) return configFailed([...(parsed.ok ? [] : parsed.problems), { key: 'NO_SERVER' }]);
      if (!parsed.ok) return parsed;
      return configOk(new QueryController({ node: this, settings: parsed.settings, run: (prepared) => runInfluxQuery(server, prepared), t, clock }));
    });
  }

  RED.nodes.registerType('telemetry-query', TelemetryQueryNode);
}
