'use strict';
// Fuzz: telemetry-archive refuses bad readings on output 2 with a reason, finishes every msg
// exactly once, never crashes; counts add up (issue #12). InfluxDB is unreachable here: every
// accepted reading goes to the spool, so accepted + refused = valid + invalid.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('../support/helper');
const archiveNode = require('../../nodes/telemetry-archive.js');
const influxNode = require('../../nodes/telemetry-influxdb.js');
const { validateReading } = require('../../dist/core/reading');
const { fuzzNode, corpus, assertRejectedShape } = require('../fuzz/harness');
const { FakeClock } = require('../support/fake-clock');

const TYPE = 'telemetry-archive';
const valid = { measurement: 'telemetry', tags: { device: 'dev-1' }, fields: { temperature: 21.5 }, timestamp: 1700000000000 };

describe('telemetry-archive fuzz', function () {
  this.timeout(60000);
  let dir;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-fuzz-'));
    // Flushes and backoffs wait for fake time: only the msgs (and msg.control) move the node.
    helper.settings({ telemetryClock: new FakeClock() });
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const load = (msgs, extra = {}) =>
    fuzzNode(helper, {
      nodeModules: [influxNode, archiveNode],
      type: TYPE,
      config: {
        server: 's1', batchSize: 100, flushInterval: '50ms', maxRetries: 0, maxBackoff: '1s', spool: true, spoolDir: dir, spoolMaxMB: 64,
        onSpoolFull: 'drop-oldest', allowMsgOverride: true, ...extra,
      },
      // Port 9 (discard) is closed: connection refused, at once.
      extraNodes: [{ id: 's1', type: 'telemetry-influxdb', url: 'http://127.0.0.1:9', database: 'fuzz', retentionPolicy: '', timeout: 500 }],
      msgs,
    });

  it('hostile, mutated and random msgs (with database/retentionPolicy overrides) finish once; refusals carry a reason', async function () {
    const msgs = corpus({ valid, random: 300, seed: 4 });
    for (const db of ['', ' ', '\n', 'x'.repeat(300), 42, null, { a: 1 }, 'db"; DROP DATABASE x', '__proto__']) {
      msgs.push({ payload: valid, database: db }, { payload: valid, retentionPolicy: db });
    }
    const { outputs } = await load(msgs);
    assertRejectedShape(outputs[1]);
  });

  it('counts add up: readings refused on output 2 + readings spooled = readings sent', async function () {
    const msgs = [];
    let good = 0;
    let bad = 0;
    for (let i = 0; i < 300; i++) {
      const batch = [];
      for (let j = 0; j < 10; j++) {
        const r = { ...valid, fields: { temperature: (i + j) % 4 === 0 ? NaN : i + j }, timestamp: valid.timestamp + i * 10 + j };
        if (validateReading(r)) bad++;
        else good++;
        batch.push(r);
      }
      msgs.push({ payload: batch });
    }
    msgs.push({ control: 'flush' });
    const { outputs } = await load(msgs);
    const refused = outputs[1].reduce((n, m) => n + (Array.isArray(m.payload) ? m.payload.length : 1), 0);
    assert.equal(refused, bad);
    // Connection refused: every valid reading ends in the spool (status reports are cumulative
    // levels). The real waits are for the refused connections.
    let report;
    for (let i = 0; i < 50; i++) {
      helper.getNode('n1').receive({ control: 'status' });
      await new Promise((r) => setTimeout(r, 100));
      report = outputs[0].filter((m) => m.payload && 'spoolPoints' in m.payload).pop();
      if (report && report.payload.spoolPoints === good) break;
    }
    assert.ok(report, 'no status report');
    assert.equal(report.payload.spoolPoints, good, JSON.stringify(report.payload));
  });
});
