'use strict';
// Fuzz: telemetry-ingest (wired input) refuses bad payloads clearly on output 2, finishes every
// msg exactly once, never crashes, and accounts for every input (issue #12).
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const { validateReading } = require('../../dist/core/reading');
const { fuzzNode, corpus, assertRejectedShape, HOSTILE, describeMsg } = require('../fuzz/harness');

const TYPE = 'telemetry-ingest';
const CONFIG = { broker: '', topic: '', qos: 0, format: 'auto', topicTemplate: '', measurement: 'telemetry', tagKeys: 'deviceId,device,site' };
const valid = { deviceId: 'dev-1', temperature: 21.5, ts: 1700000000000 };

describe('telemetry-ingest fuzz', function () {
  this.timeout(60000);
  afterEach(async function () {
    await helper.unload();
  });

  for (const format of ['auto', 'json', 'senml', 'line', 'value']) {
    it(`format ${format}: hostile, mutated and random msgs finish once, every input is accounted for`, async function () {
      const msgs = corpus({ valid, random: 300, seed: 3, wrap: (payload) => ({ payload, topic: 'sensors/a/b' }) });
      // Text forms of the hostile payloads too: MQTT delivers bytes.
      for (const make of Object.values(HOSTILE)) {
        const v = make();
        if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v)) {
          try {
            msgs.push({ payload: JSON.stringify(v), topic: 't' });
          } catch {
            // circular: not text
          }
        }
      }
      const { outputs, completed, caught } = await fuzzNode(helper, { nodeModules: [ingestNode], type: TYPE, config: { ...CONFIG, format }, msgs });
      const [accepted, rejected] = outputs;
      assertRejectedShape(rejected);
      for (const m of accepted) {
        for (const r of [].concat(m.payload)) if (validateReading(r) !== undefined) assert.fail(`invalid reading on output 1: ${describeMsg(r)}`);
      }
      // Each data msg (no control) went out somewhere: output 1, output 2, or an error.
      const out = new Set([...accepted, ...rejected, ...caught].map((m) => m.fuzzSeq));
      const silent = msgs.filter((m) => !('control' in m) && !out.has(m.fuzzSeq));
      assert.deepEqual(silent.map((m) => describeMsg(m)).slice(0, 5), [], `${silent.length} data msgs produced nothing`);
      assert.equal(completed.length + caught.length, msgs.length);
    });
  }

  it('counts add up: readings out + refusals = what went in (mixed good and bad JSON arrays)', async function () {
    const msgs = [];
    let good = 0;
    let bad = 0;
    for (let i = 0; i < 200; i++) {
      const items = [];
      for (let j = 0; j < 5; j++) {
        if ((i + j) % 3 === 0) {
          items.push({ deviceId: `d${j}`, temperature: { deep: [1] }, ts: 1700000000000 + i });
          bad++;
        } else {
          items.push({ deviceId: `d${j}`, temperature: i + j, ts: 1700000000000 + i });
          good++;
        }
      }
      msgs.push({ payload: JSON.stringify(items), topic: 't' });
    }
    const { outputs } = await fuzzNode(helper, { nodeModules: [ingestNode], type: TYPE, config: CONFIG, msgs });
    const [accepted, rejected] = outputs;
    const readingsOut = accepted.reduce((n, m) => n + [].concat(m.payload).length, 0);
    assert.equal(readingsOut, good);
    assert.ok(rejected.length > 0 && bad > 0);
    assertRejectedShape(rejected);
  });
});
