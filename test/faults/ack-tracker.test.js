'use strict';
// The ack-after-archive tracker in the real runtime: a msg counts as durable when a node marked
// DURABLE_COMPLETE calls done() for it (onComplete hook), not when any other node does, not on
// done(err); msgs no durable sink completes resolve as `timeout`; the hook is removed with the
// last user. Clones keep _msgid, so fan-out and intermediate nodes do not lose the track.
const assert = require('node:assert/strict');
const { sleep } = require('../support/wait');
const helper = require('../support/helper');
const { ackTracker: trackerOf, DURABLE_COMPLETE } = require('../../dist/nodes/shared/durability');
const { systemClock } = require('../../dist/io/system-clock');

/** The runtime's one tracker, on the real clock (its deadlines are tested in real time here). */
const ackTracker = (red) => trackerOf(red, systemClock);

let RED;
/** Test node types: a durable sink (done after a delay), a plain pass-through, a failing sink. */
function testNodes(red) {
  // node-red-node-test-helper's RED lacks `hooks` (a real runtime's has it): give it the runtime's own.
  if (!red.hooks) red.hooks = helper._RED.hooks;
  RED = red;
  function Sink(config) {
    red.nodes.createNode(this, config);
    this[DURABLE_COMPLETE] = true;
    this.on('input', (msg, send, done) => setTimeout(() => (msg.fail ? done(new Error('write failed')) : done()), 20));
  }
  function Plain(config) {
    red.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      send(msg);
      done();
    });
  }
  red.nodes.registerType('durable-sink', Sink);
  red.nodes.registerType('plain-node', Plain);
}

const flow = [
  { id: 'p1', type: 'plain-node', wires: [['sink', 'p2']] }, // fan-out: the 2nd wire gets a clone
  { id: 'p2', type: 'plain-node', wires: [[]] },
  { id: 'sink', type: 'durable-sink', wires: [] },
  { id: 'p3', type: 'plain-node', wires: [[]] }, // leads nowhere durable
];

describe('ack-after-archive tracker (onComplete hook)', function () {
  this.timeout(10000);
  let release;
  beforeEach(async function () {
    await helper.load(testNodes, flow);
    release = ackTracker(RED).use();
  });
  afterEach(async function () {
    release();
    await helper.unload();
  });

  it('resolves "durable" when the durable sink completes the msg, through a plain node and a fan-out', async function () {
    const outcome = ackTracker(RED).expect('m-1', 5000);
    helper.getNode('p1').receive({ _msgid: 'm-1', payload: 1 });
    assert.equal(await outcome, 'durable');
  });

  it('a plain node completing the msg is not enough; without a durable sink it times out', async function () {
    const tracker = ackTracker(RED);
    const outcome = tracker.expect('m-2', 300);
    helper.getNode('p3').receive({ _msgid: 'm-2', payload: 1 });
    assert.equal(await outcome, 'timeout');
    assert.equal(tracker.pending, 0);
  });

  it('done(err) of the sink is not durable: failed at once (never acknowledged), not at the timeout', async function () {
    const outcome = ackTracker(RED).expect('m-3', 60000);
    helper.getNode('sink').receive({ _msgid: 'm-3', payload: 1, fail: true });
    assert.equal(await outcome, 'failed');
  });

  it('several waiters on one msg (a micro-batch of many MQTT messages) all resolve', async function () {
    const tracker = ackTracker(RED);
    const all = Promise.all([tracker.expect('b-1', 5000), tracker.expect('b-1', 5000), tracker.expect('b-1', 5000)]);
    helper.getNode('sink').receive({ _msgid: 'b-1', payload: [1, 2, 3] });
    assert.deepEqual(await all, ['durable', 'durable', 'durable']);
  });

  it('the last user leaving removes the hook and resolves what waits as "closed"', async function () {
    const tracker = ackTracker(RED);
    const extra = tracker.use();
    const outcome = tracker.expect('m-4', 60000);
    extra();
    assert.equal(tracker.pending, 1, 'still in use by the first user');
    release();
    release = () => undefined;
    assert.equal(await outcome, 'closed');
    const later = tracker.expect('m-5', 60000);
    helper.getNode('sink').receive({ _msgid: 'm-5', payload: 1 });
    const raced = await Promise.race([later, sleep(300).then(() => 'not resolved')]);
    assert.equal(raced, 'not resolved', 'the hook still fires after the last user left');
  });
});
