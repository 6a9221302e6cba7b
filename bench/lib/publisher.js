'use strict';
// The load generator, run as its own child process so its CPU is not charged to the pipeline
// under test (and so the runner's event loop cannot slow it down).
//
//   node bench/lib/publisher.js '{"url":"mqtt://127.0.0.1:1883","qos":0,"messages":100000,
//                                 "rate":0,"timesFile":"/tmp/x.bin"}'
//
// rate 0 = as fast as the broker takes them (bounded by `window` unacknowledged publishes:
// mqtt.js calls back once a QoS 0 packet is written to the socket, a QoS 1 one when its PUBACK
// arrives); rate > 0 = a fixed rate in msg/s, scheduled against the clock (a late tick catches
// up, so the average rate holds).
// The publish time of every message (epoch ms, sub-ms resolution) goes to `timesFile` as a
// Float64Array, for the latency mapping. The last stdout line is a JSON summary.
const fs = require('fs');
const { performance } = require('perf_hooks');
const mqtt = require('mqtt');
const { DEVICES, topicFor, payloadFor } = require('./workload');

const opts = JSON.parse(process.argv[2] || '{}');
const total = opts.messages;
const qos = opts.qos === 1 ? 1 : 0;
const rate = opts.rate || 0;
const windowSize = opts.window || (qos === 1 ? 1000 : 900);
const times = new Float64Array(total);
const lastTs = new Float64Array(DEVICES);

const now = () => performance.timeOrigin + performance.now();

let sent = 0;
let acked = 0;
let failed = 0;
let firstError;
let startedAt = 0;
let scheduled = false;
let finished = false;

const client = mqtt.connect(opts.url, {
  clientId: `bench-pub-${process.pid}`,
  clean: true,
  keepalive: 60,
  reconnectPeriod: 0,
  protocolVersion: 4,
});

client.on('connect', () => {
  // Nagle + delayed ACK would otherwise cap QoS 1 at ~14k msg/s (FIELD-NOTES.md).
  if (client.stream && typeof client.stream.setNoDelay === 'function') client.stream.setNoDelay(true);
  startedAt = now();
  if (rate > 0) paced();
  else schedule();
});
client.on('error', (err) => fail(err));
client.on('close', () => {
  if (!finished) fail(new Error('connection to the broker closed'));
});

function onPublished(err) {
  if (err) {
    failed++;
    if (!firstError) firstError = err;
  } else {
    acked++;
  }
  if (acked + failed === total) finish();
  else if (rate === 0) schedule();
}

function publishOne() {
  const i = sent;
  const t = now();
  // Event time: the publish time, made unique per device so no two points of one series share
  // a timestamp (InfluxDB would keep only the last of them).
  const d = i % DEVICES;
  let ts = Math.floor(t);
  if (ts <= lastTs[d]) ts = lastTs[d] + 1;
  lastTs[d] = ts;
  times[i] = t;
  sent++;
  client.publish(topicFor(i), payloadFor(i, ts), { qos }, onPublished);
}

// Max rate: publish in slices from setImmediate so acknowledgements get a turn; stop while
// `windowSize` publishes are unacknowledged (mqtt.js holds their callbacks until the socket
// drains, so this is also socket back-pressure).
function schedule() {
  if (scheduled || sent >= total) return;
  scheduled = true;
  setImmediate(pump);
}

function pump() {
  scheduled = false;
  let slice = 500;
  while (sent < total && slice-- > 0 && sent - acked - failed < windowSize) publishOne();
  if (sent < total && sent - acked - failed < windowSize) schedule();
}

// Fixed rate: every tick publishes what is due by now.
function paced() {
  const due = Math.min(total, Math.floor(((now() - startedAt) * rate) / 1000) + 1);
  while (sent < due) publishOne();
  if (sent < total) setTimeout(paced, 1);
}

function finish() {
  if (finished) return;
  finished = true;
  const endedAt = now();
  client.end(false, () => {
    if (opts.timesFile) fs.writeFileSync(opts.timesFile, Buffer.from(times.buffer, 0, sent * 8));
    const cpu = process.cpuUsage();
    const summary = {
      sent,
      acked,
      failed,
      error: firstError ? firstError.message : undefined,
      firstPublishMs: sent > 0 ? times[0] : undefined,
      lastPublishMs: sent > 0 ? times[sent - 1] : undefined,
      durationMs: endedAt - startedAt,
      rate: sent > 1 ? ((sent - 1) * 1000) / (times[sent - 1] - times[0]) : 0,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0));
  });
}

function fail(err) {
  if (finished) return;
  finished = true;
  process.stdout.write(`${JSON.stringify({ sent, acked, failed, error: err.message })}\n`, () => process.exit(1));
}

process.on('SIGTERM', () => fail(new Error('stopped (SIGTERM)')));
