'use strict';
// Disk full (ENOSPC) while spooling (issue #21): on a file system with a capacity, the disk spool
// refuses the record it cannot write with SpoolWriteError (code ENOSPC), keeps every record
// spooled before intact (also across a reopen), survives an index it cannot save, and the archive
// engine counts and reports what it could not spool, never crashes, and replays the rest.
const assert = require('node:assert/strict');
const { DiskSpool } = require('../../dist/core/spool/disk-spool');
const { SpoolWriteError } = require('../../dist/core/spool/types');
const { ArchiveEngine } = require('../../dist/core/archive/engine');
const { archiveStatus } = require('../../dist/core/archive/report');
const { MemoryFs } = require('../support/memory-fs');
const { FakeClock } = require('../support/fake-clock');
const { DeadlineTimer } = require('../../dist/nodes/shared/deadline-timer');

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** A MemoryFs on a device of `capacity` bytes: an append that does not fit writes what fits, then fails. */
class FullDiskFs extends MemoryFs {
  constructor(capacity) {
    super();
    this.capacity = capacity;
  }
  used() {
    let n = 0;
    for (const f of this.files.values()) n += f.data.length;
    return n;
  }
  append(name, data, sync) {
    const room = this.capacity - this.used();
    if (data.length <= room) return super.append(name, data, sync);
    const file = this.files.get(name) ?? { data: Buffer.alloc(0), synced: 0 };
    this.files.set(name, file);
    file.data = Buffer.concat([file.data, data.subarray(0, Math.max(0, room))]);
    throw enospc();
  }
  writeTextAtomic(name, text) {
    const old = this.files.get(name);
    if (Buffer.byteLength(text) > this.capacity - this.used() + (old ? old.data.length : 0)) throw enospc();
    super.writeTextAtomic(name, text);
  }
}

const line = (i) => `m,device=d${i % 7} v=${i} ${1_700_000_000_000 + i}`;
const lines = (n, from = 0) => Array.from({ length: n }, (_, i) => line(from + i));
const entry = (n, from) => ({ database: 'telemetry', retentionPolicy: undefined, body: lines(n, from).join('\n'), lines: n });

describe('disk spool on a full disk (ENOSPC)', function () {
  it('refuses the record that does not fit with ENOSPC and keeps every record before it intact', function () {
    const fs = new FullDiskFs(20_000);
    const spool = new DiskSpool(fs, { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    let appended = 0;
    let error;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        spool.append(entry(20, i * 20));
        appended++;
      } catch (err) {
        error = err;
      }
    }
    assert.ok(error instanceof SpoolWriteError);
    assert.equal(error.code, 'ENOSPC');
    assert.ok(appended > 5);
    assert.equal(spool.stats().points, appended * 20);
    // The partial record was cut back off: reopening finds exactly the records appended, no damage.
    const again = new DiskSpool(fs, { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    const found = again.open();
    assert.deepEqual({ points: found.points, problems: found.problems }, { points: appended * 20, problems: [] });
    const read = [];
    for (let r = again.peek(); r; r = again.peek()) {
      read.push(...r.body.toString().split('\n'));
      again.ack(r);
    }
    assert.deepEqual(read, lines(appended * 20));
  });

  it('an index it cannot save is reported once, never thrown: acks go on', function () {
    const fs = new FullDiskFs(1 << 20);
    const spool = new DiskSpool(fs, { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    for (let i = 0; i < 3; i++) spool.append(entry(10, i * 10));
    fs.capacity = fs.used(); // the disk fills up (another program)
    fs.files.delete('index.json');
    for (let r = spool.peek(); r; r = spool.peek()) spool.ack(r);
    assert.equal(spool.stats().points, 0);
    const problems = spool.takeProblems();
    assert.equal(problems.length, 1);
    assert.equal(problems[0].kind, 'index');
    assert.match(problems[0].message, /ENOSPC/);
  });
});

describe('archive engine on a full disk (ENOSPC)', function () {
  it('counts and reports what it cannot spool, keeps what it did, and replays it when InfluxDB is back', async function () {
    const clock = new FakeClock();
    const fs = new FullDiskFs(30_000);
    const spool = new DiskSpool(fs, { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    let up = false;
    const stored = [];
    const write = async (target, body) => {
      if (!up) return { kind: 'transport', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' };
      stored.push(...body.toString().split('\n'));
      return { kind: 'response', status: 204, reason: '' };
    };
    const events = [];
    const timer = new DeadlineTimer(clock, (now) => {
      engine.tick(now);
      timer.atEarliest(engine.nextDeadline());
    });
    const engine = new ArchiveEngine(
      { batchSize: 50, flushIntervalMs: 100, maxConcurrent: 2, maxRetries: 0, maxBackoffMs: 1000, baseBackoffMs: 100, queueBatches: 4, closeWaitMs: 500 },
      { write, createDatabase: async () => undefined, spool, now: clock.now, wake: (d) => timer.atEarliest(d), random: () => 1 },
      (e) => events.push(e),
    );
    engine.start();
    const total = 2000;
    for (let i = 0; i < total; i += 50) {
      engine.acceptLines({ database: 'telemetry', retentionPolicy: undefined }, lines(50, i));
      await clock.advance(100);
    }
    await clock.advance(500);
    const spooled = events.filter((e) => e.type === 'spooled').reduce((n, e) => n + e.points, 0);
    const unspoolable = events.filter((e) => e.type === 'unspoolable');
    const refused = unspoolable.reduce((n, e) => n + e.lines.length, 0);
    assert.ok(refused > 0, 'the disk never filled');
    assert.ok(unspoolable.every((e) => e.code === 'SPOOL_ERROR' && e.errorCode === 'ENOSPC'));
    assert.equal(spooled + refused, total, 'every point spooled or refused to output 2');
    assert.equal(engine.state().spoolError, 'ENOSPC');
    assert.equal(spool.stats().points, spooled);
    const view = archiveStatus({ health: 'degraded', rate: 0, spoolPoints: spooled, spoolFull: false, onSpoolFull: 'drop-oldest', durable: true, spoolError: 'ENOSPC' });
    assert.deepEqual([view.fill, view.shape, view.key, view.params.code], ['red', 'ring', 'spoolError', 'ENOSPC']);

    up = true;
    await clock.advance(5000);
    assert.equal(spool.stats().points, 0);
    assert.equal(stored.length, spooled);
    const refusedLines = new Set(unspoolable.flatMap((e) => e.lines));
    assert.deepEqual([...stored, ...refusedLines].sort(), lines(total).sort(), 'nothing lost, nothing twice');
    assert.equal(engine.state().spoolError, undefined, 'cleared once InfluxDB takes writes again');
    await engine.close();
  });
});
