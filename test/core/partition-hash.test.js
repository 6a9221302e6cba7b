'use strict';
// The partition hash decides which member holds a device's state: it must never change. The
// table freezes it; FNV-1a's published test vectors and a byte-for-byte comparison with
// Buffer's UTF-8 keep the implementation honest.
const assert = require('assert');
const { fnv1a32, keyHash, partitionOfValues, partitionOfTags, utf8Length } = require('../../dist/core/partition/hash');

/** FNV-1a 32 over Buffer's UTF-8 bytes: the reference the allocation-free version must match. */
function reference(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

describe('partition hash', function () {
  it('is FNV-1a 32 (published test vectors)', function () {
    assert.equal(fnv1a32('').toString(16), '811c9dc5');
    assert.equal(fnv1a32('a').toString(16), 'e40c292c');
    assert.equal(fnv1a32('foobar').toString(16), 'bf9cf968');
  });

  it('never changes: key → hash → partition of 32 and of 1024', function () {
    const table = [
      [['dev-7'], 1020491549, 29, 797],
      [['dev-1'], 919825835, 11, 427],
      [['sensor-000001'], 4157056069, 5, 69],
      [['plant-a', 'dev-7'], 4053292831, 31, 799],
      [['Zürich-🌡'], 3325627412, 20, 20],
    ];
    for (const [values, hash, p32, p1024] of table) {
      assert.deepEqual([keyHash(values), partitionOfValues(values, 32), partitionOfValues(values, 1024)], [hash, p32, p1024], JSON.stringify(values));
    }
  });

  it('hashes the documented bytes: each value as "<utf-8 length>:<value>"', function () {
    const cases = [[''], ['dev-7'], ['a', 'b'], ['ab', ''], ['', 'ab'], ['ü€𝄞'], ['\u0000', 'x'], ['lone \ud800 surrogate']];
    for (const values of cases) {
      const bytes = Buffer.concat(values.map((v) => Buffer.from(`${Buffer.byteLength(v)}:${v}`, 'utf8')));
      assert.equal(keyHash(values), reference(bytes), JSON.stringify(values));
      for (const v of values) assert.equal(utf8Length(v), Buffer.byteLength(v), JSON.stringify(v));
    }
  });

  it('keeps different value lists apart where a separator would not', function () {
    assert.notEqual(keyHash(['a,b', 'c']), keyHash(['a', 'b,c']));
    assert.notEqual(keyHash(['ab', '']), keyHash(['a', 'b']));
  });

  it('matches Buffer byte for byte on random text (2,000 strings)', function () {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pools = [[0x20, 0x7e], [0xa0, 0x7ff], [0x800, 0xd7ff], [0xe000, 0xffff], [0x10000, 0x10ffff]];
    for (let i = 0; i < 2_000; i++) {
      let s = '';
      const n = Math.floor(rnd() * 12);
      for (let j = 0; j < n; j++) {
        const [lo, hi] = pools[Math.floor(rnd() * pools.length)];
        s += String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo)));
      }
      assert.equal(fnv1a32(s), reference(Buffer.from(s, 'utf8')), JSON.stringify(s));
    }
  });

  it('takes the key tags in the configured order; a missing key tag gives no partition', function () {
    const tags = { site: 'plant-a', device: 'dev-7' };
    assert.equal(partitionOfTags(tags, ['site', 'device'], 32), 31);
    assert.equal(partitionOfTags(tags, ['device'], 32), 29);
    assert.equal(partitionOfTags({ site: 'x' }, ['device'], 32), undefined);
  });
});
