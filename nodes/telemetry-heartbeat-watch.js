module.exports = require('../dist/nodes/heartbeat-watch').default;
