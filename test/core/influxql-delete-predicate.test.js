'use strict';
const assert = require('assert');
const { deletePredicates, deleteRequests, deleteTimeBounds, rfc3339Nano, parseDeletePredicate, MAX_DELETE_PREDICATES } = require('../../dist/core/influxql/delete-predicate');

describe('2.x delete predicate', function () {
  const cases = [
    ['measurement only', 'cpu', [], ['"_measurement"="cpu"']],
    ['one tag', 'cpu', [{ key: 'site', values: ['a'] }], ['"_measurement"="cpu" AND "site"="a"']],
    [
      'value lists become one AND-only predicate per combination',
      'cpu',
      [
        { key: 'device', values: ['d1', 'd2'] },
        { key: 'site', values: ['a'] },
      ],
      ['"_measurement"="cpu" AND "device"="d1" AND "site"="a"', '"_measurement"="cpu" AND "device"="d2" AND "site"="a"'],
    ],
    ['quotes and backslashes escaped', 'a"b\\c', [{ key: 'k"ey', values: ['v\\"x'] }], ['"_measurement"="a\\"b\\\\c" AND "k\\"ey"="v\\\\\\"x"']],
    ['keywords and dashes quoted', 'example-dash', [{ key: 'Name', values: ['AND'] }], ['"_measurement"="example-dash" AND "Name"="AND"']],
  ];
  for (const [name, m, filter, expected] of cases) {
    it(name, function () {
      assert.deepStrictEqual(deletePredicates(m, filter), expected);
      for (const p of expected) assert.strictEqual(parseDeletePredicate(p)[0][1], m);
    });
  }

  it('refuses reserved columns, empty value lists and too many combinations', function () {
    assert.throws(() => deletePredicates('cpu', [{ key: '_field', values: ['v'] }]), /reserved|_field/);
    assert.throws(() => deletePredicates('cpu', [{ key: 'k', values: [] }]), /no values/);
    const many = Array.from({ length: 40 }, (_, i) => `v${i}`);
    assert.throws(() => deletePredicates('cpu', [{ key: 'a', values: many }, { key: 'b', values: many }]), new RegExp(`${MAX_DELETE_PREDICATES}`));
    assert.throws(() => deletePredicates('cp\nu'), /line break/);
  });

  it('time bounds: [start, end) in ms becomes inclusive start/stop with nanoseconds', function () {
    const start = Date.parse('2026-01-01T00:00:00Z');
    assert.deepStrictEqual(deleteTimeBounds({ start, end: start + 3_600_000 }), { start: '2026-01-01T00:00:00.000000000Z', stop: '2026-01-01T00:59:59.999999999Z' });
    assert.strictEqual(rfc3339Nano(Date.parse('1969-12-31T23:59:59.123Z')), '1969-12-31T23:59:59.123000000Z');
    assert.throws(() => deleteTimeBounds({ start, end: start }), /empty time range/);
    assert.throws(() => deleteTimeBounds({ start: 0.5, end: 2 }), /not a time/);
  });

  it('deleteRequests pairs the bounds with every predicate', function () {
    const reqs = deleteRequests('cpu', { start: 0, end: 1000 }, [{ key: 'd', values: ['x', 'y'] }]);
    assert.deepStrictEqual(
      reqs.map((r) => [r.start, r.stop, r.predicate]),
      [
        ['1970-01-01T00:00:00.000000000Z', '1970-01-01T00:00:00.999999999Z', '"_measurement"="cpu" AND "d"="x"'],
        ['1970-01-01T00:00:00.000000000Z', '1970-01-01T00:00:00.999999999Z', '"_measurement"="cpu" AND "d"="y"'],
      ],
    );
  });
});
