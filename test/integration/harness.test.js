'use strict';
// Self-test of the real-service test harness (test/support/*): if these fail, every
// integration, fault and e2e test is suspect.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');

const { startInflux, startMosquitto, createTlsFiles, requireBinary } = require('../support/services');
const { startNodeRed, nodeRedDir, PACKAGE_NAME } = require('../support/node-red-process');
const { freePorts, canConnect } = require('../support/free-port');
const { waitFor } = require('../support/wait');

function connect(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...opts });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** Subscribes with `subscriber`, publishes one QoS 1 message with `publisher`, resolves with what arrived. */
async function roundTrip(subscriber, publisher, topic, payload) {
  const received = new Promise((resolve) => {
    subscriber.on('message', (t, p, packet) => {
      if (t === topic) resolve({ topic: t, payload: p.toString(), qos: packet.qos });
    });
  });
  await subscriber.subscribeAsync(topic, { qos: 1 });
  await publisher.publishAsync(topic, payload, { qos: 1 });
  return received;
}

describe('test harness (test/support)', function () {
  describe('free-port / wait', function () {
    it('hands out distinct, bindable ports', async function () {
      const ports = await freePorts(5);
      assert.strictEqual(new Set(ports).size, 5);
      for (const p of ports) assert.strictEqual(await canConnect(p), false, `port ${p} should be free`);
    });

    it('waitFor resolves with the truthy value and times out with a message', async function () {
      let n = 0;
      assert.strictEqual(await waitFor(() => ++n >= 3 && 'ok', { interval: 1 }), 'ok');
      await assert.rejects(waitFor(() => false, { timeout: 30, interval: 5, message: 'never' }), /timed out after 30 ms.*never/);
      await assert.rejects(
        waitFor(() => { throw Object.assign(new Error('gone'), { fatal: true }); }, { timeout: 5000 }),
        /^Error: gone$/,
      );
    });
  });

  describe('requireBinary', function () {
    const saved = process.env.CI;
    afterEach(function () {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    });

    it('returns the absolute path of an installed binary', function () {
      assert.ok(path.isAbsolute(requireBinary(null, 'sh', 'dash')));
    });

    it('skips through the mocha context when missing outside CI', function () {
      delete process.env.CI;
      let skipped = false;
      const ctx = { skip() { skipped = true; throw new Error('skip called'); } };
      const warn = console.warn;
      console.warn = () => {};
      try {
        assert.throws(() => requireBinary(ctx, 'no-such-binary-xyz', 'no-such-pkg'), /skip called/);
      } finally {
        console.warn = warn;
      }
      assert.ok(skipped);
    });

    it('throws (never skips) when missing with CI=true, naming the Debian package', function () {
      process.env.CI = 'true';
      const ctx = { skip() { throw new Error('must not skip in CI'); } };
      assert.throws(() => requireBinary(ctx, 'no-such-binary-xyz', 'no-such-pkg'), /apt-get install -y no-such-pkg/);
    });
  });

  describe('InfluxDB', function () {
    let influx;
    before(async function () {
      influx = await startInflux(this);
    });

    it('answers /ping on 127.0.0.1 with generated config (ifql off, rpc on loopback)', async function () {
      assert.match(influx.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${influx.url}/ping`);
      assert.strictEqual(res.status, 204);
      const conf = fs.readFileSync(influx.configFile, 'utf8');
      assert.match(conf, /\[ifql\]\s+enabled = false/);
      assert.match(conf, new RegExp(`^bind-address = "127\\.0\\.0\\.1:${influx.rpcPort}"`, 'm'));
      assert.ok(fs.existsSync(influx.logFile), 'influxd logs to a file in dataDir');
    });

    it('writes and reads back a point (ms precision), counts points', async function () {
      await influx.createDatabase('harness');
      const ts = Date.now();
      await influx.write(`telemetry,device=dev-1 temperature=21.5 ${ts}\ntelemetry,device=dev-2 temperature=3 ${ts + 1}`, {
        db: 'harness',
      });
      const results = await influx.query('SELECT * FROM telemetry ORDER BY time', { db: 'harness' });
      const series = results[0].series[0];
      assert.deepStrictEqual(series.columns, ['time', 'device', 'temperature']);
      assert.deepStrictEqual(series.values, [
        [ts, 'dev-1', 21.5],
        [ts + 1, 'dev-2', 3],
      ]);
      assert.strictEqual(await influx.count('harness', 'telemetry'), 2);
      assert.strictEqual(await influx.count('harness', 'telemetry', { exact: true }), 2);
      assert.strictEqual(await influx.count('harness', 'nothing-here'), 0);
    });

    it('reports write errors with the status code (missing database → 404)', async function () {
      await assert.rejects(influx.write('m v=1', { db: 'missing-db' }), (err) => err.status === 404 && /database not found/.test(err.message));
    });

    it('restarts on the same port with the same data after stop() and after kill()', async function () {
      const port = influx.port;
      await influx.stop();
      assert.strictEqual(influx.running, false);
      assert.strictEqual(await canConnect(port), false);
      await influx.start();
      assert.strictEqual(influx.port, port);
      assert.strictEqual(await influx.count('harness', 'telemetry'), 2);
      await influx.write(`telemetry,device=dev-3 temperature=1 ${Date.now()}`, { db: 'harness' });
      await influx.kill('SIGKILL');
      assert.strictEqual(influx.running, false);
      await influx.start();
      assert.strictEqual(await influx.count('harness', 'telemetry'), 3, 'the WAL keeps acknowledged writes across SIGKILL');
    });
  });

  describe('InfluxDB with auth', function () {
    let influx;
    before(async function () {
      influx = await startInflux(this, { auth: true });
    });

    it('refuses anonymous queries and accepts the admin user', async function () {
      assert.strictEqual(influx.adminUser, 'admin');
      assert.strictEqual(influx.adminPassword, 'admin-pw');
      const anon = await fetch(`${influx.url}/query?q=SHOW+DATABASES`);
      assert.strictEqual(anon.status, 401);
      const wrong = await fetch(`${influx.url}/query?q=SHOW+DATABASES&u=admin&p=nope`);
      assert.strictEqual(wrong.status, 401);
      await influx.createDatabase('secure');
      await influx.write(`m v=1 ${Date.now()}`, { db: 'secure' });
      assert.strictEqual(await influx.count('secure', 'm'), 1);
    });
  });

  describe('Mosquitto', function () {
    let broker;
    const clients = [];
    before(async function () {
      broker = await startMosquitto(this);
    });
    afterEach(async function () {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
    });

    it('generates the required config', function () {
      const conf = fs.readFileSync(broker.configFile, 'utf8');
      for (const line of [
        `listener ${broker.port} 127.0.0.1`,
        'allow_anonymous true',
        'max_queued_messages 0',
        'set_tcp_nodelay true',
        'persistence true',
        'autosave_interval 1',
        'user root',
      ]) {
        assert.ok(conf.split('\n').includes(line), `mosquitto.conf has "${line}"`);
      }
      assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    });

    it('carries a QoS 1 message from a publisher to a subscriber (mqtt.js)', async function () {
      const sub = await connect(broker.url, { clientId: 'harness-sub' });
      const pub = await connect(broker.url, { clientId: 'harness-pub' });
      clients.push(sub, pub);
      const got = await roundTrip(sub, pub, 'harness/qos1', '{"v":1}');
      assert.deepStrictEqual(got, { topic: 'harness/qos1', payload: '{"v":1}', qos: 1 });
    });

    it('restarts on the same port after stop(), keeping persistent sessions and queued QoS 1 messages', async function () {
      // A persistent session subscribes, goes away; a message is queued for it.
      const sub = await connect(broker.url, { clientId: 'harness-persistent', clean: false });
      await sub.subscribeAsync('harness/persist', { qos: 1 });
      await sub.endAsync();
      const pub = await connect(broker.url, { clientId: 'harness-pub2' });
      await pub.publishAsync('harness/persist', 'queued while offline', { qos: 1 });
      await pub.endAsync();

      await broker.stop();
      assert.strictEqual(broker.running, false);
      assert.strictEqual(await canConnect(broker.port), false);
      await broker.start();

      const received = [];
      const again = mqtt.connect(broker.url, { clientId: 'harness-persistent', clean: false, reconnectPeriod: 0 });
      clients.push(again);
      again.on('message', (t, p) => received.push(p.toString()));
      await waitFor(() => received.length > 0, { timeout: 5000 });
      assert.deepStrictEqual(received, ['queued while offline']);
    });

    it('comes back after kill(SIGKILL) + start()', async function () {
      await broker.kill();
      assert.strictEqual(await canConnect(broker.port), false);
      await broker.start();
      const sub = await connect(broker.url);
      const pub = await connect(broker.url);
      clients.push(sub, pub);
      assert.strictEqual((await roundTrip(sub, pub, 'harness/after-kill', 'x')).payload, 'x');
    });
  });

  describe('Mosquitto with users and TLS', function () {
    let broker;
    let tls;
    before(async function () {
      requireBinary(this, 'openssl', 'openssl');
      tls = createTlsFiles();
      broker = await startMosquitto(this, {
        users: { alice: 'alice-pw' },
        tls: { ca: tls.ca, cert: tls.certPem, key: tls.keyPem },
      });
    });
    after(function () {
      if (tls) fs.rmSync(tls.dir, { recursive: true, force: true });
    });

    it('refuses anonymous and wrong passwords, accepts the configured user', async function () {
      await assert.rejects(connect(broker.url), /Not authorized|Bad username or password/i);
      await assert.rejects(connect(broker.url, { username: 'alice', password: 'wrong' }), /Not authorized|Bad username or password/i);
      const c = await connect(broker.url, { username: 'alice', password: 'alice-pw' });
      await c.endAsync();
    });

    it('serves mqtts on tlsPort with a certificate the test CA signed', async function () {
      assert.strictEqual(broker.tlsUrl, `mqtts://127.0.0.1:${broker.tlsPort}`);
      await assert.rejects(
        connect(broker.tlsUrl, { username: 'alice', password: 'alice-pw', rejectUnauthorized: true }),
        /self.signed|unable to verify|certificate/i,
      );
      const c = await connect(broker.tlsUrl, { username: 'alice', password: 'alice-pw', ca: tls.caPem, rejectUnauthorized: true });
      const got = await roundTrip(c, c, 'harness/tls', 'secure');
      assert.strictEqual(got.payload, 'secure');
      await c.endAsync();
    });
  });

  describe('start-up failures', function () {
    let squatter;
    let port;
    before(async function () {
      squatter = require('net').createServer((sock) => sock.destroy());
      await new Promise((resolve) => squatter.listen(0, '127.0.0.1', resolve));
      port = squatter.address().port;
    });
    after(function () {
      squatter.close();
    });

    it('startMosquitto on a taken port fails with the broker log (a TCP connect alone would pass)', async function () {
      requireBinary(this, 'mosquitto', 'mosquitto');
      await assert.rejects(startMosquitto(null, { port }), /Address already in use/);
    });

    it('startInflux on a taken port fails with the influxd log', async function () {
      requireBinary(this, 'influxd', 'influxdb');
      await assert.rejects(startInflux(null, { port }), /address already in use/);
    });
  });

  describe('Node-RED child process', function () {
    this.timeout(60000);
    let nr;
    before(async function () {
      nr = await startNodeRed({ flows: [], mochaCtx: this });
    });

    it('answers the admin API on 127.0.0.1: GET /flows', async function () {
      assert.match(nr.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${nr.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
      assert.strictEqual(res.status, 200);
      const body = await res.json();
      assert.deepStrictEqual(body.flows, []);
      assert.ok(body.rev, 'flows revision');
      assert.match(nr.logs(), /Started flows/);
    });

    it('runs the selected Node-RED (repo devDependency, or TEST_NODE_RED_DIR)', async function () {
      const expected = require(path.join(nodeRedDir({}), 'package.json')).version;
      const { version } = await nr.api('GET', '/settings');
      assert.strictEqual(version.replace(/-git$/, ''), expected);
      if (process.env.EXPECT_NODE_RED_MAJOR) assert.strictEqual(version.split('.')[0], process.env.EXPECT_NODE_RED_MAJOR);
    });

    it(`loads ${PACKAGE_NAME} from the user dir (GET /nodes lists its node sets)`, async function () {
      const pkg = require('../../package.json');
      const sets = (await nr.api('GET', '/nodes')).filter((s) => s.module === PACKAGE_NAME);
      assert.deepStrictEqual(sets.map((s) => s.name).sort(), Object.keys(pkg['node-red'].nodes).sort());
    });

    it('keeps deployed flows and encrypted credentials across stop() + start()', async function () {
      const flows = [
        { id: 'tab1', type: 'tab', label: 'harness' },
        { id: 'inj1', type: 'inject', z: 'tab1', name: 'harness-inject', repeat: '', once: false, wires: [[]] },
        { id: 'brk1', type: 'mqtt-broker', name: 'b', broker: '127.0.0.1', port: '1', autoConnect: false, credentials: { user: 'bob', password: 'pw' } },
      ];
      await nr.deploy(flows);
      await nr.stop();
      assert.strictEqual(nr.running, false);
      await nr.start();
      const { flows: after } = await nr.api('GET', '/flows');
      assert.deepStrictEqual(after.map((n) => n.id).sort(), ['brk1', 'inj1', 'tab1']);
      assert.deepStrictEqual(await nr.api('GET', '/credentials/mqtt-broker/brk1'), { user: 'bob', has_password: true });
      assert.deepStrictEqual(nr.readCredentials(), { brk1: { user: 'bob', password: 'pw' } });
    });

    it('kill(SIGKILL) ends the process at once; start() brings it back', async function () {
      const pid = nr.pid;
      await nr.kill('SIGKILL');
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
      await nr.start();
      assert.notStrictEqual(nr.pid, pid);
      assert.strictEqual((await fetch(`${nr.url}/flows`)).status, 200);
    });
  });

  describe('Node-RED with credentials written before start', function () {
    this.timeout(60000);
    let nr;
    before(async function () {
      nr = await startNodeRed({
        mochaCtx: this,
        flows: [
          { id: 'tab2', type: 'tab', label: 'harness' },
          { id: 'brk2', type: 'mqtt-broker', name: 'b', broker: '127.0.0.1', port: '1', autoConnect: false },
          { id: 'hin', type: 'http in', z: 'tab2', url: '/harness', method: 'get', wires: [['fn']] },
          {
            id: 'fn', type: 'function', z: 'tab2', wires: [['hout']],
            func: "msg.payload = { env: env.get('HARNESS_MARKER'), answer: global.get('answer') }; return msg;",
          },
          { id: 'hout', type: 'http response', z: 'tab2', wires: [] },
        ],
        credentials: { brk2: { user: 'carol', password: 'secret' } },
        env: { HARNESS_MARKER: 'from-env' },
        settings: { functionGlobalContext: { answer: 42 } },
      });
    });

    it('decrypts flows_cred.json written by the harness with the test credentialSecret', async function () {
      assert.deepStrictEqual(await nr.api('GET', '/credentials/mqtt-broker/brk2'), { user: 'carol', has_password: true });
    });

    it('passes opts.env and opts.settings to the runtime', async function () {
      const res = await fetch(`${nr.url}/harness`);
      assert.strictEqual(res.status, 200);
      const body = await res.json();
      assert.strictEqual(body.env, 'from-env');
      assert.strictEqual(body.answer, 42);
    });

    it('configures context stores memory (default) and file', async function () {
      const settings = await nr.api('GET', '/settings');
      assert.deepStrictEqual(settings.context, { default: 'memory', stores: ['memory', 'file'] });
    });
  });
});
