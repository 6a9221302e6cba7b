'use strict';
// At-least-once for window aggregates (issue #21), in the runtime of node-red-node-test-helper:
// under ack-after-archive a closed window's aggregate stays in the window's checkpoint
// ("unconfirmed") until a durable sink downstream completes the msg carrying it; a node that
// starts from such a checkpoint sends the aggregate again with the same reading (timestamp).
// The end-to-end proof with SIGKILL/SIGTERM/redeploy is window-at-least-once.test.js.
const assert = require('node:assert/strict');
const { waitFor } = require('../support/wait');
const { useMemoryContextStorage } = require('../support/context-storage');
const helper = require('../support/helper');
const windowNode = require('../../nodes/telemetry-window.js');
const { DURABLE_COMPLETE, ackTracker } = require('../../dist/nodes/shared/durability');
const { systemClock } = require('../../dist/io/system-clock');

let RED;
/** A durable sink that holds each msg's done() until the test opens the gate. */
const held = [];
function testNodes(red) {
  if (!red.hooks) red.hooks = helper._RED.hooks;
  RED = red;
  function GateSink(config) {
    red.nodes.createNode(this, config);
    this[DURABLE_COMPLETE] = true;
    this.on('input', (msg, send, done) => held.push({ msg, done }));
  }
  red.nodes.registerType('gate-sink', GateSink);
}
const openGate = () => held.splice(0).forEach((h) => h.done());

const T0 = Date.UTC(2026, 0, 1);
const H = 3_600_000;
const reading = (device, t, v) => ({ measurement: 'm', tags: { device }, fields: { v }, timestamp: T0 + t });
const flow = (name = '') => [
  { id: 'w', type: 'telemetry-window', name, windowType: 'tumbling', size: '1h', groupBy: 'device', fields: '*', aggregates: 'count,sum', timeMode: 'event', persistState: true, wires: [['sink'], []] },
  { id: 'sink', type: 'gate-sink' },
];
const stored = () => helper.getNode('w').context().get('windowState');

describe('telemetry-window keeps unconfirmed aggregates in its checkpoint (ack-after-archive)', function () {
  this.timeout(10000);
  useMemoryContextStorage();
  let release;
  beforeEach(async function () {
    held.length = 0;
    await helper.load([testNodes, windowNode], flow());
    await helper._context.load();
    release = ackTracker(RED, systemClock).use();
  });
  afterEach(async function () {
    if (release) release();
    await helper.unload();
  });

  /** Closes the window [T0, T0 + 1h) of device a (2 readings) with a reading of the next hour. */
  async function closeOneWindow() {
    helper.getNode('w').receive({ payload: [reading('a', 0, 1), reading('a', 1000, 2), reading('a', H + 1, 5)] });
    await waitFor(() => held.length === 1, { timeout: 3000, message: 'the aggregate at the sink' });
    return held[0].msg;
  }

  it('the checkpoint holds the aggregate until the sink made it durable, then drops it', async function () {
    const sent = await closeOneWindow();
    assert.equal(typeof sent._msgid, 'string');
    await waitFor(() => stored()?.unconfirmed?.length === 1, { timeout: 3000, message: 'a checkpoint with the aggregate' });
    const state = stored();
    assert.equal(state.tracked, true);
    assert.deepEqual(state.unconfirmed[0].reading, { measurement: 'm_1h', tags: { device: 'a' }, fields: { v_count: 2, v_sum: 3 }, timestamp: T0 });
    openGate();
    await waitFor(() => stored() && stored().unconfirmed === undefined, { timeout: 3000, message: 'a checkpoint without it' });
    assert.equal(stored().keys.length, 1, 'the open window of the next hour stays');
  });

  it('a node starting from a checkpoint with unconfirmed aggregates sends them again, same reading', async function () {
    const first = await closeOneWindow();
    await waitFor(() => stored()?.unconfirmed?.length === 1, { timeout: 3000, message: 'a checkpoint with the aggregate' });
    held.length = 0; // never completed: the process "dies" with it in the archive's memory
    await helper.setFlows(flow('redeployed'), 'nodes');
    await waitFor(() => held.length === 1, { timeout: 5000, message: 'the aggregate sent again' });
    const again = held[0].msg;
    assert.deepEqual(again.payload, first.payload);
    assert.deepEqual(again.window, first.window);
    assert.notEqual(again._msgid, first._msgid);
    // The restored checkpoint stays (a crash now must find it again) until the sink confirms.
    assert.equal(stored()?.unconfirmed?.length, 1);
    openGate();
    await waitFor(() => stored() && stored().unconfirmed === undefined, { timeout: 3000, message: 'a checkpoint without it' });
  });

  it('nobody following completions (no ack-mode ingest): aggregates are not kept', async function () {
    release();
    release = undefined;
    const sent = await closeOneWindow();
    assert.equal(sent._msgid === undefined || typeof sent._msgid === 'string', true);
    await helper.getNode('w').close(false);
    const state = stored();
    assert.equal(state.unconfirmed, undefined);
    assert.equal(state.tracked, undefined);
  });
});
