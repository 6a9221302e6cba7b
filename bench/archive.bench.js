#!/usr/bin/env node
'use strict';
// Archive benchmark (issue #6): write throughput of the telemetry-archive node against a raw
// line-protocol HTTP writer and against node-influx's writePoints, on the same influxd in the
// same run; and the disk spool's append, scan and read-back throughput. Prints one JSON object
// on stdout (progress on stderr).
//
//   npm run build && node bench/archive.bench.js        (BENCH_QUICK=1: fewer points, 1 run)
//
// Every writer gets the same 200,000 readings (100 devices, 2 fields, unique ms timestamps),
// batches of 5,000 and 2 requests in flight (the archive's defaults), and a fresh database per
// run; a run ends when the last point is acknowledged, and every run is checked by counting the
// points in InfluxDB. Figures are medians of 3 runs, writers interleaved so that drift in
// influxd (compactions) hits all of them alike.
//   - raw: readings → a template literal for this one shape → POST /write (http keep-alive
//     agent): no validation, no escaping, no batching logic — the transport and server limit.
//   - node-influx: InfluxDB#writePoints(points, { precision: 'ms' }).
//   - archive: the real node in the Node-RED runtime (node-red-node-test-helper), fed msgs of
//     500 readings as fast as the event loop takes them, then msg.control = "flush"; it
//     validates, encodes, batches, gzips (and spools what the write slots cannot take at once).
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const zlib = require('zlib');
const { InfluxDB } = require('influx');
const { startInflux } = require('../test/support/services');
const { encodeValidReading } = require('../dist/core/line-protocol');
const { DiskSpool } = require('../dist/core/spool/disk-spool');
const { createSpoolFs } = require('../dist/io/spool-fs');

const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const POINTS = QUICK ? 30_000 : 100_000;
const ROUNDS = QUICK ? 1 : 5;
const PAUSE_MS = 300;
const BATCH = 5_000;
const CONCURRENCY = 2;
const MSG_READINGS = 500;
const T0 = Date.now() - 3_600_000;

const log = (...a) => console.error('[archive.bench]', ...a);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const round0 = (x) => Math.round(x);

const readings = Array.from({ length: POINTS }, (_, i) => ({
  measurement: 'telemetry',
  tags: { device: `dev-${String(i % 100).padStart(3, '0')}`, site: i % 2 ? 'plant-a' : 'plant-b' },
  fields: { temperature: 15 + (i % 1000) / 40, humidity: 30 + (i % 700) / 20 },
  timestamp: T0 + i,
}));

async function pool(items, concurrency, work) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function chunks(list, size) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The writers

// What a hand-written writer for this one data shape would do: no validation, no escaping
// (the benchmark's names need none), tags already in sorted order.
const rawLine = (r) =>
  `${r.measurement},device=${r.tags.device},site=${r.tags.site} temperature=${r.fields.temperature},humidity=${r.fields.humidity} ${r.timestamp}`;

async function rawWriter(influx, db) {
  const url = new URL(`${influx.url}/write?db=${db}&precision=ms`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const started = process.hrtime.bigint();
  await pool(chunks(readings, BATCH), CONCURRENCY, (batch) => post(batch.map(rawLine).join('\n')));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();
  return ms;
}

async function nodeInfluxWriter(influx, db) {
  const client = new InfluxDB({ host: influx.host, port: influx.port, database: db });
  const started = process.hrtime.bigint();
  await pool(chunks(readings, BATCH), CONCURRENCY, (batch) => client.writePoints(batch, { precision: 'ms', database: db }));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

let helper;
async function archiveWriter(influx, db, { gzip }) {
  helper ??= require('../test/support/helper');
  const archiveNode = require('../nodes/telemetry-archive.js');
  const influxNode = require('../nodes/telemetry-influxdb.js');
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-bench-'));
  await helper.load([influxNode, archiveNode], [
    { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: db, retentionPolicy: '', timeout: 30000 },
    { id: 'a1', type: 'telemetry-archive', server: 's1', batchSize: BATCH, flushInterval: '1s', maxConcurrent: CONCURRENCY, maxRetries: 3,
      maxBackoff: '30s', spool: true, spoolDir, spoolMaxMB: 512, onSpoolFull: 'drop-oldest', gzip, allowMsgOverride: false, wires: [['r'], ['x']] },
    { id: 'r', type: 'helper' },
    { id: 'x', type: 'helper' },
  ]);
  const totals = { refused: 0 };
  helper.getNode('x').on('input', () => totals.refused++);
  const node = helper.getNode('a1');
  const started = process.hrtime.bigint();
  for (const msg of chunks(readings, MSG_READINGS)) {
    node.receive({ payload: msg });
    // A producer that yields like a real one (MQTT, HTTP): the event loop runs between msgs.
    await new Promise(setImmediate);
  }
  node.receive({ control: 'flush' });
  // Done when every point is acknowledged (reports come at most once a second: count the
  // engine's own 'written' events instead, see instrumentEngine).
  while (writtenCount < POINTS) await new Promise((r) => setTimeout(r, 2));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await helper.unload();
  fs.rmSync(spoolDir, { recursive: true, force: true });
  if (totals.refused) throw new Error(`${totals.refused} points refused`);
  return { ms, spooled: spooledCount };
}

// The node reports at most once a second; to stop the clock at the last acknowledgement the
// benchmark counts the engine events the controller receives (wrapped once, below).
let writtenCount = 0;
let spooledCount = 0;
function instrumentEngine() {
  const { ArchiveController } = require('../dist/nodes/archive/controller');
  const onEvent = ArchiveController.prototype.onEvent;
  ArchiveController.prototype.onEvent = function (event) {
    if (event.type === 'written') writtenCount += event.points;
    if (event.type === 'spooled') spooledCount += event.points;
    return onEvent.call(this, event);
  };
}

// ---------------------------------------------------------------------------------------------
// The spool

function spoolFigures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-bench-'));
  const body = readings.slice(0, BATCH).map(encodeValidReading).join('\n');
  const bodyBytes = Buffer.byteLength(body);
  const records = QUICK ? 20 : 60;
  const figures = {};
  for (const sync of [true, false]) {
    const spoolDir = path.join(dir, sync ? 'fsync' : 'nosync');
    const spool = new DiskSpool(createSpoolFs(spoolDir), { maxBytes: 4 * 1024 ** 3, onFull: 'drop-oldest', sync });
    spool.open();
    const started = process.hrtime.bigint();
    for (let i = 0; i < records; i++) spool.append({ database: 'telemetry', retentionPolicy: undefined, body, lines: BATCH });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    figures[sync ? 'appendFsync' : 'appendNoFsync'] = {
      recordsPerSec: round((records * 1000) / ms),
      pointsPerSec: round((records * BATCH * 1000) / ms),
      mbPerSec: round((records * bodyBytes) / 1024 / 1024 / (ms / 1000), 1),
      msPerRecord: round(ms / records, 2),
    };
  }
  // Reopen (the scan a restart does) and read everything back (replay without the network).
  const fsyncDir = path.join(dir, 'fsync');
  let started = process.hrtime.bigint();
  const spool = new DiskSpool(createSpoolFs(fsyncDir), { maxBytes: 4 * 1024 ** 3, onFull: 'drop-oldest' });
  const opened = spool.open();
  figures.openScanMs = round(Number(process.hrtime.bigint() - started) / 1e6, 1);
  figures.openScanMB = round(opened.bytes / 1024 / 1024, 1);
  started = process.hrtime.bigint();
  let points = 0;
  for (let r = spool.peek(); r; r = spool.peek()) {
    points += r.lines;
    spool.ack(r);
  }
  const readMs = Number(process.hrtime.bigint() - started) / 1e6;
  figures.readBack = { pointsPerSec: round((points * 1000) / readMs), mbPerSec: round((records * bodyBytes) / 1024 / 1024 / (readMs / 1000), 1) };
  figures.recordBytes = bodyBytes;
  fs.rmSync(dir, { recursive: true, force: true });
  return figures;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  instrumentEngine();
  const influx = await startInflux(null);
  const names = ['raw', 'nodeInflux', 'archive', 'archiveGzip'];
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const ratios = { archive: [], archiveGzip: [], nodeInflux: [] };
  const archiveOverNodeInflux = [];
  const spooled = { archive: [], archiveGzip: [] };
  let dbSeq = 0;
  const check = async (db) => {
    const n = await influx.count(db, 'telemetry');
    if (n !== POINTS) throw new Error(`${db}: ${n} points stored, expected ${POINTS}`);
  };
  try {
    helper = require('../test/support/helper');
    await new Promise((resolve) => helper.startServer(resolve));
    const archiveRun = async (db, gzip, name) => {
      writtenCount = spooledCount = 0;
      const { ms, spooled: s } = await archiveWriter(influx, db, { gzip });
      spooled[name].push(s);
      return ms;
    };
    const writers = {
      raw: (db) => rawWriter(influx, db),
      nodeInflux: (db) => nodeInfluxWriter(influx, db),
      // The node's default on a loopback URL: no compression.
      archive: (db) => archiveRun(db, 'auto', 'archive'),
      archiveGzip: (db) => archiveRun(db, true, 'archiveGzip'),
    };
    // Warm-up (JIT, influxd's first shards and caches): a full round, not counted.
    for (const name of names) {
      const db = `warm_${name}`;
      await influx.createDatabase(db);
      await writers[name](db);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that no writer always follows the same one.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      const ms = {};
      for (const name of order) {
        const db = `bench_${++dbSeq}`;
        await influx.createDatabase(db);
        const cpuBefore = process.cpuUsage();
        ms[name] = await writers[name](db);
        const used = process.cpuUsage(cpuBefore);
        cpu[name].push((used.user + used.system) / POINTS);
        await check(db);
        results[name].push(ms[name]);
        log(`round ${round + 1}/${ROUNDS} ${name}: ${round0((POINTS * 1000) / ms[name])} points/s`);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
      for (const name of Object.keys(ratios)) ratios[name].push(ms.raw / ms[name]);
      archiveOverNodeInflux.push(ms.nodeInflux / ms.archive);
    }
    await new Promise((resolve) => helper.stopServer(resolve));
  } finally {
    await influx.destroy();
  }

  const pps = (name) => round0((POINTS * 1000) / median(results[name]));
  const sample = readings.slice(0, BATCH).map(encodeValidReading).join('\n');
  const figures = {
    points: POINTS,
    rounds: ROUNDS,
    batchSize: BATCH,
    inFlight: CONCURRENCY,
    influxdb: '1.6 (Debian), same machine, loopback',
    rawHttpPointsPerSec: pps('raw'),
    nodeInfluxPointsPerSec: pps('nodeInflux'),
    archivePointsPerSec: pps('archive'),
    archiveGzipPointsPerSec: pps('archiveGzip'),
    // Median over rounds of (raw time / writer time) in the same round: robust to influxd drift.
    archiveVsRaw: round(median(ratios.archive), 3),
    archiveGzipVsRaw: round(median(ratios.archiveGzip), 3),
    nodeInfluxVsRaw: round(median(ratios.nodeInflux), 3),
    // The archive's direct HTTP write path against node-influx's writePoints, same round.
    archiveVsNodeInflux: round(median(archiveOverNodeInflux), 3),
    // This process's CPU (user + system) per point written: what the writer costs a small box,
    // and far steadier than wall-clock figures on a shared 2-core machine.
    clientCpuMicrosPerPoint: Object.fromEntries(names.map((n) => [n, round(median(cpu[n]), 2)])),
    archiveSpooledDuringRun: { archive: median(spooled.archive), archiveGzip: median(spooled.archiveGzip) },
    gzipLevel1BodyRatio: round(Buffer.byteLength(sample) / zlib.gzipSync(sample, { level: 1 }).length, 1),
    runsPointsPerSec: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((x) => round0((POINTS * 1000) / x))])),
    spool: spoolFigures(),
  };
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
