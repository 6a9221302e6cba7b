module.exports = require('../dist/nodes/influxdb').default;
