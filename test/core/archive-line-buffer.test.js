'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const vm = require('node:vm');
const { LineBuffer } = require('../../dist/core/archive/line-buffer');
const { validateReading } = require('../../dist/core/reading');
const { encodeValidReading } = require('../../dist/core/line-protocol');

/** What the shared pair says: the reference the fast path must match exactly. */
const reference = (r) => validateReading(r) ?? encodeValidReading(r);

/** Appends to a buffer that already holds a line (so newlines and rollback are exercised). */
function validateAndEncode(r) {
  const buffer = new LineBuffer(8);
  buffer.appendLine('first v=1 1');
  const refusal = buffer.appendReading(r);
  if (refusal) {
    assert.equal(buffer.count, 1);
    assert.equal(buffer.body().toString(), 'first v=1 1');
    return refusal;
  }
  assert.equal(buffer.count, 2);
  assert.equal(buffer.body().toString(), `first v=1 1\n${buffer.line(1)}`);
  return buffer.line(1);
}

const T = 1_760_000_000_000;

describe('archive/line-buffer: one-pass validate + encode into the batch body', function () {
  const cases = [
    ['a plain reading', { measurement: 'telemetry', tags: { site: 'a', device: 'd-1' }, fields: { t: 21.5, ok: true }, timestamp: T }],
    ['without tags', { measurement: 'm', fields: { v: 1 }, timestamp: T }],
    ['an empty tag value (left out)', { measurement: 'm', tags: { a: '' }, fields: { v: 1 }, timestamp: T }],
    ['a name that needs escaping', { measurement: 'my m', tags: { 'k,1': 'v=1' }, fields: { 'f x': 1 }, timestamp: T }],
    ['a string field', { measurement: 'm', fields: { s: 'say "hi"' }, timestamp: T }],
    ['-0', { measurement: 'm', fields: { v: -0 }, timestamp: T }],
    ['1e21', { measurement: 'm', fields: { v: 1e21 }, timestamp: T }],
    ['NaN (refused)', { measurement: 'm', fields: { v: NaN }, timestamp: T }],
    ['a float timestamp (refused)', { measurement: 'm', fields: { v: 1 }, timestamp: T + 0.5 }],
    ['a timestamp out of range (refused)', { measurement: 'm', fields: { v: 1 }, timestamp: 1e16 }],
    ['no fields (refused)', { measurement: 'm', fields: {}, timestamp: T }],
    ['"time" as a field (refused)', { measurement: 'm', fields: { time: 1 }, timestamp: T }],
    ['"time" as a tag (refused)', { measurement: 'm', tags: { time: 'x' }, fields: { v: 1 }, timestamp: T }],
    ['a key that is tag and field (refused)', { measurement: 'm', tags: { v: 'x' }, fields: { v: 1 }, timestamp: T }],
    ['a measurement starting with # (refused)', { measurement: '#m', fields: { v: 1 }, timestamp: T }],
    ['a number tag (refused)', { measurement: 'm', tags: { n: 1 }, fields: { v: 1 }, timestamp: T }],
    ['an object field (refused)', { measurement: 'm', fields: { o: {} }, timestamp: T }],
    ['not an object (refused)', 'hello'],
    ['null (refused)', null],
    ['an array (refused)', [1]],
    ['a null-prototype reading', Object.assign(Object.create(null), { measurement: 'm', fields: { v: 1 }, timestamp: T })],
    ['a reading from a function node (another realm)', vm.runInNewContext(`({ measurement: 'm', tags: { d: 'x' }, fields: { v: 2 }, timestamp: ${T} })`)],
  ];
  for (const [label, reading] of cases) {
    it(`agrees with validateReading + encodeValidReading: ${label}`, function () {
      assert.deepEqual(validateAndEncode(reading), reference(reading));
    });
  }

  it('sorts tags by key, as the encoder does', function () {
    assert.equal(validateAndEncode({ measurement: 'm', tags: { b: '2', a: '1', C: '3' }, fields: { v: 1 }, timestamp: T }), `m,C=3,a=1,b=2 v=1 ${T}`);
  });

  it('keeps line boundaries for bisecting, even with a newline inside a string field', function () {
    const buffer = new LineBuffer(4);
    const lines = ['a v=1 1', 'b s="x\ny" 2', 'c,t=ü v=3 3'];
    for (const line of lines) buffer.appendLine(line);
    assert.deepEqual(buffer.lines(), lines);
    assert.equal(buffer.body().toString(), lines.join('\n'));
    assert.equal(buffer.bytes, Buffer.byteLength(lines.join('\n')));
  });

  it('grows past its first allocation', function () {
    const buffer = new LineBuffer(16);
    for (let i = 0; i < 1000; i++) assert.equal(buffer.appendReading({ measurement: 'm', tags: { d: `dev-${i}` }, fields: { v: i }, timestamp: T + i }), undefined);
    assert.equal(buffer.count, 1000);
    assert.equal(buffer.line(999), `m,d=dev-999 v=999 ${T + 999}`);
  });

  it('agrees with the shared pair on generated readings (property)', function () {
    const plain = fc.stringMatching(/^[A-Za-z0-9_.:/@+-]{1,12}$/);
    const awkward = fc.constantFrom('', ' ', 'a b', 'a,b', 'a=b', 'a"b', 'a\\b', 'a\\', '#x', 'time', 'x\ny', 'ü', '\ud800', 'a'.repeat(300));
    const name = fc.oneof({ weight: 6, arbitrary: plain }, { weight: 1, arbitrary: awkward }, { weight: 1, arbitrary: fc.string() });
    const fieldValue = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constantFrom(-0, NaN, Infinity, 1e21, 5e-324),
      fc.string(),
      fc.constantFrom(null, undefined, {}, [], '1'),
    );
    const tagValue = fc.oneof({ weight: 6, arbitrary: name }, { weight: 1, arbitrary: fc.constantFrom(1, true, null, '') });
    const timestamp = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -1e13, max: 1e13 }) },
      { weight: 1, arbitrary: fc.constantFrom(T + 0.5, 1e16, -1e16, NaN, '1', undefined) },
    );
    const reading = fc.record(
      {
        measurement: fc.oneof({ weight: 8, arbitrary: name }, { weight: 1, arbitrary: fc.constantFrom(undefined, 1, '') }),
        tags: fc.oneof({ weight: 8, arbitrary: fc.dictionary(name, tagValue, { maxKeys: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null, []) }),
        fields: fc.oneof({ weight: 8, arbitrary: fc.dictionary(name, fieldValue, { maxKeys: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null, {}) }),
        timestamp,
      },
      { requiredKeys: ['fields'] },
    );
    fc.assert(
      fc.property(reading, (r) => {
        assert.deepEqual(validateAndEncode(r), reference(r));
      }),
      { numRuns: 5000 },
    );
  });
});
