'use strict';
const assert = require('assert');
const { quoteIdentifier, quoteString } = require('../../dist/core/influxql/quote');

describe('core/influxql/quote', function () {
  const identifiers = [
    ['telemetry', '"telemetry"'],
    ['my db', '"my db"'],
    ['a"b', '"a\\"b"'],
    ['back\\slash', '"back\\\\slash"'],
    ['end\\', '"end\\\\"'],
    ['x"; DROP DATABASE "y', '"x\\"; DROP DATABASE \\"y"'],
    ["it's", '"it\'s"'],
    ['température 😀', '"température 😀"'],
  ];
  for (const [name, quoted] of identifiers) {
    it(`identifier ${JSON.stringify(name)} → ${quoted}`, function () {
      assert.strictEqual(quoteIdentifier(name), quoted);
    });
  }

  const strings = [
    ['plant-a', "'plant-a'"],
    ["it's", "'it\\'s'"],
    ["x' OR 1=1; DROP MEASUREMENT m; --", "'x\\' OR 1=1; DROP MEASUREMENT m; --'"],
    ['c:\\dir\\', "'c:\\\\dir\\\\'"],
    ['', "''"],
  ];
  for (const [value, quoted] of strings) {
    it(`string ${JSON.stringify(value)} → ${quoted}`, function () {
      assert.strictEqual(quoteString(value), quoted);
    });
  }

  for (const bad of ['a\nb', 'a\rb', 'a\0b', 'lone \ud800 high', 'lone \udc00 low']) {
    it(`refuses ${JSON.stringify(bad)} in identifiers and strings`, function () {
      assert.throws(() => quoteIdentifier(bad), /line break|NUL|surrogate/);
      assert.throws(() => quoteString(bad), /line break|NUL|surrogate/);
    });
  }

  it('refuses an empty identifier', function () {
    assert.throws(() => quoteIdentifier(''), /empty/);
  });
});
