'use strict';
// Security: credentials never appear in flows.json, in what the admin API returns, in the log or
// in a node status, also when the servers refuse them (the moment an error message is written).
// A real Node-RED process deploys the flows the way the editor does (credentials inside the node
// objects of POST /flows); Mosquitto and InfluxDB require passwords that the flow gets wrong.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { startInflux, startMosquitto } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor } = require('../support/wait');

const SECRETS = {
  mqttUser: 'mqtt-user-7f3a',
  mqttPassword: 'mqtt-Pa55-secret-91c2',
  urlPassword: 'url-Pa55-secret-4e1d',
  influxUser: 'influx-user-2b8c',
  influxPassword: 'influx-Pa55-secret-d03f',
};

/** Every form a secret could leak in: as is, URL-encoded, in a Basic auth header. */
function leakForms() {
  const forms = [];
  for (const secret of [SECRETS.mqttPassword, SECRETS.urlPassword, SECRETS.influxPassword]) {
    forms.push(secret, encodeURIComponent(secret));
  }
  for (const [u, p] of [[SECRETS.mqttUser, SECRETS.mqttPassword], [SECRETS.influxUser, SECRETS.influxPassword]]) {
    forms.push(Buffer.from(`${u}:${p}`).toString('base64'));
  }
  return forms;
}

function assertNoSecret(where, text) {
  for (const form of leakForms()) assert.ok(!text.includes(form), `${where} contains a secret (${form.slice(0, 6)}…)`);
}

describe('security: credentials stay secret', function () {
  this.timeout(60000);
  let nr;
  const statuses = [];
  let ws;

  before(async function () {
    this.timeout(60000);
    const mosq = await startMosquitto(this, { users: { [SECRETS.mqttUser]: 'the-right-password' } });
    const influx = await startInflux(this, { auth: true });
    const flows = [
      { id: 'tab', type: 'tab', label: 'secrets' },
      // Wrong passwords on purpose: the servers refuse them and the nodes report errors.
      { id: 'b1', type: 'telemetry-mqtt-broker', url: mosq.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true },
      {
        id: 'b2', type: 'telemetry-mqtt-broker', url: `mqtt://${SECRETS.mqttUser}:${SECRETS.urlPassword}@127.0.0.1:${mosq.port}`,
        clientId: '', protocolVersion: 4, keepalive: 60, clean: true,
      },
      { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: 'secrets', retentionPolicy: '', timeout: 2000 },
      { id: 'i1', type: 'telemetry-ingest', z: 'tab', broker: 'b1', topic: 'a/#', qos: 1, format: 'auto', wires: [['a1'], []] },
      { id: 'i2', type: 'telemetry-ingest', z: 'tab', broker: 'b2', topic: 'b/#', qos: 1, format: 'auto', wires: [['a1'], []] },
      { id: 'inj', type: 'inject', z: 'tab', props: [{ p: 'payload' }], repeat: '', once: true, onceDelay: 0.5,
        payload: '{"measurement":"m","tags":{"device":"d"},"fields":{"v":1},"timestamp":1700000000000}', payloadType: 'json', wires: [['a1']] },
      { id: 'a1', type: 'telemetry-archive', z: 'tab', server: 's1', batchSize: 10, flushInterval: '100ms', maxRetries: 0, maxBackoff: '1s',
        spool: false, wires: [[], []] },
    ];
    // Start empty, then deploy with credentials inline as the editor sends them.
    nr = await startNodeRed({ flows: [], mochaCtx: this });
    ws = new WebSocket(`ws://127.0.0.1:${nr.port}/comms`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ subscribe: 'status/#' }));
    ws.on('message', (data) => {
      for (const event of [].concat(JSON.parse(String(data)))) {
        if (String(event.topic).startsWith('status/')) statuses.push(event.data);
      }
    });
    const withCreds = flows.map((n) => {
      if (n.id === 'b1') return { ...n, credentials: { username: SECRETS.mqttUser, password: SECRETS.mqttPassword } };
      if (n.id === 's1') return { ...n, credentials: { username: SECRETS.influxUser, password: SECRETS.influxPassword } };
      return n;
    });
    await nr.deploy(withCreds);
    // Let both brokers refuse the logins and the archive meet a 401.
    await waitFor(() => /bad user name or password|not authorized/i.test(nr.logs()), { timeout: 15000, message: 'the MQTT login to be refused' });
    await waitFor(() => /401|credentials|auth/i.test(nr.logLines().filter((l) => /telemetry-archive/.test(l)).join('\n')), {
      timeout: 15000,
      message: 'the archive to report the refused InfluxDB credentials',
    });
  });

  after(function () {
    if (ws) ws.close();
  });

  it('flows.json holds no credential', function () {
    const text = fs.readFileSync(nr.flowsFile, 'utf8');
    assertNoSecret('flows.json', text.replace(SECRETS.urlPassword, '')); // the URL one is checked next
    assert.ok(!text.includes(SECRETS.mqttPassword) && !text.includes(SECRETS.influxPassword));
    assert.ok(!/"credentials"/.test(text), 'flows.json has a credentials property');
  });

  it('flows_cred.json is encrypted (no secret in clear), and holds the credentials', function () {
    const raw = fs.readFileSync(path.join(nr.userDir, 'flows_cred.json'), 'utf8');
    assertNoSecret('flows_cred.json', raw);
    const creds = nr.readCredentials();
    assert.equal(creds.b1.password, SECRETS.mqttPassword);
    assert.equal(creds.s1.password, SECRETS.influxPassword);
  });

  it('GET /flows (what the editor loads) returns no credential', async function () {
    const flows = await nr.api('GET', '/flows');
    const text = JSON.stringify(flows).replace(SECRETS.urlPassword, '');
    assertNoSecret('GET /flows', text);
  });

  it('the credentials endpoints answer has_password, never the password', async function () {
    for (const [id, type] of [['b1', 'telemetry-mqtt-broker'], ['s1', 'telemetry-influxdb']]) {
      const creds = await nr.api('GET', `/credentials/${type}/${id}`);
      assert.equal(creds.has_password, true);
      assert.equal(creds.password, undefined);
      assertNoSecret(`GET /credentials/${type}/${id}`, JSON.stringify(creds));
    }
  });

  it('the Node-RED log holds no credential, including a password inside a broker URL', function () {
    assertNoSecret('the Node-RED log', nr.logs());
  });

  it('no node status text holds a credential', function () {
    assert.ok(statuses.length > 0, 'no status event seen');
    assertNoSecret('status events', JSON.stringify(statuses));
  });
});
