'use strict';
// C-naive — the common peer flow: core `mqtt in` (JSON) → function → node-red-contrib-influxdb
// `influxdb out`, one HTTP write per message. Run paced at its sustainable rate (2,000 msg/s:
// throughput, loss and latency at that rate), plus one unpaced burst per QoS showing what it
// loses when messages come faster (bounded to 60 s).
const { peerNaiveFlow, PEER_CREDENTIALS } = require('../lib/flows');
const { missingPeer, startNodeRedSubject } = require('../lib/subjects');

module.exports = {
  id: 'C-naive',
  title: 'peer: mqtt in → function → influxdb out (1 write/msg)',
  nodeRed: true,
  modes: ['paced', 'burst'],
  unavailable: missingPeer,
  start: (ctx) => startNodeRedSubject({ flows: peerNaiveFlow(ctx), credentials: PEER_CREDENTIALS, peers: true, env: ctx.env }),
};
