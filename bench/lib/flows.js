'use strict';
// Flow builders for the Node-RED scenarios. Every flow gets the same error counter (a `catch`
// node plus the nodes' rejected outputs → a function that logs `bench-errors <n>: <reason>` for
// the first few and every 1,000th), so a run that loses points also says why.
//
// Config property names of our nodes are the public ones listed in the README ("How each node behaves").
const { TOPIC_FILTER, TOPIC_TEMPLATE, MEASUREMENT, deviceTable } = require('./workload');

const TAB = 'bench-tab';

const tab = (label) => ({ id: TAB, type: 'tab', label, disabled: false, info: '' });

function node(id, type, props, wires = []) {
  return { id, type, z: TAB, name: id, x: 0, y: 0, ...props, wires };
}

const ERROR_COUNTER = `
const n = (context.get('n') || 0) + 1;
context.set('n', n);
if (n <= 5 || n % 1000 === 0) {
  const e = msg.error || {};
  const reason = e.code ? e.code + ': ' + e.message : (e.message || JSON.stringify(e).slice(0, 200));
  node.warn('bench-errors ' + n + ': ' + reason);
}
return null;`;

/** catch-all + counter; `sources` are [nodeId, output index] pairs wired into the counter. */
function errorCounter() {
  return [
    node('bench-catch', 'catch', { scope: null, uncaught: false }, [['bench-errors']]),
    node('bench-errors', 'function', { ...fn(ERROR_COUNTER), finalize: ERROR_TOTAL }, []),
  ];
}

// On close (the runner stops Node-RED after each run): the exact total.
const ERROR_TOTAL = `
const n = context.get('n') || 0;
if (n > 0) node.warn('bench-errors ' + n + ': (total)');`;

function fn(func, initialize = '') {
  return { func, outputs: 1, timeout: 0, noerr: 0, initialize, finalize: '', libs: [] };
}

// ---------------------------------------------------------------------------------------------
// Ours

function ourConfigNodes({ mqttUrl, influxUrl, db }) {
  return [
    { id: 'bench-broker', type: 'telemetry-mqtt-broker', name: 'bench broker', url: mqttUrl, clientId: '', protocolVersion: 4, keepalive: 60, clean: true },
    { id: 'bench-influx', type: 'telemetry-influxdb', name: 'bench influx', url: influxUrl, database: db, retentionPolicy: '', timeout: 10000 },
  ];
}

/** Ingest settings used by B and B2: micro-batches of ≤ 1,000 readings, held ≤ 100 ms. */
const INGEST_BATCH = { batchSize: 1000, batchInterval: '100ms' };

function ingestNode(qos, wires) {
  return node('bench-ingest', 'telemetry-ingest', {
    broker: 'bench-broker',
    topic: TOPIC_FILTER,
    qos,
    format: 'json',
    topicTemplate: TOPIC_TEMPLATE,
    measurement: MEASUREMENT,
    ...INGEST_BATCH,
  }, wires);
}

function archiveNode(id, server = 'bench-influx') {
  return node(id, 'telemetry-archive', { server, batchSize: 5000, flushInterval: '1s', spool: true }, [[], ['bench-errors']]);
}

/** B: telemetry-ingest (own broker connection) → telemetry-archive. */
function oursFlow(ctx) {
  return [
    tab('bench B'),
    ...ourConfigNodes(ctx),
    ingestNode(ctx.qos, [['bench-archive'], ['bench-errors']]),
    archiveNode('bench-archive'),
    ...errorCounter(),
  ];
}

/**
 * B2: ingest → enrich (device lookup table → tags, °C→°F, a JSONata tag) → window (tumbling 1 s
 * per device, temperature mean/max/p95) → a second archive; the raw readings go from ingest to
 * their own archive in parallel.
 */
function pipelineFlow(ctx) {
  return [
    tab('bench B2'),
    ...ourConfigNodes(ctx),
    ingestNode(ctx.qos, [['bench-archive', 'bench-enrich'], ['bench-errors']]),
    archiveNode('bench-archive'),
    node('bench-enrich', 'telemetry-enrich', {
      rules: [
        { type: 'lookup', key: 'device', table: deviceTable(), as: 'tags' },
        { type: 'convert', field: 'temperature', unit: 'C->F' },
        { type: 'set', target: 'tags', name: 'signal', valueType: 'jsonata', value: 'fields.rssi > -70 ? "strong" : "weak"' },
      ],
      onMissing: 'pass',
    }, [['bench-window'], ['bench-errors']]),
    node('bench-window', 'telemetry-window', {
      windowType: 'tumbling',
      size: '1s',
      groupBy: 'device',
      fields: 'temperature',
      aggregates: 'mean,max,p95',
      timeMode: 'event',
      allowedLateness: '0s',
      outputMeasurement: '{measurement}_{size}',
      persistState: false,
    }, [['bench-archive-windows'], ['bench-errors']]),
    // Aggregates go to their own database, so the raw points are counted alone.
    { id: 'bench-influx-windows', type: 'telemetry-influxdb', name: 'bench windows', url: ctx.influxUrl, database: WINDOW_OUTPUT.db(ctx.db), retentionPolicy: '', timeout: 10000 },
    archiveNode('bench-archive-windows', 'bench-influx-windows'),
    ...errorCounter(),
  ];
}

/** Where B2's window aggregates land (for a landed-count check, not the throughput figure). */
const WINDOW_OUTPUT = { db: (db) => `${db}_windows`, measurement: `${MEASUREMENT}_1s`, field: 'temperature_mean' };

// ---------------------------------------------------------------------------------------------
// Peers: core mqtt in + node-red-contrib-influxdb 0.7.0

function peerConfigNodes({ mqttPort, influxPort, db }) {
  return [
    {
      id: 'bench-mqtt-broker',
      type: 'mqtt-broker',
      name: 'bench broker',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: '',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    { id: 'bench-influxdb', type: 'influxdb', name: 'bench influx', hostname: '127.0.0.1', port: String(influxPort), protocol: 'http', database: db, usetls: false, influxdbVersion: '1.x' },
  ];
}

function mqttIn(qos, wires) {
  return node('bench-mqtt-in', 'mqtt in', { topic: TOPIC_FILTER, qos: String(qos), datatype: 'json', broker: 'bench-mqtt-broker', nl: false, rap: true, rh: 0, inputs: 0 }, wires);
}

/** Empty credentials: the peer's config node reads `this.credentials.username`. */
const PEER_CREDENTIALS = { 'bench-influxdb': { username: '', password: '' } };

// What a careful user writes: collect 5,000 points, and flush what is there every second so the
// tail of a burst (and a quiet period) is written too.
const BATCH_INIT = `
context.set('batch', []);
const timer = setInterval(() => {
  const batch = context.get('batch');
  if (batch.length > 0) {
    context.set('batch', []);
    node.send({ payload: batch });
  }
}, 1000);
context.set('timer', timer);`;

const BATCH_FUNC = `
const p = msg.payload;
const parts = msg.topic.split('/');
const fields = {};
for (const k of Object.keys(p)) if (k !== 'ts') fields[k] = p[k];
const batch = context.get('batch');
batch.push({ measurement: '${MEASUREMENT}', tags: { site: parts[1], device: parts[2] }, fields, timestamp: p.ts });
if (batch.length >= 5000) {
  context.set('batch', []);
  return { payload: batch };
}
return null;`;

const BATCH_FINALIZE = `clearInterval(context.get('timer'));`;

/** C-best: mqtt in (JSON) → function batching 5,000 → influxdb batch (precision ms). */
function peerBestFlow(ctx) {
  return [
    tab('bench C-best'),
    ...peerConfigNodes(ctx),
    mqttIn(ctx.qos, [['bench-batch']]),
    node('bench-batch', 'function', { ...fn(BATCH_FUNC, BATCH_INIT), finalize: BATCH_FINALIZE }, [['bench-influx-batch']]),
    node('bench-influx-batch', 'influxdb batch', { influxdb: 'bench-influxdb', precision: 'ms', retentionPolicy: '', database: 'database' }, []),
    ...errorCounter(),
  ];
}

const NAIVE_FUNC = `
const p = msg.payload;
const parts = msg.topic.split('/');
const fields = {};
for (const k of Object.keys(p)) if (k !== 'ts') fields[k] = p[k];
fields.time = p.ts;
msg.payload = [fields, { site: parts[1], device: parts[2] }];
return msg;`;

/** C-naive: mqtt in (JSON) → function → influxdb out (one HTTP write per message). */
function peerNaiveFlow(ctx) {
  return [
    tab('bench C-naive'),
    ...peerConfigNodes(ctx),
    mqttIn(ctx.qos, [['bench-shape']]),
    node('bench-shape', 'function', fn(NAIVE_FUNC), [['bench-influx-out']]),
    node('bench-influx-out', 'influxdb out', { influxdb: 'bench-influxdb', measurement: MEASUREMENT, precision: 'ms', retentionPolicy: '', database: 'database' }, []),
    ...errorCounter(),
  ];
}

module.exports = { oursFlow, pipelineFlow, peerBestFlow, peerNaiveFlow, PEER_CREDENTIALS, WINDOW_OUTPUT, INGEST_BATCH };
