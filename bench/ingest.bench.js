'use strict';
// telemetry-ingest (issue #3): parse throughput of the core, the node in a real Node-RED runtime
// with and without micro-batching, and backpressure against a real Mosquitto with a flow that is
// slower than the broker.
//   node bench/ingest.bench.js          (prints one JSON object; progress on stderr; < 60 s)
// Figures are medians of 3 runs. The payload is the shared bench workload (~115-byte JSON,
// 1,000 device topics, a topic template for site/device). The Node-RED runtime is the test
// helper's, with its sinon spies removed after loading (they cost ~40% of the time per msg).
const path = require('path');
const { spawn } = require('child_process');

const { ingest } = require('../dist/core/ingest/ingest');
const { parseIngestConfig } = require('../dist/core/ingest/config');
const { topicFor, payloadFor, TOPIC_TEMPLATE } = require('./lib/workload');

const REPO = path.resolve(__dirname, '..');
const log = (...args) => console.error('[ingest bench]', ...args);
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 0) => Number(x.toFixed(digits));
const now = () => Number(process.hrtime.bigint()) / 1e6;

function options(raw) {
  const { ok, settings: config, problems } = parseIngestConfig(raw);
  if (!ok) throw new Error(JSON.stringify(problems));
  return config.options;
}

/** Runs `fn(i)` n times, 3 times over; returns the median rate per second of `units(i)` per call. */
function rate(n, fn, unitsPerCall = 1) {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(i); // warm-up (JIT)
  const rates = [];
  for (let run = 0; run < 3; run++) {
    const t0 = now();
    for (let i = 0; i < n; i++) fn(i);
    rates.push((n * unitsPerCall * 1000) / (now() - t0));
  }
  return median(rates);
}

// ---------------------------------------------------------------------------------------------
// 1. Core parse throughput

function coreFigures() {
  const ts = Date.now();
  const N = 100_000;
  const payloads = Array.from({ length: 1000 }, (_, i) => payloadFor(i, ts));
  const topics = Array.from({ length: 1000 }, (_, i) => topicFor(i));
  const check = (result, readings) => {
    if (result.readings.length !== readings || result.rejections.length !== 0) throw new Error(`unexpected result ${JSON.stringify(result).slice(0, 300)}`);
  };

  const jsonOpts = options({ format: 'json', topicTemplate: TOPIC_TEMPLATE });
  const autoOpts = options({ format: 'auto', topicTemplate: TOPIC_TEMPLATE });
  check(ingest({ payload: payloads[0], topic: topics[0], now: ts }, jsonOpts), 1);
  const json = rate(N, (i) => ingest({ payload: payloads[i % 1000], topic: topics[i % 1000], now: ts }, jsonOpts));
  const jsonAuto = rate(N, (i) => ingest({ payload: payloads[i % 1000], topic: topics[i % 1000], now: ts }, autoOpts));
  const jsonBuffers = payloads.map((p) => Buffer.from(p));
  // What the MQTT path does: UTF-8 decoding of the Buffer happens in the node (mqtt-source), then ingest.
  const { decodeUtf8 } = require('../dist/core/ingest/payload');
  const jsonFromBuffer = rate(N, (i) => ingest({ payload: decodeUtf8(jsonBuffers[i % 1000]), topic: topics[i % 1000], now: ts }, jsonOpts));

  const array100 = `[${payloads.slice(0, 100).join(',')}]`;
  check(ingest({ payload: array100, topic: topics[0], now: ts }, jsonOpts), 100);
  const jsonArray = rate(N / 100, () => ingest({ payload: array100, topic: topics[0], now: ts }, jsonOpts), 100);

  const tsNs = `${ts}000000`;
  const lines = Array.from({ length: 1000 }, (_, i) => {
    const p = JSON.parse(payloads[i]);
    return `telemetry,site=site-${i % 10},device=dev-${String(i).padStart(4, '0')} temperature=${p.temperature},humidity=${p.humidity},pressure=${p.pressure},battery=${p.battery},rssi=${p.rssi},seq=${p.seq} ${tsNs}`;
  });
  const lineOpts = options({ format: 'line' });
  const lineMsOpts = options({ format: 'line' });
  check(ingest({ payload: lines[0], topic: undefined, now: ts }, lineOpts), 1);
  const lineSingle = rate(N, (i) => ingest({ payload: lines[i % 1000], topic: undefined, now: ts }, lineOpts));
  const block = lines.join('\n');
  check(ingest({ payload: block, topic: undefined, now: ts }, lineOpts), 1000);
  const lineBlock = rate(N / 1000, () => ingest({ payload: block, topic: undefined, now: ts }, lineOpts), 1000);
  const linesMs = lines.map((l) => l.replace(/\d+$/, String(ts)));
  const lineSingleMs = rate(N, (i) => ingest({ payload: linesMs[i % 1000], topic: undefined, now: ts }, lineMsOpts));

  const senml = JSON.stringify([
    { bn: 'urn:dev:ow:10e2073a01080063:', bt: ts / 1000, n: 'temperature', u: 'Cel', v: 21.5 },
    { n: 'humidity', u: '%RH', v: 45 },
    { n: 'pressure', u: 'hPa', v: 1013 },
    { n: 'battery', u: 'V', v: 3.1 },
  ]);
  const senmlOpts = options({ format: 'senml' });
  check(ingest({ payload: senml, topic: undefined, now: ts }, senmlOpts), 4);
  const senmlRate = rate(N / 4, () => ingest({ payload: senml, topic: undefined, now: ts }, senmlOpts), 4);

  const valueOpts = options({ format: 'value', topicTemplate: 'shellies/{device}/sensor/{field}' });
  const value = rate(N, (i) => ingest({ payload: '21.5', topic: `shellies/ht-${i % 1000}/sensor/temperature`, now: ts }, valueOpts));

  return {
    json_msg_per_s: round(json),
    json_us_per_msg: round(1e6 / json, 2),
    json_from_buffer_msg_per_s: round(jsonFromBuffer),
    json_auto_detect_msg_per_s: round(jsonAuto),
    json_array_of_100_readings_per_s: round(jsonArray),
    line_single_ns_msg_per_s: round(lineSingle),
    line_single_ms_msg_per_s: round(lineSingleMs),
    line_1000_lines_readings_per_s: round(lineBlock),
    senml_readings_per_s: round(senmlRate),
    value_msg_per_s: round(value),
    payload_bytes: payloads[0].length,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. The node in Node-RED (test helper runtime): wired msgs in, one helper node downstream

async function nodeFigures() {
  const helper = require('../test/support/helper');
  const ingestNode = require('../nodes/telemetry-ingest.js');
  const ts = Date.now();
  const N = 30_000;
  const results = {};
  for (const [name, extra] of [['unbatched', { batchSize: 1 }], ['batched_1000', { batchSize: 1000, batchInterval: '100ms' }]]) {
    const rates = [];
    let downstreamMsgs = 0;
    for (let run = 0; run < 3; run++) {
      await helper.load(ingestNode, [
        { id: 'in', type: 'telemetry-ingest', format: 'json', topicTemplate: TOPIC_TEMPLATE, wires: [['out'], []], ...extra },
        { id: 'out', type: 'helper' },
      ]);
      helper._sandbox.restore(); // the helper's spies on Node.prototype, not part of a real runtime
      const input = helper.getNode('in');
      let readings = 0;
      downstreamMsgs = 0;
      const done = new Promise((resolve) => {
        helper.getNode('out').on('input', (msg) => {
          downstreamMsgs++;
          readings += Array.isArray(msg.payload) ? msg.payload.length : 1;
          if (readings >= N) resolve();
        });
      });
      const t0 = now();
      // 1,000 msgs per turn of the event loop, as a busy MQTT connection delivers them.
      for (let i = 0; i < N; i += 1000) {
        for (let j = i; j < i + 1000; j++) input.receive({ topic: topicFor(j), payload: payloadFor(j, ts) });
        await new Promise(setImmediate);
      }
      await done;
      rates.push((N * 1000) / (now() - t0));
      await helper.unload();
    }
    results[name] = { readings_per_s: round(median(rates)), downstream_msgs: downstreamMsgs };
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// 3. Backpressure: Mosquitto → ingest → a downstream node slower than the broker

function publisherChild(url, count, topicPrefix) {
  const script = `
    const mqtt = require('mqtt');
    const client = mqtt.connect(${JSON.stringify(url)}, { clientId: 'ingest-bench-pub', clean: true });
    client.on('connect', async () => {
      const ts = Date.now();
      for (let i = 0; i < ${count}; i++) {
        const p = '{"ts":' + ts + ',"temperature":21.5,"humidity":45.25,"pressure":1013.25,"battery":3.125,"rssi":-60,"seq":' + i + '}';
        if (!client.publish(${JSON.stringify(topicPrefix)} + (i % 1000), p, { qos: 0 })) await new Promise((r) => client.stream.once('drain', r));
      }
      client.end(false, {}, () => process.exit(0));
    });`;
  return spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
}

function busy(us) {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  while (process.hrtime.bigint() < end);
}

async function backpressureFigures() {
  const { findBinary } = require('../test/support/processes');
  if (!findBinary('mosquitto')) return { skipped: 'mosquitto is not installed' };
  const { startMosquitto } = require('../test/support/services');
  const helper = require('../test/support/helper');
  const ingestNode = require('../nodes/telemetry-ingest.js');
  const brokerNode = require('../nodes/telemetry-mqtt-broker.js');
  const mosquitto = await startMosquitto(null);
  const COUNT = 20_000;
  const SLOW_US = 50; // the flow handles ≤ 20,000 msg/s: slower than the publisher
  const out = {};
  try {
    for (const [name, unbounded] of [['with_flow_control', false], ['without_flow_control', true]]) {
      await helper.load([brokerNode, ingestNode], [
        { id: 'b1', type: 'telemetry-mqtt-broker', url: mosquitto.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true },
        { id: 'in', type: 'telemetry-ingest', broker: 'b1', topic: `bp-${name}/#`, qos: 0, format: 'json', wires: [['out'], []] },
        { id: 'out', type: 'helper' },
      ]);
      helper._sandbox.restore();
      const connection = helper.getNode('b1').connection;
      if (unbounded) connection.maxInFlight = Number.POSITIVE_INFINITY; // what a handler without a promise would do
      await new Promise((r) => setTimeout(r, 300)); // connect + SUBACK
      let sent = 0;
      let received = 0;
      let maxGap = 0;
      const ingestNodeInstance = helper.getNode('in');
      const send = ingestNodeInstance.send.bind(ingestNodeInstance);
      ingestNodeInstance.send = (outputs) => {
        sent++;
        if (sent - received > maxGap) maxGap = sent - received;
        send(outputs);
      };
      const finished = new Promise((resolve) => {
        helper.getNode('out').on('input', () => {
          busy(SLOW_US);
          received++;
          if (received >= COUNT) resolve();
        });
      });
      const t0 = now();
      const child = publisherChild(mosquitto.url, COUNT, `bp-${name}/dev-`);
      let publisherDoneMs = NaN;
      child.on('exit', () => (publisherDoneMs = now() - t0));
      const timeout = new Promise((resolve) => setTimeout(resolve, 20_000));
      await Promise.race([finished, timeout]);
      const elapsed = now() - t0;
      out[name] = {
        received,
        of: COUNT,
        publisher_done_ms: round(publisherDoneMs),
        flow_done_ms: round(elapsed),
        // The memory bound: msgs the ingest sent that the next node had not handled yet.
        max_msgs_sent_not_yet_delivered: maxGap,
      };
      child.kill();
      await helper.unload();
    }
  } finally {
    await mosquitto.destroy();
  }
  return { downstream_us_per_msg: SLOW_US, ...out };
}

async function main() {
  const started = now();
  log('core parse throughput …');
  const core = coreFigures();
  log(`… ${round((now() - started) / 1000, 1)} s; node in Node-RED …`);
  const node = await nodeFigures();
  log(`… ${round((now() - started) / 1000, 1)} s; backpressure with Mosquitto …`);
  const backpressure = await backpressureFigures();
  const figures = { core, node, backpressure, seconds: round((now() - started) / 1000, 1) };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
