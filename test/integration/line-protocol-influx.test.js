'use strict';
// The truth about line protocol is the real server: hostile but valid readings, encoded by our
// encoder, are written to a real influxd (Debian's 1.6.7) and read back. Every value must come
// back exactly, with as many points and series as we wrote (no injected points, no series split
// or merged by bad escaping). A second part pins down what influxd does with the text our
// validator refuses, so a server that changes behaviour shows up here.
const assert = require('assert');
const fc = require('fast-check');
const { startInflux } = require('../support/services');
const { encodeReadings, encodeValidReading } = require('../../dist/core/line-protocol');
const { validateReading, MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS } = require('../../dist/core/reading');

const { parseLines } = require('../../dist/core/line-protocol');

const SEED = 20_240_607;
const INTEGER_LIMITS = 'm a=9223372036854775807i,b=-9223372036854775808i 1000\nn c=9223372036854775808i 1000\no d=-9223372036854775809i 1000';
const GENERATED = 400;
const BASE_TIME = Date.UTC(2024, 0, 1); // autogen keeps data forever, so a fixed past time is fine

// ---- hostile readings --------------------------------------------------------------------------
const SPECIAL = [' ', ',', '=', '"', '\\', '\t', '#', '\0', '\u00A0', '\u2028', '\uFEFF', '\uFFFF', '\u0085', 'i', 't', 'F', '-', '.', 'e', '0'];
const commonChars = [
  { arbitrary: fc.constantFrom(...SPECIAL), weight: 12 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 18 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: fc.constantFrom('🔥', '🌡️', 'é', 'e\u0301', 'Ω', '日', '\u0001', '\u007F'), weight: 3 },
];
const nameChar = fc.oneof(...commonChars, { arbitrary: fc.constantFrom('\n', '\r', '\uD800'), weight: 1 });
const stringChar = fc.oneof(...commonChars, { arbitrary: fc.constantFrom('\n', '\r', '\r\n', '"', '\\', '\\"', '\\\\'), weight: 10 });
const name = (min, max) => fc.string({ unit: nameChar, minLength: min, maxLength: max });
const key = fc.oneof({ arbitrary: name(1, 8), weight: 12 }, { arbitrary: fc.constantFrom('__proto__', 'constructor', 'Time', 'value'), weight: 1 });
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 12));
const fieldValue = fc.oneof(number, fc.boolean(), fc.string({ unit: stringChar, maxLength: 24 }));
const readingArb = fc.record(
  {
    // A few measurements are shared so several series and points meet in one measurement.
    measurement: fc.oneof({ arbitrary: name(1, 10), weight: 3 }, { arbitrary: fc.constantFrom('shared', 'shared 2', 'sh"ared,x=1'), weight: 1 }),
    tags: fc.dictionary(key, name(1, 10), { maxKeys: 4, noNullPrototype: true }),
    fields: fc.dictionary(key, fieldValue, { minKeys: 1, maxKeys: 5, noNullPrototype: true }),
  },
  { noNullPrototype: true },
);

/** Hand-written readings aimed at the places where line protocol has gone wrong before. */
const HANDWRITTEN = [
  { measurement: 'inject', tags: { t: 'a' }, fields: { s: '"\ninjected x=1 1\n' } },
  { measurement: 'inject', tags: { t: 'b' }, fields: { s: 'x\n# not a comment\ny' } },
  { measurement: 'inject', tags: { t: 'c"' }, fields: { 'a"b': 1, s: 'line\ninjected,t=c x=2 2' } },
  { measurement: 'inject', tags: { t: 'd' }, fields: { s: 'C:\\', u: '\\"', v: '\\\\"\n' } },
  { measurement: 'inject"', tags: { 'k=': '=v', 'k,': ',v', 'k ': ' v' }, fields: { s: '",x=1' } },
  { measurement: 'inject', tags: { t: 'e', empty: '' }, fields: { s: '' } },
  { measurement: ' leading space', tags: {}, fields: { x: 1 } },
  { measurement: '\u00A0nbsp', tags: {}, fields: { x: 1 } },
  { measurement: '\u2028ls', tags: {}, fields: { x: 1 } },
  { measurement: '\uFEFFbom', tags: {}, fields: { x: 1 } },
  { measurement: '\rcr', tags: {}, fields: { x: 1 } },
  { measurement: 'a=b', tags: {}, fields: { ' leading space': 1 } },
  { measurement: 'm#hash', tags: { '#': '#' }, fields: { '#': true } },
  { measurement: 'back\\slash', tags: { 'k\\x': 'C:\\dir\\f' }, fields: { 'f\\g': 'C:\\dir\\' } },
  { measurement: 'double\\\\slash', tags: { k: 'a\\\\b' }, fields: { x: 1 } },
  { measurement: 'nul\0inside', tags: { t: 'a\0b', '\tk': '\tv' }, fields: { 'x\0': 1, s: '\0' } },
  { measurement: 'numbers', tags: {}, fields: { i: 12, z: 0, big: 1e21, tiny: 5e-324, max: Number.MAX_VALUE, neg: -21.5, safe: Number.MAX_SAFE_INTEGER } },
  { measurement: 'numbers', tags: { t: 'b' }, fields: { i: 13.5, z: -0, big: -1e-300 } },
  { measurement: 'emoji 🔥', tags: { '📍': '🏭 a,b' }, fields: { '🌡️': 21.5, note: '日本語 ✓ e\u0301' } },
  { measurement: 'protos', tags: JSON.parse('{"__proto__":"p"}'), fields: JSON.parse('{"constructor":1,"toString":"s"}') },
  { measurement: 'time', tags: { Time: 'x' }, fields: { TIME: 1 } },
  { measurement: 'extreme time', tags: { at: 'min' }, fields: { x: 1 }, timestamp: MIN_TIMESTAMP_MS },
  { measurement: 'extreme time', tags: { at: 'max' }, fields: { x: 1 }, timestamp: MAX_TIMESTAMP_MS },
  { measurement: 'extreme time', tags: { at: 'zero' }, fields: { x: 1 }, timestamp: 0 },
  { measurement: 'extreme time', tags: { at: 'minus one' }, fields: { x: 1 }, timestamp: -1 },
];

function typeOf(v) {
  return typeof v === 'number' ? 'float' : typeof v === 'boolean' ? 'boolean' : 'string';
}

/**
 * Valid readings only, with unique timestamps, and no two readings that InfluxDB itself would
 * refuse together: a field must keep one type per measurement, and a key cannot be a tag in one
 * series and a field in another of the same measurement (the query could not tell them apart).
 */
function buildReadings() {
  const generated = fc.sample(readingArb, { numRuns: GENERATED * 6, seed: SEED });
  const candidates = [...HANDWRITTEN, ...generated];
  const fieldTypes = new Map(); // measurement → Map(field → type)
  const tagKeys = new Map(); // measurement → Set
  const out = [];
  let refused = 0;
  let conflicting = 0;
  for (const c of candidates) {
    if (out.length >= GENERATED + HANDWRITTEN.length) break;
    const r = { ...c, timestamp: c.timestamp ?? BASE_TIME + out.length * 1_000 };
    if (validateReading(r) !== undefined) {
      refused++;
      continue;
    }
    const types = fieldTypes.get(r.measurement) || new Map();
    const tags = tagKeys.get(r.measurement) || new Set();
    const nonEmptyTags = Object.keys(r.tags).filter((k) => r.tags[k] !== '');
    const clash =
      Object.entries(r.fields).some(([k, v]) => (types.has(k) && types.get(k) !== typeOf(v)) || tags.has(k)) ||
      nonEmptyTags.some((k) => types.has(k));
    if (clash) {
      conflicting++;
      continue;
    }
    for (const [k, v] of Object.entries(r.fields)) types.set(k, typeOf(v));
    for (const k of nonEmptyTags) tags.add(k);
    fieldTypes.set(r.measurement, types);
    tagKeys.set(r.measurement, tags);
    out.push(r);
  }
  return { readings: out, fieldTypes, refused, conflicting };
}

/**
 * A regex literal matching exactly `name`: every character but [A-Za-z0-9] as \x{hex}, so NUL
 * (which InfluxQL's scanner takes for the end of the query, even inside a quoted identifier),
 * "/" and the rest need no other escaping.
 */
const exactRegex = (name) => `/^${Array.from(name, (ch) => (/[A-Za-z0-9]/.test(ch) ? ch : `\\x{${ch.codePointAt(0).toString(16)}}`)).join('')}$/`;

const nonEmpty = (tags) => Object.fromEntries(Object.entries(tags || {}).filter(([, v]) => v !== ''));
const sortedEntries = (o) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const seriesId = (measurement, tags) => JSON.stringify([measurement, sortedEntries(nonEmpty(tags))]);
const pointId = (r) => JSON.stringify([r.measurement, sortedEntries(nonEmpty(r.tags)), r.timestamp]);

describe('line protocol against a real influxd', function () {
  this.timeout(60_000);
  let influx;

  before(async function () {
    this.timeout(30_000);
    influx = await startInflux(this);
  });

  after(() => influx && influx.stop());

  describe('hostile valid readings written by our encoder come back exactly', function () {
    const db = 'hostile';
    const { readings, fieldTypes, refused, conflicting } = buildReadings();
    let stored; // readings rebuilt from SELECT * ... GROUP BY *

    before(async function () {
      await influx.createDatabase(db);
      await influx.write(encodeReadings(readings), { db, precision: 'ms' });
      // One SELECT per measurement (in one request): `SELECT * FROM /.*/` silently drops the
      // values of a field whose type differs between measurements (see the table below).
      const measurements = [...new Set(readings.map((r) => r.measurement))];
      const results = await influx.query(measurements.map((m) => `SELECT * FROM ${exactRegex(m)} GROUP BY *`).join('; '), { db });
      assert.strictEqual(results.length, measurements.length);
      stored = [];
      for (const s of results.flatMap((result) => result.series || [])) {
        for (const row of s.values) {
          // fromEntries, not assignment: a "__proto__" field must stay a field.
          const fields = Object.fromEntries(s.columns.map((c, i) => [c, row[i]]).filter(([c, v], i) => i > 0 && v !== null));
          stored.push({ measurement: s.name, tags: nonEmpty(s.tags), fields, timestamp: row[0] });
        }
      }
    });

    it(`the sample is big and hostile enough (${GENERATED} generated + ${HANDWRITTEN.length} handwritten)`, function () {
      assert.strictEqual(readings.length, GENERATED + HANDWRITTEN.length, `refused ${refused}, conflicting ${conflicting}`);
      assert.ok(refused > 0, 'the generator should also produce readings the validator refuses');
      const text = encodeReadings(readings);
      for (const ch of [' ', ',', '=', '"', '\\', '\n', '#', '\0', '\u00A0', '🔥']) assert.ok(text.includes(ch), JSON.stringify(ch));
    });

    it('stores exactly as many points as were written', function () {
      assert.strictEqual(stored.length, readings.length);
    });

    it('stores exactly the series that were written (none split, merged or injected)', async function () {
      const expected = new Set(readings.map((r) => seriesId(r.measurement, r.tags)));
      const actual = new Set(stored.map((r) => seriesId(r.measurement, r.tags)));
      assert.deepStrictEqual([...actual].sort(), [...expected].sort());
      const [shown] = await influx.query('SHOW SERIES', { db });
      const shownCount = (shown.series || []).reduce((n, s) => n + s.values.length, 0);
      assert.strictEqual(shownCount, expected.size);
    });

    it('every point comes back with the same measurement, tags, fields and timestamp', function () {
      const byId = new Map(stored.map((r) => [pointId(r), r]));
      assert.strictEqual(byId.size, stored.length, 'two stored points share series and time');
      for (const r of readings) {
        const got = byId.get(pointId(r));
        assert.ok(got, `missing point ${encodeValidReading(r)}`);
        assert.deepStrictEqual(got.fields, { ...r.fields }, `fields of ${JSON.stringify(encodeValidReading(r))}`);
      }
    });

    it('SHOW MEASUREMENTS lists exactly our measurements', async function () {
      const [shown] = await influx.query('SHOW MEASUREMENTS', { db });
      const names = shown.series[0].values.map((v) => v[0]).sort();
      assert.deepStrictEqual(names, [...new Set(readings.map((r) => r.measurement))].sort());
    });

    it('SHOW TAG VALUES returns every tag key and value exactly', async function () {
      const [shown] = await influx.query('SHOW TAG VALUES FROM /.*/ WITH KEY =~ /.*/', { db });
      const actual = new Set();
      for (const s of shown.series || []) for (const [k, v] of s.values) actual.add(JSON.stringify([s.name, k, v]));
      const expected = new Set();
      for (const r of readings) for (const [k, v] of Object.entries(nonEmpty(r.tags))) expected.add(JSON.stringify([r.measurement, k, v]));
      assert.deepStrictEqual([...actual].sort(), [...expected].sort());
    });

    it('SHOW FIELD KEYS: numbers are floats (never integer), booleans boolean, strings string', async function () {
      const [shown] = await influx.query('SHOW FIELD KEYS FROM /.*/', { db });
      const actual = new Set();
      for (const s of shown.series || []) for (const [k, type] of s.values) actual.add(JSON.stringify([s.name, k, type]));
      const expected = new Set();
      for (const [m, types] of fieldTypes) for (const [k, type] of types) expected.add(JSON.stringify([m, k, type]));
      assert.deepStrictEqual([...actual].sort(), [...expected].sort());
    });

    it('count() of the harness agrees for the shared measurements', async function () {
      for (const m of ['shared', 'shared 2', 'sh"ared,x=1', 'inject', 'extreme time']) {
        const expected = readings.filter((r) => r.measurement === m).length;
        if (expected === 0) continue;
        assert.strictEqual(await influx.count(db, m, { exact: true }), expected, m);
      }
    });
  });

  describe('what influxd 1.6 does with the text our validator refuses or our parser treats differently', function () {
    let n = 0;
    /** Writes raw text to a fresh db; returns { status, error, series } */
    async function raw(text) {
      const db = `raw${n++}`;
      await influx.createDatabase(db);
      let status = 204;
      let error = '';
      try {
        await influx.write(text, { db, precision: 'ms' });
      } catch (err) {
        status = err.status;
        try {
          error = JSON.parse(err.body).error;
        } catch {
          error = err.body || err.message;
        }
      }
      const [result] = await influx.query('SELECT * FROM /.*/ GROUP BY *', { db });
      const series = (result.series || []).map((s) => ({
        name: s.name,
        tags: nonEmpty(s.tags),
        rows: s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]).filter(([, x]) => x !== null))),
      }));
      return { status, error, series };
    }

    // [title, line protocol text, check(result)]
    const table = [
      ['a measurement starting with # is a comment: 204 and nothing stored (UNENCODABLE)', '#m x=1 1000', (r) => {
        assert.strictEqual(r.status, 204);
        assert.deepStrictEqual(r.series, []);
      }],
      ['a leading tab or NUL is skipped, so the measurement loses it (UNENCODABLE)', '\tm x=1 1000\n\0n x=1 1000', (r) => {
        assert.deepStrictEqual(r.series.map((s) => s.name).sort(), ['m', 'n']);
      }],
      ['a first field key starting with a tab or NUL loses it (UNENCODABLE)', 'm \tx=1 1000\nn \0y=1 1000', (r) => {
        assert.deepStrictEqual(r.series.map((s) => Object.keys(s.rows[0]).sort()), [['time', 'x'], ['time', 'y']]);
      }],
      ['\\" and \\= are unescaped in a measurement, \\" in a field key (UNENCODABLE when we mean the backslash)', 'a\\"b\\=c f\\"g=1 1000', (r) => {
        assert.strictEqual(r.series[0].name, 'a"b=c');
        assert.ok('f"g' in r.series[0].rows[0]);
      }],
      ['\\" is kept in tags, \\\\ everywhere in names', 'm\\\\x,k\\"=v\\" x=1 1000', (r) => {
        assert.strictEqual(r.series[0].name, 'm\\\\x');
        assert.deepStrictEqual(r.series[0].tags, { 'k\\"': 'v\\"' });
      }],
      ['a lone surrogate arrives as U+FFFD (UNENCODABLE)', 'm,t=a\uD800b s="\uDC00" 1000', (r) => {
        assert.deepStrictEqual(r.series[0].tags, { t: 'a\uFFFDb' });
        assert.strictEqual(r.series[0].rows[0].s, '\uFFFD');
      }],
      ['a series key over 65,535 bytes is refused with 400 (STRING_TOO_LONG)', `m,t=${'€'.repeat(21_843)} x=1 1000\nok x=1 1000`, (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /max key length exceeded: 65538 > 65535/);
        assert.deepStrictEqual(r.series.map((s) => s.name), ['ok'], 'the other points of the batch are written');
      }],
      ['a time field next to others is dropped silently (RESERVED_KEY)', 'm time=1,x=2 1000', (r) => {
        assert.strictEqual(r.status, 204);
        assert.deepStrictEqual(r.series[0].rows[0], { time: 1000, x: 2 });
      }],
      ['a time tag is refused with 400 (RESERVED_KEY)', 'm,time=1 x=1 1000', (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /invalid tag key/);
      }],
      ['12u is refused by 1.6 (12 and 12i are accepted)', 'm a=12 1000\nn b=12i 1000\no c=12u 1000', (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /o c=12u 1000.*invalid number/);
        assert.deepStrictEqual(r.series.map((s) => s.name), ['m', 'n']);
      }],
      ['-0 is stored as the float -0, -0i as 0', 'm x=-0,y=-0i 1000', (r) => {
        assert.ok(Object.is(r.series[0].rows[0].x, -0));
        assert.ok(Object.is(r.series[0].rows[0].y, 0));
      }],
      ['+1 is refused', 'm x=+1 1000', (r) => {
        assert.strictEqual(r.status, 400);
      }],
      ['duplicate tags are refused, duplicate fields: the last wins', 'm,t=1,t=2 x=1 1000\nn x=1,x=2 1000', (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /duplicate tags/);
        assert.deepStrictEqual(r.series[0].rows[0], { time: 1000, x: 2 });
      }],
      ['CRLF line ends are refused ("bad timestamp"); our parser forgives them', 'm x=1 1000\r\n', (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /bad timestamp/);
      }],
      ['a string glued to the timestamp is taken as a longer string with time = now; our parser refuses it', 'm s="a"1000', (r) => {
        assert.strictEqual(r.status, 204);
        assert.strictEqual(r.series[0].rows[0].s, 'a"100');
        assert.ok(r.series[0].rows[0].time > 1_600_000_000_000);
      }],
      ['a stray " in a field value swallows the following lines; our parser loses only that line', 'm x=1,y=a"b 1000\nm x=2 2000\nm x=3 3000', (r) => {
        assert.strictEqual(r.status, 400);
        assert.deepStrictEqual(r.series, []);
      }],
      ['a " in a tag value or measurement does not swallow the next line', 'm,t=a"b x=1 1000\nm"n x=2 2000', (r) => {
        assert.strictEqual(r.status, 204);
        assert.deepStrictEqual(r.series.map((s) => s.name).sort(), ['m', 'm"n']);
      }],
      ['a newline inside a string field is kept', 'm s="a\nb" 1000\nm s="c" 2000', (r) => {
        assert.deepStrictEqual(r.series[0].rows.map((x) => x.s), ['a\nb', 'c']);
      }],
      ['string fields over 64 KiB are accepted by 1.6 (we refuse them: the documented limit)', `m s="${'a'.repeat(70_000)}" 1000`, (r) => {
        assert.strictEqual(r.status, 204);
        assert.strictEqual(r.series[0].rows[0].s.length, 70_000);
      }],
      ['SELECT * FROM /.*/ drops the values of a field whose type differs between measurements', 'a s=1 1000\nb s="str" 2000\nb s="str",w=1 3000\nc s=true 4000', (r) => {
        assert.strictEqual(r.status, 204);
        assert.deepStrictEqual(r.series.map((s) => s.name), ['a', 'b'], 'c is missing entirely');
        assert.deepStrictEqual(r.series[1].rows, [{ time: 3000, w: 1 }], 'b lost its strings and its first point');
      }],
      // Issue #21: the integer range our parser enforces is influxd's own, to the digit.
      ['integers: ±int64 limits are accepted, one past them is refused "value out of range" (our parser too)', INTEGER_LIMITS, (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /value out of range/);
        assert.deepStrictEqual(r.series.map((s) => s.name), ['m'], 'the boundary values were written');
        assert.deepStrictEqual(r.series[0].rows, [{ time: 1000, a: 9223372036854775807, b: -9223372036854775808 }]);
        const ours = parseLines(INTEGER_LIMITS, 0, 'ms');
        assert.deepStrictEqual(ours.readings.map((x) => x.measurement), ['m']);
        assert.deepStrictEqual(ours.errors.map((e) => /value out of range/.test(e.message)), [true, true]);
      }],
      ['timestamps: ±9223372036854 ms are the limits', 'm x=1 9223372036854\nm x=2 -9223372036854\nm x=3 9223372036855', (r) => {
        assert.strictEqual(r.status, 400);
        assert.match(r.error, /time outside range/);
        assert.deepStrictEqual(r.series[0].rows.map((x) => x.time), [-9_223_372_036_854, 9_223_372_036_854]);
      }],
    ];

    for (const [title, text, check] of table) {
      it(title, async function () {
        check(await raw(text));
      });
    }

    it('our validator refuses the readings behind the lossy cases above', function () {
      const base = { measurement: 'm', tags: {}, fields: { x: 1 }, timestamp: 1000 };
      const codes = [
        { ...base, measurement: '#m' },
        { ...base, measurement: '\tm' },
        { ...base, measurement: '\0m' },
        { ...base, fields: { '\tx': 1 } },
        { ...base, measurement: 'a\\"b' },
        { ...base, fields: { 'f\\"g': 1 } },
        { ...base, tags: { t: 'a\uD800b' } },
        { ...base, tags: { t: '€'.repeat(21_843) } },
        { ...base, fields: { time: 1, x: 2 } },
        { ...base, tags: { time: '1' } },
        { ...base, timestamp: 9_223_372_036_855 },
      ].map((r) => validateReading(r) && validateReading(r).code);
      assert.deepStrictEqual(codes, [
        'UNENCODABLE', 'UNENCODABLE', 'UNENCODABLE', 'UNENCODABLE', 'UNENCODABLE', 'UNENCODABLE', 'UNENCODABLE',
        'STRING_TOO_LONG', 'RESERVED_KEY', 'RESERVED_KEY', 'BAD_TIMESTAMP',
      ]);
    });
  });
});
