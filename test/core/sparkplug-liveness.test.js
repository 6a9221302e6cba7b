'use strict';
// Death notices (src/core/liveness.ts) in the heartbeat tracker: HeartbeatTracker.markDown
// makes devices `down` at once, once, and their next heartbeat brings them `up`.
const assert = require('assert');
const { HeartbeatTracker } = require('../../dist/core/heartbeat/tracker');
const { livenessOf } = require('../../dist/core/liveness');

const pick = (changes) => changes.splice(0).map((c) => [c.device, c.status, c.lastSeen]);

describe('sparkplug liveness: HeartbeatTracker.markDown', function () {
  it('down at once (not after the timeout), once; up on the next heartbeat; unknown devices are added down', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 60_000 }, 0);
    const changes = [];
    tracker.beat('E', 1_000, undefined, changes);
    tracker.beat('E/D1', 1_000, undefined, changes);
    assert.strictEqual(tracker.markDown(['E', 'E/D1', 'E/D9'], 2_000, changes), 0);
    assert.deepStrictEqual(pick(changes), [['E', 'down', 1_000], ['E/D1', 'down', 1_000], ['E/D9', 'down', null]]);
    assert.deepStrictEqual([tracker.total, tracker.down], [3, 3]);
    tracker.markDown(['E'], 3_000, changes);
    assert.deepStrictEqual(pick(changes), [], 'already down: no second change');
    while (tracker.advance(200_000, 1_000, changes));
    assert.deepStrictEqual(pick(changes), [], 'the timeout adds no second down');
    tracker.beat('E', 200_001, undefined, changes);
    assert.deepStrictEqual(pick(changes), [['E', 'up', 1_000]]);
    assert.strictEqual(tracker.down, 2);
  });

  it('with flap damping: a death is sent at once, also when a silent down was being held back', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 10, flapPeriodMs: 1_000 }, 0);
    const changes = [];
    tracker.beat('A', 0, undefined, changes);
    tracker.beat('B', 0, undefined, changes);
    while (tracker.advance(20, 1_000, changes));
    tracker.beat('A', 30, undefined, changes);
    tracker.beat('B', 30, undefined, changes);
    assert.deepStrictEqual(pick(changes).map((c) => c.slice(0, 2)), [['A', 'down'], ['B', 'down'], ['A', 'up'], ['B', 'up']]);
    while (tracker.advance(50, 1_000, changes));
    assert.deepStrictEqual(pick(changes), [], 'silent again within flapPeriod: the down is held back');
    tracker.markDown(['A', 'B'], 60, changes);
    assert.deepStrictEqual(pick(changes).map((c) => c.slice(0, 2)), [['A', 'down'], ['B', 'down']]);
    while (tracker.advance(2_000, 1_000, changes));
    assert.deepStrictEqual(pick(changes), [], 'no second down at the end of the period');
  });

  it('a full registry refuses unknown devices and says how many', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 60_000, maxDevices: 1 }, 0);
    const changes = [];
    tracker.beat('E', 1, undefined, changes);
    assert.strictEqual(tracker.markDown(['E', 'X', 'Y'], 2, changes), 2);
    assert.deepStrictEqual(pick(changes), [['E', 'down', 1]]);
  });

  it('livenessOf accepts only the documented shape', function () {
    assert.ok(livenessOf({ payload: [], liveness: { status: 'down', devices: ['a'], reason: 'NDEATH', source: 'sparkplug' } }));
    for (const liveness of [undefined, null, 'down', { status: 'up', devices: [] }, { status: 'down', devices: 'a' }]) {
      assert.strictEqual(livenessOf({ liveness }), undefined, JSON.stringify(liveness));
    }
  });
});
