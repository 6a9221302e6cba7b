'use strict';
const assert = require('node:assert/strict');
const { Batcher } = require('../../dist/core/archive/batcher');

const db = (database, retentionPolicy) => ({ database, retentionPolicy });
const A = db('telemetry');

describe('archive/batcher', function () {
  it('closes a batch when it reaches batchSize', function () {
    const batcher = new Batcher({ batchSize: 3, flushIntervalMs: 1000 });
    assert.deepEqual(batcher.addLines(A, ['a'], 0), []);
    assert.deepEqual(batcher.addLines(A, ['b'], 1), []);
    const [batch] = batcher.addLines(A, ['c'], 2);
    assert.deepEqual(batch.buffer.lines(), ['a', 'b', 'c']);
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
      times.forEach((t, i) => batcher.addLines(A, [`l${i}`], t));
      const due = batcher.due(at);
      assert.equal(due.reduce((n, b) => n + b.buffer.count, 0), expected);
    });
  }

  it('tells when the next batch falls due', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    assert.equal(batcher.nextDeadline(), undefined);
    batcher.addLines(A, ['x'], 250);
    batcher.addLines(db('other'), ['y'], 400);
    assert.equal(batcher.nextDeadline(), 1250);
  });

  it('keeps one batch per database and retention policy', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    batcher.addLines(A, ['a1'], 0);
    batcher.addLines(db('telemetry', 'weekly'), ['w1'], 0);
    batcher.addLines(db('other'), ['o1'], 0);
    batcher.addLines(A, ['a2'], 0);
    const batches = batcher.drain();
    assert.deepEqual(
      batches.map((b) => [b.database, b.retentionPolicy, b.buffer.lines()]),
      [
        ['telemetry', undefined, ['a1', 'a2']],
        ['telemetry', 'weekly', ['w1']],
        ['other', undefined, ['o1']],
      ],
    );
  });

  it('closes the oldest batch when too many destinations are open (memory bound)', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000, maxOpen: 2 });
    batcher.addLines(db('a'), ['a'], 0);
    batcher.addLines(db('b'), ['b'], 0);
    const closed = batcher.addLines(db('c'), ['c'], 0);
    assert.deepEqual(closed.map((b) => b.database), ['a']);
  });

  it('closes a batch once it reaches maxBatchBytes', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000, maxBatchBytes: 10 });
    assert.deepEqual(batcher.addLines(A, ['xxxx'], 0), []);
    const closed = batcher.addLines(A, ['yyyyyy', 'z'], 0); // 4 + 1 + 6 = 11 ≥ 10
    assert.deepEqual(closed.map((b) => b.buffer.lines()), [['xxxx', 'yyyyyy']]);
    assert.equal(batcher.pendingLines, 1);
  });

  it('validates readings on the way in and reports the invalid ones by index', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    const refused = [];
    batcher.addReadings(A, [
      { measurement: 'm', tags: { d: 'a' }, fields: { v: 1 }, timestamp: 1 },
      { measurement: 'm', fields: {}, timestamp: 2 },
      { measurement: 'm b', fields: { v: 3 }, timestamp: 3 },
    ], 0, (index, refusal) => refused.push([index, refusal.code]));
    assert.deepEqual(refused, [[1, 'NO_FIELDS']]);
    assert.deepEqual(batcher.drain()[0].buffer.lines(), ['m,d=a v=1 1', 'm\\ b v=3 3']);
  });

  it('opens no batch for a message of invalid readings only', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    batcher.addReadings(A, ['x'], 0, () => {});
    assert.equal(batcher.nextDeadline(), undefined);
  });

  it('counts bytes as the body will be: lines plus newlines', function () {
    const batcher = new Batcher({ batchSize: 100, flushIntervalMs: 1000 });
    batcher.addLines(A, ['abc', 'de'], 0);
    assert.equal(batcher.drain()[0].buffer.bytes, 'abc\nde'.length);
  });
});
