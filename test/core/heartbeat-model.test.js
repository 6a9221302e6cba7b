'use strict';
// The tracker against a plain reference model (a Map of objects, every device checked on every
// advance): random heartbeats, per-device timeouts, clock jumps, forgets and restarts through
// the snapshot must produce the same changes and counts. This is what catches a lazy heap key
// that was filed too late, a lost slot, or a count that drifts.
const assert = require('assert');
const fc = require('fast-check');
const { HeartbeatTracker } = require('../../dist/core/heartbeat/tracker');
const { parseSnapshot } = require('../../dist/core/heartbeat/snapshot');

class Model {
  constructor(options, now, devices = new Map()) {
    this.options = options;
    this.graceFrom = now;
    this.devices = devices;
    for (const id of options.expected ?? []) {
      const known = this.devices.get(id);
      if (known) known.expected = true;
      else this.devices.set(id, { seen: NaN, timeout: 0, down: false, expected: true });
    }
  }

  timeoutOf(d) {
    return d.timeout > 0 ? d.timeout : this.options.timeoutMs;
  }

  change(id, d, status, now, seen) {
    return [id, status, Number.isNaN(seen) ? null : seen, Math.max(0, now - (Number.isNaN(seen) ? this.graceFrom : seen))];
  }

  beat(id, now, timeout) {
    let d = this.devices.get(id);
    if (!d) {
      if (this.devices.size >= this.options.maxDevices) return { ok: false, changes: [] };
      d = { seen: now, timeout: timeout ?? 0, down: false, expected: false };
      this.devices.set(id, d);
      return { ok: true, changes: [] };
    }
    const previous = d.seen;
    d.seen = now;
    d.timeout = timeout ?? 0;
    if (!d.down) return { ok: true, changes: [] };
    d.down = false;
    return { ok: true, changes: [this.change(id, d, 'up', now, previous)] };
  }

  advance(now) {
    const changes = [];
    for (const [id, d] of this.devices) {
      const since = Number.isNaN(d.seen) || d.seen < this.graceFrom ? this.graceFrom : d.seen;
      if (!d.down && since + this.timeoutOf(d) <= now) {
        d.down = true;
        changes.push(this.change(id, d, 'down', now, d.seen));
      }
      const forget = this.options.forgetAfterMs;
      const base = Number.isNaN(d.seen) ? this.graceFrom : d.seen;
      if (d.down && !d.expected && forget !== undefined && base + forget <= now) {
        this.devices.delete(id);
        changes.push(this.change(id, d, 'retired', now, d.seen));
      }
    }
    return changes;
  }

  forget(id, now) {
    const d = this.devices.get(id);
    if (!d) return [];
    this.devices.delete(id);
    return [this.change(id, d, 'retired', now, d.seen)];
  }

  /**
   * A restart: up devices get a new grace; never-seen ones no longer expected are dropped.
   * Like the tracker: expected devices first, then the snapshot in its order, up to maxDevices.
   */
  restart(now, order) {
    const next = new Model(this.options, now);
    for (const id of order) {
      const d = this.devices.get(id);
      const known = next.devices.get(id);
      if (known) Object.assign(known, { seen: d.seen, timeout: d.timeout, down: d.down });
      else if (!Number.isNaN(d.seen) && next.devices.size < this.options.maxDevices) next.devices.set(id, { ...d });
    }
    return next;
  }

  counts() {
    let down = 0;
    for (const d of this.devices.values()) if (d.down) down++;
    return [this.devices.size, this.devices.size - down, down];
  }
}

const sorted = (changes) => changes.map((c) => JSON.stringify(c)).sort();
const asTuples = (changes) => changes.map((c) => [c.device, c.status, c.lastSeen, c.silentMs]);

const device = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'x');
const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('beat'), device, dt: fc.nat(1_500), timeout: fc.option(fc.integer({ min: 1, max: 3_000 }), { nil: undefined }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance'), dt: fc.nat(4_000), steps: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('forget'), device }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart'), dt: fc.nat(20_000) }) },
);
const config = fc.record({
  timeoutMs: fc.integer({ min: 1, max: 2_000 }),
  forgetAfterMs: fc.option(fc.integer({ min: 2_001, max: 8_000 }), { nil: undefined }),
  expected: fc.subarray(['x', 'a']),
  maxDevices: fc.integer({ min: 2, max: 6 }), // ≥ expected.length, as the settings check
});

describe('core/heartbeat tracker against a reference model', function () {
  it('produces the same changes and counts for any sequence of operations', function () {
    fc.assert(
      fc.property(config, fc.array(op, { maxLength: 60 }), (options, ops) => {
        let now = 0;
        let tracker = new HeartbeatTracker(options, now);
        let model = new Model(options, now);
        for (const step of ops) {
          if (step.op === 'beat') {
            now += step.dt;
            // The shell always advances before it could miss a due deadline; do the same.
            const due = [];
            while (tracker.advance(now, 1_000, due));
            assert.deepStrictEqual(sorted(asTuples(due)), sorted(model.advance(now)));
            const changes = [];
            const ok = tracker.beat(step.device, now, step.timeout, changes);
            const expected = model.beat(step.device, now, step.timeout);
            assert.strictEqual(ok, expected.ok);
            assert.deepStrictEqual(asTuples(changes), expected.changes);
          } else if (step.op === 'advance') {
            now += step.dt;
            const changes = [];
            // Small step budgets: the result must not depend on how the work is sliced.
            while (tracker.advance(now, step.steps, changes));
            assert.deepStrictEqual(sorted(asTuples(changes)), sorted(model.advance(now)));
          } else if (step.op === 'forget') {
            const change = tracker.forget(step.device, now);
            assert.deepStrictEqual(change ? asTuples([change]) : [], model.forget(step.device, now));
          } else {
            const snapshot = parseSnapshot(JSON.parse(JSON.stringify(tracker.snapshot(now))));
            assert.ok(snapshot.ok, snapshot.reason);
            now += step.dt;
            tracker = new HeartbeatTracker(options, now);
            tracker.restore(snapshot.snapshot);
            model = model.restart(now, snapshot.snapshot.devices);
          }
          assert.deepStrictEqual([tracker.total, tracker.up, tracker.down], model.counts());
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
