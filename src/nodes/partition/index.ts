/**
 * telemetry-partition (DESIGN §7, issue #17): routes readings by key to a fixed number of
 * partitions over the broker and delivers to this member only the partitions it owns.
 * Wiring only: config parsed in core, the broker config node's connection settings, the
 * partition registry (window/heartbeat take part in moves), ack-after-archive, then the controller.
 */
import { randomBytes } from 'crypto';
import { configFailed, configOk } from '../../core/config-result';
import { type RawPartitionConfig, parsePartitionConfig } from '../../core/partition/config';
import { createIngestAck } from '../ingest/ack';
import { getBroker } from '../mqtt-broker';
import { clockOf } from '../shared/clock';
import { markDurable } from '../shared/durability';
import { defaultMemberId } from '../shared/member-id';
import { startNode } from '../shared/controller';
import { partitionRegistry } from '../shared/partition-registry';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { PartitionController } from './controller';

export const TYPE = 'telemetry-partition';

export interface PartitionDef extends NodeDef, RawPartitionConfig {}

export default function register(RED: NodeAPI): void {
  function TelemetryPartitionNode(this: Node, def: PartitionDef): void {
    RED.nodes.createNode(this, def);
    const t = translator(RED, TYPE);
    const clock = clockOf(RED);
    // settings are untyped here; telemetryPartitionProbe is only our tests'.
    const settings = RED.settings as unknown as { telemetryPartitionProbe?: boolean };
    // done() of an input msg comes only once the broker acknowledged all its readings (QoS 1, held
    // in the partition's persistent session): a durable sink for an ack-after-archive ingest wired
    // straight in, which therefore acknowledges at once instead of after its ackTimeout.
    markDurable(this);
    startNode(this, t, () => {
      const parsed = parsePartitionConfig(def, defaultMemberId(RED));
      if (!parsed.ok) return parsed;
      const config = parsed.settings;
      const broker = getBroker(RED, String(def.broker ?? ''));
      if (!broker) return configFailed([{ key: 'missingBroker' }]);
      const ack = config.ack ? createIngestAck(RED, this, config.ack.timeoutMs, t, clock) : undefined;
      const a = config.assignment;
      const controller = new PartitionController(config, {
        node: this,
        t,
        clock,
        broker: broker.brokerOptions,
        registry: partitionRegistry(RED, config.group),
        memberId: a.kind === 'dynamic' ? a.memberId : `instance-${a.instance}`,
        incarnation: randomBytes(4).toString('hex'),
        ack: ack?.options,
        probe: settings.telemetryPartitionProbe !== false,
        closed: () => ack?.release(),
      });
      return configOk(controller);
    });
  }

  RED.nodes.registerType(TYPE, TelemetryPartitionNode);
}
