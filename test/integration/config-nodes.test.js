'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const mqtt = require('mqtt');
const { startInflux, startMosquitto } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor, sleep } = require('../support/wait');
const { catalogTranslator } = require('../support/i18n');

helper.init(require.resolve('node-red'));

const brokerNode = require('../../nodes/telemetry-mqtt-broker.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const users = require('../fixtures/nodes/config-users.js');

function lastStatus(node) {
  return node.__lastStatus;
}
function recordStatus(node) {
  const original = node.status.bind(node);
  node.status = (s) => {
    node.__lastStatus = s;
    return original(s);
  };
}

describe('config nodes against real servers', function () {
  this.timeout(30000);

  describe('telemetry-mqtt-broker', function () {
    let mosquitto;
    before(async function () {
      mosquitto = await startMosquitto(this, { users: { alice: 'secret' } });
    });
    afterEach(() => helper.unload());

    const broker = (extra = {}) => ({ id: 'b1', type: 'telemetry-mqtt-broker', url: mosquitto.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true, ...extra });
    const creds = { b1: { username: 'alice', password: 'secret' } };

    it('two user nodes share one MQTT connection and both receive', async function () {
      const flow = [
        broker(),
        { id: 'u1', type: 'test-mqtt-user', broker: 'b1', topic: 'cfg/+/a', qos: 1, wires: [['h1']] },
        { id: 'u2', type: 'test-mqtt-user', broker: 'b1', topic: 'cfg/#', qos: 0, wires: [['h2']] },
        { id: 'h1', type: 'helper' },
        { id: 'h2', type: 'helper' },
      ];
      await helper.load([brokerNode, users], flow, creds);
      const u1 = helper.getNode('u1');
      const u2 = helper.getNode('u2');
      assert.strictEqual(u1.connection, u2.connection);
      await waitFor(() => [u1, u2].every((u) => u.state && u.state.state === 'connected'), { timeout: 10000 });
      const got = Promise.all(['h1', 'h2'].map((id) => new Promise((resolve) => helper.getNode(id).once('input', resolve))));
      await sleep(200); // let both SUBSCRIBEs reach the broker
      const publisher = await mqtt.connectAsync(mosquitto.url, { username: 'alice', password: 'secret' });
      await publisher.publishAsync('cfg/x/a', 'hello', { qos: 1 });
      await publisher.endAsync();
      const [m1, m2] = await got;
      assert.strictEqual(m1.payload, 'hello');
      assert.strictEqual(m2.topic, 'cfg/x/a');
    });

    it('the last user to leave closes the connection', async function () {
      const flow = [broker({ clientId: 'cfg-last-user' }), { id: 'u1', type: 'test-mqtt-user', broker: 'b1', wires: [] }];
      await helper.load([brokerNode, users], flow, creds);
      const connection = helper.getNode('u1').connection;
      await waitFor(() => connection.state.state === 'connected', { timeout: 10000 });
      await connection.deregister({ id: 'u1' });
      assert.strictEqual(connection.state.state, 'disconnected');
      // The broker saw the client say goodbye (a DISCONNECT, not a dropped socket).
      await waitFor(() => /Client cfg-last-user disconnected\./.test(mosquitto.logs()), { timeout: 5000, message: mosquitto.logs() });
    });

    it('a wrong password shows a clear status on every user', async function () {
      const flow = [broker(), { id: 'u1', type: 'test-mqtt-user', broker: 'b1', wires: [] }, { id: 'u2', type: 'test-mqtt-user', broker: 'b1', wires: [] }];
      await helper.load([brokerNode, users], flow, { b1: { username: 'alice', password: 'wrong' } });
      const u1 = helper.getNode('u1');
      const u2 = helper.getNode('u2');
      await waitFor(() => u1.state && u1.state.state === 'error', { timeout: 10000 });
      assert.match(u1.state.detail, /not authorized|bad user name or password/);
      assert.deepStrictEqual(u2.state, u1.state);
    });
  });

  describe('telemetry-influxdb', function () {
    let influx;
    before(async function () {
      influx = await startInflux(this, { auth: true });
    });
    afterEach(() => helper.unload());

    const server = (database) => ({ id: 's1', type: 'telemetry-influxdb', url: influx.url, database, retentionPolicy: '', timeout: 5000 });

    it('creates a missing database on first use', async function () {
      const flow = [server('created_on_demand'), { id: 'w1', type: 'test-influx-user', server: 's1', wires: [['h1']] }, { id: 'h1', type: 'helper' }];
      await helper.load([influxNode, users], flow, { s1: { username: influx.adminUser, password: influx.adminPassword } });
      const out = new Promise((resolve) => helper.getNode('h1').once('input', resolve));
      helper.getNode('w1').receive({ payload: `m,device=d1 v=1 ${Date.now()}` });
      const msg = await out;
      assert.strictEqual(msg.status, 204);
      assert.strictEqual(await influx.count('created_on_demand', 'm'), 1);
    });

    it('a flow saved without `version` is 1.x with Basic auth, as before', async function () {
      await helper.load([influxNode], [server('telemetry')], { s1: { username: influx.adminUser, password: influx.adminPassword } });
      const s = helper.getNode('s1').server;
      assert.equal(s.version, 1);
      assert.equal(s.database, 'telemetry');
      const [result] = await s.query('SHOW DATABASES');
      assert.ok(Array.isArray(result.series));
    });

    it('a 2.x config without organization has no server and logs why', async function () {
      const flow = [{ id: 's1', type: 'telemetry-influxdb', version: '2', url: influx.url, bucket: 'b', timeout: 5000 }];
      const i18n = catalogTranslator('telemetry-influxdb');
      await helper.load([i18n.withCatalog(influxNode)], flow, {});
      const s1 = helper.getNode('s1');
      assert.equal(s1.server, undefined);
      const logged = s1.error.getCalls().map((c) => String(c.args[0]));
      assert.deepStrictEqual(logged, ['The InfluxDB connection is not usable: InfluxDB 2.x needs the organization\'s name']);
      assert.deepStrictEqual([...i18n.missingKeys], []);
    });

    it('a wrong password gives a clear error and a red status', async function () {
      const flow = [server('telemetry'), { id: 'w1', type: 'test-influx-user', server: 's1', wires: [[]] }];
      await helper.load([influxNode, users], flow, { s1: { username: influx.adminUser, password: 'wrong' } });
      const w1 = helper.getNode('w1');
      recordStatus(w1);
      const failed = new Promise((resolve) => w1.on('call:error', (call) => resolve(call.args[0])));
      w1.receive({ payload: `m v=1 ${Date.now()}` });
      const err = await failed;
      assert.match(String(err.message || err), /refused the credentials \(401\)/);
      assert.strictEqual(lastStatus(w1).fill, 'red');
    });
  });

  describe('credentials in a real Node-RED', function () {
    let red;
    after(() => red && red.stop());

    it('never appear in the flow JSON, only encrypted in the credentials file', async function () {
      this.timeout(60000);
      red = await startNodeRed({ flows: [] });
      const flows = [
        { id: 'tab1', type: 'tab', label: 'creds' },
        { id: 'b1', type: 'telemetry-mqtt-broker', url: 'mqtt://127.0.0.1:1', clientId: '', protocolVersion: 4, keepalive: 60, clean: true, credentials: { username: 'mqtt-user', password: 'mqtt-SECRET-pw' } },
        { id: 's1', type: 'telemetry-influxdb', url: 'http://127.0.0.1:1', database: 'x', retentionPolicy: '', timeout: 1000, credentials: { username: 'influx-user', password: 'influx-SECRET-token' } },
        { id: 's2', type: 'telemetry-influxdb', version: '2', url: 'http://127.0.0.1:1', org: 'o', bucket: 'b', timeout: 1000, credentials: { token: 'influx2-SECRET-token' } },
      ];
      const res = await fetch(`${red.url}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(flows),
      });
      assert.ok(res.ok, `deploy failed: ${res.status} ${await res.text()}`);
      const onDisk = fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8');
      assert.doesNotMatch(onDisk, /SECRET/);
      const credFile = fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8');
      assert.doesNotMatch(credFile, /SECRET/);
      const exported = await (await fetch(`${red.url}/flows`)).text();
      assert.doesNotMatch(exported, /SECRET/);
      const creds = await (await fetch(`${red.url}/credentials/telemetry-influxdb/s1`)).json();
      assert.deepStrictEqual(creds, { username: 'influx-user', has_password: true, has_token: false });
      const creds2 = await (await fetch(`${red.url}/credentials/telemetry-influxdb/s2`)).json();
      assert.deepStrictEqual(creds2, { username: '', has_password: false, has_token: true });
      const logs = typeof red.logs === 'function' ? red.logs() : '';
      assert.doesNotMatch(String(logs), /SECRET/);
    });
  });
});
