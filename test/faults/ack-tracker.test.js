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
  /** A durable sink that completes only when the test says (`finish(err?)`): an archive's batch still in memory. */
  function Held(config) {
    red.nodes.createNode(this, config);
    this[DURABLE_COMPLETE] = true;
    this.held = [];
    this.finish = (err) => this.held.splice(0).forEach((done) => done(err));
    this.on('input', (msg, send, done) => this.held.push(done));
  }
  /** An enrich waiting for its tables: sends the msg on 100 ms later, then completes. */
  function Late(config) {
    red.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => setTimeout(() => {
      send(msg);
      done();
    }, 100));
  }
  /** Completes first and sends in a later microtask (what the setImmediate grace is for). */
  function DoneFirst(config) {
    red.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      done();
      Promise.resolve().then(() => send(msg));
    });
  }
  red.nodes.registerType('durable-sink', Sink);
  red.nodes.registerType('plain-node', Plain);
  red.nodes.registerType('held-sink', Held);
  red.nodes.registerType('late-node', Late);
  red.nodes.registerType('done-first-node', DoneFirst);
}

const flow = [
  { id: 'p1', type: 'plain-node', wires: [['sink', 'p2']] }, // fan-out: the 2nd wire gets a clone
  { id: 'p2', type: 'plain-node', wires: [[]] },
  { id: 'sink', type: 'durable-sink', wires: [] },
  { id: 'p3', type: 'plain-node', wires: [[]] }, // leads nowhere durable
  // Fan-outs to two durable sinks, the second one slow (held): straight, behind a late sender,
  // behind a node that completes before it sends.
  { id: 'two', type: 'plain-node', wires: [['sink', 'held']] },
  { id: 'viaLate', type: 'plain-node', wires: [['sink', 'late']] },
  { id: 'late', type: 'late-node', wires: [['held']] },
  { id: 'viaDoneFirst', type: 'plain-node', wires: [['sink', 'doneFirst']] },
  { id: 'doneFirst', type: 'done-first-node', wires: [['held']] },
  { id: 'held', type: 'held-sink', wires: [] },
];

/** The outcome, or 'pending' when it has not settled within `ms`. */
const within = (outcome, ms) => Promise.race([outcome, sleep(ms).then(() => 'pending')]);

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

  describe('a msg fanned out to several durable sinks settles when each of them completed it', function () {
    for (const [entry, what] of [
      ['two', 'straight fan-out [sink, held]'],
      ['viaLate', 'the second branch sends 100 ms after the first sink completed'],
      ['viaDoneFirst', 'the second branch completes before it sends (grace)'],
    ]) {
      it(what, async function () {
        const waiting = ackTracker(RED).pending; // an earlier test leaves one behind (m-5)
        const outcome = ackTracker(RED).expect(`f-${entry}`, 60000);
        helper.getNode(entry).receive({ _msgid: `f-${entry}`, payload: 1 });
        assert.equal(await within(outcome, 400), 'pending', 'settled when the quicker sink completed');
        assert.equal(helper.getNode('held').held.length, 1, 'the slow sink did not get the msg');
        helper.getNode('held').finish();
        assert.equal(await within(outcome, 2000), 'durable');
        assert.equal(ackTracker(RED).pending, waiting);
      });
    }

    it('one sink failing fails the msg though the other made it durable', async function () {
      const outcome = ackTracker(RED).expect('f-fail', 60000);
      helper.getNode('two').receive({ _msgid: 'f-fail', payload: 1 });
      assert.equal(await within(outcome, 300), 'pending');
      helper.getNode('held').finish(new Error('write failed'));
      assert.equal(await within(outcome, 2000), 'failed');
    });

    it('a durable sink that never completes: timeout (acknowledged, counted), not durable', async function () {
      const outcome = ackTracker(RED).expect('f-never', 500);
      helper.getNode('two').receive({ _msgid: 'f-never', payload: 1 });
      assert.equal(await within(outcome, 3000), 'timeout');
      helper.getNode('held').finish();
    });

    it('deliveries sent before expect() are counted when the id was announced (the ingest sends first)', async function () {
      const tracker = ackTracker(RED);
      const id = tracker.announce('f-announced');
      helper.getNode('two').receive({ _msgid: id, payload: 1 });
      await sleep(20); // sent and delivered before anyone expects it
      const outcome = tracker.expect(id, 60000);
      assert.equal(await within(outcome, 300), 'pending');
      helper.getNode('held').finish();
      assert.equal(await within(outcome, 2000), 'durable');
    });
  });
});

describe('AckTracker bookkeeping (FakeClock, hooks called directly)', function () {
  const { AckTracker, markDurable } = require('../../dist/nodes/shared/durability');
  const { FakeClock } = require('../support/fake-clock');
  const hooks = { add: () => undefined, remove: () => undefined };

  it('an announced id nobody expects (refused, or replaced by a batch id) is dropped at the next sweeps', async function () {
    const clock = new FakeClock();
    const tracker = new AckTracker(hooks, clock);
    const stop = tracker.use();
    tracker.announce('never-expected');
    const sink = {};
    markDurable(sink);
    const msg = { _msgid: 'never-expected' };
    tracker.onDeliver({ msg, destination: { node: sink } });
    await clock.advance(600);
    // Had it stayed, this expect would see a delivery outstanding and never settle on completion.
    const outcome = tracker.expect('never-expected', 10000);
    tracker.onComplete({ msg: { _msgid: 'never-expected' }, node: { node: sink } });
    assert.equal(await outcome, 'durable');
    stop();
  });

  it('a completion by a node the msg object was not delivered to (its sender) takes nothing off', async function () {
    const tracker = new AckTracker(hooks, new FakeClock());
    const stop = tracker.use();
    const [a, b, sender] = [{}, {}, { _expectedDoneCount: 1 }];
    markDurable(a);
    markDurable(b);
    const msg = { _msgid: 'x' }; // the first wire gets the very object the sender received
    const outcome = tracker.expect('x', 10000);
    tracker.onDeliver({ msg, destination: { node: a } });
    tracker.onDeliver({ msg: { _msgid: 'x' }, destination: { node: b } });
    tracker.onComplete({ msg, node: { node: sender } });
    tracker.onComplete({ msg, node: { node: a } });
    assert.equal(await within(outcome, 50), 'pending', 'settled while b still holds it');
    stop();
    assert.equal(await outcome, 'closed');
  });
});
