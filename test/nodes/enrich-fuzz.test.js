'use strict';
// Fuzz: telemetry-enrich refuses bad readings clearly, finishes every msg exactly once, never
// crashes or pollutes prototypes through lookup tables keyed by hostile device ids (issue #12).
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const enrichNode = require('../../nodes/telemetry-enrich.js');
const { validateReading } = require('../../dist/core/reading');
const { fuzzNode, corpus, assertRejectedShape, describeMsg } = require('../fuzz/harness');

const TYPE = 'telemetry-enrich';
const RULES = [
  { type: 'lookup', key: 'device', table: { 'dev-1': { site: 'plant-a' }, __proto__x: { site: 'x' } }, as: 'tags' },
  { type: 'set', target: 'tags', name: 'source', value: 'fuzz', valueType: 'str' },
  { type: 'set', target: 'fields', name: 'doubled', value: '$.fields.temperature * 2', valueType: 'jsonata' },
  { type: 'convert', field: 'temperature', unit: 'F->C' },
  { type: 'rename', target: 'fields', from: 'humidity', to: 'rh' },
  { type: 'remove', target: 'tags', name: 'secret' },
];
const valid = { measurement: 'telemetry', tags: { device: 'dev-1' }, fields: { temperature: 70 }, timestamp: 1700000000000 };

describe('telemetry-enrich fuzz', function () {
  this.timeout(60000);
  afterEach(async function () {
    await helper.unload();
  });

  for (const onMissing of ['pass', 'drop', 'output2']) {
    it(`onMissing ${onMissing}: hostile, mutated and random msgs finish once, output 1 holds only valid readings`, async function () {
      const msgs = corpus({ valid, random: 250, seed: 9 });
      for (const device of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        msgs.push({ payload: { ...valid, tags: { device } } });
      }
      const { outputs } = await fuzzNode(helper, { nodeModules: [enrichNode], type: TYPE, config: { rules: RULES, onMissing, reloadInterval: '' }, msgs });
      for (const m of outputs[0]) {
        // A bare control msg (flush, status…) is passed on for the nodes downstream, by design.
        if (typeof m.control === 'string' && m.payload === undefined) continue;
        for (const r of [].concat(m.payload)) {
          // The message is built only on failure: an input can hold 20,000 readings.
          if (validateReading(r) !== undefined) assert.fail(`input ${describeMsg(msgs[m.fuzzSeq])} gave ${describeMsg(m)}`);
        }
      }
      assertRejectedShape(outputs[1].filter((m) => m.error));
      for (const m of outputs[0]) if (m.payload !== undefined) for (const r of [].concat(m.payload)) assert.notEqual(r.tags.site, 'x');
    });
  }

  it('a device id such as "__proto__" or "constructor" finds no row and changes no prototype', async function () {
    const msgs = ['__proto__', 'constructor', 'toString'].map((device) => ({ payload: { ...valid, tags: { device } } }));
    const { outputs } = await fuzzNode(helper, { nodeModules: [enrichNode], type: TYPE, config: { rules: RULES.slice(0, 1), onMissing: 'output2', reloadInterval: '' }, msgs });
    assert.equal(outputs[0].length, 0, JSON.stringify(outputs[0].map((m) => m.payload)));
    assert.equal(outputs[1].length, 3);
  });
});
