import type { Destination } from '../../core/archive/batcher';
import { type ArchiveConfig, parseArchiveSettings, useGzip } from '../../core/archive/settings';
import { INFLUXDB3_CORE_LIMITS } from '../../core/archive/schema-limits';
import { type ConfigResult, configFailed, configOk } from '../../core/config-result';
import { createDatabasePort, createWritePort } from '../../io/influx-write-port';
import { getInfluxServer } from '../influxdb';
import { clockOf } from '../shared/clock';
import { startNode } from '../shared/controller';
import { shareFanOut } from '../shared/fan-out';
import { durableSink } from '../shared/durability';
import type { Node, NodeAPI, NodeDef } from '../shared/red';
import { translator } from '../shared/translate';
import { ArchiveController } from './controller';
import { openArchiveSpool } from './spool';

/** telemetry-archive (README "How each node behaves"): batched, never-lose writes to InfluxDB with a disk spool. */

/** Node-RED's default node close timeout; the archive uses a third of it to wait for writes. */
const NODE_CLOSE_TIMEOUT_MS = 15_000;

export default function register(RED: NodeAPI): void {
  const t = translator(RED, 'telemetry-archive');

  function TelemetryArchiveNode(this: Node, config: ArchiveConfig & NodeDef): void {
    RED.nodes.createNode(this, config);
    shareFanOut(RED, this);
    const clock = clockOf(RED);
    startNode(this, t, (): ConfigResult<ArchiveController> => {
      const server = getInfluxServer(RED, config.server);
      if (!server) return configFailed([{ key: 'noServer' }]);
      const parsed = parseArchiveSettings(config, { userDir: userDirOf(RED), nodeId: this.id });
      if (!parsed.ok) return parsed;
      const settings = parsed.settings;
      // influxd 1.x refuses the `u` suffix: every point would be refused.
      const unsigned = [...settings.fieldTypes].find(([, type]) => type === 'uinteger');
      if (unsigned && server.version === 1) return configFailed([{ key: 'uintegerOn1x', params: { name: unsigned[0] } }]);
      const spool = openArchiveSpool(this, t, settings);
      if (!spool.ok) return spool;
      const target: Destination = { database: server.database, retentionPolicy: server.retentionPolicy };
      const influx = { write: createWritePort(server, useGzip(settings.gzip, server.url)), createDatabase: createDatabasePort(server) };
      // done() means "durable" only with the disk spool (ack-after-archive, ACK-AFTER-ARCHIVE.md).
      const sink = settings.spool ? durableSink(RED, this, clock) : undefined;
      // Below the ingest's CLOSE_ACK_WAIT_MS (5 s): a stopping ingest must still see the archive's
      // last write or spool complete, so it acknowledges the messages instead of leaving them to
      // be redelivered (a window would count them twice).
      const closeWaitMs = Math.min(4_000, Math.max(500, nodeCloseTimeoutOf(RED) / 3));
      const { spool: opened, release } = spool.settings;
      // InfluxDB 3's schema limits are checked before writing (README "archive").
      const schemaLimits = server.version === 3 ? INFLUXDB3_CORE_LIMITS : undefined;
      return configOk(
        new ArchiveController({ node: this, settings, target, t, clock, spool: opened, influx, sink, closeWaitMs, schemaLimits, onClosed: release }),
      );
    });
  }

  RED.nodes.registerType('telemetry-archive', TelemetryArchiveNode);
}

function nodeCloseTimeoutOf(RED: NodeAPI): number {
  return Number((RED.settings as { nodeCloseTimeout?: unknown }).nodeCloseTimeout) || NODE_CLOSE_TIMEOUT_MS;
}

function userDirOf(RED: NodeAPI): string {
  const dir = (RED.settings as { userDir?: unknown }).userDir;
  if (typeof dir === 'string' && dir !== '') return dir;
  // Node-RED's own default user dir, for runtimes that do not set it (embedded, test helpers).
  return `${process.env.HOME ?? process.cwd()}/.node-red`;
}

