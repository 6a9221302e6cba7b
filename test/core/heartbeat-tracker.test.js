'use strict';
// HeartbeatTracker with an explicit clock: each scenario is a script of steps and the state
// changes they must produce (and only those: changes only, never repeated).
const assert = require('assert');
const { HeartbeatTracker } = require('../../dist/core/heartbeat/tracker');
const { parseSnapshot } = require('../../dist/core/heartbeat/snapshot');

// Steps:
//   ['beat', device, now, timeoutMs?]       a heartbeat
//   ['at', now]                             advance the clock to `now` (everything due)
//   ['expect', [[device, status, lastSeen, silentMs], ...]]   changes since the last 'expect'
//   ['expectFlaps', [[device, status, lastSeen, silentMs, flaps], ...]]   the same, with flaps
//   ['counts', total, up, down]
//   ['forget', device, now]
//   ['reset', now]
function run(options, steps, start = 0) {
  const tracker = new HeartbeatTracker(options, start);
  let changes = [];
  for (const step of steps) {
    const [op, ...args] = step;
    if (op === 'beat') {
      assert.strictEqual(tracker.beat(args[0], args[1], args[2], changes), true, `beat ${args[0]}`);
    } else if (op === 'at') {
      while (tracker.advance(args[0], 1_000, changes));
    } else if (op === 'expect') {
      const got = changes.map((c) => [c.device, c.status, c.lastSeen, c.silentMs]);
      assert.deepStrictEqual(got, args[0], `changes at step ${JSON.stringify(step)}`);
      changes = [];
    } else if (op === 'expectFlaps') {
      // [[device, status, lastSeen, silentMs, flaps], ...]
      const got = changes.map((c) => [c.device, c.status, c.lastSeen, c.silentMs, c.flaps]);
      assert.deepStrictEqual(got, args[0], `changes at step ${JSON.stringify(step)}`);
      changes = [];
    } else if (op === 'counts') {
      assert.deepStrictEqual([tracker.total, tracker.up, tracker.down], args, 'total/up/down');
    } else if (op === 'forget') {
      const change = tracker.forget(args[0], args[1]);
      if (change) changes.push(change);
    } else if (op === 'reset') {
      tracker.reset(args[0]);
    } else {
      throw new Error(`unknown step ${op}`);
    }
  }
  assert.deepStrictEqual(changes, [], 'changes left unchecked at the end');
  return tracker;
}

describe('core/heartbeat tracker: timeouts and recoveries', function () {
  const T = { timeoutMs: 1_000 };
  const scenarios = [
    ['a new device raises no change', T, [['beat', 'a', 0], ['at', 999], ['expect', []], ['counts', 1, 1, 0]]],
    ['down exactly when silent for the timeout', T, [['beat', 'a', 0], ['at', 999], ['expect', []], ['at', 1_000], ['expect', [['a', 'down', 0, 1_000]]]]],
    ['down once, never repeated', T, [['beat', 'a', 0], ['at', 1_000], ['expect', [['a', 'down', 0, 1_000]]], ['at', 50_000], ['expect', []], ['counts', 1, 0, 1]]],
    ['silentMs is measured when detected', T, [['beat', 'a', 100], ['at', 1_700], ['expect', [['a', 'down', 100, 1_600]]]]],
    ['each heartbeat pushes the deadline', T, [['beat', 'a', 0], ['beat', 'a', 900], ['at', 1_899], ['expect', []], ['at', 1_900], ['expect', [['a', 'down', 900, 1_000]]]]],
    ['up once on return, with the silence it ends', T, [['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 5_000], ['beat', 'a', 5_001], ['expect', [['a', 'down', 0, 1_000], ['a', 'up', 0, 5_000]]], ['counts', 1, 1, 0]]],
    ['after recovery it can go down again', T, [['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 2_000], ['at', 3_000], ['expect', [['a', 'down', 0, 1_000], ['a', 'up', 0, 2_000], ['a', 'down', 2_000, 1_000]]]]],
    ['devices are independent', T, [['beat', 'a', 0], ['beat', 'b', 500], ['at', 1_200], ['expect', [['a', 'down', 0, 1_000 + 200]]], ['counts', 2, 1, 1]]],
    ['simultaneous deadlines all fire, earliest first', T, [['beat', 'b', 10], ['beat', 'a', 0], ['beat', 'c', 10], ['at', 5_000], ['expect', [['a', 'down', 0, 5_000], ['b', 'down', 10, 4_990], ['c', 'down', 10, 4_990]]]]],
    ['a clock that goes back never yields a negative silence', T, [['beat', 'a', 5_000], ['beat', 'a', 4_000], ['at', 5_000], ['expect', [['a', 'down', 4_000, 1_000]]]]],
  ];
  for (const [title, options, steps] of scenarios) it(title, () => run(options, steps));

  it('advance yields after maxSteps and reports that more are due', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 10 }, 0);
    for (let i = 0; i < 25; i++) tracker.beat(`d${i}`, 0, undefined, []);
    const changes = [];
    assert.strictEqual(tracker.advance(100, 10, changes), true);
    assert.strictEqual(changes.length, 10);
    assert.strictEqual(tracker.advance(100, 10, changes), true);
    assert.strictEqual(tracker.advance(100, 10, changes), false);
    assert.strictEqual(changes.length, 25);
  });

  it('nextDueAt is the earliest deadline, Infinity when nothing is scheduled', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 1_000 }, 0);
    assert.strictEqual(tracker.nextDueAt(), Infinity);
    tracker.beat('a', 200, undefined, []);
    tracker.beat('b', 100, undefined, []);
    assert.strictEqual(tracker.nextDueAt(), 1_100);
  });

  it('every change carries the timeout in force and the detection time', function () {
    const changes = [];
    const tracker = new HeartbeatTracker({ timeoutMs: 1_000 }, 0);
    tracker.beat('a', 0, 300, changes);
    tracker.advance(400, 10, changes);
    assert.deepStrictEqual(changes, [{ device: 'a', status: 'down', lastSeen: 0, silentMs: 400, timeoutMs: 300, at: 400, flaps: 0 }]);
  });
});

describe('core/heartbeat tracker: per-device timeouts', function () {
  const T = { timeoutMs: 1_000 };
  const scenarios = [
    ['a longer timeout from the heartbeat', T, [['beat', 'a', 0, 5_000], ['at', 4_999], ['expect', []], ['at', 5_000], ['expect', [['a', 'down', 0, 5_000]]]]],
    ['a shorter timeout from the heartbeat', T, [['beat', 'a', 0], ['beat', 'a', 10, 100], ['at', 110], ['expect', [['a', 'down', 10, 100]]]]],
    ['the timeout of the last heartbeat applies (back to the default)', T, [['beat', 'a', 0, 5_000], ['beat', 'a', 100], ['at', 1_100], ['expect', [['a', 'down', 100, 1_000]]]]],
    ['other devices keep the default', T, [['beat', 'a', 0, 5_000], ['beat', 'b', 0], ['at', 1_000], ['expect', [['b', 'down', 0, 1_000]]]]],
  ];
  for (const [title, options, steps] of scenarios) it(title, () => run(options, steps));
});

describe('core/heartbeat tracker: expected devices', function () {
  const E = { timeoutMs: 1_000, expected: ['x', 'y'] };
  const scenarios = [
    ['counted from the start', E, [['counts', 2, 2, 0]]],
    ['down after the timeout from start when never seen, lastSeen null', E, [['at', 999], ['expect', []], ['at', 1_000], ['expect', [['x', 'down', null, 1_000], ['y', 'down', null, 1_000]]]]],
    ['a report in time keeps it up', E, [['beat', 'x', 500], ['at', 1_000], ['expect', [['y', 'down', null, 1_000]]], ['at', 1_500], ['expect', [['x', 'down', 500, 1_000]]]]],
    ['up when it first reports after being down', E, [['at', 1_000], ['beat', 'x', 3_000], ['expect', [['x', 'down', null, 1_000], ['y', 'down', null, 1_000], ['x', 'up', null, 3_000]]]]],
    ['never retired, even with forgetAfter', { ...E, forgetAfterMs: 5_000 }, [['beat', 'z', 1], ['at', 100_000], ['expect', [['x', 'down', null, 100_000], ['y', 'down', null, 100_000], ['z', 'down', 1, 99_999], ['z', 'retired', 1, 99_999]]], ['counts', 2, 0, 2]]],
    ['reset forgets all but the expected, whose grace starts again', E, [['beat', 'a', 0], ['reset', 800], ['counts', 2, 2, 0], ['at', 1_799], ['expect', []], ['at', 1_800], ['expect', [['x', 'down', null, 1_000], ['y', 'down', null, 1_000]]]]],
  ];
  for (const [title, options, steps] of scenarios) it(title, () => run(options, steps));

  it('takes a per-device timeout for a never-seen expected device', function () {
    run({ ...E, expectedTimeoutMs: (d) => (d === 'x' ? 3_000 : undefined) }, [['at', 1_000], ['expect', [['y', 'down', null, 1_000]]], ['at', 3_000], ['expect', [['x', 'down', null, 3_000]]]]);
  });
});

describe('core/heartbeat tracker: retirement (forgetAfter)', function () {
  const F = { timeoutMs: 1_000, forgetAfterMs: 10_000 };
  const scenarios = [
    ['retired once when silent for forgetAfter, and dropped', F, [['beat', 'a', 0], ['at', 9_999], ['expect', [['a', 'down', 0, 9_999]]], ['at', 10_000], ['expect', [['a', 'retired', 0, 10_000]]], ['counts', 0, 0, 0], ['at', 100_000], ['expect', []]]],
    ['a device that returns before forgetAfter is kept', F, [['beat', 'a', 0], ['at', 5_000], ['beat', 'a', 6_000], ['at', 12_000], ['expect', [['a', 'down', 0, 1_000 + 4_000], ['a', 'up', 0, 6_000], ['a', 'down', 6_000, 6_000]]], ['counts', 1, 0, 1]]],
    ['a retired device that returns is new again: no change', F, [['beat', 'a', 0], ['at', 10_000], ['expect', [['a', 'down', 0, 10_000], ['a', 'retired', 0, 10_000]]], ['beat', 'a', 20_000], ['expect', []], ['counts', 1, 1, 0]]],
    ['without forgetAfter a down device stays down', { timeoutMs: 1_000 }, [['beat', 'a', 0], ['at', 1e12], ['expect', [['a', 'down', 0, 1e12]]], ['counts', 1, 0, 1]]],
    ['forget drops a device at once with a retired change', F, [['beat', 'a', 0], ['forget', 'a', 300], ['expect', [['a', 'retired', 0, 300]]], ['counts', 0, 0, 0], ['at', 5_000], ['expect', []]]],
    ['forget of an unknown device changes nothing', F, [['forget', 'nobody', 0], ['expect', []]]],
    ['forget of a down device keeps the counts right', F, [['beat', 'a', 0], ['beat', 'b', 0], ['at', 1_000], ['forget', 'a', 1_000], ['expect', [['a', 'down', 0, 1_000], ['b', 'down', 0, 1_000], ['a', 'retired', 0, 1_000]]], ['counts', 1, 0, 1]]],
  ];
  for (const [title, options, steps] of scenarios) it(title, () => run(options, steps));

  it('reuses the slots of retired devices (the registry does not grow)', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 10, forgetAfterMs: 20 }, 0);
    const changes = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) tracker.beat(`r${round}-${i}`, round * 100, undefined, changes);
      while (tracker.advance(round * 100 + 50, 1_000, changes));
    }
    assert.strictEqual(tracker.total, 0);
    assert.strictEqual(tracker.capacity, 1_024, 'the first allocation of slots was never outgrown');
  });
});

describe('core/heartbeat tracker: registry bound', function () {
  it('refuses heartbeats of new devices when full, keeps known ones', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 1_000, maxDevices: 2 }, 0);
    const changes = [];
    assert.strictEqual(tracker.beat('a', 0, undefined, changes), true);
    assert.strictEqual(tracker.beat('b', 0, undefined, changes), true);
    assert.strictEqual(tracker.beat('c', 0, undefined, changes), false);
    assert.strictEqual(tracker.beat('a', 10, undefined, changes), true);
    assert.strictEqual(tracker.total, 2);
  });

  it('a forgotten device frees its place', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 1_000, maxDevices: 1 }, 0);
    tracker.beat('a', 0, undefined, []);
    tracker.forget('a', 1);
    assert.strictEqual(tracker.beat('b', 2, undefined, []), true);
  });
});

describe('core/heartbeat tracker: summary', function () {
  it('counts and lists down devices, longest silent (never seen) first', function () {
    const tracker = run({ timeoutMs: 1_000, expected: ['never'] }, [['beat', 'late', 300], ['beat', 'early', 100], ['beat', 'fine', 0], ['beat', 'fine', 4_000], ['at', 4_500], ['expect', [['never', 'down', null, 4_500], ['early', 'down', 100, 4_400], ['late', 'down', 300, 4_200]]]]);
    assert.deepStrictEqual(tracker.summary(100), { total: 4, up: 1, down: 3, downDevices: ['never', 'early', 'late'] });
  });

  it('caps downDevices at the limit and keeps the longest silent', function () {
    const tracker = new HeartbeatTracker({ timeoutMs: 10 }, 0);
    // Seen in descending order of time so each one must displace the last kept.
    for (let i = 200; i > 0; i--) tracker.beat(`d${i}`, i, undefined, []);
    while (tracker.advance(10_000, 1_000, []));
    const summary = tracker.summary(5);
    assert.strictEqual(summary.down, 200);
    assert.deepStrictEqual(summary.downDevices, ['d1', 'd2', 'd3', 'd4', 'd5']);
  });

  it('a limit of 0 lists none', function () {
    const tracker = run({ timeoutMs: 1 }, [['beat', 'a', 0], ['at', 5], ['expect', [['a', 'down', 0, 5]]]]);
    assert.deepStrictEqual(tracker.summary(0).downDevices, []);
  });
});

describe('core/heartbeat tracker: persistence', function () {
  function roundTrip(tracker, now, options, restartAt) {
    const json = JSON.parse(JSON.stringify(tracker.snapshot(now)));
    const parsed = parseSnapshot(json);
    assert.ok(parsed.ok, parsed.reason);
    const restored = new HeartbeatTracker(options, restartAt);
    return { restored, report: restored.restore(parsed.snapshot) };
  }

  it('round-trips devices, states, last-seen times and per-device timeouts', function () {
    const options = { timeoutMs: 1_000 };
    const tracker = run(options, [['beat', 'up', 900], ['beat', 'down', 0], ['beat', 'slow', 800, 60_000], ['at', 1_000], ['expect', [['down', 'down', 0, 1_000]]]]);
    const { restored, report } = roundTrip(tracker, 1_000, options, 1_000);
    assert.deepStrictEqual(report, { restored: 3, dropped: 0 });
    assert.deepStrictEqual(restored.snapshot(1_000), tracker.snapshot(1_000));
    assert.deepStrictEqual([restored.total, restored.up, restored.down], [3, 2, 1]);
  });

  it('no false alerts after a restart: restored devices get a fresh timeout from start', function () {
    const options = { timeoutMs: 1_000 };
    const tracker = run(options, [['beat', 'a', 0], ['beat', 'b', 500]]);
    // Node-RED was stopped for an hour: both are far past their deadline.
    const { restored } = roundTrip(tracker, 600, options, 3_600_000);
    const changes = [];
    while (restored.advance(3_600_999, 100, changes));
    assert.deepStrictEqual(changes, []);
    restored.beat('a', 3_600_500, undefined, changes);
    assert.deepStrictEqual(changes, [], 'a report during the grace is no recovery: it never went down');
  });

  it('devices that went quiet while stopped are reported after the grace with their real silence', function () {
    const options = { timeoutMs: 1_000 };
    const tracker = run(options, [['beat', 'a', 0]]);
    const { restored } = roundTrip(tracker, 100, options, 3_600_000);
    const changes = [];
    while (restored.advance(3_601_000, 100, changes));
    assert.deepStrictEqual(changes.map((c) => [c.device, c.status, c.lastSeen, c.silentMs]), [['a', 'down', 0, 3_601_000]]);
  });

  it('devices already reported down stay down quietly, and come up once', function () {
    const options = { timeoutMs: 1_000 };
    const tracker = run(options, [['beat', 'a', 0], ['at', 1_000], ['expect', [['a', 'down', 0, 1_000]]]]);
    const { restored } = roundTrip(tracker, 1_000, options, 50_000);
    const changes = [];
    while (restored.advance(60_000, 100, changes));
    assert.deepStrictEqual(changes, []);
    restored.beat('a', 60_000, undefined, changes);
    assert.deepStrictEqual(changes.map((c) => [c.device, c.status, c.lastSeen, c.silentMs]), [['a', 'up', 0, 60_000]]);
  });

  it('a restored down device is retired once forgetAfter has passed', function () {
    const options = { timeoutMs: 1_000, forgetAfterMs: 10_000 };
    const tracker = run(options, [['beat', 'a', 0], ['at', 1_000], ['expect', [['a', 'down', 0, 1_000]]]]);
    const { restored } = roundTrip(tracker, 1_000, options, 50_000);
    const changes = [];
    while (restored.advance(50_000, 100, changes));
    assert.deepStrictEqual(changes.map((c) => [c.device, c.status]), [['a', 'retired']]);
  });

  it('merges with the expected list: a known expected device keeps its history', function () {
    const before = { timeoutMs: 1_000, expected: ['x'] };
    const tracker = run(before, [['beat', 'x', 400]]);
    const { restored, report } = roundTrip(tracker, 500, { timeoutMs: 1_000, expected: ['x', 'new'] }, 10_000);
    assert.deepStrictEqual(report, { restored: 1, dropped: 0 });
    const changes = [];
    while (restored.advance(11_000, 100, changes));
    assert.deepStrictEqual(changes.map((c) => [c.device, c.status, c.lastSeen]), [['x', 'down', 400], ['new', 'down', null]]);
  });

  it('drops never-seen devices that are no longer expected', function () {
    const tracker = run({ timeoutMs: 1_000, expected: ['gone'] }, []);
    const { restored, report } = roundTrip(tracker, 0, { timeoutMs: 1_000 }, 10);
    assert.deepStrictEqual(report, { restored: 0, dropped: 1 });
    assert.strictEqual(restored.total, 0);
  });

  it('restores no more than maxDevices', function () {
    const tracker = run({ timeoutMs: 1_000 }, [['beat', 'a', 0], ['beat', 'b', 0], ['beat', 'c', 0]]);
    const { restored, report } = roundTrip(tracker, 0, { timeoutMs: 1_000, maxDevices: 2 }, 10);
    assert.deepStrictEqual(report, { restored: 2, dropped: 1 });
    assert.strictEqual(restored.total, 2);
  });
});

describe('core/heartbeat tracker: flap damping (issue #21)', function () {
  // Timeout 1 s, at most one down/up pair per 10 s.
  const F = { timeoutMs: 1_000, flapPeriodMs: 10_000 };
  const scenarios = [
    ['the first down/up pair goes at once', F, [['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 1_500], ['expectFlaps', [['a', 'down', 0, 1_000, 0], ['a', 'up', 0, 1_500, 0]]]]],
    ['flapping within the period: nothing sent; still down at its end: the held-back down, with the flap count', F, [
      ['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 1_500], ['expectFlaps', [['a', 'down', 0, 1_000, 0], ['a', 'up', 0, 1_500, 0]]],
      ['at', 2_500], ['beat', 'a', 3_000], ['at', 4_000], ['beat', 'a', 4_200], ['at', 5_200], ['expect', []],
      ['counts', 1, 0, 1],
      ['at', 11_499], ['expect', []],
      ['at', 11_500], ['expectFlaps', [['a', 'down', 4_200, 7_300, 2]]],
      // The next up goes at once and starts a new period; its flaps were handed over already.
      ['beat', 'a', 12_000], ['expectFlaps', [['a', 'up', 4_200, 7_800, 0]]],
      ['at', 13_000], ['at', 21_999], ['expect', []], ['at', 22_000], ['expectFlaps', [['a', 'down', 12_000, 10_000, 0]]],
    ]],
    ['back and steady by the end of the period: nothing sent; the flaps ride on its next change', F, [
      ['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 1_500], ['expect', [['a', 'down', 0, 1_000], ['a', 'up', 0, 1_500]]],
      ['at', 2_500], ...Array.from({ length: 12 }, (_, i) => ['beat', 'a', 2_600 + i * 900]), ['at', 12_500], ['expect', []], ['counts', 1, 1, 0],
      ['at', 13_500], ['expectFlaps', [['a', 'down', 12_500, 1_000, 1]]],
    ]],
    ['an up is never delayed by the period', F, [
      ['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 1_100], ['at', 2_100], ['at', 11_100], ['expect', [['a', 'down', 0, 1_000], ['a', 'up', 0, 1_100], ['a', 'down', 1_100, 10_000]]],
      ['beat', 'a', 11_101], ['expectFlaps', [['a', 'up', 1_100, 10_001, 0]]],
    ]],
    ['devices are damped independently', F, [
      ['beat', 'a', 0], ['beat', 'b', 0], ['at', 1_000], ['beat', 'a', 1_100], ['at', 2_100],
      ['expect', [['a', 'down', 0, 1_000], ['b', 'down', 0, 1_000], ['a', 'up', 0, 1_100]]],
      ['beat', 'b', 2_200], ['expect', [['b', 'up', 0, 2_200]]],
    ]],
    ['flapPeriod 0: every change is sent', { timeoutMs: 1_000, flapPeriodMs: 0 }, [
      ['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 1_500], ['at', 2_500], ['beat', 'a', 3_000],
      ['expectFlaps', [['a', 'down', 0, 1_000, 0], ['a', 'up', 0, 1_500, 0], ['a', 'down', 1_500, 1_000, 0], ['a', 'up', 1_500, 1_500, 0]]],
    ]],
    ['a device retired while its down is held back is retired, not left behind', { ...F, forgetAfterMs: 5_000 }, [
      ['beat', 'a', 0], ['at', 1_000], ['beat', 'a', 1_100], ['at', 6_100], ['expect', [['a', 'down', 0, 1_000], ['a', 'up', 0, 1_100], ['a', 'retired', 1_100, 5_000]]],
      ['counts', 0, 0, 0],
    ]],
  ];
  for (const [title, options, steps] of scenarios) it(title, () => run(options, steps));

  it('a held-back down is saved as up, so a restart reports it after its grace', function () {
    const tracker = run(F, [['beat', 'a', 0], ['beat', 'b', 0], ['at', 1_000], ['beat', 'a', 1_100], ['at', 2_100],
      ['expect', [['a', 'down', 0, 1_000], ['b', 'down', 0, 1_000], ['a', 'up', 0, 1_100]]]]);
    const snapshot = tracker.snapshot(2_100);
    assert.deepStrictEqual([snapshot.devices, snapshot.down], [['a', 'b'], '01']);
  });

  it('one device flapping around its timeout for an hour: at most one down/up pair per period, every flap counted', function () {
    // Silent for 1.2 × timeout, then beating for 0.3 s: 2,400 real outages in an hour.
    const period = 60_000;
    const tracker = new HeartbeatTracker({ timeoutMs: 1_000, flapPeriodMs: period }, 0);
    const sent = [];
    let t = 0;
    let outages = 0;
    const changes = [];
    while (t < 3_600_000) {
      tracker.beat('a', t, undefined, changes);
      tracker.beat('a', t + 300, undefined, changes);
      t += 300 + 1_200;
      while (tracker.advance(t, 1_000, changes));
      outages++;
    }
    for (const c of changes.splice(0)) sent.push(c);
    const downs = sent.filter((c) => c.status === 'down');
    const ups = sent.filter((c) => c.status === 'up');
    // Hold-back starts at each sent up, so two sent downs are at least a period apart.
    for (let i = 1; i < downs.length; i++) assert.ok(downs[i].at - downs[i - 1].at >= period, `downs ${i - 1} and ${i} closer than the period`);
    assert.ok(downs.length <= 3_600_000 / period + 1, `${downs.length} downs in an hour`);
    assert.ok(ups.length <= downs.length);
    // Every outage is either sent (a down) or counted in the flaps of a later change, except the
    // ones since the last change sent (not yet handed over) and the last, still going.
    const flaps = sent.reduce((sum, c) => sum + c.flaps, 0);
    const last = sent[sent.length - 1];
    const sinceLast = Math.floor((t - last.at) / 1_500) + 1;
    assert.ok(downs.length + flaps <= outages && downs.length + flaps >= outages - sinceLast, `${downs.length} + ${flaps} vs ${outages}`);
    assert.ok(flaps > 2_000, `${flaps} flaps counted`);
    console.log(`      FLAP-FIGURES ${JSON.stringify({ outages, downsSent: downs.length, upsSent: ups.length, flapsCounted: flaps, periodMs: period, timeoutMs: 1_000 })}`);
  });
});
