'use strict';
// B — ours: a real Node-RED child process with telemetry-ingest (its own broker connection) →
// telemetry-archive, every batching setting at the nodes' defaults (as the editor sets them).
const { oursFlow } = require('../lib/flows');
const { missingNodeType, startNodeRedSubject } = require('../lib/subjects');

const TYPES = ['telemetry-mqtt-broker', 'telemetry-influxdb', 'telemetry-ingest', 'telemetry-archive'];

module.exports = {
  id: 'B',
  title: 'ours: telemetry-ingest → telemetry-archive (defaults)',
  nodeRed: true,
  modes: ['throughput', 'latency'],
  unavailable: () => TYPES.map(missingNodeType).find(Boolean),
  start: (ctx) => startNodeRedSubject({ flows: oursFlow(ctx), env: ctx.env }),
};
