'use strict';
const assert = require('assert');
const { FakeClock } = require('../support/fake-clock');
const { DeadlineTimer, Ticker } = require('../../dist/nodes/shared/deadline-timer');
const { StatusThrottle } = require('../../dist/nodes/shared/status-throttle');

const DAY = 86_400_000;

describe('shared/deadline-timer (one timer on an injected clock)', function () {
  let clock;
  beforeEach(() => (clock = new FakeClock()));

  it('fires once at the deadline, with the time it fired', async function () {
    const fired = [];
    const timer = new DeadlineTimer(clock, (now) => fired.push(now));
    timer.at(clock.now() + 500);
    await clock.advance(499);
    assert.deepStrictEqual(fired, []);
    await clock.advance(1);
    assert.deepStrictEqual(fired, [clock.now()]);
    await clock.advance(10_000);
    assert.strictEqual(fired.length, 1);
  });

  it('atEarliest keeps the earlier of two deadlines', async function () {
    const fired = [];
    const timer = new DeadlineTimer(clock, (now) => fired.push(now));
    const start = clock.now();
    timer.atEarliest(start + 300);
    timer.atEarliest(start + 900);
    timer.atEarliest(undefined);
    assert.strictEqual(timer.deadline, start + 300);
    timer.atEarliest(start + 100);
    await clock.advance(1_000);
    assert.deepStrictEqual(fired, [start + 100]);
    assert.strictEqual(clock.pending, 0);
  });

  it('a 30-day deadline fires after 30 days — not after 1 ms (setTimeout overflows at 24.8 days)', async function () {
    let calls = 0;
    const timer = new DeadlineTimer(clock, () => calls++);
    timer.after(30 * DAY);
    await clock.advance(1);
    assert.strictEqual(calls, 0);
    await clock.advance(30 * DAY - 2);
    assert.strictEqual(calls, 0);
    await clock.advance(1);
    assert.strictEqual(calls, 1);
  });

  it('stop() cancels for good: later arming does nothing', async function () {
    let calls = 0;
    const timer = new DeadlineTimer(clock, () => calls++);
    timer.after(100);
    timer.stop();
    timer.after(100);
    await clock.advance(1_000);
    assert.strictEqual(calls, 0);
    assert.strictEqual(clock.pending, 0);
  });

  it('afterUnlessArmed keeps the first deadline (a debounce)', async function () {
    const fired = [];
    const timer = new DeadlineTimer(clock, (now) => fired.push(now));
    const start = clock.now();
    timer.afterUnlessArmed(1_000);
    await clock.advance(600);
    timer.afterUnlessArmed(1_000);
    await clock.advance(1_000);
    assert.deepStrictEqual(fired, [start + 1_000]);
  });

  it('a Ticker fires every period, 30-day periods included, until stopped', async function () {
    let calls = 0;
    const ticker = new Ticker(clock, 30 * DAY, () => calls++);
    await clock.advance(90 * DAY);
    assert.strictEqual(calls, 3);
    ticker.stop();
    await clock.advance(90 * DAY);
    assert.strictEqual(calls, 3);
  });
});

describe('shared/status-throttle (at most one status per second)', function () {
  let clock, shown, throttle;
  beforeEach(() => {
    clock = new FakeClock();
    shown = [];
    throttle = new StatusThrottle({ status: (s) => shown.push(s.text) }, clock);
  });

  it('shows the first status at once and the last of a burst one interval later', async function () {
    throttle.set({ text: 'a' });
    throttle.set({ text: 'b' });
    throttle.set({ text: 'c' });
    assert.deepStrictEqual(shown, ['a']);
    await clock.advance(999);
    assert.deepStrictEqual(shown, ['a']);
    await clock.advance(1);
    assert.deepStrictEqual(shown, ['a', 'c']);
  });

  it('force shows a state change at once', function () {
    throttle.set({ text: 'a' });
    throttle.set({ text: 'disconnected' }, true);
    assert.deepStrictEqual(shown, ['a', 'disconnected']);
  });

  it('does not repeat an unchanged status', async function () {
    throttle.set({ text: 'a' });
    await clock.advance(2_000);
    throttle.set({ text: 'a' });
    assert.deepStrictEqual(shown, ['a']);
  });

  it('builds a status given as a function only when it is shown: once per interval, not per call', async function () {
    let built = 0;
    const build = () => ({ text: `built ${++built}` });
    for (let i = 0; i < 1_000; i++) throttle.set(build);
    assert.deepStrictEqual([shown, built], [['built 1'], 1]);
    await clock.advance(1_000);
    assert.deepStrictEqual([shown, built], [['built 1', 'built 2'], 2]);
  });

  it('close() drops the pending status', async function () {
    throttle.set({ text: 'a' });
    throttle.set({ text: 'b' });
    throttle.close();
    await clock.advance(5_000);
    assert.deepStrictEqual(shown, ['a']);
    assert.strictEqual(clock.pending, 0);
  });
});
