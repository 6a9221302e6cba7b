'use strict';
const assert = require('node:assert/strict');
const { MemorySpool } = require('../../dist/core/spool/memory-spool');

const entry = (i, lines = 1) => ({ database: 'd', retentionPolicy: undefined, body: 'x'.repeat(36) + i, lines });

describe('spool/memory: the buffer used when the disk spool is off', function () {
  it('is not durable', function () {
    assert.equal(new MemorySpool({ maxBytes: 1000, onFull: 'drop-oldest' }).durable, false);
  });

  it('replays in order', function () {
    const spool = new MemorySpool({ maxBytes: 10000, onFull: 'drop-oldest' });
    spool.append(entry(1));
    spool.append(entry(2));
    const seen = [];
    for (let r = spool.peek(); r; r = spool.peek()) {
      seen.push(r.body.toString().slice(-1));
      spool.ack(r);
    }
    assert.deepEqual(seen, ['1', '2']);
  });

  it('drop-oldest counts what it dropped', function () {
    const spool = new MemorySpool({ maxBytes: 250, onFull: 'drop-oldest' }); // two 101-byte records fit
    spool.append(entry(1, 3));
    spool.append(entry(2, 4));
    assert.deepEqual(spool.append(entry(3, 5)), { ok: true, dropped: { records: 1, points: 3 } });
    assert.equal(spool.stats().points, 9);
  });

  it('reject-new refuses and reports full', function () {
    const spool = new MemorySpool({ maxBytes: 250, onFull: 'reject-new' });
    spool.append(entry(1));
    spool.append(entry(2));
    assert.equal(spool.append(entry(3)).reason, 'full');
    assert.equal(spool.stats().full, true);
  });

  it('refuses a record larger than the buffer', function () {
    const spool = new MemorySpool({ maxBytes: 50, onFull: 'drop-oldest' });
    assert.equal(spool.append(entry(1)).reason, 'too-large');
  });

  it('acks out of order: the buffer shrinks once the oldest is acked', function () {
    const spool = new MemorySpool({ maxBytes: 10000, onFull: 'drop-oldest' });
    spool.append(entry(1));
    spool.append(entry(2));
    spool.append(entry(3));
    const a = spool.peek();
    const b = spool.next(a);
    spool.ack(b);
    assert.equal(spool.stats().records, 3);
    assert.equal(spool.next(a).body.toString().slice(-1), '3');
    spool.ack(a);
    assert.equal(spool.stats().records, 1);
  });
});
