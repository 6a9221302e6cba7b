'use strict';
// Fault 2 (issue #12): Mosquitto is stopped and restarted while a publisher keeps publishing with
// QoS 1 → every message the broker acknowledged to the publisher ends up in InfluxDB: the
// ingest's persistent session (clean: false, fixed client id) makes the broker keep its messages
// while the connection is down. With SIGTERM Mosquitto saves its state, so nothing may be lost;
// with SIGKILL Mosquitto itself loses what it acknowledged since its last autosave (1 s here):
// that figure is measured and bounded, and everything Mosquitto kept arrives.
const assert = require('node:assert/strict');
const { startInflux, startMosquitto } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { sleep, waitFor } = require('../support/wait');
const { pipelineFlows, startPublisher, storedCount, storedSeqs, settle, stats } = require('./lib/pipeline');

const RATE = 2000;

describe('fault: Mosquitto restarted while a QoS 1 publisher keeps publishing', function () {
  this.timeout(120000);
  let influx;
  let mosq;
  let nr;
  let pub;
  const figures = [];

  before(async function () {
    this.timeout(60000);
    influx = await startInflux(this);
    mosq = await startMosquitto(this);
  });

  afterEach(async function () {
    if (pub) pub.end();
    pub = undefined;
    if (nr) await nr.cleanup();
    nr = undefined;
  });

  after(function () {
    for (const f of figures) console.log(`      FAULT-FIGURES ${JSON.stringify({ fault: 'broker-restart', ...f })}`);
  });

  async function run(signal, db) {
    await influx.createDatabase(db);
    nr = await startNodeRed({
      flows: pipelineFlows({ brokerUrl: mosq.url, influxUrl: influx.url, db, broker: { clientId: `fault-${db}` } }),
    });
    pub = startPublisher(mosq.url, { rate: RATE, clientId: `pub-${db}` });
    await waitFor(async () => (await storedCount(influx, db)) > 0, { timeout: 15000, message: 'the first readings' });
    await sleep(3000);
    const ackedBefore = pub.state.acked;
    if (signal === 'SIGTERM') await mosq.stop();
    else await mosq.kill(signal);
    await sleep(2000);
    await mosq.start();
    await sleep(4000);
    await pub.stop();
    const { published, acked, failed } = pub.state;
    await settle(() => storedCount(influx, db), { target: published, timeout: 30000, quietMs: 4000 });
    const stored = await storedSeqs(influx, db);
    let lostAcked = 0;
    for (let i = 0; i < published; i++) if (pub.wasAcked(i) && !stored.has(i)) lostAcked++;
    const s = await stats(nr);
    const f = { signal, published, acked, failed, ackedBeforeKill: ackedBefore, stored: stored.size, lostAcked, rejected: s.rejected };
    figures.push(f);
    return f;
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
