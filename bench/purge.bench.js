#!/usr/bin/env node
'use strict';
// Purge benchmark (plain node on dist/): a year of minutely data (525,600 points, one series,
// and the same over 10 devices) purged by the purge runner against a real InfluxDB 1.x
// started on a free port. Prints one JSON object on stdout.
//
//   npm run build && node bench/purge.bench.js
//
// Per scenario: write the data (one line-protocol request per 50,000 points), then time the
// dry run, then the real run. Figures are wall-clock on this machine, one run each (each run
// changes the data it measures). Also the builder's statements/s (median of 3).
const { startInflux } = require('../test/support/services');
const { runPurge } = require('../dist/core/purge/runner');
const { parsePurgeSettings } = require('../dist/core/purge/settings');
const { deleteStatement, countStatement } = require('../dist/core/influxql/statements');
const { parseTagFilter } = require('../dist/core/purge/tag-filter');
const { InfluxServer } = require('../dist/io/influx-server');

const MIN = 60_000;
const D = 1_440 * MIN;

function builderRate() {
  const filter = parseTagFilter({ site: 'plant-a', device: ['d1', 'd2'] });
  const rates = [];
  for (let r = 0; r < 3; r++) {
    const n = 50_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      deleteStatement(`m"${i}`, { start: i, end: i + 1000 }, filter);
      countStatement({ database: 'db', retentionPolicy: 'autogen', measurement: `m${i}` }, { start: i, end: i + 1000 }, filter);
    }
    rates.push((2 * n) / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return Math.round(rates.sort((a, b) => a - b)[1]);
}

async function writeYear(influx, db, measurement, devices) {
  const start = Date.now() - 367 * D;
  const perDevice = Math.floor(525_600 / devices);
  const t0 = Date.now();
  let lines = [];
  for (let i = 0; i < perDevice; i++) {
    for (let d = 0; d < devices; d++) lines.push(`${measurement},device=d${d} v=${i % 100},w=${i % 7} ${start + i * MIN * devices}`);
    if (lines.length >= 50_000) {
      await influx.write(lines.join('\n'), { db });
      lines = [];
    }
  }
  if (lines.length) await influx.write(lines.join('\n'), { db });
  return Date.now() - t0;
}

async function scenario(influx, server, { name, mode, devices }) {
  const db = `bench_${name}`;
  await influx.createDatabase(db);
  const writeMs = await writeYear(influx, db, 'm', devices);
  const io = {
    query: (q, database) => server.query(q, database),
    serverVersion: async () => (await server.http.ping()).headers['x-influxdb-version'],
    now: Date.now,
  };
  let statements = 0;
  const settings = (dryRun) => parsePurgeSettings({ measurements: 'm', olderThan: '1d', mode, dryRun, downsampleEvery: '1h' }).settings;
  const run = async (dryRun) => {
    const t0 = Date.now();
    const result = await runPurge(io, { settings: settings(dryRun), target: { database: db }, onStatement: () => statements++ });
    if (result.error) throw result.error;
    return { ms: Date.now() - t0, report: result.reports[0] };
  };
  const dry = await run(true);
  statements = 0;
  const real = await run(false);
  return {
    points: dry.report.matched,
    devices,
    writeMs,
    dryRunMs: dry.ms,
    runMs: real.ms,
    deleted: real.report.deleted,
    downsampled: real.report.downsampled,
    slices: real.report.slices,
    statements,
    pointsPerSecond: Math.round(real.report.deleted / (real.ms / 1000)),
  };
}

(async () => {
  const influx = await startInflux(null);
  const server = new InfluxServer({ url: influx.url, database: 'unused', timeoutMs: 60_000 });
  try {
    const out = {
      benchmark: 'purge',
      influxdb: (await server.http.ping()).headers['x-influxdb-version'],
      builderStatementsPerSecond: builderRate(),
      deleteYearMinutely1Series: await scenario(influx, server, { name: 'delete1', mode: 'delete', devices: 1 }),
      deleteYearMinutely10Devices: await scenario(influx, server, { name: 'delete10', mode: 'delete', devices: 10 }),
      downsampleYearMinutely1Series: await scenario(influx, server, { name: 'down1', mode: 'downsample-delete', devices: 1 }),
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    server.close();
    await influx.destroy();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
