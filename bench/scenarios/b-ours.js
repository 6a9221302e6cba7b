'use strict';
// B — ours: a real Node-RED child process with telemetry-ingest (its own broker connection,
// micro-batches of ≤ 1,000 readings / 100 ms) → telemetry-archive (5,000 points / 1 s, spool on).
const { oursFlow } = require('../lib/flows');
const { missingNodeType, startNodeRedSubject } = require('../lib/subjects');

const TYPES = ['telemetry-mqtt-broker', 'telemetry-influxdb', 'telemetry-ingest', 'telemetry-archive'];

module.exports = {
  id: 'B',
  title: 'ours: telemetry-ingest → telemetry-archive',
  nodeRed: true,
  modes: ['throughput', 'latency'],
  unavailable: () => TYPES.map(missingNodeType).find(Boolean),
  start: (ctx) => startNodeRedSubject({ flows: oursFlow(ctx), env: ctx.env }),
};
