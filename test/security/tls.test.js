'use strict';
// Security: TLS to Mosquitto and to InfluxDB through Node-RED's core `tls-config` node, with
// certificates made by the test (openssl, a throw-away CA). A real Node-RED runs two pipelines
// MQTT(TLS, client certificate) → ingest → archive → InfluxDB(HTTPS):
// - "good": tls-config nodes trust the test CA → data lands;
// - "bad": a tls-config that trusts another CA, and a config node without any tls-config →
//   certificate errors, nothing written: verification stays on, it is never disabled globally.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { startInflux, startMosquitto, createTlsFiles } = require('../support/services');
const { startNodeRed, REPO_ROOT } = require('../support/node-red-process');
const { waitFor, sleep } = require('../support/wait');

const T0 = Date.now() - 60_000;

function tlsConfig(id, { ca, cert, key }) {
  return { id, type: 'tls-config', name: `tls ${id.slice(2)}`, cert: cert || '', key: key || '', ca, certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, alpnprotocol: '' };
}

describe('security: TLS through the core tls-config node', function () {
  this.timeout(60000);
  let tls;
  let otherCa;
  let mosq;
  let influx;
  let nr;
  let publisher;

  before(async function () {
    this.timeout(60000);
    tls = createTlsFiles();
    otherCa = createTlsFiles(); // a CA that did not sign the servers' certificates
    mosq = await startMosquitto(this, { tls: { ca: tls.ca, cert: tls.cert, key: tls.key, requireCertificate: true } });
    influx = await startInflux(this, { tls: { cert: tls.cert, key: tls.key, ca: tls.ca }, databases: ['tls_good', 'tls_bad', 'tls_none'] });
    const mqttsUrl = mosq.tlsUrl;
    const archive = (id, server) => ({
      id, type: 'telemetry-archive', z: 'tab', server, batchSize: 100, flushInterval: '100ms', maxRetries: 0, maxBackoff: '1s',
      spool: false, wires: [[], []],
    });
    const ingest = (id, broker, topic, archiveId) => ({
      id, type: 'telemetry-ingest', z: 'tab', broker, topic, qos: 1, format: 'json', measurement: 'telemetry', wires: [[archiveId], []],
    });
    const flows = [
      { id: 'tab', type: 'tab', label: 'tls' },
      tlsConfig('t-good', { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey }),
      tlsConfig('t-bad', { ca: otherCa.ca, cert: tls.clientCert, key: tls.clientKey }),
      { id: 'b-good', type: 'telemetry-mqtt-broker', url: mqttsUrl, clientId: '', protocolVersion: 4, keepalive: 60, clean: true, tls: 't-good' },
      { id: 'b-bad', type: 'telemetry-mqtt-broker', url: mqttsUrl, clientId: '', protocolVersion: 4, keepalive: 60, clean: true, tls: 't-bad' },
      { id: 'b-none', type: 'telemetry-mqtt-broker', url: mqttsUrl, clientId: '', protocolVersion: 4, keepalive: 60, clean: true },
      { id: 's-good', type: 'telemetry-influxdb', url: influx.url, database: 'tls_good', retentionPolicy: '', timeout: 3000, tls: 't-good' },
      { id: 's-bad', type: 'telemetry-influxdb', url: influx.url, database: 'tls_bad', retentionPolicy: '', timeout: 3000, tls: 't-bad' },
      { id: 's-none', type: 'telemetry-influxdb', url: influx.url, database: 'tls_none', retentionPolicy: '', timeout: 3000 },
      ingest('i-good', 'b-good', 'good/#', 'a-good'),
      ingest('i-bad', 'b-bad', 'bad/#', 'a-bad'),
      ingest('i-none', 'b-none', 'none/#', 'a-none'),
      archive('a-good', 's-good'),
      archive('a-bad', 's-bad'),
      archive('a-none', 's-none'),
      // Readings straight into the archives too: the InfluxDB side fails on its own, whatever MQTT does.
      {
        id: 'inj', type: 'inject', z: 'tab', props: [{ p: 'payload' }], repeat: '', once: true, onceDelay: 0.5,
        payload: JSON.stringify({ measurement: 'direct', tags: { device: 'd' }, fields: { v: 1 }, timestamp: T0 }), payloadType: 'json',
        wires: [['a-good', 'a-bad', 'a-none']],
      },
    ];
    nr = await startNodeRed({ flows, mochaCtx: this });
    publisher = mqtt.connect(mosq.tlsUrl, { ca: tls.caPem, cert: tls.clientCertPem, key: tls.clientKeyPem, clientId: 'tls-test-publisher' });
    await new Promise((resolve, reject) => {
      publisher.once('connect', resolve);
      publisher.once('error', reject);
    });
  });

  after(function () {
    if (publisher) publisher.end(true);
  });

  async function publishEach(prefix, n) {
    for (let i = 0; i < n; i++) {
      await publisher.publishAsync(`${prefix}/dev-${i}`, JSON.stringify({ deviceId: `dev-${i}`, temperature: 20 + i, ts: T0 + i }), { qos: 1 });
    }
  }

  it('MQTT over TLS with a client certificate → ingest → archive → InfluxDB over HTTPS: every reading lands', async function () {
    // The subscription may still be on its way: publish until the first reading arrives, then the batch.
    await waitFor(async () => {
      await publishEach('good', 1);
      return (await influx.count('tls_good', 'telemetry')) > 0;
    }, { timeout: 15000, interval: 300, message: 'the first reading over TLS' });
    await publishEach('good', 20);
    await waitFor(async () => (await influx.count('tls_good', 'telemetry')) === 20, { timeout: 10000, message: '20 readings over TLS' });
    await waitFor(async () => (await influx.count('tls_good', 'direct')) === 1, { timeout: 5000, message: 'the injected reading' });
  });

  it('a tls-config that trusts another CA: the MQTT connection fails with a certificate error', async function () {
    await waitFor(() => /\[telemetry-mqtt-broker:b-bad\].*(certificate|self.signed|unable to verify)/i.test(nr.logs()), {
      timeout: 10000,
      message: 'a certificate error of b-bad',
    });
  });

  it('without any tls-config the test CA is not trusted either (verification is on by default)', async function () {
    await waitFor(() => /\[telemetry-mqtt-broker:b-none\].*(certificate|self.signed|unable to verify)/i.test(nr.logs()), {
      timeout: 10000,
      message: 'a certificate error of b-none',
    });
  });

  it('the archives behind an untrusted certificate write nothing and say why', async function () {
    await publishEach('bad', 3);
    await publishEach('none', 3);
    await waitFor(() => /\[telemetry-archive:a-bad\].*(certificate|self.signed|unable to verify)/i.test(nr.logs()), { timeout: 10000, message: 'a-bad to report a certificate error' });
    await waitFor(() => /\[telemetry-archive:a-none\].*(certificate|self.signed|unable to verify)/i.test(nr.logs()), { timeout: 10000, message: 'a-none to report a certificate error' });
    await sleep(300);
    assert.equal(await influx.count('tls_bad', 'direct'), 0);
    assert.equal(await influx.count('tls_none', 'direct'), 0);
    assert.equal(await influx.count('tls_bad', 'telemetry'), 0);
  });

  it('no source file switches certificate verification off', function () {
    const offenders = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.(ts|js)$/.test(entry.name)) {
          const text = fs.readFileSync(file, 'utf8');
          if (/rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED/.test(text)) offenders.push(path.relative(REPO_ROOT, file));
        }
      }
    };
    walk(path.join(REPO_ROOT, 'src'));
    walk(path.join(REPO_ROOT, 'nodes'));
    assert.deepEqual(offenders, []);
  });
});
