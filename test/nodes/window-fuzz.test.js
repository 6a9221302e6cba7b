'use strict';
// Fuzz: telemetry-window refuses bad readings clearly, finishes every msg exactly once, never
// crashes, and its counts add up: every valid reading is in exactly one window or late (issue #12).
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const windowNode = require('../../nodes/telemetry-window.js');
const { fuzzNode, corpus, assertRejectedShape } = require('../fuzz/harness');

const TYPE = 'telemetry-window';
const CONFIG = {
  windowType: 'tumbling', size: '1m', slide: '', gap: '', count: '', groupBy: 'device', fields: '*', aggregates: 'count,mean,max',
  timeMode: 'event', allowedLateness: '0s', outputMeasurement: '{measurement}_{size}', persistState: false,
};
const T0 = Date.UTC(2026, 0, 1);
const valid = { measurement: 'telemetry', tags: { device: 'dev-1' }, fields: { temperature: 21.5 }, timestamp: T0 };

describe('telemetry-window fuzz', function () {
  this.timeout(60000);
  afterEach(async function () {
    await helper.unload();
  });

  for (const windowType of ['tumbling', 'hopping', 'session', 'count']) {
    it(`${windowType}: hostile, mutated and random msgs finish once, refusals are clear`, async function () {
      const msgs = corpus({ valid, random: 300, seed: 5 });
      msgs.push({ control: 'flush' });
      const config = { ...CONFIG, windowType, slide: '30s', gap: '1m', count: '10' };
      const { outputs } = await fuzzNode(helper, { nodeModules: [windowNode], type: TYPE, config, msgs });
      for (const m of outputs[0]) assert.ok(m.window && Number.isFinite(m.window.count), 'aggregate without msg.window');
      assertRejectedShape(outputs[1].filter((m) => !m.late));
    });
  }

  it('counts add up: valid readings = counted in windows + late + refused', async function () {
    const msgs = [];
    let validCount = 0;
    for (let i = 0; i < 600; i++) {
      const t = T0 + (i % 2 === 0 ? i * 1000 : i * 1000 - 5 * 60_000); // every other one is late
      msgs.push({ payload: { ...valid, tags: { device: `d${i % 7}` }, fields: { temperature: i }, timestamp: t } });
      validCount++;
      if (i % 50 === 0) msgs.push({ payload: { ...valid, fields: { temperature: 'x'.repeat(70_000) } } });
    }
    msgs.push({ control: 'flush' });
    const { outputs } = await fuzzNode(helper, { nodeModules: [windowNode], type: TYPE, config: CONFIG, msgs });
    const [aggregates, second] = outputs;
    const counted = aggregates.reduce((n, m) => n + m.window.count, 0);
    const late = second.filter((m) => m.late).reduce((n, m) => n + [].concat(m.payload).length, 0);
    assert.equal(counted + late, validCount, `${counted} in windows + ${late} late`);
  });
});
