'use strict';
// The scenarios in report order.
module.exports = [require('./a-raw'), require('./b-ours'), require('./b3-full'), require('./b2-pipeline'), require('./c-best'), require('./c-naive')];
