'use strict';
const assert = require('assert');
const { runPurge } = require('../../dist/core/purge/runner');
const { parsePurgeSettings } = require('../../dist/core/purge/settings');
const { scanStatement } = require('../../dist/core/influxql/scan');
const { serverCapabilities } = require('../../dist/core/purge/server-version');
const r = require('../../dist/core/purge/influx-results');
const { RunState } = require('../../dist/core/purge/run-state');

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.parse('2026-11-24T00:00:00Z');

/**
 * A tiny in-memory InfluxDB 1.x for the statements the runner sends without a tag filter:
 * points are { rp, m, time, fields }. Downsample statements answer from `hooks`.
 */
function fakeInflux({ points = [], policies = [['autogen', '0s', '168h0m0s', true]], version = '1.8.10', hooks = {} } = {}) {
  const sent = [];
  const inRange = (p, range) => p.time >= range.start && p.time < range.end;
  const io = {
    sent,
    points,
    policies,
    now: () => NOW,
    serverVersion: async () => version,
    async query(statement, db) {
      assert.strictEqual(db, 'db');
      sent.push(statement);
      const { identifiers: ids, strings: texts } = scanStatement(statement);
      const strings = { start: Date.parse(texts[0]), end: Date.parse(texts[1]) };
      for (const [prefix, hook] of Object.entries(hooks)) if (statement.startsWith(prefix)) return hook(statement);
      if (statement.startsWith('SHOW RETENTION POLICIES')) {
        return [{ series: [{ columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values: io.policies.map(([n, d, s, def]) => [n, d, s, 1, def]) }] }];
      }
      if (statement.startsWith('SHOW FIELD KEYS')) {
        const [, rp, m] = ids;
        const fields = new Set(points.filter((p) => p.rp === rp && p.m === m).flatMap((p) => Object.keys(p.fields)));
        return [fields.size ? { series: [{ name: m, columns: ['fieldKey', 'fieldType'], values: [...fields].map((f) => [f, 'float']) }] } : {}];
      }
      if (statement.startsWith('SELECT COUNT(*) FROM "')) {
        const [, rp, m] = ids;
        const counts = {};
        for (const p of points.filter((x) => x.rp === rp && x.m === m && inRange(x, strings))) {
          for (const f of Object.keys(p.fields)) counts[`count_${f}`] = (counts[`count_${f}`] || 0) + 1;
        }
        const cols = Object.keys(counts);
        return [cols.length ? { series: [{ name: m, tags: {}, columns: ['time', ...cols], values: [[0, ...cols.map((c) => counts[c])]] }] } : {}];
      }
      if (statement.startsWith('SELECT * FROM')) {
        const [, rp, m] = ids;
        const found = points.filter((x) => x.rp === rp && x.m === m && inRange(x, strings)).sort((a, b) => a.time - b.time)[0];
        return [found ? { series: [{ name: m, columns: ['time', 'v'], values: [[found.time, 1]] }] } : {}];
      }
      if (statement.startsWith('DELETE FROM')) {
        const [m] = ids;
        // Like InfluxDB 1.x: every retention policy.
        for (let i = points.length - 1; i >= 0; i--) if (points[i].m === m && inRange(points[i], strings)) points.splice(i, 1);
        return [{}];
      }
      throw new Error(`fake InfluxDB cannot answer ${statement}`);
    },
  };
  return io;
}

/** One point every 10 minutes (144 a day): enough to fill slices, small enough to scan. */
const PER_DAY = 144;
function series(m, from, to, rp = 'autogen') {
  const points = [];
  for (let t = from; t < to; t += 600_000) points.push({ rp, m, time: t, fields: { v: 1 } });
  return points;
}

const settings = (extra = {}) => parsePurgeSettings({ measurements: 'cpu', olderThan: '30d', dryRun: false, ...extra }).settings;
const run = (io, extra, options = {}) => runPurge(io, { settings: settings(extra), target: { database: 'db' }, ...options });

describe('purge runner (fake server)', function () {
  it('deletes everything older than the cutoff, slice by slice, and measures what it deleted', async function () {
    const io = fakeInflux({ points: series('cpu', NOW - 60 * D, NOW - 20 * D) });
    const result = await run(io);
    assert.ifError(result.error);
    const [report] = result.reports;
    assert.deepStrictEqual([report.matched, report.deleted, report.dryRun], [30 * PER_DAY, 30 * PER_DAY, false]);
    assert.strictEqual(io.points.filter((p) => p.time < NOW - 30 * D).length, 0);
    assert.strictEqual(io.points.length, 10 * PER_DAY);
    const deletes = io.sent.filter((s) => s.startsWith('DELETE'));
    assert.ok(deletes.length >= 4 && deletes.length <= 6, `${deletes.length} deletes for 30 days of 7-day shard groups`);
    assert.strictEqual(report.slices, deletes.length);
  });

  it('never sends a statement that reaches past the cutoff', async function () {
    const io = fakeInflux({ points: series('cpu', NOW - 40 * D, NOW) });
    const result = await run(io);
    for (const s of io.sent.filter((x) => / WHERE /.test(x))) {
      const { strings } = scanStatement(s);
      assert.ok(Date.parse(strings[1]) <= result.cutoff, s);
    }
    assert.strictEqual(result.cutoff, NOW - 30 * D);
  });

  it('a dry run counts and changes nothing', async function () {
    const io = fakeInflux({ points: series('cpu', NOW - 35 * D, NOW - 25 * D) });
    const result = await run(io, { dryRun: true });
    assert.deepStrictEqual([result.reports[0].matched, result.reports[0].deleted, result.reports[0].dryRun], [5 * PER_DAY, 0, true]);
    assert.strictEqual(io.points.length, 10 * PER_DAY);
    assert.ok(!io.sent.some((s) => /^(DELETE|SELECT [A-Z]+\(\*\)(, [A-Z]+\(\*\))* INTO)/.test(s)));
  });

  it('splits a slice that holds more points than maxPointsPerStatement', async function () {
    const io = fakeInflux({ points: series('cpu', NOW - 33 * D, NOW - 32 * D) });
    const result = await run(io, {}, { maxPointsPerStatement: 50 });
    assert.strictEqual(result.reports[0].deleted, PER_DAY);
    assert.ok(io.sent.filter((s) => s.startsWith('DELETE')).length >= 3);
  });

  it('skips long gaps by asking for the next oldest point', async function () {
    const points = [...series('cpu', NOW - 400 * D, NOW - 400 * D + H), ...series('cpu', NOW - 40 * D, NOW - 40 * D + H)];
    const io = fakeInflux({ points });
    const result = await run(io);
    assert.strictEqual(result.reports[0].deleted, 12);
    assert.ok(io.sent.length < 30, `${io.sent.length} statements for two points in a year`);
  });

  it('refuses when another retention policy holds the measurement (DELETE would remove it there too)', async function () {
    const points = [...series('cpu', NOW - 40 * D, NOW - 39 * D), ...series('cpu', NOW - 40 * D, NOW - 39 * D, 'forever')];
    const io = fakeInflux({ points, policies: [['autogen', '0s', '168h0m0s', true], ['forever', '0s', '168h0m0s', false]] });
    const result = await run(io);
    assert.strictEqual(result.error.code, 'OTHER_RP_HAS_DATA');
    assert.ok(!io.sent.some((s) => s.startsWith('DELETE')));
    assert.strictEqual(io.points.length, 2 * PER_DAY);
  });

  it('refuses a where key that is a field', async function () {
    const io = fakeInflux({ points: series('cpu', NOW - 40 * D, NOW - 39 * D) });
    const result = await run(io, { where: '{"v":"1"}' });
    assert.strictEqual(result.error.code, 'WHERE_ON_FIELD');
  });

  it('reports zero for a measurement that does not exist', async function () {
    const io = fakeInflux({ points: [] });
    const result = await run(io);
    assert.ifError(result.error);
    assert.deepStrictEqual([result.reports[0].matched, result.reports[0].deleted], [0, 0]);
  });

  it('stops before the next statement when cancelled, keeping the partial report', async function () {
    const io = fakeInflux({ points: series('cpu', NOW - 90 * D, NOW - 20 * D) });
    let deletes = 0;
    const result = await run(io, {}, { isCancelled: () => deletes >= 2, onStatement: (s) => (deletes += s.startsWith('DELETE') ? 1 : 0) });
    assert.strictEqual(result.error.code, 'CANCELLED');
    assert.strictEqual(deletes, 2);
  });

  it('a missing configured retention policy is an error', async function () {
    const io = fakeInflux();
    const result = await runPurge(io, { settings: settings(), target: { database: 'db', retentionPolicy: 'nope' } });
    assert.strictEqual(result.error.code, 'RP_NOT_FOUND');
  });

  it('turns "database not found" into DB_NOT_FOUND', async function () {
    const io = fakeInflux({ hooks: { 'SHOW RETENTION': () => Promise.reject(new Error('database not found: db')) } });
    assert.strictEqual((await run(io)).error.code, 'DB_NOT_FOUND');
  });

  describe('downsample-delete', function () {
    const ds = { mode: 'downsample-delete', downsampleEvery: '1h' };
    const expected = { series: [{ name: 'cpu', tags: {}, columns: ['time', 'count_mean_v'], values: [[0, 24]] }] };

    it('does not delete when the target does not hold what was written', async function () {
      const io = fakeInflux({
        points: series('cpu', NOW - 31 * D - D, NOW - 31 * D),
        hooks: {
          'SELECT COUNT(*) FROM (': async () => [expected],
          'SELECT MEAN(*) INTO': async () => [{ series: [{ name: 'result', columns: ['time', 'written'], values: [[0, 24]] }] }],
          'SELECT COUNT(*) FROM "db"."autogen"."cpu_1h"': async () => [{ series: [{ name: 'cpu_1h', tags: {}, columns: ['time', 'count_mean_v'], values: [[0, 23]] }] }],
        },
      });
      const result = await run(io, ds);
      assert.strictEqual(result.error.code, 'DOWNSAMPLE_UNVERIFIED');
      assert.ok(!io.sent.some((s) => s.startsWith('DELETE')));
    });

    it('refuses to delete points the aggregate gives no value for', async function () {
      const io = fakeInflux({ points: series('cpu', NOW - 32 * D, NOW - 31 * D), hooks: { 'SELECT COUNT(*) FROM (': async () => [{}] } });
      const result = await run(io, ds);
      assert.strictEqual(result.error.code, 'DOWNSAMPLE_EMPTY');
      assert.ok(!io.sent.some((s) => s.startsWith('DELETE') || s.includes(' INTO ')));
    });

    it('aligns the cutoff and every statement to whole downsample buckets', async function () {
      const io = fakeInflux({ points: series('cpu', NOW - 32 * D, NOW - 29 * D), hooks: { 'SELECT COUNT(*) FROM (': async () => [{}] } });
      const result = await runPurge({ ...io, now: () => NOW + 17 * 60_000 }, { settings: settings({ ...ds, dryRun: true }), target: { database: 'db' } });
      assert.strictEqual(result.cutoff % H, 0);
      for (const s of io.sent.filter((x) => / WHERE /.test(x) && !x.startsWith('SELECT * '))) {
        for (const t of scanStatement(s).strings.slice(0, 2)) assert.strictEqual(Date.parse(t) % H, 0, s);
      }
    });
  });

  describe('server versions', function () {
    const table = [
      ['3.x refuses delete', '3.0.1', {}, 'UNSUPPORTED'],
      ['2.x refuses downsample (no SELECT INTO)', 'v2.7.4', { mode: 'downsample-delete' }, 'UNSUPPORTED'],
      ['2.x refuses retention policies', 'v2.7.4', { mode: 'retention-policy' }, 'UNSUPPORTED'],
    ];
    for (const [label, version, extra, code] of table) {
      it(`${label}, before sending any statement`, async function () {
        const io = fakeInflux({ version, points: series('cpu', NOW - 40 * D, NOW - 39 * D) });
        const result = await run(io, extra);
        assert.strictEqual(result.error.code, code);
        assert.match(result.error.message, new RegExp(`InfluxDB ${version.replace(/\./g, '\\.')}`));
        assert.deepStrictEqual(io.sent, []);
      });
    }
    it('2.x deletes from the default mapping', async function () {
      const io = fakeInflux({ version: 'v2.7.4', points: series('cpu', NOW - 40 * D, NOW - 39 * D) });
      const result = await run(io);
      assert.ifError(result.error);
      assert.strictEqual(result.reports[0].deleted, PER_DAY);
    });
  });

  describe('retention-policy mode', function () {
    const rp = (extra) => ({ mode: 'retention-policy', measurements: '', ...extra });
    const shardGroups = async () => [{ series: [{ name: 'shard groups', columns: ['id', 'database', 'retention_policy', 'start_time', 'end_time', 'expiry_time'], values: [[1, 'db', 'autogen', '2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z', '2026-01-12T00:00:00Z'], [2, 'db', 'autogen', '2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z', '2026-11-23T00:00:00Z']] }] }];

    it('alters the default policy when it differs, and reports old and new', async function () {
      const io = fakeInflux({
        hooks: {
          'ALTER RETENTION POLICY': async () => {
            io.policies = [['autogen', '720h0m0s', '168h0m0s', true]];
            return [{}];
          },
          'SHOW SHARD GROUPS': shardGroups,
        },
      });
      const result = await run(io, rp());
      assert.ifError(result.error);
      assert.ok(io.sent.includes('ALTER RETENTION POLICY "autogen" ON "db" DURATION 30d'));
      const [report] = result.reports;
      assert.deepStrictEqual([report.action, report.previous.duration, report.expiringShardGroups], ['altered', 'INF', 1]);
    });

    it('creates a named policy as default', async function () {
      const io = fakeInflux({ hooks: { 'CREATE RETENTION POLICY': async () => [{}], 'SHOW SHARD GROUPS': shardGroups } });
      const result = await run(io, rp({ rpName: 'month', rpDefault: true }));
      assert.ok(io.sent.includes('CREATE RETENTION POLICY "month" ON "db" DURATION 30d REPLICATION 1 DEFAULT'));
      assert.strictEqual(result.reports[0].action, 'created');
    });

    it('changes nothing when the policy already matches, or in a dry run', async function () {
      for (const [policies, extra] of [[[['autogen', '720h0m0s', '24h0m0s', true]], {}], [undefined, { dryRun: true }]]) {
        const io = fakeInflux({ policies, hooks: { 'SHOW SHARD GROUPS': () => Promise.reject(new Error('requires admin')) } });
        const result = await run(io, rp(extra));
        assert.ok(!io.sent.some((s) => /^(CREATE|ALTER)/.test(s)));
        assert.strictEqual(result.reports[0].expiringShardGroups, undefined);
      }
    });
  });
});

describe('purge results parsing', function () {
  const durations = [['168h0m0s', 7 * D], ['0s', 0], ['1h30m0s', 5_400_000], ['720h0m0s', 30 * D], ['500ms', 500]];
  for (const [text, ms] of durations) {
    it(`Go duration ${text}`, function () {
      assert.strictEqual(r.parseGoDuration(text), ms);
    });
  }
  it('rejects an unreadable Go duration', function () {
    assert.throws(() => r.parseGoDuration('7 days'));
  });

  it('points from per-field counts: the largest field count of each series', function () {
    const counts = r.parseSeriesFieldCounts({
      series: [
        { name: 'm', tags: { device: 'a', site: 'x' }, columns: ['time', 'count_hum', 'count_temp'], values: [[0, 100, 100]] },
        { name: 'm', tags: { device: 'b', site: '' }, columns: ['time', 'count_hum', 'count_temp'], values: [[0, null, 90]] },
      ],
    });
    assert.strictEqual(r.pointsFromCounts(counts), 190);
    assert.deepStrictEqual([...counts.keys()], ['[["device","a"],["site","x"]]', '[["device","b"]]']);
  });

  it('downsample shortfalls compare every series and field', function () {
    const mk = (n) => r.parseSeriesFieldCounts({ series: [{ tags: { d: 'a' }, columns: ['time', 'count_mean_t', 'count_mean_h'], values: [[0, 10, n]] }] });
    assert.deepStrictEqual(r.downsampleShortfalls(mk(10), mk(10)), []);
    assert.deepStrictEqual(r.downsampleShortfalls(mk(10), mk(9)), [{ series: '[["d","a"]]', field: 'mean_h', expected: 10, found: 9 }]);
  });

  it('SELECT INTO written count', function () {
    assert.strictEqual(r.writtenCount({ series: [{ name: 'result', columns: ['time', 'written'], values: [[0, 279]] }] }), 279);
    assert.strictEqual(r.writtenCount({}), 0);
  });
});

describe('purge server capabilities', function () {
  const table = [
    ['1.6.7~rc0', 1, true, true, true],
    ['1.8.10', 1, true, true, true],
    ['1.11.8-c1.11.8', 1, true, true, true],
    ['v2.7.4', 2, true, false, false],
    ['2.0.0', 2, true, false, false],
    ['3.0.1', 3, false, false, false],
    [undefined, undefined, true, true, true],
    ['weird', undefined, true, true, true],
  ];
  for (const [header, major, del, into, rps] of table) {
    it(`${header}`, function () {
      const c = serverCapabilities(header);
      assert.deepStrictEqual([c.major, c.supports.delete, c.supports.selectInto, c.supports.retentionPolicies], [major, del, into, rps]);
    });
  }
});

describe('purge run state', function () {
  it('refuses a second run while one is active, and counts it', function () {
    const state = new RunState();
    const first = state.tryStart('input', 0, false);
    assert.ok(first);
    assert.strictEqual(state.tryStart('schedule', 1, false), undefined);
    assert.strictEqual(state.skipped, 1);
    state.finish(first, { finishedAt: 2, dryRun: false, matched: 0, deleted: 0, downsampled: 0, measurements: 1 });
    assert.ok(state.tryStart('input', 3, false));
  });

  it('cancel marks the active run only', function () {
    const state = new RunState();
    assert.strictEqual(state.cancel(), false);
    const run = state.tryStart('input', 0, false);
    assert.strictEqual(state.cancel(), true);
    assert.strictEqual(run.cancelled, true);
  });
});
