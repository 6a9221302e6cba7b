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
const { partitionOfTags } = require('../../dist/core/partition/hash');

const T0 = Date.UTC(2026, 0, 1);
const P = { a: 1, b: 2 };
const owner = { layout: { partitions: 4, partitionOf: () => 0 }, holderAdded: async () => undefined, holderRemoving: async () => undefined, checkpointSoon: () => undefined };

function flow(extra = {}) {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'hb', type: 'telemetry-heartbeat-watch', z: 'f1', timeout: '10s', summaryInterval: '', ...extra, wires: [['changes'], ['summary']] },
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

  // Partitions of 4 by the real hash (key `device`): a → 1, b → 0, c → 3, d → 2, e → 1.
  const realOwner = (keys) => ({ ...owner, layout: { partitions: 4, partitionOf: (tags) => partitionOfTags(tags, keys, 4) ?? -1 } });

  it('expected devices: watched only on the member owning their partition, handed over with it', async function () {
    await helper.load(heartbeatNode, flow({ expected: 'a,b,c,d,e' }));
    const registry = partitionRuntime({ events: helper._events }).group('pipeline');
    detach = registry.attach(realOwner(['device']));
    await registry.adoptPartition(1, {}); // a and e are this member's
    const changes = collect('changes');
    const downs = () => changes.seen.map((m) => `${m.payload.device}:${m.payload.status}`).sort();
    await clock.advance(10_000);
    assert.deepEqual(downs(), ['a:down', 'e:down'], 'only the expected devices of owned partitions');
    assert.equal(changes.seen[0].payload.lastSeen, null);
    // Partition 3 comes (nothing saved for it): c is watched from the move on, a fresh timeout.
    await registry.adoptPartition(3, {});
    await clock.advance(9_999);
    assert.deepEqual(downs(), ['a:down', 'e:down']);
    await clock.advance(1);
    assert.deepEqual(downs(), ['a:down', 'c:down', 'e:down']);
    // Partition 1 goes: a and e are not watched here any more (no up, no down), c still is.
    await registry.releasePartition(1);
    const summary = collect('summary');
    helper.getNode('hb').receive({ control: 'status' });
    await clock.advance(0);
    assert.deepEqual(summary.seen.map((m) => [m.payload.total, m.payload.downDevices.map((d) => d.device ?? d)]), [[1, ['c']]]);
  });

  it('expected devices: with a partition key the id cannot give, watched on no member, with a warning', async function () {
    await helper.load(heartbeatNode, flow({ expected: 'a,b' }));
    const registry = partitionRuntime({ events: helper._events }).group('pipeline');
    detach = registry.attach(realOwner(['site', 'device']));
    const hb = helper.getNode('hb');
    const warnings = [];
    hb.on('call:warn', (call) => warnings.push(String(call.args[0])));
    await registry.adoptPartition(0, {});
    await registry.adoptPartition(1, {});
    const changes = collect('changes');
    await clock.advance(20_000);
    assert.deepEqual(changes.seen, []);
    assert.equal(warnings.filter((w) => /expected-unpartitioned|2 expected devices are not watched/.test(w)).length, 1, JSON.stringify(warnings));
  });
});
