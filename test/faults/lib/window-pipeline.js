'use strict';
// The flow of the window fault tests (issue #21): MQTT 5 persistent session → telemetry-ingest
// (ackMode "archive") → telemetry-window (5 s tumbling, event time, persistState in a
// localfilesystem store without cache) → telemetry-archive (4 s flush, disk spool) → InfluxDB.
// The publisher is lib/pipeline.js's: message `seq` i of device `dev-(i mod devices)` carries
// ts = T0 + i ms, so every aggregate's exact count and sum follow from the seqs published.
const { T0 } = require('./pipeline');

const WINDOW_MS = 5000;
const MEASUREMENT = 'telemetry_5s';

/** Node-RED settings: a file context store that writes every set at once (cache: false). */
const SETTINGS = {
  contextStorage: {
    default: 'memory',
    memory: { module: 'memory' },
    file: { module: 'localfilesystem', config: { cache: false } },
  },
};

function windowFlows({ brokerUrl, influxUrl, db, clientId }) {
  return [
    { id: 'tab', type: 'tab', label: 'window fault pipeline' },
    { id: 'b1', type: 'telemetry-mqtt-broker', url: brokerUrl, clientId, protocolVersion: 5, keepalive: 10, clean: false },
    { id: 's1', type: 'telemetry-influxdb', url: influxUrl, database: db, retentionPolicy: '', timeout: 5000 },
    {
      id: 'ing', type: 'telemetry-ingest', z: 'tab', broker: 'b1', topic: 'fault/#', qos: 1, format: 'json', topicTemplate: '',
      measurement: 'telemetry', tagKeys: 'deviceId', timestampKey: 'ts', maxPast: '', maxFuture: '', batchSize: '', batchInterval: '',
      ackMode: 'archive', ackTimeout: '30s', wires: [['win'], ['refused']],
    },
    {
      // Diagnostics: readings refused (late, invalid) are logged, so a failing run says why a
      // window came out short (not a warning: the tests assert a log without warnings).
      id: 'refused', type: 'function', z: 'tab', name: 'log refused',
      func:
        "const p = Array.isArray(msg.payload) ? msg.payload : [msg.payload];" +
        " node.log(`REFUSED ${(msg.error && msg.error.code) || '?'} ${p.length}: ${p.slice(0, 3).map((r) => JSON.stringify(r && (r.fields || r))).join(' ')}`); return null;",
      outputs: 0, wires: [],
    },
    {
      id: 'win', type: 'telemetry-window', z: 'tab', windowType: 'tumbling', size: '5s', groupBy: 'device', fields: 'seq',
      aggregates: 'count,sum', timeMode: 'event', allowedLateness: '0s', outputMeasurement: '', persistState: true, contextStore: 'file',
      wires: [['arc'], ['refused']],
    },
    {
      id: 'arc', type: 'telemetry-archive', z: 'tab', server: 's1', batchSize: 5000, flushInterval: '4s', maxConcurrent: 2, maxRetries: 3,
      maxBackoff: '2s', spool: true, spoolDir: '', spoolMaxMB: 512, onSpoolFull: 'drop-oldest', gzip: false, allowMsgOverride: false,
      wires: [[], []],
    },
  ];
}

/** Expected aggregates `device|start` → { count, sum } for seqs 0..published-1. */
function expectedAggregates(published, devices) {
  const want = new Map();
  for (let i = 0; i < published; i++) {
    const start = Math.floor((T0 + i) / WINDOW_MS) * WINDOW_MS;
    const key = `dev-${i % devices}|${start}`;
    const agg = want.get(key);
    if (agg) {
      agg.count++;
      agg.sum += i;
    } else want.set(key, { count: 1, sum: i });
  }
  return want;
}

/** Stored aggregates `device|start` → { count, sum }. */
async function storedAggregates(influx, db) {
  let rows;
  try {
    rows = await influx.rows(`SELECT "seq_count", "seq_sum" FROM "${MEASUREMENT}" GROUP BY "device"`, { db });
  } catch (err) {
    if (/database not found/.test(err.message)) return new Map();
    throw err;
  }
  return new Map(rows.map((r) => [`${r.device}|${r.time}`, { count: r.seq_count, sum: r.seq_sum }]));
}

/**
 * Compares: `missing` windows (no point), `under`/`over` (count below/above), readings counted
 * twice in total (`extraReadings`), right count but wrong sum (`wrongSum`), and points for no
 * expected window (`unexpected`).
 */
function compareAggregates(want, got) {
  const r = { windows: want.size, stored: got.size, missing: 0, under: 0, over: 0, wrongSum: 0, extraReadings: 0, unexpected: 0 };
  for (const [key, w] of want) {
    const g = got.get(key);
    if (!g) r.missing++;
    else if (g.count < w.count) {
      r.under++;
      if (!r.underWindows) r.underWindows = {};
      const [dev, start] = key.split('|');
      const rel = Number(start) / WINDOW_MS - Math.floor(T0 / WINDOW_MS); // window index from the publisher's seq 0
      r.underWindows[rel] = (r.underWindows[rel] || []).concat(`${dev}:${g.count}/${w.count}`);
    }
    else if (g.count > w.count) {
      r.over++;
      r.extraReadings += g.count - w.count;
    } else if (g.sum !== w.sum) r.wrongSum++;
  }
  for (const key of got.keys()) if (!want.has(key)) r.unexpected++;
  if (r.underWindows) for (const k of Object.keys(r.underWindows)) {
    const l = r.underWindows[k];
    r.underWindows[k] = l.length > 4 ? `${l.length} devices, e.g. ${l.slice(0, 4).join(' ')}` : l.join(' ');
  }
  r.exact = r.missing === 0 && r.under === 0 && r.over === 0 && r.wrongSum === 0 && r.unexpected === 0;
  return r;
}

module.exports = { WINDOW_MS, MEASUREMENT, SETTINGS, windowFlows, expectedAggregates, storedAggregates, compareAggregates };
