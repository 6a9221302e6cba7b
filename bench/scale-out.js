#!/usr/bin/env node
'use strict';
// Scale-out benchmark (issue #17, README "Running several instances"): the same flow on 1, 2 and
// 3 real Node-RED members behind one Mosquitto and one InfluxDB, all on this machine.
//
//   node bench/scale-out.js [--messages N] [--no-moves | --moves-only] [--ingest-ack none|archive]
//   (npm run bench:scale; ~4 min)
//
// Flow of every member, like examples/scale-out.json: ingest ($share, QoS 1, persistent session)
// → telemetry-partition (32 partitions, key device, ackMode archive) → raw archive, window
// (tumbling 10 s per device) → rollup archive, and heartbeat watch. The raw archive sits behind
// the partition node here (in the example it is beside it) so that a landed reading proves it
// crossed the hop. Baseline, measured in the same run: one member, the same flow without the
// partition node (ingest → raw archive, window, heartbeat).
//
// Per point: N readings (bench/lib/workload.js, 1,000 devices) at full speed from a publisher child
// (QoS 1); throughput = N ÷ (last reading queryable − first publish); CPU per reading of each
// member, of Mosquitto and of InfluxDB = Δ(utime + stime) from /proc/<pid>/stat ÷ N. Every process
// shares this machine's cores, so members do not add cores: throughput cannot grow with members
// here. What carries over to a member per machine is the CPU per reading, so the scaling
// efficiency is CPU per reading of 1 member ÷ the group's summed CPU per reading at N members
// (1.0 = adding members costs nothing extra per reading).
//
// Moves (unless --no-moves): 2 members under a paced load (2,000 readings/s; ingest ackMode
// archive as in the example unless --ingest-ack none), then a third joins,
// one stops gracefully (SIGTERM), one is killed (SIGKILL). Move time = from the trigger until the
// retained presence messages show every partition owned by exactly one live member, each live
// member owning some (a member announces a partition only once its session is open and its state
// restored). The readings landed are counted at the end, also per 5 s of publish time (`per5s`:
// a dip shows which event lost readings). Figures print as SCALE-FIGURES JSON lines.
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const mqtt = require('mqtt');

const REPO = path.resolve(__dirname, '..');
const { startInflux, startMosquitto } = require(path.join(REPO, 'test', 'support', 'services'));
const { startNodeRed } = require(path.join(REPO, 'test', 'support', 'node-red-process'));
const { waitFor, sleep } = require(path.join(REPO, 'test', 'support', 'wait'));
const { readProc } = require('./lib/sampler');
const { TOPIC_TEMPLATE, MEASUREMENT, WARMUP_TOPIC, warmupPayload } = require('./lib/workload');
const { memberIdOf } = require(path.join(REPO, 'dist', 'nodes', 'shared', 'member-id'));

const PARTITIONS = 32;
const log = (msg) => process.stderr.write(`${msg}\n`);

function parseArgs(argv) {
  const out = { messages: 60000, moves: true, moveRate: 2000, points: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--messages') out.messages = Math.max(1000, parseInt(argv[++i], 10) || out.messages);
    else if (argv[i] === '--no-moves') out.moves = false;
    else if (argv[i] === '--moves-only') out.points = false;
    else if (argv[i] === '--ingest-ack') out.ingestAck = argv[++i];
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node bench/scale-out.js [--messages N (default 60000)] [--no-moves]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  return out;
}

/** One member's flow; `partition: false` is the baseline without the hop. */
function memberFlow({ brokerUrl, influxUrl, db, group, partition, ingestAck = 'none' }) {
  const n = (id, type, props, wires = []) => ({ id, type, z: 'tab', ...props, wires });
  const archive = (id) => n(id, 'telemetry-archive', { server: 'influx', batchSize: 5000, flushInterval: '1s', maxConcurrent: 2, maxRetries: 3, maxBackoff: '30s', gzip: false, spool: true, spoolDir: '', spoolMaxMB: 512, onSpoolFull: 'drop-oldest' }, [[], ['bad']]);
  const stateful = ['raw', 'win', 'hb'];
  return [
    { id: 'tab', type: 'tab', label: 'scale bench' },
    { id: 'broker', type: 'telemetry-mqtt-broker', url: brokerUrl, clientId: '', protocolVersion: 5, keepalive: 60, clean: false },
    { id: 'influx', type: 'telemetry-influxdb', url: influxUrl, database: db, retentionPolicy: '', timeout: 10000 },
    n('ingest', 'telemetry-ingest', { broker: 'broker', topic: `$share/${group}/bench/+/+/telemetry`, qos: '1', format: 'json', topicTemplate: TOPIC_TEMPLATE, measurement: MEASUREMENT, batchSize: '', batchInterval: '', ackMode: ingestAck, ackTimeout: '30s' }, [partition ? ['part'] : stateful, ['bad']]),
    ...(partition
      ? [n('part', 'telemetry-partition', { broker: 'broker', group, topicPrefix: 'telemetry/partition', partitions: String(PARTITIONS), key: 'device', assignment: 'dynamic', instances: '', instance: '', memberId: '', ackMode: 'archive', ackTimeout: '30s' }, [stateful])]
      : []),
    archive('raw'),
    n('win', 'telemetry-window', { windowType: 'tumbling', size: '10s', groupBy: 'device', fields: 'temperature', aggregates: 'count,mean,min,max', timeMode: 'event', allowedLateness: '5s', outputMeasurement: '{measurement}_{size}', maxKeys: 100000, persistState: false }, [['rollups'], ['bad']]),
    archive('rollups'),
    n('hb', 'telemetry-heartbeat-watch', { deviceKey: 'tags.device', timeout: '30s', expected: '', summaryInterval: '', persistState: false }, [[], []]),
    n('bad', 'debug', { active: true, tosidebar: false, console: true, complete: 'true', targetType: 'full' }),
  ];
}

/** Retained presence of a group: member id → partitions it announces. */
function watchPresence(brokerUrl, group) {
  const members = new Map();
  const client = mqtt.connect(brokerUrl, { clientId: `bench-presence-${group}-${process.pid}`, clean: true, protocolVersion: 5 });
  const prefix = `telemetry/partition/${group}/members/`;
  client.on('connect', () => client.subscribe(`${prefix}+`, { qos: 1 }));
  client.on('message', (topic, payload) => {
    const id = topic.slice(prefix.length);
    if (payload.length === 0) return void members.delete(id);
    try {
      const owns = JSON.parse(payload.toString()).owns;
      if (Array.isArray(owns)) members.set(id, owns);
    } catch {
      // not a presence: ignored
    }
  });
  return {
    /** Every partition owned by exactly one of `live`, each of them owning some, nobody else owning any. */
    settled(live) {
      const seen = new Array(PARTITIONS).fill(0);
      for (const [id, owns] of members) {
        if (!live.includes(id)) {
          if (owns.length > 0) return false;
          continue;
        }
        for (const p of owns) seen[p]++;
      }
      return live.every((id) => (members.get(id) ?? []).length > 0) && seen.every((c) => c === 1);
    },
    owns: () => Object.fromEntries([...members].map(([id, o]) => [id, o.length])),
    close: () => client.end(true),
  };
}

const memberId = (nr) => memberIdOf(os.hostname(), nr.port);

async function count(influx, db, field = 'temperature') {
  const rows = await influx.rows(`SELECT COUNT("${field}") FROM "${MEASUREMENT}"`, { db }).catch(() => []);
  return rows[0]?.count ?? 0;
}

/** Publishes warm-up messages until one has landed: broker, subscriptions, hop and database work. */
async function warmUp(brokerUrl, influx, db) {
  const client = mqtt.connect(brokerUrl, { clientId: `bench-warmup-${process.pid}`, protocolVersion: 4 });
  const timer = setInterval(() => client.publish(WARMUP_TOPIC, warmupPayload(Date.now()), { qos: 1 }), 200);
  try {
    await waitFor(async () => (await count(influx, db, 'warmup')) > 0, { timeout: 60000, interval: 250, message: 'a warm-up reading landed' });
  } finally {
    clearInterval(timer);
    client.end();
  }
}

function runPublisher(opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'lib', 'publisher.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      const last = out.trim().split('\n').pop();
      try {
        resolve({ summary: JSON.parse(last) });
      } catch {
        reject(new Error(`publisher: ${out.slice(-300)}`));
      }
    });
  });
}

const cpuOf = (pid) => readProc(pid)?.cpuSeconds ?? NaN;
const us = (seconds, n) => Math.round((seconds / n) * 1e7) / 10; // µs per reading, 0.1 µs

/** One throughput point: `members` members (with or without the partition hop). */
async function throughputPoint(env, { label, members, partition, messages }) {
  const db = `scale_${label}`;
  const group = `sb${label}`;
  await env.influx.createDatabase(db);
  const flows = memberFlow({ brokerUrl: env.broker.url, influxUrl: env.influx.url, db, group, partition });
  log(`[${label}] starting ${members} member(s)${partition ? '' : ' without the partition node'} …`);
  const nrs = await Promise.all(Array.from({ length: members }, () => startNodeRed({ flows, logLevel: 'info', startTimeout: 60000 })));
  const presence = partition ? watchPresence(env.broker.url, group) : undefined;
  try {
    if (presence) await waitFor(() => presence.settled(nrs.map(memberId)), { timeout: 60000, interval: 100, message: `${label}: partitions assigned` });
    await warmUp(env.broker.url, env.influx, db);
    const pids = { ...Object.fromEntries(nrs.map((nr, i) => [`member${i + 1}`, nr.pid])), mosquitto: env.broker.pid, influxd: env.influx.pid };
    // Idle cost (presence, checkpoints, timers): 3 s before the load, in % of one core.
    const idle0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
    await sleep(3000);
    const idlePct = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round(((cpuOf(pid) - idle0[k]) / 3) * 1000) / 10]));
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
    const t0 = Date.now();
    const pub = runPublisher({ url: env.broker.url, qos: 1, messages, rate: 0 });
    let landed = 0;
    let last = { n: -1, at: Date.now() };
    await waitFor(
      async () => {
        landed = await count(env.influx, db);
        if (landed !== last.n) last = { n: landed, at: Date.now() };
        return landed >= messages || Date.now() - last.at > 30000;
      },
      { timeout: 600000, interval: 200, message: `${label}: every reading landed` },
    );
    const t1 = last.at;
    const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
    await pub;
    const cpuUsPerReading = Object.fromEntries(Object.keys(pids).map((k) => [k, us(cpu1[k] - cpu0[k], messages)]));
    const membersUs = Object.keys(pids).filter((k) => k.startsWith('member')).reduce((s, k) => s + cpuUsPerReading[k], 0);
    const point = {
      label, members, partition, messages, landed, lost: messages - landed,
      readingsPerSec: Math.round(messages / ((t1 - t0) / 1000)),
      cpuUsPerReading, membersCpuUsPerReading: Math.round(membersUs * 10) / 10, idleCpuPct: idlePct,
      owns: presence?.owns(),
    };
    log(`[${label}] ${JSON.stringify(point)}`);
    return point;
  } catch (err) {
    for (const nr of nrs) log(`--- member log tail ---\n${nr.logLines().slice(-25).join('\n')}`);
    throw err;
  } finally {
    presence?.close();
    await Promise.all(nrs.map((nr) => nr.cleanup().catch(() => undefined)));
  }
}

/** Join, graceful leave, SIGKILL under a paced load: how long until the partitions flow again. */
async function moves(env, rate, ingestAck) {
  const db = 'scale_moves';
  const group = 'sbmoves';
  await env.influx.createDatabase(db);
  // Like examples/scale-out.json: the ingest acknowledges after archive (`--ingest-ack none`
  // shows what the default loses when a member is killed).
  const flows = memberFlow({ brokerUrl: env.broker.url, influxUrl: env.influx.url, db, group, partition: true, ingestAck: ingestAck ?? 'archive' });
  const start = () => startNodeRed({ flows, logLevel: 'info', startTimeout: 60000 });
  const presence = watchPresence(env.broker.url, group);
  const nrs = [];
  const settledAfter = async (live, from, what) => {
    await waitFor(() => presence.settled(live.map(memberId)), { timeout: 120000, interval: 20, message: `${what}: partitions settled` });
    return Date.now() - from;
  };
  try {
    nrs.push(...(await Promise.all([start(), start()])));
    await settledAfter(nrs, Date.now(), 'start');
    await warmUp(env.broker.url, env.influx, db);
    const messages = rate * 60;
    const pubStart = Date.now();
    const pub = runPublisher({ url: env.broker.url, qos: 1, messages, rate });
    const at = {};
    await sleep(8000);
    let t = Date.now();
    at.join = t - pubStart;
    nrs.push(await start());
    const joinStartedMs = Date.now() - t; // Node-RED's own start, before the member announces itself
    const joinMs = await settledAfter(nrs, t, 'join');
    await sleep(8000);
    t = Date.now();
    at.leave = t - pubStart;
    at.ownsBeforeLeave = presence.owns();
    await nrs[1].stop();
    const leaveMs = await settledAfter([nrs[0], nrs[2]], t, 'graceful leave');
    await sleep(8000);
    t = Date.now();
    at.kill = t - pubStart;
    at.ownsBeforeKill = presence.owns();
    await nrs[0].kill('SIGKILL');
    const killMs = await settledAfter([nrs[2]], t, 'kill');
    const { summary } = await pub;
    let landed = 0;
    await waitFor(async () => (landed = await count(env.influx, db)) >= messages, { timeout: 120000, interval: 500, message: 'every reading landed after the moves' }).catch(() => undefined);
    // Landed per 5 s of publish time (a gap shows which event lost readings).
    const rows = await env.influx.rows(`SELECT COUNT("temperature") FROM "${MEASUREMENT}" WHERE time >= ${pubStart - 1000}ms GROUP BY time(5s)`, { db }).catch(() => []);
    const per5s = rows.map((r) => `${Math.round(((typeof r.time === 'number' ? r.time : Date.parse(r.time)) - pubStart) / 1000)}s:${r.count}`).join(' ');
    const figures = { rate, ingestAck: ingestAck ?? 'archive', published: summary.acked ?? messages, landed, lost: messages - landed, joinMs, joinNodeRedStartMs: joinStartedMs, gracefulLeaveMs: leaveMs, killMs, at, per5s };
    log(`[moves] ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    presence.close();
    await Promise.all(nrs.map((nr) => nr.cleanup().catch(() => undefined)));
  }
}

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  const influx = await startInflux(null, { logLevel: 'warn' });
  const broker = await startMosquitto(null, { extraConfig: 'max_inflight_messages 0' });
  const env = { influx, broker };
  const started = Date.now();
  try {
    const points = [];
    if (!cfg.points) {
      console.log(`SCALE-FIGURES ${JSON.stringify({ moves: await moves(env, cfg.moveRate, cfg.ingestAck) })}`);
      return;
    }
    // Baseline and 1 member first, then 2 and 3: one run each (a few minutes in all).
    points.push(await throughputPoint(env, { label: 'base', members: 1, partition: false, messages: cfg.messages }));
    for (const members of [1, 2, 3]) points.push(await throughputPoint(env, { label: `m${members}`, members, partition: true, messages: cfg.messages }));
    const base = points[0];
    const one = points[1];
    const hop = {
      memberUs: Math.round((one.membersCpuUsPerReading - base.membersCpuUsPerReading) * 10) / 10,
      brokerUs: Math.round((one.cpuUsPerReading.mosquitto - base.cpuUsPerReading.mosquitto) * 10) / 10,
    };
    const efficiency = Object.fromEntries(points.slice(1).map((p) => [p.members, Math.round((one.membersCpuUsPerReading / p.membersCpuUsPerReading) * 100) / 100]));
    const summary = {
      cores: os.cpus().length,
      messages: cfg.messages,
      points: points.map((p) => ({ label: p.label, members: p.members, readingsPerSec: p.readingsPerSec, membersCpuUsPerReading: p.membersCpuUsPerReading, cpuUsPerReading: p.cpuUsPerReading, idleCpuPct: p.idleCpuPct, lost: p.lost })),
      hopCost: hop,
      scalingEfficiency: efficiency,
    };
    console.log(`SCALE-FIGURES ${JSON.stringify(summary)}`);
    if (cfg.moves) console.log(`SCALE-FIGURES ${JSON.stringify({ moves: await moves(env, cfg.moveRate, cfg.ingestAck) })}`);
    log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await broker.destroy().catch(() => undefined);
    await influx.destroy().catch(() => undefined);
  }
}

main().catch((err) => {
  log(err.stack || String(err));
  process.exitCode = 1;
});
