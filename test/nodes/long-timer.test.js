'use strict';
const assert = require('assert');
const sinon = require('sinon');
const { setLongTimeout, setLongInterval } = require('../../dist/nodes/shared/long-timer');

const DAY = 86_400_000;

describe('shared/long-timer (durations past setTimeout\'s 24.8-day limit)', function () {
  let clock;
  beforeEach(() => (clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1) })));
  afterEach(() => clock.restore());

  it('a 30-day timeout fires once, after 30 days — not after 1 ms', function () {
    let calls = 0;
    setLongTimeout(() => calls++, 30 * DAY);
    clock.tick(1);
    assert.strictEqual(calls, 0);
    clock.tick(29 * DAY);
    assert.strictEqual(calls, 0);
    clock.tick(DAY);
    assert.strictEqual(calls, 1);
    clock.tick(60 * DAY);
    assert.strictEqual(calls, 1);
  });

  it('a 30-day interval fires every 30 days until cleared', function () {
    let calls = 0;
    const timer = setLongInterval(() => calls++, 30 * DAY);
    clock.tick(90 * DAY);
    assert.strictEqual(calls, 3);
    timer.clear();
    clock.tick(90 * DAY);
    assert.strictEqual(calls, 3);
  });

  it('short delays behave like setTimeout', function () {
    let calls = 0;
    const timer = setLongTimeout(() => calls++, 500);
    clock.tick(499);
    assert.strictEqual(calls, 0);
    clock.tick(1);
    assert.strictEqual(calls, 1);
    timer.clear();
  });
});
