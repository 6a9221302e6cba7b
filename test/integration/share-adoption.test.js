'use strict';
// `$share` members with persistent sessions against a real Mosquitto 2.0 (DESIGN §7): Mosquitto
// keeps queueing a round-robin share for a member that is offline, and those messages wait for
// that client id alone. Members run as child processes (share/member.js: a SharedMqttConnection,
// clean: false). Proves: a member killed with SIGKILL has its queued share drained by a live
// member (nothing stranded); a member leaving gracefully leaves the group first (nothing is
// queued for it), and one that stops with messages still unacknowledged has them drained by a
// peer after a delay; a member whose session a peer drained while it was away subscribes again;
// the presence topics say who is alive. Counts duplicates (at-least-once).
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const mqtt = require('mqtt');
const { startMosquitto } = require('../support/services');
const { track, stopChild } = require('../support/processes');
const { waitFor } = require('../support/wait');

const MEMBER = path.join(__dirname, 'share', 'member.js');
const PRESENCE = 'telemetry-pipeline/share-members/';

function startMember(url, clientId, filter, env = {}) {
  const child = track(spawn(process.execPath, [MEMBER, url, clientId, filter], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }));
  const member = { child, clientId, got: [], logs: [], connected: false, connects: 0 };
  let rest = '';
  child.stdout.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      if (line.startsWith('GOT ')) member.got.push(Number(line.slice(4)));
      else if (line.startsWith('LOG ')) member.logs.push(line.slice(4));
      else if (line === 'CONNECTED') {
        member.connected = true;
        member.connects++;
      }
    }
  });
  return member;
}

/** A QoS 1 publisher of sequence numbers, paced by its acknowledgements. */
async function publisher(url, topicPrefix) {
  const client = mqtt.connect(url, { clientId: `pub-${Date.now()}`, protocolVersion: 5 });
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  let next = 0;
  return {
    get published() {
      return next;
    },
    /** Publishes `n` more, `perTick` at a time, acknowledged before the next group. */
    async publish(n, perTick = 20) {
      const end = next + n;
      while (next < end) {
        const batch = [];
        for (let i = 0; i < perTick && next < end; i++, next++) {
          const seq = next;
          batch.push(new Promise((resolve, reject) => client.publish(`${topicPrefix}/d${seq % 7}`, String(seq), { qos: 1 }, (e) => (e ? reject(e) : resolve()))));
        }
        await Promise.all(batch);
      }
    },
    end: () => new Promise((resolve) => client.end(false, {}, resolve)),
  };
}

/** Retained presence states: clientId → 'alive' | 'gone'; cleared ones are absent. */
async function presences(url) {
  const client = mqtt.connect(url, { clientId: `look-${Date.now()}` });
  const seen = new Map();
  client.on('message', (topic, payload) => {
    const id = topic.slice(PRESENCE.length, -'/state'.length);
    if (payload.length === 0) seen.delete(id);
    else seen.set(id, JSON.parse(payload.toString()).state);
  });
  await new Promise((resolve) => client.on('connect', () => client.subscribe(`${PRESENCE}+/state`, { qos: 1 }, resolve)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  client.end(true);
  return seen;
}

function missing(published, members) {
  const got = new Set(members.flatMap((m) => m.got));
  const lost = [];
  for (let i = 0; i < published; i++) if (!got.has(i)) lost.push(i);
  return lost;
}

function duplicates(members) {
  const all = members.flatMap((m) => m.got);
  return all.length - new Set(all).size;
}

describe('integration: $share members with persistent sessions — a dead member is drained, a leaving one leaves first', function () {
  this.timeout(60000);
  let broker;
  before(async function () {
    broker = await startMosquitto(this);
  });

  it('SIGKILL: the live member adopts the dead one\'s session and drains its queued share; nothing stranded', async function () {
    const filter = '$share/g1/adopt/#';
    const a = startMember(broker.url, 'member-a', filter);
    const b = startMember(broker.url, 'member-b', filter);
    const pub = await publisher(broker.url, 'adopt');
    try {
      await waitFor(() => a.connected && b.connected, { timeout: 10000, message: 'both members connected' });
      await waitFor(async () => (await presences(broker.url)).size === 2, { timeout: 10000, message: 'two presences' });
      await pub.publish(600);
      await waitFor(() => b.got.length > 0, { timeout: 10000, message: 'b gets its share' });
      b.child.kill('SIGKILL');
      // Published while b is dead: the broker still routes b's share to its session until the
      // adopter unsubscribes it — without adoption these would wait for b forever.
      await pub.publish(1400);
      await waitFor(() => missing(pub.published, [a, b]).length === 0, { timeout: 20000, message: 'every published message delivered to a member' }).catch((err) => {
        err.message += ` — missing ${missing(pub.published, [a, b]).length} of ${pub.published}; a's log: ${a.logs.join(' | ')}`;
        throw err;
      });
      const drained = /member "member-b" left its share .*drained its session: (\d+) message\(s\), idle/;
      await waitFor(() => a.logs.some((l) => drained.test(l)), { timeout: 10000, message: 'a reports the drain of b\'s session' });
      const drainedCount = Number(a.logs.find((l) => drained.test(l)).match(drained)[1]);
      assert.ok(drainedCount > 0, 'b\'s session held messages (the test shows something)');
      const dup = duplicates([a, b]);
      console.log(`      (b took ${b.got.length} before the kill; ${drainedCount} drained from its session; ${dup} duplicates)`);
      // At-least-once: only what b had taken but not acknowledged when it died comes twice.
      assert.ok(dup <= 50, `${dup} duplicates`);
      await waitFor(async () => !(await presences(broker.url)).has('member-b'), { timeout: 5000, message: 'b\'s presence cleared after the drain' });
    } finally {
      await pub.end();
      await stopChild(a.child, 10000);
    }
  });

  it('graceful leave with another member alive: unsubscribes its share first, nothing is queued for it', async function () {
    const filter = '$share/g2/leave/#';
    const a = startMember(broker.url, 'member-c', filter);
    const b = startMember(broker.url, 'member-d', filter);
    const pub = await publisher(broker.url, 'leave');
    try {
      await waitFor(() => a.connected && b.connected, { timeout: 10000, message: 'both members connected' });
      await waitFor(async () => (await presences(broker.url)).size >= 2, { timeout: 10000, message: 'two presences' });
      await pub.publish(300);
      await stopChild(b.child, 10000);
      await pub.publish(700);
      await waitFor(() => missing(pub.published, [a, b]).length === 0, {
        timeout: 15000,
        message: 'every published message delivered to a member',
      });
      // Nothing needed draining: d left the group before it went.
      assert.ok(!a.logs.some((l) => /member-d/.test(l)), a.logs.join('\n'));
      assert.equal(duplicates([a, b]), 0);
      assert.ok(!(await presences(broker.url)).has('member-d'), 'a graceful leave clears its presence');
    } finally {
      await pub.end();
      await stopChild(a.child, 10000);
    }
  });

  it('graceful leave with messages still unacknowledged: says `gone` (left), and a peer drains them after the delay', async function () {
    const filter = '$share/g3/unacked/#';
    const a = startMember(broker.url, 'member-e', filter);
    // f takes its share but its flow never makes a message durable: each stays unacknowledged.
    const f = startMember(broker.url, 'member-f', filter, { NEVER_ACK: '1' });
    const pub = await publisher(broker.url, 'unacked');
    try {
      await waitFor(() => a.connected && f.connected, { timeout: 10000, message: 'both members connected' });
      await waitFor(async () => (await presences(broker.url)).size >= 2, { timeout: 10000, message: 'two presences' });
      await pub.publish(200);
      await waitFor(() => f.got.length > 0, { timeout: 10000, message: 'f takes its share' });
      await stopChild(f.child, 10000);
      await pub.publish(100);
      // f's messages were never acknowledged: only the peer's deliveries count.
      await waitFor(() => missing(pub.published, [a]).length === 0, { timeout: 20000, message: 'every message delivered to the live member' }).catch((err) => {
        err.message += ` — missing ${missing(pub.published, [a]).length} of ${pub.published}; a's log: ${a.logs.join(' | ')}`;
        throw err;
      });
      const drained = /member "member-f" left its share .*drained its session: (\d+) message\(s\), idle/;
      await waitFor(() => a.logs.some((l) => drained.test(l)), { timeout: 10000, message: 'a reports the drain of f\'s session' });
      assert.ok(Number(a.logs.find((l) => drained.test(l)).match(drained)[1]) >= f.got.length, 'every message f had taken came from its session');
      await waitFor(async () => !(await presences(broker.url)).has('member-f'), { timeout: 5000, message: 'f\'s presence cleared after the drain' });
    } finally {
      await pub.end();
      await stopChild(a.child, 10000);
    }
  });

  it('a reconnect that resumes the session subscribes again: a peer that drained it meanwhile had unsubscribed the share', async function () {
    const filter = '$share/g4/resub/#';
    const g = startMember(broker.url, 'member-g', filter);
    const pub = await publisher(broker.url, 'resub');
    try {
      await waitFor(() => g.connected, { timeout: 10000, message: 'g connected' });
      await pub.publish(20);
      await waitFor(() => g.got.length === 20, { timeout: 10000, message: 'g gets the first messages' });
      // What an adopter does (share-adopter.ts): connect with g's client id (the broker closes g's
      // connection: session taken over), unsubscribe the share, disconnect keeping the session.
      const adopter = mqtt.connect(broker.url, { clientId: 'member-g', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 0 });
      await new Promise((resolve, reject) => {
        adopter.once('connect', resolve);
        adopter.once('error', reject);
      });
      await new Promise((resolve) => adopter.unsubscribe(filter, resolve));
      await new Promise((resolve) => adopter.end(false, {}, resolve));
      await waitFor(() => g.connects >= 2, { timeout: 20000, message: 'g reconnected (its session resumed)' });
      await pub.publish(30);
      await waitFor(() => g.got.length === 50, { timeout: 10000, message: 'g receives its share again' }).catch((err) => {
        err.message += ` — got ${g.got.length} of 50; g's log: ${g.logs.join(' | ')}`;
        throw err;
      });
    } finally {
      await pub.end();
      await stopChild(g.child, 10000);
    }
  });
});
