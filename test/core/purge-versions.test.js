'use strict';
const assert = require('assert');
const { runPurge } = require('../../dist/core/purge/runner');
const { parsePurgeSettings } = require('../../dist/core/purge/settings');
const { versionPlan, allowedModes } = require('../../dist/core/purge/version-plan');
const { scanStatement } = require('../../dist/core/influxql/scan');
const { parseDeletePredicate } = require('../../dist/core/influxql/delete-predicate');
const { parseLine } = require('../../dist/core/line-protocol');

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.parse('2026-11-24T00:00:00Z');

/**
 * A tiny InfluxDB 2.x/3.x for the runner: InfluxQL (COUNT, oldest point, SHOW FIELD KEYS, the
 * aggregate query) over points { m, tags, time, fields }, plus the native calls of the 2.x port.
 * Statements that only 1.x runs (SHOW RETENTION POLICIES, DELETE, SELECT … INTO) fail the test.
 */
function fakeNative(version, points, { retention = 0 } = {}) {
  const sent = [];
  const deletes = [];
  const writes = [];
  const inRange = (p, r) => p.time >= r.start && p.time < r.end;
  const matches = (p, filter) => Object.entries(filter).every(([k, v]) => p.tags[k] === v);
  const io = {
    sent,
    deletes,
    writes,
    points,
    retention,
    apiVersion: version,
    now: () => NOW,
    serverVersion: async () => (version === 2 ? 'v2.7.11' : '3.0.3'),
    async query(statement, db) {
      assert.strictEqual(db, 'bucket');
      sent.push(statement);
      assert.ok(!/^(SHOW RETENTION|DELETE|SELECT [^ ]+ INTO)/.test(statement), `${version}.x does not run ${statement}`);
      const { identifiers: ids, strings } = scanStatement(statement);
      const range = { start: Date.parse(strings[0]), end: Date.parse(strings[1]) };
      const filter = {};
      // `("k" = 'v')` groups after the time range: identifiers after db, rp, m pair with strings[2..]
      ids.slice(2).forEach((k, i) => (filter[k] = strings[2 + i]));
      const m = ids[1];
      const selected = points.filter((p) => p.m === m && inRange(p, range) && matches(p, filter));
      if (statement.startsWith('SHOW FIELD KEYS')) {
        const fields = new Set(points.filter((p) => p.m === ids[1]).flatMap((p) => Object.keys(p.fields)));
        return [fields.size ? { series: [{ columns: ['fieldKey', 'fieldType'], values: [...fields].map((f) => [f, 'float']) }] } : {}];
      }
      if (statement.startsWith('SELECT COUNT(*) FROM (')) {
        const buckets = new Set(selected.map((p) => Math.floor(p.time / H)));
        return [buckets.size ? { series: [{ tags: {}, columns: ['time', 'count_mean_v'], values: [[0, buckets.size]] }] } : {}];
      }
      if (statement.startsWith('SELECT COUNT(*)')) {
        const counts = {};
        for (const p of selected) for (const f of Object.keys(p.fields)) counts[`count_${f}`] = (counts[`count_${f}`] || 0) + 1;
        const cols = Object.keys(counts);
        return [cols.length ? { series: [{ tags: {}, columns: ['time', ...cols], values: [[0, ...cols.map((c) => counts[c])]] }] } : {}];
      }
      if (statement.startsWith('SELECT MEAN(*) FROM')) {
        const byBucket = new Map();
        for (const p of selected) {
          const b = Math.floor(p.time / H) * H;
          byBucket.set(b, [...(byBucket.get(b) || []), p.fields.v]);
        }
        const values = [...byBucket].sort((a, b) => a[0] - b[0]).map(([t, vs]) => [t, vs.reduce((a, b) => a + b, 0) / vs.length]);
        return [{ series: [{ name: m, tags: { device: 'd1' }, columns: ['time', 'mean_v'], values: [...values, [NOW - 100 * D, null]] }] }];
      }
      if (statement.startsWith('SELECT * FROM')) {
        const first = selected.sort((a, b) => a.time - b.time)[0];
        return [first ? { series: [{ columns: ['time', 'v'], values: [[first.time, 1]] }] } : {}];
      }
      throw new Error(`fake cannot answer ${statement}`);
    },
    async deletePoints(request) {
      deletes.push(request);
      const pairs = parseDeletePredicate(request.predicate);
      const start = Date.parse(request.start);
      const stop = Date.parse(request.stop); // ms part; the ns tail is .999999
      for (let i = points.length - 1; i >= 0; i--) {
        const p = points[i];
        const all = pairs.every(([k, v]) => (k === '_measurement' ? p.m === v : p.tags[k] === v));
        if (all && p.time >= start && p.time <= stop) points.splice(i, 1);
      }
    },
    async writeLines(lines) {
      for (const line of lines.split('\n')) {
        const r = parseLine(line, NOW, 'ms');
        writes.push(r);
        points.push({ m: r.measurement, tags: r.tags, time: r.timestamp, fields: r.fields });
      }
    },
    async bucketRetention() {
      return { bucket: 'bucket', everySeconds: io.retention };
    },
    async setBucketRetention(s) {
      io.retention = s;
    },
  };
  return io;
}

function series(m, from, to, tags = { device: 'd1' }) {
  const out = [];
  for (let t = from; t < to; t += 600_000) out.push({ m, tags, time: t, fields: { v: 1 } });
  return out;
}

const settings = (extra = {}) => {
  const parsed = parsePurgeSettings({ measurements: 'cpu', olderThan: '30d', dryRun: false, ...extra });
  assert.ok(parsed.ok, JSON.stringify(parsed.problems));
  return parsed.settings;
};
const run = (io, extra) => runPurge(io, { settings: settings(extra), target: { database: 'bucket', retentionPolicy: 'ignored-on-2x' } });

describe('purge per InfluxDB API version: plans', function () {
  const table = [
    // version, delete, downsample, retention, policies, allowed modes
    [undefined, 'influxql', 'select-into', 'retention-policy', true, ['delete', 'downsample-delete', 'retention-policy']],
    ['1', 'influxql', 'select-into', 'retention-policy', true, ['delete', 'downsample-delete', 'retention-policy']],
    ['2', 'api-v2', 'query-write', 'bucket', false, ['delete', 'downsample-delete', 'retention-policy']],
    [3, 'api-v2', 'query-write', 'bucket', false, []],
  ];
  for (const [v, del, ds, ret, rps, modes] of table) {
    it(`version ${v}`, function () {
      const plan = versionPlan(v);
      assert.deepStrictEqual([plan.delete, plan.downsample, plan.retention, plan.retentionPolicies], [del, ds, ret, rps]);
      assert.deepStrictEqual(allowedModes(v), modes);
    });
  }
});

describe('purge on 2.x (native API, fake server)', function () {
  it('deletes through /api/v2/delete exactly the matched points, counted with InfluxQL', async function () {
    const points = [...series('cpu', NOW - 40 * D, NOW - 20 * D), ...series('cpu', NOW - 40 * D, NOW - 20 * D, { device: 'd2' }), ...series('other', NOW - 40 * D, NOW - 35 * D)];
    const io = fakeNative(2, points);
    const result = await run(io, { where: '{"device":"d1"}' });
    assert.ifError(result.error);
    const [report] = result.reports;
    assert.deepStrictEqual([report.matched, report.deleted, report.retentionPolicy], [10 * 144, 10 * 144, undefined]);
    assert.strictEqual(points.filter((p) => p.m === 'cpu' && p.tags.device === 'd1' && p.time < NOW - 30 * D).length, 0);
    assert.strictEqual(points.filter((p) => p.tags.device === 'd2').length, 20 * 144);
    assert.strictEqual(points.filter((p) => p.m === 'other').length, 5 * 144);
    assert.ok(io.deletes.length > 0);
    for (const d of io.deletes) {
      assert.deepStrictEqual(parseDeletePredicate(d.predicate), [['_measurement', 'cpu'], ['device', 'd1']]);
      assert.ok(Date.parse(d.stop) < result.cutoff, d.stop);
      assert.match(d.stop, /\.\d{3}999999Z$/);
    }
  });

  it('a dry run counts with InfluxQL and sends no delete', async function () {
    const io = fakeNative(2, series('cpu', NOW - 35 * D, NOW - 25 * D));
    const result = await run(io, { dryRun: true });
    assert.ifError(result.error);
    assert.deepStrictEqual([result.reports[0].matched, result.reports[0].deleted], [5 * 144, 0]);
    assert.strictEqual(io.deletes.length, 0);
  });

  it('downsample-delete: queries aggregates, writes them through the write API, verifies, then deletes', async function () {
    const io = fakeNative(2, series('cpu', NOW - 32 * D, NOW - 31 * D));
    const result = await run(io, { mode: 'downsample-delete', downsampleEvery: '1h', downsampleTo: 'cpu_1h' });
    assert.ifError(result.error);
    const [report] = result.reports;
    assert.deepStrictEqual([report.matched, report.downsampled, report.deleted], [144, 24, 144]);
    assert.strictEqual(io.writes.length, 24);
    assert.deepStrictEqual(io.writes[0].tags, { device: 'd1' });
    assert.strictEqual(io.points.filter((p) => p.m === 'cpu').length, 0);
    assert.strictEqual(io.points.filter((p) => p.m === 'cpu_1h').length, 24);
  });

  it('downsample-delete deletes nothing when the written aggregates are not all found', async function () {
    const io = fakeNative(2, series('cpu', NOW - 32 * D, NOW - 31 * D));
    io.writeLines = async () => undefined; // accepted, never stored
    const result = await run(io, { mode: 'downsample-delete', downsampleEvery: '1h', downsampleTo: 'cpu_1h' });
    assert.strictEqual(result.error.code, 'DOWNSAMPLE_UNVERIFIED');
    assert.strictEqual(io.deletes.length, 0);
  });

  it('retention-policy sets the bucket expire rule (dry run: reports only)', async function () {
    const dry = fakeNative(2, [], { retention: 0 });
    let result = await run(dry, { mode: 'retention-policy', dryRun: true });
    assert.ifError(result.error);
    assert.deepStrictEqual(result.reports[0], { bucket: 'bucket', action: 'altered', duration: '30d', previous: { duration: 'INF' }, dryRun: true, durationMs: 0 });
    assert.strictEqual(dry.retention, 0);
    const io = fakeNative(2, [], { retention: 0 });
    result = await run(io, { mode: 'retention-policy' });
    assert.strictEqual(io.retention, 30 * 86400);
    result = await run(io, { mode: 'retention-policy' });
    assert.strictEqual(result.reports[0].action, 'unchanged');
  });

  it('a bucket retention under 1h is refused', async function () {
    const io = fakeNative(2, []);
    const result = await run(io, { mode: 'retention-policy', olderThan: '30m', minAge: '1m' });
    assert.strictEqual(result.error.code, 'REFUSED_BY_VERSION');
    assert.strictEqual(io.retention, 0);
  });
});

describe('purge on 3.x (fake server)', function () {
  for (const mode of ['delete', 'downsample-delete', 'retention-policy']) {
    it(`${mode} is refused with the reason before anything is sent`, async function () {
      const io = fakeNative(3, series('cpu', NOW - 35 * D, NOW - 25 * D));
      const result = await run(io, { mode, downsampleTo: 'cpu_1h' });
      assert.strictEqual(result.error.code, 'REFUSED_BY_VERSION');
      assert.match(result.error.message, /InfluxDB 3\.x does not allow .*: .*3 Core/);
      assert.deepStrictEqual([io.sent.length, io.deletes.length, io.writes.length], [0, 0, 0]);
    });
  }

  it('a dry run of downsample-delete counts what it would write', async function () {
    const io = fakeNative(3, series('cpu', NOW - 32 * D, NOW - 31 * D));
    const result = await run(io, { mode: 'downsample-delete', downsampleEvery: '1h', downsampleTo: 'cpu_1h', dryRun: true });
    assert.ifError(result.error);
    assert.deepStrictEqual([result.reports[0].matched, result.reports[0].downsampled, result.reports[0].deleted], [144, 24, 0]);
    assert.deepStrictEqual([io.deletes.length, io.writes.length], [0, 0]);
  });

  it('a dry run of delete counts with InfluxQL', async function () {
    const io = fakeNative(3, series('cpu', NOW - 35 * D, NOW - 25 * D));
    const result = await run(io, { dryRun: true });
    assert.ifError(result.error);
    assert.deepStrictEqual([result.reports[0].matched, result.reports[0].deleted, result.reports[0].dryRun], [5 * 144, 0, true]);
  });
});
