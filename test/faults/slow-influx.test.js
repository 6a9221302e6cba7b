'use strict';
// Fault 4 (issue #12): InfluxDB answers slowly (a TCP proxy holds every response for 3 s) while
// 5,000 msg/s stream in → the archive keeps at most its bounded queue in memory and puts the
// overflow in its disk spool, Node-RED's memory stays bounded (RSS sampled from /proc), and once
// InfluxDB is fast again everything acknowledged is stored.
const assert = require('node:assert/strict');
const { startSlowProxy } = require('../support/slow-proxy');
const { sleep, waitFor } = require('../support/wait');
const { storedCount, sampleRss, stats, sumReports } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 5000;
const SLOW_MS = 20_000;
const DELAY_MS = 3000;
const DB = 'slow';

describe('fault: slow InfluxDB (responses delayed 3 s) at 5,000 msg/s', function () {
  this.timeout(180000);
  const fx = pipelineFixture('slow-influx', { influx: { databases: DB } });
  let proxy;
  let rss;

  before(async function () {
    proxy = await startSlowProxy({ target: { port: fx.influx.port } });
    await fx.startNodeRed({ db: DB, influxUrl: proxy.url }, this);
  });

  after(async function () {
    if (rss) rss.stop();
    if (proxy) await proxy.close();
  });

  it('memory stays bounded, the overflow is spooled, and nothing is lost', async function () {
    const { influx, nr } = fx;
    const figures = fx.record();
    const pub = fx.startPublisher({ rate: RATE });
    await fx.firstReadings(DB);
    rss = sampleRss(() => nr.pid, 100);
    await sleep(2000);
    const baseline = rss.peakMb; // peak at full rate with a fast InfluxDB
    proxy.set({ responseDelayMs: DELAY_MS });
    const slowFrom = Date.now();
    const storedAtSlow = await storedCount(influx, DB);
    await sleep(SLOW_MS);
    const storedWhileSlow = (await storedCount(influx, DB)) - storedAtSlow;
    proxy.set({ responseDelayMs: 0 });
    figures.slowForMs = Date.now() - slowFrom;
    await sleep(3000);
    await pub.stop();
    const { published, acked, failed } = pub.state;
    await waitFor(async () => (await storedCount(influx, DB)) >= acked, { timeout: 60000, interval: 250, message: `${acked} readings stored` });
    rss.stop();
    const stored = await storedCount(influx, DB);
    const s = await stats(nr);
    Object.assign(figures, {
      rate: RATE,
      responseDelayMs: DELAY_MS,
      published,
      acked,
      failed,
      stored,
      lost: acked - stored,
      writtenWhileSlowPerS: Math.round(storedWhileSlow / (SLOW_MS / 1000)),
      spooled: sumReports(s, 'spooled'),
      dropped: sumReports(s, 'dropped'),
      rssPeakFastMb: Math.round(baseline),
      rssPeakMb: Math.round(rss.peakMb),
      rssSamples: rss.samples,
      proxyPeakBufferedBytes: proxy.stats().bufferedBytes,
    });
    assert.equal(stored, acked, `${acked - stored} acknowledged readings lost`);
    assert.equal(figures.dropped, 0);
    assert.deepEqual(s.rejected, {});
    // Bounded: the archive keeps ≤ 4 queued + 2 in-flight batches of 5,000 lines (a few MB);
    // the rest is on disk. 300 MB is far above that and far below unbounded growth
    // (20 s × 5,000 msg/s of msgs held in memory would be several hundred MB more).
    assert.ok(rss.peakMb < 300, `RSS peak ${Math.round(rss.peakMb)} MB`);
  });
});
