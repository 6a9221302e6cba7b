module.exports = require('../dist/nodes/purge').default;
