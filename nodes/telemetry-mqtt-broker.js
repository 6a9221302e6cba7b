module.exports = require('../dist/nodes/mqtt-broker').default;
