'use strict';
// Heartbeat tracker at fleet scale (issue #8): 1,000,000 tracked devices.
//   node bench/heartbeat.bench.js            (re-runs itself with --expose-gc)
// Prints one JSON object: memory per device, heartbeat throughput, the time to emit 100,000
// simultaneous `down`s (tracker + building the output msgs, in the node's slices), the longest
// slice (how long the event loop is held at most), and what persistState costs at this size.
const { spawnSync } = require('child_process');

if (typeof global.gc !== 'function') {
  const run = spawnSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status === null ? 1 : run.status);
}

const { HeartbeatTracker } = require('../dist/core/heartbeat/tracker');
const { parseSnapshot } = require('../dist/core/heartbeat/snapshot');
const { changeMsg } = require('../dist/nodes/heartbeat/messages');
const { STEPS_PER_TURN, DOWN_DEVICES_LIMIT } = require('../dist/nodes/heartbeat/controller');

const DEVICES = 1_000_000;
const UPDATES = 5_000_000;
const BURST = 100_000;
const id = (i) => `device-${i}`; // 13-14 characters, like "plant7-pump-12"

function measured() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const round = (x, digits = 1) => Number(x.toFixed(digits));

/** Drains like the node does: slices of STEPS_PER_TURN, a msg built per change. */
function drain(tracker, now) {
  let more = true;
  let changes = 0;
  let longestSliceMs = 0;
  let slices = 0;
  const t0 = process.hrtime.bigint();
  while (more) {
    const s0 = process.hrtime.bigint();
    const batch = [];
    more = tracker.advance(now, STEPS_PER_TURN, batch);
    const msgs = batch.map((change) => changeMsg(change, true));
    changes += msgs.length;
    longestSliceMs = Math.max(longestSliceMs, ms(s0));
    slices++;
  }
  return { changes, totalMs: ms(t0), slices, longestSliceMs };
}

const result = { devices: DEVICES, node: process.version };

// 1. Memory: everything the registry holds (heap objects, id strings, typed arrays).
{
  const before = measured();
  const tracker = new HeartbeatTracker({ timeoutMs: 60_000, maxDevices: DEVICES }, 0);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < DEVICES; i++) tracker.beat(id(i), 1, undefined, []);
  const insertMs = ms(t0);
  const after = measured();
  const heap = after.heap - before.heap;
  const buffers = after.buffers - before.buffers;
  result.memory = {
    bytesPerDevice: round((heap + buffers) / DEVICES),
    heapBytesPerDevice: round(heap / DEVICES),
    typedArrayBytesPerDevice: round(buffers / DEVICES),
    goal: 200,
    idLength: id(DEVICES - 1).length,
  };
  result.newDevicesPerSec = Math.round(DEVICES / (insertMs / 1000));

  // 2. Heartbeats of known devices in a scattered order, each id a fresh string (as parsed
  // from a message), so hashing and the Map lookup are paid every time.
  const changes = [];
  let x = 12345;
  const t1 = process.hrtime.bigint();
  for (let n = 0; n < UPDATES; n++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    tracker.beat(id(x % DEVICES), 2 + n / 1e6, undefined, changes);
  }
  result.updatesPerSec = Math.round(UPDATES / (ms(t1) / 1000));
  result.nsPerUpdate = round(ms(t1) * 1e6 / UPDATES, 0);

  // 3. persistState at this size: snapshot → JSON (what a file store writes) → restore.
  const s0 = process.hrtime.bigint();
  const snapshot = tracker.snapshot(10);
  const snapshotMs = ms(s0);
  const j0 = process.hrtime.bigint();
  const json = JSON.stringify(snapshot);
  const stringifyMs = ms(j0);
  const r0 = process.hrtime.bigint();
  const parsed = parseSnapshot(JSON.parse(json));
  const restored = new HeartbeatTracker({ timeoutMs: 60_000, maxDevices: DEVICES }, 20);
  restored.restore(parsed.snapshot);
  const restoreMs = ms(r0);
  result.persistence = {
    snapshotMs: round(snapshotMs),
    jsonMB: round(json.length / 1e6),
    stringifyMs: round(stringifyMs),
    parseAndRestoreMs: round(restoreMs),
  };
}

// 4a. 100,000 devices, all silent: 100,000 simultaneous downs.
{
  const tracker = new HeartbeatTracker({ timeoutMs: 60_000, maxDevices: BURST }, 0);
  for (let i = 0; i < BURST; i++) tracker.beat(id(i), 0, undefined, []);
  const burst = drain(tracker, 60_000);
  result.burstOf100kDown = {
    changes: burst.changes,
    totalMs: round(burst.totalMs),
    downsPerSec: Math.round(burst.changes / (burst.totalMs / 1000)),
    slices: burst.slices,
    longestSliceMs: round(burst.longestSliceMs, 2),
  };
}

// 4b. The same burst inside 1,000,000 devices: the 900,000 that kept reporting are re-filed
// under their new deadline as their stale heap keys come up in the same tick.
{
  const tracker = new HeartbeatTracker({ timeoutMs: 60_000, maxDevices: DEVICES }, 0);
  for (let i = 0; i < DEVICES; i++) tracker.beat(id(i), 0, undefined, []);
  for (let i = BURST; i < DEVICES; i++) tracker.beat(id(i), 30_000, undefined, []);
  const burst = drain(tracker, 60_000);
  const t0 = process.hrtime.bigint();
  const summary = tracker.summary(DOWN_DEVICES_LIMIT);
  const summaryMs = ms(t0);
  result.burstOf100kDownAmong1M = {
    changes: burst.changes,
    totalMs: round(burst.totalMs),
    slices: burst.slices,
    longestSliceMs: round(burst.longestSliceMs, 2),
    summaryMs: round(summaryMs, 2),
    summaryDown: summary.down,
  };
}

process.stdout.write(JSON.stringify(result, null, 2) + '\n');
