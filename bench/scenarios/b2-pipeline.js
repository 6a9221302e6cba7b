'use strict';
// B2 — ours, the whole pipeline: ingest → enrich (lookup table by device, °C→°F, a JSONata tag)
// → window (tumbling 1 s per device: temperature mean, max, p95) → archive, and the raw
// readings from ingest → a second archive in parallel. Throughput and loss are counted on the
// raw readings; the window aggregates that landed are reported beside them.
const { pipelineFlow, WINDOW_OUTPUT } = require('../lib/flows');
const { missingNodeType, startNodeRedSubject } = require('../lib/subjects');

const TYPES = ['telemetry-mqtt-broker', 'telemetry-influxdb', 'telemetry-ingest', 'telemetry-enrich', 'telemetry-window', 'telemetry-archive'];

module.exports = {
  id: 'B2',
  title: 'ours: ingest → enrich → window (1 s) → archive, + raw archive',
  nodeRed: true,
  modes: ['throughput', 'latency'],
  extraCounts: { windows: WINDOW_OUTPUT },
  unavailable: () => TYPES.map(missingNodeType).find(Boolean),
  start: (ctx) => startNodeRedSubject({ flows: pipelineFlow(ctx), env: ctx.env }),
};
