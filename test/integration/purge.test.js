'use strict';
// telemetry-purge against a real InfluxDB 1.x (started by test/support/services.js), through
// the real Node-RED runtime (test helper): every mode, the dry run, the guards, hostile
// measurement names, and a year of minutely data purged in slices.
const assert = require('assert');
const helper = require('../support/helper');
const { purgeFixture } = require('../support/purge-fixture');
const purgeModule = require('../../nodes/telemetry-purge.js');
const { catalogTranslator } = require('../support/i18n');

// Status texts as users see them (the helper's RED._ returns the key).
const { translate, withCatalog } = catalogTranslator('telemetry-purge');
const purgeNode = withCatalog(purgeModule);
const { encodeValidReading } = require('../../dist/core/line-protocol');

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;

describe('telemetry-purge against InfluxDB 1.x', function () {
  this.timeout(30_000);
  const fx = purgeFixture(purgeNode, 'purge');

  const line = (measurement, tags, fields, timestamp) => encodeValidReading({ measurement, tags, fields, timestamp });
  /** One point per `stepMs` for each device, from `from` (ms before now) to `to` (ms before now). */
  function points(measurement, { from, to, stepMs = H, devices = ['d1'], fields = (i) => ({ v: i }), tags = {} }) {
    const now = Date.now();
    const out = [];
    let i = 0;
    for (let t = now - from; t < now - to; t += stepMs, i++) {
      for (const device of devices) out.push(line(measurement, { device, ...tags }, fields(i), t));
    }
    return out;
  }
  const write = (lines, opts = {}) => fx.influx.write(lines.join('\n'), { db: fx.db, ...opts });
  const exact = (measurement, where) => fx.influx.count(fx.db, measurement, { exact: true, where });
  const olderThan = (ms) => `time < now() - ${ms}ms`;

  async function run(config, msg = { payload: '' }) {
    await fx.load(config);
    const p1 = helper.getNode('p1');
    const statuses = [];
    const original = p1.status.bind(p1);
    p1.status = (s) => (statuses.push(s), original(s));
    return { ...(await fx.outcome(msg)), statuses };
  }
  async function ok(config, msg) {
    const r = await run(config, msg);
    if (r.error) throw new Error(`purge failed: ${r.error.error.message}`);
    return { reports: r.ok.payload, msg: r.ok, statuses: r.statuses };
  }
  async function refused(config, msg) {
    const r = await run(config, msg);
    assert.ok(r.error, `expected an error, got ${JSON.stringify(r.ok && r.ok.payload)}`);
    return r.error;
  }

  describe('mode delete', function () {
    it('deletes what is older than olderThan and keeps the rest and other measurements', async function () {
      await write([...points('cpu', { from: 20 * D, to: 0, devices: ['d1', 'd2'] }), ...points('mem', { from: 20 * D, to: 0 })]);
      const old = await exact('cpu', olderThan(10 * D + MIN));
      const young = await exact('cpu', 'time > now() - 10d');
      const { reports } = await ok({ measurements: 'cpu', olderThan: '10d' });
      assert.deepStrictEqual([reports.length, reports[0].measurement, reports[0].dryRun], [1, 'cpu', false]);
      assert.ok(Math.abs(reports[0].matched - old) <= 2, `matched ${reports[0].matched} ≈ ${old}`);
      assert.strictEqual(reports[0].deleted, reports[0].matched);
      assert.strictEqual(await exact('cpu', `time < ${reports[0].cutoff}ms`), 0);
      assert.ok(Math.abs((await exact('cpu')) - young) <= 2);
      assert.strictEqual(await exact('mem'), 20 * 24);
    });

    it('with where, deletes only the matching series', async function () {
      await write([...points('cpu', { from: 5 * D, to: 0, tags: { site: 'a' } }), ...points('cpu', { from: 5 * D, to: 0, tags: { site: 'b' } })]);
      const { reports } = await ok({ measurements: 'cpu', olderThan: '2d', where: '{"site":"a"}' });
      assert.ok(reports[0].deleted > 0);
      assert.strictEqual(await exact('cpu', `"site" = 'a' AND time < ${reports[0].cutoff}ms`), 0);
      assert.strictEqual(await exact('cpu', `"site" = 'b'`), 5 * 24);
      assert.deepStrictEqual(reports[0].where, { site: 'a' });
    });

    it('a dry run counts exactly what a real run then deletes, and changes nothing', async function () {
      await write(points('cpu', { from: 30 * D, to: 0, stepMs: 10 * MIN, devices: ['d1', 'd2', 'd3'] }));
      const before = await exact('cpu');
      const dry = await ok({ measurements: 'cpu', olderThan: '7d', dryRun: true });
      assert.strictEqual(await exact('cpu'), before);
      assert.deepStrictEqual([dry.reports[0].deleted, dry.reports[0].dryRun], [0, true]);
      const real = await ok({ measurements: 'cpu', olderThan: '7d' });
      assert.ok(Math.abs(real.reports[0].deleted - dry.reports[0].matched) <= 3, `${real.reports[0].deleted} vs ${dry.reports[0].matched}`);
      assert.strictEqual(await exact('cpu'), before - real.reports[0].deleted);
    });
  });

  describe('mode downsample-delete', function () {
    it('writes hourly means per series, verifies them, then deletes the source', async function () {
      // Minutely values 0..59 repeating: every complete hour has the mean 29.5.
      const lines = points('cpu', { from: 3 * D, to: 0, stepMs: MIN, devices: ['d1', 'd2'], fields: (i) => ({ v: new Date(Date.now() - 3 * D + i * MIN).getUTCMinutes(), s: 'txt' }) });
      await write(lines);
      const { reports } = await ok({ measurements: 'cpu', olderThan: '1d', mode: 'downsample-delete', downsampleEvery: '1h', downsampleAggregate: 'mean,max' });
      const r = reports[0];
      assert.strictEqual(r.downsampleTo, 'cpu_1h');
      assert.strictEqual(r.cutoff % H, 0);
      assert.strictEqual(await exact('cpu', `time < ${r.cutoff}ms`), 0);
      const rows = await fx.influx.rows(`SELECT * FROM "cpu_1h" WHERE time < ${r.cutoff}ms GROUP BY *`, { db: fx.db });
      assert.strictEqual(r.downsampled, rows.length);
      assert.deepStrictEqual([...new Set(rows.map((x) => x.device))].sort(), ['d1', 'd2']);
      const complete = rows.filter((x) => x.time > Date.now() - 3 * D + H);
      assert.ok(complete.length > 40);
      for (const row of complete) assert.deepStrictEqual([row.mean_v, row.max_v], [29.5, 59]);
      assert.ok(!('mean_s' in rows[0]), 'a string field has no mean');
    });

    it('a dry run reports what it would write and writes nothing', async function () {
      await write(points('cpu', { from: 3 * D, to: 0, stepMs: 10 * MIN }));
      const { reports } = await ok({ measurements: 'cpu', olderThan: '1d', mode: 'downsample-delete', dryRun: true });
      assert.ok(reports[0].downsampled >= 47 && reports[0].downsampled <= 49, `${reports[0].downsampled} hourly points`);
      assert.strictEqual(await exact('cpu_1h'), 0);
      assert.strictEqual(await exact('cpu'), 3 * 144);
    });

    it('refuses to delete points the aggregate cannot carry (text fields, mean)', async function () {
      await write(points('log', { from: 3 * D, to: 0, fields: () => ({ message: 'hello' }) }));
      const err = await refused({ measurements: 'log', olderThan: '1d', mode: 'downsample-delete' });
      assert.strictEqual(err.error.code, 'DOWNSAMPLE_EMPTY');
      assert.strictEqual(await exact('log'), 3 * 24);
    });

    it('last carries text fields', async function () {
      await write(points('log', { from: 3 * D, to: 0, fields: () => ({ message: 'hello' }) }));
      const { reports } = await ok({ measurements: 'log', olderThan: '1d', mode: 'downsample-delete', downsampleAggregate: 'last', downsampleEvery: '6h' });
      assert.ok(reports[0].downsampled >= 7);
      const rows = await fx.influx.rows(`SELECT * FROM "log_6h" WHERE time < now()`, { db: fx.db });
      assert.strictEqual(rows[0].last_message, 'hello');
    });
  });

  describe('mode retention-policy', function () {
    it('creates a named policy as default and reports its shard duration', async function () {
      const { reports } = await ok({ mode: 'retention-policy', olderThan: '30d', rpName: 'month', rpDefault: true });
      assert.deepStrictEqual(
        [reports[0].action, reports[0].retentionPolicy, reports[0].duration, reports[0].shardDuration, reports[0].default],
        ['created', 'month', '30d', '1d', true],
      );
      const [rp] = (await fx.influx.rows(`SHOW RETENTION POLICIES ON "${fx.db}"`)).filter((p) => p.name === 'month');
      assert.deepStrictEqual([rp.duration, rp.default], ['720h0m0s', true]);
    });

    it('alters the database default policy, then finds nothing to change', async function () {
      const first = await ok({ mode: 'retention-policy', olderThan: '90d', rpShardDuration: '2d' });
      assert.deepStrictEqual([first.reports[0].action, first.reports[0].retentionPolicy, first.reports[0].previous.duration], ['altered', 'autogen', 'INF']);
      assert.strictEqual(first.reports[0].shardDuration, '2d');
      await helper.unload();
      const second = await ok({ mode: 'retention-policy', olderThan: '90d', rpShardDuration: '2d' });
      assert.strictEqual(second.reports[0].action, 'unchanged');
    });

    it('a dry run reports the change and changes nothing', async function () {
      const { reports } = await ok({ mode: 'retention-policy', olderThan: '30d', dryRun: true });
      assert.deepStrictEqual([reports[0].action, reports[0].dryRun], ['altered', true]);
      const [rp] = await fx.influx.rows(`SHOW RETENTION POLICIES ON "${fx.db}"`);
      assert.strictEqual(rp.duration, '0s');
    });
  });

  describe('guards', function () {
    it('refuses olderThan shorter than minAge and touches nothing', async function () {
      await write(points('cpu', { from: 2 * D, to: 0 }));
      const err = await refused({ measurements: 'cpu', olderThan: '30m' });
      assert.strictEqual(err.error.code, 'CONFIG');
      assert.match(err.error.message, /olderThan 30m is shorter than minAge 1h/);
      assert.strictEqual(await exact('cpu'), 48);
    });

    it('refuses when another retention policy holds the measurement, because DELETE would reach it', async function () {
      await fx.influx.query(`CREATE RETENTION POLICY "forever" ON "${fx.db}" DURATION INF REPLICATION 1`);
      await write(points('cpu', { from: 5 * D, to: 0 }));
      await write(points('cpu', { from: 5 * D, to: 0 }), { rp: 'forever' });
      const err = await refused({ measurements: 'cpu', olderThan: '1d' });
      assert.strictEqual(err.error.code, 'OTHER_RP_HAS_DATA');
      assert.strictEqual(await exact('cpu'), 120);
      assert.strictEqual((await fx.influx.rows('SELECT * FROM "forever"."cpu"', { db: fx.db })).length, 120);
    });

    it('refuses a where key that is a field', async function () {
      await write(points('cpu', { from: 2 * D, to: 0 }));
      const err = await refused({ measurements: 'cpu', olderThan: '1d', where: '{"v":"1"}' });
      assert.strictEqual(err.error.code, 'WHERE_ON_FIELD');
    });

    it('msg.payload may narrow but not widen, and only when allowed', async function () {
      await write([...points('cpu', { from: 5 * D, to: 0 }), ...points('mem', { from: 5 * D, to: 0 })]);
      const off = await refused({ measurements: 'cpu,mem', olderThan: '1d' }, { payload: { measurements: ['cpu'] } });
      assert.strictEqual(off.error.code, 'OVERRIDE_DISABLED');
      await helper.unload();
      const wide = await refused({ measurements: 'cpu', olderThan: '1d', allowMsgOverride: true }, { payload: { measurements: ['cpu', 'mem'] } });
      assert.strictEqual(wide.error.code, 'OVERRIDE_WIDENS');
      await helper.unload();
      const { reports } = await ok({ measurements: 'cpu,mem', olderThan: '1d', allowMsgOverride: true }, { payload: { measurements: ['mem'], olderThan: '3d' } });
      assert.deepStrictEqual(reports.map((r) => r.measurement), ['mem']);
      assert.strictEqual(await exact('cpu'), 120);
      assert.ok((await exact('mem')) >= 71 && (await exact('mem')) <= 73);
    });
  });

  describe('hostile measurement names', function () {
    const HOSTILE = ['cpu"; DROP MEASUREMENT "other', "x' OR '1'='1", 'a;b', '温度 °C', 'back\\slash', "it's -- not a comment", '/.*/', 'WHERE time > 0'];

    it('each is written, found, and purged without touching any other measurement', async function () {
      const bystanders = ['cpu', 'other', 'x', 'a', 'b'];
      await write([...HOSTILE, ...bystanders].flatMap((m) => points(m, { from: 3 * D, to: 0 })));
      const names = (await fx.influx.rows('SHOW MEASUREMENTS', { db: fx.db })).map((r) => r.name);
      for (const m of HOSTILE) assert.ok(names.includes(m), `InfluxDB stored ${JSON.stringify(m)}`);
      const { reports } = await ok({ measurements: JSON.stringify(HOSTILE), olderThan: '1d' });
      assert.deepStrictEqual(reports.map((r) => r.measurement), HOSTILE);
      for (const r of reports) {
        assert.ok(r.deleted >= 47 && r.deleted <= 49, `${JSON.stringify(r.measurement)}: deleted ${r.deleted}`);
        assert.strictEqual(await exact(r.measurement), 72 - r.deleted);
      }
      for (const m of bystanders) assert.strictEqual(await exact(m), 72, `${m} untouched`);
    });
  });

  describe('a year of minutely data', function () {
    it('is purged oldest first, one shard group per statement, with progress in the status', async function () {
      this.timeout(120_000);
      const start = Date.now() - 366 * D;
      const total = 525_600;
      for (let b = 0; b < total; b += 50_000) {
        const lines = [];
        for (let i = b; i < Math.min(total, b + 50_000); i++) lines.push(`year,device=d1 v=${i % 100} ${start + i * MIN}`);
        await write(lines);
      }
      assert.strictEqual(await fx.influx.count(fx.db, 'year'), total);
      const t0 = Date.now();
      const { reports, statuses } = await ok({ measurements: 'year', olderThan: '1d' });
      const elapsed = Date.now() - t0;
      const r = reports[0];
      assert.ok(Math.abs(r.deleted - total) <= 1, `deleted ${r.deleted}`);
      assert.ok(r.slices >= 52 && r.slices <= 54, `${r.slices} slices`);
      assert.strictEqual(await fx.influx.count(fx.db, 'year'), total - r.deleted);
      const percents = statuses.map((s) => /^(\d+)%/.exec(s.text)).filter(Boolean).map((m) => Number(m[1]));
      assert.ok(percents.length >= 1, 'progress shown');
      assert.deepStrictEqual(percents, [...percents].sort((a, b) => a - b), 'progress only goes up');
      console.log(`      (year of minutely data: ${r.deleted} points in ${r.slices} slices, ${elapsed} ms)`);
    });
  });
});
