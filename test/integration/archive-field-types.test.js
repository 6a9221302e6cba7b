'use strict';
// fieldTypes against a real InfluxDB 1.x (#18): a database whose field is already an integer
// (as Telegraf writes them) takes our integer-typed points; without fieldTypes the conflict comes
// back as before; a value that does not fit the type never reaches the server.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const { waitFor, sleep } = require('../support/wait');
const archiveNode = require('../../nodes/telemetry-archive.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');

const T0 = Date.now() - 3_600_000;

describe('telemetry-archive fieldTypes → real InfluxDB', function () {
  this.timeout(30000);
  let influx;
  let spoolRoot;
  let dbSeq = 0;
  let db;

  before(async function () {
    influx = await startInflux(this);
    await new Promise((resolve) => helper.startServer(resolve));
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    spoolRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-ft-'));
    db = `fieldtypes_${++dbSeq}`;
    // The field `count` already exists as an integer.
    await influx.createDatabase(db);
    await influx.write(`counter,device=d0 count=1i ${T0 - 1000}`, { db });
  });
  afterEach(async function () {
    await helper.unload();
    fs.rmSync(spoolRoot, { recursive: true, force: true });
  });

  async function load(fieldTypes) {
    await helper.load(
      [influxNode, archiveNode],
      [
        { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: db, retentionPolicy: '', timeout: 5000 },
        {
          id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 100, flushInterval: '50ms', maxRetries: 1, maxBackoff: '500ms',
          spool: true, spoolDir: path.join(spoolRoot, 'a1'), fieldTypes, wires: [[], ['rejected']],
        },
        { id: 'rejected', type: 'helper' },
      ],
    );
    const rejected = [];
    helper.getNode('rejected').on('input', (m) => rejected.push(m));
    return rejected;
  }

  const reading = (i, count) => ({ measurement: 'counter', tags: { device: `d${i}` }, fields: { count, temperature: 20 + i }, timestamp: T0 + i });
  const stored = async () => (await influx.rows('SELECT "count", temperature FROM counter ORDER BY time', { db })).map((r) => r.count);

  it('count:integer: the existing integer field takes our points, stored as integers', async function () {
    const rejected = await load('count:integer');
    helper.getNode('a1').receive({ payload: [reading(1, 2), reading(2, 3), reading(3, -4)] });
    await waitFor(async () => (await stored()).length === 4, { timeout: 10000 });
    assert.deepEqual(rejected, []);
    assert.deepEqual(await stored(), [1, 2, 3, -4]);
    const keys = await influx.rows('SHOW FIELD KEYS FROM counter', { db });
    assert.deepEqual(keys.map((k) => [k.fieldKey, k.fieldType]).sort(), [['count', 'integer'], ['temperature', 'float']]);
  });

  it('without fieldTypes: the field type conflict comes back as today (REFUSED, the server\'s words)', async function () {
    const rejected = await load('');
    helper.getNode('a1').receive({ payload: [reading(1, 2)] });
    await waitFor(() => rejected.length === 1, { timeout: 10000 });
    assert.equal(rejected[0].error.code, 'REFUSED');
    assert.match(rejected[0].error.message, /field type conflict/);
    assert.deepEqual(await stored(), [1]);
  });

  it('a value that does not fit goes to output 2 as FIELD_TYPE, the others are written', async function () {
    const rejected = await load('count:integer');
    helper.getNode('a1').receive({ payload: [reading(1, 2.5), reading(2, '3'), reading(3, 4)] });
    await waitFor(async () => (await stored()).length === 2, { timeout: 10000 });
    await sleep(200);
    assert.deepEqual(rejected.map((m) => [m.error.code, m.payload.fields.count]), [['FIELD_TYPE', 2.5], ['FIELD_TYPE', '3']]);
    assert.match(rejected[0].error.message, /field "count" is typed integer \(fieldTypes\) but number 2.5 is not a whole number/);
    assert.deepEqual(await stored(), [1, 4]);
  });
});
