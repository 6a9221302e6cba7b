'use strict';
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { encodeRecord, readHeader, bodyIsIntact } = require('../../dist/core/spool/record');
const { crc32, crc32Js } = require('../../dist/core/spool/crc32');

describe('spool/record: framing', function () {
  const cases = [
    ['plain', { database: 'telemetry', retentionPolicy: undefined, body: 'm v=1 1\nm v=2 2', lines: 2 }],
    ['retention policy', { database: 'telemetry', retentionPolicy: 'weekly', body: 'm v=1 1', lines: 1 }],
    ['names with spaces and unicode', { database: 'my db ü', retentionPolicy: 'rp "x"', body: 'm v=1 1', lines: 1 }],
    ['a string field with a newline', { database: 'd', retentionPolicy: undefined, body: 'm s="a\nb" 1\nm v=1 2', lines: 2 }],
    ['a Buffer body', { database: 'd', retentionPolicy: undefined, body: Buffer.from('m v=1 1'), lines: 1 }],
    ['an empty body', { database: 'd', retentionPolicy: undefined, body: '', lines: 0 }],
  ];
  for (const [label, entry] of cases) {
    it(`round-trips: ${label}`, function () {
      const record = encodeRecord(entry);
      const parsed = readHeader(record);
      assert.equal(parsed.ok, true);
      const { header } = parsed;
      assert.equal(header.database, entry.database);
      assert.equal(header.retentionPolicy, entry.retentionPolicy);
      assert.equal(header.lines, entry.lines);
      assert.equal(header.totalBytes, record.length);
      const tail = record.subarray(header.headerBytes);
      assert.equal(bodyIsIntact(header, tail), true);
      assert.equal(tail.subarray(0, header.bodyBytes).toString(), Buffer.from(entry.body).toString());
    });
  }

  it('starts with "#" so InfluxDB reads the header as a comment', function () {
    const record = encodeRecord({ database: 'd', retentionPolicy: undefined, body: 'm v=1 1', lines: 1 }).toString();
    assert.match(record, /^#spool1 len=7 lines=1 db=d rp= crc=[0-9a-f]{8}\nm v=1 1\n$/);
  });

  const damaged = [
    ['an incomplete header', (r) => r.subarray(0, 10), 'incomplete'],
    ['a header that is not ours', () => Buffer.from('m v=1 1\n'), 'corrupt'],
    ['a header of zeros', () => Buffer.alloc(50), 'incomplete'],
    ['a mangled length', (r) => Buffer.from(r.toString().replace('len=7', 'len=x')), 'corrupt'],
  ];
  for (const [label, damage, reason] of damaged) {
    it(`recognises ${label}`, function () {
      const record = encodeRecord({ database: 'd', retentionPolicy: undefined, body: 'm v=1 1', lines: 1 });
      assert.deepEqual(readHeader(damage(record)), { ok: false, reason });
    });
  }

  const bodies = [
    ['a flipped body byte', (t) => { t[2] ^= 1; return t; }],
    ['a missing closing newline', (t) => Buffer.concat([t.subarray(0, t.length - 1), Buffer.from('x')])],
    ['a short body', (t) => t.subarray(0, t.length - 2)],
  ];
  for (const [label, damage] of bodies) {
    it(`detects ${label}`, function () {
      const record = encodeRecord({ database: 'd', retentionPolicy: undefined, body: 'm v=1 1', lines: 1 });
      const { header } = readHeader(record);
      assert.equal(bodyIsIntact(header, damage(Buffer.from(record.subarray(header.headerBytes)))), false);
    });
  }

  it('the checksum covers the header fields', function () {
    const record = encodeRecord({ database: 'da', retentionPolicy: undefined, body: 'm v=1 1', lines: 1 });
    const forged = Buffer.from(record.toString().replace('db=da', 'db=db'));
    const { header } = readHeader(forged);
    assert.equal(bodyIsIntact(header, forged.subarray(header.headerBytes)), false);
  });
});

describe('spool/crc32', function () {
  const inputs = ['', 'a', '123456789', 'The quick brown fox jumps over the lazy dog', 'ü€😀'];
  for (const text of inputs) {
    it(`matches zlib for ${JSON.stringify(text)}`, function () {
      if (typeof zlib.crc32 !== 'function') this.skip();
      assert.equal(crc32(Buffer.from(text)), zlib.crc32(Buffer.from(text)));
    });
  }
  it('known value of "123456789" is cbf43926', function () {
    assert.equal(crc32(Buffer.from('123456789')).toString(16), 'cbf43926');
  });
  it('continues across chunks', function () {
    assert.equal(crc32(Buffer.from('6789'), crc32(Buffer.from('12345'))), crc32(Buffer.from('123456789')));
  });
  for (const text of inputs) {
    it(`the portable fallback agrees for ${JSON.stringify(text)}`, function () {
      assert.equal(crc32Js(Buffer.from(text)), crc32(Buffer.from(text)));
      assert.equal(crc32Js(Buffer.from('tail'), crc32Js(Buffer.from(text))), crc32(Buffer.from('tail'), crc32(Buffer.from(text))));
    });
  }
});
