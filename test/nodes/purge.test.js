'use strict';
// telemetry-purge in the real Node-RED runtime (node-red-node-test-helper), against a small
// scripted HTTP stand-in for InfluxDB's /ping and /query: the node's glue (triggers, status,
// reports, errors to Catch, one run at a time, cancel, close). The statements themselves run
// against a real InfluxDB in test/integration/purge.test.js.
const assert = require('assert');
const http = require('http');
const helper = require('../support/helper');
const purgeModule = require('../../nodes/telemetry-purge.js');
const { catalogTranslator } = require('../support/i18n');
const { FakeClock, installFakeClock } = require('../support/fake-clock');

const { translate, missingKeys, withCatalog } = catalogTranslator('telemetry-purge');
const purgeNode = withCatalog(purgeModule);
const influxNode = require('../../nodes/telemetry-influxdb.js');

const TYPE = 'telemetry-purge';
const H = 3_600_000;
const D = 24 * H;

/** Runs the nodes loaded next on a fake clock that starts now (the stand-in's data is dated by Date.now). */
function useFakeClock() {
  return installFakeClock(helper, { start: Date.now() });
}

/** Waits (real time: the stand-in's HTTP) until `predicate` holds. */
async function until(predicate, timeoutMs = 3_000) {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A stand-in InfluxDB 1.x: one measurement `cpu` (field v) with 100 points 40 days ago.
 * `hold` makes DELETE wait until `release()`; `version` is the /ping header.
 */
async function fakeInflux({ version = '1.8.10', points = 100, failWith } = {}) {
  const state = { statements: [], version, held: [], hold: false, points };
  const oldest = Date.now() - 40 * D;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/ping') {
      res.writeHead(204, state.version ? { 'X-Influxdb-Version': state.version } : {});
      return res.end();
    }
    const q = url.searchParams.get('q');
    state.statements.push(q);
    const reply = (body, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (failWith) return reply({ error: failWith.message }, failWith.status);
    const series = (columns, values, extra = {}) => ({ results: [{ statement_id: 0, series: [{ columns, values, ...extra }] }] });
    if (q.startsWith('SHOW RETENTION POLICIES')) return reply(series(['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], [['autogen', '0s', '168h0m0s', 1, true]]));
    if (q.startsWith('SHOW FIELD KEYS')) return reply(series(['fieldKey', 'fieldType'], [['v', 'float']], { name: 'cpu' }));
    // Every point sits at `oldest`: a statement sees them when its range holds that time.
    const [, start, end] = (q.match(/time >= '([^']+)' AND time < '([^']+)'/) || []).map(Date.parse);
    const holds = state.points > 0 && start <= oldest && oldest < end;
    if (q.startsWith('SELECT * FROM')) {
      return reply(holds ? series(['time', 'v'], [[oldest, 1]], { name: 'cpu' }) : { results: [{ statement_id: 0 }] });
    }
    if (q.startsWith('SELECT COUNT(*)')) {
      return reply(holds ? series(['time', 'count_v'], [[0, state.points]], { name: 'cpu', tags: { device: 'd1' } }) : { results: [{ statement_id: 0 }] });
    }
    if (q.startsWith('DELETE')) {
      const finish = () => {
        state.points = 0;
        reply({ results: [{ statement_id: 0 }] });
      };
      return state.hold ? state.held.push(finish) : finish();
    }
    return reply({ results: [{ statement_id: 0, error: `stand-in cannot answer ${q}` }] });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    release() {
      state.hold = false;
      state.held.splice(0).forEach((f) => f());
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function flow(influxUrl, config = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'purge' },
    { id: 's1', type: 'telemetry-influxdb', url: influxUrl, database: 'test', retentionPolicy: '', timeout: 5000 },
    { id: 'p1', type: TYPE, z: 'f1', server: 's1', measurements: 'cpu', olderThan: '30d', dryRun: false, wires: [['out']], ...config },
    { id: 'out', type: 'helper', z: 'f1' },
    { id: 'catcher', type: 'catch', z: 'f1', scope: ['p1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];
}

const { collect: collectFrom } = require('../support/collect');
const collect = (id) => collectFrom(id, 3_000);

/** Resolves with the status calls of a node once `predicate` matches one. */
function statusWhere(node, predicate, timeoutMs = 3_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('status not reached')), timeoutMs);
    const original = node.status.bind(node);
    node.status = (s) => {
      original(s);
      if (predicate(s)) {
        clearTimeout(timer);
        resolve(s);
      }
    };
  });
}

async function start(influxUrl, config) {
  await helper.load([influxNode, purgeNode], flow(influxUrl, config));
  return { p1: helper.getNode('p1'), out: collect('out'), caught: collect('caught') };
}

describe('telemetry-purge node', function () {
  this.timeout(8_000);
  let influx;

  beforeEach(async function () {
    influx = await fakeInflux();
  });
  afterEach(async function () {
    influx.release();
    await helper.unload();
    helper.settings({});
    await influx.close();
  });

  it('loads with every default as a dry run', async function () {
    await helper.load([influxNode, purgeNode], [
      { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: 'test' },
      { id: 'p1', type: TYPE, server: 's1', measurements: 'cpu', olderThan: '90d', wires: [[]] },
    ]);
    const p1 = helper.getNode('p1');
    const shown = p1.status.args.map(([s]) => s);
    assert.deepStrictEqual(shown[shown.length - 1], { fill: 'grey', shape: 'ring', text: 'dry run · delete > 90d' });
  });

  it('shows a config error in red and logs it', async function () {
    const { p1 } = await start(influx.url, { olderThan: 'soon' });
    const [status] = p1.status.args[p1.status.args.length - 1];
    assert.deepStrictEqual(status, { fill: 'red', shape: 'ring', text: translate('telemetry-purge.status.config-error') });
    assert.ok(p1.error.calledOnce);
    assert.match(p1.error.firstCall.args[0], /^Invalid configuration: olderThan is not a valid duration/);
  });

  it('sends one report per measurement with the contract fields', async function () {
    const { p1, out } = await start(influx.url);
    p1.receive({ topic: 'nightly', payload: Date.now() });
    const [msg] = await out.next();
    assert.strictEqual(msg.topic, 'nightly');
    assert.strictEqual(msg.payload.length, 1);
    const report = msg.payload[0];
    for (const key of ['measurement', 'cutoff', 'matched', 'deleted', 'downsampled', 'dryRun', 'durationMs']) assert.ok(key in report, key);
    assert.deepStrictEqual([report.measurement, report.matched, report.deleted, report.dryRun], ['cpu', 100, 100, false]);
    assert.ok(Math.abs(report.cutoff - (Date.now() - 30 * D)) < 10_000);
    assert.deepStrictEqual([msg.purge.mode, msg.purge.trigger, msg.purge.server], ['delete', 'input', '1.8.10']);
  });

  it('a dry run sends no DELETE', async function () {
    const { p1, out } = await start(influx.url, { dryRun: true });
    p1.receive({ payload: '' });
    const [msg] = await out.next();
    assert.deepStrictEqual([msg.payload[0].matched, msg.payload[0].deleted, msg.payload[0].dryRun], [100, 0, true]);
    assert.ok(!influx.state.statements.some((q) => q.startsWith('DELETE')));
  });

  it('shows the result in the status', async function () {
    const { p1 } = await start(influx.url);
    const done = statusWhere(p1, (s) => s.fill === 'green');
    p1.receive({ payload: '' });
    const status = await done;
    assert.match(status.text, /^100 deleted/);
  });

  it('refuses a config whose olderThan is below minAge: red status, error to Catch, nothing sent', async function () {
    const { p1, caught } = await start(influx.url, { olderThan: '10m' });
    p1.receive({ payload: '' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'CONFIG');
    assert.match(msg.error.message, /olderThan 10m is shorter than minAge 1h/);
    assert.deepStrictEqual(influx.state.statements, []);
  });

  it('reports a missing server as a config problem, to Catch', async function () {
    const { p1, caught } = await start(influx.url, { server: '' });
    p1.receive({ payload: '' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'CONFIG');
    assert.match(msg.error.message, /No InfluxDB server is configured/);
  });

  it('refuses msg.payload overrides unless allowMsgOverride is set', async function () {
    const { p1, caught } = await start(influx.url);
    p1.receive({ payload: { olderThan: '365d' } });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'OVERRIDE_DISABLED');
    assert.deepStrictEqual(influx.state.statements, []);
  });

  it('lets msg.payload narrow a run when allowed', async function () {
    const { p1, out } = await start(influx.url, { measurements: 'cpu, mem', allowMsgOverride: true });
    p1.receive({ payload: { measurements: ['cpu'], olderThan: '35d', dryRun: true } });
    const [msg] = await out.next();
    assert.deepStrictEqual(msg.payload.map((r) => [r.measurement, r.dryRun]), [['cpu', true]]);
    assert.ok(Math.abs(msg.payload[0].cutoff - (Date.now() - 35 * D)) < 10_000);
    assert.ok(!influx.state.statements.some((q) => q.includes('"mem"')));
  });

  it('refuses a widening override', async function () {
    const { p1, caught } = await start(influx.url, { allowMsgOverride: true });
    p1.receive({ payload: { olderThan: '1d' } });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'OVERRIDE_WIDENS');
  });

  it('reports a trigger during a run to Catch and does not queue it', async function () {
    influx.state.hold = true;
    const { p1, out, caught } = await start(influx.url);
    p1.receive({ payload: 'first' });
    await until(() => influx.state.held.length === 1);
    p1.receive({ payload: 'second' });
    const [busy] = await caught.next();
    assert.strictEqual(busy.error.code, 'BUSY');
    assert.strictEqual(busy.payload, 'second');
    influx.release();
    const [report] = await out.next();
    assert.strictEqual(report.payload[0].deleted, 100);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.strictEqual(out.seen.length, 0);
  });

  it('msg.control = "cancel" stops the run after the current statement', async function () {
    influx.state.hold = true;
    const { p1, caught } = await start(influx.url);
    p1.receive({ payload: 'run' });
    await until(() => influx.state.held.length === 1);
    p1.receive({ control: 'cancel' });
    influx.release();
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'CANCELLED');
    assert.strictEqual(msg.payload.length, 0);
    assert.strictEqual(msg.purge.error.code, 'CANCELLED');
  });

  it('an unknown msg.control goes to Catch', async function () {
    const { p1, caught } = await start(influx.url);
    p1.receive({ control: 'flush' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'BAD_CONTROL');
  });

  it('runs on its schedule without input, at each interval and not before (fake clock)', async function () {
    const clock = useFakeClock();
    const { out } = await start(influx.url, { schedule: '1h', dryRun: true });
    await clock.advance(H - 1);
    assert.strictEqual(out.seen.length, 0);
    await clock.advance(1);
    const [msg] = await out.next();
    assert.deepStrictEqual([msg.purge.trigger, msg.topic, msg.purge.startedAt], ['schedule', 'purge', clock.now()]);
    await clock.advance(H - 1);
    assert.strictEqual(out.seen.length, 0);
    await clock.advance(1);
    assert.strictEqual((await out.next())[0].purge.startedAt, clock.now());
  });

  it('says clearly that InfluxDB 3 cannot delete, before sending any statement', async function () {
    influx.state.version = '3.0.1';
    const { p1, caught } = await start(influx.url);
    const red = statusWhere(p1, (s) => s.fill === 'red');
    p1.receive({ payload: '' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'UNSUPPORTED');
    assert.match(msg.error.message, /InfluxDB 3\.0\.1 does not support DELETE/);
    assert.match((await red).text, /UNSUPPORTED/);
    assert.deepStrictEqual(influx.state.statements, []);
  });

  it('passes a server refusal to Catch with the server reason', async function () {
    await influx.close();
    influx = await fakeInflux({ failWith: { status: 401, message: 'authorization failed' } });
    const { p1, caught } = await start(influx.url);
    p1.receive({ payload: '' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'SERVER');
    assert.match(msg.error.message, /401.*authorization failed/);
  });

  it('a closed InfluxDB port is an error, not a crash', async function () {
    const { p1, caught } = await start('http://127.0.0.1:9');
    p1.receive({ payload: '' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'SERVER');
    assert.match(msg.error.message, /ECONNREFUSED/);
  });

  it('closes during a run without waiting for it to finish', async function () {
    influx.state.hold = true;
    const { p1 } = await start(influx.url);
    p1.receive({ payload: '' });
    await until(() => influx.state.held.length === 1);
    const t0 = Date.now();
    const closing = helper.unload();
    setTimeout(() => influx.release(), 300);
    await closing;
    assert.ok(Date.now() - t0 < 3_000);
    assert.strictEqual(influx.state.statements.filter((q) => q.startsWith('DELETE')).length, 1);
  });

  it('every text the node used is in the en-US catalogue', function () {
    assert.deepStrictEqual([...missingKeys], []);
  });
});

describe('telemetry-purge controller', function () {
  const { PurgeController } = require('../../dist/nodes/purge/controller');
  const { parsePurgeSettings } = require('../../dist/core/purge/settings');

  it('close waits 5 s for a statement that never answers, then lets go (fake clock)', async function () {
    const clock = new FakeClock(Date.now());
    const node = { status() {}, send() {}, error() {}, warn() {}, debug() {} };
    let sent = 0;
    const io = {
      query: async (statement) => {
        sent++;
        if (statement.startsWith('SHOW RETENTION POLICIES')) return [{ series: [{ columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'], values: [['autogen', '0s', '168h0m0s', 1, true]] }] }];
        return new Promise(() => {}); // the server never answers
      },
      serverVersion: async () => '1.8.10',
      now: () => clock.now(),
    };
    const { settings } = parsePurgeSettings({ measurements: 'cpu', olderThan: '30d', dryRun: false });
    const controller = new PurgeController({ node, settings, io, target: { database: 'test' }, t: (key) => key, clock });
    controller.input({ payload: '' }, () => {}, () => {});
    await clock.advance(0);
    assert.strictEqual(sent, 2);
    let closed = false;
    const closing = controller.close(false).then(() => (closed = true));
    await clock.advance(4_999);
    assert.strictEqual(closed, false);
    await clock.advance(1);
    await closing;
  });
});
