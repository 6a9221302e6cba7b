'use strict';
// Issue #21: ingest (ack-after-archive) → window (persistState) → archive, with a real
// Node-RED child process, real Mosquitto and InfluxDB, under load (3,000 msg/s, 50 devices,
// 5 s event-time windows of 100 readings per device).
// - SIGKILL right after windows close, twice: before and after the checkpoint that holds their
//   aggregates (the archive flushes every 4 s, so they are still in its memory): every due
//   aggregate lands, one point per window, none under-counted; readings redelivered after the
//   kill may be counted twice (at-least-once: counted, reported as extraReadings).
// - SIGTERM + start, then a redeploy (POST /flows): exact counts, nothing counted twice.
const assert = require('node:assert/strict');
const { startNodeRed } = require('../support/node-red-process');
const { sleep, waitFor } = require('../support/wait');
const { pipelineFixture } = require('./lib/fixture');
const { T0, startPublisher } = require('./lib/pipeline');
const { WINDOW_MS, SETTINGS, windowFlows, expectedAggregates, storedAggregates, compareAggregates } = require('./lib/window-pipeline');

const RATE = 3000;
const DEVICES = 50;

describe('fault: window aggregates through ack-after-archive (issue #21)', function () {
  this.timeout(120000);
  const fx = pipelineFixture('window-at-least-once');
  let nr;
  let pub;
  afterEach(async function () {
    if (pub) pub.end();
    pub = undefined;
    if (this.currentTest.state === 'failed' && nr) console.log(nr.logLines().slice(-80).join('\n'));
    if (nr) await nr.cleanup();
    nr = undefined;
  });

  async function start(db) {
    await fx.influx.createDatabase(db);
    const flows = windowFlows({ brokerUrl: fx.mosq.url, influxUrl: fx.influx.url, db, clientId: `win-${db}` });
    nr = await startNodeRed({ flows, settings: SETTINGS });
    pub = startPublisher(fx.mosq.url, { rate: RATE, devices: DEVICES, clientId: `pub-${db}` });
    // The first aggregates are in InfluxDB: the whole pipeline runs.
    await waitFor(async () => (await storedAggregates(fx.influx, db)).size > 0, { timeout: 30000, message: 'the first aggregates' });
    return flows;
  }

  /** Waits until the publisher's seq has just crossed a window boundary (+ `after` messages). */
  async function justAfterWindowsClose(after) {
    const boundaryOf = (seq) => Math.floor((T0 + seq) / WINDOW_MS);
    const from = boundaryOf(pub.seq);
    await waitFor(() => boundaryOf(pub.seq) > from, { timeout: 10000, interval: 5, message: 'a window boundary' });
    const crossed = pub.seq;
    await waitFor(() => pub.seq >= crossed + after, { timeout: 5000, interval: 5, message: 'messages after the boundary' });
  }

  /** Stops publishing, waits for every aggregate due to land; returns the comparison. */
  async function finish(db, extra) {
    await pub.stop();
    const want = expectedAggregates(pub.state.published, DEVICES);
    let got = new Map();
    // The last windows close after 5 s without readings (idle), then wait for the 4 s flush.
    await waitFor(async () => {
      got = await storedAggregates(fx.influx, db);
      return compareAggregates(want, got).exact;
    }, { timeout: 45000, interval: 500 }).catch(() => undefined);
    const figures = compareAggregates(want, got);
    const warnings = nr.logLines().filter((l) => /\[(warn|error)\] \[telemetry-/.test(l) || /write after end/i.test(l));
    return fx.record({ rate: RATE, devices: DEVICES, published: pub.state.published, ...extra, ...figures, warnings: warnings.length, firstWarning: warnings[0] });
  }

  it('SIGKILL right after windows close: every due aggregate lands, one point each, none under-counted', async function () {
    const db = 'win_sigkill';
    await start(db);
    await sleep(500);
    // Windows close when the event time passes their end. Killed ~0.1 s later, before the
    // checkpoint that holds their aggregates: the restart resumes the windows open, and the
    // unacknowledged readings redelivered close them again.
    await justAfterWindowsClose(300);
    await nr.kill('SIGKILL');
    await nr.start();
    await sleep(1000);
    // Killed ~1.5 s later: after that checkpoint (≤ 1 s), and before the archive's 4 s flush
    // has necessarily written them: the restarted window sends its unconfirmed aggregates again.
    await justAfterWindowsClose(RATE * 1.5);
    await nr.kill('SIGKILL');
    await nr.start();
    await sleep(2000);
    const resent = nr.logLines().map((l) => /sending (\d+) aggregate\(s\) again/.exec(l)).filter(Boolean).reduce((n, m) => n + Number(m[1]), 0);
    const f = await finish(db, { fault: 'SIGKILL ×2', resent });
    assert.equal(f.missing, 0, `${f.missing} of ${f.windows} aggregates lost`);
    assert.equal(f.under, 0, `${f.under} aggregates under-counted`);
    assert.equal(f.unexpected, 0, `${f.unexpected} points for no window`);
    // At-least-once: a reading saved in a checkpoint whose acknowledgement the kill cut off is
    // counted twice (reported as extraReadings); never more than one checkpoint's worth (1 s).
    assert.ok(f.extraReadings <= RATE * 2, `${f.extraReadings} readings counted twice`);
  });

  it('SIGTERM + start, then a redeploy: exact counts (nothing lost, nothing counted twice)', async function () {
    const db = 'win_graceful';
    const flows = await start(db);
    // Mid-window: the window open at the stop is checkpointed and resumed.
    // Where each phase fell (window index from seq 0) and how long the stops took: a short
    // window (figures: underWindows) can then be put next to the phase that made it.
    const windowOf = () => Math.floor((T0 + pub.seq) / WINDOW_MS) - Math.floor(T0 / WINDOW_MS);
    const phases = {};
    await justAfterWindowsClose(RATE); // ~1 s into a window
    phases.sigterm = windowOf();
    let t = Date.now();
    await nr.kill('SIGTERM');
    phases.stopMs = Date.now() - t;
    await nr.start();
    phases.started = windowOf();
    await sleep(1000);
    await justAfterWindowsClose(RATE);
    phases.deploy = windowOf();
    t = Date.now();
    await nr.deploy(flows);
    phases.deployMs = Date.now() - t;
    phases.deployed = windowOf();
    await sleep(1000);
    const f = await finish(db, { fault: 'SIGTERM, redeploy', phases });
    // FAULT_LOG=<file>: the child's whole log, for a run that went wrong.
    if (process.env.FAULT_LOG) require('node:fs').writeFileSync(process.env.FAULT_LOG, nr.logLines().join('\n'));
    assert.equal(f.firstWarning, undefined, 'warnings in the log');
    assert.deepEqual(
      { missing: f.missing, under: f.under, over: f.over, wrongSum: f.wrongSum, unexpected: f.unexpected },
      { missing: 0, under: 0, over: 0, wrongSum: 0, unexpected: 0 },
      `of ${f.windows} aggregates (${f.extraReadings} readings counted twice)`,
    );
  });
});
