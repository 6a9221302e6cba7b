'use strict';
// telemetry-archive in the real Node-RED runtime (node-red-node-test-helper), against a small
// scripted stand-in for InfluxDB's /write and /query: the node's glue (config, outputs, status,
// control messages, spool across redeploys). Real-server behaviour is in
// test/integration/archive.test.js; the engine's retry/bisect/spool logic in
// test/core/archive-engine.test.js. The node's timers (flush, backoff, status, reports) run on a
// FakeClock; real waits are only for the HTTP round trips to the stand-in.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const zlib = require('node:zlib');
const helper = require('../support/helper');
const { waitFor, sleep } = require('../support/wait');
const { FakeClock } = require('../support/fake-clock');
const archiveModule = require('../../nodes/telemetry-archive.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const { catalogTranslator } = require('../support/i18n');

// Texts as users see them; keys missing from the catalogue are recorded and asserted below.
const { missingKeys, withCatalog } = catalogTranslator('telemetry-archive');
const archiveNode = withCatalog(archiveModule);

/** A stand-in InfluxDB 1.x: records writes; `respond(lines, db)` may return { status, body, headers }. */
async function fakeInflux() {
  const state = { writes: [], queries: [], respond: null };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/query') {
        state.queries.push(url.searchParams.get('q'));
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ results: [{ statement_id: 0 }] }));
      }
      let body = Buffer.concat(chunks);
      const gzip = req.headers['content-encoding'] === 'gzip';
      if (gzip) body = zlib.gunzipSync(body);
      const lines = body.toString().split('\n');
      const db = url.searchParams.get('db');
      const answer = (state.respond && state.respond(lines, db)) || { status: 204 };
      if (answer.status === 204) {
        state.writes.push({ db, rp: url.searchParams.get('rp'), precision: url.searchParams.get('precision'), gzip, lines });
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers || {}) });
      res.end(answer.body ? JSON.stringify({ error: answer.body }) : '');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.lines = () => state.writes.flatMap((w) => w.lines);
  state.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return state;
}

const T0 = 1_760_000_000_000;
const reading = (i, extra = {}) => ({ measurement: 'telemetry', tags: { device: `dev-${i % 10}` }, fields: { temperature: 20 + i / 10 }, timestamp: T0 + i, ...extra });
const readings = (n, from = 0) => Array.from({ length: n }, (_, i) => reading(from + i));

let spoolRoot;
let clock;

/**
 * Moves fake time in steps until `predicate` holds, with a short real pause after each step for
 * the HTTP round trips to the stand-in (writes, retries, replay).
 */
async function advanceUntil(predicate, { stepMs = 50, timeout = 5000 } = {}) {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeout) throw new Error(`not true after ${clock.now() - 1_000_000} fake ms`);
    await clock.advance(stepMs);
    await sleep(5);
  }
}

function flow(influxUrl, archive = {}, extra = []) {
  return [
    { id: 's1', type: 'telemetry-influxdb', url: influxUrl, database: 'test', retentionPolicy: '', timeout: 2000 },
    {
      id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 100, flushInterval: '50ms', maxConcurrent: 2, maxRetries: 1,
      maxBackoff: '200ms', spool: true, spoolDir: path.join(spoolRoot, 'a1'), spoolMaxMB: 16, onSpoolFull: 'drop-oldest',
      gzip: true, allowMsgOverride: false, wires: [['out1'], ['out2']], ...archive,
    },
    { id: 'out1', type: 'helper' },
    { id: 'out2', type: 'helper' },
    ...extra,
  ];
}

function collect(node) {
  const msgs = [];
  node.on('input', (msg) => msgs.push(msg));
  return msgs;
}

describe('telemetry-archive node', function () {
  this.timeout(10000);
  let influx;

  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    spoolRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-node-'));
    influx = await fakeInflux();
    clock = new FakeClock();
    helper.settings({ telemetryClock: clock });
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
    await influx.close();
    fs.rmSync(spoolRoot, { recursive: true, force: true });
  });

  it('is registered as telemetry-archive, on the clock from the runtime settings', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    assert.equal(helper.getNode('a1').type, 'telemetry-archive');
    assert.ok(clock.pending > 0, 'the status ticker is armed on the fake clock');
  });

  it('writes a partial batch after flushInterval, not before', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const node = helper.getNode('a1');
    const states = collect(helper.getNode('out1'));
    node.receive({ payload: readings(3) });
    await clock.advance(49);
    node.receive({ control: 'status' });
    await waitFor(() => states.length === 1);
    assert.equal(states[0].payload.pending, 3, 'still waiting in memory 1 ms before the flush');
    await clock.advance(1);
    await waitFor(() => influx.lines().length === 3);
  });

  it('writes readings to the configured database, ms precision, gzip', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    helper.getNode('a1').receive({ payload: readings(3) });
    await clock.advance(50);
    await waitFor(() => influx.lines().length === 3);
    const [write] = influx.writes;
    assert.equal(write.db, 'test');
    assert.equal(write.precision, 'ms');
    assert.equal(write.gzip, true);
    assert.equal(write.lines[0], `telemetry,device=dev-0 temperature=20 ${T0}`);
  });

  it('writes uncompressed bodies when gzip is off', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { gzip: false }));
    helper.getNode('a1').receive({ payload: reading(1) });
    await clock.advance(50);
    await waitFor(() => influx.writes.length === 1);
    assert.equal(influx.writes[0].gzip, false);
  });

  it('by default does not compress for an InfluxDB on this machine', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { gzip: 'auto' }));
    helper.getNode('a1').receive({ payload: reading(1) });
    await clock.advance(50);
    await waitFor(() => influx.writes.length === 1);
    assert.equal(influx.writes[0].gzip, false);
  });

  it('sends a write report on output 1', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const reports = collect(helper.getNode('out1'));
    helper.getNode('a1').receive({ payload: readings(100) });
    await waitFor(() => reports.length > 0);
    const report = reports[0].payload;
    assert.equal(report.written, 100);
    assert.equal(report.batches, 1);
    assert.equal(report.spooled, 0);
    assert.equal(report.spoolBytes, 0);
    assert.equal(typeof report.durationMs, 'number');
  });

  it('rate-limits reports to one per second', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { batchSize: 10 }));
    const at = [];
    const reports = [];
    helper.getNode('out1').on('input', (m) => {
      at.push(clock.now());
      reports.push(m);
    });
    const t0 = clock.now();
    helper.getNode('a1').receive({ payload: readings(100) });
    await waitFor(() => influx.writes.length === 10);
    await waitFor(() => reports.length === 1);
    const first = reports[0].payload.written;
    assert.ok(first < 100, `the first report already holds all ${first} points`);
    await clock.advance(999);
    assert.equal(reports.length, 1, 'a second report within the second');
    await clock.advance(1);
    await waitFor(() => reports.length === 2);
    assert.equal(reports.reduce((n, m) => n + m.payload.written, 0), 100);
    assert.deepEqual(at, [t0, t0 + 1000]);
  });

  it('sends an invalid reading to output 2 with the reason and writes the valid ones', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const rejected = collect(helper.getNode('out2'));
    const bad = { measurement: 'telemetry', tags: {}, fields: { t: NaN }, timestamp: T0 };
    helper.getNode('a1').receive({ payload: [reading(1), bad, reading(2)], topic: 'plant/a' });
    await clock.advance(50);
    await waitFor(() => rejected.length === 1 && influx.lines().length === 2);
    assert.equal(rejected[0].error.code, 'NON_FINITE');
    assert.deepEqual(rejected[0].payload, bad);
    assert.equal(rejected[0].topic, 'plant/a');
  });

  it('archives readings built in a function node (objects from another vm context)', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const fromSandbox = require('node:vm').runInNewContext(`[{ measurement: 'telemetry', tags: { device: 'fn' }, fields: { v: 1 }, timestamp: ${T0} }]`);
    helper.getNode('a1').receive({ payload: fromSandbox });
    await clock.advance(50);
    await waitFor(() => influx.lines().length === 1);
  });

  it('a msg without a reading goes to output 2, not to InfluxDB', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const rejected = collect(helper.getNode('out2'));
    helper.getNode('a1').receive({ payload: 'hello' });
    await waitFor(() => rejected.length === 1);
    assert.equal(rejected[0].error.code, 'NOT_A_READING');
    assert.equal(influx.writes.length, 0);
  });

  it('sends exactly the point InfluxDB refuses to output 2 with the server reason', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const rejected = collect(helper.getNode('out2'));
    influx.respond = (lines) => {
      const bad = lines.filter((l) => l.includes('status="x"')).length;
      return bad ? { status: 400, body: `partial write: field type conflict: input field "status" is type string, already exists as type float dropped=${bad}` } : null;
    };
    const batch = readings(50);
    batch[17] = { ...batch[17], fields: { status: 'x' } };
    helper.getNode('a1').receive({ payload: batch });
    await clock.advance(50);
    await waitFor(() => rejected.length === 1 && new Set(influx.lines()).size === 49);
    assert.equal(rejected[0].error.code, 'REFUSED');
    assert.match(rejected[0].error.message, /field type conflict/);
    assert.deepEqual(rejected[0].payload, batch[17]);
    assert.equal(rejected[0].database, 'test');
  });

  it('msg.control = "flush" writes at once', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { flushInterval: '1h' }));
    const node = helper.getNode('a1');
    node.receive({ payload: readings(3) });
    node.receive({ control: 'flush' });
    await waitFor(() => influx.lines().length === 3, { timeout: 2000 });
  });

  it('msg.control = "status" sends a report and the current state now', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const reports = collect(helper.getNode('out1'));
    helper.getNode('a1').receive({ control: 'status' });
    await waitFor(() => reports.length === 1);
    const status = reports[0].payload;
    assert.equal(status.spoolPoints, 0);
    assert.equal(status.health, 'healthy');
    assert.equal(status.problem, null);
    assert.deepEqual(status.spool, { points: 0, bytes: 0, diskBytes: 0, maxBytes: 16 * 1024 * 1024, full: false, error: null, durable: true, dir: path.join(spoolRoot, 'a1') });
    assert.deepEqual(status.replay, { rate: null, cap: null, mode: 'unpaced', baselineMs: null, backoffs: 0 });
  });

  it('an unknown msg.control is an error Catch nodes see', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const node = helper.getNode('a1');
    const errored = new Promise((resolve) => node.on('call:error', resolve));
    node.receive({ control: 'explode' });
    const call = await errored;
    assert.match(String(call.args[0]), /unknown msg.control "explode"/);
  });

  it('shows the write rate and spool in the status', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const node = helper.getNode('a1');
    node.receive({ payload: readings(100) });
    await waitFor(() => influx.lines().length === 100);
    await clock.advance(1000); // the status ticker
    assert.ok(node.status.args.some((a) => /^100 pts\/s · spool 0$/.test(a[0].text)), JSON.stringify(node.status.args));
  });

  it('spools while InfluxDB fails and replays when it answers again', async function () {
    influx.respond = () => ({ status: 503, body: 'overloaded' });
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const node = helper.getNode('a1');
    const reports = collect(helper.getNode('out1'));
    node.receive({ payload: readings(250) });
    await advanceUntil(() => node.status.args.some((a) => /spooling/.test(a[0].text)));
    assert.ok(fs.readdirSync(path.join(spoolRoot, 'a1')).some((f) => f.endsWith('.lp')));
    influx.respond = null;
    await advanceUntil(() => new Set(influx.lines()).size === 250);
    await advanceUntil(() => reports.some((m) => m.payload.replayed > 0));
  });

  it('keeps the data and shows a red status when the credentials are refused', async function () {
    influx.respond = () => ({ status: 401, body: 'authorization failed' });
    await helper.load([influxNode, archiveNode], flow(influx.url));
    const node = helper.getNode('a1');
    const errored = new Promise((resolve) => node.on('call:error', resolve));
    node.receive({ payload: readings(5) });
    await clock.advance(50);
    const call = await errored;
    assert.match(String(call.args[0]), /AUTH.*authorization failed/);
    await waitFor(() => node.status.args.some((a) => a[0].fill === 'red'));
    influx.respond = null;
    await advanceUntil(() => influx.lines().length === 5);
  });

  it('creates a missing database and writes', async function () {
    influx.respond = () => (influx.queries.length > 0 ? null : { status: 404, body: 'database not found: "test"' });
    await helper.load([influxNode, archiveNode], flow(influx.url));
    helper.getNode('a1').receive({ payload: readings(5) });
    await clock.advance(50);
    await waitFor(() => influx.lines().length === 5);
    assert.deepEqual(influx.queries, ['CREATE DATABASE "test"']);
  });

  it('a redeploy puts pending readings into the spool and the new node replays them', async function () {
    influx.respond = () => ({ status: 503, body: 'down' });
    const theFlow = flow(influx.url, { flushInterval: '1h', maxRetries: 0 });
    await helper.load([influxNode, archiveNode], theFlow);
    helper.getNode('a1').receive({ payload: readings(30) });
    await helper.setFlows(theFlow.map((n) => (n.id === 'a1' ? { ...n, name: 'redeployed' } : n)), 'nodes');
    assert.equal(helper.getNode('a1').name, 'redeployed');
    assert.equal(influx.lines().length, 0);
    influx.respond = null;
    await advanceUntil(() => new Set(influx.lines()).size === 30);
  });

  it('msg.database is ignored unless allowMsgOverride is ticked', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url));
    helper.getNode('a1').receive({ payload: reading(1), database: 'elsewhere' });
    await clock.advance(50);
    await waitFor(() => influx.writes.length === 1);
    assert.equal(influx.writes[0].db, 'test');
  });

  it('msg.database and msg.retentionPolicy are used when allowMsgOverride is ticked', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { allowMsgOverride: true }));
    helper.getNode('a1').receive({ payload: reading(1), database: 'elsewhere', retentionPolicy: 'weekly' });
    await clock.advance(50);
    await waitFor(() => influx.writes.length === 1);
    assert.equal(influx.writes[0].db, 'elsewhere');
    assert.equal(influx.writes[0].rp, 'weekly');
  });

  it('an unusable msg.database goes to output 2', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { allowMsgOverride: true }));
    const rejected = collect(helper.getNode('out2'));
    helper.getNode('a1').receive({ payload: reading(1), database: 42 });
    await waitFor(() => rejected.length === 1);
    assert.equal(rejected[0].error.code, 'BAD_DESTINATION');
  });

  it('invalid config: red status, a clear error, and inputs fail with done(err)', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { batchSize: 0 }));
    const node = helper.getNode('a1');
    assert.ok(node.status.args.some((a) => a[0].fill === 'red'));
    assert.ok(node.error.args.some((a) => /batchSize must be a whole number from 1 to 100000/.test(String(a[0]))));
    const errored = new Promise((resolve) => node.on('call:error', resolve));
    node.receive({ payload: reading(1) });
    await errored;
  });

  it('invalid duration: the parser explains what it could not read', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { flushInterval: '5 parsecs' }));
    assert.ok(helper.getNode('a1').error.args.some((a) => /flushInterval: invalid duration/.test(String(a[0]))));
  });

  it('fieldTypes: an integer-typed field is written with i, a value that does not fit goes to output 2 (FIELD_TYPE)', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { fieldTypes: 'count:integer' }));
    const rejected = collect(helper.getNode('out2'));
    const typed = (count, i) => ({ measurement: 'telemetry', tags: { device: 'd' }, fields: { count }, timestamp: T0 + i });
    helper.getNode('a1').receive({ payload: [typed(7, 0), typed(7.5, 1)] });
    await clock.advance(50);
    await waitFor(() => rejected.length === 1 && influx.lines().length === 1);
    assert.deepEqual(influx.lines(), [`telemetry,device=d count=7i ${T0}`]);
    assert.equal(rejected[0].error.code, 'FIELD_TYPE');
    assert.match(rejected[0].error.message, /not a whole number/);
  });

  it('invalid fieldTypes: the configuration error names the entry', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { fieldTypes: 'count:int, state' }));
    const errors = helper.getNode('a1').error.args.map((a) => String(a[0]));
    assert.ok(errors.some((e) => /"count:int" has an unknown type "int"/.test(e) && /"state" is not name:type/.test(e)), errors.join('\n'));
  });

  it('uinteger on an InfluxDB 1.x server is a configuration error (1.x refuses the u suffix)', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { fieldTypes: 'n:uinteger' }));
    const errors = helper.getNode('a1').error.args.map((a) => String(a[0]));
    assert.ok(errors.some((e) => /field "n" is typed uinteger, which InfluxDB 1.x cannot store/.test(e)), errors.join('\n'));
  });

  it('without an InfluxDB server: red status and a clear error', async function () {
    await helper.load([influxNode, archiveNode], flow(influx.url, { server: '' }));
    const node = helper.getNode('a1');
    assert.ok(node.error.args.some((a) => /No InfluxDB server is configured/.test(String(a[0]))));
  });

  it('two nodes may not share a spool directory', async function () {
    const extra = [{ ...flow(influx.url)[1], id: 'a2', wires: [[], []] }];
    await helper.load([influxNode, archiveNode], flow(influx.url, {}, extra));
    const errors = [helper.getNode('a1'), helper.getNode('a2')].flatMap((n) => n.error.args.map((a) => String(a[0])));
    assert.ok(errors.some((e) => /already used by node/.test(e)), errors.join('\n'));
  });

  it('a spool directory locked by another live process: red status and a clear error, nothing written there', async function () {
    const other = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const dir = path.join(spoolRoot, 'a1');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: other.pid, host: os.hostname(), start: null }));
      await helper.load([influxNode, archiveNode], flow(influx.url));
      const errors = helper.getNode('a1').error.args.map((a) => String(a[0]));
      assert.ok(errors.some((e) => e.includes(`in use by another process (pid ${other.pid} on ${os.hostname()})`)), errors.join('\n'));
      assert.deepEqual(fs.readdirSync(dir), ['lock']);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('defaults the spool directory to <userDir>/telemetry-spool/<node id>', async function () {
    const userDir = path.join(spoolRoot, 'userdir');
    helper.settings({ userDir, telemetryClock: clock });
    await helper.load([influxNode, archiveNode], flow(influx.url, { spoolDir: '' }));
    assert.ok(fs.existsSync(path.join(userDir, 'telemetry-spool', 'a1', 'index.json')));
  });

  it('uses only locale keys that exist', function () {
    assert.deepEqual([...missingKeys], []);
  });
});
