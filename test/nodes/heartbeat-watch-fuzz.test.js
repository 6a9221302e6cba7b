'use strict';
// Fuzz: telemetry-heartbeat-watch refuses bad input clearly, finishes every msg exactly once,
// never crashes, and its counts add up (issue #12).
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const heartbeatNode = require('../../nodes/telemetry-heartbeat-watch.js');
const { fuzzNode, corpus } = require('../fuzz/harness');

const TYPE = 'telemetry-heartbeat-watch';
const valid = { measurement: 'telemetry', tags: { device: 'dev-1' }, fields: { temperature: 21.5 }, timestamp: 1700000000000 };

describe('telemetry-heartbeat-watch fuzz', function () {
  this.timeout(60000);
  afterEach(async function () {
    await helper.unload();
  });

  it('hostile, mutated and random msgs: each finishes once, refusals are clear, no crash', async function () {
    const msgs = corpus({ valid, random: 400, seed: 8 });
    const { completed, caught } = await fuzzNode(helper, {
      nodeModules: [heartbeatNode],
      type: TYPE,
      config: { timeout: '1h', summaryInterval: '', expected: '', persistState: false },
      msgs,
    });
    assert.equal(completed.length + caught.length, msgs.length);
    assert.ok(completed.length > 10 && caught.length > 10, `${completed.length} done, ${caught.length} refused`);
    for (const m of caught) assert.match(m.error.source ? String(m.error.message) : m.error.message, /\S/);
  });

  it('counts add up: one device per distinct valid id, the summary agrees with the state changes', async function () {
    const devices = ['a', 'b', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'b'];
    const msgs = devices.map((d) => ({ payload: { ...valid, tags: { device: d } } }));
    msgs.push({ control: 'status' });
    const { outputs } = await fuzzNode(helper, {
      nodeModules: [heartbeatNode],
      type: TYPE,
      config: { timeout: '1h', summaryInterval: '', expected: '', persistState: false },
      msgs,
    });
    const [, summaries] = outputs;
    assert.equal(summaries.length, 1);
    assert.equal(summaries[0].payload.total, new Set(devices).size);
    assert.equal(summaries[0].payload.up, new Set(devices).size);
    assert.equal({}.polluted, undefined);
  });

  it('device ids from the msg topic with hostile types are refused, not stringified', async function () {
    const msgs = [{ topic: { toString: () => 'x' } }, { topic: 42 }, { topic: ['a'] }, { topic: '' }, { topic: 'x'.repeat(100_000) }, { payload: {}, topic: Symbol('s') }];
    const { caught, completed } = await fuzzNode(helper, {
      nodeModules: [heartbeatNode],
      type: TYPE,
      config: { timeout: '1h', summaryInterval: '', expected: '', persistState: false },
      msgs,
    });
    assert.equal(caught.length + completed.length, msgs.length);
    assert.ok(caught.length >= 5, `${caught.length} refused`);
  });
});
