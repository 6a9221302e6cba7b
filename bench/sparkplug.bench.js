'use strict';
// Sparkplug B ingest (issue #19): DDATA decode → readings per second in the core
// (SparkplugIngest: protobuf decode, alias resolution, seq check, reading validation), and
// through the ingest node in a real Node-RED runtime (test helper, wired Buffers in).
//   node bench/sparkplug.bench.js       (prints one JSON object; progress on stderr; ~15 s idle, BENCH_QUICK=1 ~5 s)
// Workload: 1,000 edge nodes with one device each; every DDATA carries 10 metrics by alias
// (8 Float, 1 Int64, 1 Boolean), one timestamp, ~150 bytes, encoded by Eclipse Tahu's encoder.
// Medians of 3 runs.
const tahu = require('sparkplug-payload').get('spBv1.0');
const { SparkplugIngest } = require('../dist/core/ingest/sparkplug/ingest');
const { parseIngestConfig } = require('../dist/core/ingest/config');

const log = (...args) => console.error('[sparkplug bench]', ...args);
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 0) => Number(x.toFixed(digits));
const now = () => Number(process.hrtime.bigint()) / 1e6;

const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const EDGES = 1_000;
const METRICS = [
  ...Array.from({ length: 8 }, (_, m) => ({ name: `line/sensor${m}`, type: 'Float' })),
  { name: 'cycles', type: 'Int64' },
  { name: 'running', type: 'Boolean' },
];
const ts = Date.now();
const encode = (payload) => Buffer.from(tahu.encodePayload(payload));
const value = (type, k) => (type === 'Float' ? 20 + (k % 100) / 10 : type === 'Int64' ? k : k % 2 === 0);
const nbirth = encode({ timestamp: ts, seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] });
const dbirth = encode({ timestamp: ts, seq: 1, metrics: METRICS.map((m, a) => ({ ...m, alias: a + 1, value: value(m.type, 0) })) });
// The payload does not name its edge node (the topic does): one DDATA per seq value serves all.
const ddata = Array.from({ length: 256 }, (_, seq) =>
  encode({ timestamp: ts + seq, seq, metrics: METRICS.map((m, a) => ({ alias: a + 1, type: m.type, value: value(m.type, seq) })) }),
);
const topic = (kind, e) => `spBv1.0/Bench/${kind}/edge-${e}${kind[0] === 'D' ? '/dev' : ''}`;
const ddataTopics = Array.from({ length: EDGES }, (_, e) => topic('DDATA', e));

/** Message k of the stream: edge k % EDGES, its (2 + k / EDGES)-th message since its births. */
const messageOf = (k) => ({ topic: ddataTopics[k % EDGES], payload: ddata[(2 + Math.floor(k / EDGES)) % 256] });

function options() {
  const { ok, settings, problems } = parseIngestConfig({ format: 'sparkplug' });
  if (!ok) throw new Error(JSON.stringify(problems));
  return settings.options;
}

function coreFigures() {
  const N = QUICK ? 20_000 : 100_000;
  const rates = [];
  const cpuUs = [];
  for (let run = 0; run < 4; run++) {
    const ing = new SparkplugIngest(options());
    for (let e = 0; e < EDGES; e++) {
      ing.handle({ topic: topic('NBIRTH', e), payload: nbirth, now: ts, canRebirth: true });
      ing.handle({ topic: topic('DBIRTH', e), payload: dbirth, now: ts, canRebirth: true });
    }
    const check = ing.handle({ ...messageOf(0), now: ts, canRebirth: true });
    if (check.readings.length !== 1 || check.rejections.length !== 0 || Object.keys(check.readings[0].fields).length !== METRICS.length) {
      throw new Error(`unexpected result ${JSON.stringify(check).slice(0, 300)}`);
    }
    const t0 = now();
    const cpu0 = process.cpuUsage();
    let readings = 0;
    for (let k = 1; k <= N; k++) readings += ing.handle({ ...messageOf(k), now: ts, canRebirth: true }).readings.length;
    if (readings !== N) throw new Error(`${N - readings} messages gave no reading`);
    const cpu = process.cpuUsage(cpu0);
    if (run === 0) continue; // run 0 warms the JIT up
    rates.push((N * 1000) / (now() - t0));
    cpuUs.push((cpu.user + cpu.system) / N);
  }
  const rate = median(rates);
  // CPU per DDATA is steadier than the rate on a machine shared with other work.
  return { ddata_per_s: round(rate), readings_per_s: round(rate), metrics_per_s: round(rate * METRICS.length), cpu_us_per_ddata: round(median(cpuUs), 2) };
}

async function nodeFigures() {
  const helper = require('../test/support/helper');
  const ingestNode = require('../nodes/telemetry-ingest.js');
  const N = QUICK ? 10_000 : 30_000;
  const results = {};
  for (const [name, extra] of [['unbatched', { batchSize: 1 }], ['batched_1000', { batchSize: 1000, batchInterval: '100ms' }]]) {
    const rates = [];
    for (let run = 0; run < 3; run++) {
      await helper.load(ingestNode, [
        { id: 'in', type: 'telemetry-ingest', format: 'sparkplug', wires: [['out'], ['bad']], ...extra },
        { id: 'out', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ]);
      helper._sandbox.restore(); // the helper's spies on Node.prototype, not part of a real runtime
      const input = helper.getNode('in');
      let readings = 0;
      let refused = 0;
      helper.getNode('bad').on('input', () => refused++);
      for (let e = 0; e < EDGES; e++) {
        input.receive({ topic: topic('NBIRTH', e), payload: nbirth });
        input.receive({ topic: topic('DBIRTH', e), payload: dbirth });
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // births delivered (and their readings)
      const done = new Promise((resolve) => {
        helper.getNode('out').on('input', (msg) => {
          readings += msg.payload.filter((r) => r.tags.device !== undefined && r.timestamp !== ts).length;
          if (readings >= N) resolve();
        });
      });
      const t0 = now();
      // 1,000 msgs per turn of the event loop, as a busy MQTT connection delivers them.
      for (let k = 0; k < N; k += 1000) {
        for (let j = k; j < k + 1000; j++) input.receive(messageOf(j));
        await new Promise(setImmediate);
      }
      await done;
      rates.push((N * 1000) / (now() - t0));
      if (refused > 0) throw new Error(`${refused} msgs refused`);
      await helper.unload();
    }
    results[name] = { readings_per_s: round(median(rates)) };
  }
  return results;
}

/** Heap bytes per metric kept in the alias maps: 100 edge nodes × 1,000 metrics, ~20-character names. */
function memoryFigures() {
  require('v8').setFlagsFromString('--expose-gc');
  const gc = require('vm').runInNewContext('gc');
  const ing = new SparkplugIngest(options());
  const births = Array.from({ length: 100 }, (_, e) =>
    encode({ seq: 1, metrics: Array.from({ length: 1_000 }, (_, i) => ({ name: `line-${e % 10}/sensor-${String(i).padStart(5, '0')}`, alias: i + 1, type: 'Float', value: 1 })) }),
  );
  gc();
  const before = process.memoryUsage().heapUsed;
  births.forEach((payload, e) => ing.handle({ topic: `spBv1.0/Mem/DBIRTH/edge-${e}/dev`, payload, now: ts, canRebirth: false }));
  gc();
  const metrics = ing.sessions.aliasCount;
  return { metrics_kept: metrics, bytes_per_metric: round((process.memoryUsage().heapUsed - before) / metrics) };
}

async function main() {
  const started = now();
  log('core: DDATA decode → readings …');
  const core = coreFigures();
  core.memory = memoryFigures();
  log(`… ${round((now() - started) / 1000, 1)} s; the ingest node in Node-RED …`);
  const node = await nodeFigures();
  const figures = { workload: `${EDGES} edge nodes, DDATA of ${METRICS.length} metrics by alias`, core, node, seconds: round((now() - started) / 1000, 1) };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
