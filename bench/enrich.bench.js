#!/usr/bin/env node
'use strict';
// Enrich benchmark (plain node on dist/): readings/s through rule chains, with Node-RED's own
// JSONata (the @node-red/util the runtime uses), and the load time and memory of a
// 100,000-row lookup table. Prints one JSON object on stdout.
//
//   npm run build && node bench/enrich.bench.js
//
// Readings are generated up front and enriched in batches of 1,000 (as a batching ingest sends
// them); each throughput is the median of 3 runs after a warm-up run, each chain in a process of
// its own (a chain run earlier would leave the JIT's view of the shared rule code skewed). Table
// memory is the V8 heap difference after a full GC, divided by the rows. Besides wall-clock
// figures, each timing is also given in CPU time of this process (`…PerCpuSecond`, `…CpuMs`),
// which moves much less when other work shares the machine.
//
// Deadband: its cost per reading is the CPU time per reading of a deadband-only chain minus that
// of no rules on the same input (one field per reading, 10,000 series, a value that moves by
// 0.1 in a cycle of 4 against a delta of 0.15: about half the readings are suppressed), and its
// memory the heap per remembered series (device + site tags).
const { execFileSync } = require('child_process');
const v8 = require('v8');
const vm = require('vm');
const { util } = require('@node-red/util');
const { compileRules } = require('../dist/core/enrich/rules');
const { Enricher } = require('../dist/core/enrich/engine');
const { tableFromCsv, parseTableText } = require('../dist/core/enrich/table');
const { prepareJsonata } = require('../dist/nodes/enrich/red-values');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const DEVICES = 10_000;
const READINGS = 100_000;
const BATCH = 1_000;
const ROWS = 100_000;

// What prepareJSONataExpression needs of a node: context() for $flowContext/$globalContext.
const RED = { util };
const store = { get: () => undefined };
const fakeNode = { id: 'bench', context: () => ({ flow: store, global: store }) };

function deps(openFile) {
  return {
    onMissing: 'pass',
    env: () => '',
    msgValue: (type, path) => (msg) => msg[path],
    jsonata: (expression) => prepareJsonata(RED, fakeNode, expression),
    openFile: openFile || (() => { throw new Error('no files in this benchmark'); }),
  };
}

function siteTable(rows) {
  const table = {};
  for (let i = 0; i < rows; i++) table[`dev-${i}`] = { site: `plant-${i % 50}`, line: `L${i % 7}`, floor: i % 12 };
  return table;
}

/** READINGS readings made by `reading(n)`, in batches of BATCH. */
function batchesOf(reading) {
  const list = [];
  for (let b = 0; b < READINGS / BATCH; b++) {
    const batch = new Array(BATCH);
    for (let i = 0; i < BATCH; i++) batch[i] = reading(b * BATCH + i);
    list.push(batch);
  }
  return list;
}

function batches() {
  return batchesOf((n) => ({
    measurement: 'telemetry',
    tags: { device: `dev-${n % DEVICES}` },
    fields: { temperature: 50 + (n % 60), pressure_psi: 14 + (n % 10) / 10 },
    timestamp: 1_767_225_600_000 + n,
  }));
}

/** One field per reading, 10,000 series; the value cycles 20, 20.1, 20.2, 20.1 per series. */
function flatBatches() {
  return batchesOf((n) => ({
    measurement: 'telemetry',
    tags: { device: `dev-${n % DEVICES}`, site: `plant-${n % 50}` },
    fields: { temperature: [20, 20.1, 20.2, 20.1][Math.floor(n / DEVICES) % 4] },
    timestamp: 1_767_225_600_000 + n * 10,
  }));
}

function cpuSecondsSince(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Readings per second through `rules` (median of `runs`), and a check that the chain really ran. */
async function throughput(rules, input, runs = 3) {
  const suppresses = rules.some((rule) => rule.type === 'deadband');
  let enricher;
  const msg = { topic: 'sensors/bench' };
  const rates = [];
  const cpuRates = [];
  let last;
  let passedShare;
  for (let run = 0; run <= runs; run++) {
    // A fresh chain each run: a deadband starts with no series, as after a deploy.
    enricher = new Enricher(compileRules(rules, deps()));
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    let passed = 0;
    for (const batch of input) {
      last = await enricher.apply(batch, msg);
      passed += last.readings.length;
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuSeconds = cpuSecondsSince(cpu);
    passedShare = passed / READINGS;
    if (!suppresses && passed !== READINGS) throw new Error(`only ${passed} of ${READINGS} readings passed: ${JSON.stringify(last.refused[0])}`);
    if (run > 0) { // run 0 warms the JIT up
      rates.push(READINGS / seconds);
      cpuRates.push(READINGS / cpuSeconds);
    }
  }
  return { readingsPerSecond: Math.round(median(rates)), readingsPerCpuSecond: Math.round(median(cpuRates)), passedShare, sample: last.readings[0] };
}

function csvText(rows) {
  const lines = ['device,site,line,floor,altitude,commissioned'];
  for (let i = 0; i < rows; i++) lines.push(`dev-${i},plant-${i % 50},L${i % 7},${i % 12},${(100 + (i % 900) / 10).toFixed(1)},2025-0${1 + (i % 9)}-1${i % 10}`);
  return `${lines.join('\n')}\n`;
}

function loadFigures() {
  const csv = csvText(ROWS);
  const json = JSON.stringify(siteTable(ROWS));
  /** [wall ms, CPU ms], medians of 5 loads. */
  const time = (fn) => {
    const ms = [];
    const cpuMs = [];
    for (let i = 0; i < 5; i++) {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      fn();
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      cpuMs.push(cpuSecondsSince(cpu) * 1000);
    }
    return [Math.round(median(ms)), Math.round(median(cpuMs))];
  };
  const [csvMs, csvCpuMs] = time(() => tableFromCsv(csv, { key: 'device', as: 'fields' }));
  const [jsonMs, jsonCpuMs] = time(() => parseTableText(json, 'json', { key: 'device', as: 'tags' }));

  gc();
  gc(); // the second pass frees what the first one's finalizers released
  const before = process.memoryUsage().heapUsed;
  const table = tableFromCsv(csv, { key: 'device', as: 'fields' });
  gc();
  gc();
  const bytesPerRow = Math.round((process.memoryUsage().heapUsed - before) / table.size);

  // Lookups stay O(1): a 100k-row table is as fast as a 10-row one.
  const keys = Array.from({ length: 1_000_000 }, (_, i) => `dev-${(i * 7919) % ROWS}`);
  const lookupsPerSecond = (t) => {
    const start = process.hrtime.bigint();
    let hits = 0;
    for (const key of keys) if (t.get(key)) hits++;
    if (hits === 0) throw new Error('no hits');
    return Math.round(keys.length / (Number(process.hrtime.bigint() - start) / 1e9));
  };
  const small = tableFromCsv(csvText(10), { key: 'device', as: 'fields' });
  const smallKeys = keys.map((k, i) => `dev-${i % 10}`);
  const startSmall = process.hrtime.bigint();
  for (const key of smallKeys) small.get(key);
  const smallRate = Math.round(smallKeys.length / (Number(process.hrtime.bigint() - startSmall) / 1e9));
  return {
    rows: ROWS,
    csvBytes: Buffer.byteLength(csv),
    csvLoadMs: csvMs,
    csvLoadCpuMs: csvCpuMs,
    jsonLoadMs: jsonMs,
    jsonLoadCpuMs: jsonCpuMs,
    heapBytesPerRow: bytesPerRow,
    lookupsPerSecond100kRows: lookupsPerSecond(table),
    lookupsPerSecond10Rows: smallRate,
  };
}

/** The tail both 5-rule chains share: two unit conversions and a rename. */
const CONVERT_AND_RENAME = [
  { type: 'convert', field: 'temperature', unit: 'F->C' },
  { type: 'convert', field: 'pressure_psi', unit: 'psi->bar' },
  { type: 'rename', target: 'fields', from: 'pressure_psi', to: 'pressure_bar' },
];

const CHAINS = {
  '5 rules: lookup + JSONata set + 2 convert + rename': (lookup) => [
    lookup,
    { type: 'set', target: 'tags', name: 'band', valueType: 'jsonata', value: 'fields.temperature >= 25 ? "warm" : "normal"' },
    ...CONVERT_AND_RENAME,
  ],
  '5 rules without JSONata: lookup + msg set + 2 convert + rename': (lookup) => [
    lookup,
    { type: 'set', target: 'tags', name: 'source', valueType: 'msg', value: 'topic' },
    ...CONVERT_AND_RENAME,
  ],
  'lookup only (10,000-row table)': (lookup) => [lookup],
  'no rules (copy + validate)': () => [],
  'deadband only (flat input, 10,000 series)': () => [{ type: 'deadband', field: 'temperature', delta: 0.15, maxSilence: '10m' }],
  'no rules (flat input)': () => [],
};

/** Heap bytes per series a deadband remembers (100,000 series, tags device + site), after a full GC. */
function deadbandHeapBytesPerSeries() {
  const SERIES = 100_000;
  const enricher = new Enricher(compileRules([{ type: 'deadband', field: 'temperature', delta: 0.1 }], deps()));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let b = 0; b < SERIES / BATCH; b++) {
    const batch = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      batch.push({ measurement: 'telemetry', tags: { device: `dev-${n}`, site: `plant-${n % 50}` }, fields: { temperature: n }, timestamp: 1_767_225_600_000 + n });
    }
    enricher.apply(batch, {});
  }
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  if (enricher.deadbands()[0].deadband.size !== SERIES) throw new Error('the deadband did not remember every series');
  return Math.round(bytes / SERIES);
}

/** Child mode: one chain, one JSON line on stdout. */
async function runChain(name) {
  const lookup = { type: 'lookup', key: 'device', table: siteTable(DEVICES) };
  const figures = await throughput(CHAINS[name](lookup), /flat input/.test(name) ? flatBatches() : batches());
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function main() {
  const started = Date.now();
  const readingsPerSecond = {};
  const readingsPerCpuSecond = {};
  let sample;
  const passedShare = {};
  for (const name of Object.keys(CHAINS)) {
    const out = JSON.parse(execFileSync(process.execPath, [__filename, '--chain', name], { encoding: 'utf8' }));
    readingsPerSecond[name] = out.readingsPerSecond;
    readingsPerCpuSecond[name] = out.readingsPerCpuSecond;
    sample ??= out.sample;
    passedShare[name] = Math.round(out.passedShare * 1000) / 1000;
  }
  const perReadingNs = (rate) => 1e9 / rate;
  const withRule = readingsPerCpuSecond['deadband only (flat input, 10,000 series)'];
  const without = readingsPerCpuSecond['no rules (flat input)'];
  const result = {
    benchmark: 'enrich rules engine',
    node: process.version,
    batchSize: BATCH,
    readings: READINGS,
    readingsPerSecond,
    readingsPerCpuSecond,
    sample,
    deadband: {
      cpuNsPerReading: Math.round(perReadingNs(withRule) - perReadingNs(without)),
      readingsPassed: passedShare['deadband only (flat input, 10,000 series)'],
      heapBytesPerSeries: deadbandHeapBytesPerSeries(),
    },
    table100k: loadFigures(),
  };
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

const chainArg = process.argv.indexOf('--chain');
(chainArg > 0 ? runChain(process.argv[chainArg + 1]) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
