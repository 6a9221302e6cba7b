'use strict';
// The fixture of the purge suites that run telemetry-purge in the test helper against a real
// InfluxDB (test/integration/purge.test.js, test/security/influxql-injection.test.js).
const helper = require('./helper');
const { startInflux } = require('./services');
const influxNode = require('../../nodes/telemetry-influxdb.js');

/**
 * Registers the hooks of the calling `describe`: InfluxDB for the suite, a new database
 * `<dbPrefix>_<n>` before each test, the flow unloaded after each test. `purgeNode` is the
 * purge node module to load (e.g. one wrapped with a message catalogue). Returns:
 * - `influx`, `db`: the suite's InfluxDB and the current test's database;
 * - `load(purge)`: (re)loads the flow: a telemetry-influxdb config node `s1` on `db`, the purge
 *   node `p1` (`purge`: its config, over `server` and `dryRun: false`), a helper `out` on its
 *   output and a catch node sending its errors to the helper `caught`;
 * - `outcome(msg)`: sends `msg` to `p1`; resolves with `{ ok: msg }` (what `out` got) or
 *   `{ error: msg }` (what the catch node got).
 */
function purgeFixture(purgeNode, dbPrefix) {
  let n = 0;
  const fx = {
    influx: undefined,
    db: undefined,
    async load(purge) {
      await helper.unload();
      await helper.load(
        [influxNode, purgeNode],
        [
          { id: 's1', type: 'telemetry-influxdb', url: fx.influx.url, database: fx.db, retentionPolicy: '', timeout: 10000 },
          { id: 'p1', type: 'telemetry-purge', server: 's1', dryRun: false, wires: [['out']], ...purge },
          { id: 'out', type: 'helper' },
          { id: 'catcher', type: 'catch', scope: ['p1'], uncaught: false, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
        ],
      );
    },
    outcome(msg) {
      const result = new Promise((resolve) => {
        helper.getNode('out').once('input', (m) => resolve({ ok: m }));
        helper.getNode('caught').once('input', (m) => resolve({ error: m }));
      });
      helper.getNode('p1').receive(msg);
      return result;
    },
  };

  before(async function () {
    fx.influx = await startInflux(this);
  });
  beforeEach(async function () {
    fx.db = `${dbPrefix}_${++n}`;
    await fx.influx.createDatabase(fx.db);
  });
  afterEach(async function () {
    await helper.unload();
  });

  return fx;
}

module.exports = { purgeFixture };
