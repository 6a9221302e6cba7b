module.exports = require('../dist/nodes/enrich').default;
