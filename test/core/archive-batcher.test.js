'use strict';
const assert = require('node:assert/strict');
const { Batcher } = require('../../dist/core/archive/batcher');

const db = (database, retentionPolicy) => ({ database, retentionPolicy });
const A = db('telemetry');

describe('archive/batcher', function () {
  it('closes a batch when it reaches batchSize', function () {
    const batcher = new Batcher({ batchSize: 3, flushIntervalMs: 1000 });
    assert.deepEqual(batcher.add(A, 'a', 0), []);
    assert.deepEqual(batcher.add(A, 'b', 1), []);
    const [batch] = batcher.add(A, 'c', 2);
    assert.deepEqual(batch.lines, ['a', 'b', 'c']);
    assert.equal(batch.openedAt, 0);
    assert.equal(batcher.pendingLines, 0);
  });

  const dueCases = [
    // [label, add times, ask at, expected lines due]
    ['not yet due', [0, 500], 999, 0],
    ['due exactly at the interval', [0, 500], 1000, 2],
    ['the interval counts from the first line', [100, 900], 1100, 2],
  ];
  for (const [label, times, at, expected] of dueCases) {
    it(`flushInterval: ${label}`, function () {
      const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
      times.forEach((t, i) => batcher.add(A, `l${i}`, t));
      const due = batcher.due(at);
      assert.equal(due.reduce((n, b) => n + b.lines.length, 0), expected);
    });
  }

  it('tells when the next batch falls due', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    assert.equal(batcher.nextDeadline(), undefined);
    batcher.add(A, 'x', 250);
    batcher.add(db('other'), 'y', 400);
    assert.equal(batcher.nextDeadline(), 1250);
  });

  it('keeps one batch per database and retention policy', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    batcher.add(A, 'a1', 0);
    batcher.add(db('telemetry', 'weekly'), 'w1', 0);
    batcher.add(db('other'), 'o1', 0);
    batcher.add(A, 'a2', 0);
    const batches = batcher.drain();
    assert.deepEqual(
      batches.map((b) => [b.database, b.retentionPolicy, b.lines]),
      [
        ['telemetry', undefined, ['a1', 'a2']],
        ['telemetry', 'weekly', ['w1']],
        ['other', undefined, ['o1']],
      ],
    );
  });

  it('closes the oldest batch when too many destinations are open (memory bound)', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000, maxOpen: 2 });
    batcher.add(db('a'), 'a', 0);
    batcher.add(db('b'), 'b', 0);
    const closed = batcher.add(db('c'), 'c', 0);
    assert.deepEqual(closed.map((b) => b.database), ['a']);
  });

  it('closes a batch before it exceeds maxBatchBytes', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000, maxBatchBytes: 10 });
    batcher.add(A, 'xxxx', 0);
    const closed = batcher.add(A, 'yyyyyy', 0); // 4 + 1 + 6 = 11 > 10
    assert.deepEqual(closed.map((b) => b.lines), [['xxxx']]);
    assert.equal(batcher.pendingLines, 1);
  });

  it('counts bytes as the body will be: lines plus newlines', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    batcher.add(A, 'abc', 0);
    batcher.add(A, 'de', 0);
    assert.equal(batcher.drain()[0].bytes, 'abc\nde'.length);
  });
});
