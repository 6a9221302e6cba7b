'use strict';
// Security: InfluxQL cannot be injected through telemetry-purge. Tag keys and values in `where`
// (config and msg override) carrying quotes, backslashes, comments, regex and statement
// separators either match exactly the series that has that literal tag value, or are refused;
// a bystander measurement and every other series keep all their points; msg overrides cannot
// widen what is deleted. Real InfluxDB 1.6, the purge node in the runtime (test helper).
const assert = require('node:assert/strict');
const { purgeFixture } = require('../support/purge-fixture');
const purgeNode = require('../../nodes/telemetry-purge.js');
const { encodeValidReading } = require('../../dist/core/line-protocol');

const H = 3_600_000;
const D = 24 * H;
const HOSTILE_VALUES = [
  "x' OR device='safe",
  "x\\' OR '1'='1",
  'x" OR "device"=\'safe',
  "x'; DROP MEASUREMENT \"bystander\"; --",
  "/.*/",
  "' OR time > 0 OR '",
  'back\\slash',
  "it's",
  'line\\nbreak',
];

describe('security: InfluxQL cannot be injected (purge)', function () {
  this.timeout(60_000);
  const fx = purgeFixture(purgeNode, 'inj');

  beforeEach(async function () {
    // 3 old points per series (older than 1d) and 1 recent, in the target and in a bystander.
    const now = Date.now();
    const lines = [];
    for (const device of ['safe', ...HOSTILE_VALUES]) {
      for (const m of ['target', 'bystander']) {
        for (const age of [3 * D, 2.5 * D, 2 * D, H]) lines.push(encodeValidReading({ measurement: m, tags: { device }, fields: { v: 1 }, timestamp: now - age }));
      }
    }
    await fx.influx.write(lines.join('\n'), { db: fx.db });
  });

  async function purge(config, msg = { payload: '' }) {
    await fx.load({ mode: 'delete', measurements: 'target', olderThan: '1d', minAge: '1h', schedule: '', ...config });
    const r = await fx.outcome(msg);
    return r.ok ? { ok: r.ok.payload } : { error: r.error.error };
  }

  const count = (m, device) => fx.influx.count(fx.db, m, { exact: true, where: `"device" = '${device.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` });

  async function assertOnlyDeleted(device) {
    for (const d of ['safe', ...HOSTILE_VALUES]) {
      assert.equal(await count('bystander', d), 4, `bystander ${JSON.stringify(d)} touched`);
      assert.equal(await count('target', d), d === device ? 1 : 4, `target ${JSON.stringify(d)}`);
    }
  }

  for (const value of HOSTILE_VALUES) {
    it(`where {"device": ${JSON.stringify(value)}} deletes exactly that series`, async function () {
      const r = await purge({ where: JSON.stringify({ device: value }) });
      assert.ok(r.ok, `refused: ${r.error && r.error.message}`);
      await assertOnlyDeleted(value);
    });
  }

  it('hostile tag keys match no series and delete nothing (or are refused)', async function () {
    for (const key of ['device" OR "1"="1', "device' OR '1'='1", 'device"; DROP MEASUREMENT "bystander', '/.*/']) {
      const r = await purge({ where: JSON.stringify({ [key]: 'safe' }) });
      assert.ok(r.ok || (r.error && r.error.message.length > 8), 'neither a report nor a clear error');
    }
    await assertOnlyDeleted('no such device');
  });

  it('a msg override of where can narrow with a hostile value but never widen', async function () {
    const config = { where: JSON.stringify({ device: HOSTILE_VALUES[0] }), allowMsgOverride: true };
    const widen = await purge(config, { payload: { where: {} } });
    assert.ok(widen.error, 'an empty where widened the purge');
    const other = await purge(config, { payload: { where: { device: 'safe' } } });
    assert.ok(other.error, 'a different value widened the purge');
    await assertOnlyDeleted('no such device');
  });

  it('a msg override of measurements cannot name a measurement outside the config', async function () {
    const r = await purge({ allowMsgOverride: true }, { payload: { measurements: 'bystander' } });
    assert.ok(r.error, 'the bystander could be purged by msg');
    const r2 = await purge({ allowMsgOverride: true }, { payload: { measurements: 'target", "bystander' } });
    assert.ok(r2.error);
    await assertOnlyDeleted('no such device');
  });
});

// InfluxDB 2.x: `/api/v2/delete` takes a predicate, not InfluxQL. The server reads it with
// InfluxQL's scanner (influxdata/influxdb predicate/parser.go → influxql.Scanner): a
// double-quoted token is an identifier whose escapes are \\ \" \' \n (any other is BADESCAPE),
// `=` `!=` `=~` `!~` are operators, AND/OR keywords (case-insensitive), parentheses group. This
// scanner is written from that contract, independently of the builder under test: every
// predicate the purge sends must scan as "k"="v" (AND "k"="v")* with exactly the given names and
// values — nothing a hostile name or value contains can add an operator, an OR, a regex or a
// parenthesis, so the predicate never matches more than the series it names.
describe('security: 2.x delete predicates cannot be widened (purge)', function () {
  const { deletePredicates } = require('../../dist/core/influxql/delete-predicate');
  const { parseTagFilter } = require('../../dist/core/purge/tag-filter');

  function scan(text) {
    const tokens = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t') {
        i++;
        continue;
      }
      if (c === '"') {
        let value = '';
        i++;
        for (;;) {
          if (i >= text.length) throw new Error('BADSTRING: unterminated');
          const d = text[i];
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\n') throw new Error('BADSTRING: newline');
          if (d === '\\') {
            const e = text[i + 1];
            if (e === '\\' || e === '"' || e === "'") value += e;
            else if (e === 'n') value += '\n';
            else throw new Error(`BADESCAPE \\${e}`);
            i += 2;
            continue;
          }
          value += d;
          i++;
        }
        tokens.push({ t: 'IDENT', v: value });
        continue;
      }
      const op = /^(!=|=~|!~|=|\(|\)|'|\/)/.exec(text.slice(i));
      if (op) {
        tokens.push({ t: op[1] });
        i += op[1].length;
        continue;
      }
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      if (word) {
        const up = word[0].toUpperCase();
        tokens.push(up === 'AND' || up === 'OR' ? { t: up } : { t: 'IDENT', v: word[0] });
        i += word[0].length;
        continue;
      }
      throw new Error(`unexpected ${JSON.stringify(c)} at ${i}`);
    }
    return tokens;
  }

  /** [[key, value], …] when the predicate is a plain AND of equalities, else throws. */
  function conjunction(predicate) {
    const tokens = scan(predicate);
    const pairs = [];
    for (let i = 0; i < tokens.length; i += 4) {
      const [k, eq, v, and] = tokens.slice(i, i + 4);
      assert.ok(k && k.t === 'IDENT' && eq && eq.t === '=' && v && v.t === 'IDENT', `not key = value at token ${i}: ${predicate}`);
      if (and) assert.strictEqual(and.t, 'AND', predicate);
      pairs.push([k.v, v.v]);
    }
    return pairs;
  }

  const HOSTILE = [
    ...HOSTILE_VALUES,
    'x" OR "_measurement"="bystander',
    'x\\" OR \\"a\\"=\\"a',
    'trailing\\',
    '\\',
    '"',
    '") OR ("a"="a',
    'x" AND "device"=~/.*/ AND "a"="a',
    "x' OR _measurement != 'y",
    'OR',
    'x\\n" OR "1"="1',
  ];

  for (const hostile of HOSTILE) {
    it(`measurement, tag key and value ${JSON.stringify(hostile)} stay literal`, function () {
      const filter = parseTagFilter({ [hostile]: [hostile, 'safe'], site: hostile });
      const predicates = deletePredicates(hostile, filter);
      assert.strictEqual(predicates.length, 2);
      const expected = [
        [['_measurement', hostile], [hostile, hostile], ['site', hostile]],
        [['_measurement', hostile], [hostile, 'safe'], ['site', hostile]],
      ].map((pairs) => pairs.slice().sort((a, b) => (a[0] === '_measurement' ? -1 : b[0] === '_measurement' ? 1 : a[0] < b[0] ? -1 : 1)));
      const got = predicates.map(conjunction);
      for (const pairs of got) assert.strictEqual(pairs[0][0], '_measurement');
      assert.deepStrictEqual(
        got.map((p) => JSON.stringify(p.slice().sort())).sort(),
        expected.map((p) => JSON.stringify(p.slice().sort())).sort(),
      );
    });
  }

  it('line breaks, NUL and lone surrogates never reach a predicate', function () {
    for (const bad of ['a\nb', 'a\rb', 'a\0b', 'a\uD800b']) {
      assert.throws(() => deletePredicates(bad));
      assert.throws(() => parseTagFilter({ k: bad }));
    }
  });

  it('a filter on a reserved column (_measurement, _field) is refused, not merged into the predicate', function () {
    assert.throws(() => deletePredicates('target', parseTagFilter({ _measurement: 'bystander' })), /reserved/);
    assert.throws(() => deletePredicates('target', parseTagFilter({ _field: 'v' })), /reserved/);
  });
});
