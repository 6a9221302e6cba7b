'use strict';
// SharePresence (src/io/share-presence.ts) on a fake clock with a fake connection: the graceful
// leave, the delay before a peer drains a member that left messages in its session, and a
// presence that works again after its connection ended and connected anew (a redeploy of the
// nodes only). The real broker runs in test/integration/share-adoption.test.js.
const assert = require('node:assert/strict');
const { SharePresence } = require('../../dist/io/share-presence');
const m = require('../../dist/core/mqtt/share-members');
const { FakeClock } = require('../support/fake-clock');

const F = '$share/g/sensors/#';

/** A fake PresenceHost: records publishes and drains; `unacked` is what leftUnacknowledged says. */
function host(clock, clientId) {
  const h = {
    clientId,
    unacked: 0,
    connected: true,
    published: [],
    drained: [],
    handler: undefined,
    shareFilters: () => [F],
    isConnected: () => h.connected,
    publish: async (topic, payload) => void h.published.push({ topic, payload }),
    subscribeInternal: async (_filter, handler) => void (h.handler = handler),
    unsubscribeAtBroker: async () => undefined,
    leftUnacknowledged: () => h.unacked,
    // A drain that connects at once, takes nothing and ends after the idle time.
    adopter: (id) => {
      let phase = 'connecting';
      return {
        start: () => {
          h.drained.push(id);
          phase = 'connected';
        },
        drainPhase: () => phase,
        unsubscribeAtBroker: async () => undefined,
        drainActivity: () => ({ messages: 0, lastMessageAt: undefined, busy: false }),
        close: async () => void (phase = 'closed'),
      };
    },
    whenClosed: () => new Promise(() => undefined),
    abandonOutgoing: () => undefined,
    /** A retained presence message from the broker. */
    deliver(topic, payload) {
      h.handler({ topic, payload: Buffer.from(payload), qos: 1, retain: true });
    },
  };
  return h;
}

async function member(clock, id) {
  const h = host(clock, id);
  const presence = new SharePresence(h, { warn: () => undefined }, clock, { idleMs: 100, maxMs: 10_000, connectTimeoutMs: 1_000 });
  await presence.connected();
  return { h, presence };
}

function announce(h, id, state, left = false) {
  h.deliver(m.sharesTopic(id), m.sharesPayload(id, [F]));
  h.deliver(m.stateTopic(id), m.statePayload(id, state, left));
}

describe('SharePresence: graceful leave and the delayed drain of a member that left messages behind', function () {
  it('a leave with nothing unacknowledged clears the presence; with some, it says gone (left)', async function () {
    const clock = new FakeClock();
    const a = await member(clock, 'a');
    announce(a.h, 'b', 'alive');
    await a.presence.leave();
    assert.deepEqual(a.h.published.slice(-2).map((p) => p.payload), ['', ''], 'state and shares cleared');
    const c = await member(clock, 'c');
    announce(c.h, 'b', 'alive');
    c.h.unacked = 2;
    await c.presence.leave();
    assert.deepEqual(JSON.parse(c.h.published.at(-1).payload), { v: 1, clientId: 'c', state: 'gone', left: true });
  });

  it('a left member is drained only after LEFT_DRAIN_DELAY_MS, and not at all if it comes back first', async function () {
    const clock = new FakeClock();
    const { h } = await member(clock, 'a'); // 'a' is the adopter of 'b' (the next id after it on the ring)
    announce(h, 'b', 'gone', true);
    await clock.advance(m.LEFT_DRAIN_DELAY_MS - 1);
    assert.deepEqual(h.drained, []);
    await clock.advance(1);
    assert.deepEqual(h.drained, ['b']);

    announce(h, 'c', 'gone', true);
    await clock.advance(1_000);
    announce(h, 'c', 'alive'); // a redeploy: back within the delay
    await clock.advance(m.LEFT_DRAIN_DELAY_MS);
    assert.deepEqual(h.drained, ['b'], 'c resumed its own session');
  });

  it('a killed member is drained at once while a left one waits out its delay', async function () {
    const clock = new FakeClock();
    const { h } = await member(clock, 'a');
    announce(h, 'b', 'gone', true);
    announce(h, 'c', 'gone'); // its last will
    await clock.advance(1);
    assert.deepEqual(h.drained, ['c']);
    await clock.advance(m.LEFT_DRAIN_DELAY_MS);
    assert.deepEqual(h.drained, ['c', 'b']);
  });

  it('after its connection ended and connected again (a redeploy of the nodes only) it is a member again', async function () {
    const clock = new FakeClock();
    const { h, presence } = await member(clock, 'a');
    await presence.leave();
    const before = h.published.length;
    await presence.connected();
    assert.deepEqual(JSON.parse(h.published.at(-1).payload), { v: 1, clientId: 'a', state: 'alive' });
    assert.ok(h.published.length > before);
    announce(h, 'b', 'gone');
    await clock.advance(1);
    assert.deepEqual(h.drained, ['b'], 'it adopts again');
  });
});
