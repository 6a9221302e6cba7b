'use strict';
// Property tests of the line-protocol encoder against our own parser: every valid reading must
// come back exactly, and must never turn into more than one line (no injection).
// Fixed seeds keep CI reproducible; set FC_SEED=<n> to explore other corners locally.
const assert = require('assert');
const fc = require('fast-check');
const { encodeValidReading, encodeReadings, parseLine, parseLines, splitLines } = require('../../dist/core/line-protocol');
const { validateReading, MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS } = require('../../dist/core/reading');

const NOW = 1_800_000_000_000;
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_240_601;

// Characters that line protocol treats specially, things influxd skips or splits on, and unicode
// that trims or normalises badly; mixed with any code point. Names rarely get a line break or a
// lone surrogate (the validator refuses those, so too many would leave few valid readings);
// string field values get line breaks often, since they are valid there.
const SPECIAL = [' ', ',', '=', '"', '\\', '\t', '#', '\0', '\u00A0', '\u2028', '\uFEFF', 'i', 'u', 't', 'F', '-', '.', 'e', '0', '9'];
const commonChars = [
  { arbitrary: fc.constantFrom(...SPECIAL), weight: 12 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 18 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 6 },
  { arbitrary: fc.constantFrom('🔥', '🌡️', 'é', 'e\u0301', 'Ω', '日'), weight: 3 },
];
const nameChar = fc.oneof(...commonChars, { arbitrary: fc.constantFrom('\n', '\r', '\uD800', '\uDFFF'), weight: 1 });
const stringChar = fc.oneof(...commonChars, { arbitrary: fc.constantFrom('\n', '\r', '\r\n', '"', '\\'), weight: 8 }, { arbitrary: fc.constantFrom('\uD800', '\uDFFF'), weight: 1 });
const text = (minLength, maxLength) => fc.string({ unit: nameChar, minLength, maxLength });
const key = fc.oneof(
  { arbitrary: text(1, 8), weight: 10 },
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'time', 'hasOwnProperty'), weight: 1 },
);
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2));
const fieldValue = fc.oneof(number, fc.boolean(), fc.string({ unit: stringChar, maxLength: 16 }));
const timestamp = fc.oneof(
  fc.integer({ min: MIN_TIMESTAMP_MS, max: MAX_TIMESTAMP_MS }),
  fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }),
  fc.constantFrom(0, -1, MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS),
);

/** Readings of every shape; `emptyTags` lets tag values be empty (the encoder leaves them out). */
function readingArb({ emptyTags = false } = {}) {
  return fc.record({
    measurement: text(1, 10),
    tags: fc.dictionary(key, text(emptyTags ? 0 : 1, 10), { maxKeys: 4, noNullPrototype: true }),
    fields: fc.dictionary(key, fieldValue, { minKeys: 1, maxKeys: 4, noNullPrototype: true }),
    timestamp,
  }, { noNullPrototype: true });
}
const validReading = (opts) => readingArb(opts).filter((r) => validateReading(r) === undefined);

describe('core/line-protocol properties', function () {
  this.timeout(60_000);

  it('the generator makes both valid and invalid readings (the filter has work to do)', function () {
    const sample = fc.sample(readingArb(), { numRuns: 2_000, seed: SEED });
    const codes = new Map();
    for (const r of sample) {
      const problem = validateReading(r);
      const code = problem ? problem.code : 'valid';
      codes.set(code, (codes.get(code) || 0) + 1);
    }
    assert.ok((codes.get('valid') || 0) > 400, JSON.stringify([...codes]));
    for (const code of ['UNENCODABLE', 'RESERVED_KEY', 'NON_FINITE']) assert.ok(codes.get(code) > 0, `${code}: ${JSON.stringify([...codes])}`);
  });

  it('parseLine(encodeValidReading(r), now, "ms") deep-equals r (5,000 valid readings)', function () {
    fc.assert(
      fc.property(validReading(), (r) => {
        assert.deepStrictEqual(parseLine(encodeValidReading(r), NOW, 'ms'), r);
      }),
      { numRuns: 5_000, seed: SEED },
    );
  });

  it('a valid reading encodes to exactly one line that parseLines reads back alone (5,000 readings)', function () {
    fc.assert(
      fc.property(validReading(), (r) => {
        const line = encodeValidReading(r);
        assert.strictEqual(splitLines(line).length, 1, `split into several lines: ${JSON.stringify(line)}`);
        const { readings, errors } = parseLines(line, NOW, 'ms');
        assert.deepStrictEqual(errors, []);
        assert.strictEqual(readings.length, 1);
        assert.deepStrictEqual(readings[0], r);
      }),
      { numRuns: 5_000, seed: SEED + 1 },
    );
  });

  it('a batch of valid readings comes back as the same readings in the same order', function () {
    fc.assert(
      fc.property(fc.array(validReading(), { minLength: 1, maxLength: 20 }), (batch) => {
        const text = encodeReadings(batch);
        assert.strictEqual(splitLines(text).length, batch.length);
        const { readings, errors } = parseLines(text, NOW, 'ms');
        assert.deepStrictEqual(errors, []);
        assert.deepStrictEqual(readings, batch);
      }),
      { numRuns: 500, seed: SEED + 2 },
    );
  });

  it('empty tag values are left out and nothing else changes', function () {
    fc.assert(
      fc.property(validReading({ emptyTags: true }), (r) => {
        const expected = { ...r, tags: Object.fromEntries(Object.entries(r.tags).filter(([, v]) => v !== '')) };
        assert.deepStrictEqual(parseLine(encodeValidReading(r), NOW, 'ms'), expected);
      }),
      { numRuns: 2_000, seed: SEED + 3 },
    );
  });

  it('the encoding of a valid reading is also valid to re-encode (idempotent)', function () {
    fc.assert(
      fc.property(validReading(), (r) => {
        const line = encodeValidReading(r);
        const back = parseLine(line, NOW, 'ms');
        assert.strictEqual(validateReading(back), undefined);
        assert.strictEqual(encodeValidReading(back), line);
      }),
      { numRuns: 2_000, seed: SEED + 4 },
    );
  });

  it('validateReading never throws, whatever it is given', function () {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), readingArb(), fc.record({ measurement: fc.anything(), tags: fc.anything(), fields: fc.anything(), timestamp: fc.anything() })), (value) => {
        const result = validateReading(value);
        assert.ok(result === undefined || (typeof result.code === 'string' && typeof result.message === 'string'));
      }),
      { numRuns: 3_000, seed: SEED + 5 },
    );
  });

  it('parseLines never throws on arbitrary text, and every line is accounted for', function () {
    const lpChar = fc.oneof(fc.constantFrom(' ', ',', '=', '"', '\\', '\n', '#', 'm', 'x', '1', 'i', 't', '\t', '\r'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(fc.string({ unit: lpChar, maxLength: 60 }), (input) => {
        const { readings, errors } = parseLines(input, NOW, 'ms');
        assert.ok(readings.length + errors.length <= splitLines(input).length);
      }),
      { numRuns: 3_000, seed: SEED + 6 },
    );
  });
});
