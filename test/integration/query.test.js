'use strict';
// telemetry-query in the runtime (test helper) against a real influxd 1.6.7 (1.x) and the
// conformance server speaking 2.x and 3.x on the same storage. Hostile parameter values must
// come back as data (matching the tag that holds them) and never run as InfluxQL: after each,
// the database and its points are still there.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const { startConformance } = require('../support/influx-conformance');
const { encodeValidReading } = require('../../dist/core/line-protocol');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const queryNode = require('../../nodes/telemetry-query.js');
const { InfluxHttp } = require('../../dist/io/influx-http');
const { runInfluxQuery } = require('../../dist/io/influx-query');

// Each stored as a device tag (line protocol can hold them), then asked for by parameter.
const STORED = [`it's`, 'a"b', 'back\\slash', "x'; DROP DATABASE qdb; --", 'ünï©ødé 🌡', '$other', "x' OR '1'='1"];
// Never stored: must match nothing, and break nothing.
const ABSENT = ['line\nbreak', '"; DROP MEASUREMENT telemetry_1m; SELECT "', "' OR ''='"];

describe('telemetry-query on InfluxDB 1.x, 2.x and 3.x', function () {
  this.timeout(30_000);
  let influx;
  const now = Date.now();
  const lines = STORED.flatMap((device, i) => [0, 1].map((k) => encodeValidReading({ measurement: 'telemetry_1m', tags: { device, site: 's' }, fields: { temperature_mean: i + k / 10 }, timestamp: now - 60_000 * (k + 1) })));

  before(async function () {
    influx = await startInflux(this);
  });
  afterEach(() => helper.unload());

  const targets = {
    '1.x': async () => {
      await influx.createDatabase('qdb');
      await influx.write(lines.join('\n'), { db: 'qdb' });
      return { server: { url: influx.url, version: '1', database: 'qdb' }, credentials: {}, db: 'qdb' };
    },
    '2.x': async (ctx) => {
      const s = await startConformance(ctx, { version: 2, influx, org: 'acme', token: 'tok2', buckets: ['qb2'] });
      await influx.write(lines.join('\n'), { db: 'qb2' });
      return { server: { url: s.url, version: '2', org: 'acme', bucket: 'qb2', database: 'qb2' }, credentials: { token: 'tok2' }, db: 'qb2', conformance: s };
    },
    '3.x': async (ctx) => {
      const s = await startConformance(ctx, { version: 3, influx, token: 'tok3', databases: ['qdb3'] });
      await influx.write(lines.join('\n'), { db: 'qdb3' });
      return { server: { url: s.url, version: '3', database: 'qdb3' }, credentials: { token: 'tok3' }, db: 'qdb3', conformance: s };
    },
  };

  it('an answer larger than the bound is refused (ANSWER_TOO_LARGE), not read into memory; the client goes on', async function () {
    // LIMIT bounds each series, not how many: GROUP BY "device" returns one series per device.
    await influx.createDatabase('qbig');
    await influx.write(lines.join('\n'), { db: 'qbig' });
    const http = new InfluxHttp({ url: influx.url, timeoutMs: 10_000 });
    const server = { version: 1, database: 'qbig', http };
    const prepared = { text: 'SELECT * FROM "telemetry_1m" GROUP BY "device" LIMIT 2', params: {} };
    try {
      const full = await runInfluxQuery(server, prepared);
      assert.equal(full[0].series.length, STORED.length);
      await assert.rejects(runInfluxQuery(server, prepared, undefined, 300), (err) => err.code === 'ANSWER_TOO_LARGE');
      const again = await runInfluxQuery(server, prepared);
      assert.equal(again[0].series.length, STORED.length);
    } finally {
      http.close();
    }
  });

  for (const [name, setup] of Object.entries(targets)) {
    describe(name, function () {
      let target;
      before(async function () {
        target = await setup(this);
      });

      /** Loads query node q1 with `config`, sends each msg, resolves with [output, msg] per msg. */
      async function run(config, msgs) {
        await helper.load(
          [influxNode, queryNode],
          [
            { id: 's1', type: 'telemetry-influxdb', timeout: 10000, ...target.server },
            { id: 'q1', type: 'telemetry-query', server: 's1', output: 'readings', ...config, wires: [['ok'], ['err']] },
            { id: 'ok', type: 'helper' },
            { id: 'err', type: 'helper' },
          ],
          { s1: target.credentials },
        );
        const out = [];
        for (const msg of msgs) {
          const got = new Promise((resolve) => {
            helper.getNode('ok').once('input', (m) => resolve([1, m]));
            helper.getNode('err').once('input', (m) => resolve([2, m]));
          });
          helper.getNode('q1').receive(msg);
          out.push(await got);
        }
        return out;
      }

      it('binds hostile values as data: each finds exactly its own device, nothing executes', async function () {
        const query = 'SELECT "temperature_mean" FROM "telemetry_1m" WHERE "device" = $device AND time > now() - 1h';
        const results = await run({ query }, [...STORED, ...ABSENT].map((device) => ({ params: { device } })));
        results.forEach(([port, msg], i) => {
          const device = [...STORED, ...ABSENT][i];
          assert.equal(port, 1, `${JSON.stringify(device)}: ${JSON.stringify(msg.error)}`);
          const expected = i < STORED.length ? 2 : 0;
          assert.equal(msg.payload.length, expected, JSON.stringify(device));
          for (const r of msg.payload) assert.equal(r.measurement, 'telemetry_1m');
          if (i < STORED.length) assert.deepEqual(msg.payload.map((r) => r.fields.temperature_mean).sort(), [i, i + 0.1]);
        });
        // The database and every point survived the "DROP"s.
        const [row] = await influx.rows('SELECT COUNT("temperature_mean") FROM "telemetry_1m"', { db: target.db });
        assert.equal(row.count, STORED.length * 2);
      });

      it('chart output: one line per site, {name} identifiers quoted, time bound from a string parameter', async function () {
        const query = 'SELECT mean("temperature_mean") FROM {m} WHERE time >= $since GROUP BY time(1m), "site" fill(none)';
        const [[port, msg]] = await run({ query, output: 'chart', params: JSON.stringify({ m: 'telemetry_1m' }) }, [{ params: { since: new Date(now - 3_600_000).toISOString() } }]);
        assert.equal(port, 1, JSON.stringify(msg.error));
        assert.equal(msg.action, 'replace');
        assert.ok(msg.payload.length >= 2, JSON.stringify(msg.payload));
        for (const p of msg.payload) {
          assert.equal(p.series, 's');
          assert.ok(Math.abs(p.x - now) < 4 * 60_000 && typeof p.y === 'number', JSON.stringify(p));
        }
      });

      it('refuses before sending (missing value, second statement) and bounds the rows', async function () {
        target.conformance?.reset();
        const results = await run({ query: 'SELECT * FROM "telemetry_1m"', maxRows: 3 }, [
          { query: 'SELECT * FROM "telemetry_1m" WHERE "device" = $nope' },
          { query: 'SELECT * FROM "telemetry_1m"; DROP DATABASE qdb' },
          {},
        ]);
        assert.deepEqual(results.map(([port, m]) => [port, m.error?.code]), [[2, 'MISSING_PARAM'], [2, 'UNSAFE_QUERY'], [1, undefined]]);
        const [, last] = results[2];
        assert.equal(last.payload.length, 3);
        assert.equal(last.truncated, true);
        if (target.conformance) assert.equal(target.conformance.requests.filter((r) => /query/.test(r.path)).length, 1);
      });
    });
  }
});
