'use strict';
const assert = require('assert');
const { backoffDelay } = require('../../dist/core/backoff');

describe('core/backoff', function () {
  const opts = (random) => ({ baseMs: 1000, maxMs: 30000, random: () => random });

  it('grows exponentially up to the cap', function () {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 10, 100].map((a) => backoffDelay(a, opts(1)));
    assert.deepStrictEqual(ceilings, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('never goes below half the base delay', function () {
    for (const attempt of [0, 3, 50]) assert.strictEqual(backoffDelay(attempt, opts(0)), 500);
  });

  it('spreads retries with jitter between floor and ceiling', function () {
    assert.strictEqual(backoffDelay(3, opts(0.5)), 4250);
  });

  it('respects a cap lower than the base', function () {
    assert.strictEqual(backoffDelay(5, { baseMs: 1000, maxMs: 200, random: () => 1 }), 200);
    assert.strictEqual(backoffDelay(5, { baseMs: 1000, maxMs: 200, random: () => 0 }), 200);
  });
});
