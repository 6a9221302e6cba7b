'use strict';
const assert = require('node:assert/strict');
const { WritePlan } = require('../../dist/core/archive/write-plan');

/**
 * Plays a plan against a fake server that refuses the points in `bad` the way InfluxDB 1.x does
 * (partial write: the others are stored, `dropped` counts the refused ones) and, optionally,
 * refuses any request of more than `maxBody` points with 413.
 */
function play(size, { bad = [], maxBody = Infinity, reportDropped = true } = {}) {
  const badSet = new Set(bad);
  const plan = new WritePlan(size);
  const stored = new Set();
  const requests = [];
  for (let range = plan.current(); range; range = plan.current()) {
    requests.push([range.start, range.end]);
    const count = range.end - range.start;
    if (count > maxBody) {
      plan.tooLarge('TOO_LARGE', 'request entity too large');
      continue;
    }
    let dropped = 0;
    for (let i = range.start; i < range.end; i++) {
      if (badSet.has(i)) dropped++;
      else stored.add(i);
    }
    if (dropped === 0) plan.accept();
    else plan.refuse('REFUSED', `partial write: conflict dropped=${dropped}`, reportDropped ? dropped : undefined);
  }
  const refused = [];
  for (const r of plan.refused) for (let i = r.start; i < r.end; i++) refused.push(i);
  return { plan, stored, refused, requests };
}

describe('archive/write-plan: bisecting refused points', function () {
  const cases = [
    // [label, size, bad indexes, max requests]
    ['no bad point: one request', 1000, [], 1],
    ['one bad point in 1,000', 1000, [617], 21],
    ['the first point', 1000, [0], 21],
    ['the last point', 1000, [999], 21],
    ['two neighbours', 1000, [400, 401], 23],
    ['scattered points', 1000, [3, 250, 500, 999], 70],
    ['every point bad: one request thanks to dropped=N', 1000, Array.from({ length: 1000 }, (_, i) => i), 1],
    ['the bad half', 1000, Array.from({ length: 500 }, (_, i) => i + 500), 3],
    ['single point, bad', 1, [0], 1],
    ['two points, one bad', 2, [1], 3],
  ];
  for (const [label, size, bad, maxRequests] of cases) {
    it(`${label}: exactly the bad points are refused`, function () {
      const { refused, stored, requests, plan } = play(size, { bad });
      assert.deepEqual(refused.sort((a, b) => a - b), [...bad].sort((a, b) => a - b));
      assert.equal(stored.size, size - bad.length);
      assert.equal(plan.accepted + refused.length, size);
      assert.ok(requests.length <= maxRequests, `${requests.length} requests > ${maxRequests}`);
      assert.equal(plan.done, true);
    });
  }

  it('without a dropped count it still isolates every bad point', function () {
    const bad = [10, 11, 12, 13];
    const { refused } = play(64, { bad, reportDropped: false });
    assert.deepEqual(refused, bad);
  });

  it('hands out ranges left to right (batch order is kept)', function () {
    const { requests } = play(8, { bad: [1, 6] });
    const starts = requests.filter(([s, e]) => e - s === 1).map(([s]) => s);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
  });

  it('keeps the server reason for each refused range', function () {
    const { plan } = play(4, { bad: [2] });
    assert.deepEqual(plan.refused, [{ start: 2, end: 3, code: 'REFUSED', reason: 'partial write: conflict dropped=1' }]);
  });
});

describe('archive/write-plan: splitting a body that is too large (413)', function () {
  it('halves until the server takes it', function () {
    const { stored, refused, requests } = play(1000, { maxBody: 300 });
    assert.equal(stored.size, 1000);
    assert.deepEqual(refused, []);
    assert.ok(requests.every(([s, e]) => e - s <= 1000));
  });

  it('refuses a single point that is still too large', function () {
    const plan = new WritePlan(1);
    plan.tooLarge('TOO_LARGE', 'too large');
    assert.deepEqual(plan.refused, [{ start: 0, end: 1, code: 'TOO_LARGE', reason: 'too large' }]);
  });
});

describe('archive/write-plan: stopping early', function () {
  it('reports the unsettled ranges in order', function () {
    const plan = new WritePlan(8);
    plan.refuse('REFUSED', 'x'); // → [0,4) [4,8)
    plan.accept(); // [0,4) written
    assert.deepEqual(plan.remaining(), [{ start: 4, end: 8 }]);
  });

  it('is untouched until the first verdict', function () {
    const plan = new WritePlan(8);
    assert.equal(plan.untouched, true);
    plan.refuse('REFUSED', 'x');
    assert.equal(plan.untouched, false);
  });

  it('an empty batch is done at once', function () {
    assert.equal(new WritePlan(0).done, true);
  });
});

describe('archive/write-plan: a partial write that lists its refused lines (InfluxDB 3)', function () {
  it('refuses exactly those lines, 1-based into the current range, and counts the rest written', function () {
    const plan = new WritePlan(8);
    plan.refuse('REFUSED', 'x'); // → [0,4) [4,8); current [0,4)
    plan.accept(); // current [4,8)
    assert.equal(plan.refuseLines('REFUSED', [{ line: 3, message: 'third' }, { line: 1, message: 'first' }, { line: 3, message: 'again' }]), 2);
    assert.deepEqual(plan.refused, [
      { start: 4, end: 5, code: 'REFUSED', reason: 'first' },
      { start: 6, end: 7, code: 'REFUSED', reason: 'third' },
    ]);
    assert.equal(plan.accepted, 6);
    assert.equal(plan.done, true);
  });

  it('a line number outside the range settles nothing', function () {
    const plan = new WritePlan(4);
    assert.equal(plan.refuseLines('REFUSED', [{ line: 5, message: 'x' }]), undefined);
    assert.equal(plan.untouched, true);
  });
});
