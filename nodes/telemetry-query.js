module.exports = require('../dist/nodes/query').default;
