'use strict';
// telemetry-heartbeat-watch behind a partition node (DESIGN §7): the registry entries of a
// partition's devices move with it through the runtime's partition registry (a PartitionOwner
// attached to the real registry stands in for the partition node); a member that gains a
// partition does not report its devices down for the move; a msg with msg.partition completes
// only once a stored checkpoint holds it.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const heartbeatNode = require('../../nodes/telemetry-heartbeat-watch.js');
const { fakeClockPerTest } = require('../support/fake-clock');
const { partitionRuntime } = require('../../dist/nodes/shared/partition-registry');
const { collect } = require('../support/collect');

const T0 = Date.UTC(2026, 0, 1);
const P = { a: 1, b: 2 };
const owner = { layout: { partitions: 4, partitionOf: () => 0 }, holderAdded: async () => undefined, holderRemoving: async () => undefined, checkpointSoon: () => undefined };

function flow() {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'hb', type: 'telemetry-heartbeat-watch', z: 'f1', timeout: '10s', summaryInterval: '', wires: [['changes'], ['summary']] },
    { id: 'changes', type: 'helper', z: 'f1' },
    { id: 'summary', type: 'helper', z: 'f1' },
    { id: 'cmp', z: 'f1', type: 'complete', scope: ['hb'], uncaught: false, wires: [['completed']] },
    { id: 'completed', z: 'f1', type: 'helper' },
  ];
}

const beat = (device) => ({ partition: P[device], payload: { measurement: 'telemetry', tags: { device }, fields: { v: 1 }, timestamp: T0 } });

describe('telemetry-heartbeat-watch: devices move with their partition', function () {
  let clock;
  fakeClockPerTest(helper, { start: T0 }, (c) => (clock = c));
  let detach;
  afterEach(async function () {
    detach?.();
    await helper.unload();
  });

  it('release takes a partition\'s devices away (no down for them here), adopt brings them back with their last heartbeat', async function () {
    await helper.load(heartbeatNode, flow());
    const registry = partitionRuntime({ events: helper._events }).group('pipeline');
    detach = registry.attach(owner);
    await registry.adoptPartition(1, {});
    await registry.adoptPartition(2, {});
    const hb = helper.getNode('hb');
    const changes = collect('changes');
    const completed = collect('completed');
    await clock.advance(0);
    hb.receive(beat('a'));
    hb.receive(beat('b'));
    await clock.advance(0);
    assert.equal(completed.seen.length, 0, 'held until a checkpoint is stored');
    const cp = await registry.checkpointPartition(1);
    assert.deepEqual(cp.states.hb.devices, ['a']);
    registry.saved(1, ['hb']);
    await clock.advance(0);
    assert.equal(completed.seen.length, 1);

    // Partition 2 leaves at t = 4 s: b is not watched here any more, so never reported down here.
    await clock.advance(4_000);
    const released = await registry.releasePartition(2);
    assert.deepEqual(released.states.hb.devices, ['b']);
    assert.equal(released.states.hb.lastSeen[0], T0);
    // The rebuilt registry gives a a fresh grace from the move (4 s): down at 14 s, not 10 s.
    await clock.advance(9_999);
    assert.deepEqual(changes.seen, []);
    await clock.advance(1);
    assert.deepEqual(changes.seen.map((m) => [m.payload.device, m.payload.status]), [['a', 'down']]);

    // It comes back (as on the member that gains it): b has a fresh grace, no down for the move.
    await registry.adoptPartition(2, JSON.parse(JSON.stringify(released.states)).hb);
    await clock.advance(9_000);
    assert.equal(changes.seen.length, 1, 'no down for b within its timeout after the move');
    hb.receive(beat('b'));
    await clock.advance(9_000);
    assert.equal(changes.seen.length, 1);
  });
});
