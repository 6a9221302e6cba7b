'use strict';
// Fault 3 (issue #12): Node-RED is killed with SIGKILL under load and restarted. The broker keeps
// the ingest's persistent session, the archive's disk spool survives; what is lost is what
// Node-RED had already acknowledged to the broker but not yet written or spooled: readings in
// the ingest, in the archive's open batch and in requests in flight. The default mode's loss is
// measured and reported (it is bounded by about one flushInterval of traffic); with
// ack-after-archive (see ACK-AFTER-ARCHIVE.md) nothing may be lost.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('../support/node-red-process');
const { sleep } = require('../support/wait');
const { storedCount, storedSeqs, settle } = require('./lib/pipeline');
const { pipelineFixture } = require('./lib/fixture');

const RATE = 3000;

/** True once telemetry-ingest offers the ack-after-archive option (`ackMode`). */
function ackModeAvailable() {
  const file = path.join(REPO_ROOT, 'nodes', 'telemetry-ingest.html');
  return fs.existsSync(file) && /\backMode\b/.test(fs.readFileSync(file, 'utf8'));
}

describe('fault: Node-RED killed with SIGKILL under load, then restarted', function () {
  this.timeout(150000);
  const fx = pipelineFixture('nodered-sigkill');

  async function run(mode, db, { ingest = {}, archive = {}, broker = {} } = {}) {
    const { influx } = fx;
    await influx.createDatabase(db);
    // The archive's defaults (batchSize 5000, flushInterval 1s): what a user runs.
    const nr = await fx.startNodeRed({
      db, broker: { clientId: `sigkill-${db}`, ...broker }, ingest,
      archive: { batchSize: '', flushInterval: '', maxConcurrent: '', maxRetries: '', maxBackoff: '', ...archive },
    });
    const pub = fx.startPublisher({ rate: RATE, clientId: `pub-${db}` });
    await fx.firstReadings(db);
    // Steady load before the kill: batches open and requests in flight (flushInterval 1 s), so
    // there is something to lose; more seconds of it do not add to what is in memory.
    await sleep(2000);
    const storedAtKill = await storedCount(influx, db);
    const ackedAtKill = pub.state.acked;
    await nr.kill('SIGKILL');
    const killedAt = Date.now();
    await sleep(1000);
    await nr.start();
    const downMs = Date.now() - killedAt;
    await sleep(3000);
    await pub.stop();
    const { published, acked } = pub.state;
    await settle(() => storedCount(influx, db), { target: published, timeout: 40000, quietMs: 5000 });
    const stored = await storedSeqs(influx, db);
    let lost = 0;
    for (let i = 0; i < published; i++) if (pub.wasAcked(i) && !stored.has(i)) lost++;
    const problems = nr.logLines().filter((l) => /\[(warn|error)\] \[telemetry-ingest/.test(l));
    return fx.record({ mode, rate: RATE, published, acked, stored: stored.size, lost, ackedAtKill, storedAtKill, downMs, ingestWarnings: problems.length });
  }

  it('default mode: the loss is counted and bounded by what was in memory (about one flush interval of traffic)', async function () {
    const f = await run('default', 'sigkill_default');
    // Everything acknowledged to the broker after the restart, and everything spooled, arrives;
    // the loss is at most what the ingest and the archive held in memory: 1 s of batching plus
    // the requests in flight (≤ 2 batches of 5,000), at this rate ~2 s of traffic.
    assert.ok(f.lost <= RATE * 2 + 10_000, `${f.lost} lost`);
  });

  it('ack-after-archive: nothing is lost', async function () {
    if (!ackModeAvailable()) {
      console.log('      !!! SKIPPING: telemetry-ingest has no ackMode yet (design: test/faults/ACK-AFTER-ARCHIVE.md)');
      this.skip();
    }
    // MQTT 5: the connection's Receive Maximum (20,000) lets Mosquitto send enough unacknowledged
    // messages; with 3.1.1 its default max_inflight_messages of 20 would throttle the pipeline.
    const f = await run('ack-after-archive', 'sigkill_ack', { ingest: { ackMode: 'archive' }, broker: { protocolVersion: 5 } });
    assert.equal(f.lost, 0, `${f.lost} acknowledged readings lost`);
  });
});
