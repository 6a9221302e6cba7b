/**
 * telemetry-enrich: lookup tables, context, JSONata and unit conversion on every reading
 * (DESIGN.md §5). Wiring only; the work is in ./enrich/controller.ts and src/core/enrich/.
 */
import type { Node, NodeAPI, Send, Done, TelemetryMsg } from './shared/red';
import { EnrichConfig, EnrichController, Translate } from './enrich/controller';

export default function register(RED: NodeAPI): void {
  const t: Translate = (key, params) => RED._(`telemetry-enrich.${key}`, params);

  function TelemetryEnrichNode(this: Node, config: EnrichConfig): void {
    RED.nodes.createNode(this, config);
    let controller: EnrichController | undefined;
    let configProblem = '';
    try {
      controller = new EnrichController(RED, this, config, t);
    } catch (err) {
      // A bad rule must not take the runtime down: show it, and refuse msgs until redeployed.
      configProblem = (err as Error).message;
      this.status({ fill: 'red', shape: 'ring', text: t('status.config-error') });
      this.error(t('errors.config', { message: configProblem }));
    }

    this.on('input', (msg: TelemetryMsg, send: Send, done: Done) => {
      if (!controller) {
        done(new Error(t('errors.config', { message: configProblem })));
        return;
      }
      controller.handle(msg).then(
        (outputs) => {
          if (outputs && (outputs[0] || outputs[1])) send(outputs);
          done();
        },
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      controller?.close();
      done();
    });
  }

  RED.nodes.registerType('telemetry-enrich', TelemetryEnrichNode);
}
