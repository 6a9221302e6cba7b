'use strict';
// telemetry-partition in the real Node-RED runtime (node-red-node-test-helper) against a real
// Mosquitto: config errors, static assignment end to end (readings → partition topics → this
// member's sessions → output with msg.partition), done() only after the broker's PUBACK, bad
// readings. Several members and moves: test/integration/partition-members.test.js.
const assert = require('assert');
const mqtt = require('mqtt');
const helper = require('../support/helper');
const { catalogTranslator } = require('../support/i18n');
const i18n = catalogTranslator('telemetry-partition');
const partitionNode = i18n.withCatalog(require('../../nodes/telemetry-partition.js'));
const brokerNode = require('../../nodes/telemetry-mqtt-broker.js');
const { startMosquitto } = require('../support/services');
const { collect } = require('../support/collect');
const { waitFor } = require('../support/wait');
const { partitionOfValues } = require('../../dist/core/partition/hash');

const completeNode = helper.coreNode('common/24-complete.js');
const catchNode = helper.coreNode('common/25-catch.js');

let prefixSeq = 0;

function flow(broker, config = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'partition' },
    { id: 'b', type: 'telemetry-mqtt-broker', url: broker.url, clientId: '', protocolVersion: '4', keepalive: '15', clean: true },
    {
      id: 'p', type: 'telemetry-partition', z: 'f1', broker: 'b', group: 'g', topicPrefix: `test/part${++prefixSeq}`,
      partitions: '8', key: 'device', assignment: 'static', instances: '1', instance: '0', ackMode: 'none', wires: [['out']], ...config,
    },
    { id: 'out', type: 'helper', z: 'f1' },
    { id: 'cmp', type: 'complete', z: 'f1', scope: ['p'], uncaught: false, wires: [['completed']] },
    { id: 'ct', type: 'catch', z: 'f1', scope: ['p'], uncaught: false, wires: [['caught']] },
    { id: 'completed', type: 'helper', z: 'f1' },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];
}

const reading = (device, value) => ({ measurement: 'm', tags: { device }, fields: { v: value }, timestamp: 1_700_000_000_000 + value });

describe('telemetry-partition node', function () {
  this.timeout(20_000);
  let broker;
  before(async function () {
    broker = await startMosquitto(this);
  });
  beforeEach(function () {
    // The broker check publishes 1,100 messages per start: covered by the integration test.
    helper.settings({ telemetryPartitionProbe: false });
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });
  after(function () {
    assert.deepEqual([...i18n.missingKeys], [], 'keys missing from the catalogue');
  });

  it('refuses a bad configuration with every reason and fails each msg', async function () {
    await helper.load([brokerNode, partitionNode, completeNode, catchNode], flow(broker, { partitions: '0', assignment: 'static', instances: '3', instance: '3' }));
    const p = helper.getNode('p');
    const caught = collect('caught');
    p.receive({ payload: reading('a', 1) });
    const [msg] = await caught.next(1);
    assert.match(msg.error.message, /partitions "0"/);
    assert.match(msg.error.message, /instance "3"/);
  });

  it('static assignment: every reading comes out once, on the partition of its key, after the broker acknowledged it', async function () {
    await helper.load([brokerNode, partitionNode, completeNode, catchNode], flow(broker));
    const p = helper.getNode('p');
    await owns(p, 8);
    const out = collect('out', 10_000);
    const completed = collect('completed', 10_000);
    const devices = Array.from({ length: 40 }, (_, i) => `dev-${i}`);
    p.receive({ topic: 'batch', payload: devices.map((d, i) => reading(d, i)) });
    await completed.next(1);
    const msgs = await out.next(new Set(devices.map((d) => partitionOfValues([d], 8))).size);
    const seen = [];
    for (const msg of msgs) {
      assert.equal(msg.topic, 'batch');
      for (const r of msg.payload) {
        assert.equal(msg.partition, partitionOfValues([r.tags.device], 8), `${r.tags.device} on partition ${msg.partition}`);
        seen.push(r.tags.device);
      }
    }
    assert.deepEqual(seen.sort(), [...devices].sort());
  });

  it('completes the input msg only once the broker has acknowledged its readings', async function () {
    await helper.load([brokerNode, partitionNode, completeNode, catchNode], flow(broker, { topicPrefix: 'test/held' }));
    const p = helper.getNode('p');
    await owns(p, 8);
    const completed = collect('completed', 10_000);
    broker.pause(); // the socket stays open, nothing is acknowledged
    try {
      p.receive({ payload: reading('held', 1) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(completed.seen.length, 0, 'done() before PUBACK');
    } finally {
      broker.resume();
    }
    await completed.next(1);
  });

  it('refuses readings without the key tag through done(err) and still publishes the others', async function () {
    await helper.load([brokerNode, partitionNode, completeNode, catchNode], flow(broker));
    const p = helper.getNode('p');
    await owns(p, 8);
    const out = collect('out', 10_000);
    const caught = collect('caught', 10_000);
    p.receive({ payload: [reading('ok', 1), { measurement: 'm', tags: { site: 'x' }, fields: { v: 1 }, timestamp: 1 }, { nonsense: true }] });
    const [err] = await caught.next(1);
    assert.match(err.error.message, /2 of 3 readings refused/);
    const [msg] = await out.next(1);
    assert.equal(msg.payload[0].tags.device, 'ok');
  });

  it('passes a message of its partitions published by another member (the topic is the contract)', async function () {
    const prefix = 'test/foreign';
    await helper.load([brokerNode, partitionNode, completeNode, catchNode], flow(broker, { topicPrefix: prefix, ackMode: 'archive', ackTimeout: '1s' }));
    const p = helper.getNode('p');
    await owns(p, 8);
    const out = collect('out', 10_000);
    const client = mqtt.connect(broker.url);
    try {
      await new Promise((resolve) => client.on('connect', resolve));
      const part = partitionOfValues(['x'], 8);
      await client.publishAsync(`${prefix}/g/${part}`, JSON.stringify({ topic: 't', payload: reading('x', 5) }), { qos: 1 });
      const [msg] = await out.next(1);
      assert.deepEqual([msg.partition, msg.topic, msg.payload.fields.v], [part, 't', 5]);
    } finally {
      client.end(true);
    }
  });
});

/** Resolves once the node's status says it owns all n partitions (its sessions are subscribed). */
function owns(node, n) {
  let text = '';
  node.on('call:status', (call) => (text = String(call.args[0]?.text ?? '')));
  return waitFor(() => text.startsWith(`owns ${n}/${n}`), { timeout: 10_000, message: `status owns ${n}/${n}` });
}
