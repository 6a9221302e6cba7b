'use strict';
// telemetry-archive in a real Node-RED process (this package installed in its user dir) against
// a real InfluxDB: a kill -9 while it spools, then a restart, loses nothing that reached the
// spool; and the shipped example flow runs as it is.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startInflux } = require('../support/services');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor, sleep } = require('../support/wait');
const { readHeader, bodyIsIntact } = require('../../dist/core/spool/record');

const T0 = Date.now() - 3_600_000;
const reading = (i) => ({ measurement: 'telemetry', tags: { device: `dev-${i % 10}` }, fields: { seq: i }, timestamp: T0 + i });

/**
 * The seq numbers of every point in intact spool records, read straight from the segment files
 * (read-only: the node's own open() would repair them). Stops at a torn record.
 */
function spooledSeqs(dir) {
  const seqs = new Set();
  if (!fs.existsSync(dir)) return seqs;
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.lp')).sort()) {
    const data = fs.readFileSync(path.join(dir, name));
    let offset = 0;
    while (offset < data.length) {
      const parsed = readHeader(data.subarray(offset, offset + 4096));
      if (!parsed.ok || offset + parsed.header.totalBytes > data.length) break;
      const tail = data.subarray(offset + parsed.header.headerBytes, offset + parsed.header.totalBytes);
      if (!bodyIsIntact(parsed.header, tail)) break;
      for (const m of tail.toString().matchAll(/seq=(\d+)/g)) seqs.add(Number(m[1]));
      offset += parsed.header.totalBytes;
    }
  }
  return seqs;
}

describe('telemetry-archive in a real Node-RED process', function () {
  this.timeout(90000);
  let influx;
  let nr;

  before(async function () {
    this.timeout(60000);
    influx = await startInflux(this);
    const flows = [
      { id: 'tab', type: 'tab', label: 'archive' },
      { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: 'crash', retentionPolicy: '', timeout: 2000 },
      { id: 'in', type: 'http in', z: 'tab', url: '/readings', method: 'post', upload: false, wires: [['a1', 'ok']] },
      { id: 'ok', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'ok', tot: 'str' }], wires: [['res']] },
      { id: 'res', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
      {
        id: 'a1', type: 'telemetry-archive', z: 'tab', server: 's1', batchSize: 500, flushInterval: '100ms', maxConcurrent: 2,
        maxRetries: 0, maxBackoff: '500ms', spool: true, spoolDir: '', spoolMaxMB: 64, onSpoolFull: 'drop-oldest',
        gzip: true, allowMsgOverride: false, wires: [[], []],
      },
    ];
    nr = await startNodeRed({ flows, mochaCtx: this });
  });

  async function post(from, n) {
    const res = await fetch(`${nr.url}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: n }, (_, i) => reading(from + i))),
    });
    if (res.status !== 200) throw new Error(`POST /readings: HTTP ${res.status}`);
  }

  it('kill -9 while spooling, then a restart: nothing that reached the spool is lost', async function () {
    const spoolDir = path.join(nr.userDir, 'telemetry-spool', 'a1');
    await influx.stop();
    // Readings arrive steadily while InfluxDB is down: the node spools them.
    let sent = 0;
    let stop = false;
    const sender = (async () => {
      while (!stop) {
        try {
          await post(sent, 200);
          sent += 200;
        } catch {
          return; // the process is gone
        }
        await sleep(5);
      }
    })();
    await waitFor(() => spooledSeqs(spoolDir).size >= 5_000, { timeout: 20000, interval: 100, message: 'the spool to fill' });
    await nr.kill('SIGKILL');
    stop = true;
    await sender;

    const survived = spooledSeqs(spoolDir);
    assert.ok(survived.size >= 5_000, `only ${survived.size} points in the spool`);
    await nr.start();
    await influx.start();
    await waitFor(async () => (await influx.count('crash', 'telemetry')) >= survived.size, { timeout: 30000, interval: 250 });
    const rows = await influx.rows('SELECT seq FROM telemetry', { db: 'crash' });
    const stored = new Set(rows.map((r) => r.seq));
    const lost = [...survived].filter((seq) => !stored.has(seq));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} spooled points were lost`);
    // Nothing arrives that was never sent.
    assert.ok([...stored].every((seq) => seq < sent + 200));
  });

  it('the example flow runs as shipped (with the InfluxDB URL pointed at the test server)', async function () {
    if (!influx.running) await influx.start();
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'archive.json'), 'utf8'));
    const flows = example.map((n) => (n.type === 'telemetry-influxdb' ? { ...n, url: influx.url } : n));
    await nr.deploy(flows);
    await waitFor(async () => (await influx.count('telemetry', 'telemetry')) >= 100, { timeout: 20000, interval: 250 });
    assert.ok(!/telemetry-archive.*(error|Error)/.test(nr.logLines().filter((l) => !/type conflict|REFUSED/.test(l)).join('\n')));
  });
});
