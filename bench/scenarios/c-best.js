'use strict';
// C-best — the best peer flow, same Node-RED, same run: core `mqtt in` (JSON) → a function that
// batches 5,000 points (and flushes every 1 s) → node-red-contrib-influxdb `influxdb batch`
// (precision ms).
const { peerBestFlow, PEER_CREDENTIALS } = require('../lib/flows');
const { missingPeer, startNodeRedSubject } = require('../lib/subjects');

module.exports = {
  id: 'C-best',
  title: 'peer: mqtt in → function (batch 5,000) → influxdb batch',
  nodeRed: true,
  modes: ['throughput', 'latency'],
  unavailable: missingPeer,
  start: (ctx) => startNodeRedSubject({ flows: peerBestFlow(ctx), credentials: PEER_CREDENTIALS, peers: true, env: ctx.env }),
};
