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

    // Rules may resolve at different speeds (JSONata, context stores); outputs still leave in
    // the order the msgs came in, as users of a per-reading map node expect.
    let previous: Promise<void> = Promise.resolve();
    this.on('input', (msg: TelemetryMsg, send: Send, done: Done) => {
      if (!controller) {
        done(new Error(t('errors.config', { message: configProblem })));
        return;
      }
      const outputs = controller.handle(msg);
      previous = previous.then(() =>
        outputs.then(
          (out) => {
            if (out && (out[0] || out[1])) send(out);
            done();
          },
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        ),
      );
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      controller?.close();
      // Let the msgs already in the rules leave before the node goes (Node-RED caps the wait).
      void previous.then(() => done());
    });
  }

  RED.nodes.registerType('telemetry-enrich', TelemetryEnrichNode);
}
