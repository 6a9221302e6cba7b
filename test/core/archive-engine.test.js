'use strict';
// The archive engine without Node-RED: fake clock, fake InfluxDB, in-memory spool file system.
const assert = require('node:assert/strict');
const { ArchiveEngine } = require('../../dist/core/archive/engine');
const { DiskSpool } = require('../../dist/core/spool/disk-spool');
const { MemorySpool } = require('../../dist/core/spool/memory-spool');
const { MemoryFs } = require('../support/memory-fs');
const { FakeClock } = require('../support/fake-clock');
const { DeadlineTimer } = require('../../dist/nodes/shared/deadline-timer');

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A scriptable InfluxDB: `respond(lines, target)` returns an outcome (default 204). */
class FakeInflux {
  constructor() {
    this.requests = [];
    this.stored = [];
    this.respond = () => ({ kind: 'response', status: 204, reason: '' });
    this.hang = false;
    this.pending = [];
  }
  write = (target, body) => {
    const lines = splitBody(body);
    this.requests.push({ target: { ...target }, lines });
    if (this.hang) return new Promise((resolve) => this.pending.push(() => resolve(this.answer(lines, target))));
    return Promise.resolve(this.answer(lines, target));
  };
  answer(lines, target) {
    const outcome = this.respond(lines, target);
    if (outcome.kind === 'response' && outcome.status === 204) this.stored.push(...lines);
    return outcome;
  }
  release() {
    this.hang = false;
    for (const go of this.pending.splice(0)) go();
  }
}

function splitBody(body) {
  const text = Buffer.isBuffer(body) ? body.toString() : body;
  return text === '' ? [] : text.split('\n');
}

const line = (i, v = i) => `m,device=d${i % 7} v=${v} ${1_700_000_000_000 + i}`;
const lines = (n, from = 0) => Array.from({ length: n }, (_, i) => line(from + i));
const DB = { database: 'telemetry', retentionPolicy: undefined };

function make(options = {}) {
  const clock = new FakeClock();
  const influx = new FakeInflux();
  const fs = new MemoryFs();
  const spool =
    options.spool ??
    (() => {
      const s = new DiskSpool(fs, { maxBytes: options.spoolMaxBytes ?? 1 << 20, onFull: options.onSpoolFull ?? 'drop-oldest' });
      s.open();
      return s;
    })();
  const events = [];
  const created = [];
  // Driven as the node drives it: one timer at the engine's next deadline.
  const timer = new DeadlineTimer(clock, (now) => {
    engine.tick(now);
    timer.atEarliest(engine.nextDeadline());
  });
  const engine = new ArchiveEngine(
    {
      batchSize: 5,
      flushIntervalMs: 1000,
      maxConcurrent: 2,
      maxRetries: 3,
      maxBackoffMs: 30_000,
      baseBackoffMs: 500,
      queueBatches: 4,
      closeWaitMs: 2000,
      ...options.settings,
    },
    {
      write: influx.write,
      createDatabase: async (db) => {
        created.push(db);
        return options.createDatabase ? options.createDatabase(db) : undefined;
      },
      spool,
      now: clock.now,
      wake: (deadline) => timer.atEarliest(deadline),
      random: () => 1,
    },
    (e) => events.push(e),
  );
  if (options.start !== false) engine.start();
  const of = (type) => events.filter((e) => e.type === type);
  return { engine, clock, influx, spool, fs, events, of, created };
}

const ok = { kind: 'response', status: 204, reason: '' };
const refused = { kind: 'transport', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' };

describe('archive engine: batching', function () {
  it('writes a batch as soon as it holds batchSize lines', async function () {
    const { engine, influx } = make();
    engine.acceptLines(DB, lines(12));
    await settle();
    assert.deepEqual(influx.requests.map((r) => r.lines.length), [5, 5]);
  });

  it('writes a partial batch when flushInterval has passed', async function () {
    const { engine, influx, clock } = make();
    engine.acceptLines(DB, lines(3));
    await clock.advance(999);
    assert.equal(influx.requests.length, 0);
    await clock.advance(1);
    assert.deepEqual(influx.requests.map((r) => r.lines.length), [3]);
  });

  it('says when it next has work: the flush of the oldest open batch, then a backoff end', async function () {
    const { engine, influx, clock } = make();
    const t0 = clock.now();
    assert.equal(engine.nextDeadline(), undefined);
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(3));
    assert.equal(engine.nextDeadline(), t0 + 1000);
    await clock.advance(999);
    assert.equal(influx.requests.length, 0);
    await clock.advance(1);
    assert.equal(influx.requests.length, 1);
    assert.equal(engine.nextDeadline(), t0 + 1000 + 500, 'the first backoff step');
  });

  it('flush() writes at once and resolves when written', async function () {
    const { engine, influx } = make();
    engine.acceptLines(DB, lines(3));
    await engine.flush();
    assert.deepEqual(influx.stored, lines(3));
  });

  it('writes each destination to its own database', async function () {
    const { engine, influx } = make();
    engine.acceptLines(DB, lines(2));
    engine.acceptLines({ database: 'other', retentionPolicy: 'weekly' }, lines(1, 50));
    await engine.flush();
    assert.deepEqual(
      influx.requests.map((r) => [r.target.database, r.target.retentionPolicy, r.lines.length]).sort(),
      [['other', 'weekly', 1], ['telemetry', undefined, 2]],
    );
  });

  it('keeps at most maxConcurrent writes in flight', async function () {
    const { engine, influx } = make();
    influx.hang = true;
    engine.acceptLines(DB, lines(25));
    await settle();
    assert.equal(influx.requests.length, 2);
    assert.equal(engine.state().inFlight, 2);
    influx.release();
    await settle();
    assert.ok(influx.requests.length >= 4);
  });

  it('spools batches beyond the in-memory queue (memory bound)', async function () {
    const { engine, influx, spool, of } = make({ settings: { maxConcurrent: 1, queueBatches: 2 } });
    influx.hang = true;
    engine.acceptLines(DB, lines(25)); // 5 batches: 1 in flight, 2 queued, 2 spooled
    await settle();
    assert.equal(spool.stats().points, 10);
    assert.deepEqual(of('spooled').map((e) => e.reason), ['overflow', 'overflow']);
    assert.equal(engine.state().pendingLines, 10);
  });

  it('spooled overflow is replayed once the server keeps up', async function () {
    const { engine, influx, spool } = make({ settings: { maxConcurrent: 1, queueBatches: 1 } });
    influx.hang = true;
    engine.acceptLines(DB, lines(25));
    await settle();
    influx.release();
    await engine.flush();
    await settle();
    assert.equal(spool.stats().points, 0);
    assert.deepEqual([...influx.stored].sort(), lines(25).sort());
  });
});

describe('archive engine: transient failures', function () {
  it('retries with exponential backoff and writes when the server answers', async function () {
    const { engine, influx, clock, of } = make();
    let failures = 2;
    influx.respond = () => (failures-- > 0 ? refused : ok);
    engine.acceptLines(DB, lines(5));
    await settle();
    assert.equal(influx.requests.length, 1);
    await clock.advance(499);
    assert.equal(influx.requests.length, 1);
    await clock.advance(1); // 500 ms (random = 1 → the ceiling of the first step)
    assert.equal(influx.requests.length, 2);
    await clock.advance(1000); // second step: 1 s
    assert.equal(influx.requests.length, 3);
    assert.deepEqual(influx.stored, lines(5));
    assert.deepEqual(of('retry').map((e) => e.delayMs), [500, 1000]);
  });

  it('honours Retry-After on 429', async function () {
    const { engine, influx, clock } = make();
    let first = true;
    influx.respond = () => (first ? ((first = false), { kind: 'response', status: 429, reason: 'slow down', retryAfter: '7' }) : ok);
    engine.acceptLines(DB, lines(5));
    await clock.advance(6999);
    assert.equal(influx.requests.length, 1);
    await clock.advance(1);
    assert.equal(influx.requests.length, 2);
  });

  it('spools the batch after maxRetries and turns degraded', async function () {
    const { engine, influx, clock, spool, of } = make();
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(500 + 1000 + 2000);
    assert.equal(influx.requests.filter((r) => r.lines.length === 5).length >= 4, true);
    assert.equal(spool.stats().points, 5);
    assert.equal(engine.state().health, 'degraded');
    assert.equal(of('health')[0].verdict.code, 'NETWORK');
  });

  it('while degraded, new batches go straight to the spool', async function () {
    const { engine, influx, clock, spool } = make();
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(3500);
    const before = influx.requests.length;
    engine.acceptLines(DB, lines(10, 100));
    await settle();
    assert.equal(spool.stats().points, 15);
    assert.ok(influx.requests.length - before <= 1, 'only the replay probe may write');
  });

  it('replays the spool in order once the server answers again, and turns healthy', async function () {
    const { engine, influx, clock, spool } = make();
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(3500);
    engine.acceptLines(DB, lines(10, 100));
    await settle();
    influx.respond = () => ok;
    await clock.advance(30_000);
    assert.equal(spool.stats().points, 0);
    assert.deepEqual(influx.stored, [...lines(5), ...lines(10, 100)]);
    assert.equal(engine.state().health, 'healthy');
  });

  it('replay waits with backoff but never longer than maxBackoff', async function () {
    const { engine, influx, clock, of } = make({ settings: { maxBackoffMs: 4000 } });
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(60_000);
    const replayDelays = of('retry').filter((e) => e.fromSpool).map((e) => e.delayMs);
    assert.ok(replayDelays.length >= 10, `only ${replayDelays.length} replay attempts in 60 s`);
    assert.ok(replayDelays.every((d) => d <= 4000));
    assert.equal(Math.max(...replayDelays), 4000);
  });

  it('live writes and replay take turns, so neither starves', async function () {
    const { engine, influx, spool } = make({ settings: { maxConcurrent: 1, queueBatches: 4 } });
    for (let i = 0; i < 4; i++) spool.append({ database: 'telemetry', retentionPolicy: undefined, body: lines(5, i * 5).join('\n'), lines: 5 });
    influx.hang = true;
    engine.start();
    engine.acceptLines(DB, lines(20, 1000)); // 4 live batches, queued behind one replay request
    await settle();
    influx.hang = false;
    influx.release();
    await engine.flush();
    await settle();
    assert.equal(spool.stats().points, 0);
    const order = influx.requests.map((r) => (Number(r.lines[0].split(' ')[2]) - 1_700_000_000_000 >= 1000 ? 'live' : 'replay'));
    assert.deepEqual(order, ['replay', 'live', 'replay', 'live', 'replay', 'live', 'replay', 'live']);
  });
});

describe('archive engine: spool replay', function () {
  const spoolFour = (spool) => {
    for (let i = 0; i < 4; i++) spool.append({ database: 'telemetry', retentionPolicy: undefined, body: lines(5, i * 5).join('\n'), lines: 5 });
  };

  it('uses every free slot while InfluxDB takes writes and nothing live is waiting', async function () {
    const { engine, influx, spool } = make({ settings: { maxConcurrent: 3 } });
    spoolFour(spool);
    influx.hang = true;
    engine.start();
    await settle();
    assert.equal(influx.requests.length, 3);
    influx.hang = false;
    influx.release();
    await settle();
    assert.equal(spool.stats().points, 0);
    assert.deepEqual([...influx.stored].sort(), lines(20).sort());
  });

  it('probes with one request at a time while InfluxDB is failing', async function () {
    const { engine, influx, spool, clock } = make({ settings: { maxConcurrent: 3 } });
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5, 100));
    await clock.advance(3500); // the live batch gives up: degraded
    spoolFour(spool);
    const before = influx.requests.length;
    await clock.advance(5000);
    const probes = influx.requests.slice(before);
    assert.ok(probes.length > 0);
    assert.ok(probes.every((r) => r.lines[0] === line(100)), 'only the oldest record is retried');
  });

  it('a record written out of order is not written twice', async function () {
    const { engine, influx, spool } = make({ settings: { maxConcurrent: 2 } });
    spoolFour(spool);
    engine.start();
    await settle();
    await settle();
    assert.equal(spool.stats().points, 0);
    assert.equal(influx.requests.length, 4);
  });
});

describe('archive engine: refused points', function () {
  it('400: bisects, sends exactly the bad point to output 2, writes the rest', async function () {
    const { engine, influx, of } = make({ settings: { batchSize: 1000 } });
    const batch = lines(1000);
    batch[617] = 'm,device=d1 v="text" 1700000000617';
    influx.respond = (ls) => {
      const bad = ls.filter((l) => l.includes('"text"')).length;
      return bad ? { kind: 'response', status: 400, reason: `partial write: field type conflict dropped=${bad}` } : ok;
    };
    engine.acceptLines(DB, batch);
    await settle();
    const refusedEvents = of('refused');
    assert.equal(refusedEvents.length, 1);
    assert.deepEqual(refusedEvents[0].lines, [batch[617]]);
    assert.match(refusedEvents[0].reason, /field type conflict/);
    assert.equal(new Set(influx.stored).size, 999);
    assert.ok(influx.requests.length <= 21, `${influx.requests.length} requests`);
  });

  it('413: splits the batch and writes the halves', async function () {
    const { engine, influx } = make({ settings: { batchSize: 8 } });
    influx.respond = (ls) => (ls.length > 3 ? { kind: 'response', status: 413, reason: 'too large' } : ok);
    engine.acceptLines(DB, lines(8));
    await settle();
    assert.deepEqual([...influx.stored].sort(), lines(8).sort());
  });

  it('bisects a spooled record too, and refuses exactly the bad line', async function () {
    const { engine, influx, clock, of, spool } = make();
    influx.respond = () => refused;
    const batch = lines(5);
    batch[2] = 'm,device=d2 v="text" 1700000000002';
    engine.acceptLines(DB, batch);
    await clock.advance(3500);
    assert.equal(spool.stats().points, 5);
    influx.respond = (ls) => (ls.some((l) => l.includes('"text"')) ? { kind: 'response', status: 400, reason: 'partial write: conflict dropped=1' } : ok);
    await clock.advance(30_000);
    assert.deepEqual(of('refused').map((e) => e.lines), [[batch[2]]]);
    assert.equal(spool.stats().points, 0);
  });
});

describe('archive engine: InfluxDB 3 partial writes, fieldTypes, schema limits (#18)', function () {
  const { SchemaTracker } = require('../../dist/core/archive/schema-limits');
  const v3Partial = (errors) => ({ kind: 'response', status: 400, reason: 'partial write of line protocol occurred', lineErrors: errors });

  it('3.x partial write: only the listed lines go to output 2, with their own messages; the rest counts as written, in one request', async function () {
    const { engine, influx, of } = make({ settings: { batchSize: 6 } });
    influx.respond = (ls) => {
      const bad = ls.map((l, i) => (l.includes('"text"') ? { line: i + 1, message: `invalid column type, line ${i + 1}` } : undefined)).filter(Boolean);
      if (bad.length === 0) return ok;
      influx.stored.push(...ls.filter((l) => !l.includes('"text"')));
      return v3Partial(bad);
    };
    const batch = lines(6);
    batch[1] = 'm,device=d1 v="text" 1700000000001';
    batch[4] = 'm,device=d4 v="text" 1700000000004';
    engine.acceptLines(DB, batch);
    await settle();
    assert.equal(influx.requests.length, 1);
    assert.deepEqual(of('refused').map((e) => [e.lines, e.reason]), [
      [[batch[1]], 'invalid column type, line 2 (HTTP 400, partial write)'],
      [[batch[4]], 'invalid column type, line 5 (HTTP 400, partial write)'],
    ]);
    assert.deepEqual(of('written').map((e) => e.points), [4]);
    assert.equal(influx.stored.length, 4);
  });

  it('line numbers outside what was sent: falls back to bisecting', async function () {
    const { engine, influx, of } = make({ settings: { batchSize: 4 } });
    influx.respond = (ls) => (ls.some((l) => l.includes('"text"')) ? v3Partial([{ line: 99, message: 'x' }]) : ok);
    const batch = lines(4);
    batch[2] = 'm,device=d2 v="text" 1700000000002';
    engine.acceptLines(DB, batch);
    await settle();
    assert.deepEqual(of('refused').map((e) => e.lines), [[batch[2]]]);
    assert.equal(influx.stored.length, 3);
  });

  it('fieldTypes: integer-typed fields are written with i; a value that does not fit is refused before batching', async function () {
    const { engine, influx } = make({ settings: { batchSize: 2, fieldTypes: new Map([['n', 'integer']]) } });
    const refusals = [];
    const reading = (n, i) => ({ measurement: 'm', tags: {}, fields: { n }, timestamp: 1_700_000_000_000 + i });
    engine.acceptReadings(DB, [reading(1, 0), reading(1.5, 1), reading('2', 2), reading(3, 3)], (i, r) => refusals.push([i, r.code]));
    await settle();
    assert.deepEqual(refusals, [[1, 'FIELD_TYPE'], [2, 'FIELD_TYPE']]);
    assert.deepEqual(influx.stored, ['m n=1i 1700000000000', 'm n=3i 1700000000003']);
  });

  it('a spooled batch with integer fields is bisected on replay without losing the i', async function () {
    const { engine, influx, clock } = make({ settings: { batchSize: 4, maxRetries: 0 } });
    influx.respond = () => refused;
    const batch = ['m n=1i 1', 'm n=2i 2', 'm n="x" 3', 'm n=4u 4'];
    engine.acceptLines(DB, batch);
    await settle();
    influx.respond = (ls) => (ls.some((l) => l.includes('"x"')) ? { kind: 'response', status: 400, reason: 'partial write: field type conflict dropped=1' } : ok);
    await clock.advance(30_000);
    await settle();
    assert.deepEqual(influx.stored.sort(), ['m n=1i 1', 'm n=2i 2', 'm n=4u 4']);
  });

  it('3.x schema limits: a point that would add a table beyond the limit is refused before batching', async function () {
    const schema = new SchemaTracker({ tablesPerDatabase: 1, columnsPerTable: 500, tagsPerTable: 250 });
    const { engine, influx } = make({ settings: { batchSize: 1, schema } });
    const refusals = [];
    const reading = (measurement) => ({ measurement, tags: {}, fields: { v: 1 }, timestamp: 1_700_000_000_000 });
    engine.acceptReadings(DB, [reading('a'), reading('b'), reading('a')], (i, r) => refusals.push([i, r.code, r.message]));
    await settle();
    assert.deepEqual(refusals.map(([i, code]) => [i, code]), [[1, 'LIMIT_TABLES']]);
    assert.match(refusals[0][2], /table "b" would be table 2 of database "telemetry"; InfluxDB 3 allows 1/);
    assert.equal(influx.stored.length, 2);
  });
});

describe('archive engine: configuration problems keep the data', function () {
  it('401: spools at once (no retries), holds, and replays when fixed', async function () {
    const { engine, influx, clock, spool, of } = make();
    influx.respond = () => ({ kind: 'response', status: 401, reason: 'authorization failed' });
    engine.acceptLines(DB, lines(5));
    await settle();
    assert.equal(spool.stats().points, 5);
    assert.equal(engine.state().health, 'hold');
    assert.equal(of('health')[0].verdict.code, 'AUTH');
    influx.respond = () => ok;
    await clock.advance(30_000);
    assert.equal(spool.stats().points, 0);
    assert.equal(engine.state().health, 'healthy');
  });

  it('404 database not found: creates it once and writes', async function () {
    const { engine, influx, created } = make();
    let exists = false;
    influx.respond = () => (exists ? ok : { kind: 'response', status: 404, reason: 'database not found: "telemetry"' });
    engine.acceptLines(DB, lines(5));
    exists = true; // the fake createDatabase "creates" it
    await settle();
    assert.deepEqual(created, ['telemetry']);
    assert.deepEqual(influx.stored, lines(5));
  });

  it('404 and CREATE DATABASE forbidden: holds and keeps the data', async function () {
    const { engine, influx, spool } = make({
      createDatabase: async (db) => ({ action: 'hold', code: 'FORBIDDEN', reason: `database "${db}" does not exist and could not be created` }),
    });
    influx.respond = () => ({ kind: 'response', status: 404, reason: 'database not found: "telemetry"' });
    engine.acceptLines(DB, lines(5));
    await settle();
    assert.equal(spool.stats().points, 5);
    assert.equal(engine.state().health, 'hold');
    assert.equal(engine.state().problem.code, 'FORBIDDEN');
  });
});

describe('archive engine: a full spool', function () {
  it('reject-new: while InfluxDB is down and the spool is full, new lines are refused at the door', async function () {
    const { engine, influx, clock } = make({ spoolMaxBytes: 700, onSpoolFull: 'reject-new' });
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(3500);
    let answer = 'accepted';
    for (let i = 0; i < 10 && answer === 'accepted'; i++) answer = engine.acceptLines(DB, lines(5, 100 + i * 5));
    assert.equal(answer, 'spool-full');
  });

  it('reject-new: a batch the full spool cannot take goes to output 2', async function () {
    const { engine, influx, clock, of } = make({ spoolMaxBytes: 700, onSpoolFull: 'reject-new' });
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(3500);
    for (let i = 0; i < 10; i++) engine.acceptLines(DB, lines(5, 100 + i * 5));
    const unspoolable = of('unspoolable');
    assert.ok(unspoolable.length >= 1);
    assert.equal(unspoolable[0].code, 'SPOOL_FULL');
    assert.equal(unspoolable[0].lines.length, 5);
  });

  it('drop-oldest: reports what it dropped', async function () {
    const { engine, influx, clock, of, spool } = make({ spoolMaxBytes: 1200 });
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(3500);
    for (let i = 0; i < 10; i++) engine.acceptLines(DB, lines(5, 100 + i * 5));
    const dropped = of('dropped').reduce((n, e) => n + e.points, 0);
    const spooled = of('spooled').reduce((n, e) => n + e.points, 0);
    assert.ok(dropped > 0);
    assert.equal(spooled - dropped, spool.stats().points);
  });

  it('a disk error while spooling sends the batch to output 2 (never silently lost)', async function () {
    const { engine, influx, clock, of, fs } = make();
    influx.respond = () => refused;
    fs.failNextAppend('ENOSPC: no space left on device');
    engine.acceptLines(DB, lines(5));
    await clock.advance(3500);
    assert.equal(of('unspoolable')[0].code, 'SPOOL_ERROR');
    assert.equal(of('unspoolable')[0].lines.length, 5);
  });
});

describe('archive engine: close', function () {
  it('puts open and queued batches into the spool', async function () {
    const { engine, spool, influx } = make();
    influx.hang = true;
    engine.acceptLines(DB, lines(33)); // 6 full batches + 3 open lines
    await settle();
    const closing = engine.close();
    influx.release();
    await closing;
    assert.equal(spool.stats().points + influx.stored.length, 33);
  });

  it('spools a batch whose request does not finish within closeWaitMs', async function () {
    const { engine, spool, influx, clock } = make({ settings: { closeWaitMs: 2000 } });
    influx.hang = true;
    engine.acceptLines(DB, lines(5));
    await settle();
    const closing = engine.close();
    await clock.advance(2000);
    await closing;
    assert.equal(spool.stats().points, 5);
  });

  it('with InfluxDB up, writes the open batch instead of stranding it in the spool (a member that leaves for good)', async function () {
    const { engine, spool, influx } = make();
    let durable = 0;
    engine.acceptReadings(DB, [{ measurement: 'm', tags: { device: 'd' }, fields: { v: 1 }, timestamp: 1_700_000_000_000 }], () => assert.fail('refused'), () => durable++);
    engine.acceptLines(DB, lines(3));
    await engine.close();
    assert.equal(influx.stored.length, 4);
    assert.equal(spool.stats().points, 0);
    assert.equal(durable, 1);
  });

  it('readings that arrive while it closes (sent before the flow stopped) go out with the close, not into a batch nobody flushes', async function () {
    const { engine, spool, influx } = make();
    influx.hang = true;
    engine.acceptLines(DB, lines(3));
    const closing = engine.close();
    let durable = 0;
    engine.acceptReadings(DB, [{ measurement: 'm', tags: { device: 'd' }, fields: { v: 1 }, timestamp: 1_700_000_000_000 }], () => assert.fail('refused'), () => durable++);
    engine.acceptLines(DB, lines(2, 3));
    await settle();
    influx.release();
    await closing;
    assert.equal(influx.stored.length + spool.stats().points, 6);
    assert.equal(influx.stored.length, 6, 'InfluxDB was up: written, not spooled');
    assert.equal(durable, 1);
  });

  it('takes nothing once close() has finished: the spool is closed (it may belong to the next node)', async function () {
    const { engine, spool, influx } = make();
    await engine.close();
    let durable = 0;
    const taken = engine.acceptReadings(DB, [{ measurement: 'm', tags: { device: 'd' }, fields: { v: 1 }, timestamp: 1_700_000_000_000 }], () => assert.fail('refused'), () => durable++);
    assert.equal(taken, 'closed');
    assert.equal(engine.acceptLines(DB, lines(2)), 'closed');
    await settle();
    assert.equal(influx.requests.length, 0);
    assert.equal(spool.stats().points, 0);
    assert.equal(durable, 0, 'not durable: an ack-after-archive ingest must not acknowledge it');
  });

  it('a write failing in the last try is spooled at once, without waiting out closeWaitMs', async function () {
    const { engine, spool, influx, clock } = make({ settings: { closeWaitMs: 60_000 } });
    engine.acceptLines(DB, lines(3));
    influx.respond = () => refused;
    const t0 = clock.now();
    await engine.close();
    assert.equal(spool.stats().points, 3);
    assert.equal(clock.now(), t0, 'no wait');
    assert.equal(influx.requests.length, 1, 'one try, no retry');
  });

  it('while InfluxDB is failing, spools without another try', async function () {
    const { engine, spool, influx, clock } = make();
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(60_000); // the batch used its retries and went to the spool: the engine is degraded
    engine.acceptLines(DB, lines(2, 5));
    const before = influx.requests.length;
    await engine.close();
    assert.equal(influx.requests.length, before);
    assert.equal(spool.stats().points, 7);
  });

  it('does not start replaying the spool while closing: it stays for the next start', async function () {
    const first = make();
    first.influx.respond = () => refused;
    first.engine.acceptLines(DB, lines(10));
    await first.clock.advance(100);
    await first.engine.close();
    const spool = new DiskSpool(first.fs, { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    const second = make({ spool, start: false });
    await second.engine.close();
    assert.equal(second.influx.requests.length, 0);
    assert.equal(spool.stats().points, 10);
  });

  it('a batch waiting for its retry gets one last try at close: written when InfluxDB answers again', async function () {
    const { engine, spool, influx, clock } = make();
    influx.respond = () => ({ kind: 'response', status: 503, reason: 'busy' });
    engine.acceptLines(DB, lines(5));
    await clock.advance(100); // in its first backoff; the engine still counts InfluxDB as healthy
    influx.respond = () => ok;
    await engine.close();
    assert.equal(influx.stored.length, 5);
    assert.equal(spool.stats().points, 0);
  });

  it('wakes a batch waiting for its next retry and spools it', async function () {
    const { engine, spool, influx, clock } = make();
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(5));
    await clock.advance(100); // in its first backoff
    await engine.close();
    assert.equal(spool.stats().points, 5);
  });

  it('a spool reopened after close replays everything', async function () {
    const first = make();
    first.influx.respond = () => refused;
    first.engine.acceptLines(DB, lines(7));
    await first.clock.advance(100);
    await first.engine.close();
    const spool = new DiskSpool(first.fs, { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    const second = make({ spool });
    await second.clock.advance(10);
    assert.deepEqual([...second.influx.stored].sort(), lines(7).sort());
  });

  it('with the spool off: tries once more, and reports what it could not write', async function () {
    const { engine, influx, clock, of } = make({ spool: new MemorySpool({ maxBytes: 1 << 20, onFull: 'drop-oldest' }) });
    influx.respond = () => refused;
    engine.acceptLines(DB, lines(7));
    await clock.advance(100);
    await engine.close();
    assert.equal(of('lost')[0].points, 7);
  });

  it('with the spool off and InfluxDB up: writes what is left, loses nothing', async function () {
    const { engine, influx, of } = make({ spool: new MemorySpool({ maxBytes: 1 << 20, onFull: 'drop-oldest' }) });
    engine.acceptLines(DB, lines(7));
    await engine.close();
    assert.equal(influx.stored.length, 7);
    assert.equal(of('lost').length, 0);
  });
});

describe('archive engine: a msg is durable when every batch holding its readings is', function () {
  const reading = (i, fields = { v: i }) => ({ measurement: 'm', tags: { device: 'd' }, fields, timestamp: 1_700_000_000_000 + i });
  const readings = (n, from = 0) => Array.from({ length: n }, (_, i) => reading(from + i));
  const noRefusal = () => assert.fail('refused');

  it('waits for both batches of a msg that spans two (one full, one flushed later)', async function () {
    const { engine, influx, clock } = make();
    let durable = 0;
    engine.acceptReadings(DB, readings(7), noRefusal, () => durable++);
    await settle();
    assert.equal(influx.stored.length, 5, 'the full batch is written at once');
    assert.equal(durable, 0, 'durable while 2 readings wait in the open batch');
    await clock.advance(1000);
    assert.equal(influx.stored.length, 7);
    assert.equal(durable, 1);
  });

  it('a batch in the disk spool is durable', async function () {
    const { engine, influx, clock, spool } = make();
    influx.respond = () => refused;
    let durable = 0;
    engine.acceptReadings(DB, readings(5), noRefusal, () => durable++);
    await clock.advance(500 + 1000 + 1000);
    assert.equal(durable, 0, 'durable while retrying');
    await clock.advance(2000);
    assert.equal(spool.stats().points, 5);
    assert.equal(durable, 1);
  });

  it('a batch in the memory spool is not', async function () {
    const { engine, influx, clock, spool } = make({ spool: new MemorySpool({ maxBytes: 1 << 20, onFull: 'drop-oldest' }) });
    influx.respond = () => refused;
    let durable = 0;
    engine.acceptReadings(DB, readings(5), noRefusal, () => durable++);
    await clock.advance(500 + 1000 + 2000);
    assert.equal(spool.stats().points, 5);
    assert.equal(durable, 0);
  });

  it('a msg with no valid reading is durable at once', function () {
    const { engine } = make();
    let durable = 0;
    let refusals = 0;
    engine.acceptReadings(DB, [reading(1, { v: NaN })], () => refusals++, () => durable++);
    assert.deepEqual([refusals, durable], [1, 1]);
  });

  it('two msgs in one batch both complete when it is written', async function () {
    const { engine } = make();
    const durable = [];
    engine.acceptReadings(DB, readings(2), noRefusal, () => durable.push('a'));
    engine.acceptReadings(DB, readings(2, 2), noRefusal, () => durable.push('b'));
    assert.deepEqual(durable, []);
    await engine.flush();
    assert.deepEqual(durable.sort(), ['a', 'b']);
  });
});

/**
 * An InfluxDB with a capacity: it writes one request at a time at `pointsPerS`, so requests sent
 * faster than that queue up and wait (a small server: the answer comes later the more it is sent).
 */
function capacityInflux(clock, pointsPerS) {
  const server = { pointsPerS, busyUntil: 0, requests: [], stored: 0 };
  server.write = (target, body) => {
    const n = splitBody(body).length;
    const start = Math.max(clock.now(), server.busyUntil);
    const service = (n * 1000) / server.pointsPerS;
    server.busyUntil = start + service;
    const request = { at: clock.now(), points: n, service, latency: server.busyUntil - clock.now() };
    server.requests.push(request);
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        server.stored += n;
        resolve(ok);
      }, request.latency),
    );
  };
  return server;
}

describe('archive engine: replay pace (adaptive, replayRate)', function () {
  const fill = (spool, records, points, from = 0) => {
    for (let i = 0; i < records; i++) {
      spool.append({ database: 'telemetry', retentionPolicy: undefined, body: lines(points, from + i * points).join('\n'), lines: points });
    }
  };

  function withServer(pointsPerS, settings) {
    const clock = new FakeClock();
    const server = capacityInflux(clock, pointsPerS);
    const fs = new MemoryFs();
    const spool = new DiskSpool(fs, { maxBytes: 64 << 20, onFull: 'drop-oldest' });
    spool.open();
    const timer = new DeadlineTimer(clock, (now) => {
      engine.tick(now);
      timer.atEarliest(engine.nextDeadline());
    });
    const engine = new ArchiveEngine(
      { batchSize: 1000, flushIntervalMs: 1000, maxConcurrent: 2, maxRetries: 3, maxBackoffMs: 30_000, baseBackoffMs: 500, queueBatches: 4, closeWaitMs: 2000, ...settings },
      { write: server.write, createDatabase: async () => undefined, spool, now: clock.now, wake: (d) => timer.atEarliest(d), random: () => 1 },
      () => undefined,
    );
    return { clock, server, spool, engine };
  }

  it('backs off when InfluxDB slows down: requests stop queueing there, and the spool still drains', async function () {
    const { clock, server, spool, engine } = withServer(50_000);
    fill(spool, 400, 1000); // 400,000 points
    engine.start();
    await clock.advance(2000); // fast: 1,000 points in 20 ms, about 100,000 points written
    const fastWritten = server.stored;
    assert.ok(fastWritten >= 80_000, `${fastWritten} written in the fast phase`);
    assert.equal(engine.state().replay.mode, 'unpaced');

    server.pointsPerS = 5_000; // InfluxDB slows down tenfold (200 ms per request)
    await clock.advance(3_000);
    assert.equal(engine.state().replay.mode, 'paced');
    assert.ok(engine.state().replay.rate < 5_000, 'replay backs off at once');
    // It learns the new baseline (≤ 20 s) and settles into AIMD's sawtooth below the capacity.
    await clock.advance(27_000);
    const from = clock.now();
    const storedFrom = server.stored;
    await clock.advance(20_000);
    const view = engine.state().replay;
    const recent = server.requests.filter((r) => r.at >= from);
    const queued = recent.filter((r) => r.latency > 1.5 * r.service).length;
    const writtenPerS = (server.stored - storedFrom) / 20;
    assert.ok(queued / recent.length <= 0.25, `${queued} of ${recent.length} requests queued at the server`);
    assert.ok(writtenPerS >= 0.4 * 5_000 && writtenPerS <= 5_000, `${Math.round(writtenPerS)} points/s written`);
    assert.ok(view.backoffs >= 2);
    await clock.advance(120_000);
    assert.equal(spool.stats().points, 0);
    assert.equal(server.stored, 400_000);
  });

  it('unpaced, two request slots keep such a server queueing (the scenario above is a real test)', async function () {
    // Only the first answers, before any cut: every request but the first waits for another.
    const { clock, server, spool, engine } = withServer(5_000);
    fill(spool, 40, 1000);
    engine.start();
    await clock.advance(150);
    assert.deepEqual(server.requests.map((r) => Math.round(r.latency / r.service)), [1, 2]);
    await clock.advance(200);
    assert.equal(server.requests.length, 3);
    assert.equal(Math.round(server.requests[2].latency / server.requests[2].service), 2);
  });

  it('replayRate caps the replay at that many points/s', async function () {
    const { clock, server, spool, engine } = withServer(1_000_000, { replayRateCap: 2_000 });
    fill(spool, 20, 1000);
    engine.start();
    await clock.advance(5_000);
    // Requests start 500 ms apart: at 0, 0.5 s, … 5 s → 11 requests.
    assert.equal(server.requests.length, 11);
    assert.equal(engine.state().replay.rate, 2_000);
    await clock.advance(10_000);
    assert.equal(spool.stats().points, 0);
  });

  it('live batches are not paced: they go out while replay waits for its turn', async function () {
    const { clock, server, spool, engine } = withServer(1_000_000, { replayRateCap: 100 });
    fill(spool, 3, 1000);
    engine.start();
    await clock.advance(10);
    engine.acceptLines(DB, lines(1000, 50_000));
    await clock.advance(10);
    assert.deepEqual(server.requests.map((r) => r.points), [1000, 1000]);
    assert.equal(spool.stats().points, 2000);
  });
});

describe('archive engine: replay merges small spool records', function () {
  it('consecutive small records go out in one request of at most batchSize points', async function () {
    const { engine, influx, spool } = make({ settings: { batchSize: 10 } });
    for (let i = 0; i < 7; i++) spool.append({ database: 'telemetry', retentionPolicy: undefined, body: lines(3, i * 3).join('\n'), lines: 3 });
    engine.start();
    await settle();
    await settle();
    assert.deepEqual(influx.requests.map((r) => r.lines.length), [9, 9, 3]);
    assert.deepEqual([...influx.stored].sort(), lines(21).sort());
    assert.equal(spool.stats().points, 0);
  });

  it('records for another database or retention policy start a new request', async function () {
    const { engine, influx, spool } = make({ settings: { batchSize: 100 } });
    const add = (database, retentionPolicy, from) => spool.append({ database, retentionPolicy, body: lines(2, from).join('\n'), lines: 2 });
    add('a', undefined, 0);
    add('a', undefined, 2);
    add('b', undefined, 4);
    add('b', 'rp', 6);
    add('b', 'rp', 8);
    engine.start();
    for (let i = 0; i < 4; i++) await settle();
    assert.deepEqual(
      influx.requests.map((r) => [r.target.database, r.target.retentionPolicy, r.lines.length]),
      [['a', undefined, 4], ['b', undefined, 2], ['b', 'rp', 4]],
    );
  });

  it('a refused point in a merged request is bisected out; the rest of every record is written', async function () {
    const { engine, influx, spool, of } = make({ settings: { batchSize: 10 } });
    spool.append({ database: 'telemetry', retentionPolicy: undefined, body: lines(3).join('\n'), lines: 3 });
    const bad = [line(3), 'm,device=d1 v="text" 1700000000004', line(5)];
    spool.append({ database: 'telemetry', retentionPolicy: undefined, body: bad.join('\n'), lines: 3 });
    influx.respond = (ls) => (ls.some((l) => l.includes('"text"')) ? { kind: 'response', status: 400, reason: 'partial write: field type conflict dropped=1' } : ok);
    engine.start();
    for (let i = 0; i < 6; i++) await settle();
    assert.deepEqual(of('refused').flatMap((e) => e.lines), [bad[1]]);
    assert.deepEqual([...influx.stored].sort(), [...lines(4), line(5)].sort());
    assert.equal(spool.stats().points, 0);
  });

  it('a merged request that fails is retried whole, and each record is acknowledged once written', async function () {
    const { engine, influx, spool, clock } = make({ settings: { batchSize: 10 } });
    for (let i = 0; i < 3; i++) spool.append({ database: 'telemetry', retentionPolicy: undefined, body: lines(3, i * 3).join('\n'), lines: 3 });
    influx.respond = () => refused;
    engine.start();
    await clock.advance(2000);
    assert.ok(influx.requests.every((r) => r.lines.length === 9));
    assert.equal(spool.stats().points, 9);
    influx.respond = () => ok;
    await clock.advance(30_000);
    assert.equal(spool.stats().points, 0);
    assert.deepEqual([...influx.stored].sort(), lines(9).sort());
  });
});
