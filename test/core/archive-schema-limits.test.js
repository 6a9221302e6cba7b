'use strict';
// InfluxDB 3's schema limits, checked before a point is batched, and the tracker's memory bound.
const assert = require('node:assert/strict');
const { SchemaTracker, INFLUXDB3_CORE_LIMITS } = require('../../dist/core/archive/schema-limits');

const r = (measurement, tags, fieldNames) => ({ measurement, tags, fields: Object.fromEntries(fieldNames.map((f) => [f, 1])), timestamp: 0 });
const names = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('archive/schema-limits', function () {
  it("defaults are InfluxDB 3 Core's", function () {
    assert.deepEqual(INFLUXDB3_CORE_LIMITS, { tablesPerDatabase: 2000, columnsPerTable: 500, tagsPerTable: 250 });
  });

  const table = [
    // [label, limits, readings before, the reading, code or undefined]
    ['the 3rd table of 2', { tablesPerDatabase: 2 }, [r('a', {}, ['v']), r('b', {}, ['v'])], r('c', {}, ['v']), 'LIMIT_TABLES'],
    ['a known table when the table limit is reached', { tablesPerDatabase: 2 }, [r('a', {}, ['v']), r('b', {}, ['v'])], r('a', {}, ['v']), undefined],
    ['the same table in another database', { tablesPerDatabase: 1 }, [r('a', {}, ['v'])], ['other', r('b', {}, ['v'])], undefined],
    ['a 3rd tag of 2', { tagsPerTable: 2 }, [r('a', { x: '1', y: '1' }, ['v'])], r('a', { z: '1' }, ['v']), 'LIMIT_TAGS'],
    ['an empty tag value is no tag', { tagsPerTable: 2 }, [r('a', { x: '1', y: '1' }, ['v'])], r('a', { z: '' }, ['v']), undefined],
    ['columns: tags + fields + time over the limit', { columnsPerTable: 4 }, [r('a', { x: '1' }, ['v', 'w'])], r('a', {}, ['u']), 'LIMIT_COLUMNS'],
    ['columns: exactly at the limit', { columnsPerTable: 4 }, [r('a', { x: '1' }, ['v'])], r('a', {}, ['u']), undefined],
    ['a new table with too many columns at once', { columnsPerTable: 3 }, [], r('a', { x: '1' }, ['v', 'w']), 'LIMIT_COLUMNS'],
  ];
  for (const [label, limits, before, next, code] of table) {
    it(`${label} → ${code ?? 'admitted'}`, function () {
      const tracker = new SchemaTracker({ ...INFLUXDB3_CORE_LIMITS, ...limits });
      for (const reading of before) assert.equal(tracker.admit('db', reading), undefined);
      const [db, reading] = Array.isArray(next) ? next : ['db', next];
      const refusal = tracker.admit(db, reading);
      assert.equal(refusal?.code, code);
      if (refusal) assert.match(refusal.message, /InfluxDB 3 allows \d+/);
    });
  }

  it('a refused point teaches nothing', function () {
    const tracker = new SchemaTracker({ ...INFLUXDB3_CORE_LIMITS, columnsPerTable: 3 });
    assert.equal(tracker.admit('db', r('a', {}, ['v', 'w', 'x'])).code, 'LIMIT_COLUMNS');
    assert.equal(tracker.size, 0);
    assert.equal(tracker.admit('db', r('a', {}, ['v', 'w'])), undefined);
  });

  it('stays within its bound: the least recently used database is forgotten', function () {
    const tracker = new SchemaTracker(INFLUXDB3_CORE_LIMITS, 100);
    tracker.admit('old', r('a', {}, names('f', 40)));
    tracker.admit('new', r('a', {}, names('f', 40)));
    assert.equal(tracker.size, 82);
    tracker.admit('old', r('b', {}, ['v']));
    tracker.admit('new', r('b', {}, names('g', 30)));
    assert.ok(tracker.size <= 100, String(tracker.size));
    // "old" was forgotten: its tables start afresh (lenient), "new" is still known.
    const strict = new SchemaTracker({ ...INFLUXDB3_CORE_LIMITS, tablesPerDatabase: 2 }, 100);
    strict.admit('old', r('a', {}, names('f', 60)));
    strict.admit('old', r('b', {}, ['v']));
    assert.equal(strict.admit('old', r('c', {}, ['v'])).code, 'LIMIT_TABLES');
    strict.admit('new', r('a', {}, names('f', 60)));
    assert.equal(strict.admit('old', r('c', {}, ['v'])), undefined);
  });
});
