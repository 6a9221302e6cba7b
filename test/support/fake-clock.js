'use strict';
// A fake Clock (src/core/clock.ts) for core and node tests: time moves only when the test says.
//
//   const { FakeClock } = require('../support/fake-clock');
//   const clock = new FakeClock();
//   await clock.advance(1_000);          // fires due timers in order, letting promises settle
//
// Node tests hand it to the nodes through the runtime settings (src/nodes/shared/clock.ts reads
// `telemetryClock`):
//   const clock = installFakeClock(helper, { start });   // before helper.load
// and reset them in afterEach with helper.settings({}).

/** Lets pending promise callbacks and I/O callbacks of already-finished work run. */
function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

const MAX_TIMER_DELAY_MS = 2_147_483_647;

class FakeClock {
  constructor(start = 1_000_000) {
    this.t = start;
    this.timers = new Map();
    this.seq = 0;
    // Bound, so `clock.now` can be passed around like Date.now.
    this.now = this.now.bind(this);
    this.setTimeout = this.setTimeout.bind(this);
    this.clearTimeout = this.clearTimeout.bind(this);
  }

  now() {
    return this.t;
  }

  setTimeout(fn, ms) {
    const id = ++this.seq;
    // As Node does: a delay past 2^31 − 1 ms (or not a number) becomes 1 ms.
    const delay = ms > MAX_TIMER_DELAY_MS || !(ms >= 0) ? 1 : ms;
    this.timers.set(id, { at: this.t + delay, fn });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** Timers armed and not yet fired. */
  get pending() {
    return this.timers.size;
  }

  /** When the next timer fires (Infinity when none is armed). */
  nextAt() {
    let at = Infinity;
    for (const timer of this.timers.values()) at = Math.min(at, timer.at);
    return at;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle. */
  async advance(ms) {
    const end = this.t + ms;
    await settle();
    for (;;) {
      let next;
      for (const [id, timer] of this.timers) if (timer.at <= end && (!next || timer.at < next[1].at)) next = [id, timer];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Moves time to the epoch ms `at` (never backwards). */
  async advanceTo(at) {
    await this.advance(Math.max(0, at - this.t));
  }
}

/**
 * Runs the nodes that `helper` (node-red-node-test-helper) loads next on a new FakeClock
 * starting at `start`, with any other runtime `settings`; returns the clock. Undo with
 * `helper.settings({})`.
 */
function installFakeClock(helper, { start, settings = {} } = {}) {
  const clock = new FakeClock(start);
  helper.settings({ ...settings, telemetryClock: clock });
  return clock;
}

/**
 * Mocha hooks for a describe of node tests: each test runs on a new FakeClock (handed to
 * `onClock`), and its flow is unloaded and the settings reset after it.
 */
function fakeClockPerTest(helper, { start, settings = {} }, onClock) {
  beforeEach(() => onClock(installFakeClock(helper, { start, settings })));
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });
}

module.exports = { FakeClock, installFakeClock, fakeClockPerTest, settle };
