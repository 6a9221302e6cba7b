'use strict';
// examples/ingest.json loads into Node-RED and does what its comments say.
const assert = require('assert');
const helper = require('../support/helper');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const path = require('path');

// The core nodes of the runtime under test (Node-RED 4 here, 5 under scripts/test-nr5.sh).
const runtimeDir = process.env.TEST_NODE_RED_DIR ? path.resolve(process.env.TEST_NODE_RED_DIR) : path.dirname(require.resolve('node-red/package.json'));
const core = (file) => require(require.resolve(`@node-red/nodes/core/common/${file}`, { paths: [runtimeDir] }));
const injectNode = core('20-inject.js');
const debugNode = core('21-debug.js');
const commentNode = core('90-comment.js');
const example = require('../../examples/ingest.json');
const { FakeClock } = require('../support/fake-clock');
const { waitFor } = require('../support/wait');

const NODES = [ingestNode, injectNode, debugNode, commentNode];

describe('telemetry-ingest example flow', function () {
  this.timeout(5_000);
  // The nodes' timers (status refresh, batchInterval) on a fake clock: only the runtime's
  // delivery takes real time here.
  beforeEach(() => helper.settings({ telemetryClock: new FakeClock(Date.now()) }));
  afterEach(async () => {
    await helper.unload();
    helper.settings({});
  });

  /** Presses an inject; waits for `expected` msgs per debug node, then a little for any extra. */
  async function press(injectId, expected) {
    const seen = {};
    for (const id of Object.keys(expected)) {
      seen[id] = [];
      helper.getNode(id).on('input', (msg) => seen[id].push(msg));
    }
    helper.getNode(injectId).receive({});
    await waitFor(() => Object.entries(expected).every(([id, n]) => seen[id].length >= n), { timeout: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return seen;
  }

  it('is an importable flow: a tab, no credentials, no broker', function () {
    assert.ok(Array.isArray(example));
    assert.strictEqual(example.filter((n) => n.type === 'tab').length, 1);
    assert.ok(example.every((n) => n.credentials === undefined));
    assert.ok(example.filter((n) => n.type === 'telemetry-ingest').every((n) => n.broker === ''));
  });

  const cases = [
    ['ie_inj_tasmota', 1, 0],
    ['ie_inj_z2m', 1, 1],
    ['ie_inj_senml', 1, 0],
    ['ie_inj_line', 1, 1],
    ['ie_inj_future', 0, 1],
    ['ie_inj_garbage', 0, 1],
    ['ie_inj_shelly_t', 1, 0],
    ['ie_inj_shelly_bad', 0, 1],
  ];
  for (const [inject, readings, rejected] of cases) {
    it(`${inject}: ${readings} readings msg, ${rejected} rejected msg`, async function () {
      await helper.load(NODES, example);
      const seen = await press(inject, { ie_dbg_readings: readings, ie_dbg_rejected: rejected });
      assert.strictEqual(seen.ie_dbg_readings.length, readings);
      assert.strictEqual(seen.ie_dbg_rejected.length, rejected);
    });
  }

  it('the batched ingest sends one Reading[] of 5 after five presses', async function () {
    await helper.load(NODES, example);
    const batches = [];
    helper.getNode('ie_dbg_batch').on('input', (msg) => batches.push(msg));
    for (let i = 0; i < 5; i++) helper.getNode('ie_inj_batch').receive({});
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.strictEqual(batches.length, 1);
    assert.strictEqual(batches[0].payload.length, 5);
  });
});
