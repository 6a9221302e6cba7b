/**
 * The ingest node at run time: msgs (wired, or from its own subscription) go to the Ingestor,
 * control msgs flush the batch or reset the rejected count, and the status line follows the
 * connection and the counts.
 */
import type { Clock } from '../../core/clock';
import type { IngestConfig } from '../../core/ingest/config';
import type { SharedMqttConnection } from '../../io/mqtt-connection';
import type { NodeController } from '../shared/controller';
import { CodedError } from '../shared/messages';
import { type LastInput, type MonitorFigures, RefusalLog } from '../shared/monitor';
import type { Done, Node, Send, TelemetryMsg } from '../shared/red';
import type { Translate } from '../shared/translate';
import type { IngestAck } from './ack';
import { Ingestor, type Outputs, type SendOutputs } from './ingestor';
import { MqttSource } from './mqtt-source';
import { IngestStatus } from './status';

export interface IngestDeps {
  node: Pick<Node, 'id' | 'send' | 'status' | 'warn' | 'error'>;
  t: Translate;
  clock: Clock;
  /** The broker config node's connection, when the node has its own subscription. */
  connection?: SharedMqttConnection;
  ack?: IngestAck;
}

export class IngestController implements NodeController {
  private readonly status: IngestStatus;
  private readonly ingestor: Ingestor;
  private readonly source: MqttSource | undefined;
  /** The editor's monitor and parse preview (shared/monitor.ts): counts, refusals, last input. */
  private accepted = 0; // readings sent on output 1
  private readonly refused = new RefusalLog();
  private last: TelemetryMsg | undefined;

  constructor(config: IngestConfig, private readonly deps: IngestDeps) {
    const { node, t, clock, connection, ack } = deps;
    this.status = new IngestStatus(node, t, clock);
    const sendLater: SendOutputs = (outputs) => node.send(this.tap(outputs));
    const sparkplug = config.options.format === 'sparkplug';
    this.ingestor = new Ingestor(config, {
      send: sendLater,
      counted: (accepted, rejected) => this.status.count(accepted, rejected),
      skippedRetained: () => this.status.skipRetained(),
      ...(ack ? { newId: ack.options.newId } : {}),
      // Sparkplug rebirth requests (NCMD) go out through the node's own broker.
      ...(sparkplug && connection && config.subscription ? { publish: (topic: string, payload: Uint8Array) => connection.publishIfConnected(topic, payload) } : {}),
    }, clock);
    this.status.start();
    const subscription = config.subscription;
    if (!subscription || !connection) return;
    this.source = new MqttSource(connection, node.id, { ...subscription, binary: sparkplug }, {
      onMessage: (msg) => this.ingestor.handle((this.last = msg), sendLater, true),
      onState: (state) => this.status.setConnection(state.state, state.detail),
      onSubscribeError: (err) => {
        node.error(t('errors.subscribeFailed', { topic: subscription.topic, reason: err.message }));
        this.status.setConnection('error', err.message);
      },
    }, ack?.options);
    this.source.start();
    // MQTT 3.1.1 has no Receive Maximum: the broker's own window (Mosquitto: 20) caps ack mode.
    if (ack && connection.protocolVersion !== 5) node.warn(t('errors.ackMqtt311'));
  }

  input(msg: TelemetryMsg, send: Send, done: Done): void {
    if (msg.control === undefined) {
      this.ingestor.handle((this.last = msg), (outputs) => send(this.tap(outputs)));
    } else if (msg.control === 'flush') {
      this.ingestor.flush((outputs) => send(this.tap(outputs)));
    } else if (msg.control === 'reset') {
      this.status.reset();
    } else {
      done(new CodedError('BAD_CONTROL', this.deps.t('errors.badControl', { control: String(msg.control) })));
      return;
    }
    done();
  }

  figures(): MonitorFigures {
    const held = this.deps.ack?.options.tracker.pending; // process-wide: the runtime has one tracker
    return { readings: this.accepted, refused: this.refused.count, ...(held !== undefined ? { ackBacklog: held } : {}) };
  }

  refusals(): ReturnType<RefusalLog['list']> {
    return this.refused.list();
  }

  /** The msg object itself is kept (no copy); the preview endpoint bounds what it sends. */
  lastInput(): LastInput | undefined {
    return this.last && { topic: this.last.topic, payload: this.last.payload };
  }

  /** Counts what goes out: readings on output 1 (batches when they leave), refusals on output 2. */
  private tap(outputs: Outputs): Outputs {
    const [first, rejected] = outputs;
    for (const msg of Array.isArray(first) ? first : first ? [first] : []) {
      this.accepted += Array.isArray(msg.payload) ? msg.payload.length : 1;
    }
    if (rejected) this.refused.add(rejected, this.deps.clock.now());
    return outputs;
  }

  async close(removed: boolean): Promise<void> {
    // deregister drops the local subscription synchronously, so nothing arrives after this
    // line; the pending batch goes out before the node stops.
    const stopped = this.source?.close(removed);
    this.ingestor.close();
    this.status.close();
    // A failed UNSUBSCRIBE on the way out changes nothing for a node that is stopping.
    await stopped?.catch(() => undefined);
    this.deps.ack?.release();
  }
}
