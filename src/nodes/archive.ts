import { getInfluxServer } from './influxdb';
import { ArchiveConfig, parseArchiveSettings } from '../core/archive/settings';
import { ArchiveController, SpoolInUseError } from './archive/controller';
import { DURABLE_COMPLETE, ackTracker } from './shared/ack-tracker';
import type { Done, Node, NodeAPI, NodeDef, Send, TelemetryMsg } from './shared/red';

/**
 * telemetry-archive (DESIGN.md §5): batched, never-lose writes to InfluxDB with a disk spool.
 * Wiring only: read config → build the controller → route input and close to it.
 */

type ArchiveNode = Node & { controller?: ArchiveController };

/** Node-RED's default node close timeout; the archive uses a third of it to wait for writes. */
const NODE_CLOSE_TIMEOUT_MS = 15_000;

export default function register(RED: NodeAPI): void {
  const t = (key: string, params?: Record<string, string>): string => RED._(`telemetry-archive.${key}`, params);

  function TelemetryArchiveNode(this: ArchiveNode, config: ArchiveConfig & NodeDef): void {
    RED.nodes.createNode(this, config);
    const fail = (message: string): Error => {
      this.status({ fill: 'red', shape: 'dot', text: t('status.configError') });
      this.error(message);
      return new Error(message);
    };

    let problem: Error | undefined;
    const server = getInfluxServer(RED, config.server);
    const settings = parseArchiveSettings(config, { userDir: userDirOf(RED), nodeId: this.id });
    if (!server) problem = fail(t('errors.noServer'));
    else if (!settings.ok) problem = fail(t(`errors.${settings.problems[0].key}`, settings.problems[0].params as Record<string, string>));
    else {
      const closeTimeout = Number((RED.settings as { nodeCloseTimeout?: unknown }).nodeCloseTimeout) || NODE_CLOSE_TIMEOUT_MS;
      try {
        const closeWaitMs = Math.min(5_000, Math.max(500, closeTimeout / 3));
        this.controller = new ArchiveController(this, settings.settings, server, t, closeWaitMs, () => ackTracker(RED).inUse);
        // done() means "durable" only with the disk spool (ack-after-archive, ACK-AFTER-ARCHIVE.md).
        if (settings.settings.spool) (this as unknown as Record<symbol, unknown>)[DURABLE_COMPLETE] = true;
      } catch (err) {
        const reason = err instanceof SpoolInUseError ? t('errors.spoolInUse', { dir: err.dir, owner: err.owner }) : String(err instanceof Error ? err.message : err);
        problem = fail(t('errors.spoolOpen', { reason }));
      }
    }

    this.on('input', (msg: TelemetryMsg, send: Send, done: Done) => {
      if (!this.controller) return done(problem);
      try {
        this.controller.handleInput(msg, send, done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
    this.on('close', (removed: boolean, done: () => void) => {
      if (!this.controller) return done();
      this.controller.close(removed).then(done, (err: unknown) => {
        this.error(String(err));
        done();
      });
    });
  }

  RED.nodes.registerType('telemetry-archive', TelemetryArchiveNode);
}

function userDirOf(RED: NodeAPI): string {
  const dir = (RED.settings as { userDir?: unknown }).userDir;
  if (typeof dir === 'string' && dir !== '') return dir;
  // Node-RED's own default user dir, for runtimes that do not set it (embedded, test helpers).
  return `${process.env.HOME ?? process.cwd()}/.node-red`;
}
