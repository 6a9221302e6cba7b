'use strict';
// Scenario A, the raw limit: the least work a correct MQTT → InfluxDB bridge can do, with no
// Node-RED in between. One process: an mqtt.js subscriber → JSON.parse → Reading (tags from the
// topic) → our validator + line-protocol encoder (dist/core/line-protocol) → 5,000-line batches
// (or whatever is there after 1 s, like telemetry-archive) → our HTTP client (dist/io/influx-http),
// 4 writes in flight. No retries: a failed write is counted and reported, so a broken run shows.
//
//   node bench/lib/raw-pipeline.js '{"mqttUrl":"mqtt://…","qos":0,"influxUrl":"http://…","db":"x"}'
//
// stdout: a `{"ready":true}` line once subscribed; on SIGTERM it writes what it holds, then a
// JSON line of counts and exits.
const path = require('path');
const mqtt = require('mqtt');

const DIST = path.join(__dirname, '..', '..', 'dist');
const { encodeValidReading } = require(path.join(DIST, 'core', 'line-protocol'));
const { validateReading } = require(path.join(DIST, 'core', 'reading'));
const { InfluxHttp } = require(path.join(DIST, 'io', 'influx-http'));
const { MEASUREMENT, TOPIC_FILTER } = require('./workload');

const opts = JSON.parse(process.argv[2] || '{}');
const qos = opts.qos === 1 ? 1 : 0;
const batchSize = opts.batchSize || 5000;
const flushMs = opts.flushMs || 1000;
const maxInFlight = opts.inFlight || 4;
/** Batches waiting for a free request slot before the subscriber stops reading the socket. */
const maxQueued = 8;

const influx = new InfluxHttp({ url: opts.influxUrl, maxSockets: maxInFlight });
const counts = {
  received: 0,
  rejected: 0,
  written: 0,
  writeErrors: 0,
  requests: 0,
  lastError: undefined,
  firstReceivedAt: undefined,
  lastReceivedAt: undefined,
  lastWrittenAt: undefined,
};
let lines = [];
const queue = [];
let inFlight = 0;
const heldCallbacks = [];

function onPacket(topic, payload) {
  if (counts.received++ === 0) counts.firstReceivedAt = Date.now();
  counts.lastReceivedAt = Date.now();
  const parts = topic.split('/');
  let body;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    counts.rejected++;
    return;
  }
  const fields = {};
  for (const key of Object.keys(body)) if (key !== 'ts') fields[key] = body[key];
  const reading = {
    measurement: MEASUREMENT,
    tags: { site: parts[1], device: parts[2] },
    fields,
    timestamp: typeof body.ts === 'number' ? body.ts : Date.now(),
  };
  if (validateReading(reading)) {
    counts.rejected++;
    return;
  }
  lines.push(encodeValidReading(reading));
  if (lines.length >= batchSize) cut();
}

function cut() {
  if (lines.length === 0) return;
  queue.push(lines);
  lines = [];
  pumpWrites();
}

function pumpWrites() {
  while (inFlight < maxInFlight && queue.length > 0) {
    const batch = queue.shift();
    inFlight++;
    counts.requests++;
    influx
      .write(batch.join('\n'), { database: opts.db })
      .then((res) => {
        if (res.status === 204) {
          counts.written += batch.length;
          counts.lastWrittenAt = Date.now();
        } else {
          counts.writeErrors += batch.length;
          counts.lastError = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
        }
      })
      .catch((err) => {
        counts.writeErrors += batch.length;
        counts.lastError = err.message;
      })
      .finally(() => {
        inFlight--;
        pumpWrites();
        releaseHeld();
      });
  }
}

function releaseHeld() {
  while (heldCallbacks.length > 0 && queue.length < maxQueued) heldCallbacks.shift()();
}

const client = mqtt.connect(opts.mqttUrl, {
  clientId: `bench-raw-${process.pid}`,
  clean: true,
  keepalive: 60,
  reconnectPeriod: 1000,
  protocolVersion: 4,
});
// Back-pressure: mqtt.js reads the next packet only after this callback, so a slow InfluxDB
// makes the broker queue rather than this heap grow.
client.handleMessage = (packet, callback) => {
  onPacket(packet.topic, packet.payload);
  if (queue.length >= maxQueued) heldCallbacks.push(callback);
  else callback();
};
client.on('connect', () => {
  if (client.stream && typeof client.stream.setNoDelay === 'function') client.stream.setNoDelay(true);
  client.subscribe(TOPIC_FILTER, { qos }, (err) => {
    if (err) {
      process.stdout.write(`${JSON.stringify({ error: `subscribe failed: ${err.message}` })}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  });
});
client.on('error', (err) => {
  counts.lastError = `mqtt: ${err.message}`;
});

const timer = setInterval(cut, flushMs);

process.on('SIGTERM', () => {
  clearInterval(timer);
  client.end(true);
  cut();
  const waitDrained = () => {
    if (inFlight === 0 && queue.length === 0) {
      influx.close();
      process.stdout.write(`${JSON.stringify(counts)}\n`, () => process.exit(0));
    } else setTimeout(waitDrained, 20);
  };
  waitDrained();
});
