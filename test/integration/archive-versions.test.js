'use strict';
// telemetry-archive against InfluxDB 2.x and 3.x (#18): the conformance server
// (test/support/influx-conformance, built from InfluxData's API contracts) stores into a real
// influxd, so what lands is counted in real storage. 3.x partial writes refuse exactly the lines
// the server lists; 2.x refusals are bisected as 1.x's; fieldTypes and the 3.x limits hold.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const { startConformance } = require('../support/influx-conformance');
const { waitFor, sleep } = require('../support/wait');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const archiveNode = require('../../nodes/telemetry-archive.js');

const T0 = Date.now() - 600_000;
const reading = (i, fields = { v: i / 2 }, measurement = 'telemetry') => ({ measurement, tags: { device: `d${i % 5}` }, fields, timestamp: T0 + i });

describe('telemetry-archive → InfluxDB 2.x and 3.x (conformance server)', function () {
  this.timeout(60000);
  let influx;
  let spoolRoot;
  let seq = 0;

  before(async function () {
    this.timeout(30000);
    influx = await startInflux(this);
    await new Promise((resolve) => helper.startServer(resolve));
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(function () {
    spoolRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-v-'));
  });
  afterEach(async function () {
    await helper.unload();
    fs.rmSync(spoolRoot, { recursive: true, force: true });
  });

  async function load(server, token, archive = {}) {
    await helper.load(
      [influxNode, archiveNode],
      [
        { id: 's1', type: 'telemetry-influxdb', timeout: 5000, ...server },
        {
          id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 1000, flushInterval: '50ms', maxRetries: 1, maxBackoff: '500ms',
          spool: true, spoolDir: path.join(spoolRoot, 'a1'), gzip: true, wires: [['reports'], ['rejected']], ...archive,
        },
        { id: 'reports', type: 'helper' },
        { id: 'rejected', type: 'helper' },
      ],
      { s1: { token } },
    );
    const rejected = [];
    helper.getNode('rejected').on('input', (m) => rejected.push(m));
    return rejected;
  }

  describe('3.x', function () {
    let conf;
    before(async function () {
      conf = await startConformance(this, { version: 3, influx });
    });
    beforeEach(() => conf.reset());
    const server = (database) => ({ version: '3', url: conf.url, database });
    const writes = () => conf.requests.filter((r) => r.path === '/api/v3/write_lp');

    it('one bad line in a batch of 200: only that line on output 2 with the server\'s message, the rest stored, one request', async function () {
      const db = `v3_partial_${++seq}`;
      await conf.createDatabase(db);
      const rejected = await load(server(db), conf.token);
      // Fix the column type first: v is a float.
      helper.getNode('a1').receive({ payload: [reading(-1)] });
      await waitFor(async () => (await influx.count(db, 'telemetry')) === 1, { timeout: 10000 });
      conf.reset();
      const batch = Array.from({ length: 200 }, (_, i) => reading(i));
      batch[123] = reading(123, { v: 'not a float' });
      helper.getNode('a1').receive({ payload: batch });
      await waitFor(async () => rejected.length === 1 && (await influx.count(db, 'telemetry')) === 200, { timeout: 10000 });
      await sleep(200);
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0].error.code, 'REFUSED');
      assert.match(rejected[0].error.message, /invalid column type for column 'v'/);
      assert.deepEqual(rejected[0].payload, batch[123]);
      assert.equal(writes().length, 1, 'no bisecting: the server said which line');
      assert.equal(writes()[0].query.accept_partial, 'true');
    });

    it('fieldTypes: an integer column takes our points', async function () {
      const db = `v3_types_${++seq}`;
      await conf.createDatabase(db);
      await (async () => {
        const res = await fetch(`${conf.url}/api/v3/write_lp?db=${db}&precision=millisecond`, {
          method: 'POST', headers: { authorization: `Bearer ${conf.token}` }, body: `telemetry,device=d0 count=1i ${T0 - 1000}`,
        });
        assert.equal(res.status, 204, await res.text());
      })();
      const rejected = await load(server(db), conf.token, { fieldTypes: 'count:integer' });
      helper.getNode('a1').receive({ payload: [reading(1, { count: 5 }), reading(2, { count: 6 })] });
      await waitFor(async () => (await influx.count(db, 'telemetry')) === 3, { timeout: 10000 });
      assert.deepEqual(rejected, []);
      const rows = await influx.rows('SELECT "count" FROM telemetry ORDER BY time', { db });
      assert.deepEqual(rows.map((r) => r.count), [1, 5, 6]);
    });

  });

  describe('3.x with a table limit of 3 (its own server: 3 Core counts tables over all databases)', function () {
    let conf;
    before(async function () {
      conf = await startConformance(this, { version: 3, influx, limits: { tables: 3 } });
    });

    it('a line beyond the table limit (422 partial write): only that line on output 2, with the server\'s reason', async function () {
      const db = `v3_limit_${++seq}`;
      await conf.createDatabase(db);
      const rejected = await load({ version: '3', url: conf.url, database: db }, conf.token);
      const batch = ['a', 'b', 'c', 'd'].map((m, i) => reading(i, { v: 1 }, m));
      helper.getNode('a1').receive({ payload: batch });
      await waitFor(() => rejected.length === 1, { timeout: 10000 });
      await sleep(200);
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0].payload.measurement, 'd');
      assert.match(rejected[0].error.message, /exceed number of tables limit.*\(HTTP 422, partial write\)/);
      assert.deepEqual(Object.keys(conf.catalog(db).tables).sort(), ['a', 'b', 'c']);
    });
  });

  describe('2.x', function () {
    let conf;
    before(async function () {
      conf = await startConformance(this, { version: 2, influx });
    });
    beforeEach(() => conf.reset());
    const server = (bucket) => ({ version: '2', url: conf.url, org: conf.org, bucket });

    it('a field type conflict in a batch of 100: exactly the bad point on output 2, the rest stored (bucket created on first use)', async function () {
      const bucket = `v2_conflict_${++seq}`;
      const rejected = await load(server(bucket), conf.token);
      helper.getNode('a1').receive({ payload: [reading(-1)] });
      await waitFor(async () => (await influx.count(bucket, 'telemetry')) === 1, { timeout: 10000 });
      const batch = Array.from({ length: 100 }, (_, i) => reading(i));
      batch[42] = reading(42, { v: 'text' });
      helper.getNode('a1').receive({ payload: batch });
      await waitFor(async () => rejected.length === 1 && (await influx.count(bucket, 'telemetry')) === 100, { timeout: 10000 });
      await sleep(200);
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0].error.code, 'REFUSED');
      assert.deepEqual(rejected[0].payload, batch[42]);
    });
  });
});
