'use strict';
// telemetry-influxdb speaking each InfluxDB version natively. 1.x: the real influxd (as in
// config-nodes.test.js). 2.x and 3.x: the conformance server (test/support/influx-conformance,
// built from InfluxData's API contracts), which stores into a real influxd, so what lands is
// queried from real storage. Writes come from the test user node (a config node's user, as the
// archive is) and from the archive itself.
const assert = require('node:assert/strict');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const { startConformance } = require('../support/influx-conformance');
const { waitFor } = require('../support/wait');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const archiveNode = require('../../nodes/telemetry-archive.js');
const users = require('../fixtures/nodes/config-users.js');

const now = () => Date.now() - 60_000;

/** Sends one msg to the test user node w1 and resolves with what it sent or the error it failed with. */
function writeThroughUser(payload) {
  const w1 = helper.getNode('w1');
  return new Promise((resolve) => {
    helper.getNode('h1').once('input', (msg) => resolve({ msg }));
    w1.on('call:error', (call) => resolve({ error: call.args[0] }));
    w1.receive({ payload });
  });
}

/** POSTs the dialog's values to the Test connection endpoint; resolves with its report. */
async function testConnection(id, body) {
  const res = await helper.request().post(`/telemetry-influxdb/${id}/test`).send(body);
  assert.equal(res.status, 200, res.text);
  return res.body;
}
const keys = (report) => report.lines.map((l) => l.key);

describe('InfluxDB versions spoken natively', function () {
  this.timeout(60000);
  let influx;

  before(async function () {
    this.timeout(30000);
    influx = await startInflux(this);
    await new Promise((resolve) => helper.startServer(resolve));
  });
  after(function (done) {
    helper.stopServer(done);
  });
  afterEach(() => helper.unload());

  describe('2.x', function () {
    let conf;
    before(async function () {
      conf = await startConformance(this, { version: 2, influx, buckets: ['existing2'] });
    });
    beforeEach(() => conf.reset());

    const server = (bucket, extra = {}) => ({ id: 's1', type: 'telemetry-influxdb', version: '2', url: conf.url, org: conf.org, bucket, timeout: 5000, ...extra });
    const userFlow = (bucket) => [server(bucket), { id: 'w1', type: 'test-influx-user', server: 's1', wires: [['h1']] }, { id: 'h1', type: 'helper' }];

    it('writes through /api/v2/write with org, bucket, ms precision and Token auth; the points land', async function () {
      await helper.load([influxNode, users], userFlow('existing2'), { s1: { token: conf.token } });
      const t = now();
      const { msg, error } = await writeThroughUser(`m,device=d1 v=1 ${t}\nm,device=d2 v=2 ${t + 1}`);
      assert.equal(error, undefined);
      assert.equal(msg.status, 204);
      const write = conf.requests.find((r) => r.path === '/api/v2/write');
      assert.deepEqual(write.query, { org: conf.org, bucket: 'existing2', precision: 'ms' });
      assert.equal(write.headers.authorization, `Token ${conf.token}`);
      assert.equal(await influx.count('existing2', 'm'), 2);
    });

    it('creates a missing bucket on first use (org looked up by name), once', async function () {
      await helper.load([influxNode, users], userFlow('created2'), { s1: { token: conf.token } });
      const { msg, error } = await writeThroughUser(`m v=1 ${now()}`);
      assert.equal(error, undefined);
      assert.equal(msg.status, 204);
      assert.ok(conf.bucketNames().includes('created2'));
      assert.equal(conf.count('POST /api/v2/buckets'), 1);
      assert.equal(await influx.count('created2', 'm'), 1);
    });

    it('InfluxQL goes through /query after making sure a DBRP mapping exists (looked up once)', async function () {
      await helper.load([influxNode, users], userFlow('existing2'), { s1: { token: conf.token } });
      const s = helper.getNode('s1').server;
      await s.write(`q v=5 ${now()}`);
      const [first] = await s.query('SELECT count(v) FROM q');
      assert.equal(first.series[0].values[0][1], 1);
      await s.query('SELECT count(v) FROM q');
      assert.equal(conf.count('GET /api/v2/dbrps'), 1);
      assert.equal(conf.count('POST /query'), 2);
    });

    it('a wrong token gives a clear error', async function () {
      await helper.load([influxNode, users], userFlow('existing2'), { s1: { token: 'wrong' } });
      const { error } = await writeThroughUser(`m v=1 ${now()}`);
      assert.match(String(error.message || error), /refused the credentials \(401\)/);
    });

    it('the archive writes through the 2.x API, gzip-compressed', async function () {
      const flow = [
        server('existing2'),
        { id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 2, flushInterval: '100ms', spool: false, gzip: true, wires: [['h1'], ['h2']] },
        { id: 'h1', type: 'helper' },
        { id: 'h2', type: 'helper' },
      ];
      await helper.load([influxNode, archiveNode], flow, { s1: { token: conf.token } });
      const t = now();
      helper.getNode('a1').receive({ payload: [{ measurement: 'arch', tags: { device: 'd' }, fields: { v: 1 }, timestamp: t }, { measurement: 'arch', tags: { device: 'd' }, fields: { v: 2 }, timestamp: t + 1 }] });
      await waitFor(async () => (await influx.count('existing2', 'arch')) === 2, { timeout: 10000 });
      const write = conf.requests.find((r) => r.path === '/api/v2/write');
      assert.equal(write.headers['content-encoding'], 'gzip');
    });

    it('Test connection: version, token accepted, bucket exists or will be created', async function () {
      await helper.load([influxNode], [server('existing2')], { s1: { token: conf.token } });
      const dialog = { url: conf.url, version: '2', org: conf.org, bucket: 'existing2', timeout: 5000, credentials: { token: '__PWRD__' } };
      const found = await testConnection('s1', dialog);
      assert.deepEqual(keys(found), ['probe.version', 'probe.authOk', 'probe.bucketExists']);
      assert.equal(found.ok, true);
      const missing = await testConnection('s1', { ...dialog, bucket: 'not-yet' });
      assert.deepEqual(keys(missing), ['probe.version', 'probe.authOk', 'probe.bucketWillBeCreated']);
      const refused = await testConnection('s1', { ...dialog, credentials: { token: 'wrong' } });
      assert.equal(refused.ok, false);
      assert.deepEqual(keys(refused), ['probe.version', 'probe.authRefused']);
      const noOrg = await testConnection('s1', { ...dialog, org: 'other-org' });
      assert.deepEqual(keys(noOrg), ['probe.version', 'probe.authOk', 'probe.orgMissing']);
      assert.equal(conf.count('POST /api/v2/write') + conf.count('POST /api/v2/buckets'), 0, 'nothing written or created');
    });

    it('version 1 with the token as password still reaches 2.x through its v1-compatible /write', async function () {
      const s1 = { id: 's1', type: 'telemetry-influxdb', url: conf.url, database: 'existing2', retentionPolicy: '', timeout: 5000 };
      await helper.load([influxNode, users], [s1, { id: 'w1', type: 'test-influx-user', server: 's1', wires: [['h1']] }, { id: 'h1', type: 'helper' }], {
        s1: { username: 'any', password: conf.token },
      });
      const { msg } = await writeThroughUser(`v1compat v=1 ${now()}`);
      assert.equal(msg.status, 204);
      assert.equal(conf.requests.find((r) => r.path === '/write').headers.authorization.startsWith('Basic '), true);
      assert.equal(await influx.count('existing2', 'v1compat'), 1);
    });

    it('Test connection refuses a dialog without an organization, with the reason', async function () {
      await helper.load([influxNode], [], {});
      const report = await testConnection('new-node', { url: conf.url, version: '2', bucket: 'b', credentials: {} });
      assert.deepEqual(report, { ok: false, lines: [{ level: 'error', key: 'errors.org' }] });
    });
  });

  describe('2.x without virtual DBRP mappings (before 2.7)', function () {
    let conf;
    before(async function () {
      conf = await startConformance(this, { version: 2, influx, buckets: ['nodbrp'], virtualDbrps: false });
    });

    it('maps database = bucket before the first InfluxQL query, once', async function () {
      const s1 = { id: 's1', type: 'telemetry-influxdb', version: '2', url: conf.url, org: conf.org, bucket: 'nodbrp', timeout: 5000 };
      await helper.load([influxNode], [s1], { s1: { token: conf.token } });
      const s = helper.getNode('s1').server;
      assert.equal((await s.write(`q v=1 ${now()}`)).status, 204);
      const [first] = await s.query('SELECT count(v) FROM q');
      assert.equal(first.series[0].values[0][1], 1);
      await s.query('SELECT count(v) FROM q');
      assert.equal(conf.count('POST /api/v2/dbrps'), 1);
      const mapping = conf.dbrps().find((d) => d.database === 'nodbrp');
      assert.equal(mapping.bucketID, conf.bucket('nodbrp').id);
      assert.equal(mapping.virtual, false);
    });
  });

  describe('3.x', function () {
    let conf;
    before(async function () {
      conf = await startConformance(this, { version: 3, influx, databases: ['existing3'] });
    });
    beforeEach(() => conf.reset());

    const server = (database, extra = {}) => ({ id: 's1', type: 'telemetry-influxdb', version: '3', url: conf.url, database, timeout: 5000, ...extra });
    const userFlow = (database, extra) => [server(database, extra), { id: 'w1', type: 'test-influx-user', server: 's1', wires: [['h1']] }, { id: 'h1', type: 'helper' }];

    it('writes through /api/v3/write_lp with db, millisecond precision, accept_partial and Bearer auth; the points land', async function () {
      await helper.load([influxNode, users], userFlow('existing3'), { s1: { token: conf.token } });
      const { msg, error } = await writeThroughUser(`m,device=d1 v=1 ${now()}`);
      assert.equal(error, undefined);
      assert.ok(msg.status === 204 || msg.status === 200, `status ${msg.status}`);
      const write = conf.requests.find((r) => r.path === '/api/v3/write_lp');
      assert.deepEqual(write.query, { db: 'existing3', precision: 'millisecond', accept_partial: 'true' });
      assert.equal(write.headers.authorization, `Bearer ${conf.token}`);
      assert.equal(await influx.count('existing3', 'm'), 1);
    });

    it('a write to a database that does not exist yet creates it (3 Core does on first write)', async function () {
      await helper.load([influxNode, users], userFlow('firstwrite3'), { s1: { token: conf.token } });
      const { msg } = await writeThroughUser(`m v=1 ${now()}`);
      assert.equal(msg.status, 204);
      assert.ok(conf.databaseNames().includes('firstwrite3'));
      assert.equal(await influx.count('firstwrite3', 'm'), 1);
    });

    it('the archive writes through the 3.x API', async function () {
      const flow = [
        server('existing3'),
        { id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 2, flushInterval: '100ms', spool: false, gzip: true, wires: [['h1'], ['h2']] },
        { id: 'h1', type: 'helper' },
        { id: 'h2', type: 'helper' },
      ];
      await helper.load([influxNode, archiveNode], flow, { s1: { token: conf.token } });
      const t = now();
      helper.getNode('a1').receive({ payload: [{ measurement: 'arch3', tags: { device: 'd' }, fields: { v: 1 }, timestamp: t }, { measurement: 'arch3', tags: { device: 'd' }, fields: { v: 2 }, timestamp: t + 1 }] });
      await waitFor(async () => (await influx.count('existing3', 'arch3')) === 2, { timeout: 10000 });
      const write = conf.requests.find((r) => r.path === '/api/v3/write_lp');
      assert.equal(write.headers['content-encoding'], 'gzip');
    });

    it('noSync adds no_sync=true', async function () {
      await helper.load([influxNode, users], userFlow('existing3', { noSync: true }), { s1: { token: conf.token } });
      await writeThroughUser(`m v=1 ${now()}`);
      assert.equal(conf.requests.find((r) => r.path === '/api/v3/write_lp').query.no_sync, 'true');
    });

    it('creates the database through /api/v3/configure/database when asked, and queries through /query', async function () {
      await helper.load([influxNode, users], userFlow('created3'), { s1: { token: conf.token } });
      const s = helper.getNode('s1').server;
      await s.createDatabase();
      assert.equal(conf.count('POST /api/v3/configure/database'), 1);
      assert.equal((await s.write(`q v=1 ${now()}`)).status < 300, true);
      const [first] = await s.query('SELECT count(v) FROM q', 'created3');
      assert.equal(first.series[0].values[0][1], 1);
    });

    it('a wrong token gives a clear error', async function () {
      await helper.load([influxNode, users], userFlow('existing3'), { s1: { token: 'wrong' } });
      const { error } = await writeThroughUser(`m v=1 ${now()}`);
      assert.match(String(error.message || error), /refused the credentials \(401\)/);
    });

    it('Test connection: version, token accepted, database exists or will be created', async function () {
      await helper.load([influxNode], [server('existing3')], { s1: { token: conf.token } });
      const dialog = { url: conf.url, version: '3', database: 'existing3', timeout: 5000, credentials: { token: '__PWRD__' } };
      assert.deepEqual(keys(await testConnection('s1', dialog)), ['probe.version', 'probe.authOk', 'probe.databaseExists']);
      assert.deepEqual(keys(await testConnection('s1', { ...dialog, database: 'later' })), ['probe.version', 'probe.authOk', 'probe.databaseWillBeCreated']);
      const refused = await testConnection('s1', { ...dialog, credentials: { token: 'wrong' } });
      assert.equal(refused.ok, false);
      assert.ok(keys(refused).includes('probe.authRefused'), JSON.stringify(refused));
    });
  });

  describe('1.x (real influxd) through the same config node', function () {
    it('a flow without `version` writes to /write as before; Test connection names 1.x', async function () {
      const s1 = { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: 'v1old', retentionPolicy: '', timeout: 5000 };
      await helper.load([influxNode, users], [s1, { id: 'w1', type: 'test-influx-user', server: 's1', wires: [['h1']] }, { id: 'h1', type: 'helper' }], {});
      assert.equal(helper.getNode('s1').server.version, 1);
      const { msg } = await writeThroughUser(`m v=1 ${now()}`);
      assert.equal(msg.status, 204);
      assert.equal(await influx.count('v1old', 'm'), 1);
      const report = await testConnection('s1', { url: influx.url, database: 'v1old', credentials: {} });
      assert.equal(report.lines[0].key, 'probe.version');
      assert.match(report.lines[0].params.found, /^1\./);
      assert.deepEqual(keys(report).slice(1), ['probe.authOk', 'probe.databaseExists']);
    });
  });
});
