'use strict';
// telemetry-ingest against a real Mosquitto: QoS 1, persistent sessions across a redeploy,
// shared subscriptions split between two ingest nodes. Publishers are plain mqtt.js clients.
const assert = require('assert');
const mqtt = require('mqtt');
const helper = require('../support/helper');
const { startMosquitto } = require('../support/services');
const { waitFor, sleep } = require('../support/wait');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const brokerNode = require('../../nodes/telemetry-mqtt-broker.js');

const TYPE = 'telemetry-ingest';

/** Every msg that reaches a helper node, as the `n` field of each reading (probes left out). */
function collectReadings(id) {
  const seen = [];
  helper.getNode(id).on('input', (msg) => {
    for (const reading of [].concat(msg.payload)) if (reading.fields.n !== undefined) seen.push(reading.fields.n);
  });
  return seen;
}

function duplicates(values) {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

describe('telemetry-ingest with a real Mosquitto', function () {
  this.timeout(30_000);
  let mosquitto;
  let publisher;

  before(async function () {
    mosquitto = await startMosquitto(this);
    publisher = await mqtt.connectAsync(mosquitto.url, { clientId: 'test-publisher', clean: true });
  });
  after(async function () {
    if (publisher) await publisher.endAsync();
  });
  afterEach(() => helper.unload());

  const broker = (id, extra = {}) => ({ id, type: 'telemetry-mqtt-broker', url: mosquitto.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true, ...extra });
  const ingest = (id, brokerId, topic, extra = {}) => ({ id, type: TYPE, z: 'f1', broker: brokerId, topic, qos: '1', format: 'json', wires: [[`${id}-out`], [`${id}-bad`]], ...extra });
  const outputs = (id) => [{ id: `${id}-out`, type: 'helper', z: 'f1' }, { id: `${id}-bad`, type: 'helper', z: 'f1' }];
  const tab = { id: 'f1', type: 'tab', label: 'ingest' };

  /** Publishes probes under `prefix` until one comes out of `outId`: the subscription is live. */
  async function waitSubscribed(outId, prefix) {
    let seen = false;
    const onInput = (msg) => {
      if ([].concat(msg.payload).some((r) => r.fields.probe !== undefined)) seen = true;
    };
    helper.getNode(outId).on('input', onInput);
    await waitFor(async () => {
      await publisher.publishAsync(`${prefix}/probe`, '{"probe":1}', { qos: 0 });
      return seen;
    }, { timeout: 10_000, interval: 50, message: `${outId} to receive a probe` });
    helper.getNode(outId).removeListener('input', onInput);
  }

  async function publishMany(prefix, from, count, qos = 1) {
    for (let n = from; n < from + count; n++) await publisher.publishAsync(`${prefix}/dev-${n % 7}`, JSON.stringify({ n }), { qos });
  }

  it('QoS 1: every message published arrives once, as a reading', async function () {
    await helper.load([brokerNode, ingestNode], [tab, broker('b1'), ingest('i1', 'b1', 'q1/+', { topicTemplate: 'q1/{device}' }), ...outputs('i1')]);
    await waitSubscribed('i1-out', 'q1');
    const got = collectReadings('i1-out');
    await publishMany('q1', 0, 500);
    await waitFor(() => got.length >= 500, { timeout: 15_000, message: '500 readings' });
    assert.strictEqual(got.length, 500);
    assert.deepStrictEqual(duplicates(got), []);
  });

  it('QoS 1, 5,000 messages in bursts with the default (automatic) batching: all land once, in batches, and every one is acknowledged', async function () {
    // A persistent session: whatever the node did not acknowledge, the broker sends again to
    // the same client id after a restart, so "nothing comes back" proves every PUBACK left.
    const flow = [tab, broker('b1', { clientId: 'ingest-5000', clean: false }), ingest('i1', 'b1', 'k5/+'), ...outputs('i1')];
    await helper.load([brokerNode, ingestNode], flow);
    await waitSubscribed('i1-out', 'k5');
    const got = collectReadings('i1-out');
    let arrays = 0;
    helper.getNode('i1-out').on('input', (msg) => {
      if (Array.isArray(msg.payload)) arrays++;
    });
    const burst = (from, count) => Promise.all(Array.from({ length: count }, (_, i) => publisher.publishAsync(`k5/dev-${(from + i) % 7}`, JSON.stringify({ n: from + i }), { qos: 1 })));
    for (let from = 0; from < 5_000; from += 500) await burst(from, 500);
    await waitFor(() => got.length >= 5_000, { timeout: 20_000, message: '5,000 readings' });
    await sleep(200);
    assert.strictEqual(got.length, 5_000);
    assert.deepStrictEqual(duplicates(got), []);
    assert.ok(arrays > 0, 'bursts came out as Reading[] msgs');

    await helper.unload();
    await helper.load([brokerNode, ingestNode], flow);
    const again = collectReadings('i1-out');
    await waitSubscribed('i1-out', 'k5');
    await sleep(300);
    assert.deepStrictEqual(again, [], 'the broker redelivered messages that were never acknowledged');
  });

  it('QoS 2 over MQTT 5: every message arrives exactly once', async function () {
    await helper.load([brokerNode, ingestNode], [tab, broker('b1', { protocolVersion: 5 }), ingest('i1', 'b1', 'q2/+', { qos: '2' }), ...outputs('i1')]);
    await waitSubscribed('i1-out', 'q2');
    const got = collectReadings('i1-out');
    await publishMany('q2', 0, 200, 2);
    await waitFor(() => got.length >= 200, { timeout: 15_000, message: '200 readings' });
    await sleep(100);
    assert.strictEqual(got.length, 200);
    assert.deepStrictEqual(duplicates(got), []);
  });

  for (const protocolVersion of [4, 5]) {
    it(`persistent session (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}): messages published while the flow is stopped arrive after the restart`, async function () {
      const clientId = `ingest-persist-v${protocolVersion}`;
      const flow = [tab, broker('b1', { clientId, clean: false, protocolVersion }), ingest('i1', 'b1', `persist${protocolVersion}/#`), ...outputs('i1')];
      await helper.load([brokerNode, ingestNode], flow);
      await waitSubscribed('i1-out', `persist${protocolVersion}`);
      let got = collectReadings('i1-out');
      await publishMany(`persist${protocolVersion}`, 0, 20);
      await waitFor(() => got.length >= 20, { timeout: 10_000, message: 'the first 20' });
      const before = got.slice();

      await helper.unload(); // the whole flow stops, as on a full redeploy or a Node-RED restart
      await publishMany(`persist${protocolVersion}`, 20, 300);

      await helper.load([brokerNode, ingestNode], flow);
      got = collectReadings('i1-out');
      await waitFor(() => got.length >= 300, { timeout: 15_000, message: '300 queued messages after the restart' });
      await sleep(200); // nothing more should come
      const all = before.concat(got);
      assert.deepStrictEqual(duplicates(all), []);
      assert.deepStrictEqual(all.slice().sort((a, b) => a - b), Array.from({ length: 320 }, (_, i) => i));
    });
  }

  it('persistent session: a redeploy of only the ingest node, while another node keeps the connection open, loses nothing published meanwhile', async function () {
    const flow = (name) => [
      tab,
      broker('b1', { clientId: 'ingest-persist-partial', clean: false }),
      ingest('i1', 'b1', 'partial/#', { name }),
      ingest('i2', 'b1', 'other/#'),
      ...outputs('i1'),
      ...outputs('i2'),
    ];
    await helper.load([brokerNode, ingestNode], flow('v1'));
    await waitSubscribed('i1-out', 'partial');
    const connection = helper.getNode('b1').connection;
    const got = [];
    const listen = () => helper.getNode('i1-out').on('input', (msg) => got.push(...[].concat(msg.payload).map((r) => r.fields.n)));
    listen();

    // Publish continuously while the ingest node is redeployed ("modified nodes" deploy).
    let publishing = true;
    let sent = 0;
    const pump = (async () => {
      while (publishing) {
        await publisher.publishAsync('partial/dev', JSON.stringify({ n: sent }), { qos: 1 });
        sent++;
      }
    })();
    await waitFor(() => got.length >= 20, { timeout: 10_000 });
    await helper.setFlows(flow('v2'), 'nodes');
    listen();
    assert.strictEqual(helper.getNode('b1').connection, connection, 'the broker connection was not restarted');
    await sleep(300);
    publishing = false;
    await pump;
    await waitFor(() => new Set(got.filter((n) => n !== undefined)).size >= sent, { timeout: 15_000, message: `all ${sent} messages` });
    const received = [...new Set(got.filter((n) => n !== undefined))].sort((a, b) => a - b);
    assert.deepStrictEqual(received, Array.from({ length: sent }, (_, i) => i));
  });

  /**
   * Loads two ingest nodes i1, i2 subscribed to `$share/g/<prefix>/#` (brokers as given), waits
   * until both are in the group, publishes `count` messages; returns what each one read.
   */
  async function splitShared(brokers, prefix, count) {
    const filter = `$share/g/${prefix}/#`;
    const flow = [tab, ...brokers, ingest('i1', brokers[0].id, filter), ingest('i2', brokers[brokers.length - 1].id, filter), ...outputs('i1'), ...outputs('i2')];
    await helper.load([brokerNode, ingestNode], flow);
    // Both members must be in the group before counting: probe until each has seen one.
    await Promise.all([waitSubscribed('i1-out', prefix), waitSubscribed('i2-out', prefix)]);
    const got1 = collectReadings('i1-out');
    const got2 = collectReadings('i2-out');
    await publishMany(prefix, 0, count);
    await waitFor(() => got1.length + got2.length >= count, { timeout: 15_000, message: `${count} readings between the two` });
    await sleep(200);
    const union = got1.concat(got2);
    assert.deepStrictEqual(duplicates(union), []);
    assert.deepStrictEqual(union.sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    return [got1, got2];
  }

  it('shared subscription: two ingest nodes ($share/g/…, two connections) split the messages, none twice, none lost', async function () {
    const [got1, got2] = await splitShared([broker('b1', { clientId: 'ingest-share-1' }), broker('b2', { clientId: 'ingest-share-2' })], 'shared', 400);
    assert.ok(got1.length > 50 && got2.length > 50, `unbalanced split: ${got1.length} / ${got2.length}`);
  });

  it('shared subscription on one connection: two ingest nodes ($share/g/…, one broker node) take turns, none twice, none lost', async function () {
    // The broker sends each message once to the one client; the connection hands them round.
    const [got1, got2] = await splitShared([broker('b1', { clientId: 'ingest-share-one' })], 'one', 10);
    assert.deepStrictEqual([got1.length, got2.length], [5, 5]);
  });
});
