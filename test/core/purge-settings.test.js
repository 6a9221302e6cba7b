'use strict';
const assert = require('assert');
const { parsePurgeSettings, settingsForRun, downsampleTarget, parseMeasurementList } = require('../../dist/core/purge/settings');
const { parseTagFilter, isNarrowerOrEqual, describeTagFilter } = require('../../dist/core/purge/tag-filter');

const BASE = { measurements: 'cpu, mem', olderThan: '90d', mode: 'delete' };
const H = 3_600_000;
const D = 24 * H;

function code(fn) {
  try {
    const result = fn();
    if (result && result.ok === false) return result.problems[0].key;
  } catch (err) {
    return err.code;
  }
  return 'OK';
}
/** The settings of a config that must be valid. */
function parsed(input) {
  const result = parsePurgeSettings(input);
  assert.ok(result.ok, JSON.stringify(result.problems));
  return result.settings;
}

describe('purge settings: parsePurgeSettings', function () {
  it('applies the documented defaults', function () {
    const s = parsed(BASE);
    assert.deepStrictEqual(
      {
        mode: s.mode,
        measurements: s.measurements,
        olderThanMs: s.olderThanMs,
        minAgeMs: s.minAgeMs,
        every: s.downsampleEveryMs,
        aggs: s.downsampleAggregates,
        to: s.downsampleTo,
        schedule: s.scheduleMs,
        dryRun: s.dryRun,
        where: s.where,
        allow: s.allowMsgOverride,
      },
      {
        mode: 'delete',
        measurements: ['cpu', 'mem'],
        olderThanMs: 90 * D,
        minAgeMs: H,
        every: H,
        aggs: ['mean'],
        to: '{measurement}_{every}',
        schedule: undefined,
        dryRun: true,
        where: [],
        allow: false,
      },
    );
  });

  const table = [
    ['olderThan missing', { ...BASE, olderThan: '' }, 'OLDER_THAN_REQUIRED'],
    ['olderThan zero', { ...BASE, olderThan: '0s' }, 'OLDER_THAN_REQUIRED'],
    ['olderThan below the default minAge', { ...BASE, olderThan: '30m' }, 'TOO_RECENT'],
    ['olderThan below a raised minAge', { ...BASE, olderThan: '7d', minAge: '30d' }, 'TOO_RECENT'],
    ['olderThan equal to minAge', { ...BASE, olderThan: '1h' }, 'OK'],
    ['olderThan above a lowered minAge', { ...BASE, olderThan: '10m', minAge: '5m' }, 'OK'],
    ['olderThan not a duration', { ...BASE, olderThan: 'ninety days' }, 'BAD_DURATION_SETTING'],
    ['minAge not a duration', { ...BASE, minAge: 'soon' }, 'BAD_DURATION_SETTING'],
    ['no measurements', { ...BASE, measurements: ' ' }, 'NO_MEASUREMENTS'],
    ['no measurements is fine for retention-policy', { ...BASE, measurements: '', mode: 'retention-policy' }, 'OK'],
    ['unknown mode', { ...BASE, mode: 'truncate' }, 'BAD_MODE'],
    ['where not JSON', { ...BASE, where: '{site: a}' }, 'WHERE_INVALID'],
    ['where an array', { ...BASE, where: '["a"]' }, 'WHERE_INVALID'],
    ['where on time', { ...BASE, where: '{"time":"0"}' }, 'WHERE_INVALID'],
    ['where with a nested object', { ...BASE, where: '{"a":{"b":1}}' }, 'WHERE_INVALID'],
    ['where with an empty list', { ...BASE, where: '{"a":[]}' }, 'WHERE_INVALID'],
    ['unknown aggregate', { ...BASE, mode: 'downsample-delete', downsampleAggregate: 'avg' }, 'BAD_AGGREGATE'],
    ['aggregate list', { ...BASE, mode: 'downsample-delete', downsampleAggregate: 'mean, MAX' }, 'OK'],
    ['schedule too short', { ...BASE, schedule: '500ms' }, 'BAD_DURATION_SETTING'],
    ['schedule 1h', { ...BASE, schedule: '1h' }, 'OK'],
    ['downsample target equal to a purged measurement', { ...BASE, mode: 'downsample-delete', downsampleTo: 'mem' }, 'BAD_DOWNSAMPLE_TARGET'],
    ['one fixed downsample target for two measurements', { ...BASE, mode: 'downsample-delete', downsampleTo: 'rollup' }, 'BAD_DOWNSAMPLE_TARGET'],
    ['measurement with a line break', { ...BASE, measurements: '["a\\nb"]' }, 'BAD_MEASUREMENTS'],
    ['measurements as a broken JSON array', { ...BASE, measurements: '["a"' }, 'BAD_MEASUREMENTS'],
    ['measurement with a lone surrogate', { ...BASE, measurements: ['a\ud800b'] }, 'BAD_MEASUREMENTS'],
    ['tag value with a lone surrogate', { ...BASE, where: { site: 'x\udc00' } }, 'WHERE_INVALID'],
    ['a well-formed astral name', { ...BASE, measurements: ['🌡️ sensor'] }, 'OK'],
  ];
  for (const [label, input, expected] of table) {
    it(`${label} → ${expected}`, function () {
      assert.strictEqual(code(() => parsePurgeSettings(input)), expected);
    });
  }

  const dry = [
    ['missing', undefined, true],
    ['empty', '', true],
    ['false', false, false],
    ['"false"', 'false', false],
    ['true', true, true],
  ];
  for (const [label, value, expected] of dry) {
    it(`dryRun ${label} → ${expected} (a purge starts as a dry run unless told otherwise)`, function () {
      assert.strictEqual(parsed({ ...BASE, dryRun: value }).dryRun, expected);
    });
  }

  it('TOO_RECENT names both durations', function () {
    assert.deepStrictEqual(parsePurgeSettings({ ...BASE, olderThan: '10m' }).problems, [{ key: 'TOO_RECENT', params: { olderThan: '10m', minAge: '1h' } }]);
  });
});

describe('purge settings: measurement lists', function () {
  const table = [
    ['comma list, trimmed', 'cpu, mem ,disk', ['cpu', 'mem', 'disk']],
    ['duplicates dropped', 'cpu,cpu', ['cpu']],
    ['JSON array keeps commas and spaces', '["a,b", " c "]', ['a,b', ' c ']],
    ['hostile names survive', '["x\\"; DROP MEASUREMENT \\"y"]', ['x"; DROP MEASUREMENT "y']],
    ['array input', ['a', 'b'], ['a', 'b']],
  ];
  for (const [label, input, expected] of table) {
    it(label, function () {
      assert.deepStrictEqual(parseMeasurementList(input), expected);
    });
  }
});

describe('purge settings: downsample targets', function () {
  const table = [
    ['default template', '{measurement}_{every}', H, 'cpu', 'cpu_1h'],
    ['fixed name', 'cpu_hourly', H, 'cpu', 'cpu_hourly'],
    ['every 90 s', '{measurement}_{every}', 90_000, 'cpu', 'cpu_90s'],
    ['$ patterns are not special', '{measurement}_$&', H, 'a$1', 'a$1_$&'],
  ];
  for (const [label, template, every, m, expected] of table) {
    it(label, function () {
      assert.strictEqual(downsampleTarget({ downsampleTo: template, downsampleEveryMs: every }, m), expected);
    });
  }
});

describe('purge settings: msg overrides narrow, never widen', function () {
  const locked = parsed({ ...BASE, where: '{"site":["a","b"]}', dryRun: false });
  const open = parsed({ ...BASE, where: '{"site":["a","b"]}', allowMsgOverride: true, dryRun: false });
  const dry = parsed({ ...BASE, allowMsgOverride: true, dryRun: true });

  const plain = [
    ['a timestamp from an inject node', 1764000000000],
    ['a string', 'go'],
    ['undefined', undefined],
    ['an object without override keys', { hello: 'world' }],
    ['an array', ['cpu']],
  ];
  for (const [label, payload] of plain) {
    it(`${label} is a plain trigger even when overrides are off`, function () {
      assert.strictEqual(settingsForRun(locked, payload), locked);
    });
  }

  const table = [
    ['overrides off', locked, { olderThan: '120d' }, 'OVERRIDE_DISABLED'],
    ['a subset of measurements', open, { measurements: ['cpu'] }, 'OK'],
    ['a measurement not configured', open, { measurements: ['cpu', 'disk'] }, 'OVERRIDE_WIDENS'],
    ['an empty measurement list', open, { measurements: [] }, 'OVERRIDE_WIDENS'],
    ['an older cutoff', open, { olderThan: '365d' }, 'OK'],
    ['a younger cutoff', open, { olderThan: '30d' }, 'OVERRIDE_WIDENS'],
    ['fewer tag values', open, { where: { site: 'a' } }, 'OK'],
    ['an extra tag condition', open, { where: { site: 'a', device: 'd1' } }, 'OK'],
    ['dropping a configured tag', open, { where: { device: 'd1' } }, 'OVERRIDE_WIDENS'],
    ['another tag value', open, { where: { site: ['a', 'c'] } }, 'OVERRIDE_WIDENS'],
    ['no filter at all', open, { where: {} }, 'OVERRIDE_WIDENS'],
    ['dry run on', open, { dryRun: true }, 'OK'],
    ['dry run off on a dry-run node', dry, { dryRun: false }, 'OVERRIDE_WIDENS'],
    ['dry run as text', open, { dryRun: 'yes' }, 'OVERRIDE_WIDENS'],
    ['an unknown key next to a known one', open, { olderThan: '365d', mode: 'retention-policy' }, 'OVERRIDE_UNKNOWN'],
    ['a misspelt key next to a known one', open, { measurements: ['cpu'], olderthan: '1h' }, 'OVERRIDE_UNKNOWN'],
  ];
  for (const [label, settings, payload, expected] of table) {
    it(`${label} → ${expected}`, function () {
      assert.strictEqual(code(() => settingsForRun(settings, payload)), expected);
    });
  }

  it('applies the narrowed values', function () {
    const run = settingsForRun(open, { measurements: 'mem', olderThan: '1y'.replace('1y', '400d'), where: { site: 'b' }, dryRun: true });
    assert.deepStrictEqual([run.measurements, run.olderThanMs, describeTagFilter(run.where), run.dryRun], [['mem'], 400 * D, 'site=b', true]);
  });
});

describe('purge tag filter', function () {
  const table = [
    ['empty text', '', ''],
    ['one tag', '{"site":"a"}', 'site=a'],
    ['sorted keys, deduplicated sorted values', '{"z":["2","1","2"],"a":"x"}', 'a=x, z=1|2'],
    ['numbers and booleans become text', { floor: 3, active: true }, 'active=true, floor=3'],
  ];
  for (const [label, input, expected] of table) {
    it(label, function () {
      assert.strictEqual(describeTagFilter(parseTagFilter(input)), expected);
    });
  }

  const narrower = [
    ['equal', { a: ['1', '2'] }, { a: ['1', '2'] }, true],
    ['fewer values', { a: ['1', '2'] }, { a: '1' }, true],
    ['extra key', { a: '1' }, { a: '1', b: '2' }, true],
    ['missing key', { a: '1' }, { b: '2' }, false],
    ['other value', { a: '1' }, { a: '2' }, false],
    ['anything narrows no filter', {}, { b: '2' }, true],
  ];
  for (const [label, base, candidate, expected] of narrower) {
    it(`narrowing: ${label}`, function () {
      assert.strictEqual(isNarrowerOrEqual(parseTagFilter(base), parseTagFilter(candidate)), expected);
    });
  }
});
