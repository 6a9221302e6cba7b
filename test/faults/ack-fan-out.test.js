'use strict';
// ack-after-archive through a fan-out to two durable sinks (bench/scale-out.js found it): an
// ack-mode ingest's msg wired to [archive (disk spool), window (persistState)] is durable only
// when BOTH completed it. The window saves within ~1 s; the archive's batch stays in memory
// until its 2.5 s flush, so an ack at the window's completion would lose that batch at a SIGKILL.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sleep } = require('../support/wait');
const { useMemoryContextStorage } = require('../support/context-storage');
const helper = require('../support/helper');
const archiveNode = require('../../nodes/telemetry-archive.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const windowNode = require('../../nodes/telemetry-window.js');
const { ackTracker } = require('../../dist/nodes/shared/durability');
const { systemClock } = require('../../dist/io/system-clock');

let RED;
/** Captures the runtime API (with the runtime's hooks, which the test helper leaves out) and a source node. */
function testNodes(red) {
  if (!red.hooks) red.hooks = helper._RED.hooks;
  RED = red;
  // What an ingest's output 1 does: sends the msg (its _msgid followed) on its wires.
  function Source(config) {
    red.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      send(msg);
      done();
    });
  }
  red.nodes.registerType('test-source', Source);
}

const T0 = Date.UTC(2026, 0, 1);
const reading = (i) => ({ measurement: 'fan', tags: { device: 'd' }, fields: { v: i }, timestamp: T0 + i * 1000 });

describe('ack-after-archive: ingest → [archive, window persistState] waits for both', function () {
  this.timeout(20000);
  useMemoryContextStorage();
  let dir;
  let release;
  afterEach(async function () {
    if (release) release();
    release = undefined;
    await helper.unload();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not durable when the window saved, only once the archive spooled the batch', async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ack-fan-out-'));
    await helper.load([testNodes, influxNode, archiveNode, windowNode], [
      { id: 'src', type: 'test-source', wires: [['a1', 'w']] },
      // InfluxDB unreachable: the batch is durable when the 2.5 s flush fails and spools it.
      { id: 's1', type: 'telemetry-influxdb', url: 'http://127.0.0.1:9', database: 'fan', retentionPolicy: '', timeout: 1000 },
      { id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 1000, flushInterval: '2500ms', maxRetries: 0, maxBackoff: '1s', spool: true, spoolDir: dir, wires: [[], []] },
      { id: 'w', type: 'telemetry-window', windowType: 'tumbling', size: '1h', groupBy: 'device', fields: '*', aggregates: 'count', timeMode: 'event', persistState: true, wires: [[], []] },
      { id: 'cmp', type: 'complete', scope: ['a1', 'w'], uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper' },
    ]);
    await helper._context.load();
    const tracker = ackTracker(RED, systemClock);
    release = tracker.use();
    const completedBy = {};
    helper.getNode('completed').on('input', (m) => (completedBy[m.complete.source.id] = Date.now()));
    let settledAt;
    const outcome = tracker.expect('fan-1', 15000).then((o) => {
      settledAt = Date.now();
      return o;
    });
    const t0 = Date.now();
    helper.getNode('src').receive({ _msgid: 'fan-1', payload: [reading(1), reading(2)] });
    const deadline = Date.now() + 10000;
    while (completedBy.w === undefined && Date.now() < deadline) await sleep(20);
    assert.ok(completedBy.w !== undefined, 'the window never completed the msg');
    assert.equal(completedBy.a1, undefined, 'the archive completed before the window: the test proves nothing');
    await sleep(200);
    assert.equal(settledAt, undefined, 'settled when the window alone had completed it');
    assert.equal(await outcome, 'durable');
    // The hook sees the archive's done() before the Complete node does: time it by the flush.
    assert.ok(settledAt - t0 >= 2400, `settled after ${settledAt - t0} ms, before the archive's 2.5 s flush`);
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith('.lp')), 'settled durable without a spool segment');
  });
});
