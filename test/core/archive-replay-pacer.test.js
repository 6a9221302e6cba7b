'use strict';
// The spool replay pacer (src/core/archive/replay-pacer.ts): AIMD on write latency and failures,
// capped by `replayRate`. Pure: times are passed in.
const assert = require('node:assert/strict');
const { ReplayPacer, UNLIMITED_RATE } = require('../../dist/core/archive/replay-pacer');

/** Replays `n` requests of `points` back to back, each answered after `latency` ms; returns the end time. */
function fastWrites(pacer, { from, n, points = 5000, latency = 20 }) {
  let t = from;
  for (let i = 0; i < n; i++) {
    pacer.started(points, t);
    pacer.written(points, t, t + latency);
    t += latency;
  }
  return t;
}

describe('replay pacer', function () {
  it('starts unpaced: the request slots are the only limit', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    assert.equal(pacer.readyAt(), -Infinity);
    const t = fastWrites(pacer, { from: 0, n: 20 });
    assert.equal(pacer.readyAt(), -Infinity, 'fast answers keep it unpaced');
    assert.deepEqual(pacer.view(), { rate: UNLIMITED_RATE, mode: 'unpaced', baselineMs: 20, backoffs: 0 });
    assert.ok(t > 0);
  });

  it('a slow answer halves the rate actually achieved, and paces the next request by it', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    // 40 requests of 5,000 points in 2 s: 100,000 points/s achieved.
    let t = fastWrites(pacer, { from: 0, n: 40, latency: 50 });
    pacer.started(5000, t);
    pacer.written(5000, t, t + 400); // smoothed 137.5 ms > 50 + max(25, 50)
    t += 400;
    const view = pacer.view();
    assert.equal(view.mode, 'paced');
    assert.equal(view.backoffs, 1);
    // Achieved over the last 2 s: the 34 requests answered from t = 400 ms on, 85,000 points/s.
    assert.equal(view.rate, 85_000 / 2);
    pacer.started(5000, t);
    assert.equal(Math.round(pacer.readyAt() - t), Math.round((5000 * 1000) / view.rate));
  });

  it('one slow answer is not enough (smoothed latency); a run of them is', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    let t = fastWrites(pacer, { from: 0, n: 10, latency: 10 });
    pacer.written(5000, t, t + 250); // smoothed 10 + ¼ × 240 = 70 ms > 10 + max(5, 50)
    assert.equal(pacer.view().mode, 'paced', 'a big enough jump counts at once');
    const calm = new ReplayPacer({ batchSize: 5000 });
    t = fastWrites(calm, { from: 0, n: 10, latency: 10 });
    calm.written(5000, t, t + 150); // smoothed 45 ms ≤ 60 ms: jitter
    assert.equal(calm.view().mode, 'unpaced');
    t += 150;
    calm.written(5000, t, t + 150); // smoothed 71 ms: lasting
    assert.equal(calm.view().mode, 'paced');
  });

  it('slow means above baseline + max(baseline/2, 50 ms): a fast server is not throttled by jitter', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    let t = fastWrites(pacer, { from: 0, n: 10, latency: 200 });
    for (let i = 0; i < 20; i++, t += 300) pacer.written(5000, t, t + 300); // smoothed → 300 = 200 + 100
    assert.equal(pacer.view().mode, 'unpaced');
    for (let i = 0; i < 5; i++, t += 340) pacer.written(5000, t, t + 340);
    assert.equal(pacer.view().mode, 'paced');
  });

  it('cuts once per round trip: answers to requests sent before the cut carry no news', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    const t = fastWrites(pacer, { from: 0, n: 40, latency: 50 });
    pacer.written(5000, t, t + 500);
    const after = pacer.view().rate;
    pacer.written(5000, t + 10, t + 520); // the other slot's slow answer, sent before the cut
    assert.equal(pacer.view().rate, after);
    assert.equal(pacer.view().backoffs, 1);
    pacer.written(5000, t + 600, t + 1100); // sent after the cut, still slow: cut again
    assert.equal(pacer.view().backoffs, 2);
    assert.ok(pacer.view().rate < after);
  });

  it('grows again by batchSize/2 points/s per second of fast answers (additive increase)', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    let t = fastWrites(pacer, { from: 0, n: 40, latency: 50 });
    pacer.written(5000, t, t + 500);
    t += 500;
    const cut = pacer.view().rate;
    const before = pacer.view().rate;
    for (let i = 0; i < 40; i++) {
      t += 250;
      pacer.written(1000, t - 50, t);
    }
    assert.equal(pacer.view().backoffs, 1);
    assert.ok(Math.abs(pacer.view().rate - (before + 10 * 2500)) < 1, `rate ${pacer.view().rate}, was ${before}`);
  });

  it('never below the floor (batchSize/2 points/s): the spool always drains', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    let t = 0;
    pacer.written(100, t, t + 10);
    for (let i = 0; i < 4; i++) {
      t += 2_000;
      pacer.written(100, t - 1_000, t);
    }
    assert.equal(pacer.view().backoffs, 4);
    assert.equal(pacer.view().rate, 2500);
  });

  it('a failed write ends the pacing: the next answers measure the server afresh', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    const t = fastWrites(pacer, { from: 0, n: 40, latency: 50 });
    pacer.written(5000, t, t + 500);
    assert.equal(pacer.view().mode, 'paced');
    pacer.failed(t + 600);
    assert.equal(pacer.view().mode, 'unpaced');
    assert.equal(pacer.readyAt(), -Infinity);
  });

  it('replayRate caps it, unpaced or not', function () {
    const pacer = new ReplayPacer({ batchSize: 5000, cap: 1000 });
    pacer.started(5000, 0);
    assert.equal(pacer.readyAt(), 5000, '5,000 points at 1,000 points/s');
    fastWrites(pacer, { from: 0, n: 100, latency: 5 });
    assert.equal(pacer.view().rate, 1000);
  });

  it('the baseline is the lowest latency of the last 10–20 s, so a lasting change is learnt', function () {
    const pacer = new ReplayPacer({ batchSize: 5000 });
    pacer.written(5000, 0, 10);
    assert.equal(pacer.view().baselineMs, 10);
    // InfluxDB moved to a slower disk: every answer takes 300 ms from now on.
    let t = 1000;
    for (let i = 0; i < 500; i++, t += 300) pacer.written(1000, t, t + 300);
    assert.equal(pacer.view().baselineMs, 300);
  });
});
