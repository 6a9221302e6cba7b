'use strict';
// telemetry-partition with several real Node-RED processes behind one real Mosquitto (DESIGN §7):
// members join and leave gracefully while readings flow; a fake stateful node (test/fixtures/
// partition-holder) counts readings per device and moves its state with each partition.
// Asserted: the presence messages never show a partition claimed by two members; each member
// set converges to the documented assignment; at the end the checkpoints hold every reading
// exactly once (nothing lost, nothing consumed twice), and no msg reached a non-owner.
const assert = require('assert');
const path = require('path');
const mqtt = require('mqtt');
const { startMosquitto } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor } = require('../support/wait');
const { assignDynamic } = require('../../dist/core/partition/assignment');
const { partitionOfValues } = require('../../dist/core/partition/hash');

const P = 8;
const PREFIX = 'it/part';
const GROUP = 'g';
const DEVICES = Array.from({ length: 60 }, (_, i) => `dev-${i}`);

function flows(broker, memberId) {
  return [
    { id: 't1', type: 'tab', label: 'member' },
    { id: 'b1', type: 'telemetry-mqtt-broker', url: broker.url, clientId: '', protocolVersion: '5', keepalive: '10', clean: true },
    { id: 'p1', type: 'telemetry-partition', z: 't1', broker: 'b1', group: GROUP, topicPrefix: PREFIX, partitions: String(P), key: 'device', assignment: 'dynamic', memberId, ackMode: 'none', wires: [['h1']] },
    { id: 'h1', type: 'test-partition-holder', z: 't1', wires: [] },
  ];
}

describe('telemetry-partition: members join and leave while readings flow (real Node-RED processes)', function () {
  this.timeout(120_000);
  let broker;
  let observer;
  const claims = new Map(); // member → owns
  const violations = [];
  const members = {};

  before(async function () {
    broker = await startMosquitto(this);
    observer = mqtt.connect(broker.url, { clientId: 'observer' });
    await new Promise((resolve) => observer.on('connect', resolve));
    observer.on('message', (topic, payload) => {
      const member = topic.split('/').pop();
      if (payload.length === 0) claims.delete(member);
      else claims.set(member, JSON.parse(payload.toString()).owns);
      const seen = new Map();
      for (const [m, owns] of claims) {
        for (const p of owns) {
          if (seen.has(p)) violations.push(`partition ${p} claimed by ${seen.get(p)} and ${m}`);
          seen.set(p, m);
        }
      }
    });
    await observer.subscribeAsync(`${PREFIX}/${GROUP}/members/+`, { qos: 1 });
  });
  after(async function () {
    observer?.end(true);
  });

  async function start(id) {
    members[id] = await startNodeRed({
      flows: flows(broker, id),
      settings: { nodesDir: path.join(__dirname, '..', 'fixtures', 'partition-holder') },
      mochaCtx: this,
    });
  }

  /** Waits until the live members' claims are exactly the assignment for them. */
  async function converged(ids) {
    const want = assignDynamic(ids, P);
    await waitFor(() => {
      if (claims.size !== ids.length) return false;
      for (const id of ids) {
        const mine = want.flatMap((m, p) => (m === id ? [p] : []));
        if (JSON.stringify([...(claims.get(id) ?? [])].sort((a, b) => a - b)) !== JSON.stringify(mine)) return false;
      }
      return true;
    }, { timeout: 30_000, interval: 100, message: `assignment for ${ids.join(',')}` });
  }

  it('moves partitions on join and graceful leave, loses nothing and consumes nothing twice', async function () {
    await start.call(this, 'A');
    await converged(['A']);
    const publisher = mqtt.connect(broker.url, { clientId: 'publisher' });
    await new Promise((resolve) => publisher.on('connect', resolve));
    const ledger = new Map(DEVICES.map((d) => [d, 0]));
    let running = true;
    let sent = 0;
    // Publishes as another member's partition node would: one envelope per reading, QoS 1.
    const pump = (async () => {
      while (running) {
        const batch = [];
        for (let i = 0; i < 20; i++) {
          const device = DEVICES[Math.floor(Math.random() * DEVICES.length)];
          const p = partitionOfValues([device], P);
          const reading = { measurement: 'm', tags: { device }, fields: { v: 1 }, timestamp: Date.now() };
          ledger.set(device, ledger.get(device) + 1);
          sent++;
          batch.push(publisher.publishAsync(`${PREFIX}/${GROUP}/${p}`, JSON.stringify({ topic: 't', payload: reading }), { qos: 1 }));
        }
        await Promise.all(batch);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await start.call(this, 'B');
      await converged(['A', 'B']);
      await start.call(this, 'C');
      await converged(['A', 'B', 'C']);
      await members.B.stop();
      await converged(['A', 'C']);
    } finally {
      running = false;
      await pump;
      publisher.end();
    }
    assert.ok(sent > 500, `only ${sent} readings published`);
    // Let the rest drain, then stop the last members: each hands its partitions over in a checkpoint.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await Promise.all([members.A.stop(), members.C.stop()]);
    assert.deepEqual(violations, []);
    assert.equal(claims.size, 0, 'every member left its presence empty');

    const counted = new Map();
    let foreign = 0;
    const reader = mqtt.connect(broker.url, { clientId: 'reader' });
    const states = new Map();
    reader.on('message', (topic, payload) => states.set(Number(topic.split('/').pop()), JSON.parse(payload.toString())));
    await new Promise((resolve) => reader.on('connect', resolve));
    await reader.subscribeAsync(`${PREFIX}/${GROUP}/state/+`, { qos: 1 });
    await waitFor(() => states.size === P, { timeout: 5_000, message: 'a checkpoint for every partition' });
    reader.end();
    for (const [p, cp] of states) {
      assert.equal(cp.partition, p);
      for (const state of Object.values(cp.holders)) {
        foreign += state.foreign;
        for (const [device, [n]] of Object.entries(state.counts)) counted.set(device, (counted.get(device) ?? 0) + n);
      }
    }
    assert.equal(foreign, 0, 'msgs reached a member that did not own their partition');
    const diff = DEVICES.filter((d) => (counted.get(d) ?? 0) !== ledger.get(d)).map((d) => `${d}: ${counted.get(d) ?? 0} of ${ledger.get(d)}`);
    assert.deepEqual(diff, [], 'per-device counts in the checkpoints');
    // The broker check ran at start and found this broker's queue unlimited.
    assert.match(members.A.logs(), /broker check: kept 1100 of 1100/);
  });
});
