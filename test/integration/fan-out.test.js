'use strict';
// Fan-out sharing (src/nodes/shared/fan-out.ts) in a real Node-RED process, with Mosquitto and
// InfluxDB: ingest (ack-after-archive, MQTT 5) → [raw archive, enrich]; enrich (seq × 2) →
// [archive, window], optionally with a function node on that fan-out that mutates every reading.
// A test-only plugin in the user directory (a probe, not part of the package) records through
// an onReceive hook which msg object each node received, so sharing is seen, not assumed.
// Proves: msgs are shared where every wire leads to ours; a function node on a wire restores the
// copies and its changes never reach the archive or the window; ack-after-archive still
// acknowledges every message (its `_msgid` tracking is unchanged); nothing is lost.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed } = require('../support/node-red-process');
const { makeTempDir } = require('../support/processes');
const { sleep, waitFor } = require('../support/wait');
const { startPublisher, storedCount, storedSeqs, settle } = require('../faults/lib/pipeline');
const { startInflux, startMosquitto } = require('../support/services');

const PROBED = ['arcRaw', 'enr', 'arcEnr', 'win', 'mut'];

/** A Node-RED plugin that logs `FANOUT-PROBE <node id> <object number> <_msgid>` for the msgs a probed node receives. */
function writeProbe(userDir) {
  const dir = path.join(userDir, 'node_modules', 'fanout-probe');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fanout-probe', version: '1.0.0', 'node-red': { plugins: { probe: 'probe.js' } } }));
  fs.writeFileSync(
    path.join(dir, 'probe.js'),
    `module.exports = function (RED) {
  const probed = new Set(${JSON.stringify(PROBED)});
  const ids = new WeakMap();
  const logged = new Map();
  let next = 0;
  RED.plugins.registerPlugin('fanout-probe', { type: 'fanout-probe' });
  RED.hooks.add('onReceive.fanoutProbe', (event) => {
    const id = event.destination.id;
    if (!probed.has(id) || event.msg.control !== undefined) return;
    // The first 1,000 msgs per node: enough to see, little enough to keep the rest of the log.
    if ((logged.get(id) || 0) >= 1000) return;
    logged.set(id, (logged.get(id) || 0) + 1);
    if (!ids.has(event.msg)) ids.set(event.msg, ++next);
    RED.log.info('FANOUT-PROBE ' + id + ' ' + ids.get(event.msg) + ' ' + event.msg._msgid);
  });
};
`,
  );
}

function flows({ brokerUrl, influxUrl, mutate }) {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'fan-out' },
    { id: 'b1', type: 'telemetry-mqtt-broker', url: brokerUrl, clientId: `fan-out-test-${mutate ? 'm' : 's'}`, protocolVersion: 5, keepalive: 10, clean: false },
    { id: 'sRaw', type: 'telemetry-influxdb', url: influxUrl, database: 'fan_raw', retentionPolicy: '', timeout: 5000 },
    { id: 'sEnr', type: 'telemetry-influxdb', url: influxUrl, database: 'fan_enr', retentionPolicy: '', timeout: 5000 },
    {
      id: 'ing', type: 'telemetry-ingest', z, broker: 'b1', topic: 'fault/#', qos: 1, format: 'json', topicTemplate: '', measurement: 'telemetry',
      tagKeys: 'deviceId', timestampKey: 'ts', maxPast: '', maxFuture: '', ackMode: 'archive', ackTimeout: '5s', wires: [['arcRaw', 'enr'], []],
    },
    { id: 'arcRaw', type: 'telemetry-archive', z, server: 'sRaw', flushInterval: '200ms', spool: true, spoolDir: '', wires: [[], []] },
    { id: 'enr', type: 'telemetry-enrich', z, rules: [{ type: 'convert', field: 'seq', scale: 2, offset: 0 }], wires: [['arcEnr', 'win', ...(mutate ? ['mut'] : [])], []] },
    { id: 'arcEnr', type: 'telemetry-archive', z, server: 'sEnr', flushInterval: '200ms', spool: false, wires: [[], []] },
    { id: 'win', type: 'telemetry-window', z, windowType: 'tumbling', size: '1h', groupBy: '', fields: 'seq', aggregates: 'count,max', timeMode: 'event', wires: [['winOut'], []] },
    {
      id: 'winOut', type: 'function', z, outputs: 0, wires: [],
      func: "const w = global.get('windows') || []; w.push(msg.payload.fields); global.set('windows', w); return null;",
    },
    { id: 'mut', type: 'function', z, outputs: 1, wires: [[]], func: 'for (const r of msg.payload) r.fields.seq = -1; msg.payload.length = 0; return msg;' },
    { id: 'hw', type: 'http in', z, url: '/windows', method: 'post', wires: [['hw2', 'hr']] },
    { id: 'hw2', type: 'function', z, outputs: 1, wires: [['win']], func: "return { control: 'flush' };" },
    { id: 'hg', type: 'http in', z, url: '/windows', method: 'get', wires: [['hg2']] },
    { id: 'hg2', type: 'function', z, outputs: 1, wires: [['hr']], func: "msg.payload = global.get('windows') || []; return msg;" },
    { id: 'hr', type: 'http response', z, statusCode: '', headers: {}, wires: [] },
  ];
}

/** node id → [object number, _msgid] per msg it received, from the probe's log lines. */
function probeLog(nr) {
  const seen = new Map(PROBED.map((id) => [id, []]));
  for (const line of nr.logLines()) {
    const m = /FANOUT-PROBE (\S+) (\d+) (\S+)/.exec(line);
    if (m) seen.get(m[1]).push([Number(m[2]), m[3]]);
  }
  return seen;
}

describe('fan-out sharing in a real Node-RED (ack-after-archive on)', function () {
  this.timeout(120000);
  let influx;
  let mosq;
  before(async function () {
    this.timeout(60000);
    influx = await startInflux(this);
    mosq = await startMosquitto(this);
  });

  async function run(mutate) {
    await influx.query('DROP DATABASE fan_raw; DROP DATABASE fan_enr');
    await influx.createDatabase('fan_raw');
    await influx.createDatabase('fan_enr');
    const userDir = makeTempDir('fan-out');
    writeProbe(userDir);
    const nr = await startNodeRed({ userDir, flows: flows({ brokerUrl: mosq.url, influxUrl: influx.url, mutate }) });
    const pub = startPublisher(mosq.url, { rate: 2000, devices: 50, clientId: `fan-out-pub-${mutate ? 'm' : 's'}` });
    try {
      await waitFor(async () => (await storedCount(influx, 'fan_raw')) > 0, { timeout: 15000, message: 'the first readings' });
      await waitFor(() => pub.state.published >= 6000, { timeout: 30000, message: '6,000 publishes' });
      await pub.stop();
      const { published, acked } = pub.state;
      await settle(() => storedCount(influx, 'fan_raw'), { target: published, timeout: 30000, quietMs: 2000 });
      await settle(() => storedCount(influx, 'fan_enr'), { target: published, timeout: 30000, quietMs: 2000 });
      await fetch(`${nr.url}/windows`, { method: 'POST' });
      const windows = await waitFor(async () => {
        const list = await (await fetch(`${nr.url}/windows`)).json();
        return list.length > 0 && list;
      }, { timeout: 10000, message: 'the window aggregate' });
      await sleep(5500); // a msg no durable sink completed would time out (ackTimeout 5s) and warn
      const ingestWarnings = nr.logLines().filter((l) => /\[(warn|error)\] \[telemetry-ingest/.test(l));
      const raw = await storedSeqs(influx, 'fan_raw');
      const enriched = await storedSeqs(influx, 'fan_enr');
      return { published, acked, raw, enriched, windows, ingestWarnings, seen: probeLog(nr) };
    } finally {
      pub.end();
      await nr.cleanup();
    }
  }

  /** Object numbers of the msgs `a` and `b` received, paired by _msgid. */
  function pairs(seen, a, b) {
    const byId = new Map(seen.get(b).map(([obj, id]) => [id, obj]));
    return seen.get(a).filter(([, id]) => byId.has(id)).map(([obj, id]) => [obj, byId.get(id)]);
  }

  function checkData({ published, acked, raw, enriched, windows, ingestWarnings }) {
    assert.equal(acked, published, 'every publish acknowledged by the broker');
    assert.deepEqual(ingestWarnings, [], 'every msg completed by the durable archive: no ack timeout');
    assert.equal(raw.size, published, 'every reading in the raw archive');
    assert.equal(enriched.size, published, 'every enriched reading archived');
    for (let i = 0; i < published; i++) {
      assert.ok(raw.has(i), `raw seq ${i}`);
      assert.ok(enriched.has(2 * i), `enriched seq ${2 * i}`);
    }
    const [w] = windows;
    assert.equal(w.seq_count, published);
    assert.equal(w.seq_max, 2 * (published - 1));
  }

  it('every wire to ours: one object per fan-out, every reading archived and acknowledged', async function () {
    const r = await run(false);
    checkData(r);
    const ingestFanOut = pairs(r.seen, 'arcRaw', 'enr');
    const enrichFanOut = pairs(r.seen, 'arcEnr', 'win');
    assert.ok(ingestFanOut.length > 0 && enrichFanOut.length > 0, 'the probe saw both fan-outs');
    for (const [a, b] of [...ingestFanOut, ...enrichFanOut]) assert.equal(a, b, 'the same msg object on both wires');
  });

  it('a function node on the enrich fan-out: copies again, and its changes reach neither archive nor window', async function () {
    const r = await run(true);
    checkData(r);
    assert.ok(r.seen.get('mut').length > 0, 'the function node ran');
    for (const [a, b] of pairs(r.seen, 'arcRaw', 'enr')) assert.equal(a, b, 'ingest → [archive, enrich] still shares');
    const objects = (id) => new Set(r.seen.get(id).map(([obj]) => obj));
    const mut = objects('mut');
    for (const id of ['arcEnr', 'win']) for (const obj of objects(id)) assert.ok(!mut.has(obj), `${id} never shares an object with the function node`);
    for (const [a, b] of pairs(r.seen, 'arcEnr', 'win')) assert.notEqual(a, b, 'archive and window get their own copies');
  });
});
