#!/usr/bin/env node
'use strict';
// Window-engine benchmark (plain node on dist/): throughput with 10,000 keys and 6 aggregates
// including p95, and memory per key and per open window. Prints one JSON object on stdout.
//
//   npm run build && node bench/window.bench.js
//
// Readings are generated up front so only the engine is timed; each figure is the median of
// three runs. Memory is the V8 heap difference (after a full GC) divided by the number of
// keys or windows, so it includes every object, map entry and string a key or window costs.
const v8 = require('v8');
const vm = require('vm');
const { WindowEngine, parseWindowConfig } = require('../dist/core/window');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const KEYS = 10_000;
const T0 = Date.UTC(2026, 0, 1);
const SIX = 'count,mean,min,max,stddev,p95';

function engine(config) {
  const parsed = parseWindowConfig(config);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return new WindowEngine(parsed.settings);
}

/** The i-th reading of `keys` devices reporting once per second each, interleaved. */
function reading(i, keys, fields = 1) {
  const k = i % keys;
  const s = Math.floor(i / keys);
  const f = { temperature: 20 + Math.sin(i) * 5 };
  for (let extra = 1; extra < fields; extra++) f[`f${extra}`] = (i * 7 + extra) % 101;
  return { measurement: 'telemetry', tags: { device: `dev-${k}`, site: 'plant-a' }, fields: f, timestamp: T0 + s * 1000 + (k % 1000) };
}

function readings(keys, perKey, fields = 1) {
  return Array.from({ length: keys * perKey }, (_, i) => reading(i, keys, fields));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Readings per second through `add` (and the ticks a node would make once per second). */
function throughput(config, list, runs = 3) {
  const rates = [];
  let emitted = 0;
  for (let run = 0; run < runs; run++) {
    const e = engine(config);
    const out = [];
    const start = process.hrtime.bigint();
    let lastTick = list[0].timestamp;
    for (const r of list) {
      e.add(r, r.timestamp, out);
      if (r.timestamp - lastTick >= 1000) {
        e.tick(r.timestamp, out);
        lastTick = r.timestamp;
      }
      if (out.length > 10_000) out.length = 0; // a node would send them on
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(list.length / seconds);
    emitted = e.stats().emitted;
  }
  return { readingsPerSecond: Math.round(median(rates)), windowsEmitted: emitted };
}

/** Heap bytes per open window after `perKey` readings of each of `keys` keys into one window each. */
function memory(config, perKey, fields = 1, keys = KEYS) {
  gc();
  const before = process.memoryUsage().heapUsed;
  const e = engine(config);
  const out = [];
  for (let i = 0; i < keys * perKey; i++) e.add(reading(i, keys, fields), T0, out);
  gc();
  const after = process.memoryUsage().heapUsed;
  const stats = e.stats();
  if (stats.openWindows === 0) throw new Error('no open windows to measure');
  return { bytes: Math.round((after - before) / stats.openWindows), windows: stats.openWindows, engine: e };
}

function tombstoneBytes() {
  const e = engine({ windowType: 'tumbling', size: '1m', aggregates: SIX });
  for (let i = 0; i < KEYS; i++) e.add(reading(i, KEYS), T0, []);
  e.tick(T0 + 10 * 60_000, []); // every key closes by silence and stays as a tombstone
  gc();
  const withTombstones = process.memoryUsage().heapUsed;
  e.reset();
  gc();
  return Math.round((withTombstones - process.memoryUsage().heapUsed) / KEYS);
}

function snapshotFigures() {
  const { engine: e } = memory({ windowType: 'tumbling', size: '1h', aggregates: SIX }, 200);
  const start = process.hrtime.bigint();
  const json = JSON.stringify(e.snapshot());
  const saveMs = Number(process.hrtime.bigint() - start) / 1e6;
  const restoreStart = process.hrtime.bigint();
  WindowEngine.fromSnapshot(JSON.parse(json), T0);
  const restoreMs = Number(process.hrtime.bigint() - restoreStart) / 1e6;
  return { keys: KEYS, readingsPerWindow: 200, jsonBytesPerKey: Math.round(json.length / KEYS), snapshotMs: Math.round(saveMs), restoreMs: Math.round(restoreMs) };
}

const started = Date.now();

// 900,000 readings: 90 s of 10,000 devices at 1/s each (BENCH_QUICK=1: 30 s, so a smoke run on a
// busy machine stays within the runner's 90 s limit).
const SECONDS = process.env.BENCH_QUICK === '1' ? 30 : 90;
const list = readings(KEYS, SECONDS);
const result = {
  benchmark: 'window engine',
  node: process.version,
  keys: KEYS,
  readings: list.length,
  throughput: {
    'tumbling 1m, 6 aggregates incl. p95': throughput({ windowType: 'tumbling', size: '1m', aggregates: SIX }, list),
    'tumbling 1m, mean,min,max,count': throughput({ windowType: 'tumbling', size: '1m' }, list),
    'hopping 1m/20s, 6 aggregates incl. p95': throughput({ windowType: 'hopping', size: '1m', slide: '20s', aggregates: SIX }, list),
    'session 5s gap, 6 aggregates incl. p95 (all sessions stay open)': throughput({ windowType: 'session', gap: '5s', aggregates: SIX }, list, 1),
    'count 60, 6 aggregates incl. p95': throughput({ windowType: 'count', count: 60, aggregates: SIX }, list, 1),
  },
  memoryBytesPerOpenWindow: {
    '1 field, mean,min,max,count, 60 readings': memory({ windowType: 'tumbling', size: '1h' }, 60).bytes,
    '1 field, 6 aggregates incl. p95, 60 readings': memory({ windowType: 'tumbling', size: '1h', aggregates: SIX }, 60).bytes,
    // 2,000 keys suffice for a per-window figure and keep the run short.
    '1 field, 6 aggregates incl. p95, 600 readings': memory({ windowType: 'tumbling', size: '1h', aggregates: SIX }, 600, 1, 2_000).bytes,
    '5 fields, 6 aggregates incl. p95, 60 readings': memory({ windowType: 'tumbling', size: '1h', aggregates: SIX }, 60, 5).bytes,
  },
  memoryBytesPerTombstoneKey: tombstoneBytes(),
  snapshot: snapshotFigures(),
};
result.seconds = Math.round((Date.now() - started) / 100) / 10;
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
