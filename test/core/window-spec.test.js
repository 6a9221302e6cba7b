'use strict';
// The window node's config: defaults, every accepted form, and a clear problem for every
// invalid one (all problems at once); the snapshot round trip of open windows.
const assert = require('assert');
const { parseWindowConfig, renderMeasurement, sameWindowing, WindowEngine } = require('../../dist/core/window');

const S = 1_000;
const M = 60 * S;

describe('core/window spec: defaults and accepted forms', function () {
  it('an empty config gives the documented defaults', () => {
    const parsed = parseWindowConfig({});
    assert.ok(parsed.ok);
    assert.deepStrictEqual(parsed.settings, {
      windowType: 'tumbling',
      size: M,
      slide: M,
      gap: 0,
      count: 0,
      groupBy: ['device'],
      fields: '*',
      aggregates: ['mean', 'min', 'max', 'count'],
      timeMode: 'event',
      allowedLateness: 0,
      outputMeasurement: '{measurement}_{size}',
      maxKeys: 100_000,
    });
  });

  // [config, property, expected value]
  const accepted = [
    [{ size: '500ms' }, 'size', 500],
    [{ size: '1h30m' }, 'size', 90 * M],
    [{ size: 2000 }, 'size', 2000],
    [{ windowType: 'hopping', size: '5m', slide: '1m' }, 'slide', M],
    [{ windowType: 'hopping', size: '5m', slide: '5m' }, 'slide', 5 * M],
    [{ windowType: 'session', gap: '30s' }, 'gap', 30 * S],
    [{ windowType: 'count', count: '50' }, 'count', 50],
    [{ windowType: 'count', count: 7, gap: '' }, 'gap', 0],
    [{ windowType: 'count', gap: '2m' }, 'gap', 2 * M],
    [{ groupBy: ' device , site ' }, 'groupBy', ['device', 'site']],
    [{ groupBy: '' }, 'groupBy', []],
    [{ fields: 'temperature, humidity' }, 'fields', ['temperature', 'humidity']],
    [{ aggregates: 'p95, mean, p95' }, 'aggregates', ['p95', 'mean']],
    [{ aggregates: ' ' }, 'aggregates', ['mean', 'min', 'max', 'count']],
    [{ timeMode: 'processing' }, 'timeMode', 'processing'],
    [{ allowedLateness: '30s' }, 'allowedLateness', 30 * S],
    [{ maxKeys: '10' }, 'maxKeys', 10],
  ];
  for (const [config, property, expected] of accepted) {
    it(`${JSON.stringify(config)} → ${property} ${JSON.stringify(expected)}`, () => {
      const parsed = parseWindowConfig(config);
      assert.ok(parsed.ok, String(parsed.problems));
      assert.deepStrictEqual(parsed.settings[property], expected);
    });
  }
});

/** A problem as the node shows it: its i18n key rendered from the en-US catalogue. */
const catalogue = require('../../nodes/locales/en-US/telemetry-window.json')['telemetry-window'].errors;
function render(problem) {
  const template = catalogue[problem.key];
  assert.strictEqual(typeof template, 'string', `no locale text for errors.${problem.key}`);
  return template.replace(/__(\w+)__/g, (whole, name) => (problem.params && name in problem.params ? String(problem.params[name]) : whole));
}

describe('core/window spec: invalid config is reported in words', function () {
  // [config, pattern the problem must match]
  const refused = [
    [{ windowType: 'sliding' }, /windowType must be one of tumbling, hopping, session, count/],
    [{ size: 'soon' }, /size: invalid duration "soon"/],
    [{ size: '0s' }, /size must be at least 1ms/],
    [{ size: '1.5ms' }, /size: "1.5ms" is not a whole number of milliseconds/],
    [{ windowType: 'hopping', size: '1m', slide: '2m' }, /slide \(2m\) must not be longer than size \(1m\)/],
    [{ windowType: 'hopping', size: '1h', slide: '1s' }, /at most 100 overlapping windows/],
    [{ windowType: 'session', gap: '-5s' }, /gap: invalid duration/],
    [{ windowType: 'count', count: '0' }, /count must be a whole number from 1/],
    [{ windowType: 'count', count: '2.5' }, /count must be a whole number/],
    [{ fields: ' , ' }, /fields must be "\*" or a comma-separated list/],
    [{ aggregates: 'mean,avg' }, /unknown aggregate "avg"/],
    [{ timeMode: 'wall' }, /timeMode must be one of event, processing/],
    [{ allowedLateness: 'late' }, /allowedLateness: invalid duration/],
    [{ outputMeasurement: '{measurement}_{device}' }, /unknown placeholder "\{device\}"/],
    [{ outputMeasurement: '#{measurement}' }, /starts with "#"/],
    [{ maxKeys: '0' }, /maxKeys must be a whole number of at least 1/],
    [{ groupBy: 'device,bad\\' }, /backslash/],
  ];
  for (const [config, pattern] of refused) {
    it(`${JSON.stringify(config)} → ${pattern}`, () => {
      const parsed = parseWindowConfig(config);
      assert.strictEqual(parsed.ok, false);
      const texts = parsed.problems.map(render);
      assert.ok(texts.some((text) => pattern.test(text)), texts.join(' | '));
    });
  }

  it('reports every problem at once', () => {
    const parsed = parseWindowConfig({ size: 'x', aggregates: 'nope', maxKeys: -1 });
    assert.strictEqual(parsed.problems.length, 3);
  });
});

describe('core/window spec: output measurement template', function () {
  const cases = [
    [{}, 'telemetry_1m'],
    [{ size: '90s' }, 'telemetry_90s'],
    [{ windowType: 'session', gap: '5m' }, 'telemetry_5m'],
    [{ windowType: 'count', count: 100 }, 'telemetry_100'],
    [{ outputMeasurement: 'agg_{type}' }, 'agg_tumbling'],
    [{ outputMeasurement: 'fixed' }, 'fixed'],
  ];
  for (const [config, expected] of cases) {
    it(`${JSON.stringify(config)} → ${expected}`, () => {
      assert.strictEqual(renderMeasurement(parseWindowConfig(config).settings, 'telemetry'), expected);
    });
  }

  it('maxKeys may change across a redeploy; the windowing may not', () => {
    const a = parseWindowConfig({ maxKeys: 10 }).settings;
    assert.strictEqual(sameWindowing(a, parseWindowConfig({ maxKeys: 20 }).settings), true);
    assert.strictEqual(sameWindowing(a, parseWindowConfig({ size: '2m' }).settings), false);
  });
});

describe('core/window snapshot: open windows survive a restart', function () {
  const T0 = Date.UTC(2026, 0, 1);
  const configs = [
    { windowType: 'tumbling', size: '1m', aggregates: 'count,mean,stddev,first,last,rate,p95,median' },
    { windowType: 'hopping', size: '1m', slide: '20s', aggregates: 'sum,p99' },
    { windowType: 'session', gap: '20s', aggregates: 'count,min,max,median' },
    { windowType: 'count', count: 7, aggregates: 'sum,spread' },
  ];
  // 3 devices, 300 readings over 5 minutes; the restart happens after reading 150.
  const readings = Array.from({ length: 300 }, (_, i) => ({
    measurement: 'telemetry',
    tags: { device: `d${i % 3}` },
    fields: { v: Math.sin(i) * 10 + (i % 7), w: i },
    timestamp: T0 + i * 1_000 + (i % 5 === 0 ? -3_000 : 0),
  }));

  function feed(engine, list, out) {
    for (const r of list) engine.add(r, r.timestamp, out);
  }

  for (const config of configs) {
    it(`${config.windowType}: restored windows emit exactly what an uninterrupted run emits`, () => {
      const spec = parseWindowConfig({ ...config, allowedLateness: '5s' }).settings;
      const straight = new WindowEngine(spec);
      const expected = [];
      feed(straight, readings, expected);
      straight.flush(expected);

      const before = new WindowEngine(spec);
      const got = [];
      feed(before, readings.slice(0, 150), got);
      const stored = JSON.parse(JSON.stringify(before.snapshot()));
      const after = WindowEngine.fromSnapshot(stored, readings[150].timestamp);
      assert.strictEqual(after.stats().openWindows, before.stats().openWindows);
      feed(after, readings.slice(150), got);
      after.flush(got);
      assert.deepStrictEqual(got, expected);
    });
  }

  it('a tombstone survives too: a late reading stays late after the restart', () => {
    const spec = parseWindowConfig({ windowType: 'tumbling', size: '1m' }).settings;
    const engine = new WindowEngine(spec);
    const at = (offset) => ({ measurement: 'telemetry', tags: { device: 'a' }, fields: { v: 1 }, timestamp: T0 + offset });
    engine.add(at(10 * S), T0, []);
    engine.tick(T0 + 2 * M, []);
    const restored = WindowEngine.fromSnapshot(JSON.parse(JSON.stringify(engine.snapshot())), T0 + 3 * M);
    assert.strictEqual(restored.add(at(20 * S), T0 + 3 * M, []).kind, 'late');
  });

  const malformed = [
    ['nothing', undefined],
    ['another version', { version: 2, spec: {}, keys: [], tombstones: [] }],
    ['a bad spec', { version: 1, spec: { windowType: 'weekly' }, keys: [], tombstones: [] }],
    ['a bad key', { version: 1, spec: parseWindowConfig({}).settings, keys: [{ id: 1 }], tombstones: [] }],
    ['bad field statistics', { version: 1, spec: parseWindowConfig({}).settings, keys: [{ id: 'x', key: 'k', measurement: 'm', windows: [{ start: 0, end: 1, count: 1, fields: [['v', [1, 2]]] }] }], tombstones: [] }],
  ];
  for (const [title, value] of malformed) {
    it(`refuses a snapshot with ${title}`, () => {
      assert.throws(() => WindowEngine.fromSnapshot(value, 0), TypeError);
    });
  }
});
