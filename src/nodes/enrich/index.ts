/**
 * telemetry-enrich: lookup tables, context, JSONata and unit conversion on every reading
 * (README "How each node behaves"). Wiring only; the work is in ./controller.ts and src/core/enrich/.
 */
import { configOk } from '../../core/config-result';
import { EnrichConfigInput, parseEnrichConfig } from '../../core/enrich/config';
import { TableFiles } from '../../core/enrich/table-files';
import { fsTableFileAccess } from '../../io/table-file-access';
import { clockOf } from '../shared/clock';
import { startNode } from '../shared/controller';
import { shareFanOut } from '../shared/fan-out';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { EnrichController } from './controller';
import { redValueSources } from './red-values';

/** Config as saved in the flow (README "How each node behaves", telemetry-enrich). */
export interface EnrichConfig extends NodeDef, EnrichConfigInput {}

export default function register(RED: NodeAPI): void {
  function TelemetryEnrichNode(this: Node, config: EnrichConfig): void {
    RED.nodes.createNode(this, config);
    shareFanOut(RED, this);
    const t = translator(RED, 'telemetry-enrich');
    const clock = clockOf(RED);
    startNode(this, t, () => {
      const files = new TableFiles(RED.settings.userDir ?? process.cwd(), fsTableFileAccess);
      const parsed = parseEnrichConfig(config, {
        ...redValueSources(RED, this),
        openFile: (file, format, options) => files.open(file, format, options),
      });
      if (!parsed.ok) return parsed;
      return configOk(new EnrichController({ node: this, t, clock, settings: parsed.settings, files }));
    });
  }

  RED.nodes.registerType('telemetry-enrich', TelemetryEnrichNode);
}
