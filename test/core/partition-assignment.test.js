'use strict';
// Dynamic assignment: every member computes the same owners from the live member ids; the load
// stays within ⌈P/N⌉ and a join or leave moves few partitions (table below, P = 32).
const assert = require('assert');
const { assignDynamic, assignStatic, moves } = require('../../dist/core/partition/assignment');

const P = 32;
const ids = (n, from = 1) => Array.from({ length: n }, (_, i) => `node-${i + from}-1880`);
const loads = (owners) => {
  const c = new Map();
  for (const m of owners) c.set(m, (c.get(m) || 0) + 1);
  return [...c.values()].sort((a, b) => a - b);
};

describe('partition assignment', function () {
  it('gives every partition one owner, the same whatever order the members are listed in', function () {
    const members = ids(5);
    const a = assignDynamic(members, P);
    assert.ok(a.every((m) => members.includes(m)));
    assert.deepEqual(assignDynamic([...members].reverse(), P), a);
    assert.deepEqual(assignDynamic([...members, members[0]], P), a, 'duplicates ignored');
    assert.deepEqual(assignDynamic([], P), new Array(P).fill(undefined));
  });

  it('keeps each member within ⌈P/N⌉ partitions (N = 1…12, P = 1, 7, 32, 256)', function () {
    for (const parts of [1, 7, 32, 256]) {
      for (let n = 1; n <= 12; n++) {
        const l = loads(assignDynamic(ids(n), parts));
        assert.equal(l.reduce((a, b) => a + b, 0), parts);
        assert.ok(l[l.length - 1] <= Math.ceil(parts / n), `P=${parts} N=${n}: ${l.join('/')}`);
      }
    }
  });

  // Measured table (P = 32): partitions that change owner when member N+1 joins / member 1 leaves,
  // against the least possible (⌈P/(N+1)⌉ on a join; the leaver's own count on a leave).
  //   N→N+1  join moves (least)   leave moves (least)
  //   1→2    16 (16)              16 (16)
  //   2→3    10 (11)              11 (11)
  //   3→4     9  (8)               9  (8)
  //   4→5     9  (7)               7  (7)
  //   5→6     7  (6)               4  (3)
  //   6→7     5  (5)               4  (3)
  //   7→8     7  (4)               7  (4)
  it('moves few partitions when a member joins or leaves (the table above; at most least + 6)', function () {
    const rows = [];
    for (let n = 1; n <= 7; n++) {
      const before = assignDynamic(ids(n), P);
      const after = assignDynamic(ids(n + 1), P);
      const join = moves(before, after);
      const leaver = ids(n + 1)[0];
      const leave = moves(after, assignDynamic(ids(n + 1).slice(1), P));
      const leastLeave = after.filter((m) => m === leaver).length;
      rows.push([`${n}→${n + 1}`, join, Math.ceil(P / (n + 1)), leave, leastLeave]);
      assert.ok(join >= Math.ceil(P / (n + 1)) - 2 && join <= Math.ceil(P / (n + 1)) + 6, `join ${n}→${n + 1}: ${join}`);
      assert.ok(leave >= leastLeave && leave <= leastLeave + 6, `leave ${n + 1}→${n}: ${leave}`);
    }
    assert.deepEqual(rows.map((r) => r.slice(1)), [
      [16, 16, 16, 16],
      [10, 11, 11, 11],
      [9, 8, 9, 8],
      [9, 7, 7, 7],
      [7, 6, 4, 3],
      [5, 5, 4, 3],
      [7, 4, 7, 4],
    ]);
  });

  it('a leaver’s partitions go to the others; of the rest only rebalancing moves', function () {
    const three = assignDynamic(ids(3), P);
    const two = assignDynamic(ids(3).slice(1), P);
    for (let p = 0; p < P; p++) if (three[p] === ids(3)[0]) assert.notEqual(two[p], ids(3)[0]);
  });

  it('static: instance i of N owns p with p mod N = i; together they own each partition once', function () {
    assert.deepEqual(assignStatic(1, 3, 8), [1, 4, 7]);
    const all = [0, 1, 2].flatMap((i) => assignStatic(i, 3, P)).sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: P }, (_, p) => p));
  });
});
