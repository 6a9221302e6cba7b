'use strict';
// The order a graceful stop takes on the shared MQTT connection (issue #21), against a real
// Mosquitto: stop taking messages (detach), acknowledge what became durable meanwhile, then
// disconnect. What was taken is acknowledged exactly when it settled; what arrived after the
// detach is not acknowledged (the broker redelivers it), and nothing is written after the end.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { startMosquitto } = require('../support/services');
const { waitFor, sleep } = require('../support/wait');
const { SharedMqttConnection } = require('../../dist/io/mqtt-connection');
const { systemClock } = require('../../dist/io/system-clock');

function connection(url, clientId, warnings = []) {
  return new SharedMqttConnection({ url, clientId, clean: false, protocolVersion: 4, reconnectPeriod: 100 }, { warn: (m) => warnings.push(m) }, systemClock);
}

/** Registers `u1` and subscribes it with deferred acks; each message's promise waits in `settlers`. */
async function deferredUser(conn, filter, seen, settlers) {
  conn.register({ id: 'u1', onState: () => undefined });
  await conn.subscribe('u1', filter, 1, (m) => {
    const seq = m.payload.toString();
    seen.push(seq);
    return new Promise((resolve) => settlers.set(seq, resolve));
  }, { ackAfterHandler: true });
  await waitFor(() => conn.state.state === 'connected', { timeout: 5000 });
}

async function publish(url, topic, from, to) {
  const pub = await mqtt.connectAsync(url, { clientId: `pub-${topic}-${from}` });
  for (let i = from; i < to; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
  await pub.endAsync();
}

/** What the broker redelivers to a new session of `clientId` within a second. */
async function redelivered(url, clientId, filter) {
  const again = [];
  // Listening before the CONNACK: the broker redelivers right after it.
  const client = mqtt.connect(url, { clientId, clean: false, protocolVersion: 4 });
  client.on('message', (_t, payload) => again.push(payload.toString()));
  await client.subscribeAsync(filter, { qos: 1 });
  await sleep(1000);
  await client.endAsync();
  return again;
}

describe('stopping in order on the shared MQTT connection (issue #21)', function () {
  this.timeout(20000);
  let mosq;
  before(async function () {
    mosq = await startMosquitto(this);
  });

  it('detach, settle, deregister: the taken messages are acknowledged, later ones redelivered, no write after end', async function () {
    const warnings = [];
    const conn = connection(mosq.url, 'stop-1', warnings);
    const seen = [];
    const settlers = new Map();
    await deferredUser(conn, 's1/#', seen, settlers);
    await publish(mosq.url, 's1/x', 0, 5);
    await waitFor(() => seen.length === 5, { timeout: 5000, message: '5 taken' });
    conn.detach('u1'); // the node stops: nothing more is taken
    await publish(mosq.url, 's1/x', 5, 8);
    await sleep(200);
    assert.equal(seen.length, 5, 'a message was taken after the detach');
    for (const settle of settlers.values()) settle(); // the window saved, the archive spooled
    await new Promise((resolve) => setImmediate(resolve));
    // Resolves: the parked message is taken unacknowledged so the client sees the socket close.
    await conn.deregister({ id: 'u1' }, false);
    assert.deepEqual(await redelivered(mosq.url, 'stop-1', 's1/#'), ['5', '6', '7']);
    assert.deepEqual(warnings, []);
  });

  it('the socket closes while a message is parked: after the reconnect nothing is acknowledged undelivered', async function () {
    const conn = connection(mosq.url, 'stop-3');
    const seen = [];
    const settlers = new Map();
    await deferredUser(conn, 's3/#', seen, settlers);
    conn.detach('u1'); // stopping: the next message is parked and reading pauses
    await publish(mosq.url, 's3/x', 0, 3);
    await sleep(200);
    let reconnected = false;
    const client = conn.client; // private: the test cuts its socket (a keepalive timeout does the same)
    client.once('connect', () => (reconnected = true));
    client.stream.destroy();
    await waitFor(() => reconnected, { timeout: 5000, message: 'the reconnect' });
    await sleep(300); // the broker redelivers right after the CONNACK
    assert.equal(seen.length, 0);
    await conn.deregister({ id: 'u1' }, false);
    // Was: the message parked on the closed socket stayed parked, and those redelivered after
    // the reconnect were acknowledged without reaching anyone.
    assert.deepEqual(await redelivered(mosq.url, 'stop-3', 's3/#'), ['0', '1', '2']);
  });

  it('closeAfterUsers (the config node stopping) waits for its user to acknowledge and leave', async function () {
    const conn = connection(mosq.url, 'stop-2');
    const seen = [];
    const settlers = new Map();
    await deferredUser(conn, 's2/#', seen, settlers);
    await publish(mosq.url, 's2/x', 0, 4);
    await waitFor(() => seen.length === 4, { timeout: 5000, message: '4 taken' });
    let closed = false;
    const closing = conn.closeAfterUsers().then(() => (closed = true));
    await sleep(200);
    assert.equal(closed, false, 'disconnected while its user still owed acknowledgements');
    conn.detach('u1');
    for (const settle of settlers.values()) settle();
    await new Promise((resolve) => setImmediate(resolve));
    await conn.deregister({ id: 'u1' }, false);
    await closing;
    assert.deepEqual(await redelivered(mosq.url, 'stop-2', 's2/#'), []);
  });
});
