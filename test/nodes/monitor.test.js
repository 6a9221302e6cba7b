'use strict';
// The monitor sidebar's runtime half in the real Node-RED runtime (node-red-node-test-helper, a
// FakeClock): what goes over the comms channel, to whom, how often and how much. The editor's
// side of the channel is simulated on the runtime's event bus exactly as editor-api's comms
// layer delivers it (`comms:message:<topic>` with the session and user; `comms` events with a
// session out). The real websocket with adminAuth: monitor-auth.test.js.
const assert = require('assert');
const helper = require('../support/helper');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const heartbeatNode = require('../../nodes/telemetry-heartbeat-watch.js');
const monitorPlugin = require('../../plugins/telemetry-monitor.js');
const { FakeClock } = require('../support/fake-clock');
const { registerMonitored } = require('../../dist/nodes/shared/monitor');
const { MAX_NODES, DOWN_LIST, SPARK_POINTS } = require('../../dist/nodes/shared/monitor-publisher');
const { monitorPublisher } = require('../../dist/nodes/shared/monitor-plugin');

const NOW = Date.parse('2026-12-05T08:00:00Z');
const WATCH = 'comms:message:telemetry/monitor/watch';

const flow = [
  { id: 'f1', type: 'tab', label: 'monitor' },
  { id: 'in', type: 'telemetry-ingest', z: 'f1', format: 'json', wires: [['hb'], []] },
  { id: 'hb', type: 'telemetry-heartbeat-watch', z: 'f1', timeout: '10s', summaryInterval: '', wires: [[], []] },
];

describe('monitor sidebar: runtime publisher', function () {
  this.timeout(5_000);
  let clock;
  let events;
  /** session → updates it received */
  let received;
  const onComms = (e) => {
    if (e.topic !== 'telemetry/monitor') return;
    if (!received.has(e.session)) received.set(e.session, []);
    received.get(e.session).push(e.data);
  };
  const grabEvents = (RED) => {
    events = RED.events;
  };
  const watch = (session, user, on = true) => events.emit(WATCH, { session, user, data: { watch: on } });
  const last = (session) => (received.get(session) ?? []).at(-1);
  const row = (update, id) => update.nodes.find((n) => n.id === id);
  const send = (payload) => helper.getNode('in').receive({ topic: 't', payload });

  beforeEach(async function () {
    clock = new FakeClock(NOW);
    helper.settings({ telemetryClock: clock });
    received = new Map();
    await helper.load([grabEvents, ingestNode, heartbeatNode, monitorPlugin], flow);
    events.on('comms', onComms);
  });
  afterEach(async function () {
    events.removeListener('comms', onComms);
    await helper.unload();
    helper.settings({});
  });

  it('sends nothing while no editor watches, then one update a second to the watching session', async function () {
    send('{"device":"d1","t":1}');
    await clock.advance(12_000);
    assert.strictEqual(received.size, 0);
    watch('s1', undefined);
    await clock.advance(0);
    assert.strictEqual(received.get('s1').length, 1, 'the first update at once');
    await clock.advance(5_000);
    assert.strictEqual(received.get('s1').length, 6, 'then one a second');
    const update = last('s1');
    assert.deepStrictEqual(update.nodes.map((n) => n.type).sort(), ['telemetry-heartbeat-watch', 'telemetry-ingest']);
    assert.strictEqual(row(update, 'in').figures.readings, 1);
    watch('s1', undefined, false);
    await clock.advance(5_000);
    assert.strictEqual(received.get('s1').length, 6, 'the tab was hidden: nothing more');
  });

  it('refusals appear with their reason and the refused sample; a silent device appears in the down list', async function () {
    watch('s1', undefined);
    send('{"device":"d1","t":1}');
    send('{"device":"d2","t":2}');
    send('{"device": broken');
    await clock.advance(6_000);
    send('{"device":"d2","t":3}');
    await clock.advance(6_000); // d1 silent 12 s > 10 s
    const update = last('s1');
    const ingest = row(update, 'in');
    assert.strictEqual(ingest.figures.refused, 1);
    assert.strictEqual(ingest.refusals.length, 1);
    assert.strictEqual(ingest.refusals[0].sample, '{"device": broken');
    assert.match(ingest.refusals[0].reason, /JSON/i);
    assert.ok(ingest.refusals[0].code);
    const hb = row(update, 'hb');
    assert.deepStrictEqual(hb.figures.devices, { up: 1, down: 1, downList: ['d1'] });
    assert.strictEqual(hb.status.fill !== undefined, true, 'health comes from the node status');
  });

  it('keeps a readings/s sparkline of the last minutes, sampled even while nobody watches', async function () {
    for (let s = 0; s < 8; s++) {
      for (let i = 0; i < 10; i++) send(`{"device":"d${i}","t":${s}}`);
      await clock.advance(5_000);
    }
    watch('s1', undefined);
    await clock.advance(0);
    const ingest = row(last('s1'), 'in');
    assert.ok(ingest.spark.length >= 6, JSON.stringify(ingest.spark));
    assert.ok(ingest.spark.length <= SPARK_POINTS);
    assert.strictEqual(ingest.rate, 2, '10 readings per 5 s');
  });

  it('sends only to sessions whose user may read flows (adminAuth), and stops when a lease is not renewed', async function () {
    watch('reader', { username: 'r', permissions: 'read' });
    watch('flows', { username: 'f', permissions: ['flows.read'] });
    watch('status-only', { username: 's', permissions: ['status.read'] });
    watch('nobody', { username: 'n', permissions: [] });
    await clock.advance(1_000);
    assert.deepStrictEqual([...received.keys()].sort(), ['flows', 'reader']);
    events.emit('comms:connection-removed', { session: 'flows' });
    const before = received.get('flows').length;
    await clock.advance(3_000);
    assert.strictEqual(received.get('flows').length, before, 'disconnected session: nothing more');
    const readerCount = received.get('reader').length;
    await clock.advance(31_000); // the lease (30 s) ran out without renewal
    const after = received.get('reader').length;
    await clock.advance(3_000);
    assert.strictEqual(received.get('reader').length, after);
    assert.ok(after > readerCount);
    assert.strictEqual(monitorPublisher().watchers, 0);
  });

  it('reads a node\'s figures at most once a second while watched (the sampler reuses them), never more', async function () {
    let calls = 0;
    const remove = registerMonitored({ id: 'counted', type: 'telemetry-window' }, { figures: () => (calls++, { readings: calls }) });
    try {
      watch('s1', undefined);
      await clock.advance(20_000);
      assert.ok(calls >= 20 && calls <= 21, `${calls} reads in 20 s`);
      assert.strictEqual(row(last('s1'), 'counted').rate, 1, 'the sparkline sampled the counts the updates read');
    } finally {
      remove();
    }
  });

  it('leaves out a node whose figures throw, and keeps publishing the others', async function () {
    const remove = registerMonitored({ id: 'broken', type: 'telemetry-window' }, { figures: () => { throw new Error('boom'); } });
    try {
      watch('s1', undefined);
      await clock.advance(6_000); // a sample (5 s) and updates
      const update = last('s1');
      assert.deepStrictEqual(update.nodes.map((n) => n.id).sort(), ['hb', 'in']);
    } finally {
      remove();
    }
  });

  it('bounds an update: at most MAX_NODES nodes (the rest counted), DOWN_LIST names, 5 refusals', async function () {
    const gone = [];
    const longName = 'x'.repeat(500);
    for (let i = 0; i < MAX_NODES + 20; i++) {
      gone.push(registerMonitored({ id: `fake${i}`, type: 'telemetry-heartbeat-watch' }, {
        figures: (limits) => ({ readings: 0, devices: { up: 0, down: 500, downList: Array.from({ length: 500 }, () => longName).slice(0, limits.list + 5) } }),
      }));
    }
    try {
      for (let i = 0; i < 8; i++) send(`{"device": ${i}`);
      const update = monitorPublisher().build(clock.now());
      assert.strictEqual(update.nodes.length, MAX_NODES);
      assert.strictEqual(update.more, 22);
      for (const n of update.nodes) {
        if (n.id.startsWith('fake')) {
          assert.strictEqual(n.figures.devices.downList.length, DOWN_LIST);
          assert.ok(n.figures.devices.downList.every((d) => d.length <= 64));
        }
        assert.ok(JSON.stringify(n).length <= 4_096, `${n.id}: ${JSON.stringify(n).length} bytes`);
      }
      const ingest = row(update, 'in');
      assert.strictEqual(ingest.refusals.length, 5, 'the real nodes registered first are listed');
      assert.strictEqual(ingest.figures.refused, 8);
    } finally {
      for (const remove of gone) remove();
    }
  });
});

describe('monitor figures: archive spool and window', function () {
  this.timeout(10_000);
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  const archiveNode = require('../../nodes/telemetry-archive.js');
  const influxNode = require('../../nodes/telemetry-influxdb.js');
  const windowNode = require('../../nodes/telemetry-window.js');
  const { freePort } = require('../support/free-port');
  const { sleep } = require('../support/wait');
  let clock;
  let spoolDir;

  beforeEach(function () {
    clock = new FakeClock(NOW);
    helper.settings({ telemetryClock: clock });
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-spool-'));
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it('shows the archive\'s spool (points, bytes) while InfluxDB is unreachable, and the window\'s open windows and keys', async function () {
    const closedPort = await freePort(); // nothing listens: every write is refused (transient)
    await helper.load([influxNode, archiveNode, windowNode, monitorPlugin], [
      { id: 's1', type: 'telemetry-influxdb', url: `http://127.0.0.1:${closedPort}`, database: 'test', timeout: 500 },
      { id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: 100, flushInterval: '50ms', maxRetries: 0, maxBackoff: '200ms', spool: true, spoolDir, wires: [[], []] },
      { id: 'w1', type: 'telemetry-window', windowType: 'tumbling', size: '1m', aggregates: 'mean', fields: '*', wires: [[], []] },
    ]);
    const readings = [1, 2, 3].map((i) => ({ measurement: 'm', tags: { device: `d${i}` }, fields: { v: i }, timestamp: NOW }));
    helper.getNode('a1').receive({ payload: readings });
    helper.getNode('w1').receive({ payload: readings });
    const figures = (id) => monitorPublisher().build(clock.now()).nodes.find((n) => n.id === id).figures;
    const started = Date.now();
    while (figures('a1').spool.points < 3) {
      if (Date.now() - started > 8_000) throw new Error(`spool: ${JSON.stringify(figures('a1'))}`);
      await clock.advance(50);
      await sleep(10);
    }
    assert.ok(figures('a1').spool.bytes > 0);
    assert.deepStrictEqual(figures('w1').windows, { open: 3, keys: 3, late: 0 });
    assert.strictEqual(figures('w1').readings, 3);
  });
});
