'use strict';
// telemetry-window behind a partition node (DESIGN §7): open windows move with their partition
// through the runtime's partition registry (parta's interface, stood in for by a PartitionOwner
// attached to the real registry), and a msg with msg.partition completes (done) only once a
// checkpoint holding its readings is stored.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const windowNode = require('../../nodes/telemetry-window.js');
const { fakeClockPerTest } = require('../support/fake-clock');
const { partitionRuntime } = require('../../dist/nodes/shared/partition-registry');

const T0 = Date.UTC(2026, 0, 1);
const START = T0 + 3_600_000;
const PARTITION = { a: 1, b: 2 };

let clock;
const settled = () => clock.advance(0);

function flow() {
  return [
    { id: 'f', type: 'tab' },
    { id: 'w', z: 'f', type: 'telemetry-window', windowType: 'tumbling', size: '1m', timeMode: 'event', aggregates: 'count,sum,min,max', groupBy: 'device', wires: [['out'], []] },
    { id: 'out', z: 'f', type: 'helper' },
    { id: 'cmp', z: 'f', type: 'complete', scope: ['w'], uncaught: false, wires: [['completed']] },
    { id: 'completed', z: 'f', type: 'helper' },
  ];
}

const owner = {
  layout: { partitions: 4, partitionOf: (tags) => PARTITION[tags.device] ?? 0 },
  holderAdded: async () => undefined,
  holderRemoving: async () => undefined,
  checkpointSoon: () => undefined,
};

function msg(device, offset, v) {
  return { partition: PARTITION[device], payload: { measurement: 'telemetry', tags: { device }, fields: { v }, timestamp: T0 + offset } };
}

describe('telemetry-window: open windows move with their partition', function () {
  fakeClockPerTest(helper, { start: START }, (c) => (clock = c));
  let detach;
  afterEach(async function () {
    detach?.();
    await helper.unload();
  });

  it('done only after a stored checkpoint; release/adopt carries the open window; close does not flush moved keys', async function () {
    await helper.load(windowNode, flow());
    const registry = partitionRuntime({ events: helper._events }).group('pipeline');
    detach = registry.attach(owner);
    await registry.adoptPartition(1, {});
    await registry.adoptPartition(2, {});
    const w = helper.getNode('w');
    const completed = [];
    helper.getNode('completed').on('input', (m) => completed.push(m.payload.tags.device));
    const out = [];
    helper.getNode('out').on('input', (m) => out.push(m.payload));

    w.receive(msg('a', 1_000, 5));
    w.receive(msg('b', 2_000, 7));
    await settled();
    assert.deepEqual(completed, [], 'nothing done before a checkpoint');

    // A checkpoint of partition 1 is stored: a's msg completes, b's waits for partition 2.
    const cp1 = await registry.checkpointPartition(1);
    assert.equal(cp1.states.w.keys.length, 1);
    registry.saved(1, ['w']);
    await settled();
    assert.deepEqual(completed, ['a']);

    // Partition 2 moves away: its open window leaves with it, its held msg completes on the save.
    const released = await registry.releasePartition(2);
    assert.deepEqual(released.states.w.keys.map((k) => k.tags.device), ['b']);
    registry.saved(2, ['w']);
    await settled();
    assert.deepEqual(completed, ['a', 'b']);
    w.receive({ control: 'flush' });
    await settled();
    assert.deepEqual(out.map((r) => r.tags.device), ['a'], 'b is not here any more');

    // It comes back (a new owner restores the checkpoint): b's window goes on where it was.
    const json = JSON.parse(JSON.stringify(released.states));
    await registry.adoptPartition(2, json);
    w.receive(msg('b', 3_000, 9));
    w.receive({ control: 'flush' });
    await settled();
    const b = out.find((r) => r.tags.device === 'b');
    assert.deepEqual([b.fields.v_count, b.fields.v_sum, b.fields.v_min, b.fields.v_max], [2, 16, 7, 9]);

    // Closing: the owner has checkpointed the partitions' keys; they are not flushed as partial windows.
    w.receive(msg('a', 70_000, 1));
    await settled();
    const before = out.length;
    await helper.unload();
    assert.equal(out.length, before, 'no partial window on close');
  });

  it('a window node without partition msgs takes no part in moves', async function () {
    await helper.load(windowNode, flow());
    const registry = partitionRuntime({ events: helper._events }).group('pipeline');
    detach = registry.attach(owner);
    const w = helper.getNode('w');
    const { partition, ...plain } = msg('a', 1_000, 5);
    void partition;
    w.receive(plain);
    await settled();
    const released = await registry.releasePartition(1);
    assert.deepEqual(released.states, {});
  });
});
