'use strict';
// Fuzz: telemetry-alert refuses bad input clearly, finishes every msg exactly once, never
// crashes, and hostile keys stay data.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const alertNode = require('../../nodes/telemetry-alert.js');
const { fuzzNode, corpus } = require('../fuzz/harness');

const TYPE = 'telemetry-alert';
const valid = { measurement: 'telemetry', tags: { device: 'dev-1' }, fields: { temperature: 31.5 }, timestamp: 1700000000000 };
const config = { rules: [{ field: 'temperature', op: 'above', value: 30, for: '', clear: 28 }], summaryInterval: '', persistState: false };

describe('telemetry-alert fuzz', function () {
  this.timeout(60000);
  afterEach(async function () {
    await helper.unload();
  });

  it('hostile, mutated and random msgs: each finishes once, refusals are clear, no crash', async function () {
    const msgs = corpus({ valid, random: 400, seed: 22 });
    const { completed, caught } = await fuzzNode(helper, { nodeModules: [alertNode], type: TYPE, config, msgs });
    assert.equal(completed.length + caught.length, msgs.length);
    assert.ok(completed.length > 10 && caught.length > 10, `${completed.length} done, ${caught.length} refused`);
    for (const m of caught) assert.match(String(m.error.message), /\S/);
  });

  it('hostile device ids are keys like any other, the summary agrees with the alerts', async function () {
    const devices = ['a', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a'];
    const msgs = devices.map((d) => ({ payload: { ...valid, tags: { device: d } } }));
    msgs.push({ control: 'status' });
    const { outputs } = await fuzzNode(helper, { nodeModules: [alertNode], type: TYPE, config, msgs });
    const [changes, summaries] = outputs;
    assert.equal(changes.length, new Set(devices).size, 'one alert per key');
    assert.equal(summaries[0].payload.total, new Set(devices).size);
    assert.equal({}.polluted, undefined);
  });
});
