'use strict';
// The mechanism under ack-after-archive (ACK-AFTER-ARCHIVE.md), against a real Mosquitto: a
// shared connection with `ackAfterHandler` takes QoS 1 messages at once but sends each PUBACK
// only when the handler's promise resolves, in arrival order. When the process dies first (the
// socket is cut), the broker redelivers every message not acknowledged: from the first
// unsettled one on, whatever settled behind it.
const assert = require('node:assert/strict');
const net = require('node:net');
const mqtt = require('mqtt');
const { startMosquitto } = require('../support/services');
const { waitFor, sleep } = require('../support/wait');
const { SharedMqttConnection } = require('../../dist/io/mqtt-connection');
const { systemClock } = require('../../dist/io/system-clock');

const log = { warn: () => undefined };

function connection(url, clientId) {
  return new SharedMqttConnection({ url, clientId, clean: false, protocolVersion: 4, reconnectPeriod: 100 }, log, systemClock);
}

/**
 * A TCP relay to the broker whose `crash()` cuts every socket at once and refuses new ones: for
 * the broker, what a process that died looks like (nothing more is sent, no DISCONNECT).
 */
async function relay(port) {
  const sockets = new Set();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${server.address().port}`,
    crash() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** Connects through a relay; `crash()` kills it and then stops the client (which can no longer send). */
async function crashable(brokerPort, clientId) {
  const link = await relay(brokerPort);
  const conn = connection(link.url, clientId);
  conn.crash = async () => {
    link.crash();
    await conn.close();
  };
  return conn;
}

async function connected(conn, userId = 'u1') {
  conn.register({ id: userId, onState: () => undefined });
  await waitFor(() => conn.state.state === 'connected', { timeout: 5000 });
}

/**
 * A second run of the same client id, subscribed at once as the ingest node does (register then
 * subscribe in the same turn): the broker redelivers right after CONNACK.
 */
async function rejoin(url, clientId, filter, seen) {
  const conn = connection(url, clientId);
  conn.register({ id: 'u1', onState: () => undefined });
  const subscribed = conn.subscribe('u1', filter, 1, (m) => {
    seen.push(m.payload.toString());
  });
  await waitFor(() => conn.state.state === 'connected', { timeout: 5000 });
  await subscribed;
  return conn;
}

/**
 * Crashes `conn`, starts again under the same client id and returns what the broker redelivers:
 * once `expected` messages came (then a little longer for any extra), or after a second.
 */
async function redeliveredAfterCrash(conn, url, clientId, filter, expected = 0) {
  await conn.crash();
  const again = [];
  const b = await rejoin(url, clientId, filter, again);
  if (expected > 0) await waitFor(() => again.length >= expected, { timeout: 5000, message: 'redelivery' });
  await sleep(expected > 0 ? 300 : 1000);
  await b.close();
  return again;
}

async function publishAll(url, topic, n) {
  const pub = await mqtt.connectAsync(url, { clientId: `pub-${topic}` });
  for (let i = 0; i < n; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
  await pub.endAsync();
}

describe('deferred MQTT acknowledgements (ack-after-archive mechanism)', function () {
  this.timeout(30000);
  let mosq;

  before(async function () {
    mosq = await startMosquitto(this, { extraConfig: 'max_inflight_messages 0' });
  });

  it('unsettled messages are redelivered after a crash, from the first unsettled one on', async function () {
    const a = await crashable(mosq.port, 'deferred-1');
    await connected(a);
    const seen = [];
    const settlers = new Map();
    await a.subscribe('u1', 'd1/#', 1, (m) => {
      const seq = Number(m.payload.toString());
      seen.push(seq);
      return new Promise((resolve) => settlers.set(seq, resolve));
    }, { ackAfterHandler: true });
    await publishAll(mosq.url, 'd1/x', 10);
    await waitFor(() => seen.length === 10, { timeout: 5000, message: 'all 10 taken at once (reading does not wait for acks)' });
    // 0-3 archived; 4 is not; 5-9 are, but their acks wait behind 4.
    for (const seq of [0, 1, 2, 3, 5, 6, 7, 8, 9]) settlers.get(seq)();
    await sleep(300); // time enough for acks that were due to reach the broker
    assert.deepEqual(await redeliveredAfterCrash(a, mosq.url, 'deferred-1', 'd1/#', 6), ['4', '5', '6', '7', '8', '9']);
  });

  it('settled messages are acknowledged: nothing is redelivered', async function () {
    const a = await crashable(mosq.port, 'deferred-2');
    await connected(a);
    let n = 0;
    await a.subscribe('u1', 'd2/#', 1, async () => {
      n++;
      await sleep(5);
    }, { ackAfterHandler: true });
    await publishAll(mosq.url, 'd2/x', 50);
    await waitFor(() => n === 50, { timeout: 5000 });
    await sleep(200); // the handlers settle 5 ms later; their acks go out then
    assert.deepEqual(await redeliveredAfterCrash(a, mosq.url, 'deferred-2', 'd2/#'), []);
  });

  it('a rejected handler promise is never acknowledged (the broker redelivers it)', async function () {
    const a = await crashable(mosq.port, 'deferred-3');
    await connected(a);
    let n = 0;
    await a.subscribe('u1', 'd3/#', 1, (m) => (++n, m.payload.toString() === '1' ? Promise.reject(new Error('not archived')) : Promise.resolve()), {
      ackAfterHandler: true,
    });
    await publishAll(mosq.url, 'd3/x', 3);
    await waitFor(() => n === 3, { timeout: 5000 });
    await sleep(200);
    assert.deepEqual(await redeliveredAfterCrash(a, mosq.url, 'deferred-3', 'd3/#'), ['1']);
  });

  it('without ackAfterHandler a message is acknowledged when taken (the default, unchanged)', async function () {
    const a = await crashable(mosq.port, 'deferred-4');
    await connected(a);
    await a.subscribe('u1', 'd4/#', 1, () => new Promise(() => undefined)); // never settles
    await publishAll(mosq.url, 'd4/x', 5);
    await sleep(300);
    assert.deepEqual(await redeliveredAfterCrash(a, mosq.url, 'deferred-4', 'd4/#'), []);
  });
});

describe('closing a connection whose link went silent', function () {
  this.timeout(30000);
  let mosq;
  before(async function () {
    mosq = await startMosquitto(this);
  });

  it('close() finishes although a QoS 1 publish never gets its PUBACK (mqtt.js alone would wait for ever)', async function () {
    const { startSlowProxy } = require('../support/slow-proxy');
    const proxy = await startSlowProxy({ target: { host: '127.0.0.1', port: mosq.port } });
    const conn = connection(`mqtt://127.0.0.1:${proxy.port}`, 'silent-link');
    try {
      await connected(conn);
      proxy.hold(); // the link is up but nothing moves: no PUBACK, no close
      conn.publish('silent/x', 'y', { qos: 1 }).catch(() => undefined);
      await sleep(100);
      const closed = await Promise.race([conn.close().then(() => true), sleep(15000).then(() => false)]);
      assert.equal(closed, true, 'close() did not finish within 15 s');
    } finally {
      proxy.release();
      await proxy.close();
    }
  });
});
