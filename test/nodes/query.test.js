'use strict';
// telemetry-query's glue in the runtime (test helper, fake clock): config problems, refusals on
// output 2, at most 8 queries in flight, status texts from the catalogue. A held HTTP stand-in
// plays the server; real InfluxDB answers are in test/integration/query.test.js.
const assert = require('node:assert/strict');
const http = require('node:http');
const helper = require('../support/helper');
const { catalogTranslator } = require('../support/i18n');
const { fakeClockPerTest } = require('../support/fake-clock');
const { waitFor } = require('../support/wait');

const until = (predicate) => waitFor(predicate, { interval: 5 });

const { missingKeys, withCatalog } = catalogTranslator('telemetry-query');
const queryNode = withCatalog(require('../../nodes/telemetry-query.js'));
const influxNode = require('../../nodes/telemetry-influxdb.js');

describe('telemetry-query node', function () {
  let server;
  let held = [];
  let bodies = [];
  before(async function () {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(new URLSearchParams(body));
        held.push(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ results: [{ statement_id: 0, series: [{ name: 'm', tags: { device: 'd' }, columns: ['time', 'v'], values: [[1000, 1]] }] }] }));
        });
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise((resolve) => server.close(resolve)));
  let clock;
  fakeClockPerTest(helper, { start: 5_000_000 }, (c) => {
    clock = c;
    held = [];
    bodies = [];
  });

  function flow(config, serverConfig = { url: `http://127.0.0.1:${server.address().port}` }) {
    return helper.load(
      [influxNode, queryNode],
      [
        { id: 's1', type: 'telemetry-influxdb', database: 'db', ...serverConfig },
        { id: 'q1', type: 'telemetry-query', server: 's1', query: 'SELECT v FROM m WHERE "device" = $device', ...config, wires: [['ok'], ['err']] },
        { id: 'ok', type: 'helper' },
        { id: 'err', type: 'helper' },
      ],
    );
  }

  it('sends values only as params, merges msg.params over the node\'s, and reports rows in its status', async function () {
    await flow({ params: '{"device":"x","unused":1}' });
    const q1 = helper.getNode('q1');
    const statuses = [];
    q1.on('call:status', (call) => statuses.push(call.args[0].text));
    const got = new Promise((resolve) => helper.getNode('ok').once('input', resolve));
    q1.receive({ params: { device: "d'; DROP DATABASE db" }, topic: 't' });
    await until(() => held.length === 1);
    assert.equal(bodies[0].get('q'), 'SELECT v FROM m WHERE "device" = $device LIMIT 10001');
    assert.deepEqual(JSON.parse(bodies[0].get('params')), { device: "d'; DROP DATABASE db" });
    held[0]();
    const msg = await got;
    assert.deepEqual(msg.payload, [{ measurement: 'm', tags: { device: 'd' }, fields: { v: 1 }, timestamp: 1000 }]);
    assert.equal(msg.topic, 't');
    assert.equal(msg.rows, 1);
    // Status at most once a second: the result shows when the fake second has passed.
    await clock.advance(1000);
    await until(() => statuses.includes('1 rows · 0 ms'));
  });

  it('refuses a 9th query while 8 are in flight (BUSY), and answers them all', async function () {
    await flow({ params: '{"device":"x"}' });
    const ok = [];
    const err = [];
    helper.getNode('ok').on('input', (m) => ok.push(m));
    helper.getNode('err').on('input', (m) => err.push(m));
    for (let i = 0; i < 9; i++) helper.getNode('q1').receive({ n: i });
    await until(() => err.length === 1 && held.length === 8);
    assert.equal(err[0].error.code, 'BUSY');
    assert.equal(err[0].n, 8);
    held.forEach((release) => release());
    await until(() => ok.length === 8);
  });

  it('a server that does not answer: output 2 with the network code', async function () {
    await flow({}, { url: 'http://127.0.0.1:9' });
    const got = new Promise((resolve) => helper.getNode('err').once('input', resolve));
    helper.getNode('q1').receive({ params: { device: 'x' } });
    const msg = await got;
    assert.equal(msg.error.code, 'ECONNREFUSED');
  });

  it('without a server: a config error, every msg fails', async function () {
    await helper.load([influxNode, queryNode], [{ id: 'q1', type: 'telemetry-query', server: '', query: 'SELECT 1' }]);
    const q1 = helper.getNode('q1');
    const failed = new Promise((resolve) => q1.on('call:error', (call) => resolve(call.args[0])));
    q1.receive({});
    assert.match(String(await failed), /No InfluxDB server/);
    assert.deepEqual([...missingKeys], []);
  });
});
