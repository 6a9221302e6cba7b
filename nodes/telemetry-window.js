module.exports = require('../dist/nodes/window').default;
