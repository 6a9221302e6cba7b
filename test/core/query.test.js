'use strict';
// telemetry-query's core: preparing InfluxQL with bound parameters (values never enter the text,
// identifiers are quoted, only one read-only statement), and shaping answers.
const assert = require('node:assert/strict');
const { prepareQuery } = require('../../dist/core/query/statement');
const { checkParams } = require('../../dist/core/query/params');
const { parseQuerySettings } = require('../../dist/core/query/settings');
const { toReadings, toChartPoints, toRows } = require('../../dist/core/query/results');

const HOSTILE = [`it's`, 'a"b', 'back\\slash', 'line\nbreak', "x'; DROP DATABASE telemetry; --", 'ünï©ødé 🌡', '$other', '{measurement}'];

function code(fn) {
  try {
    fn();
  } catch (err) {
    return err.code;
  }
  return 'none';
}

describe('query: prepareQuery', function () {
  it('keeps $name in the text and binds only the used values, whatever they hold', function () {
    for (const value of HOSTILE) {
      const p = prepareQuery('SELECT v FROM m WHERE "device" = $device LIMIT 5', { device: value, unused: 1 }, 100);
      assert.equal(p.text, 'SELECT v FROM m WHERE "device" = $device LIMIT 5');
      assert.deepEqual(p.params, { device: value });
    }
  });

  it('quotes {name} identifiers and leaves braces inside quotes alone', function () {
    const p = prepareQuery(`SELECT {field} FROM {m} WHERE t = '{m}' LIMIT 1`, { field: 'temp "c"', m: 'tele\\metry' }, 100);
    assert.equal(p.text, `SELECT "temp \\"c\\"" FROM "tele\\\\metry" WHERE t = '{m}' LIMIT 1`);
  });

  it('appends LIMIT maxRows+1 to a SELECT without one, never after OFFSET/SLIMIT/tz()', function () {
    assert.equal(prepareQuery('SELECT v FROM m', {}, 10).text, 'SELECT v FROM m LIMIT 11');
    for (const q of ['SELECT v FROM m LIMIT 3', 'SELECT v FROM m SLIMIT 2', 'SELECT v FROM m OFFSET 2', "SELECT v FROM m tz('Europe/Paris')", 'SHOW MEASUREMENTS']) {
      assert.equal(prepareQuery(q, {}, 10).text, q);
    }
    // A quoted "limit" is a name, not the clause.
    assert.equal(prepareQuery('SELECT "limit" FROM m', {}, 10).text, 'SELECT "limit" FROM m LIMIT 11');
  });

  it('refuses before sending: missing values, several statements, comments, writes', function () {
    const table = [
      ['SELECT v FROM m WHERE d = $d', {}, 'MISSING_PARAM'],
      ['SELECT v FROM {m}', {}, 'MISSING_PARAM'],
      ['SELECT v FROM {m}', { m: 3 }, 'MISSING_PARAM'],
      ['SELECT v FROM {m}', { m: 'a\nb' }, 'BAD_PARAMS'],
      ['SELECT v FROM m; DROP DATABASE x', {}, 'UNSAFE_QUERY'],
      ['SELECT v FROM m -- hide', {}, 'UNSAFE_QUERY'],
      ["SELECT v FROM m WHERE d = 'open", {}, 'UNSAFE_QUERY'],
      ['DROP DATABASE telemetry', {}, 'NOT_READ_ONLY'],
      ['SELECT v INTO m2 FROM m', {}, 'NOT_READ_ONLY'],
      ['DELETE FROM m', {}, 'NOT_READ_ONLY'],
      ['   ', {}, 'NO_QUERY'],
    ];
    for (const [q, params, expected] of table) assert.equal(code(() => prepareQuery(q, params, 10)), expected, q);
  });

  it('params: scalars only, names as InfluxQL reads them, no lone surrogates', function () {
    assert.deepEqual(checkParams({ a: 'x', b: 1.5, c: true }), { a: 'x', b: 1.5, c: true });
    assert.deepEqual(checkParams(undefined), {});
    for (const bad of [[1], 'x', { 'a-b': 1 }, { a: {} }, { a: null }, { a: Infinity }, { a: '\uD800' }]) assert.equal(code(() => checkParams(bad)), 'BAD_PARAMS');
  });

  it('settings: defaults and their problems', function () {
    const ok = parseQuerySettings({ query: 'SELECT 1', params: '{"d":"x"}' });
    assert.deepEqual(ok.settings, { query: 'SELECT 1', params: { d: 'x' }, output: 'readings', maxRows: 10000 });
    const bad = parseQuerySettings({ params: '[1]', output: 'svg', maxRows: '100001' });
    assert.deepEqual(bad.problems.map((p) => p.key), ['params', 'output', 'maxRows']);
  });
});

describe('query: shaping answers', function () {
  const answer = [
    {
      statement_id: 0,
      series: [
        { name: 'telemetry_1m', tags: { site: 'a', region: '' }, columns: ['time', 'mean', 'max'], values: [[1000, 20.5, 22], [2000, null, null], [3000, 21, 23]] },
        { name: 'telemetry_1m', tags: { site: 'b' }, columns: ['time', 'mean', 'max'], values: [[1000, 19, 20]] },
      ],
    },
  ];

  it('readings: series tags (empty ones dropped), non-null fields, empty buckets counted as skipped', function () {
    const r = toReadings(answer, 100);
    assert.equal(r.items.length, 3);
    assert.deepEqual(r.items[0], { measurement: 'telemetry_1m', tags: { site: 'a' }, fields: { mean: 20.5, max: 22 }, timestamp: 1000 });
    assert.equal(r.skipped, 1);
    assert.equal(r.truncated, false);
  });

  it('chart: one line per series and column, nulls are gaps, x in ms', function () {
    const c = toChartPoints(answer, 100);
    assert.deepEqual(c.items.slice(0, 2), [{ series: 'a / mean', x: 1000, y: 20.5 }, { series: 'a / max', x: 1000, y: 22 }]);
    assert.equal(c.items.length, 6);
    // One value column and tags: the label is the tags alone. 3.x rows: string columns label, RFC 3339 time.
    const single = toChartPoints([{ series: [{ name: 'm', columns: ['time', 'site', 'mean'], values: [['1970-01-01T00:00:01Z', 'a', 1]] }] }], 10);
    assert.deepEqual(single.items, [{ series: 'a', x: 1000, y: 1 }]);
  });

  it('stops at maxRows and says so', function () {
    const r = toRows(answer, 2);
    assert.equal(r.rows, 2);
    assert.equal(r.truncated, true);
    assert.deepEqual(r.items[0], { measurement: 'telemetry_1m', site: 'a', time: 1000, mean: 20.5, max: 22 });
  });
});
