'use strict';
// within(clock, promise, ms) (src/core/clock.ts): a promise raced against a timer on the injected clock.
const assert = require('node:assert/strict');
const { within } = require('../../dist/core/clock');
const { FakeClock } = require('../support/fake-clock');

describe('core: within', function () {
  it('passes the value on when the promise settles first, and clears its timer', async function () {
    const clock = new FakeClock();
    assert.equal(await within(clock, Promise.resolve(7), 1000), 7);
    await assert.rejects(within(clock, Promise.reject(new Error('no')), 1000), /no/);
    let late = false;
    await clock.advance(2000).then(() => (late = true));
    assert.ok(late);
  });

  it('rejects with the given error once the time has passed on the clock', async function () {
    const clock = new FakeClock();
    const never = new Promise(() => undefined);
    const raced = within(clock, never, 1000, () => new Error('too slow'));
    let settled = false;
    raced.catch(() => (settled = true));
    await clock.advance(999);
    assert.equal(settled, false);
    await clock.advance(1);
    await assert.rejects(raced, /too slow/);
  });
});
