#!/usr/bin/env node
'use strict';
/**
 * `npm run soak [-- --minutes N] [-- --rate R]`: the whole pipeline (scripts/lib/soak-flow.js:
 * ingest → enrich → archive, window → archive, heartbeat) in a real Node-RED, fed at 5,000
 * msg/s over MQTT QoS 1 for 30 minutes (SOAK_MINUTES / --minutes), while InfluxDB is restarted
 * every duration/6 (every 5 min in the 30-minute run, every 30 s in the 3-minute one) and
 * Mosquitto once (SIGTERM, at 45 %). Then it checks that:
 * - nothing is lost: every reading the broker acknowledged is stored (raw), none dropped or
 *   refused by any node;
 * - every count adds up: the window's per-device `seq_count` aggregates in InfluxDB plus the
 *   readings it refused as late equal the readings it received; no device was reported down;
 * - memory and event-loop lag are flat: Node-RED's RSS (sampled every 5 s from /proc) and the
 *   event-loop lag (a 100 ms interval's overshoot, inside Node-RED) have a slope, fitted over
 *   whole restart cycles, within the limits below.
 * Prints `SOAK-FIGURES {json}` and writes test-artifacts/soak.json; exits 1 when a check fails.
 * Uses the test harness's servers (test/support): Mosquitto and InfluxDB 1.x on free ports.
 */
const fs = require('node:fs');
const path = require('node:path');
const { startInflux, startMosquitto } = require('../test/support/services');
const { startNodeRed } = require('../test/support/node-red-process');
const { sleep, waitFor } = require('../test/support/wait');
const { startPublisher, storedCount } = require('../test/faults/lib/pipeline');
const { soakFlow } = require('./lib/soak-flow');

const DB = 'soak';
/**
 * The limits. From 10 minutes on, RSS may grow by at most 2 MB per minute and the mean event-loop
 * lag by 2 ms per minute (slopes fitted over whole InfluxDB restart cycles, so every part of the
 * fit sees the same mix of outage, replay and quiet). A shorter run cannot tell a small leak from
 * the garbage collector's rhythm and a replay burst, so there the slopes are reported and only
 * bounds are checked: peak RSS under 512 MB, no lag above 5 s. SOAK_MAX_RSS_SLOPE and
 * SOAK_MAX_LAG_SLOPE set the slope limits (and enforce them in a short run too).
 */
function limits(minutes) {
  const enforce = minutes >= 10 || process.env.SOAK_MAX_RSS_SLOPE !== undefined || process.env.SOAK_MAX_LAG_SLOPE !== undefined;
  return {
    rssSlope: enforce ? Number(process.env.SOAK_MAX_RSS_SLOPE || 2) : undefined,
    lagSlope: enforce ? Number(process.env.SOAK_MAX_LAG_SLOPE || 2) : undefined,
    rssPeakMb: 512,
    lagMaxMs: 5000,
  };
}
const SAMPLE_MS = 5000;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0 && process.argv[at + 1] !== undefined) return Number(process.argv[at + 1]);
  const env = process.env[`SOAK_${name.toUpperCase()}`];
  return env !== undefined && env !== '' ? Number(env) : fallback;
}

function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function query(influx, q) {
  const [res] = await influx.query(q, { db: DB });
  return res.series ? res.series[0].values[0] : [];
}

async function main() {
  const minutes = option('minutes', 30);
  const rate = option('rate', 5000);
  const durationMs = minutes * 60_000;
  const influxEveryMs = durationMs / 6;
  // Down long enough for the archives to spool and replay, not only retry.
  const influxDownMs = Math.min(10_000, influxEveryMs / 4);
  const limit = limits(minutes);
  const mosquittoAtMs = durationMs * 0.45;
  const log = (text) => console.log(`soak ${new Date().toISOString().slice(11, 19)} ${text}`);
  log(`${minutes} min at ${rate} msg/s; InfluxDB down ${influxDownMs / 1000} s every ${influxEveryMs / 1000} s, Mosquitto restarted once at ${mosquittoAtMs / 1000} s`);

  const started = [];
  let pub;
  try {
    const influx = await startInflux(null, { databases: DB });
    started.push(() => influx.destroy());
    const mosq = await startMosquitto(null);
    started.push(() => mosq.destroy());
    const nr = await startNodeRed({ flows: soakFlow({ brokerUrl: mosq.url, influxUrl: influx.url, db: DB }) });
    started.push(() => nr.cleanup());
    const stats = async () => (await fetch(`${nr.url}/soak/stats`)).json();

    pub = startPublisher(mosq.url, { rate, devices: 100, clientId: 'soak-publisher', maxOutstanding: 50_000 });
    const t0 = Date.now();
    const samples = [];
    const events = [];
    // Sampled on its own timer, so that a restart in progress does not leave a gap.
    let sampling = false;
    const sampler = setInterval(async () => {
      if (sampling) return;
      sampling = true;
      try {
        const at = Date.now() - t0;
        const s = await stats();
        samples.push({ atMin: at / 60_000, rssMb: rssMb(nr.pid), lagMax: s.lag.max, lagMean: s.lag.mean, received: s.received, acked: pub.state.acked });
      } catch {
        // Node-RED busy past the fetch timeout: the next sample covers it
      } finally {
        sampling = false;
      }
    }, SAMPLE_MS);
    let nextInflux = influxEveryMs;
    let mosquittoDone = false;
    while (Date.now() - t0 < durationMs) {
      const at = Date.now() - t0;
      if (at >= nextInflux && nextInflux < durationMs) {
        const from = Date.now();
        await influx.stop();
        await sleep(influxDownMs);
        await influx.start();
        events.push({ what: 'influxdb restart', atS: Math.round(at / 1000), downMs: Date.now() - from });
        log(`InfluxDB restarted (${Date.now() - from} ms down)`);
        nextInflux += influxEveryMs;
      } else if (!mosquittoDone && at >= mosquittoAtMs) {
        const from = Date.now();
        await mosq.stop();
        await mosq.start();
        mosquittoDone = true;
        events.push({ what: 'mosquitto restart', atS: Math.round(at / 1000), downMs: Date.now() - from });
        log(`Mosquitto restarted (${Date.now() - from} ms down)`);
      }
      await sleep(Math.max(50, Math.min(durationMs, nextInflux, mosquittoDone ? Infinity : mosquittoAtMs) - (Date.now() - t0)));
    }
    clearInterval(sampler);
    const publishedFor = (Date.now() - t0) / 1000;
    await pub.stop({ timeout: 120_000 });
    const { published, acked, failed } = pub.state;
    log(`published ${published} (${Math.round(published / publishedFor)} msg/s), acknowledged ${acked}; waiting for InfluxDB`);
    await waitFor(async () => (await storedCount(influx, DB)) >= acked, { timeout: 300_000, interval: 1000, message: `${acked} raw readings stored` });
    // The last windows close after Size + Lateness of silence; then their aggregates are written.
    let s;
    let rollup = [];
    await waitFor(
      async () => {
        s = await stats();
        rollup = await query(influx, 'SELECT SUM("seq_count"), COUNT("seq_count") FROM "telemetry_10s"');
        const late = s.rejected['win:LATE'] || 0;
        return (rollup[1] || 0) + late >= s.received;
      },
      { timeout: 120_000, interval: 1000, message: 'every window written' },
    ).catch(() => undefined);
    await sleep(2000);
    s = await stats();
    rollup = await query(influx, 'SELECT SUM("seq_count"), COUNT("seq_count") FROM "telemetry_10s"');
    const stored = await storedCount(influx, DB);

    // Slopes over whole restart cycles: from the first InfluxDB restart to the last one.
    const cycles = samples.filter((p) => p.atMin * 60_000 >= influxEveryMs && p.atMin * 60_000 < 5 * influxEveryMs && p.rssMb !== undefined);
    const all = samples.filter((p) => p.rssMb !== undefined);
    const rss = cycles.map((p) => p.rssMb);
    const figures = {
      minutes,
      targetRate: rate,
      actualRate: Math.round(published / publishedFor),
      published,
      acked,
      failedPublishes: failed,
      storedRaw: stored,
      lost: acked - stored,
      received: s.received,
      duplicatesReceived: s.received - acked,
      windowCountSum: rollup[1] || 0,
      windowAggregates: rollup[2] || 0,
      windowLate: s.rejected['win:LATE'] || 0,
      rejected: s.rejected,
      heartbeat: s.heartbeat,
      archive: s.reports,
      rssMb: { cycleStart: round(rss[0] ?? 0, 0), cycleEnd: round(rss[rss.length - 1] ?? 0, 0), min: round(Math.min(...rss), 0), peak: round(Math.max(...all.map((p) => p.rssMb)), 0) },
      rssSlopeMbPerMin: round(slope(cycles.map((p) => ({ x: p.atMin, y: p.rssMb })))),
      lagMs: { meanOfMeans: round(cycles.reduce((n, p) => n + p.lagMean, 0) / Math.max(1, cycles.length)), max: Math.max(...all.map((p) => p.lagMax)) },
      lagSlopeMsPerMin: round(slope(cycles.map((p) => ({ x: p.atMin, y: p.lagMean })))),
      events,
      samples: samples.length,
    };
    const problems = [];
    if (figures.lost !== 0) problems.push(`${figures.lost} acknowledged readings not stored`);
    for (const [name, totals] of Object.entries(s.reports)) {
      if (totals.dropped) problems.push(`archive ${name} dropped ${totals.dropped} points`);
      if (totals.refused) problems.push(`archive ${name} refused ${totals.refused} points`);
    }
    const refusals = Object.entries(s.rejected).filter(([code]) => code !== 'win:LATE');
    if (refusals.length) problems.push(`refused readings: ${JSON.stringify(Object.fromEntries(refusals))}`);
    if (figures.windowCountSum + figures.windowLate !== figures.received) {
      problems.push(`window counts do not add up: ${figures.windowCountSum} counted + ${figures.windowLate} late ≠ ${figures.received} received`);
    }
    if (s.reports.rollups.written < figures.windowAggregates) problems.push('fewer rollups written than stored');
    if (s.heartbeat.down) problems.push(`${s.heartbeat.down} devices reported down`);
    if (limit.rssSlope !== undefined && figures.rssSlopeMbPerMin > limit.rssSlope) problems.push(`RSS grows ${figures.rssSlopeMbPerMin} MB/min (limit ${limit.rssSlope})`);
    if (limit.lagSlope !== undefined && figures.lagSlopeMsPerMin > limit.lagSlope) problems.push(`event-loop lag grows ${figures.lagSlopeMsPerMin} ms/min (limit ${limit.lagSlope})`);
    if (figures.rssMb.peak > limit.rssPeakMb) problems.push(`RSS peaked at ${figures.rssMb.peak} MB (limit ${limit.rssPeakMb})`);
    if (figures.lagMs.max > limit.lagMaxMs) problems.push(`event-loop lag reached ${figures.lagMs.max} ms (limit ${limit.lagMaxMs})`);
    figures.limits = limit;
    figures.problems = problems;

    fs.mkdirSync(path.join(__dirname, '..', 'test-artifacts'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, '..', 'test-artifacts', 'soak.json'), JSON.stringify({ ...figures, rssSamples: samples }, null, 2));
    console.log(`SOAK-FIGURES ${JSON.stringify(figures)}`);
    log(problems.length === 0 ? 'passed' : `FAILED:\n  ${problems.join('\n  ')}`);
    return problems.length === 0;
  } finally {
    if (pub) pub.end();
    for (const stop of started.reverse()) {
      try {
        await stop();
      } catch (err) {
        console.error(`soak: cleanup: ${err.message}`);
      }
    }
  }
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
