/**
 * telemetry-ingest (DESIGN.md §5, issue #3): MQTT messages or wired msgs → validated readings
 * on output 1, the refused part with reasons on output 2. Wiring only: config → core options,
 * msgs → IngestController, its own subscription → MqttSource, status → IngestStatus.
 */
import { type RawIngestConfig, parseIngestConfig } from '../core/ingest/config';
import { getBroker } from './mqtt-broker';
import { IngestController, type SendOutputs } from './ingest/controller';
import { MqttSource } from './ingest/mqtt-source';
import { createIngestAck, type IngestAck } from './ingest/ack';
import { IngestStatus, type Translate } from './ingest/status';
import { CodedError } from './shared/messages';
import type { Done, Node, NodeAPI, NodeDef, Send, TelemetryMsg } from './shared/red';

export const TYPE = 'telemetry-ingest';

export interface IngestDef extends NodeDef, RawIngestConfig {}

export default function register(RED: NodeAPI): void {
  function TelemetryIngestNode(this: Node, def: IngestDef): void {
    RED.nodes.createNode(this, def);
    const t: Translate = (key, params) => RED._(`${TYPE}.${key}`, params);
    const status = new IngestStatus(this, t);
    const parsed = parseIngestConfig(def);
    const problems = parsed.ok ? [] : parsed.problems.map((p) => t(`errors.${p.key}`, p.params));
    const broker = parsed.ok && parsed.settings.subscription ? getBroker(RED, String(def.broker)) : undefined;
    if (parsed.ok && parsed.settings.subscription && !broker) problems.push(t('errors.missingBroker'));
    if (!parsed.ok || problems.length > 0) {
      // Invalid config: say why once, stay deployed, and fail each msg so Catch nodes see it.
      const reasons = problems.join('; ');
      this.error(t('errors.invalidConfig', { reasons }));
      status.showProblem(t('status.configError'));
      this.on('input', (_msg: TelemetryMsg, _send: Send, done: Done) => done(new CodedError('CONFIG', reasons)));
      this.on('close', (_removed: boolean, done: () => void) => done());
      return;
    }
    const config = parsed.settings;
    const sendLater: SendOutputs = (outputs) => this.send(outputs);
    // Ack-after-archive: only for the node's own subscription (config validation ensures one).
    const ack: IngestAck | undefined = config.ack && broker ? createIngestAck(RED, this, config.ack.timeoutMs, t) : undefined;
    const controller = new IngestController(config, {
      send: sendLater,
      counted: (accepted, rejected) => status.count(accepted, rejected),
      now: Date.now,
      ...(ack ? { newId: ack.options.newId } : {}),
    });
    status.start();

    let source: MqttSource | undefined;
    if (config.subscription && broker) {
      const { topic } = config.subscription;
      source = new MqttSource(broker, this.id, config.subscription, {
        onMessage: (msg) => controller.handle(msg, sendLater),
        onState: (state) => status.setConnection(state.state, state.detail),
        onSubscribeError: (err) => {
          this.error(t('errors.subscribeFailed', { topic, reason: err.message }));
          status.setConnection('error', err.message);
        },
      }, ack?.options);
      source.start();
      // MQTT 3.1.1 has no Receive Maximum: the broker's own window (Mosquitto: 20) caps ack mode.
      if (ack && broker.connection.protocolVersion !== 5) this.warn(t('errors.ackMqtt311'));
    }

    this.on('input', (msg: TelemetryMsg, send: Send, done: Done) => {
      try {
        if (msg.control === undefined) {
          controller.handle(msg, (outputs) => send(outputs));
          done();
        } else if (msg.control === 'flush') {
          controller.flush((outputs) => send(outputs));
          done();
        } else if (msg.control === 'reset') {
          status.reset();
          done();
        } else {
          done(new CodedError('BAD_CONTROL', t('errors.badControl', { control: String(msg.control) })));
        }
      } catch (err) {
        // Not expected (the core never throws): still a done(err), never an uncaught exception.
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });

    this.on('close', (removed: boolean, done: () => void) => {
      // deregister drops the local subscription synchronously, so nothing arrives after this
      // line; the pending batch goes out before the node stops.
      const stopped = source ? source.close(removed) : Promise.resolve();
      controller.close();
      status.close();
      const finish = (): void => {
        ack?.release();
        done();
      };
      stopped.then(finish, finish);
    });
  }

  RED.nodes.registerType(TYPE, TelemetryIngestNode);
}
