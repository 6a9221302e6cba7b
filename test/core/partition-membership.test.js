'use strict';
// Membership from presence messages and the per-partition move planner, on plain numbers for
// time. A simulated group (members exchanging presence, moves taking a few steps) checks the
// one rule that matters: no partition is ever held by two members, and all end up held.
const assert = require('assert');
const { Membership, PRESENCE_EXPIRY_MS, parsePresence } = require('../../dist/core/partition/membership');
const { Coordinator, SETTLE_MS, RETRY_MS } = require('../../dist/core/partition/coordinator');
const { assignDynamic } = require('../../dist/core/partition/assignment');

const P = 16;
const presence = (member, owns, incarnation = 'i') => ({ member, incarnation, owns });

describe('partition membership', function () {
  it('tracks members from presence, forgets them on an empty message or after the expiry', function () {
    const m = new Membership('a', 'x');
    m.seen('b', presence('b', [1]), 0);
    m.seen('c', presence('c', []), 10_000);
    assert.deepEqual(m.live(), ['a', 'b', 'c']);
    assert.deepEqual(m.claimants(1), ['b']);
    m.seen('c', undefined, 11_000);
    assert.deepEqual(m.live(), ['a', 'b']);
    assert.equal(m.nextExpiry(), PRESENCE_EXPIRY_MS);
    assert.equal(m.expire(PRESENCE_EXPIRY_MS - 1), false);
    assert.equal(m.expire(PRESENCE_EXPIRY_MS), true);
    assert.deepEqual(m.live(), ['a']);
  });

  it('reports a second process with our member id (another incarnation), not our own echo', function () {
    const m = new Membership('a', 'x');
    m.seen('a', presence('a', [], 'x'), 0);
    assert.equal(m.conflict, undefined);
    m.seen('a', presence('a', [], 'y'), 0);
    assert.equal(m.conflict, 'y');
  });

  it('parses presence payloads: empty = gone, garbage = an Error', function () {
    assert.equal(parsePresence('b', ''), undefined);
    assert.deepEqual(parsePresence('b', '{"incarnation":"q","owns":[2,3]}'), presence('b', [2, 3], 'q'));
    assert.ok(parsePresence('b', 'nope') instanceof Error);
    assert.ok(parsePresence('b', '{"incarnation":"q","owns":["x"]}') instanceof Error);
  });
});

describe('partition coordinator', function () {
  it('takes nothing before settling, then what the assignment gives it', function () {
    const m = new Membership('a', 'x');
    const c = new Coordinator(P, { kind: 'dynamic', membership: m });
    c.start(0);
    assert.deepEqual(c.plan(SETTLE_MS - 1), { release: [], gain: [] });
    assert.equal(c.nextDeadline(0), SETTLE_MS);
    const { gain } = c.plan(SETTLE_MS);
    assert.equal(gain.length, P);
    gain.forEach((p) => c.done(p));
    assert.equal(c.owned().length, P);
  });

  it('waits for a partition another live member still claims; gains it once released', function () {
    const m = new Membership('a', 'x');
    const c = new Coordinator(P, { kind: 'dynamic', membership: m });
    m.seen('b', presence('b', [...Array(P).keys()]), 0);
    c.start(0);
    const mine = [...c.target()];
    assert.ok(mine.length > 0);
    assert.deepEqual(c.plan(SETTLE_MS).gain, []);
    assert.deepEqual(c.waiting().sort(), mine.sort());
    // b releases what a should hold
    m.seen('b', presence('b', [...Array(P).keys()].filter((p) => !mine.includes(p))), 1);
    assert.deepEqual(c.plan(SETTLE_MS + 1).gain.sort(), mine.sort());
  });

  it('releases owned partitions the assignment moves away when a member joins', function () {
    const m = new Membership('a', 'x');
    const c = new Coordinator(P, { kind: 'dynamic', membership: m });
    c.start(0);
    c.plan(SETTLE_MS).gain.forEach((p) => c.done(p));
    m.seen('b', presence('b', []), SETTLE_MS);
    const { release, gain } = c.plan(SETTLE_MS);
    const toB = assignDynamic(['a', 'b'], P).flatMap((o, p) => (o === 'b' ? [p] : []));
    assert.deepEqual(release.sort(), toB.sort());
    assert.deepEqual(gain, []);
    assert.equal(c.phaseOf(release[0]), 'releasing');
    assert.ok(c.claimed().includes(release[0]), 'still claimed until the release is done');
    c.done(release[0]);
    assert.equal(c.phaseOf(release[0]), 'idle');
  });

  it('backs off after a failed session before gaining the partition again', function () {
    const c = new Coordinator(4, { kind: 'static', instance: 0, instances: 1 });
    c.start(0);
    assert.deepEqual(c.plan(0).gain, [0, 1, 2, 3]);
    c.failed(2, 100);
    [0, 1, 3].forEach((p) => c.done(p));
    assert.deepEqual(c.plan(100 + RETRY_MS - 1).gain, []);
    assert.equal(c.nextDeadline(101), 100 + RETRY_MS);
    assert.deepEqual(c.plan(100 + RETRY_MS).gain, [2]);
  });

  it('gains nothing while stopped (link down), everything owned goes on releaseAll', function () {
    const c = new Coordinator(4, { kind: 'static', instance: 1, instances: 2 });
    c.start(0);
    c.plan(0).gain.forEach((p) => c.done(p));
    assert.deepEqual(c.owned(), [1, 3]);
    c.stop();
    c.failed(1, 0);
    assert.deepEqual(c.plan(10_000).gain, []);
    assert.deepEqual(c.releaseAll(), [3]);
  });
});

describe('partition group simulation (3 members joining, one leaving gracefully, one dying)', function () {
  /** Members exchange presence through a bus; a move completes `steps` ticks after it starts. */
  function group() {
    const members = new Map();
    let now = 0;
    const inflight = [];
    function publish(from) {
      const body = presence(from.id, from.c.claimed(), from.id);
      for (const other of members.values()) if (other !== from) other.m.seen(from.id, body, now);
    }
    function add(id) {
      const m = new Membership(id, id);
      const c = new Coordinator(P, { kind: 'dynamic', membership: m });
      const member = { id, m, c };
      for (const other of members.values()) m.seen(other.id, presence(other.id, other.c.claimed(), other.id), now);
      members.set(id, member);
      c.start(now);
      publish(member);
    }
    function remove(id) {
      members.delete(id);
      for (const other of members.values()) other.m.seen(id, undefined, now);
    }
    function tick() {
      now += 500;
      for (let i = inflight.length - 1; i >= 0; i--) {
        const move = inflight[i];
        if (--move.steps > 0) continue;
        inflight.splice(i, 1);
        if (!members.has(move.id)) continue;
        members.get(move.id).c.done(move.p);
        publish(members.get(move.id));
      }
      for (const member of members.values()) {
        const { release, gain } = member.c.plan(now);
        // Releases (drain, checkpoint, close) take longer than gains here: the worst case.
        for (const p of release) inflight.push({ id: member.id, p, steps: 2 + ((p * 7) % 3) });
        for (const p of gain) inflight.push({ id: member.id, p, steps: 1 });
        if (release.length + gain.length > 0) publish(member);
      }
      // The invariant: a partition is consumed by at most one member. Its session is open while
      // it is owned and until its release is done.
      for (let p = 0; p < P; p++) {
        const owners = [...members.values()].filter((x) => ['owned', 'releasing'].includes(x.c.phaseOf(p))).map((x) => x.id);
        assert.ok(owners.length <= 1, `t=${now} partition ${p} owned by ${owners.join(', ')}`);
      }
    }
    function settle() {
      for (let i = 0; i < 40; i++) tick();
      const owners = new Array(P).fill(undefined);
      for (const x of members.values()) for (const p of x.c.owned()) owners[p] = x.id;
      return owners;
    }
    return { add, remove, tick, settle };
  }

  it('never has two owners of a partition, and converges to the assignment after each change', function () {
    const g = group();
    g.add('a');
    assert.deepEqual(g.settle(), assignDynamic(['a'], P));
    g.add('b');
    g.tick();
    g.add('c');
    assert.deepEqual(g.settle(), assignDynamic(['a', 'b', 'c'], P));
    g.remove('b'); // dies or leaves: its presence is cleared
    assert.deepEqual(g.settle(), assignDynamic(['a', 'c'], P));
  });
});
