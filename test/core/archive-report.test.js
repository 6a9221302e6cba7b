'use strict';
const assert = require('node:assert/strict');
const { ReportAccumulator, archiveStatus } = require('../../dist/core/archive/report');

const spool = { bytes: 10, points: 2 };

describe('archive/report: rate-limited write reports', function () {
  it('reports the first write at once', function () {
    const acc = new ReportAccumulator(1000);
    acc.recordWrite(5000, 100, 140, false);
    assert.deepEqual(acc.take(140, spool), {
      written: 5000, batches: 1, retried: 0, spooled: 0, spoolBytes: 10, durationMs: 40,
      replayed: 0, refused: 0, dropped: 0, spoolPoints: 2, spoolErrors: 0,
    });
  });

  it('sums writes within the interval into one report', function () {
    const acc = new ReportAccumulator(1000);
    acc.recordWrite(10, 0, 5, false);
    acc.take(5, spool);
    acc.recordWrite(20, 100, 130, false);
    acc.recordWrite(30, 110, 150, true);
    acc.recordRetry();
    assert.equal(acc.take(500, spool), undefined);
    assert.equal(acc.dueAt(), 1005);
    const report = acc.take(1005, spool);
    assert.equal(report.written, 50);
    assert.equal(report.batches, 2);
    assert.equal(report.replayed, 30);
    assert.equal(report.retried, 1);
    assert.equal(report.durationMs, 50);
  });

  it('sends nothing when nothing happened', function () {
    const acc = new ReportAccumulator(1000);
    assert.equal(acc.take(5000, spool), undefined);
    assert.equal(acc.dueAt(), undefined);
  });

  it('reports spooling, refusals and drops even without a write', function () {
    const acc = new ReportAccumulator(1000);
    acc.recordSpooled(5000);
    acc.recordRefused(1);
    acc.recordDropped(7);
    const report = acc.take(0, spool);
    assert.equal(report.spooled, 5000);
    assert.equal(report.refused, 1);
    assert.equal(report.dropped, 7);
    assert.equal(report.written, 0);
  });

  it('starts from zero after each report', function () {
    const acc = new ReportAccumulator(1000);
    acc.recordWrite(5, 0, 1, false);
    acc.take(1, spool);
    acc.recordRetry();
    assert.equal(acc.take(2000, spool).written, 0);
  });
});

describe('archive/report: status', function () {
  const base = { health: 'healthy', rate: 4930, spoolPoints: 0, spoolFull: false, onSpoolFull: 'drop-oldest', durable: true };
  const cases = [
    ['healthy, spool empty', {}, 'green', 'dot', 'rate', { rate: '4.9k', spool: '0' }],
    ['healthy, still replaying', { spoolPoints: 12345 }, 'yellow', 'dot', 'rate', { spool: '12,345' }],
    ['server down, spooling', { health: 'degraded', problem: 'NETWORK', spoolPoints: 12345 }, 'yellow', 'ring', 'spooling', { spool: '12,345' }],
    ['server down, spool off', { health: 'degraded', spoolPoints: 10, durable: false }, 'yellow', 'ring', 'buffering', {}],
    ['credentials refused', { health: 'hold', problem: 'AUTH', spoolPoints: 3 }, 'red', 'ring', 'hold', { code: 'AUTH' }],
    ['spool full, dropping', { health: 'degraded', spoolFull: true }, 'red', 'ring', 'fullDropping', {}],
    ['spool full, rejecting', { health: 'degraded', spoolFull: true, onSpoolFull: 'reject-new' }, 'red', 'ring', 'fullRejecting', {}],
  ];
  for (const [label, input, fill, shape, key, params] of cases) {
    it(label, function () {
      const view = archiveStatus({ ...base, ...input });
      assert.equal(view.fill, fill);
      assert.equal(view.shape, shape);
      assert.equal(view.key, key);
      for (const [k, v] of Object.entries(params)) assert.equal(view.params[k], v);
    });
  }
});
