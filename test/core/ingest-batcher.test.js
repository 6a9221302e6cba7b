'use strict';
const assert = require('assert');
const { ReadingBatcher } = require('../../dist/core/ingest/batcher');

const reading = (v) => ({ measurement: 'm', tags: {}, fields: { v }, timestamp: v });
const values = (batch) => batch.map((r) => r.fields.v);

describe('ingest micro-batcher', function () {
  it('holds readings until the batch is full, then returns it at once', function () {
    const b = new ReadingBatcher(3, 1000);
    assert.deepStrictEqual(b.add([reading(1), reading(2)], 0), []);
    assert.strictEqual(b.length, 2);
    const full = b.add([reading(3)], 10);
    assert.deepStrictEqual(full.map(values), [[1, 2, 3]]);
    assert.strictEqual(b.length, 0);
    assert.strictEqual(b.deadline, undefined);
  });

  it('one big message completes several batches, oldest first', function () {
    const b = new ReadingBatcher(2, 1000);
    const full = b.add([1, 2, 3, 4, 5].map(reading), 0);
    assert.deepStrictEqual(full.map(values), [[1, 2], [3, 4]]);
    assert.deepStrictEqual(values(b.flush()), [5]);
  });

  it('the deadline is the first pending reading\'s arrival + interval', function () {
    const b = new ReadingBatcher(10, 1000);
    b.add([reading(1)], 500);
    b.add([reading(2)], 900);
    assert.strictEqual(b.deadline, 1500);
  });

  describe('due(now)', function () {
    const cases = [
      [1499, undefined],
      [1500, [1, 2]],
      [9999, [1, 2]],
    ];
    for (const [now, expected] of cases) {
      it(`at ${now}: ${expected ? 'the batch' : 'nothing yet'}`, function () {
        const b = new ReadingBatcher(10, 1000);
        b.add([reading(1)], 500);
        b.add([reading(2)], 900);
        const batch = b.due(now);
        assert.deepStrictEqual(batch && values(batch), expected);
      });
    }
  });

  it('a new batch after a full one gets its own deadline', function () {
    const b = new ReadingBatcher(2, 1000);
    b.add([reading(1), reading(2)], 0);
    b.add([reading(3)], 700);
    assert.strictEqual(b.deadline, 1700);
    assert.strictEqual(b.due(1000), undefined);
  });

  it('flush takes whatever is pending, and nothing when empty', function () {
    const b = new ReadingBatcher(10, 1000);
    assert.strictEqual(b.flush(), undefined);
    b.add([reading(1)], 0);
    assert.deepStrictEqual(values(b.flush()), [1]);
    assert.strictEqual(b.flush(), undefined);
  });

  it('never holds more than size - 1 readings (the memory bound)', function () {
    const b = new ReadingBatcher(100, 1000);
    for (let i = 0; i < 10_000; i++) {
      b.add([reading(i)], i);
      assert.ok(b.length < 100);
    }
  });

  for (const size of [0, -1, 1.5, NaN]) {
    it(`refuses size ${size}`, function () {
      assert.throws(() => new ReadingBatcher(size, 1000), RangeError);
    });
  }
});
