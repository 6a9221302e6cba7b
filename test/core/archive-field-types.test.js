'use strict';
// fieldTypes: which values fit which InfluxDB type, how they are written, and that the archive's
// line buffer refuses (never rounds, never coerces) a value that does not fit.
const assert = require('node:assert/strict');
const { typedFieldText, checkFieldTypes } = require('../../dist/core/archive/field-types');
const { LineBuffer } = require('../../dist/core/archive/line-buffer');
const { parseLine } = require('../../dist/core/line-protocol');

const T0 = 1_700_000_000_000;

describe('archive/field-types: a value and its declared type', function () {
  const fits = [
    // [label, value, type, line protocol text]
    ['an integer as integer', 42, 'integer', '42i'],
    ['a negative integer as integer', -7, 'integer', '-7i'],
    ['-0 as integer is 0', -0, 'integer', '0i'],
    ['2^53 + 2 as integer, exactly as the double holds it', 2 ** 53 + 2, 'integer', '9007199254740994i'],
    ['the largest double below 2^63 as integer', 2 ** 63 - 1024, 'integer', '9223372036854774784i'],
    ['-2^63 as integer', -(2 ** 63), 'integer', '-9223372036854775808i'],
    ['0 as uinteger', 0, 'uinteger', '0u'],
    ['2^63 as uinteger', 2 ** 63, 'uinteger', '9223372036854775808u'],
    ['1e19 as uinteger, in digits (String(1e21) would be an exponent)', 1e19, 'uinteger', '10000000000000000000u'],
    ['a float as float', 1.5, 'float', '1.5'],
    ['an integer as float (no suffix)', 3, 'float', '3'],
    ['a string as string', 'on', 'string', ''],
    ['a boolean as boolean', false, 'boolean', ''],
  ];
  for (const [label, value, type, text] of fits) {
    it(`fits: ${label} → ${JSON.stringify(text)}`, function () {
      assert.equal(typedFieldText('f', value, type), text);
    });
  }

  const refused = [
    // [label, value, type, message part]
    ['a fraction as integer (never rounded)', 42.5, 'integer', /not a whole number/],
    ['a numeric string as integer (no coercion)', '42', 'integer', /the string "42" is not a number/],
    ['a boolean as integer', true, 'integer', /boolean true is not a number/],
    ['2^63 as integer (beyond int64)', 2 ** 63, 'integer', /64-bit signed range/],
    ['below -2^63 as integer', -(2 ** 64), 'integer', /64-bit signed range/],
    ['a negative as uinteger', -1, 'uinteger', /is negative/],
    ['2^64 as uinteger', 2 ** 64, 'uinteger', /beyond 2\^64/],
    ['a fraction as uinteger', 0.5, 'uinteger', /not a whole number/],
    ['a numeric string as float', '1.5', 'float', /not a number/],
    ['a number as string (no coercion)', 42, 'string', /number 42 is not a string/],
    ['"true" as boolean', 'true', 'boolean', /not a boolean/],
    ['1 as boolean', 1, 'boolean', /not a boolean/],
  ];
  for (const [label, value, type, message] of refused) {
    it(`does not fit: ${label} → FIELD_TYPE`, function () {
      const result = typedFieldText('f', value, type);
      assert.equal(result.code, 'FIELD_TYPE');
      assert.match(result.message, message);
      assert.match(result.message, new RegExp(`field "f" is typed ${type}`));
    });
  }

  it('checkFieldTypes returns the suffix texts, and leaves untyped fields alone', function () {
    const types = new Map([['n', 'integer'], ['u', 'uinteger'], ['s', 'string']]);
    const texts = checkFieldTypes({ measurement: 'm', tags: {}, fields: { n: 1, u: 2, s: 'x', other: 1.5 }, timestamp: T0 }, types);
    assert.deepEqual([...texts], [['n', '1i'], ['u', '2u']]);
  });
});

describe('archive/line-buffer with fieldTypes', function () {
  const types = new Map([['count', 'integer'], ['state', 'string']]);
  const reading = (fields) => ({ measurement: 'm', tags: { device: 'd1' }, fields, timestamp: T0 });

  it('writes an integer-typed field with i, other fields as before', function () {
    const buffer = new LineBuffer();
    assert.equal(buffer.appendReading(reading({ count: 3, v: 2 }), { fieldTypes: types }), undefined);
    assert.equal(buffer.line(0), `m,device=d1 count=3i,v=2 ${T0}`);
    assert.deepEqual(parseLine(buffer.line(0), 0, 'ms').fields, { count: 3, v: 2 });
  });

  it('without fieldTypes the same reading is all floats (old flows unchanged)', function () {
    const buffer = new LineBuffer();
    buffer.appendReading(reading({ count: 3, v: 2 }));
    assert.equal(buffer.line(0), `m,device=d1 count=3,v=2 ${T0}`);
  });

  it('refuses a value that does not fit, and adds nothing for it', function () {
    const buffer = new LineBuffer();
    buffer.appendReading(reading({ v: 1 }), { fieldTypes: types });
    const refusal = buffer.appendReading(reading({ count: 2.5 }), { fieldTypes: types });
    assert.equal(refusal.code, 'FIELD_TYPE');
    assert.equal(buffer.appendReading(reading({ state: 1 }), { fieldTypes: types }).code, 'FIELD_TYPE');
    assert.equal(buffer.count, 1);
    assert.equal(buffer.body().toString(), `m,device=d1 v=1 ${T0}`);
  });

  it('an invalid reading keeps its validator code (checked before the types)', function () {
    const buffer = new LineBuffer();
    assert.equal(buffer.appendReading({ measurement: '', tags: {}, fields: { count: 1 }, timestamp: T0 }, { fieldTypes: types }).code, 'EMPTY_MEASUREMENT');
  });

  it('a refusal from admit (schema limits) removes the line the fast path wrote', function () {
    const buffer = new LineBuffer();
    buffer.appendReading(reading({ v: 1 }));
    const refusal = buffer.appendReading(reading({ v: 2 }), { admit: () => ({ code: 'LIMIT_TABLES', message: 'too many' }) });
    assert.equal(refusal.code, 'LIMIT_TABLES');
    assert.equal(buffer.body().toString(), `m,device=d1 v=1 ${T0}`);
    buffer.appendReading(reading({ v: 3 }));
    assert.deepEqual(buffer.lines(), [`m,device=d1 v=1 ${T0}`, `m,device=d1 v=3 ${T0}`]);
  });
});
