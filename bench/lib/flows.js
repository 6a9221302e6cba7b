'use strict';
// Flow builders for the Node-RED scenarios. Every flow gets the same error counter (a `catch`
// node plus the nodes' rejected outputs → a function that logs `bench-errors <n>: <reason>` for
// the first few and every 1,000th), so a run that loses points also says why.
//
// Config property names of our nodes are the public ones listed in the README ("How each node behaves").
const fs = require('fs');
const path = require('path');
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

/**
 * What the editor puts into a new node's property: `defaults.<prop>.value` in nodes/<type>.html,
 * or undefined when the property (or a plain literal value) is not found there. The flows use the
 * editor's defaults for the settings under study (ingest batching), so the benchmark measures
 * what a user gets when dropping the node into a flow, whatever those defaults are today.
 */
function editorDefault(type, prop) {
  const file = path.join(__dirname, '..', '..', 'nodes', `${type}.html`);
  if (!fs.existsSync(file)) return undefined;
  const m = new RegExp(`\\b${prop}:\\s*\\{\\s*value:\\s*('[^']*'|"[^"]*"|-?\\d+(?:\\.\\d+)?|true|false)`).exec(fs.readFileSync(file, 'utf8'));
  if (!m) return undefined;
  const v = m[1];
  return v.startsWith("'") ? v.slice(1, -1) : JSON.parse(v);
}

/** Ingest batching as the editor sets it for a new node (the node's defaults): for B, B2, B3. */
function ingestDefaults() {
  const out = {};
  for (const prop of ['batchSize', 'batchInterval']) {
    const v = editorDefault('telemetry-ingest', prop);
    if (v !== undefined) out[prop] = v;
  }
  return out;
}

function ingestNode(qos, wires) {
  return node('bench-ingest', 'telemetry-ingest', {
    broker: 'bench-broker',
    topic: TOPIC_FILTER,
    qos,
    format: 'json',
    topicTemplate: TOPIC_TEMPLATE,
    measurement: MEASUREMENT,
    ...ingestDefaults(),
  }, wires);
}

/** The archive's batching and spool as the editor sets them for a new node (5,000 / 1 s / on today). */
const ARCHIVE = {
  batchSize: editorDefault('telemetry-archive', 'batchSize') ?? 5000,
  flushInterval: editorDefault('telemetry-archive', 'flushInterval') ?? '1s',
  spool: editorDefault('telemetry-archive', 'spool') ?? true,
};

function archiveNode(id, server = 'bench-influx') {
  return node(id, 'telemetry-archive', { server, ...ARCHIVE }, [[], ['bench-errors']]);
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

/** The full pipeline's window: tumbling 10 s per device, temperature mean, min, max, count, p95. */
const WINDOW = { size: '10s', sizeMs: 10000 };

/**
 * The full pipeline (issue #16): ingest → enrich (device lookup table → tags, °C→°F) → archive,
 * and enrich → window (10 s per device) → the same archive. B3 as is; B2 with one more enrich
 * rule, a JSONata tag. Node settings not named here are the nodes' defaults.
 */
function fullPipelineFlow(ctx, { jsonata = false } = {}) {
  const rules = [
    { type: 'lookup', key: 'device', table: deviceTable(), as: 'tags' },
    { type: 'convert', field: 'temperature', unit: 'C->F' },
  ];
  if (jsonata) rules.push({ type: 'set', target: 'tags', name: 'signal', valueType: 'jsonata', value: 'fields.rssi > -70 ? "strong" : "weak"' });
  return [
    tab(jsonata ? 'bench B2' : 'bench B3'),
    ...ourConfigNodes(ctx),
    ingestNode(ctx.qos, [['bench-enrich'], ['bench-errors']]),
    node('bench-enrich', 'telemetry-enrich', { rules, onMissing: 'pass' }, [['bench-archive', 'bench-window'], ['bench-errors']]),
    node('bench-window', 'telemetry-window', {
      windowType: 'tumbling',
      size: WINDOW.size,
      groupBy: 'device',
      fields: 'temperature',
      aggregates: 'mean,min,max,count,p95',
      timeMode: 'event',
      allowedLateness: '0s',
      outputMeasurement: '{measurement}_{size}',
      persistState: false,
    }, [['bench-archive'], ['bench-errors']]),
    archiveNode('bench-archive'),
    ...errorCounter(),
  ];
}

/**
 * Where the full pipeline's window aggregates land (a landed-count check beside the throughput
 * figure): the same database, their own measurement, so COUNT(temperature) FROM telemetry counts
 * the readings alone. A device's last window closes when it has been quiet for the window size.
 */
const WINDOW_OUTPUT = { db: (db) => db, measurement: `${MEASUREMENT}_${WINDOW.size}`, field: 'temperature_mean', sizeMs: WINDOW.sizeMs, settleAfterMs: WINDOW.sizeMs + 1000 };

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

module.exports = { oursFlow, fullPipelineFlow, peerBestFlow, peerNaiveFlow, PEER_CREDENTIALS, WINDOW_OUTPUT, ingestDefaults, editorDefault, ARCHIVE };
