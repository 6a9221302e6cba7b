'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DiskSpool, segmentName } = require('../../dist/core/spool/disk-spool');
const { MemoryFs } = require('../support/memory-fs');
const { createSpoolFs } = require('../../dist/io/spool-fs');

const entry = (i, lines = 1, database = 'telemetry', retentionPolicy) => ({
  database,
  retentionPolicy,
  body: Array.from({ length: lines }, (_, j) => `m,device=d${i} v=${j} ${1000 + i}`).join('\n'),
  lines,
});

function open(fsys, options = {}) {
  const spool = new DiskSpool(fsys, { maxBytes: 1024 * 1024, onFull: 'drop-oldest', ...options });
  const summary = spool.open();
  return { spool, summary };
}

/** Reads and acks everything; returns the bodies in order. */
function drain(spool) {
  const out = [];
  for (let r = spool.peek(); r; r = spool.peek()) {
    out.push(r.body.toString());
    spool.ack(r);
  }
  return out;
}

describe('spool/disk: append and replay', function () {
  it('replays records in the order they were appended', function () {
    const { spool } = open(new MemoryFs());
    for (let i = 0; i < 5; i++) assert.equal(spool.append(entry(i)).ok, true);
    assert.deepEqual(drain(spool), [0, 1, 2, 3, 4].map((i) => entry(i).body));
  });

  it('keeps database, retention policy and point count per record', function () {
    const { spool } = open(new MemoryFs());
    spool.append(entry(1, 3, 'other', 'weekly'));
    const r = spool.peek();
    assert.equal(r.database, 'other');
    assert.equal(r.retentionPolicy, 'weekly');
    assert.equal(r.lines, 3);
  });

  it('peek returns the same record until it is acked', function () {
    const { spool } = open(new MemoryFs());
    spool.append(entry(1));
    spool.append(entry(2));
    assert.equal(spool.peek(), spool.peek());
  });

  it('fsyncs every append', function () {
    const fsys = new MemoryFs();
    const { spool } = open(fsys);
    spool.append(entry(1));
    spool.append(entry(2));
    assert.deepEqual(fsys.calls.filter((c) => c.startsWith('append')), [
      `append:${segmentName(1)}:sync`,
      `append:${segmentName(1)}:sync`,
    ]);
  });

  it('counts pending points, records and bytes', function () {
    const { spool } = open(new MemoryFs());
    spool.append(entry(1, 10));
    spool.append(entry(2, 5));
    let stats = spool.stats();
    assert.equal(stats.points, 15);
    assert.equal(stats.records, 2);
    assert.ok(stats.pendingBytes > 0 && stats.pendingBytes === stats.bytes);
    spool.ack(spool.peek());
    stats = spool.stats();
    assert.equal(stats.points, 5);
    assert.equal(stats.records, 1);
  });

  it('deletes a segment once every record in it was written', function () {
    const fsys = new MemoryFs();
    const { spool } = open(fsys, { segmentBytes: 200 });
    for (let i = 0; i < 6; i++) spool.append(entry(i, 2));
    const before = fsys.list().filter((n) => n.endsWith('.lp')).length;
    assert.ok(before >= 3, `expected several segments, got ${before}`);
    drain(spool);
    assert.deepEqual(fsys.list().filter((n) => n.endsWith('.lp')), []);
    assert.equal(spool.stats().bytes, 0);
  });

  it('ignores an ack for a record that is no longer the oldest', function () {
    const { spool } = open(new MemoryFs());
    spool.append(entry(1));
    const r = spool.peek();
    spool.ack(r);
    spool.append(entry(2));
    spool.ack(r);
    assert.equal(spool.stats().records, 1);
  });
});

describe('spool/disk: several records in flight', function () {
  it('next() hands out the records after one, across segments', function () {
    const { spool } = open(new MemoryFs(), { segmentBytes: 200 });
    for (let i = 0; i < 5; i++) spool.append(entry(i, 2));
    const seen = [];
    for (let r = spool.peek(); r; r = spool.next(r)) seen.push(r.body.toString());
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => entry(i, 2).body));
  });

  it('an ack out of order waits for the records before it', function () {
    const fsys = new MemoryFs();
    const { spool } = open(fsys);
    for (let i = 0; i < 3; i++) spool.append(entry(i));
    const a = spool.peek();
    const b = spool.next(a);
    spool.ack(b);
    assert.equal(spool.stats().points, 3);
    assert.equal(spool.peek(), a);
    assert.equal(spool.next(a).body.toString(), entry(2).body, 'next() skips the acked record');
    spool.ack(a);
    assert.equal(spool.stats().points, 1);
    assert.equal(spool.peek().body.toString(), entry(2).body);
  });

  it('hands out at most MAX_OUTSTANDING records beyond the oldest (memory bound)', function () {
    const { MAX_OUTSTANDING } = require('../../dist/core/spool/disk-spool');
    const { spool } = open(new MemoryFs());
    for (let i = 0; i < MAX_OUTSTANDING + 10; i++) spool.append(entry(i));
    const head = spool.peek();
    let handed = 1;
    for (let r = spool.next(head); r; r = spool.next(r)) {
      handed++;
      spool.ack(r);
    }
    assert.equal(handed, MAX_OUTSTANDING);
    spool.ack(head);
    assert.equal(spool.stats().records, 10);
  });

  it('after a crash, records acked out of order are replayed again (never lost)', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    for (let i = 0; i < 3; i++) first.append(entry(i));
    first.ack(first.next(first.peek()));
    fsys.crash();
    assert.deepEqual(drain(open(fsys).spool), [0, 1, 2].map((i) => entry(i).body));
  });

  it('an ack for a record dropped meanwhile (drop-oldest) is ignored', function () {
    const recordBytes = require('../../dist/core/spool/record').encodeRecord(entry(0, 10)).length;
    const { spool } = open(new MemoryFs(), { maxBytes: recordBytes * 2, segmentBytes: recordBytes });
    spool.append(entry(1, 10));
    spool.append(entry(2, 10));
    const oldest = spool.peek();
    spool.append(entry(3, 10)); // drops the oldest segment
    spool.ack(oldest);
    assert.equal(spool.stats().points, 20);
    assert.deepEqual(drain(spool), [entry(2, 10).body, entry(3, 10).body]);
  });
});

describe('spool/disk: surviving restarts', function () {
  it('a reopened spool replays what was not written, from where it stopped', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    for (let i = 0; i < 4; i++) first.append(entry(i));
    first.ack(first.peek());
    first.close();
    const { spool, summary } = open(fsys);
    assert.equal(summary.records, 3);
    assert.equal(summary.points, 3);
    assert.deepEqual(drain(spool), [1, 2, 3].map((i) => entry(i).body));
  });

  it('appends after a reopen go to a new segment and come after the old records', function () {
    const fsys = new MemoryFs();
    open(fsys).spool.append(entry(1));
    const { spool } = open(fsys);
    spool.append(entry(2));
    assert.deepEqual(drain(spool), [entry(1).body, entry(2).body]);
  });

  it('a crash between the last append and anything else loses nothing that was appended', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    for (let i = 0; i < 3; i++) first.append(entry(i));
    fsys.crash();
    assert.deepEqual(drain(open(fsys).spool), [0, 1, 2].map((i) => entry(i).body));
  });

  it('a missing index replays everything (duplicates are harmless)', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    first.append(entry(1));
    first.append(entry(2));
    first.ack(first.peek());
    fsys.remove('index.json');
    assert.equal(open(fsys).summary.records, 2);
  });

  it('an unreadable index is reported, and everything is replayed', function () {
    const fsys = new MemoryFs();
    open(fsys).spool.append(entry(1));
    fsys.writeTextAtomic('index.json', '{"v":1,"seq":');
    const { summary } = open(fsys);
    assert.equal(summary.records, 1);
    assert.deepEqual(summary.problems.map((p) => p.kind), ['index']);
  });

  it('removes fully written segments a crash left behind', function () {
    const fsys = new MemoryFs();
    const first = open(fsys, { segmentBytes: 100 }).spool;
    first.append(entry(1));
    first.append(entry(2)); // second segment
    const oldSegment = segmentName(1);
    const copy = Buffer.from(fsys.files.get(oldSegment).data);
    first.ack(first.peek()); // removes segment 1, index → segment 2
    fsys.appendRaw(oldSegment, copy); // the deletion "did not happen"
    const { spool } = open(fsys);
    assert.equal(fsys.files.has(oldSegment), false);
    assert.deepEqual(drain(spool), [entry(2).body]);
  });
});

describe('spool/disk: torn and damaged records', function () {
  it('cuts off a torn last record and keeps the ones before it', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    first.append(entry(1));
    first.append(entry(2));
    fsys.tearNextAppend(20);
    assert.throws(() => first.append(entry(3)), /cannot write to the spool/);
    fsys.appendRaw(segmentName(1), Buffer.from('#spool1 len=99 lin')); // what a kill -9 could leave
    const { spool, summary } = open(fsys);
    assert.deepEqual(summary.problems.map((p) => p.kind), ['torn']);
    assert.deepEqual(drain(spool), [entry(1).body, entry(2).body]);
  });

  it('a torn record whose header is whole but whose body is short is cut off', function () {
    const fsys = new MemoryFs();
    open(fsys).spool.append(entry(1));
    const full = require('../../dist/core/spool/record').encodeRecord(entry(2, 5));
    fsys.appendRaw(segmentName(1), full.subarray(0, full.length - 10));
    const { spool, summary } = open(fsys);
    assert.equal(summary.problems.length, 1);
    assert.deepEqual(drain(spool), [entry(1).body]);
  });

  it('a last record of the right length but the wrong bytes (zeros after a crash) is cut off', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    first.append(entry(1));
    first.append(entry(2));
    const size = fsys.size(segmentName(1));
    fsys.damage(segmentName(1), size - 5, Buffer.alloc(4));
    const { spool, summary } = open(fsys);
    assert.deepEqual(summary.problems.map((p) => p.kind), ['torn']);
    assert.deepEqual(drain(spool), [entry(1).body]);
  });

  it('new appends after a repaired tail are read back correctly', function () {
    const fsys = new MemoryFs();
    open(fsys).spool.append(entry(1));
    fsys.appendRaw(segmentName(1), Buffer.from('#spool1 len='));
    const { spool } = open(fsys);
    spool.append(entry(2));
    assert.deepEqual(drain(spool), [entry(1).body, entry(2).body]);
  });

  it('skips a damaged record in the middle and reports the points lost with it', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    first.append(entry(1));
    first.append(entry(2, 4));
    first.append(entry(3));
    const firstSize = require('../../dist/core/spool/record').encodeRecord(entry(1)).length;
    fsys.damage(segmentName(1), firstSize + 80, Buffer.from('XX'));
    const { spool } = open(fsys);
    assert.deepEqual(drain(spool), [entry(1).body, entry(3).body]);
    const problems = spool.takeProblems();
    assert.equal(problems.length, 1);
    assert.equal(problems[0].kind, 'corrupt');
    assert.equal(problems[0].points, 4);
  });

  it('skips a record whose header was destroyed and finds the next one', function () {
    const fsys = new MemoryFs();
    const first = open(fsys).spool;
    first.append(entry(1));
    first.append(entry(2));
    first.append(entry(3));
    const firstSize = require('../../dist/core/spool/record').encodeRecord(entry(1)).length;
    fsys.damage(segmentName(1), firstSize, Buffer.from('garbage!'));
    const { spool, summary } = open(fsys);
    assert.deepEqual(summary.problems.map((p) => p.kind), ['corrupt']);
    assert.deepEqual(drain(spool), [entry(1).body, entry(3).body]);
  });

  it('a failed append (disk full) leaves the spool as it was', function () {
    const fsys = new MemoryFs();
    const { spool } = open(fsys);
    spool.append(entry(1));
    fsys.failNextAppend('ENOSPC: no space left on device');
    assert.throws(() => spool.append(entry(2)), /ENOSPC/);
    assert.equal(spool.stats().records, 1);
    spool.append(entry(3));
    assert.deepEqual(drain(spool), [entry(1).body, entry(3).body]);
  });
});

describe('spool/disk: the size bound', function () {
  const recordBytes = require('../../dist/core/spool/record').encodeRecord(entry(0, 10)).length;

  it('never holds more than maxBytes on disk', function () {
    const fsys = new MemoryFs();
    const maxBytes = recordBytes * 8;
    const { spool } = open(fsys, { maxBytes, segmentBytes: recordBytes * 2 });
    for (let i = 0; i < 50; i++) {
      spool.append(entry(i % 10, 10));
      const onDisk = [...fsys.files].filter(([n]) => n.endsWith('.lp')).reduce((s, [, f]) => s + f.data.length, 0);
      assert.ok(onDisk <= maxBytes, `${onDisk} > ${maxBytes}`);
    }
  });

  it('drop-oldest drops the oldest segments and counts their points', function () {
    const { spool } = open(new MemoryFs(), { maxBytes: recordBytes * 4, segmentBytes: recordBytes * 2 });
    for (let i = 0; i < 4; i++) assert.equal(spool.append(entry(i, 10)).ok, true);
    const result = spool.append(entry(4, 10));
    assert.deepEqual(result, { ok: true, dropped: { records: 2, points: 20 } });
    assert.deepEqual(drain(spool), [2, 3, 4].map((i) => entry(i, 10).body));
  });

  it('drop-oldest does not count records already written', function () {
    const { spool } = open(new MemoryFs(), { maxBytes: recordBytes * 4, segmentBytes: recordBytes * 2 });
    for (let i = 0; i < 4; i++) spool.append(entry(i, 10));
    spool.ack(spool.peek());
    const result = spool.append(entry(4, 10));
    assert.deepEqual(result.dropped, { records: 1, points: 10 });
  });

  it('reject-new refuses the record and keeps the old ones', function () {
    const { spool } = open(new MemoryFs(), { maxBytes: recordBytes * 2, onFull: 'reject-new' });
    spool.append(entry(1, 10));
    spool.append(entry(2, 10));
    const result = spool.append(entry(3, 10));
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'full');
    assert.equal(spool.stats().full, true);
    assert.deepEqual(drain(spool), [entry(1, 10).body, entry(2, 10).body]);
    assert.equal(spool.stats().full, false);
  });

  it('refuses a record larger than the whole spool, whatever the policy', function () {
    const { spool } = open(new MemoryFs(), { maxBytes: 100 });
    spool.append(entry(1));
    const result = spool.append(entry(2, 50));
    assert.equal(result.reason, 'too-large');
    assert.equal(spool.stats().records, 1);
  });
});

describe('spool/disk: on a real file system', function () {
  let dir;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('appends, reopens and replays', function () {
    const first = new DiskSpool(createSpoolFs(path.join(dir, 'spool')), { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    first.open();
    for (let i = 0; i < 3; i++) first.append(entry(i, 2));
    first.ack(first.peek());
    const spool = new DiskSpool(createSpoolFs(path.join(dir, 'spool')), { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    assert.deepEqual(drain(spool), [1, 2].map((i) => entry(i, 2).body));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'spool')), ['index.json']);
  });

  it('a segment file is valid line protocol with comment headers', function () {
    const spool = new DiskSpool(createSpoolFs(dir), { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    spool.open();
    spool.append(entry(1, 2));
    const text = fs.readFileSync(path.join(dir, segmentName(1)), 'utf8');
    assert.deepEqual(text.split('\n').filter((l) => l && !l.startsWith('#')), entry(1, 2).body.split('\n'));
  });

  it('cuts a torn tail on a real file', function () {
    const first = new DiskSpool(createSpoolFs(dir), { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    first.open();
    first.append(entry(1));
    fs.appendFileSync(path.join(dir, segmentName(1)), '#spool1 len=500 lines=9 db=x rp= crc=00000000\nm v=1');
    const spool = new DiskSpool(createSpoolFs(dir), { maxBytes: 1 << 20, onFull: 'drop-oldest' });
    const summary = spool.open();
    assert.equal(summary.problems[0].kind, 'torn');
    assert.deepEqual(drain(spool), [entry(1).body]);
  });
});
