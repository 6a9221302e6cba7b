'use strict';
// telemetry-archive against a real InfluxDB 1.x (influxd started by the harness), in the
// in-process Node-RED runtime of the test helper. The kill -9 case, which needs a real
// Node-RED process, is in archive-process.test.js.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const { waitFor, sleep } = require('../support/wait');
const archiveNode = require('../../nodes/telemetry-archive.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');

const DEVICES = 20;
// Unique timestamps per reading, so every reading is its own point (nothing overwrites).
const T0 = Date.now() - 3_600_000;
const reading = (i) => ({
  measurement: 'telemetry',
  tags: { device: `dev-${i % DEVICES}`, site: i % 2 ? 'plant-a' : 'plant-b' },
  fields: { temperature: (i % 1000) / 10, seq: i },
  timestamp: T0 + i,
});
const range = (from, n) => Array.from({ length: n }, (_, i) => reading(from + i));

describe('telemetry-archive → real InfluxDB', function () {
  this.timeout(60000);
  let influx;
  let spoolRoot;
  let dbSeq = 0;
  let db;

  before(async function () {
    this.timeout(30000);
    influx = await startInflux(this);
    await new Promise((resolve) => helper.startServer(resolve));
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(function () {
    spoolRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-it-'));
    db = `archive_${++dbSeq}`;
  });
  afterEach(async function () {
    await helper.unload();
    if (!influx.running) await influx.start();
    fs.rmSync(spoolRoot, { recursive: true, force: true });
  });

  function flow(archive = {}) {
    return [
      { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: db, retentionPolicy: '', timeout: 5000 },
      {
        id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 5000, flushInterval: '100ms', maxConcurrent: 2,
        maxRetries: 1, maxBackoff: '500ms', spool: true, spoolDir: path.join(spoolRoot, 'a1'), spoolMaxMB: 64,
        onSpoolFull: 'drop-oldest', gzip: true, allowMsgOverride: false, wires: [['reports'], ['rejected']], ...archive,
      },
      { id: 'reports', type: 'helper' },
      { id: 'rejected', type: 'helper' },
    ];
  }

  const count = () => influx.count(db, 'telemetry');

  /** Sends readings [from, from+n) in msgs of `perMsg`, pausing `pauseMs` between msgs. */
  async function stream(node, from, n, { perMsg = 1000, pauseMs = 0, during } = {}) {
    for (let i = 0; i < n; i += perMsg) {
      node.receive({ payload: range(from + i, Math.min(perMsg, n - i)) });
      if (during) await during(i);
      if (pauseMs) await sleep(pauseMs);
    }
  }

  it('writes 100,000 readings, every one with the right tags and values', async function () {
    await helper.load([influxNode, archiveNode], flow());
    const rejected = [];
    helper.getNode('rejected').on('input', (m) => rejected.push(m));
    await stream(helper.getNode('a1'), 0, 100_000);
    await waitFor(async () => (await count()) === 100_000, { timeout: 30000, interval: 200 });
    assert.deepEqual(rejected, []);

    // Every reading i went to device i % 20 and site by parity, with seq = i and temperature (i % 1000)/10:
    // per (device, site) series the count, the sum of seq and the sum of temperature must match exactly.
    const rows = await influx.rows(`SELECT COUNT(seq) AS n, SUM(seq) AS s, SUM(temperature) AS t FROM telemetry GROUP BY device, site`, { db });
    const expected = new Map();
    for (let i = 0; i < 100_000; i++) {
      const r = reading(i);
      const key = `${r.tags.device}/${r.tags.site}`;
      const e = expected.get(key) || { n: 0, s: 0, t: 0 };
      e.n += 1;
      e.s += i;
      e.t += r.fields.temperature;
      expected.set(key, e);
    }
    assert.equal(rows.length, expected.size);
    for (const row of rows) {
      const e = expected.get(`${row.device}/${row.site}`);
      assert.ok(e, `unexpected series ${row.device}/${row.site}`);
      assert.equal(row.n, e.n);
      assert.equal(row.s, e.s);
      assert.ok(Math.abs(row.t - e.t) < 1e-6 * e.t, `temperature sum ${row.t} ≠ ${e.t}`);
    }
    const [one] = await influx.rows(`SELECT * FROM telemetry WHERE seq = 12345`, { db });
    assert.deepEqual(
      { time: one.time, device: one.device, site: one.site, temperature: one.temperature, seq: one.seq },
      { time: T0 + 12345, device: 'dev-5', site: 'plant-a', temperature: 34.5, seq: 12345 },
    );
  });

  it('InfluxDB stopped mid-stream and restarted: every reading arrives', async function () {
    await helper.load([influxNode, archiveNode], flow());
    const node = helper.getNode('a1');
    const total = 40_000;
    await stream(node, 0, total, {
      perMsg: 1000,
      pauseMs: 50,
      during: async (i) => {
        if (i === 10_000) await influx.stop();
        if (i === 30_000) {
          // The outage lasted long enough for batches to go to the spool.
          assert.ok(fs.readdirSync(path.join(spoolRoot, 'a1')).some((f) => f.endsWith('.lp')), 'nothing was spooled');
          await influx.start();
        }
      },
    });
    await waitFor(async () => (await count()) === total, { timeout: 30000, interval: 250 });
    await waitFor(() => !fs.readdirSync(path.join(spoolRoot, 'a1')).some((f) => f.endsWith('.lp')), { timeout: 5000 });
  });

  it('a redeploy while spooling: every reading arrives', async function () {
    const theFlow = flow();
    await helper.load([influxNode, archiveNode], theFlow);
    await influx.stop();
    await stream(helper.getNode('a1'), 0, 12_000, { perMsg: 1000 });
    // Redeploy the archive node (changed config) while its batches wait in memory and spool.
    await helper.setFlows(theFlow.map((n) => (n.id === 'a1' ? { ...n, name: 'v2' } : n)), 'nodes');
    await stream(helper.getNode('a1'), 12_000, 8_000, { perMsg: 1000 });
    await influx.start();
    await waitFor(async () => (await count()) === 20_000, { timeout: 30000, interval: 250 });
  });

  it('stopped while InfluxDB is up: the open batch is written, nothing left in the spool (a member that leaves for good)', async function () {
    // The influxdb config node stops in the same turn as the archive: its connections must
    // outlive the archive's last write (they were destroyed under it: ECONNRESET, spooled).
    // The config node last, as the runtime stops config nodes (after the others, same turn).
    const [server, ...rest] = flow({ flushInterval: '60s', gzip: false });
    await helper.load([influxNode, archiveNode], [...rest, server]);
    await influx.createDatabase(db);
    await stream(helper.getNode('a1'), 0, 5_000, { perMsg: 1000 });
    await waitFor(async () => (await count()) === 5_000, { timeout: 10000, interval: 50 });
    // A full batch on its way (in flight at the stop) and an open one.
    await stream(helper.getNode('a1'), 5_000, 8_000, { perMsg: 1000 });
    await helper.unload();
    assert.equal(await count(), 13_000);
    assert.deepEqual(fs.readdirSync(path.join(spoolRoot, 'a1')).filter((f) => f.endsWith('.lp')), []);
  });

  it('a field type conflict in a batch of 1,000: exactly the bad point on output 2, the other 999 written', async function () {
    await influx.createDatabase(db);
    await influx.write(`telemetry,device=dev-0,site=plant-b temperature=1,seq=-1 ${T0 - 1000}`, { db });
    await helper.load([influxNode, archiveNode], flow({ batchSize: 1000 }));
    const rejected = [];
    const reports = [];
    helper.getNode('rejected').on('input', (m) => rejected.push(m));
    helper.getNode('reports').on('input', (m) => reports.push(m.payload));
    const batch = range(0, 1000);
    batch[421] = { ...batch[421], fields: { temperature: 'very hot', seq: 421 } };
    helper.getNode('a1').receive({ payload: batch });
    await waitFor(async () => rejected.length === 1 && (await count()) === 1 + 999, { timeout: 10000 });
    await sleep(300); // nothing else may arrive
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].error.code, 'REFUSED');
    assert.match(rejected[0].error.message, /field type conflict/);
    assert.deepEqual(rejected[0].payload, batch[421]);
    const [missing] = await influx.rows(`SELECT COUNT(seq) FROM telemetry WHERE seq = 421`, { db });
    assert.equal(missing, undefined);
    await waitFor(() => reports.reduce((n, r) => n + r.refused, 0) === 1, { timeout: 3000 });
  });

  it('creates the database on first write', async function () {
    await helper.load([influxNode, archiveNode], flow());
    helper.getNode('a1').receive({ payload: range(0, 10) });
    await waitFor(async () => (await count()) === 10, { timeout: 10000 });
  });
});
