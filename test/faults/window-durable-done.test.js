'use strict';
// ack-after-archive, window side: with persistState, telemetry-window completes an input msg
// (done) only after a checkpoint has saved the open windows holding its readings (within 1 s),
// and marks itself DURABLE_COMPLETE; without persistState it completes at once and is not a
// durable sink.
const assert = require('node:assert/strict');
const { sleep } = require('../support/wait');
const { useMemoryContextStorage } = require('../support/context-storage');
const { completionWatch, timeToComplete } = require('./lib/completion');
const helper = require('../support/helper');
const windowNode = require('../../nodes/telemetry-window.js');
const { DURABLE_COMPLETE, ackTracker } = require('../../dist/nodes/shared/durability');
const { systemClock } = require('../../dist/io/system-clock');

let RED;
/** Captures the runtime API the nodes get (with the runtime's hooks, which the test helper leaves out). */
function capture(red) {
  if (!red.hooks) red.hooks = helper._RED.hooks;
  RED = red;
}

const T0 = Date.UTC(2026, 0, 1);
const reading = (device, i) => ({ measurement: 'm', tags: { device }, fields: { v: i }, timestamp: T0 + i * 1000 });

describe('telemetry-window completes msgs when their readings are saved (persistState)', function () {
  this.timeout(10000);
  useMemoryContextStorage();
  let release;
  afterEach(async function () {
    if (release) release();
    release = undefined;
    await helper.unload();
  });

  /** `tracked`: an ack-after-archive ingest is following completions (checkpoints are on). */
  async function load(config, tracked = true) {
    await helper.load([capture, windowNode], [
      { id: 'w', type: 'telemetry-window', windowType: 'tumbling', size: '1h', groupBy: 'device', fields: '*', aggregates: 'count,mean', timeMode: 'event', wires: [[], []], ...config },
      ...completionWatch('w'),
    ]);
    await helper._context.load();
    if (tracked) release = ackTracker(RED, systemClock).use();
  }

  it('completes inputs after the checkpoint that saved them, and the store holds their window', async function () {
    await load({ persistState: true });
    const w = helper.getNode('w');
    assert.equal(w[DURABLE_COMPLETE], true);
    const completed = [];
    helper.getNode('completed').on('input', (m) => completed.push({ id: m._msgid, at: Date.now() }));
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) w.receive({ _msgid: `in-${i}`, payload: reading('a', i) });
    await sleep(300);
    assert.equal(completed.length, 0, 'completed before any save');
    await sleep(1000);
    assert.deepEqual(completed.map((c) => c.id), ['in-0', 'in-1', 'in-2', 'in-3', 'in-4']);
    assert.ok(completed[0].at - t0 >= 900, `completed after ${completed[0].at - t0} ms`);
    const saved = w.context().get('windowState');
    assert.ok(saved, 'nothing saved');
    assert.match(JSON.stringify(saved), /"a"/);
  });

  it('nobody following completions: no checkpoints, inputs complete at once', async function () {
    await load({ persistState: true }, false);
    assert.ok((await timeToComplete('w', { payload: reading('a', 1) })) < 300);
  });

  it('control msgs complete at once', async function () {
    await load({ persistState: true });
    assert.ok((await timeToComplete('w', { control: 'flush' })) < 300);
  });

  it('without persistState: completes at once, not a durable sink', async function () {
    await load({ persistState: false });
    const w = helper.getNode('w');
    assert.notEqual(w[DURABLE_COMPLETE], true);
    assert.ok((await timeToComplete('w', { payload: reading('a', 1) })) < 300);
  });

  it('inputs held for a checkpoint are completed when the node closes', async function () {
    await load({ persistState: true });
    const w = helper.getNode('w');
    let n = 0;
    helper.getNode('completed').on('input', () => n++);
    w.receive({ payload: reading('a', 1) });
    w.receive({ payload: reading('b', 2) });
    await sleep(50);
    assert.equal(n, 0);
    await w.close(false);
    await sleep(50);
    assert.equal(n, 2);
  });
});
