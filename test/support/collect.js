'use strict';
const helper = require('./helper');

/**
 * Collects msgs arriving at a test-helper node; `next(n)` resolves with the next n of them
 * (consuming them) or rejects after `timeoutMs` naming how many arrived.
 */
function collect(id, defaultTimeoutMs = 2_000) {
  const node = helper.getNode(id);
  const seen = [];
  let waiter;
  node.on('input', (msg) => {
    seen.push(msg);
    if (waiter && seen.length >= waiter.n) waiter.resolve(seen.splice(0, waiter.n));
  });
  return {
    seen,
    next(n = 1, timeoutMs = defaultTimeoutMs) {
      return new Promise((resolve, reject) => {
        if (seen.length >= n) return resolve(seen.splice(0, n));
        const timer = setTimeout(() => reject(new Error(`${id}: ${seen.length} of ${n} msg(s) after ${timeoutMs} ms`)), timeoutMs);
        waiter = { n, resolve: (msgs) => (clearTimeout(timer), (waiter = undefined), resolve(msgs)) };
      });
    },
  };
}

module.exports = { collect };
