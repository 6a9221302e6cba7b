'use strict';
// Fault 2 (issue #12): Mosquitto is stopped and restarted while a publisher keeps publishing with
// QoS 1 → every message the broker acknowledged to the publisher ends up in InfluxDB: the
// ingest's persistent session (clean: false, fixed client id) makes the broker keep its messages
// while the connection is down. With SIGTERM Mosquitto saves its state, so nothing may be lost;
// with SIGKILL Mosquitto itself loses what it acknowledged since its last autosave (1 s here):
// that figure is measured and bounded, and everything Mosquitto kept arrives.
const assert = require('node:assert/strict');
const { sleep } = require('../support/wait');
const { storedCount, storedSeqs, settle, stats } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 2000;

describe('fault: Mosquitto restarted while a QoS 1 publisher keeps publishing', function () {
  this.timeout(120000);
  const fx = pipelineFixture('broker-restart');

  async function run(signal, db) {
    const { influx, mosq } = fx;
    await influx.createDatabase(db);
    const nr = await fx.startNodeRed({ db, broker: { clientId: `fault-${db}` } });
    const pub = fx.startPublisher({ rate: RATE, clientId: `pub-${db}` });
    await fx.firstReadings(db);
    // Readings flow end to end: a little more steady traffic before the stop (what the broker
    // holds at that moment does not grow with it), then 2 s down, then publishing goes on for
    // 2 s on the restarted broker (pub.stop() and settle() below wait for the rest).
    await sleep(1500);
    const ackedBefore = pub.state.acked;
    if (signal === 'SIGTERM') await mosq.stop();
    else await mosq.kill(signal);
    await sleep(2000);
    await mosq.start();
    await sleep(2000);
    await pub.stop();
    const { published, acked, failed } = pub.state;
    await settle(() => storedCount(influx, db), { target: published, timeout: 30000, quietMs: 4000 });
    const stored = await storedSeqs(influx, db);
    let lostAcked = 0;
    for (let i = 0; i < published; i++) if (pub.wasAcked(i) && !stored.has(i)) lostAcked++;
    const s = await stats(nr);
    return fx.record({ signal, published, acked, failed, ackedBeforeKill: ackedBefore, stored: stored.size, lostAcked, rejected: s.rejected });
  }

  it('SIGTERM: every message the broker acknowledged is stored', async function () {
    const f = await run('SIGTERM', 'broker_term');
    assert.equal(f.lostAcked, 0, `${f.lostAcked} acknowledged messages lost`);
    assert.deepEqual(f.rejected, {});
  });

  it('SIGKILL: what Mosquitto kept is stored; its own loss is at most its 1 s autosave window', async function () {
    const f = await run('SIGKILL', 'broker_kill');
    assert.ok(f.lostAcked <= RATE * 1.5, `${f.lostAcked} acknowledged messages lost (more than Mosquitto's autosave window)`);
    assert.deepEqual(f.rejected, {});
  });
});
