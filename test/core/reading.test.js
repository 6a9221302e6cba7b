'use strict';
// Table of readings for validateReading: one or more cases per reason code, plus valid ones that
// look suspicious. Expectations about what InfluxDB can store were checked against influxd 1.6.7
// (see test/integration/line-protocol-influx.test.js).
const assert = require('assert');
const {
  validateReading,
  checkFieldValue,
  describeType,
  asReadingList,
  MAX_STRING_LENGTH,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
} = require('../../dist/core/reading');

const T = 1_700_000_000_000;

/** A valid reading with `patch` applied; `undefined` values in patch delete the key. */
function reading(patch = {}) {
  const r = { measurement: 'telemetry', tags: { device: 'dev-7' }, fields: { temperature: 21.5 }, timestamp: T };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete r[k];
    else r[k] = v;
  }
  return r;
}

const long = (n, ch = 'a') => ch.repeat(n);

// [title, value, expected code or null when valid, optional regex the message must match]
const cases = [
  // ---- NOT_A_READING
  ['null', null, 'NOT_A_READING'],
  ['undefined', undefined, 'NOT_A_READING'],
  ['a number', 42, 'NOT_A_READING'],
  ['a string of line protocol', 'm x=1 1', 'NOT_A_READING'],
  ['an array', [reading()], 'NOT_A_READING'],
  ['a Date', new Date(), 'NOT_A_READING'],
  ['a class instance', new (class R { constructor() { Object.assign(this, reading()); } })(), 'NOT_A_READING'],
  ['a Map', new Map(Object.entries(reading())), 'NOT_A_READING'],

  // ---- EMPTY_MEASUREMENT
  ['missing measurement', reading({ measurement: undefined }), 'EMPTY_MEASUREMENT'],
  ['empty measurement', reading({ measurement: '' }), 'EMPTY_MEASUREMENT'],
  ['numeric measurement', reading({ measurement: 5 }), 'EMPTY_MEASUREMENT'],
  ['null measurement', reading({ measurement: null }), 'EMPTY_MEASUREMENT'],

  // ---- NO_FIELDS
  ['missing fields', reading({ fields: undefined }), 'NO_FIELDS'],
  ['empty fields', reading({ fields: {} }), 'NO_FIELDS'],
  ['fields is null', reading({ fields: null }), 'NO_FIELDS'],
  ['fields is a number', reading({ fields: 21.5 }), 'NO_FIELDS'],
  ['fields is an array', reading({ fields: [1, 2] }), 'NO_FIELDS'],

  // ---- BAD_FIELD_TYPE
  ['null field', reading({ fields: { a: null } }), 'BAD_FIELD_TYPE', /"a".*null/],
  ['undefined field', reading({ fields: { a: undefined } }), 'BAD_FIELD_TYPE', /undefined/],
  ['object field', reading({ fields: { a: { b: 1 } } }), 'BAD_FIELD_TYPE', /an object/],
  ['array field', reading({ fields: { a: [1] } }), 'BAD_FIELD_TYPE', /an array/],
  ['bigint field', reading({ fields: { a: 1n } }), 'BAD_FIELD_TYPE', /bigint/],
  ['Date field', reading({ fields: { a: new Date(0) } }), 'BAD_FIELD_TYPE'],
  ['function field', reading({ fields: { a: () => 1 } }), 'BAD_FIELD_TYPE', /function/],
  ['second field bad', reading({ fields: { ok: 1, bad: Symbol('s') } }), 'BAD_FIELD_TYPE', /"bad"/],

  // ---- NON_FINITE
  ['NaN', reading({ fields: { a: NaN } }), 'NON_FINITE', /NaN/],
  ['+Infinity', reading({ fields: { a: Infinity } }), 'NON_FINITE', /Infinity/],
  ['-Infinity', reading({ fields: { a: -Infinity } }), 'NON_FINITE', /-Infinity/],

  // ---- BAD_TIMESTAMP
  ['missing timestamp', reading({ timestamp: undefined }), 'BAD_TIMESTAMP'],
  ['non-integer timestamp', reading({ timestamp: T + 0.5 }), 'BAD_TIMESTAMP'],
  ['string timestamp', reading({ timestamp: String(T) }), 'BAD_TIMESTAMP'],
  ['ISO string timestamp', reading({ timestamp: new Date(T).toISOString() }), 'BAD_TIMESTAMP'],
  ['Date timestamp', reading({ timestamp: new Date(T) }), 'BAD_TIMESTAMP'],
  ['NaN timestamp', reading({ timestamp: NaN }), 'BAD_TIMESTAMP'],
  ['Infinity timestamp', reading({ timestamp: Infinity }), 'BAD_TIMESTAMP'],
  ['null timestamp', reading({ timestamp: null }), 'BAD_TIMESTAMP'],
  ['timestamp just above range', reading({ timestamp: MAX_TIMESTAMP_MS + 1 }), 'BAD_TIMESTAMP', /outside/],
  ['timestamp just below range', reading({ timestamp: MIN_TIMESTAMP_MS - 1 }), 'BAD_TIMESTAMP', /outside/],
  ['timestamp in ns (1e18)', reading({ timestamp: 1.7e18 }), 'BAD_TIMESTAMP', /outside/],

  // ---- RESERVED_KEY
  ['tag named time', reading({ tags: { time: 'x' } }), 'RESERVED_KEY', /"time"/],
  ['field named time', reading({ fields: { time: 1, x: 2 } }), 'RESERVED_KEY', /"time"/],
  ['same key as tag and field', reading({ tags: { device: 'd', x: 'a' }, fields: { x: 1 } }), 'RESERVED_KEY', /both a tag and a field/],
  ['same key, tag value empty', reading({ tags: { x: '' }, fields: { x: 1 } }), 'RESERVED_KEY'],

  // ---- EMPTY_KEY
  ['empty tag key', reading({ tags: { '': 'v' } }), 'EMPTY_KEY', /tag/],
  ['empty field key', reading({ fields: { '': 1 } }), 'EMPTY_KEY', /field/],

  // ---- BAD_TAG
  ['tags is an array', reading({ tags: ['a'] }), 'BAD_TAG'],
  ['tags is a string', reading({ tags: 'device=a' }), 'BAD_TAG'],
  ['tags is null', reading({ tags: null }), 'BAD_TAG'],
  ['numeric tag value', reading({ tags: { device: 7 } }), 'BAD_TAG', /"device".*number/],
  ['boolean tag value', reading({ tags: { on: true } }), 'BAD_TAG', /boolean/],
  ['null tag value', reading({ tags: { device: null } }), 'BAD_TAG', /null/],
  ['object tag value', reading({ tags: { device: {} } }), 'BAD_TAG', /an object/],

  // ---- STRING_TOO_LONG
  ['string field of 64 KiB + 1', reading({ fields: { s: long(MAX_STRING_LENGTH + 1) } }), 'STRING_TOO_LONG', /"s"/],
  ['measurement of 64 KiB + 1', reading({ measurement: long(MAX_STRING_LENGTH + 1) }), 'STRING_TOO_LONG'],
  ['tag value of 64 KiB + 1', reading({ tags: { device: long(MAX_STRING_LENGTH + 1) } }), 'STRING_TOO_LONG'],
  ['tag key of 64 KiB + 1', reading({ tags: { [long(MAX_STRING_LENGTH + 1)]: 'v' } }), 'STRING_TOO_LONG'],
  ['field key of 64 KiB + 1', reading({ fields: { [long(MAX_STRING_LENGTH + 1)]: 1 } }), 'STRING_TOO_LONG'],
  // influxd: "max key length exceeded: 65536 > 65535" for `telemetry,device=<65517 a> temperature=…`:
  // series key + "#!~#" + field key, in escaped UTF-8 bytes.
  ['series key one byte too long', reading({ measurement: 'm', tags: { t: long(65_527) }, fields: { x: 1 } }), 'STRING_TOO_LONG', /65536 bytes/],
  ['series key too long in UTF-8 (€ = 3 bytes)', reading({ measurement: 'm', tags: { t: long(21_843, '€') }, fields: { x: 1 } }), 'STRING_TOO_LONG', /65538 bytes/],
  ['series key too long once escaped', reading({ measurement: 'm', tags: { t: long(32_764, ',') }, fields: { x: 1 } }), 'STRING_TOO_LONG', /65537 bytes/],
  ['measurement + field key too long', reading({ measurement: long(65_535), tags: {}, fields: { x: 1 } }), 'STRING_TOO_LONG'],
  ['series key exactly at the limit', reading({ measurement: 'm', tags: { t: long(65_526) }, fields: { x: 1 } }), null],
  ['escaped series key exactly at the limit', reading({ measurement: 'm', tags: { t: long(32_763, ',') }, fields: { x: 1 } }), null],
  ['long tag with empty value is not written, so not counted', reading({ measurement: 'm', tags: { [long(65_000)]: '' }, fields: { x: 1 } }), null],
  ['string field of exactly 64 KiB', reading({ fields: { s: long(MAX_STRING_LENGTH) } }), null],

  // ---- UNENCODABLE
  ['newline in measurement', reading({ measurement: 'a\nb' }), 'UNENCODABLE', /line break/],
  ['CR in measurement', reading({ measurement: 'a\rb' }), 'UNENCODABLE', /line break/],
  ['newline in tag key', reading({ tags: { 'a\nb': 'v' } }), 'UNENCODABLE', /line break/],
  ['newline in tag value', reading({ tags: { device: 'dev\n7' } }), 'UNENCODABLE', /line break/],
  ['newline in field key', reading({ fields: { 'a\nb': 1 } }), 'UNENCODABLE', /line break/],
  ['backslash at end of measurement', reading({ measurement: 'm\\' }), 'UNENCODABLE', /backslash/],
  ['backslash at end of tag value', reading({ tags: { path: 'C:\\' } }), 'UNENCODABLE', /backslash/],
  ['backslash at end of tag key', reading({ tags: { 'k\\': 'v' } }), 'UNENCODABLE', /backslash/],
  ['backslash at end of field key', reading({ fields: { 'k\\': 1 } }), 'UNENCODABLE', /backslash/],
  ['backslash before comma', reading({ tags: { device: 'a\\,b' } }), 'UNENCODABLE'],
  ['backslash before equals', reading({ tags: { device: 'a\\=b' } }), 'UNENCODABLE'],
  ['backslash before space', reading({ tags: { device: 'a\\ b' } }), 'UNENCODABLE'],
  ['backslash before equals in measurement (influxd unescapes it)', reading({ measurement: 'a\\=b' }), 'UNENCODABLE'],
  ['backslash before quote in measurement (influxd unescapes it)', reading({ measurement: 'a\\"b' }), 'UNENCODABLE'],
  ['backslash before quote in field key (influxd unescapes it)', reading({ fields: { 'a\\"b': 1 } }), 'UNENCODABLE'],
  ['double backslash at end', reading({ measurement: 'm\\\\' }), 'UNENCODABLE'],
  ['measurement starting with #', reading({ measurement: '#m' }), 'UNENCODABLE', /comment/],
  ['measurement "#"', reading({ measurement: '#' }), 'UNENCODABLE', /comment/],
  ['measurement starting with a tab (influxd skips it)', reading({ measurement: '\tm' }), 'UNENCODABLE', /tab/],
  ['measurement starting with NUL (influxd skips it)', reading({ measurement: '\0m' }), 'UNENCODABLE', /NUL/],
  ['field key starting with a tab (influxd skips it)', reading({ fields: { '\tx': 1 } }), 'UNENCODABLE', /tab/],
  ['lone high surrogate in measurement', reading({ measurement: 'm\uD83D' }), 'UNENCODABLE', /surrogate/],
  ['lone low surrogate in tag value', reading({ tags: { device: '\uDE00x' } }), 'UNENCODABLE', /surrogate/],
  ['reversed surrogate pair in tag key', reading({ tags: { '\uDE00\uD83D': 'v' } }), 'UNENCODABLE', /surrogate/],
  ['lone surrogate in string field', reading({ fields: { s: 'ok\uD800' } }), 'UNENCODABLE', /surrogate/],

  // ---- valid
  ['the design example', reading(), null],
  ['no tags property at all', reading({ tags: undefined }), null],
  ['empty tags', reading({ tags: {} }), null],
  ['empty tag value', reading({ tags: { device: 'd', site: '' } }), null],
  ['empty string field', reading({ fields: { note: '' } }), null],
  ['boolean fields', reading({ fields: { on: true, off: false } }), null],
  ['integer-valued float, zero, negative zero', reading({ fields: { a: 1, b: 0, c: -0 } }), null],
  ['extreme numbers', reading({ fields: { a: Number.MAX_VALUE, b: Number.MIN_VALUE, c: -Number.MAX_SAFE_INTEGER } }), null],
  ['timestamp 0', reading({ timestamp: 0 }), null],
  ['negative timestamp', reading({ timestamp: -1 }), null],
  ['timestamp -0', reading({ timestamp: -0 }), null],
  ['timestamp at max of range', reading({ timestamp: MAX_TIMESTAMP_MS }), null],
  ['timestamp at min of range', reading({ timestamp: MIN_TIMESTAMP_MS }), null],
  ['unicode everywhere', reading({ measurement: 'température', tags: { 'gerät': 'Küche-Ω', 'город': 'Москва' }, fields: { '温度': 21.5, 'note': '日本語 ✓' } }), null],
  ['emoji (surrogate pairs)', reading({ measurement: '🌡️', tags: { '📍': '🏭' }, fields: { '🔥': 'yes 🔥' } }), null],
  ['special chars that are escaped', reading({ measurement: 'a b,c=d"e', tags: { 'k ,="': 'v ,="' }, fields: { 'f ,="': 'v ,="\\' } }), null],
  ['backslashes not before special chars', reading({ measurement: 'a\\b', tags: { path: 'C:\\dir\\x' }, fields: { 'k\\\\x': 1 } }), null],
  ['double quotes in tag key and value', reading({ tags: { 'k"': '"a"b"' } }), null],
  ['newlines, CR, quotes and backslashes in a string field', reading({ fields: { s: 'a\nb\r\n"c"\\' } }), null],
  ['measurement with # inside', reading({ measurement: 'm#1' }), null],
  ['measurement starting with a space (escaped)', reading({ measurement: ' m' }), null],
  ['measurement starting with U+00A0 (not skipped by influxd)', reading({ measurement: '\u00A0m' }), null],
  ['tag key/value starting with a tab', reading({ tags: { '\tk': '\tv' } }), null],
  ['control characters inside names', reading({ measurement: 'm\u0001', tags: { t: 'a\u0000b' } }), null],
  ['tag named Time (case matters)', reading({ tags: { Time: 'x' }, fields: { TIME: 1 } }), null],
  ['measurement named time', reading({ measurement: 'time' }), null],
  ['null-prototype objects', reading({ tags: Object.assign(Object.create(null), { a: 'b' }), fields: Object.assign(Object.create(null), { x: 1 }) }), null],
  ['__proto__ keys from JSON.parse', JSON.parse('{"measurement":"m","tags":{"__proto__":"p"},"fields":{"__proto__x":1,"constructor":2},"timestamp":1}'), null],
  ['__proto__ field from JSON.parse', JSON.parse('{"measurement":"__proto__","tags":{},"fields":{"__proto__":1,"hasOwnProperty":"x"},"timestamp":1}'), null],
  ['extra properties are ignored', { ...reading(), topic: 'x', extra: 1 }, null],
];

describe('core/reading validateReading', function () {
  for (const [title, value, code, message] of cases) {
    it(`${code || 'valid'}: ${title}`, function () {
      const result = validateReading(value);
      if (code === null) {
        assert.strictEqual(result, undefined, `expected valid, got ${JSON.stringify(result)}`);
        return;
      }
      assert.ok(result, 'expected a refusal');
      assert.strictEqual(result.code, code, result.message);
      assert.strictEqual(typeof result.message, 'string');
      assert.ok(result.message.length > 0);
      if (message) assert.match(result.message, message);
      assert.ok(result.message.length < 400, `message should stay readable: ${result.message.length} chars`);
    });
  }

  it('covers every reason code', function () {
    const codes = new Set(cases.map((c) => c[2]).filter(Boolean));
    for (const code of ['NOT_A_READING', 'EMPTY_MEASUREMENT', 'NO_FIELDS', 'BAD_FIELD_TYPE', 'NON_FINITE', 'BAD_TIMESTAMP', 'RESERVED_KEY', 'EMPTY_KEY', 'BAD_TAG', 'STRING_TOO_LONG', 'UNENCODABLE']) {
      assert.ok(codes.has(code), code);
    }
  });

  it('does not modify the reading', function () {
    const r = reading({ tags: { b: '2', a: '1' } });
    const copy = JSON.parse(JSON.stringify(r));
    validateReading(r);
    assert.deepStrictEqual(r, copy);
    assert.deepStrictEqual(Object.keys(r.tags), ['b', 'a']);
  });

  it('does not let a __proto__ key change the prototype', function () {
    const r = JSON.parse('{"measurement":"m","tags":{"__proto__":{"x":"y"}},"fields":{"v":1},"timestamp":1}');
    assert.strictEqual(validateReading(r).code, 'BAD_TAG');
    assert.strictEqual({}.x, undefined);
  });
});

describe('core/reading checkFieldValue', function () {
  const table = [
    [1.5, undefined],
    [true, undefined],
    ['', undefined],
    [NaN, 'NON_FINITE'],
    [null, 'BAD_FIELD_TYPE'],
    [{}, 'BAD_FIELD_TYPE'],
    ['\uD800', 'UNENCODABLE'],
    ['x'.repeat(MAX_STRING_LENGTH + 1), 'STRING_TOO_LONG'],
  ];
  for (const [value, code] of table) {
    it(`${describeType(value)} ${String(value).slice(0, 12)} → ${code || 'ok'}`, function () {
      const result = checkFieldValue('f', value);
      assert.strictEqual(result && result.code, code);
    });
  }
});

describe('core/reading describeType / asReadingList', function () {
  it('describes types for messages', function () {
    assert.strictEqual(describeType(null), 'null');
    assert.strictEqual(describeType([]), 'an array');
    assert.strictEqual(describeType({}), 'an object');
    assert.strictEqual(describeType(1), 'number');
    assert.strictEqual(describeType(undefined), 'undefined');
  });
  it('wraps one reading, keeps a batch', function () {
    const r = reading();
    assert.deepStrictEqual(asReadingList(r), [r]);
    const batch = [r, r];
    assert.strictEqual(asReadingList(batch), batch);
    assert.deepStrictEqual(asReadingList([]), []);
    assert.deepStrictEqual(asReadingList(undefined), [undefined]);
  });
});
