'use strict';
// Guards the Node-RED 4 / 5 test matrix: the node tests must really run on the runtime the
// script asked for (scripts/test-nr5.sh sets EXPECT_NODE_RED_MAJOR=5 and EXPECT_NODE_MAJOR=22),
// and the shared helper must load and drive a node on it.
const assert = require('assert');
const helper = require('../support/helper');

const devDependencyMajor = require('../../package.json').devDependencies['node-red'].replace(/^[~^]/, '').split('.')[0];

function probeNode(RED) {
  function ProbeNode(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      msg.payload = { seen: msg.payload, doubled: msg.payload * 2 };
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('nr-version-probe', ProbeNode);
}

describe('node test runtime (test/support/helper)', function () {
  afterEach(() => helper.unload());

  it(`runs on Node-RED ${process.env.EXPECT_NODE_RED_MAJOR || devDependencyMajor}.x`, function () {
    const expected = process.env.EXPECT_NODE_RED_MAJOR || devDependencyMajor;
    assert.strictEqual(helper.nodeRedVersion().split('.')[0], expected, `Node-RED ${helper.nodeRedVersion()}`);
  });

  // Only defined when a script pinned the Node.js major (scripts/test-nr5.sh).
  if (process.env.EXPECT_NODE_MAJOR) {
    it(`runs on Node.js ${process.env.EXPECT_NODE_MAJOR}.x`, function () {
      assert.strictEqual(process.versions.node.split('.')[0], process.env.EXPECT_NODE_MAJOR, `Node ${process.version}`);
    });
  }

  it('helper.coreNode() gives the core nodes of that runtime (shared with the helper: no double registration)', async function () {
    const catchNode = helper.coreNode('common/25-catch.js');
    assert.strictEqual(catchNode, helper._nodeModules.catch, 'the helper preloads the same catch module');
    const inject = helper.coreNode('common/20-inject.js');
    await helper.load([inject, catchNode], [
      { id: 'i1', type: 'inject', wires: [[]] },
      { id: 'c1', type: 'catch', scope: null, wires: [[]] },
    ]);
    assert.ok(helper.getNode('i1') && helper.getNode('c1'));
  });

  it('loads a node and passes a message through it with that runtime', async function () {
    const flow = [
      { id: 'p1', type: 'nr-version-probe', wires: [['h1']] },
      { id: 'h1', type: 'helper' },
    ];
    await helper.load(probeNode, flow);
    const received = new Promise((resolve) => helper.getNode('h1').on('input', resolve));
    helper.getNode('p1').receive({ payload: 7 });
    const msg = await received;
    assert.deepStrictEqual(msg.payload, { seen: 7, doubled: 14 });
  });
});
