'use strict';
// B3 — ours, the full pipeline with defaults (issue #16): ingest → enrich (device lookup table →
// tags, °C→°F) → archive, and enrich → window (tumbling 10 s per device: temperature mean, min,
// max, count, p95) → the same archive. No JSONata (B2 is this plus a JSONata rule). Throughput
// and loss are counted on the readings; the window aggregates that landed are reported beside.
const { fullPipelineFlow, WINDOW_OUTPUT } = require('../lib/flows');
const { missingNodeType, startNodeRedSubject } = require('../lib/subjects');

const TYPES = ['telemetry-mqtt-broker', 'telemetry-influxdb', 'telemetry-ingest', 'telemetry-enrich', 'telemetry-window', 'telemetry-archive'];

module.exports = {
  id: 'B3',
  title: 'ours: full pipeline, defaults: ingest → enrich (lookup, °C→°F) → archive + window (10 s) → archive',
  nodeRed: true,
  modes: ['throughput', 'latency'],
  extraCounts: { windows: WINDOW_OUTPUT },
  TYPES,
  unavailable: () => TYPES.map(missingNodeType).find(Boolean),
  start: (ctx) => startNodeRedSubject({ flows: fullPipelineFlow(ctx), env: ctx.env }),
};
