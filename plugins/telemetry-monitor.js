module.exports = require('../dist/nodes/shared/monitor-plugin').default;
