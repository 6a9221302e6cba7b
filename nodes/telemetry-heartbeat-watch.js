module.exports = require('../dist/nodes/heartbeat').default;
