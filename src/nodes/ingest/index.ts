/**
 * telemetry-ingest (README "How each node behaves"): MQTT messages or wired msgs → validated
 * readings on output 1, the refused part with reasons on output 2. Wiring only: config parsed
 * in core, the broker's shared connection, ack-after-archive, then IngestController.
 */
import { configFailed, configOk } from '../../core/config-result';
import { type RawIngestConfig, parseIngestConfig } from '../../core/ingest/config';
import { getBroker } from '../mqtt-broker';
import { clockOf } from '../shared/clock';
import { startNode } from '../shared/controller';
import { shareFanOut } from '../shared/fan-out';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { createIngestAck } from './ack';
import { IngestController } from './controller';
import { registerPreviewEndpoint } from './preview';

export const TYPE = 'telemetry-ingest';

export interface IngestDef extends NodeDef, RawIngestConfig {}

export default function register(RED: NodeAPI): void {
  function TelemetryIngestNode(this: Node, def: IngestDef): void {
    RED.nodes.createNode(this, def);
    shareFanOut(RED, this);
    const t = translator(RED, TYPE);
    const clock = clockOf(RED);
    startNode(this, t, () => {
      const parsed = parseIngestConfig(def);
      if (!parsed.ok) return parsed;
      const config = parsed.settings;
      const broker = config.subscription ? getBroker(RED, String(def.broker)) : undefined;
      if (config.subscription && !broker) return configFailed([{ key: 'missingBroker' }]);
      // Ack-after-archive: only for the node's own subscription (the parser ensures one).
      const ack = config.ack && broker ? createIngestAck(RED, this, config.ack.timeoutMs, t, clock) : undefined;
      return configOk(new IngestController(config, { node: this, t, clock, connection: broker?.connection, ack }));
    });
  }

  RED.nodes.registerType(TYPE, TelemetryIngestNode);
  registerPreviewEndpoint(RED, clockOf(RED));
}
