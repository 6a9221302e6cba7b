'use strict';
// The one fixture of the pipeline fault tests: the hooks that start InfluxDB and Mosquitto for a
// suite, start a Node-RED running the fault pipeline (lib/pipeline.js) and a publisher, tear them
// down again, and print the figures each test gathered as `FAULT-FIGURES {…}` lines.
const { startInflux, startMosquitto } = require('../../support/services');
const { startNodeRed } = require('../../support/node-red-process');
const { waitFor } = require('../../support/wait');
const { pipelineFlows, startPublisher, storedCount } = require('./pipeline');

/**
 * Registers the hooks of the calling `describe` and returns its handle. `fault` names the figures;
 * `influx` holds the options of `startInflux` (e.g. `{ databases }`).
 *
 * - `influx`, `mosq`: the suite's servers (set by its first `before` hook).
 * - `nr`: the Node-RED `startNodeRed(pipeline, mochaCtx?)` started: one running
 *   `pipelineFlows({ brokerUrl, influxUrl, ...pipeline })` (`influxUrl` defaults to the suite's
 *   InfluxDB). Started in a test it is stopped after that test; started in a `before` hook, pass
 *   the hook's `this`: then it lives until the end of the suite, and its log is printed when a
 *   test fails.
 * - `pub`: the publisher `startPublisher(opts)` started on the suite's broker; ended after the test.
 * - `firstReadings(db)`: resolves once a reading is stored in `db`.
 * - `record(figures = {})`: keeps `figures` (which the test may go on filling) for the suite's
 *   FAULT-FIGURES lines, printed after the suite, failed tests included; returns it.
 * After each test InfluxDB is running again, whatever the test did to it.
 */
function pipelineFixture(fault, { influx: influxOptions } = {}) {
  const figures = [];
  let testNr;
  const fx = {
    influx: undefined,
    mosq: undefined,
    nr: undefined,
    pub: undefined,
    async startNodeRed(pipeline, mochaCtx) {
      const { influxUrl = fx.influx.url, ...rest } = pipeline;
      fx.nr = await startNodeRed({ flows: pipelineFlows({ brokerUrl: fx.mosq.url, influxUrl, ...rest }), mochaCtx });
      if (!mochaCtx) testNr = fx.nr;
      return fx.nr;
    },
    startPublisher(opts) {
      fx.pub = startPublisher(fx.mosq.url, opts);
      return fx.pub;
    },
    firstReadings(db) {
      return waitFor(async () => (await storedCount(fx.influx, db)) > 0, { timeout: 15000, message: 'the first readings' });
    },
    record(f = {}) {
      figures.push(f);
      return f;
    },
  };

  before(async function () {
    this.timeout(60000);
    fx.influx = await startInflux(this, influxOptions);
    fx.mosq = await startMosquitto(this);
  });

  afterEach(async function () {
    if (fx.pub) fx.pub.end();
    fx.pub = undefined;
    if (testNr) await testNr.cleanup();
    testNr = undefined;
    if (fx.influx && !fx.influx.running) await fx.influx.start();
  });

  after(function () {
    for (const f of figures) {
      if (Object.keys(f).length) console.log(`      FAULT-FIGURES ${JSON.stringify({ fault, ...f })}`);
    }
  });

  return fx;
}

module.exports = { pipelineFixture };
