'use strict';
// The alert engine on tables of value sequences (event time: the readings' timestamps) → events.
const assert = require('assert');
const { AlertEngine, SNAPSHOT_FORMAT } = require('../../dist/core/alert/engine');
const { parseSettings } = require('../../dist/core/alert/settings');

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function engine(rules, extra = {}) {
  const result = parseSettings({ rules, ...extra });
  assert.ok(result.ok, JSON.stringify(result.problems));
  const s = result.settings;
  return new AlertEngine(s.rules, s.groupBy, s.maxKeys);
}

const reading = (minute, fields, device = 'd1') => ({ measurement: 'telemetry', tags: { device }, fields, timestamp: T0 + minute * MIN });

/** Feeds [minute, value] pairs of one field; returns "minute:status@value" strings. */
function run(eng, field, seq, device = 'd1') {
  const out = [];
  for (const [minute, value] of seq) {
    const events = [];
    eng.add(reading(minute, { [field]: value }, device), events);
    for (const e of events) out.push(`${minute}:${e.status}@${e.value}`);
  }
  return out;
}

const HOT = { field: 'temperature', op: 'above', value: 30, for: '5m', clear: 28, severity: 'warning' };

describe('core/alert engine', function () {
  const cases = [
    ['holds for 5m: one alert at minute 5, one ok below 28', HOT, [[0, 31], [1, 32], [4, 33], [5, 31], [6, 35], [7, 29], [8, 27.9], [9, 27]], ['5:alert@31', '8:ok@27.9']],
    ['a dip before 5m restarts the hold', HOT, [[0, 31], [3, 30], [4, 31], [8, 31], [9, 31]], ['9:alert@31']],
    ['between clear and value the alert stays (hysteresis)', HOT, [[0, 31], [5, 31], [6, 29], [7, 30], [8, 29.5], [9, 28]], ['5:alert@31']],
    ['flapping across 30 every minute raises nothing', HOT, [[0, 31], [1, 29], [2, 31], [3, 29], [4, 31], [5, 29], [6, 31], [7, 29]], []],
    ['flapping across the whole band: at most one alert per `for`', HOT, [[0, 31], [5, 31], [6, 27], [7, 31], [8, 27], [9, 31], [14, 31], [15, 27]], ['5:alert@31', '6:ok@27', '14:alert@31', '15:ok@27']],
    ['for 0: alert on the first reading over', { field: 'temperature', op: 'above', value: 30 }, [[0, 29], [1, 31], [2, 32], [3, 30], [4, 31]], ['1:alert@31', '3:ok@30', '4:alert@31']],
    ['below with clear above the threshold', { field: 'battery', op: 'below', value: 10, clear: 15, for: '2m' }, [[0, 9], [2, 8], [3, 12], [4, 16]], ['2:alert@8', '4:ok@16']],
    ['outside a band, width 1 to clear', { field: 'pressure', op: 'outside', value: 10, value2: 20, clear: 1, for: '1m' }, [[0, 21], [1, 22], [2, 20.5], [3, 19], [4, 5], [5, 5]], ['1:alert@22', '3:ok@19', '5:alert@5']],
    ['inside a band', { field: 'rpm', op: 'inside', value: 100, value2: 200, for: '0s' }, [[0, 50], [1, 150], [2, 180], [3, 250]], ['1:alert@150', '3:ok@250']],
    ['an older reading is ignored', HOT, [[0, 31], [5, 31], [4, 20], [6, 31]], ['5:alert@31']],
    ['works on window aggregates by name', { ...HOT, field: 'temperature_mean' }, [[0, 31], [5, 31], [6, 20]], []],
  ];
  for (const [name, rule, seq, expected] of cases) {
    it(name, function () {
      assert.deepStrictEqual(run(engine([rule]), rule.field === 'temperature_mean' ? 'temperature' : rule.field, seq), rule.field === 'temperature_mean' ? [] : expected);
    });
  }

  it('aggregates: temperature_mean is just a field', function () {
    assert.deepStrictEqual(run(engine([{ ...HOT, field: 'temperature_mean' }]), 'temperature_mean', [[0, 31], [5, 31], [6, 20]]), ['5:alert@31', '6:ok@20']);
  });

  it('an event carries key, field, since, rule and severity', function () {
    const eng = engine([{ field: 'x', op: 'below', value: 0 }, HOT]);
    const events = [];
    eng.add(reading(0, { temperature: 31 }), events);
    eng.add(reading(5, { temperature: 31 }), events);
    assert.deepStrictEqual(events, [{ key: 'd1', tags: { device: 'd1' }, field: 'temperature', status: 'alert', value: 31, since: T0, rule: 2, severity: 'warning', at: T0 + 5 * MIN }]);
  });

  it('groupBy: keys are independent; several tags join with /', function () {
    const eng = engine([HOT], { groupBy: 'site,device' });
    const events = [];
    for (const [m, device, v] of [[0, 'a', 31], [0, 'b', 31], [3, 'b', 20], [5, 'a', 31], [5, 'b', 31]]) {
      eng.add({ measurement: 'm', tags: { site: 's', device }, fields: { temperature: v }, timestamp: T0 + m * MIN }, events);
    }
    assert.deepStrictEqual(events.map((e) => `${e.key}:${e.status}`), ['s/a:alert']);
    assert.deepStrictEqual(eng.add({ measurement: 'm', tags: { device: 'a' }, fields: { temperature: 40 }, timestamp: T0 }, events), { noKey: true, refused: false });
  });

  it('a reading without tags, or a group-by key that is a prototype name, has no key', function () {
    const eng = engine([HOT], { groupBy: 'constructor' });
    const events = [];
    assert.deepStrictEqual(eng.add({ measurement: 'm', fields: { temperature: 40 }, timestamp: T0 }, events), { noKey: true, refused: false });
    assert.deepStrictEqual(eng.add({ measurement: 'm', tags: {}, fields: { temperature: 40 }, timestamp: T0 }, events), { noKey: true, refused: false });
    assert.deepStrictEqual(eng.add({ measurement: 'm', tags: {}, fields: { humidity: 40 }, timestamp: T0 }, events), { noKey: false, refused: false }, 'no rule field: nothing to say');
  });

  it('groupBy empty: one key, the measurement', function () {
    const eng = engine([{ ...HOT, for: '' }], { groupBy: '' });
    const events = [];
    eng.add(reading(0, { temperature: 40 }, 'x'), events);
    assert.strictEqual(events[0].key, 'telemetry');
  });

  it('memory: only keys in trouble are held, new ones beyond maxKeys are refused', function () {
    const eng = engine([HOT], { maxKeys: 2 });
    const events = [];
    assert.deepStrictEqual(eng.add(reading(0, { temperature: 20 }, 'cool'), events), { noKey: false, refused: false });
    assert.strictEqual(eng.size, 0, 'a key with nothing going on costs nothing');
    eng.add(reading(0, { temperature: 31 }, 'a'), events);
    eng.add(reading(0, { temperature: 31 }, 'b'), events);
    assert.deepStrictEqual(eng.add(reading(0, { temperature: 31 }, 'c'), events), { noKey: false, refused: true });
    eng.add(reading(1, { temperature: 20 }, 'a'), events);
    assert.strictEqual(eng.size, 1, 'a key back to idle is forgotten');
    assert.deepStrictEqual(eng.add(reading(1, { temperature: 31 }, 'c'), events), { noKey: false, refused: false });
  });

  it('summary: total alerts in force, oldest first, limited', function () {
    const eng = engine([{ ...HOT, for: '' }]);
    const events = [];
    eng.add(reading(2, { temperature: 31 }, 'late'), events);
    eng.add(reading(1, { temperature: 35 }, 'early'), events);
    eng.add(reading(0, { temperature: 20 }, 'fine'), events);
    const summary = eng.summary(1);
    assert.strictEqual(summary.total, 2);
    assert.deepStrictEqual(summary.alerting, [{ key: 'early', field: 'temperature', value: 35, since: T0 + MIN, rule: 1, severity: 'warning' }]);
  });

  it('restore: an alert in force stays in force (no second alert), then ends with one ok', function () {
    const first = engine([HOT]);
    assert.deepStrictEqual(run(first, 'temperature', [[0, 31], [5, 31]]), ['5:alert@31']);
    run(first, 'temperature', [[0, 31]], 'pending');
    const snap = JSON.parse(JSON.stringify(first.snapshot()));
    assert.strictEqual(snap.format, SNAPSHOT_FORMAT);
    const second = engine([HOT]);
    assert.deepStrictEqual(second.restore(snap), { restored: 2, dropped: 0 });
    assert.strictEqual(second.alerting, 1);
    assert.deepStrictEqual(run(second, 'temperature', [[6, 32], [7, 27]]), ['7:ok@27']);
    assert.deepStrictEqual(run(second, 'temperature', [[5, 31]], 'pending'), ['5:alert@31'], 'a pending hold continues across the restart');
  });

  it('restore: states of a changed rule are dropped; a bad snapshot is refused', function () {
    const first = engine([HOT]);
    run(first, 'temperature', [[0, 31], [5, 31]]);
    const changed = engine([{ ...HOT, value: 35 }]);
    assert.deepStrictEqual(changed.restore(first.snapshot()), { restored: 0, dropped: 1 });
    for (const bad of [null, 7, { format: 'x' }, { format: SNAPSHOT_FORMAT }, { format: SNAPSHOT_FORMAT, rules: [], states: [[1]] }]) {
      assert.ok('error' in engine([HOT]).restore(bad), JSON.stringify(bad));
    }
  });

  it('reset forgets everything', function () {
    const eng = engine([{ ...HOT, for: '' }]);
    run(eng, 'temperature', [[0, 40]]);
    eng.reset();
    assert.deepStrictEqual([eng.size, eng.alerting], [0, 0]);
  });

  it('non-numeric and missing fields change nothing', function () {
    const eng = engine([{ ...HOT, for: '' }]);
    assert.deepStrictEqual(run(eng, 'temperature', [[0, 'hot'], [1, true]]), []);
    assert.deepStrictEqual(run(eng, 'humidity', [[2, 99]]), []);
  });
});
