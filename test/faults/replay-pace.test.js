'use strict';
// Issue #21: spool replay that a small InfluxDB survives. A real Node-RED (ingest → archive)
// writes through a "small InfluxDB": an HTTP front that writes one request at a time into the
// real InfluxDB at a fixed capacity (8,000 points/s, a Raspberry-Pi-sized server), so requests
// sent faster than that queue there and answer later. InfluxDB is down for 20 s at 2,500 msg/s;
// when it is back, the archive's replay must back off (adaptive pacing, replay-pacer.ts) instead
// of keeping the server's queue full, still drain the spool, and lose nothing.
const assert = require('node:assert/strict');
const http = require('node:http');
const { sleep, waitFor } = require('../support/wait');
const { stats, control, storedCount } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 2500;
const OUTAGE_MS = 20_000;
const CAPACITY = 8000;
const DB = 'pace';

/**
 * An HTTP front for InfluxDB with a capacity: /write requests are served one at a time, each
 * taking lines / pointsPerS seconds before it is forwarded; anything else passes at once.
 * Each write is logged: { arrived, started, serviceMs, lines, status }.
 */
async function startSmallInflux(target, pointsPerS) {
  const queue = [];
  const log = [];
  let busy = false;
  const forward = (job, after) => {
    const up = http.request({ host: '127.0.0.1', port: target.port, method: job.req.method, path: job.req.url, headers: job.req.headers }, (r) => {
      const parts = [];
      r.on('data', (c) => parts.push(c));
      r.on('end', () => {
        job.res.writeHead(r.statusCode, r.headers);
        job.res.end(Buffer.concat(parts));
        job.status = r.statusCode;
        after();
      });
    });
    up.on('error', () => {
      job.status = 'down';
      job.res.destroy();
      after();
    });
    up.end(job.body);
  };
  const pump = () => {
    if (busy || queue.length === 0) return;
    busy = true;
    const job = queue.shift();
    job.started = Date.now();
    job.serviceMs = (job.lines * 1000) / pointsPerS;
    setTimeout(() => forward(job, () => {
      log.push({ arrived: job.arrived, started: job.started, serviceMs: job.serviceMs, lines: job.lines, status: job.status });
      busy = false;
      pump();
    }), job.serviceMs);
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const job = { req, res, body, arrived: Date.now() };
      if (!req.url.startsWith('/write')) return forward(job, () => undefined);
      job.lines = body.toString('utf8').split('\n').filter((l) => l.trim() !== '').length;
      queue.push(job);
      pump();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('fault: spool replay into a small InfluxDB (8,000 points/s) after a 20 s outage', function () {
  this.timeout(180000);
  const fx = pipelineFixture('replay-pace', { influx: { databases: DB } });
  let small;

  before(async function () {
    small = await startSmallInflux(fx.influx, CAPACITY);
    await fx.startNodeRed({ db: DB, influxUrl: small.url }, this);
  });

  after(async function () {
    if (small) await small.close();
  });

  it('replay backs off instead of keeping the server queueing, drains, and loses nothing', async function () {
    const { influx, nr } = fx;
    const figures = fx.record();
    const pub = fx.startPublisher({ rate: RATE });
    await fx.firstReadings(DB);
    await sleep(2000);
    await influx.stop();
    await sleep(OUTAGE_MS);
    await influx.start();
    const recoveredAt = Date.now();
    await waitFor(async () => (await storedCount(influx, DB)) >= pub.state.published * 0.99, { timeout: 90000, interval: 250, message: 'the spool to drain' });
    const drainedAt = Date.now();
    await pub.stop();
    const { acked, published } = pub.state;
    await waitFor(async () => (await storedCount(influx, DB)) >= acked, { timeout: 30000, interval: 250, message: `${acked} readings stored` });
    await control(nr, 'status');
    await sleep(300);
    const s = await stats(nr);
    const status = s.reports.filter((r) => r.replay).pop();

    // Replay requests (merged records: larger than a live batch) answered after recovery.
    const replays = small.log.filter((w) => w.arrived >= recoveredAt && w.started <= drainedAt && w.status === 204 && w.lines > 1000);
    const waited = (w) => w.started - w.arrived > 0.5 * w.serviceMs;
    const firstSecond = replays.filter((w) => w.arrived < recoveredAt + 3000);
    const later = replays.filter((w) => w.arrived >= recoveredAt + 3000);
    const stored = await storedCount(influx, DB);
    Object.assign(figures, {
      rate: RATE,
      capacityPointsPerS: CAPACITY,
      outageMs: OUTAGE_MS,
      published,
      acked,
      stored,
      lost: acked - stored,
      drainMs: drainedAt - recoveredAt,
      replayRequests: replays.length,
      queuedFirst3s: `${firstSecond.filter(waited).length}/${firstSecond.length}`,
      queuedAfter3s: `${later.filter(waited).length}/${later.length}`,
      replay: status && status.replay,
    });
    assert.equal(stored, acked, `${acked - stored} acknowledged readings lost`);
    assert.deepEqual(s.rejected, {});
    // The pacer must have backed off — unless the small server never queued enough to need it
    // (a quiet machine: one request now and then waiting behind another). Either way the server
    // must not be kept queueing (below).
    const waitedShare = replays.filter(waited).length / Math.max(1, replays.length);
    assert.ok(status, 'the archive reported its replay state');
    assert.ok(
      status.replay.backoffs >= 1 || waitedShare <= 0.2,
      `${Math.round(100 * waitedShare)} % of replay requests queued at the server, and the replay never backed off: ${JSON.stringify(status.replay)}`,
    );
    assert.ok(later.length >= 3, `only ${later.length} replay requests after the first 3 s`);
    // After the first cut a replay request rarely waits behind another at the small server.
    assert.ok(later.filter(waited).length / later.length <= 0.34, `${figures.queuedAfter3s} replay requests queued at the server`);
  });
});
