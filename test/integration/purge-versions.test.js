'use strict';
// telemetry-purge against InfluxDB 2.x and 3.x (3 Core), spoken natively: the strict conformance
// server of test/support/influx-conformance (the vendors' API contracts, storing into a real
// influxd 1.6 underneath), the purge node in the runtime (test helper). What is checked is read
// from the storage directly, not from the node's report.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const { startConformance } = require('../support/influx-conformance');
const { encodeValidReading } = require('../../dist/core/line-protocol');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const purgeNode = require('../../nodes/telemetry-purge.js');

const H = 3_600_000;
const D = 24 * H;

/** 4 points per (measurement, device): 3 older than 1d (at whole minutes), 1 recent. */
function lines(now) {
  const out = [];
  const base = Math.floor(now / 60_000) * 60_000;
  for (const device of ['d1', 'd2']) {
    for (const m of ['target', 'bystander']) {
      for (const age of [3 * D, 2.5 * D, 2 * D, H]) out.push(encodeValidReading({ measurement: m, tags: { device }, fields: { v: 1 }, timestamp: base - age }));
    }
  }
  return out.join('\n');
}

async function send(server, path, body, scheme) {
  const res = await fetch(server.url + path, { method: 'POST', headers: { Authorization: `${scheme} ${server.token}`, 'Content-Type': 'text/plain' }, body });
  assert.equal(res.status, 204, await res.text());
}

describe('purge on InfluxDB 2.x and 3.x (conformance server)', function () {
  this.timeout(30_000);
  let influx;
  before(async function () {
    influx = await startInflux(this);
  });
  afterEach(() => helper.unload());

  /** Loads influxdb config `s1` (`server`: its config) + purge `p1`; resolves with a run's outcome. */
  async function purge(server, credentials, config, msg = { payload: 'go' }) {
    await helper.load(
      [influxNode, purgeNode],
      [
        { id: 's1', type: 'telemetry-influxdb', timeout: 10000, ...server },
        { id: 'p1', type: 'telemetry-purge', server: 's1', dryRun: false, measurements: 'target', olderThan: '1d', wires: [['out']], ...config },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: ['p1'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      { s1: credentials },
    );
    const result = new Promise((resolve) => {
      helper.getNode('out').once('input', (m) => resolve({ ok: m }));
      helper.getNode('caught').once('input', (m) => resolve({ error: m }));
    });
    helper.getNode('p1').receive(msg);
    return result;
  }

  /** device → number of points of measurement `m` in `db`, read from the storage. */
  async function counts(db, m) {
    const rows = await influx.rows(`SELECT COUNT(v) FROM "${m}" GROUP BY device`, { db });
    return Object.fromEntries(rows.map((r) => [r.device, r.count]));
  }

  describe('2.x', function () {
    let s;
    let n = 0;
    let bucket;
    before(async function () {
      s = await startConformance(this, { version: 2, influx, org: 'acme', token: 'tok2' });
    });
    beforeEach(async function () {
      bucket = `pv2_${++n}`;
      await s.createBucket(bucket);
      await send(s, `/api/v2/write?org=acme&bucket=${bucket}&precision=ms`, lines(Date.now()), 'Token');
      s.reset();
      s.deletes.length = 0;
    });
    const server = () => ({ url: s.url, version: '2', org: 'acme', bucket });
    const token = { token: 'tok2' };

    it('delete removes exactly the matched points through /api/v2/delete', async function () {
      const r = await purge(server(), token, { where: '{"device":"d1"}' });
      assert.ok(r.ok, r.error && r.error.error.message);
      const [report] = r.ok.payload;
      assert.deepEqual([report.matched, report.deleted], [3, 3]);
      assert.deepEqual(await counts(bucket, 'target'), { d1: 1, d2: 4 });
      assert.deepEqual(await counts(bucket, 'bystander'), { d1: 4, d2: 4 });
      assert.ok(s.deletes.length >= 1);
      for (const d of s.deletes) assert.equal(d.predicate, '"_measurement"="target" AND "device"="d1"');
    });

    it('a hostile tag value deletes only its own series (the predicate is never widened)', async function () {
      const hostile = 'd1" AND "device"!="x';
      const old = encodeValidReading({ measurement: 'target', tags: { device: hostile }, fields: { v: 1 }, timestamp: Date.now() - 3 * D });
      await send(s, `/api/v2/write?org=acme&bucket=${bucket}&precision=ms`, old, 'Token');
      const r = await purge(server(), token, { where: JSON.stringify({ device: hostile }) });
      assert.ok(r.ok, r.error && r.error.error.message);
      assert.deepEqual([r.ok.payload[0].matched, r.ok.payload[0].deleted], [1, 1]);
      assert.equal(s.deletes.length, 1);
      assert.deepEqual(await counts(bucket, 'target'), { d1: 4, d2: 4 });
    });

    it('a list of values becomes one AND-only delete per value', async function () {
      const r = await purge(server(), token, { where: '{"device":["d1","d2"]}' });
      assert.ok(r.ok, r.error && r.error.error.message);
      assert.deepEqual([r.ok.payload[0].matched, r.ok.payload[0].deleted], [6, 6]);
      assert.deepEqual(new Set(s.deletes.map((d) => d.predicate)), new Set(['"_measurement"="target" AND "device"="d1"', '"_measurement"="target" AND "device"="d2"']));
      assert.deepEqual(await counts(bucket, 'target'), { d1: 1, d2: 1 });
      assert.deepEqual(await counts(bucket, 'bystander'), { d1: 4, d2: 4 });
    });

    it('a dry run counts with InfluxQL and deletes nothing', async function () {
      const r = await purge(server(), token, { dryRun: true });
      assert.ok(r.ok, r.error && r.error.error.message);
      assert.deepEqual([r.ok.payload[0].matched, r.ok.payload[0].deleted], [6, 0]);
      assert.equal(s.deletes.length, 0);
      assert.deepEqual(await counts(bucket, 'target'), { d1: 4, d2: 4 });
    });

    it('downsample-delete writes the aggregates through /api/v2/write, verifies, then deletes', async function () {
      const r = await purge(server(), token, { mode: 'downsample-delete', downsampleTo: 'target_1h', downsampleEvery: '1h' });
      assert.ok(r.ok, r.error && r.error.error.message);
      const [report] = r.ok.payload;
      assert.deepEqual([report.matched, report.deleted, report.downsampled], [6, 6, 6]);
      assert.deepEqual(await counts(bucket, 'target'), { d1: 1, d2: 1 });
      const agg = await influx.rows('SELECT COUNT(mean_v) FROM "target_1h" GROUP BY device', { db: bucket });
      assert.deepEqual(Object.fromEntries(agg.map((x) => [x.device, x.count])), { d1: 3, d2: 3 });
    });

    it('retention-policy sets the bucket retention rule', async function () {
      const r = await purge(server(), token, { mode: 'retention-policy', olderThan: '30d', measurements: '' });
      assert.ok(r.ok, r.error && r.error.error.message);
      assert.deepEqual(r.ok.payload[0].action, 'altered');
      assert.equal(s.bucket(bucket).retentionRules[0].everySeconds, 30 * 86400);
    });
  });

  describe('3.x', function () {
    let s;
    before(async function () {
      s = await startConformance(this, { version: 3, influx, token: 'tok3', databases: ['pv3'] });
      await send(s, '/api/v3/write_lp?db=pv3&precision=millisecond', lines(Date.now()), 'Bearer');
    });
    const server = () => ({ url: s.url, version: '3', database: 'pv3' });
    const token = { token: 'tok3' };

    it('delete is refused with its reason and nothing is deleted', async function () {
      const r = await purge(server(), token, {});
      assert.ok(r.error, 'a 3.x delete ran');
      assert.equal(r.error.error.code, 'REFUSED_BY_VERSION');
      assert.match(r.error.error.message, /3 Core/);
      assert.deepEqual(await counts('pv3', 'target'), { d1: 4, d2: 4 });
    });

    it('a dry run counts with InfluxQL through /query', async function () {
      const r = await purge(server(), token, { dryRun: true });
      assert.ok(r.ok, r.error && r.error.error.message);
      assert.deepEqual([r.ok.payload[0].matched, r.ok.payload[0].deleted, r.ok.payload[0].dryRun], [6, 0, true]);
    });

    it('retention-policy is refused with its reason', async function () {
      const r = await purge(server(), token, { mode: 'retention-policy', olderThan: '30d', measurements: '' });
      assert.equal(r.error && r.error.error.code, 'REFUSED_BY_VERSION');
    });
  });
});
