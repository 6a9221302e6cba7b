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

describe('ingest micro-batcher, automatic mode (the default: ≤ 1,000 readings, 2 ms window)', function () {
  const { AUTO_BATCH } = require('../../dist/core/ingest/config');
  const { DeadlineTimer } = require('../../dist/nodes/shared/deadline-timer');
  const { FakeClock } = require('../support/fake-clock');

  /**
   * Feeds `arrivals` ([at ms, number of readings], in order; the same `at` = the same event-loop
   * turn) through the batcher driven as the ingest node drives it (one DeadlineTimer on the
   * clock); returns the batches sent as [sent at, size].
   */
  async function drive(arrivals) {
    const clock = new FakeClock(0);
    const b = new ReadingBatcher(AUTO_BATCH.size, AUTO_BATCH.intervalMs);
    const sent = [];
    const timer = new DeadlineTimer(clock, (now) => {
      const batch = b.due(now);
      if (batch) sent.push([now, batch.length]);
      timer.atEarliest(b.deadline);
    });
    let v = 0;
    for (const [at, count] of arrivals) {
      await clock.advanceTo(at);
      const readings = Array.from({ length: count }, () => reading(v++));
      for (const full of b.add(readings, clock.now())) sent.push([clock.now(), full.length]);
      timer.atEarliest(b.deadline);
    }
    await clock.advance(1_000);
    return sent;
  }

  const cases = [
    ['idle: one reading at a time, each alone, 2 ms after it came', [[0, 1], [100, 1], [250, 1]], [[2, 1], [102, 1], [252, 1]]],
    ['a burst in one turn: one batch', [[0, 1], [0, 1], [0, 1], [0, 1]], [[2, 4]]],
    // The timer due at 2 fires before what arrives at 2 (the clock's order, and the real one's).
    ['arrivals within the window join the first one', [[0, 1], [1, 1], [2, 1], [3, 1]], [[2, 2], [4, 2]]],
    ['1,500 in one turn: a full 1,000 at once, the rest after the window', [[0, 1500]], [[0, 1000], [2, 500]]],
    ['steady load of 100 per ms: batches of ~2 ms of traffic', [[0, 100], [1, 100], [2, 100], [3, 100], [4, 100]], [[2, 200], [4, 200], [6, 100]]],
  ];
  for (const [title, arrivals, expected] of cases) {
    it(title, async function () {
      assert.deepStrictEqual(await drive(arrivals), expected);
    });
  }
});
