'use strict';
// One measured run of one scenario:
//   fresh database → start the subject (raw pipeline or Node-RED) → warm up until a warm-up
//   reading is queryable (the whole path works: connected, subscribed, database there) → start
//   the samplers and the landing counter → publisher child process → wait until every point
//   landed, or nothing changed for `quietMs` after the last publish, or the deadline → figures
//   → stop the subject → drop the database.
//
// Figures:
// - pointsPerSec: points landed / (when the last of them became queryable − first publish);
// - lost: published − landed once the pipeline has been quiet (0 when all landed);
// - latency p50/p99: publish → queryable per point (see stats.latencies);
// - CPU/RSS of the subject (and of the publisher, Mosquitto, InfluxDB, this runner, and the
//   rest of the machine) over [first publish, last landing].
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const mqtt = require('mqtt');

const { LandingCounter } = require('./landing-counter');
const { ProcessSampler, SystemCpu } = require('./sampler');
const { latencies, summarizeLatency } = require('./stats');
const { MEASUREMENT, COUNT_FIELD, WARMUP_TOPIC, warmupPayload } = require('./workload');
const { track } = require('../../test/support/processes');
const { sleep } = require('../../test/support/wait');

const round = (x, d = 0) => (x === undefined || !Number.isFinite(x) ? undefined : Math.round(x * 10 ** d) / 10 ** d);

let sequence = 0;

/** Runs the publisher child; resolves with its summary once it has exited. */
function startPublisher({ mqttUrl, qos, messages, rate, timesFile }) {
  const child = track(
    spawn(process.execPath, [path.join(__dirname, 'publisher.js'), JSON.stringify({ url: mqttUrl, qos, messages, rate, timesFile })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve) => {
    child.once('exit', (code) => {
      let summary;
      try {
        summary = JSON.parse(out.trim().split('\n').pop());
      } catch {
        summary = { error: `publisher exited (${code}) without a summary: ${err.slice(-300)}` };
      }
      summary.exitedAt = Date.now();
      resolve(summary);
    });
  });
  return { pid: child.pid, done, kill: () => child.kill('SIGTERM') };
}

/**
 * Publishes a warm-up message every 250 ms until one is queryable (the `warmup` field, which
 * COUNT(temperature) never sees). Proves broker connection, subscription, flow and database.
 */
async function warmUp({ mqttUrl, influx, db, qos, subject, timeoutMs = 30000 }) {
  const client = mqtt.connect(mqttUrl, { clientId: `bench-warmup-${process.pid}-${sequence}`, reconnectPeriod: 500 });
  const started = Date.now();
  try {
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    for (;;) {
      client.publish(WARMUP_TOPIC, warmupPayload(Date.now()), { qos });
      const deadline = Date.now() + 250;
      while (Date.now() < deadline) {
        const [res] = await influx.query(`SELECT COUNT("warmup") FROM "${MEASUREMENT}"`, { db }).catch(() => [{}]);
        if (res && res.series && res.series[0].values[0][1] > 0) return Date.now() - started;
        await sleep(50);
      }
      if (!subject.running) throw new Error('the process under test exited during the warm-up');
      if (Date.now() - started > timeoutMs) throw new Error(`no warm-up reading landed within ${timeoutMs / 1000} s`);
    }
  } finally {
    client.end(true);
  }
}

/** Waits until no point has been written to `db` for 1.5 s (at most 6 s). */
async function settle(influx, db) {
  const deadline = Date.now() + 6000;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const [res] = await influx.query(`SELECT COUNT("warmup") FROM "${MEASUREMENT}"`, { db }).catch(() => [{}]);
    const n = res && res.series ? res.series[0].values[0][1] : 0;
    if (n !== last) {
      last = n;
      since = Date.now();
    } else if (Date.now() - since >= 1500) return;
    await sleep(100);
  }
}

/** Lines of a Node-RED log that the flows' error counter wrote: `{ count, samples }`. */
function errorsFromLog(text, after = 0) {
  let count = 0;
  const samples = [];
  for (const m of text.matchAll(/bench-errors (\d+): ([^\n]*)/g)) {
    const n = Number(m[1]);
    count = Math.max(count, n);
    if (n > after && samples.length < 3 && m[2] !== '(total)') samples.push(m[2].slice(0, 300));
  }
  // Errors Node-RED logged itself (e.g. a node's done(err) when no catch node took it).
  const logged = (text.match(/\[error\]/g) || []).length;
  return { count, logged, samples };
}

/**
 * Points/s between 10 % and 90 % of the points landed: the steady rate, without the start and
 * without the tail (the last partial batch of every pipeline here waits for its 1 s flush timer,
 * up to 1 s that says nothing about capacity and varies with the timer's phase).
 */
function sustainedRate(changes, expected) {
  // The first observations at or past 10 % and 90 % (counts jump by whole batches).
  const a = changes.find((x) => x.count >= 0.1 * expected);
  const b = changes.find((x) => x.count >= 0.9 * expected);
  if (!a || !b || b.t <= a.t) return undefined;
  return Math.round(((b.count - a.count) * 1000) / (b.t - a.t));
}

/** Landed count every `stepMs` after the first publish: `[[ms, count], …]`, to see stalls. */
function timeline(changes, from, stepMs) {
  const out = [];
  let i = 0;
  let count = 0;
  const end = changes.length ? changes[changes.length - 1].t : from;
  for (let t = from; t <= end + stepMs; t += stepMs) {
    while (i < changes.length && changes[i].t <= t) count = changes[i++].count;
    out.push([Math.round(t - from), count]);
  }
  return out;
}

/**
 * Count of `measurement` once it stops changing (2.5 s without a change, at most 15 s), looked at
 * no earlier than `notBefore`: window aggregates land after the raw points (a device's last
 * window closes on its idle timeout, the window size after its last reading).
 */
async function settledCount(influx, db, measurement, notBefore = 0) {
  if (notBefore > Date.now()) await sleep(notBefore - Date.now());
  const deadline = Date.now() + 15000;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await influx.count(db, measurement).catch(() => undefined);
    if (n !== last) {
      last = n;
      since = Date.now();
    }
    // Nothing yet: the windows have not closed (a slow pipeline may still be draining).
    if ((Date.now() - since >= 2500 && n > 0) || Date.now() >= deadline) return n;
    await sleep(250);
  }
}

/** Distinct (device, window of event time) pairs of the published messages: the tumbling windows due. */
function expectedWindows(timesFile, sizeMs = 1000) {
  const { DEVICES } = require('./workload');
  const buf = fs.readFileSync(timesFile);
  const times = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const seen = new Set();
  const last = new Float64Array(DEVICES);
  for (let i = 0; i < times.length; i++) {
    // The publisher's event time: the publish ms, bumped to stay unique per device.
    const d = i % DEVICES;
    let ts = Math.floor(times[i]);
    if (ts <= last[d]) ts = last[d] + 1;
    last[d] = ts;
    seen.add(d * 1e7 + (Math.floor(ts / sizeMs) % 1e7));
  }
  return seen.size;
}

/**
 * @param {object} env   { influx, mosquitto, log(msg) }
 * @param {object} scenario  a module of bench/scenarios
 * @param {object} plan  { qos, mode, messages, rate, quietMs, maxMs, run, profileDir? }
 */
async function runOnce(env, scenario, plan) {
  const { influx, mosquitto } = env;
  sequence++;
  const db = `bench_${scenario.id}_q${plan.qos}_${plan.mode}_${plan.run}_${sequence}`.replace(/[^A-Za-z0-9_]/g, '_');
  const timesFile = path.join(os.tmpdir(), `bench-times-${process.pid}-${sequence}.bin`);
  const result = {
    scenario: scenario.id,
    qos: plan.qos,
    mode: plan.mode,
    run: plan.run,
    messages: plan.messages,
    rate: plan.rate || 'max',
    startedAt: new Date().toISOString(),
  };
  // Node refuses --cpu-prof in NODE_OPTIONS, so a preloaded module profiles through the inspector.
  const subjectEnv = plan.profileDir
    ? { NODE_OPTIONS: `--require "${path.join(__dirname, 'cpu-profile-preload.js')}"`, BENCH_CPU_PROF_DIR: plan.profileDir }
    : {};
  let subject;
  const sampler = new ProcessSampler(200);
  const system = new SystemCpu();
  try {
    await influx.createDatabase(db);
    for (const where of Object.values(scenario.extraCounts || {})) await influx.createDatabase(where.db(db));
    const t0 = Date.now();
    subject = await scenario.start({
      qos: plan.qos,
      db,
      mqttUrl: mosquitto.url,
      mqttPort: mosquitto.port,
      influxUrl: influx.url,
      influxPort: influx.port,
      env: subjectEnv,
    });
    result.startMs = Date.now() - t0;
    result.warmupMs = await warmUp({ mqttUrl: mosquitto.url, influx, db, qos: plan.qos, subject });
    // Warm-up messages still on their way would count as landed points: wait until they are in.
    await settle(influx, db);
    // Errors the warm-up caused (e.g. B2's window refusing the warm-up reading, which has no
    // temperature) are not the run's.
    const errorsBefore = scenario.nodeRed ? errorsFromLog(subject.logs()).count : 0;
    // Profile the measured part only (the preload starts the profiler on SIGWINCH).
    if (plan.profileDir) process.kill(subject.pid, 'SIGWINCH');

    sampler.watch('subject', subject.pid);
    sampler.watch('mosquitto', mosquitto.pid);
    sampler.watch('influxd', influx.pid);
    sampler.watch('runner', process.pid);
    sampler.start();
    system.start();
    const counter = new LandingCounter(influx.url, { db, measurement: MEASUREMENT, field: COUNT_FIELD, intervalMs: 50 });
    await counter.start();

    const publisher = startPublisher({ mqttUrl: mosquitto.url, qos: plan.qos, messages: plan.messages, rate: plan.rate, timesFile });
    sampler.watch('publisher', publisher.pid);
    let published;
    publisher.done.then((s) => (published = s));
    const hardDeadline = Date.now() + plan.maxMs;
    const outcome = await counter.waitForEnd({
      expected: plan.messages,
      quietMs: plan.quietMs,
      quietFrom: () => (published ? published.exitedAt : subject.running ? undefined : Date.now() - plan.quietMs),
      deadline: hardDeadline,
    });
    if (!published) {
      // Deadline with the publisher still going (e.g. a QoS 1 publisher blocked by a stalled
      // subscriber): stop it, the count so far is the result.
      publisher.kill();
    }
    const pub = await publisher.done;
    await counter.stop();
    // The reported count is always SELECT COUNT (the polls may have counted InfluxDB's stats).
    const exact = await counter.exactCount();
    if (exact.count > counter.count) counter.record(exact);
    sampler.stop();
    system.stop();

    const firstPublish = pub.firstPublishMs;
    const lastLanded = counter.lastLandedAt;
    result.outcome = outcome;
    result.published = pub.sent;
    result.landed = exact.count;
    result.lost = Math.max(0, (pub.sent || 0) - exact.count);
    result.pointsPerSec = lastLanded && firstPublish ? round((exact.count * 1000) / (lastLanded - firstPublish)) : 0;
    result.publishRate = round(pub.rate);
    result.publishMs = round(pub.durationMs);
    result.drainMs = lastLanded && pub.lastPublishMs ? round(lastLanded - pub.lastPublishMs) : undefined;
    if (pub.error) result.publisherError = pub.error;
    result.countPolls = { polls: counter.polls, avgQueryMs: round(counter.queryMs / Math.max(1, counter.polls), 1), errors: counter.errors, mode: counter.mode };

    if (fs.existsSync(timesFile)) {
      const buf = fs.readFileSync(timesFile);
      const times = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
      result.latency = summarizeLatency(latencies(times, counter.changes));
    }
    const windowFrom = firstPublish || t0;
    const windowTo = lastLanded || Date.now();
    const procs = sampler.summary(windowFrom, windowTo);
    result.process = procs;
    result.subject = procs.subject;
    // CPU per landed point: unlike points/s, barely moved by other load on the machine.
    if (exact.count > 0) {
      for (const p of Object.values(procs)) p.cpuUsPerPoint = round((p.cpuSeconds * 1e6) / exact.count, 1);
      // Everything the pipeline needs (publisher, broker, subject, database; not this runner):
      // cores × 1e6 ÷ this is the most a CPU-bound run could reach on an otherwise idle machine.
      result.pipelineCpuUsPerPoint = round(['subject', 'mosquitto', 'influxd', 'publisher'].reduce((s, n) => s + (procs[n] ? procs[n].cpuUsPerPoint : 0), 0), 1);
    }
    if (firstPublish) result.timeline = timeline(counter.changes, firstPublish, 250);
    result.sustainedPointsPerSec = sustainedRate(counter.changes, pub.sent);
    const ours = ['subject', 'mosquitto', 'influxd', 'runner', 'publisher'].reduce((sum, n) => sum + (procs[n] ? procs[n].cpuSeconds : 0), 0);
    const sys = system.summary(windowFrom, windowTo);
    // CPU used by anything else on the machine meanwhile (other test runs, …): a noisy run shows.
    result.machine = { busyPct: sys.busyPct, otherCores: round(Math.max(0, sys.busyCpuSeconds - ours) / Math.max(0.001, sys.seconds), 2), cores: sys.cores };

    // Throughput runs only: the check costs the window's idle timeout of waiting (10 s for B3).
    const extraCounts = plan.mode === 'throughput' ? scenario.extraCounts || {} : {};
    for (const [name, where] of Object.entries(extraCounts)) {
      result[name] = await settledCount(influx, where.db(db), where.measurement, Math.max(pub.exitedAt || 0, lastLanded || 0) + (where.settleAfterMs || 0));
    }
    if (plan.mode === 'throughput' && scenario.extraCounts && scenario.extraCounts.windows && result.windows !== undefined && fs.existsSync(timesFile)) {
      result.windowsExpected = expectedWindows(timesFile, scenario.extraCounts.windows.sizeMs);
    }
    result.crashed = !subject.running;
    result.errorsBefore = errorsBefore;
  } catch (err) {
    result.error = err.message.split('\n').slice(0, 6).join('\n');
  } finally {
    sampler.stop();
    system.stop();
    if (subject) {
      try {
        await subject.stop();
      } catch (err) {
        result.stopError = err.message;
      }
      // After the stop: the error counter writes its exact total when its flow closes.
      const logs = subject.logs();
      if (scenario.nodeRed) {
        // The counter's numbering goes on from the warm-up: count only the run's own errors.
        result.errors = errorsFromLog(logs, result.errorsBefore || 0);
        result.errors.count = Math.max(0, result.errors.count - (result.errorsBefore || 0));
      }
      if (subject.stats) result.pipeline = subject.stats;
      if (result.lost > 0) {
        // Points that land only because stopping flushed them were held, not lost: say so.
        const [res] = await influx.query(`SELECT COUNT("${COUNT_FIELD}") FROM "${MEASUREMENT}"`, { db }).catch(() => [undefined]);
        if (res) result.landedAfterStop = res.series ? res.series[0].values[0][1] : 0;
      }
      if (result.error) result.logTail = logs.split('\n').slice(-15).join('\n');
    }
    fs.rmSync(timesFile, { force: true });
    await influx.query(`DROP DATABASE "${db}"`).catch(() => {});
    for (const where of Object.values(scenario.extraCounts || {})) await influx.query(`DROP DATABASE "${where.db(db)}"`).catch(() => {});
  }
  return result;
}

module.exports = { runOnce, startPublisher, warmUp };
