module.exports = require('../dist/nodes/archive').default;
