'use strict';
// Presence of `$share` members and the choice of the one that drains a gone member's session
// (src/core/mqtt/share-members.ts).
const assert = require('node:assert/strict');
const m = require('../../dist/core/mqtt/share-members');

const F = '$share/g/sensors/#';

function table(members) {
  const t = new m.ShareMembers();
  for (const [id, state, shares] of members) {
    t.update(m.sharesTopic(id), m.sharesPayload(id, shares));
    t.update(m.stateTopic(id), m.statePayload(id, state));
  }
  return t;
}

describe('core: $share presence and adoption', function () {
  it('parses the two retained topics; a cleared pair forgets the member; foreign payloads are ignored', function () {
    const t = new m.ShareMembers();
    assert.equal(t.update(m.stateTopic('a/b'), m.statePayload('a/b', 'alive')).state, 'alive');
    assert.equal(m.stateTopic('a/b'), 'telemetry-pipeline/share-members/a_b/state');
    assert.deepEqual(t.update(m.sharesTopic('a/b'), m.sharesPayload('a/b', [F, 'plain/#'])).shares, [F], 'only $share filters');
    assert.equal(t.update(m.stateTopic('a/b'), '{"v":2}'), undefined);
    assert.equal(t.update('telemetry-pipeline/share-members/x/other', '{}'), undefined);
    assert.equal(t.update(m.stateTopic('zz'), m.statePayload('a/b', 'gone')), undefined, 'the payload names another client');
    t.update(m.stateTopic('a/b'), '');
    assert.ok(t.get('a/b'), 'shares still known');
    t.update(m.sharesTopic('a/b'), '');
    assert.equal(t.get('a/b'), undefined);
  });

  it('a graceful leave that left messages in its session is `gone` and `left` (drained after a delay); alive again clears it', function () {
    const t = new m.ShareMembers();
    t.update(m.sharesTopic('a'), m.sharesPayload('a', [F]));
    const left = t.update(m.stateTopic('a'), m.statePayload('a', 'gone', true));
    assert.equal(left.state, 'gone');
    assert.equal(left.left, true);
    assert.equal(JSON.parse(m.statePayload('a', 'gone')).left, undefined, 'a last will is not a leave');
    assert.equal(t.update(m.stateTopic('a'), m.statePayload('a', 'alive')).left, undefined);
    assert.equal(t.update(m.stateTopic('a'), m.statePayload('a', 'gone')).left, undefined);
    assert.ok(m.LEFT_DRAIN_DELAY_MS >= 1000 && m.LEFT_DRAIN_DELAY_MS <= 10_000, 'longer than a redeploy, short enough for window lateness');
  });

  it('exactly one live member adopts: the next client id after the gone one on a ring', function () {
    const members = [
      ['m1', 'alive', [F]],
      ['m2', 'gone', [F]],
      ['m3', 'alive', [F]],
      ['m4', 'gone', [F]],
      ['m5', 'alive', ['$share/other/x']],
    ];
    const t = table(members);
    const adopters = (gone) => ['m1', 'm3', 'm5'].filter((self) => t.isAdopter(t.get(gone), self, self === 'm5' ? ['$share/other/x'] : [F]));
    assert.deepEqual(adopters('m2'), ['m3']);
    assert.deepEqual(adopters('m4'), ['m1'], 'wraps around');
  });

  it('no adoption while alive, of oneself, of an unknown share list, or without a filter in common', function () {
    const t = table([['a', 'alive', [F]], ['b', 'gone', [F]]]);
    assert.equal(t.isAdopter(t.get('a'), 'b', [F]), false, 'a is alive');
    assert.equal(t.isAdopter(t.get('b'), 'b', [F]), false, 'itself');
    assert.equal(t.isAdopter(t.get('b'), 'a', ['$share/h/x']), false, 'no filter in common');
    t.update(m.stateTopic('c'), m.statePayload('c', 'gone'));
    assert.equal(t.isAdopter(t.get('c'), 'a', [F]), false, 'shares not known');
    assert.equal(t.isAdopter(t.get('b'), 'a', [F]), true);
  });

  it('alive peers: the graceful leave unsubscribes only when another live member shares a filter', function () {
    const t = table([['a', 'alive', [F]], ['b', 'gone', [F]], ['c', 'alive', ['$share/h/x']]]);
    assert.deepEqual(t.alivePeers('x', [F]), ['a']);
    assert.deepEqual(t.alivePeers('a', [F]), []);
  });

  it('the member table is bounded', function () {
    const t = new m.ShareMembers(3);
    for (let i = 0; i < 5; i++) t.update(m.stateTopic(`m${i}`), m.statePayload(`m${i}`, 'alive'));
    assert.equal(t.alivePeers('x', []).length, 0);
    assert.ok(t.get('m2') && !t.get('m3'));
  });
});
