module.exports = require('../dist/nodes/ingest').default;
