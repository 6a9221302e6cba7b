'use strict';
// The node-red-node-test-helper every node test uses:
//     const helper = require('../support/helper');
// (never require('node-red-node-test-helper') directly in test/nodes/**).
//
// By default it runs the repo's Node-RED (4.1.x devDependency). When TEST_NODE_RED_DIR names
// another node-red package dir — scripts/test-nr5.sh sets it to the cached Node-RED 5 — the
// helper installed beside that runtime is used and initialised with it, so the node tests run
// on Node-RED 5 without a second copy of them.
const path = require('path');

function loadHelper() {
  const nrDir = process.env.TEST_NODE_RED_DIR;
  if (!nrDir) {
    const helper = require('node-red-node-test-helper');
    helper.init(require.resolve('node-red'));
    return helper;
  }
  const runtimeRoot = path.resolve(nrDir, '..', '..'); // <cache>/node_modules/node-red → <cache>
  const helperPath = require.resolve('node-red-node-test-helper', { paths: [runtimeRoot] });
  if (!helperPath.startsWith(runtimeRoot + path.sep)) {
    // require.resolve falls back to parent dirs: refuse the repo's copy, it would load Node-RED 4.
    throw new Error(`TEST_NODE_RED_DIR=${nrDir}: no node-red-node-test-helper installed in ${runtimeRoot}`);
  }
  const helper = require(helperPath);
  helper.init(require.resolve(path.resolve(nrDir)));
  return helper;
}

const helper = loadHelper();

/** Version of the Node-RED runtime the helper drives, e.g. "5.0.7". */
helper.nodeRedVersion = () => helper._RED.version().replace(/-git$/, '');

const runtimeDir = process.env.TEST_NODE_RED_DIR
  ? path.resolve(process.env.TEST_NODE_RED_DIR)
  : path.dirname(require.resolve('node-red/package.json'));
const coreNodesDir = path.join(
  path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [runtimeDir] })),
  'core',
);

/**
 * A core node module of the runtime the helper drives, e.g.
 * `helper.load([myNode, helper.coreNode('common/20-inject.js')], flow)`.
 * Use this instead of require('@node-red/nodes/core/…'): that always resolves to the repo's
 * Node-RED 4 copy, which under test:nr5 mixes 4.x nodes into a 5.x runtime (and the helper's
 * own catch/status/complete modules then register twice: "catch already registered").
 */
helper.coreNode = (relativePath) => require(path.join(coreNodesDir, relativePath));

module.exports = helper;
