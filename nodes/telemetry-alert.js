module.exports = require('../dist/nodes/alert').default;
