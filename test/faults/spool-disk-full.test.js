'use strict';
// Disk full while spooling (issue #21), on a real file system: the archive's spool directory is a
// 1 MB tmpfs the test mounts (root only; skipped with the reason otherwise), InfluxDB is down and
// 5,000 msg/s arrive → the spool fills the device, further batches cannot be written (ENOSPC):
// they are counted (reports `spoolErrors`), shown (msg.control status → spool.error), sent to
// output 2 with SPOOL_ERROR, Node-RED keeps running, and once InfluxDB is back every spooled
// reading is stored: stored + refused = acknowledged, nothing damaged, nothing lost silently.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { sleep, waitFor } = require('../support/wait');
const { storedCount, storedSeqs, stats, control, sumReports } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 5000;
const MESSAGES = 30_000; // ~2 MB of line protocol: twice the 1 MB device
const DB = 'diskfull';

describe('fault: the disk under the spool is full (1 MB tmpfs, ENOSPC)', function () {
  this.timeout(150000);
  const fx = pipelineFixture('spool-disk-full');
  let mountDir;

  before(function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip(); // mounting a tmpfs needs root
    mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountDir]);
    } catch (err) {
      fs.rmdirSync(mountDir);
      mountDir = undefined;
      throw new Error(`cannot mount a tmpfs as root: ${err.message}`);
    }
  });

  after(function () {
    if (!mountDir) return;
    try {
      execFileSync('umount', ['-l', mountDir]);
      fs.rmdirSync(mountDir);
    } catch {
      // the process holding it is gone by now; a lazy unmount finishes on its own
    }
  });

  it('counts and reports what it cannot spool, keeps running, and stores everything it spooled', async function () {
    const { influx } = fx;
    const figures = fx.record();
    await influx.createDatabase(DB);
    await influx.stop();
    const spoolDir = path.join(mountDir, 'spool');
    const nr = await fx.startNodeRed({ db: DB, archive: { spoolDir, spoolMaxMB: 512, maxRetries: 0 } });
    const pub = fx.startPublisher({ rate: RATE });
    await waitFor(() => pub.state.published >= MESSAGES, { timeout: 30000, interval: 50 });
    await pub.stop();
    const { acked } = pub.state;
    let s;
    let status;
    await waitFor(
      async () => {
        await control(nr, 'status');
        await sleep(100);
        s = await stats(nr);
        status = s.reports.filter((r) => r.spool).pop();
        return sumReports(s, 'spooled') + (s.rejected.SPOOL_ERROR || 0) >= acked;
      },
      { timeout: 30000, interval: 200, message: 'every reading spooled or refused' },
    );
    // One more status: the refusals counted downstream may be newer than the last report.
    await control(nr, 'status');
    await sleep(300);
    s = await stats(nr);
    status = s.reports.filter((r) => r.spool).pop();
    const spooled = sumReports(s, 'spooled');
    const refused = s.rejected.SPOOL_ERROR || 0;
    const logged = nr.logLines().filter((l) => /ENOSPC/.test(l));
    Object.assign(figures, { acked, spooled, refused, spoolErrors: sumReports(s, 'spoolErrors'), spoolError: status.spool.error, enospcLogLines: logged.length });
    assert.ok(refused > 0, 'the device never filled');
    assert.equal(spooled + refused, acked);
    assert.equal(figures.spoolErrors, refused, 'the reports count every refused point');
    assert.equal(status.spool.error, 'ENOSPC');
    assert.ok(logged.length >= 1 && logged.length <= 5, `logged ${logged.length} times (once, not per batch)`);

    await influx.start();
    await waitFor(async () => (await storedCount(influx, DB)) >= spooled, { timeout: 60000, interval: 250, message: `${spooled} readings stored` });
    await sleep(1000);
    const stored = await storedSeqs(influx, DB);
    figures.stored = stored.size;
    assert.equal(stored.size, spooled, 'every spooled reading stored, none damaged');
    assert.equal(stored.size + refused, acked, 'stored + refused = acknowledged');
    assert.ok(nr.running, 'Node-RED kept running');
  });
});
