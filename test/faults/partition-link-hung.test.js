'use strict';
// A partition member's link (src/io/partition-link.ts) against a broker that stops answering
// (real Mosquitto behind test/support/slow-proxy.js, held): a SUBSCRIBE (a checkpoint read of a
// partition move) and the link's close end after their bounds instead of hanging — a node's close
// waits for its moves, and a close that never finishes keeps the partition group taken in that
// Node-RED runtime (issue #17: every later partition node was refused).
const assert = require('assert');
const { startMosquitto } = require('../support/services');
const { startSlowProxy } = require('../support/slow-proxy');
const { FakeClock } = require('../support/fake-clock');
const { waitFor } = require('../support/wait');
const { PartitionLink, LINK_ANSWER_TIMEOUT_MS, LINK_END_GRACE_MS } = require('../../dist/io/partition-link');

describe('partition link: a broker that stops answering', function () {
  this.timeout(30_000);
  let broker;
  let proxy;
  before(async function () {
    broker = await startMosquitto(this);
  });
  beforeEach(async function () {
    proxy = await startSlowProxy({ target: { host: '127.0.0.1', port: broker.port } });
  });
  afterEach(async function () {
    await proxy.close();
  });

  it('a SUBSCRIBE without answer fails after its bound; close then ends within its grace', async function () {
    const clock = new FakeClock();
    let up = false;
    const link = new PartitionLink(
      { url: proxy.url.replace(/^http/, 'mqtt'), clientId: 'tpm-hung', protocolVersion: 5, keepalive: 0 },
      ['hung/members/+'],
      { connected: () => (up = true), disconnected: () => undefined, message: () => undefined },
      clock,
    );
    link.start();
    try {
      await waitFor(() => up, { timeout: 10_000, message: 'link up' });
      proxy.hold(); // bytes are kept, nothing moves: the broker looks hung
      let outcome;
      link.subscribe('hung/state/0').then(() => (outcome = 'answered'), (err) => (outcome = err.message));
      await clock.advance(LINK_ANSWER_TIMEOUT_MS - 1);
      assert.equal(outcome, undefined, 'failed before its bound');
      await clock.advance(1);
      assert.match(String(outcome), /did not answer a SUBSCRIBE/);
      // A publish in flight that is never acknowledged: mqtt.js's graceful end would wait forever.
      link.publish('hung/members/m', 'x', true).catch(() => undefined);
      let closed = false;
      const closing = link.close().then(() => (closed = true));
      await clock.advance(LINK_END_GRACE_MS - 1);
      assert.equal(closed, false, 'closed before the grace was over');
      await clock.advance(1);
      await waitFor(() => closed, { timeout: 5_000, message: 'close finished after the grace' });
      await closing;
    } finally {
      proxy.release();
      await link.close(true);
    }
  });
});
