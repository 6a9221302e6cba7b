'use strict';
// Shared pieces of the fault suite: the flow under test (MQTT → telemetry-ingest →
// telemetry-archive → InfluxDB, persistent session), a paced QoS 1 publisher that counts what the
// broker acknowledged, the archive's reports and refusals gathered in the Node-RED process and
// served over HTTP, and an RSS sampler for a child process.
const fs = require('node:fs');
const mqtt = require('mqtt');
const { waitFor, sleep } = require('../../support/wait');

/** A reading's timestamp: seq ms after T0 (unique per message, so every point is distinct). */
const T0 = Date.now() - 6 * 3_600_000;

/**
 * The flow: broker (clean: false, fixed client id) → ingest (QoS 1) → archive, plus
 * - GET /stats: { reports: [...archive output 1 payloads], rejected: { code: points } };
 * - POST /control?c=flush|status: a control msg into the archive.
 */
function pipelineFlows({ brokerUrl, influxUrl, db, ingest = {}, archive = {}, broker = {} }) {
  return [
    { id: 'tab', type: 'tab', label: 'fault pipeline' },
    {
      id: 'b1', type: 'telemetry-mqtt-broker', url: brokerUrl, clientId: 'fault-pipeline', protocolVersion: 4, keepalive: 10, clean: false,
      ...broker,
    },
    { id: 's1', type: 'telemetry-influxdb', url: influxUrl, database: db, retentionPolicy: '', timeout: 5000 },
    {
      id: 'ing', type: 'telemetry-ingest', z: 'tab', broker: 'b1', topic: 'fault/#', qos: 1, format: 'json', topicTemplate: '',
      measurement: 'telemetry', tagKeys: 'deviceId', timestampKey: 'ts', maxPast: '', maxFuture: '', batchSize: '', batchInterval: '',
      ...ingest, wires: [['arc'], ['rej']],
    },
    {
      id: 'arc', type: 'telemetry-archive', z: 'tab', server: 's1', batchSize: 5000, flushInterval: '200ms', maxConcurrent: 2, maxRetries: 3,
      maxBackoff: '2s', spool: true, spoolDir: '', spoolMaxMB: 512, onSpoolFull: 'drop-oldest', gzip: false, allowMsgOverride: false,
      ...archive, wires: [['rep'], ['rej']],
    },
    {
      id: 'rep', type: 'function', z: 'tab', name: 'keep reports',
      func: "const r = global.get('faultReports') || []; r.push(msg.payload); global.set('faultReports', r); return null;",
      outputs: 0, wires: [],
    },
    {
      id: 'rej', type: 'function', z: 'tab', name: 'count refusals',
      func:
        "const c = global.get('faultRejected') || {}; const code = (msg.error && msg.error.code) || 'NONE';" +
        " c[code] = (c[code] || 0) + (Array.isArray(msg.payload) ? msg.payload.length : 1); global.set('faultRejected', c); return null;",
      outputs: 0, wires: [],
    },
    { id: 'hs', type: 'http in', z: 'tab', url: '/stats', method: 'get', wires: [['hs2']] },
    {
      id: 'hs2', type: 'function', z: 'tab',
      func: "msg.payload = { reports: global.get('faultReports') || [], rejected: global.get('faultRejected') || {} }; return msg;",
      outputs: 1, wires: [['hr']],
    },
    { id: 'hr', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
    { id: 'hc', type: 'http in', z: 'tab', url: '/control', method: 'post', wires: [['hc2', 'hr']] },
    {
      id: 'hc2', type: 'function', z: 'tab',
      func: 'return { control: msg.req.query.c };', outputs: 1, wires: [['arc']],
    },
  ];
}

async function stats(nr) {
  const res = await fetch(`${nr.url}/stats`);
  return res.json();
}

async function control(nr, c) {
  await fetch(`${nr.url}/control?c=${encodeURIComponent(c)}`, { method: 'POST' });
}

/** Sum of a numeric field over the archive's reports. */
function sumReports(s, key) {
  return s.reports.reduce((n, r) => n + (Number(r[key]) || 0), 0);
}

/**
 * Publishes JSON readings on `fault/<device>` at `rate` msgs/s, QoS 1, until stop(). Counts
 * `published` and `acked` (PUBACK from the broker); a publish that fails is not counted as acked.
 * When more than `maxOutstanding` are waiting for their PUBACK the publisher waits (its own
 * flow control, as a real device would).
 */
function startPublisher(url, { rate = 5000, devices = 100, maxOutstanding = 20000, clientId = 'fault-publisher' } = {}) {
  const client = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 200, connectTimeout: 5000 });
  const state = { published: 0, acked: 0, failed: 0, stopped: false };
  // Which seqs the broker acknowledged (grows as needed).
  let ackedBits = new Uint8Array(1 << 20);
  const startedAt = Date.now();
  let stoppedAt;
  const tickMs = 10;
  let seq = 0;
  let paused = 0; // publishes skipped while too many were outstanding (the publisher fell behind)
  const timer = setInterval(() => {
    if (state.stopped) return;
    // Paced by the clock, not by tick count: timers drift, the rate must not.
    const due = Math.floor((rate * (Date.now() - startedAt)) / 1000) - seq - paused;
    for (let k = 0; k < due; k++) {
      if (state.published - state.acked - state.failed >= maxOutstanding) {
        paused += due - k;
        break;
      }
      const i = seq++;
      const payload = JSON.stringify({ deviceId: `dev-${i % devices}`, seq: i, ts: T0 + i });
      state.published++;
      client.publish(`fault/dev-${i % devices}`, payload, { qos: 1 }, (err) => {
        if (err) {
          state.failed++;
          return;
        }
        state.acked++;
        if (i >= ackedBits.length) {
          const bigger = new Uint8Array(Math.max(ackedBits.length * 2, i + 1));
          bigger.set(ackedBits);
          ackedBits = bigger;
        }
        ackedBits[i] = 1;
      });
    }
  }, tickMs);
  return {
    state,
    client,
    get seq() {
      return seq;
    },
    startedAt,
    /** True when the broker acknowledged the publish of `seq`. */
    wasAcked: (i) => i < ackedBits.length && ackedBits[i] === 1,
    get stoppedAt() {
      return stoppedAt ?? Date.now();
    },
    /** Stops publishing and waits until every publish has its PUBACK (mqtt.js resends after reconnects). */
    async stop({ timeout = 60000 } = {}) {
      state.stopped = true;
      stoppedAt = Date.now();
      clearInterval(timer);
      await waitFor(() => state.acked + state.failed >= state.published, { timeout, interval: 50, message: 'every publish to be acknowledged' });
    },
    end() {
      clearInterval(timer);
      client.end(true);
    },
  };
}

/** Samples VmRSS of `pidFn()` every `everyMs`; `peak` in MB. */
function sampleRss(pidFn, everyMs = 100) {
  const s = { peakMb: 0, samples: 0 };
  const timer = setInterval(() => {
    try {
      const text = fs.readFileSync(`/proc/${pidFn()}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(text)[1]);
      s.peakMb = Math.max(s.peakMb, kb / 1024);
      s.samples++;
    } catch {
      // the process is restarting
    }
  }, everyMs);
  s.stop = () => clearInterval(timer);
  return s;
}

/**
 * Points stored. Every message has its own series + timestamp, and InfluxDB keeps one point per
 * series + timestamp, so this is the number of distinct messages stored (a replayed duplicate
 * overwrites itself). COUNT, not COUNT(DISTINCT): the latter is far too heavy to poll.
 */
async function storedCount(influx, db) {
  try {
    const [res] = await influx.query('SELECT COUNT("seq") FROM "telemetry"', { db });
    return res.series ? res.series[0].values[0][1] : 0;
  } catch (err) {
    if (/database not found/.test(err.message)) return 0;
    throw err;
  }
}

/** The set of `seq` values stored (reads every point: for tens of thousands, not millions). */
async function storedSeqs(influx, db) {
  const rows = await influx.rows('SELECT "seq" FROM "telemetry"', { db });
  return new Set(rows.map((r) => r.seq));
}

/** Calls `fn` every `everyMs`, one call at a time (no pile-up when the server is slow). */
function poll(fn, everyMs) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        await fn();
      } catch {
        // the server is restarting
      }
      await sleep(everyMs);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** Waits until `count()` stops growing for `quietMs` or reaches `target`; returns the last count. */
async function settle(count, { target, timeout = 60000, quietMs = 3000 } = {}) {
  const deadline = Date.now() + timeout;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await count();
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
    if (target !== undefined && n >= target) return n;
    if (Date.now() - lastChange >= quietMs || Date.now() > deadline) return n;
    await sleep(250);
  }
}

/** Log lines of telemetry nodes at warn or error level (for the test's own output). */
function nodeProblems(nr, from = 0) {
  return nr.logLines().slice(from).filter((l) => /\[(warn|error)\] \[telemetry-/.test(l));
}

module.exports = { T0, pipelineFlows, stats, control, sumReports, startPublisher, sampleRss, storedCount, storedSeqs, poll, settle, nodeProblems };
