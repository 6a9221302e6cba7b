'use strict';
// Aggregates awaiting a durable completion downstream (issue #21): bounded, settled by msg id,
// and read back from a checkpoint with malformed entries skipped, never sent to InfluxDB.
const assert = require('node:assert/strict');
const { UnconfirmedAggregates, unconfirmedFromCheckpoint } = require('../../dist/core/window');

const closed = (start) => ({
  reading: { measurement: 'm_1m', tags: { device: 'a' }, fields: { v_count: 2 }, timestamp: start },
  window: { start, end: start + 60000, count: 2, key: 'm,device=a' },
});

describe('window: unconfirmed aggregates', function () {
  it('keeps aggregates by msg id, oldest first, until settled', function () {
    const u = new UnconfirmedAggregates(10);
    assert.equal(u.add('m1', closed(0)), true);
    assert.equal(u.add('m2', closed(60000)), true);
    assert.deepEqual(u.list().map((c) => c.window.start), [0, 60000]);
    assert.equal(u.settle('m1'), true);
    assert.equal(u.settle('m1'), false, 'settled twice');
    assert.deepEqual(u.list().map((c) => c.window.start), [60000]);
    assert.deepEqual(u.drain().map((c) => c.window.start), [60000]);
    assert.equal(u.size, 0);
  });

  it('is bounded: beyond the limit an aggregate is not kept, and counted', function () {
    const u = new UnconfirmedAggregates(2);
    u.add('a', closed(0));
    u.add('b', closed(1));
    assert.equal(u.add('c', closed(2)), false);
    assert.equal(u.size, 2);
    assert.equal(u.untracked, 1);
    // Asked before following a msg: no room is said (and counted) before any follow-up is made.
    assert.equal(u.hasRoom(), false);
    assert.equal(u.untracked, 2);
    u.settle('a');
    assert.equal(u.hasRoom(), true);
    assert.equal(u.untracked, 2);
  });

  it('reads them back from a checkpoint; malformed entries are skipped and counted', function () {
    const good = closed(0);
    const checkpoint = {
      unconfirmed: [
        good,
        null,
        { reading: { measurement: '', tags: {}, fields: { v: 1 }, timestamp: 0 }, window: good.window },
        { reading: good.reading, window: { start: 'x', end: 1, count: 1, key: 'k' } },
        { reading: good.reading },
      ],
    };
    assert.deepEqual(unconfirmedFromCheckpoint(checkpoint), { aggregates: [good], malformed: 4 });
    assert.deepEqual(unconfirmedFromCheckpoint({ version: 1, keys: [] }), { aggregates: [], malformed: 0 });
    assert.deepEqual(unconfirmedFromCheckpoint(undefined), { aggregates: [], malformed: 0 });
  });
});
