'use strict';
const assert = require('assert');
const q = require('../../dist/core/influxql/statements');
const { scanStatement, assertBoundedStatement } = require('../../dist/core/influxql/scan');
const { parseTagFilter } = require('../../dist/core/purge/tag-filter');

// An independent reading of InfluxQL quoting (not the code under test): splits a statement into
// quoted tokens and the text between them, decoding the escapes InfluxDB's scanner accepts.
function tokenize(text) {
  const out = { bare: '', idents: [], strings: [] };
  const re = /"((?:[^"\\\n\r]|\\[\\"'n])*)"|'((?:[^'\\\n\r]|\\[\\"'n])*)'|([^"']+)/gy;
  const unescape = (s) => s.replace(/\\([\\"'n])/g, (_, c) => (c === 'n' ? '\n' : c));
  let m;
  let consumed = 0;
  while ((m = re.exec(text))) {
    consumed = re.lastIndex;
    if (m[1] !== undefined) {
      out.idents.push(unescape(m[1]));
      out.bare += '"_"';
    } else if (m[2] !== undefined) {
      out.strings.push(unescape(m[2]));
      out.bare += "'_'";
    } else out.bare += m[3];
  }
  assert.strictEqual(consumed, text.length, `unbalanced quoting in ${JSON.stringify(text)}`);
  return out;
}

const HOSTILE = [
  ['plain', 'cpu'],
  ['double quote', 'my "quoted" name'],
  ['lone double quote', '"'],
  ['single quote', "it's"],
  ['backslash', 'back\\slash'],
  ['trailing backslash', 'ends\\'],
  ['backslash then quote', 'a\\"b'],
  ['escaped-looking quote', 'a\\\\"; DROP DATABASE "x'],
  ['semicolon', 'a;b'],
  ['statement injection', 'cpu"; DROP MEASUREMENT "other'],
  ['string injection', "x' OR '1'='1"],
  ['comment dash', 'cpu -- and the rest'],
  ['comment block', 'cpu /* hidden */'],
  ['regex-looking', '/.*/'],
  ['keywords', 'WHERE time > 0'],
  ['star', '*'],
  ['dots', 'db.rp.m'],
  ['commas and spaces', ' a, b = c '],
  ['tab', 'a\tb'],
  ['unicode', 'température_°C'],
  ['CJK', '温度'],
  ['emoji', '🌡️ sensor'],
  ['RTL override', 'abc\u202edef'],
  ['zero width', 'a\u200bb'],
  ['non-BMP', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'],
];

const RANGE = { start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 0, 8) };
const TIME_STRINGS = ['2025-01-01T00:00:00.000Z', '2025-01-08T00:00:00.000Z'];

function builders(name) {
  const src = { database: name, retentionPolicy: name, measurement: name };
  const filter = parseTagFilter({ [name]: [name, 'v2'] });
  const spec = { target: { ...src, measurement: `${name}_1h` }, everyMs: 3_600_000, aggregates: ['mean', 'max'] };
  return {
    count: q.countStatement(src, RANGE, filter),
    oldest: q.oldestPointStatement(src, RANGE, filter),
    delete: q.deleteStatement(name, RANGE, filter),
    downsample: q.downsampleStatement(src, RANGE, filter, spec),
    downsampleCount: q.downsampleCountStatement(src, RANGE, filter, spec),
    fieldKeys: q.showFieldKeysStatement(src),
    policies: q.showRetentionPoliciesStatement(name),
    createRp: q.createRetentionPolicyStatement({ database: name, name, durationMs: 30 * 86_400_000, makeDefault: true }),
    alterRp: q.alterRetentionPolicyStatement({ database: name, name, durationMs: 30 * 86_400_000, shardDurationMs: 86_400_000, makeDefault: false }),
  };
}

describe('purge InfluxQL builder: hostile names', function () {
  const reference = builders('x');

  for (const [label, name] of HOSTILE) {
    describe(`${label}: ${JSON.stringify(name)}`, function () {
      const built = builders(name);
      for (const kind of Object.keys(built)) {
        it(`${kind} is one statement with the same shape as for a plain name`, function () {
          const text = built[kind];
          const mine = tokenize(text);
          assert.strictEqual(mine.bare, tokenize(reference[kind]).bare);
          assert.ok(!mine.bare.includes(';'), 'no statement separator outside quotes');
          assert.strictEqual(scanStatement(text).skeleton.replace(/"\?"/g, '"_"').replace(/'\?'/g, "'_'"), mine.bare);
        });
        it(`${kind} names decode back to the original text`, function () {
          const mine = tokenize(built[kind]);
          for (const ident of mine.idents) assert.ok([name, `${name}_1h`].includes(ident), `unexpected identifier ${JSON.stringify(ident)}`);
          for (const s of mine.strings) assert.ok([name, 'v2', ...TIME_STRINGS].includes(s), `unexpected string ${JSON.stringify(s)}`);
          assert.ok(mine.idents.includes(name) || mine.idents.includes(`${name}_1h`));
        });
      }
    });
  }

  for (const [label, name] of [['line feed', 'a\nb'], ['carriage return', 'a\rb'], ['NUL', 'a\0b'], ['empty', ''], ['lone surrogate', 'a\ud800b']]) {
    it(`refuses a name with a ${label} instead of building a statement`, function () {
      assert.throws(() => q.deleteStatement(name, RANGE, []));
      assert.throws(() => q.countStatement({ database: 'db', measurement: name }, RANGE, []));
    });
  }
});

describe('purge InfluxQL builder: statements', function () {
  const src = { database: 'telemetry', retentionPolicy: 'autogen', measurement: 'cpu' };
  const cases = [
    ['delete, no filter', () => q.deleteStatement('cpu', RANGE), `DELETE FROM "cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z'`],
    [
      'delete, tag filter in brackets',
      () => q.deleteStatement('cpu', RANGE, parseTagFilter({ site: 'a', device: ['d1', 'd2'] })),
      `DELETE FROM "cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' AND ("device" = 'd1' OR "device" = 'd2') AND ("site" = 'a')`,
    ],
    ['create database (the archive, after a 404)', () => q.createDatabaseStatement('my "db"'), 'CREATE DATABASE "my \\"db\\""'],
    [
      'count, qualified source',
      () => q.countStatement(src, RANGE),
      `SELECT COUNT(*) FROM "telemetry"."autogen"."cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' GROUP BY *`,
    ],
    [
      'count, default retention policy',
      () => q.countStatement({ database: 'telemetry', measurement: 'cpu' }, RANGE),
      `SELECT COUNT(*) FROM "telemetry".."cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' GROUP BY *`,
    ],
    [
      'oldest point',
      () => q.oldestPointStatement(src, RANGE),
      `SELECT * FROM "telemetry"."autogen"."cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' ORDER BY time ASC LIMIT 1`,
    ],
    [
      'downsample into a qualified target',
      () => q.downsampleStatement(src, RANGE, [], { target: { ...src, measurement: 'cpu_1h' }, everyMs: 3_600_000, aggregates: ['mean', 'max'] }),
      `SELECT MEAN(*), MAX(*) INTO "telemetry"."autogen"."cpu_1h" FROM "telemetry"."autogen"."cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' GROUP BY time(1h), *`,
    ],
    [
      'downsample count (bounded inside and out)',
      () => q.downsampleCountStatement(src, RANGE, [], { everyMs: 90_000, aggregates: ['last'] }),
      `SELECT COUNT(*) FROM (SELECT LAST(*) FROM "telemetry"."autogen"."cpu" WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' GROUP BY time(90s), *) WHERE time >= '2025-01-01T00:00:00.000Z' AND time < '2025-01-08T00:00:00.000Z' GROUP BY *`,
    ],
    ['times before 1970', () => q.timeLiteral(-86_400_000), `'1969-12-31T00:00:00.000Z'`],
    ['earliest InfluxDB time', () => q.timeLiteral(q.INFLUX_MIN_MS), `'1677-09-21T00:12:43.146Z'`],
    [
      'create retention policy',
      () => q.createRetentionPolicyStatement({ database: 'telemetry', name: 'short', durationMs: 30 * 86_400_000, shardDurationMs: 86_400_000, makeDefault: true }),
      'CREATE RETENTION POLICY "short" ON "telemetry" DURATION 30d REPLICATION 1 SHARD DURATION 1d DEFAULT',
    ],
    [
      'alter retention policy keeps replication',
      () => q.alterRetentionPolicyStatement({ database: 'telemetry', name: 'autogen', durationMs: 90 * 86_400_000, makeDefault: false }),
      'ALTER RETENTION POLICY "autogen" ON "telemetry" DURATION 90d',
    ],
  ];
  for (const [label, build, expected] of cases) {
    it(label, function () {
      assert.strictEqual(build(), expected);
    });
  }

  const refused = [
    ['an empty range', () => q.deleteStatement('cpu', { start: 10, end: 10 })],
    ['a reversed range', () => q.deleteStatement('cpu', { start: 20, end: 10 })],
    ['a fractional time', () => q.deleteStatement('cpu', { start: 0.5, end: 10 })],
    ['a time past 2262', () => q.deleteStatement('cpu', { start: 0, end: q.INFLUX_MAX_MS + 1 })],
    ['NaN', () => q.deleteStatement('cpu', { start: NaN, end: 10 })],
    ['a missing range', () => q.deleteStatement('cpu', undefined)],
    ['an unknown aggregate', () => q.downsampleStatement(src, RANGE, [], { target: src, everyMs: 1000, aggregates: ['mean(*)) ; DROP'] })],
    ['no aggregate', () => q.downsampleStatement(src, RANGE, [], { target: src, everyMs: 1000, aggregates: [] })],
    ['a zero interval', () => q.downsampleStatement(src, RANGE, [], { target: src, everyMs: 0, aggregates: ['mean'] })],
    ['a tag with no values', () => q.deleteStatement('cpu', RANGE, [{ key: 'k', values: [] }])],
  ];
  for (const [label, build] of refused) {
    it(`refuses ${label}`, function () {
      assert.throws(build);
    });
  }
});

describe('purge statement scanner', function () {
  const unsafe = [
    ['two statements', `SELECT * FROM "a" WHERE time >= '1' AND time < '2'; DROP DATABASE "x"`],
    ['unterminated identifier', `DELETE FROM "a WHERE time >= '1' AND time < '2'`],
    ['unterminated string', `DELETE FROM "a" WHERE time >= '1' AND time < '2`],
    ['invalid escape', `DELETE FROM "a\\d" WHERE time >= '1' AND time < '2'`],
    ['raw newline in quotes', `DELETE FROM "a\nb" WHERE time >= '1' AND time < '2'`],
    ['newline outside quotes', `DELETE FROM "a"\nWHERE time >= '1' AND time < '2'`],
    ['line comment', `DELETE FROM "a" -- WHERE time >= '1' AND time < '2'`],
    ['block comment', `DELETE FROM "a" /* x */ WHERE time >= '1' AND time < '2'`],
  ];
  for (const [label, text] of unsafe) {
    it(`refuses ${label}`, function () {
      assert.throws(() => scanStatement(text), (err) => err.code === 'UNSAFE_STATEMENT');
    });
  }

  const unbounded = [
    ['no WHERE', `DELETE FROM "a"`],
    ['only an upper bound', `DELETE FROM "a" WHERE time < '2'`],
    ['bound inside quotes only', `DELETE FROM "a WHERE time >= '1' AND time < '2'" WHERE "k" = 'v'`],
    ['OR after the time range', `DELETE FROM "a" WHERE "k" = 'v' OR time >= '1' AND time < '2'`],
  ];
  for (const [label, text] of unbounded) {
    it(`refuses a statement with ${label}`, function () {
      assert.throws(() => assertBoundedStatement(text), (err) => ['UNBOUNDED_STATEMENT', 'UNSAFE_STATEMENT'].includes(err.code));
    });
  }

  it('decodes escaped identifiers and strings', function () {
    const s = scanStatement(`DELETE FROM "a\\"b\\\\" WHERE time >= 'it\\'s' AND time < '2'`);
    assert.deepStrictEqual(s.identifiers, ['a"b\\']);
    assert.deepStrictEqual(s.strings, ["it's", '2']);
  });
});
