'use strict';
// Fault 1 (issue #12): InfluxDB is down for 30 s while 5,000 msg/s stream in over MQTT (QoS 1)
// → a real Node-RED (ingest → archive) spools what it cannot write, and after InfluxDB is back
// every reading the broker acknowledged is stored, none twice; the spool drains at several times
// the ingest rate. Prints the figures as one JSON line (`FAULT-FIGURES …`).
const assert = require('node:assert/strict');
const { sleep, waitFor } = require('../support/wait');
const { stats, sumReports, storedCount, poll, nodeProblems } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 5000;
const OUTAGE_MS = 30_000;
const BEFORE_MS = 5_000;
const AFTER_MS = 5_000;
const DB = 'outage';

describe('fault: InfluxDB down for 30 s at 5,000 msg/s', function () {
  this.timeout(240000);
  const fx = pipelineFixture('influx-outage', { influx: { databases: DB } });

  before(async function () {
    await fx.startNodeRed({ db: DB }, this);
  });

  it('loses no reading; the spool drains faster than readings arrive', async function () {
    const { influx, nr } = fx;
    const figures = fx.record();
    const logFrom = nr.logLines().length;
    const pub = fx.startPublisher({ rate: RATE });
    await sleep(BEFORE_MS);
    const beforeOutage = await storedCount(influx, DB);
    assert.ok(beforeOutage > 0.5 * RATE * (BEFORE_MS / 1000) * 0.5, `only ${beforeOutage} stored before the outage`);

    await influx.stop();
    const outageStart = Date.now();
    await sleep(OUTAGE_MS);
    await influx.start();
    const recoveredAt = Date.now();
    figures.influxDownMs = recoveredAt - outageStart;

    // Readings keep streaming for AFTER_MS while the spool drains; count how fast points land.
    const samples = [];
    const stopPolling = poll(async () => {
      const at = Date.now();
      const published = pub.state.published;
      samples.push({ at, stored: await storedCount(influx, DB), published });
    }, 250);
    await sleep(AFTER_MS);
    await pub.stop();
    const { acked, published, failed } = pub.state;
    assert.equal(failed, 0, 'publishes failed');
    await waitFor(async () => (await storedCount(influx, DB)) >= acked, { timeout: 60000, interval: 250, message: `${acked} readings in InfluxDB` });
    const drainedAt = Date.now();
    await stopPolling();

    const stored = await storedCount(influx, DB);
    // Exactly the published seqs: none missing, none invented (the largest seq is the last one).
    const [maxRes] = await influx.query('SELECT MAX("seq"), MIN("seq") FROM "telemetry"', { db: DB });
    const [, maxSeq, minSeq] = maxRes.series[0].values[0];
    figures.targetRateMsgsPerS = RATE;
    figures.published = published;
    figures.acked = acked;
    figures.stored = stored;
    figures.lost = acked - stored;
    // Catch-up: from InfluxDB's return until the stored count reaches what was published by then
    // (spool backlog + live readings). Drain rate = points landed in that time / its length.
    const atRecovery = samples.find((x) => x.at >= recoveredAt) || { at: recoveredAt, stored: beforeOutage };
    const caughtUp = samples.find((x) => x.at > recoveredAt && x.stored >= x.published * 0.999) || { at: drainedAt, stored };
    figures.actualRateMsgsPerS = Math.round(published / ((pub.stoppedAt - pub.startedAt) / 1000));
    figures.backlogAtRecovery = atRecovery.published - atRecovery.stored;
    figures.catchUpMs = caughtUp.at - recoveredAt;
    figures.drainPointsPerS = Math.round(((caughtUp.stored - atRecovery.stored) / Math.max(1, caughtUp.at - atRecovery.at)) * 1000);
    figures.drainFactor = Math.round((figures.drainPointsPerS / figures.actualRateMsgsPerS) * 10) / 10;
    const s = await stats(nr);
    figures.reportedSpooled = sumReports(s, 'spooled');
    figures.reportedDropped = sumReports(s, 'dropped');
    figures.rejected = s.rejected;
    figures.nodeProblems = nodeProblems(nr, logFrom).length;

    assert.equal(stored, acked, `${acked - stored} acknowledged readings lost`);
    assert.equal(minSeq, 0);
    assert.equal(maxSeq, published - 1);
    assert.equal(figures.reportedDropped, 0, 'the spool dropped points');
    assert.deepEqual(s.rejected, {}, 'readings were refused');
    assert.ok(figures.reportedSpooled >= 0.5 * RATE * (OUTAGE_MS / 1000), `only ${figures.reportedSpooled} spooled during a ${OUTAGE_MS} ms outage`);
    assert.ok(figures.drainFactor >= 2, `the spool drained at ${figures.drainPointsPerS} points/s, ${figures.drainFactor}× the ingest rate`);
  });
});
