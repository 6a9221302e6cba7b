'use strict';
/**
 * The soak's flow (`npm run soak`, scripts/soak.js): the whole pipeline on one broker and one
 * InfluxDB —
 *   MQTT `fault/#` (the fault suite's publisher, QoS 1, persistent session) → ingest → enrich (site tag from a 100-row table)
 *     → archive "raw"                                  (database `soak`, measurement telemetry)
 *     → window (10 s tumbling, event time, per device: seq count and mean) → archive "rollups"
 *     → heartbeat watch (per device, 30 s)
 * plus the instruments the soak reads over HTTP (GET /soak/stats), kept as running totals so
 * that the instruments themselves do not grow memory:
 * - `received`: readings out of the ingest; `late`: readings the window refused as late;
 * - `reports.raw|rollups`: the archives' write reports summed field by field;
 * - `rejected`: output-2 readings by node and code; `heartbeat`: down/up events;
 * - `lag`: event-loop lag (a 100 ms interval's overshoot), max and mean since the last read.
 */

const DEVICES = 100;
const SITES = ['plant-a', 'plant-b', 'warehouse', 'office', 'lab'];

/** A function node that adds `expr` (JS on msg) under key `key` of global `soak` counters. */
function counter(id, name, body, wires = []) {
  return { id, type: 'function', z: 'soak', name, func: body, outputs: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires };
}

const SUM_REPORT =
  "const r = global.get('soakReports') || { raw: {}, rollups: {} }; const t = r[KEY];" +
  " for (const k of ['written', 'batches', 'retried', 'spooled', 'replayed', 'refused', 'dropped', 'spoolErrors']) t[k] = (t[k] || 0) + (Number(msg.payload[k]) || 0);" +
  " t.spoolPoints = msg.payload.spoolPoints; t.reports = (t.reports || 0) + 1; if (msg.payload.replay) t.replay = msg.payload.replay;" +
  " global.set('soakReports', r); return null;";

const COUNT_REJECTED =
  "const c = global.get('soakRejected') || {}; const code = KEY + ':' + ((msg.error && msg.error.code) || (msg.late ? 'LATE' : 'NONE'));" +
  " const n = Array.isArray(msg.payload) ? msg.payload.length : 1; c[code] = (c[code] || 0) + n; global.set('soakRejected', c); return null;";

const LAG_INIT =
  'const period = 100; let last = Date.now();' +
  " context.set('timer', setInterval(() => { const now = Date.now(); const lag = Math.max(0, now - last - period); last = now;" +
  " const s = global.get('soakLag') || { max: 0, sum: 0, n: 0 }; s.max = Math.max(s.max, lag); s.sum += lag; s.n += 1; global.set('soakLag', s); }, period));";

function soakFlow({ brokerUrl, influxUrl, db = 'soak' }) {
  const table = {};
  for (let i = 0; i < DEVICES; i++) table[`dev-${i}`] = { site: SITES[i % SITES.length] };
  const flow = [
    { id: 'soak', type: 'tab', label: 'soak' },
    { id: 'sb', type: 'telemetry-mqtt-broker', url: brokerUrl, clientId: 'soak-pipeline', protocolVersion: 4, keepalive: 10, clean: false },
    { id: 'si', type: 'telemetry-influxdb', url: influxUrl, database: db, retentionPolicy: '', timeout: 5000 },
    {
      id: 'ing', type: 'telemetry-ingest', z: 'soak', broker: 'sb', topic: 'fault/#', qos: 1, format: 'json', topicTemplate: '',
      measurement: 'telemetry', tagKeys: 'deviceId', timestampKey: 'ts', maxPast: '3650d', maxFuture: '1d', batchSize: '', batchInterval: '',
      wires: [['enr', 'win', 'hb', 'cnt'], ['rej-ing']],
    },
    {
      id: 'enr', type: 'telemetry-enrich', z: 'soak', name: 'site', rules: [{ type: 'lookup', key: 'device', as: 'tags', table }],
      onMissing: 'pass', reloadInterval: '', wires: [['raw'], ['rej-enr']],
    },
    {
      id: 'raw', type: 'telemetry-archive', z: 'soak', name: 'raw', server: 'si', batchSize: 5000, flushInterval: '1s', maxConcurrent: 2, maxRetries: 3,
      maxBackoff: '5s', spool: true, spoolDir: '', spoolMaxMB: 512, onSpoolFull: 'drop-oldest', gzip: false, allowMsgOverride: false,
      wires: [['rep-raw'], ['rej-raw']],
    },
    {
      id: 'win', type: 'telemetry-window', z: 'soak', windowType: 'tumbling', size: '10s', slide: '30s', gap: '5m', count: 100, groupBy: 'device',
      fields: 'seq', aggregates: 'count,mean', timeMode: 'event', allowedLateness: '2s', outputMeasurement: '{measurement}_{size}', maxKeys: 10000,
      persistState: false, contextStore: '', wires: [['rollups'], ['rej-win']],
    },
    {
      id: 'rollups', type: 'telemetry-archive', z: 'soak', name: 'rollups', server: 'si', batchSize: 1000, flushInterval: '1s', maxConcurrent: 2,
      maxRetries: 3, maxBackoff: '5s', spool: true, spoolDir: '', spoolMaxMB: 512, onSpoolFull: 'drop-oldest', gzip: false, allowMsgOverride: false,
      wires: [['rep-rollups'], ['rej-rollups']],
    },
    {
      id: 'hb', type: 'telemetry-heartbeat-watch', z: 'soak', deviceKey: 'tags.device', timeout: '30s', expected: '', forgetAfter: '', timeoutTag: '',
      timeouts: '', summaryInterval: '1m', emitReading: false, persistState: false, contextStore: '', maxDevices: 10000, wires: [['hb-count'], []],
    },
    counter('cnt', 'count received',
      "global.set('soakReceived', (global.get('soakReceived') || 0) + (Array.isArray(msg.payload) ? msg.payload.length : 1)); return null;"),
    counter('hb-count', 'count heartbeat events',
      "const h = global.get('soakHeartbeat') || {}; const s = String((msg.payload && msg.payload.status) || msg.topic); h[s] = (h[s] || 0) + 1; global.set('soakHeartbeat', h); return null;"),
    counter('rep-raw', 'sum raw reports', SUM_REPORT.replace('KEY', "'raw'")),
    counter('rep-rollups', 'sum rollup reports', SUM_REPORT.replace('KEY', "'rollups'")),
    ...['ing', 'enr', 'raw', 'win', 'rollups'].map((key) => counter(`rej-${key}`, `count ${key} refusals`, COUNT_REJECTED.replace('KEY', `'${key}'`))),
    { id: 'lag', type: 'function', z: 'soak', name: 'event-loop lag', func: 'return null;', outputs: 0, initialize: LAG_INIT, finalize: "clearInterval(context.get('timer'));", libs: [], wires: [] },
    { id: 'st', type: 'http in', z: 'soak', url: '/soak/stats', method: 'get', wires: [['st2']] },
    {
      id: 'st2', type: 'function', z: 'soak', name: 'stats (lag since the last read)', outputs: 1,
      func:
        "const lag = global.get('soakLag') || { max: 0, sum: 0, n: 0 }; global.set('soakLag', { max: 0, sum: 0, n: 0 });" +
        " msg.payload = { received: global.get('soakReceived') || 0, reports: global.get('soakReports') || { raw: {}, rollups: {} }," +
        " rejected: global.get('soakRejected') || {}, heartbeat: global.get('soakHeartbeat') || {}, lag: { max: lag.max, mean: lag.n ? lag.sum / lag.n : 0 } }; return msg;",
      wires: [['st3']],
    },
    { id: 'st3', type: 'http response', z: 'soak', statusCode: '', headers: {}, wires: [] },
    { id: 'ctl', type: 'http in', z: 'soak', url: '/soak/control', method: 'post', wires: [['ctl2', 'st3']] },
    { id: 'ctl2', type: 'function', z: 'soak', func: 'return [{ control: msg.req.query.c }, { control: msg.req.query.c }];', outputs: 2, wires: [['raw'], ['rollups']] },
  ];
  // Without a position Node-RED takes a node for a config node.
  flow.forEach((node, i) => {
    if (node.z) Object.assign(node, { x: 200 + 250 * (i % 4), y: 60 + 40 * Math.floor(i / 4) });
  });
  return flow;
}

module.exports = { soakFlow, DEVICES };
