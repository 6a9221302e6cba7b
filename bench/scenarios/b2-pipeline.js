'use strict';
// B2 — B3's full pipeline (defaults) plus one enrich rule more: a JSONata tag
// (`fields.rssi > -70 ? "strong" : "weak"`), so B2 − B3 is what a JSONata rule costs.
const { fullPipelineFlow, WINDOW_OUTPUT } = require('../lib/flows');
const { missingNodeType, startNodeRedSubject } = require('../lib/subjects');
const { TYPES } = require('./b3-full');

module.exports = {
  id: 'B2',
  title: 'ours: the full pipeline (B3) + a JSONata enrich rule',
  nodeRed: true,
  modes: ['throughput', 'latency'],
  extraCounts: { windows: WINDOW_OUTPUT },
  unavailable: () => TYPES.map(missingNodeType).find(Boolean),
  start: (ctx) => startNodeRedSubject({ flows: fullPipelineFlow(ctx, { jsonata: true }), env: ctx.env }),
};
