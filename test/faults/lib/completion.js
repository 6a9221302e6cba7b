'use strict';
// How the ack-after-archive sink tests (archive-durable-done, window-durable-done) see a msg
// complete: a Complete node scoped to the node under test, wired to the helper node `completed`.
const helper = require('../../support/helper');

/** The flow nodes that report the completions of node `nodeId` to the helper node `completed`. */
function completionWatch(nodeId) {
  return [
    { id: 'cmp', type: 'complete', scope: [nodeId], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
  ];
}

/** Sends `msg` to node `nodeId`; resolves with the ms until `completed` saw it complete. */
async function timeToComplete(nodeId, msg) {
  const got = new Promise((resolve) => helper.getNode('completed').once('input', resolve));
  const t0 = Date.now();
  helper.getNode(nodeId).receive(msg);
  await got;
  return Date.now() - t0;
}

module.exports = { completionWatch, timeToComplete };
