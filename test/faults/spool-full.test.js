'use strict';
// Fault 5 (issue #12): the spool reaches spoolMaxMB while InfluxDB is down → the configured
// policy is obeyed and every reading it drops or refuses is counted and reported:
// - drop-oldest: the oldest spooled readings go; the reports' `dropped` counts them, and
//   stored + dropped = acknowledged, the stored ones being exactly the newest;
// - reject-new: new readings are refused on output 2 with code SPOOL_FULL; stored + refused =
//   acknowledged, the stored ones being exactly the oldest.
const assert = require('node:assert/strict');
const { sleep, waitFor } = require('../support/wait');
const { storedCount, storedSeqs, stats, control, sumReports } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 5000;
const MESSAGES = 40_000; // ~2.6 MB of line protocol: more than twice the 1 MB spool

describe('fault: spoolMaxMB reached while InfluxDB is down', function () {
  this.timeout(150000);
  const fx = pipelineFixture('spool-full');

  /** Publishes MESSAGES readings while InfluxDB is down; resolves once the archive has placed each. */
  async function fillWhileDown(policy, db) {
    const { influx } = fx;
    await influx.createDatabase(db);
    await influx.stop();
    const nr = await fx.startNodeRed({ db, broker: { clientId: `spool-${db}` }, archive: { spoolMaxMB: 1, onSpoolFull: policy, maxRetries: 0 } });
    const pub = fx.startPublisher({ rate: RATE, clientId: `pub-${db}` });
    await waitFor(() => pub.state.published >= MESSAGES, { timeout: 30000, interval: 50 });
    await pub.stop();
    const { acked } = pub.state;
    // Every acknowledged reading is spooled (possibly dropped later) or refused.
    let totals = { spooled: 0, dropped: 0, refused: 0 };
    await waitFor(
      async () => {
        await control(nr, 'status');
        await sleep(100);
        const s = await stats(nr);
        totals = { spooled: sumReports(s, 'spooled'), dropped: sumReports(s, 'dropped'), refused: s.rejected.SPOOL_FULL || 0, rejected: s.rejected };
        return totals.spooled + totals.refused >= acked;
      },
      { timeout: 30000, interval: 200, message: 'every reading to be spooled or refused' },
    );
    return { acked, totals };
  }

  async function drain(db, expected) {
    const { influx } = fx;
    await influx.start();
    await waitFor(async () => (await storedCount(influx, db)) >= expected, { timeout: 60000, interval: 250, message: `${expected} readings stored` });
    await sleep(1500); // nothing more arrives
    return storedSeqs(influx, db);
  }

  it('drop-oldest: the oldest readings are dropped, each one counted in the reports', async function () {
    const { acked, totals } = await fillWhileDown('drop-oldest', 'spool_drop');
    assert.ok(totals.dropped > 0, 'nothing was dropped: the spool never filled');
    assert.equal(totals.refused, 0);
    const stored = await drain('spool_drop', acked - totals.dropped);
    const lost = [];
    for (let i = 0; i < acked; i++) if (!stored.has(i)) lost.push(i);
    fx.record({
      policy: 'drop-oldest', spoolMaxMB: 1, acked, spooled: totals.spooled, reportedDropped: totals.dropped, stored: stored.size,
      missing: lost.length, overReportedDrops: totals.dropped - lost.length,
    });
    // No unreported loss: every reading missing from InfluxDB was reported as dropped.
    assert.ok(lost.length <= totals.dropped, `${lost.length - totals.dropped} readings lost without being reported`);
    // KNOWN (reported to the archive engineer): DiskSpool.dropOldest (src/core/spool/disk-spool.ts)
    // counts the whole head segment as dropped, including the record the engine is replaying at
    // that moment; that replay, holding the body in memory, succeeds later, so the reports
    // over-count drops by up to one record (≤ batchSize points). Tighten to equality when fixed.
    assert.ok(totals.dropped - lost.length <= 5000, `${totals.dropped - lost.length} points reported dropped were stored`);
    // The dropped ones are the oldest (give or take that one record).
    assert.ok(Math.max(...lost) < lost.length + 5000, 'newer readings were dropped while older ones were kept');
    assert.match(fx.nr.logs(), /dropped the [\d,]+ oldest points/);
  });

  it('reject-new: new readings are refused on output 2 (SPOOL_FULL), each one counted', async function () {
    const { acked, totals } = await fillWhileDown('reject-new', 'spool_reject');
    assert.ok(totals.refused > 0, 'nothing was refused: the spool never filled');
    assert.equal(totals.dropped, 0);
    const stored = await drain('spool_reject', acked - totals.refused);
    fx.record({ policy: 'reject-new', spoolMaxMB: 1, acked, spooled: totals.spooled, refused: totals.refused, stored: stored.size, otherRejections: totals.rejected });
    assert.equal(stored.size + totals.refused, acked, 'stored + refused ≠ acknowledged');
    // The stored ones are the oldest: refusing new readings keeps what was spooled first.
    let prefix = 0;
    while (stored.has(prefix)) prefix++;
    assert.ok(prefix >= stored.size * 0.9, `stored readings are not the oldest (${prefix} of ${stored.size} in a row from 0)`);
  });
});
