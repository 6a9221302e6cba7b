module.exports = require('../dist/nodes/partition').default;
