'use strict';
// A — the raw limit: mqtt.js subscriber → our validator + line-protocol encoder → HTTP writes
// (5,000-line batches, 4 in flight), in one plain Node.js process, no Node-RED. The most this
// machine can do end to end with this broker, this database and our encoder.
const fs = require('fs');
const path = require('path');
const { startRawSubject, REPO } = require('../lib/subjects');

module.exports = {
  id: 'A',
  title: 'raw limit: mqtt.js → line protocol → HTTP, no Node-RED',
  nodeRed: false,
  modes: ['throughput', 'latency'],
  unavailable() {
    for (const f of ['core/line-protocol.js', 'core/reading.js', 'io/influx-http.js']) {
      if (!fs.existsSync(path.join(REPO, 'dist', f))) return `dist/${f} is not built (npm run build)`;
    }
    return undefined;
  },
  start: (ctx) => startRawSubject({ mqttUrl: ctx.mqttUrl, influxUrl: ctx.influxUrl, db: ctx.db, qos: ctx.qos, env: ctx.env }),
};
