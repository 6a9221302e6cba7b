'use strict';
// ack-after-archive, archive side: with the disk spool, telemetry-archive completes a msg (done,
// seen by Complete nodes and by the runtime's onComplete hook) only once its points are durable —
// written to InfluxDB, or in the spool when InfluxDB fails — and marks itself DURABLE_COMPLETE.
// With the spool off it completes at once and is not a durable sink. Completion is deferred only
// while an ack-after-archive ingest follows completions (it costs memory: msgs are held).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sleep } = require('../support/wait');
const { completionWatch, timeToComplete } = require('./lib/completion');
const helper = require('../support/helper');
const { startInflux } = require('../support/services');
const archiveNode = require('../../nodes/telemetry-archive.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const { DURABLE_COMPLETE, ackTracker } = require('../../dist/nodes/shared/durability');
const { systemClock } = require('../../dist/io/system-clock');

let RED;
/** Captures the runtime API the nodes get (with the runtime's hooks, which the test helper leaves out). */
function capture(red) {
  if (!red.hooks) red.hooks = helper._RED.hooks;
  RED = red;
}

const reading = (i) => ({ measurement: 'durable', tags: { device: 'd' }, fields: { seq: i }, timestamp: Date.now() - 1000 + i });

describe('telemetry-archive completes msgs when their points are durable', function () {
  this.timeout(30000);
  let influx;
  let dir;

  before(async function () {
    influx = await startInflux(this, { databases: 'durable' });
  });
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-done-'));
  });
  let release;
  afterEach(async function () {
    if (release) release();
    release = undefined;
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Loads the flow; `tracked`: an ack-after-archive ingest follows completions. */
  async function load(flows, tracked = true) {
    await helper.load([capture, influxNode, archiveNode], flows);
    if (tracked) release = ackTracker(RED, systemClock).use();
  }

  function flow(url, archive) {
    return [
      { id: 's1', type: 'telemetry-influxdb', url, database: 'durable', retentionPolicy: '', timeout: 1000 },
      { id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 1000, flushInterval: '700ms', maxRetries: 0, maxBackoff: '1s', spool: true, spoolDir: dir, wires: [[], []], ...archive },
      ...completionWatch('a1'),
    ];
  }

  it('is a durable sink (DURABLE_COMPLETE) with the disk spool', async function () {
    await load(flow(influx.url, {}));
    assert.equal(helper.getNode('a1')[DURABLE_COMPLETE], true);
  });

  it('completes a msg only after its batch is written (not when it is taken)', async function () {
    await load(flow(influx.url, {}));
    const ms = await timeToComplete('a1', { payload: [reading(1), reading(2)] });
    assert.ok(ms >= 600, `completed after ${ms} ms, before the 700 ms flush`);
    assert.equal(await influx.count('durable', 'durable'), 2, 'completed before the points were stored');
  });

  it('completes a msg once its points are in the spool when InfluxDB is unreachable', async function () {
    await load(flow('http://127.0.0.1:9', {}));
    const ms = await timeToComplete('a1', { payload: reading(3) });
    assert.ok(ms >= 600, `completed after ${ms} ms`);
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith('.lp')), 'no spool segment');
  });

  it('nobody following completions (no ack-after-archive ingest): completes at once', async function () {
    await load(flow(influx.url, {}), false);
    const ms = await timeToComplete('a1', { payload: reading(5) });
    assert.ok(ms < 300, `${ms} ms`);
  });

  it('a msg whose readings are all refused completes at once', async function () {
    await load(flow(influx.url, {}));
    const ms = await timeToComplete('a1', { payload: { measurement: '', fields: {} } });
    assert.ok(ms < 300, `${ms} ms`);
  });

  it('with the spool off it completes at once and is not a durable sink', async function () {
    await load(flow(influx.url, { spool: false }));
    assert.notEqual(helper.getNode('a1')[DURABLE_COMPLETE], true);
    const ms = await timeToComplete('a1', { payload: reading(4) });
    assert.ok(ms < 300, `${ms} ms`);
  });

  it('a redeploy (close) spools what is pending and completes those msgs', async function () {
    await load(flow('http://127.0.0.1:9', { flushInterval: '1h' }));
    const completed = helper.getNode('completed');
    let n = 0;
    completed.on('input', () => n++);
    for (let i = 0; i < 5; i++) helper.getNode('a1').receive({ payload: reading(10 + i) });
    await sleep(100);
    assert.equal(n, 0, 'completed before anything was durable');
    await helper.getNode('a1').close(false);
    await sleep(100);
    assert.equal(n, 5);
  });
});
