'use strict';
const assert = require('assert');
const { compileRules, RuleConfigError } = require('../../dist/core/enrich/rules');
const { Enricher } = require('../../dist/core/enrich/engine');
const { DEADBAND_MAX_SERIES } = require('../../dist/core/enrich/deadband');
const { translate } = require('../support/i18n').catalogTranslator('telemetry-enrich');

const T0 = 1_700_000_000_000;
const MIN = 60_000;

const deps = (extra = {}) => ({
  onMissing: 'pass',
  env: () => '',
  msgValue: () => () => undefined,
  jsonata: () => () => Promise.resolve(undefined),
  openFile: () => ({ current: () => undefined }),
  ...extra,
});

function enricher(rules, extra) {
  return new Enricher(compileRules(rules, deps(extra)));
}

const reading = (value, minute, tags = { device: 'dev-1' }, extra = {}) => ({
  measurement: 'telemetry',
  tags,
  fields: { temperature: value, ...extra },
  timestamp: T0 + minute * MIN,
});

/** Feeds readings one msg each; returns per reading what went out: the fields, 'suppressed' or a refusal. */
function run(rules, readings, extra) {
  const enrich = enricher(rules, extra);
  return readings.map((r) => {
    const result = enrich.apply(r, {});
    if (result.refused.length) return `refused ${result.refused[0].code}`;
    if (result.suppressed) return 'suppressed';
    return result.readings[0].fields;
  });
}

/** The values that made it out, for single-field sequences. */
const passed = (rules, sequence, extra) =>
  run(rules, sequence.map(([value, minute, tags]) => reading(value, minute, tags)), extra)
    .map((out, i) => (out === 'suppressed' ? null : typeof out === 'string' ? out : out.temperature ?? sequence[i][0]));

describe('core/enrich/deadband', function () {
  describe('config', function () {
    const invalid = [
      ['no field', { delta: 1 }, /rule 1: field: a name is required/],
      ['no delta', { field: 't' }, /rule 1: delta must be a number ≥ 0/],
      ['a negative delta', { field: 't', delta: -1 }, /delta must be a number ≥ 0, not the number -1/],
      ['a text delta', { field: 't', delta: 'abc' }, /delta must be a number ≥ 0/],
      ['a bad relative', { field: 't', delta: 1, relative: 'yes' }, /relative must be true or false/],
      ['a bad maxSilence', { field: 't', delta: 1, maxSilence: '10 parsecs' }, /rule 1: maxSilence: /],
    ];
    for (const [name, spec, reason] of invalid) {
      it(`refuses ${name}`, function () {
        assert.throws(
          () => compileRules([{ type: 'deadband', ...spec }], deps()),
          (err) => err instanceof RuleConfigError && reason.test(translate(`telemetry-enrich.errors.${err.key}`, err.params)),
        );
      });
    }

    it('accepts the editor\'s text forms (delta "0.1", relative "true", maxSilence "10m")', function () {
      const out = passed([{ type: 'deadband', field: 'temperature', delta: '0.1', relative: 'true', maxSilence: '10m' }], [[100, 0], [105, 1], [111, 2]]);
      assert.deepStrictEqual(out, [100, null, 111]);
    });

    it('says its bound', function () {
      assert.strictEqual(DEADBAND_MAX_SERIES, 100_000);
      assert.strictEqual(enricher([{ type: 'deadband', field: 't', delta: 1 }]).deadbands()[0].deadband.maxSeries, 100_000);
    });
  });

  describe('absolute delta', function () {
    const table = [
      ['the first value of a series always passes', [[20, 0]], [20]],
      ['moves smaller than delta are dropped, measured from the last value passed on', [[20, 0], [20.05, 1], [20.09, 2], [20.1, 3], [20.15, 4]], [20, null, null, 20.1, null]],
      ['a slow drift passes once it adds up to delta', [[20, 0], [20.04, 1], [20.08, 2], [20.12, 3]], [20, null, null, 20.12]],
      ['downwards too', [[20, 0], [19.95, 1], [19.9, 2]], [20, null, 19.9]],
      ['series are apart: another device has its own last value', [[20, 0], [20, 1, { device: 'dev-2' }], [20.05, 2, { device: 'dev-2' }], [20.05, 3]], [20, 20, null, null]],
    ];
    for (const [name, sequence, expected] of table) {
      it(name, function () {
        assert.deepStrictEqual(passed([{ type: 'deadband', field: 'temperature', delta: 0.1 }], sequence), expected);
      });
    }

    it('delta 0 drops exact repeats only', function () {
      assert.deepStrictEqual(passed([{ type: 'deadband', field: 'temperature', delta: 0 }], [[1, 0], [1, 1], [1.001, 2], [1.001, 3]]), [1, null, 1.001, null]);
    });

    it('the series is measurement and every tag, whatever their order', function () {
      const rules = [{ type: 'deadband', field: 'temperature', delta: 1 }];
      const out = passed(rules, [[5, 0, { device: 'a', site: 'x' }], [5, 1, { site: 'x', device: 'a' }], [5, 2, { device: 'a', site: 'y' }], [5, 3, { device: 'a' }]]);
      assert.deepStrictEqual(out, [5, null, 5, 5]);
    });
  });

  describe('relative delta', function () {
    const rules = [{ type: 'deadband', field: 'temperature', delta: 0.1, relative: true }];
    const table = [
      ['a fraction of the last value passed on', [[100, 0], [109, 1], [110, 2], [119, 3], [121.5, 4]], [100, null, 110, null, 121.5]],
      ['of its size, for negative values too', [[-50, 0], [-54, 1], [-56, 2]], [-50, null, -56]],
      ['a flat zero is still compressed (an equal value never counts as a move)', [[0, 0], [0, 1], [0.001, 2], [0.001, 3]], [0, null, 0.001, null]],
    ];
    for (const [name, sequence, expected] of table) {
      it(name, function () {
        assert.deepStrictEqual(passed(rules, sequence), expected);
      });
    }
  });

  describe('maxSilence', function () {
    const rules = [{ type: 'deadband', field: 'temperature', delta: 0.1, maxSilence: '10m' }];
    const table = [
      ['a flat line is written again once maxSilence passed since the last value passed on', [[20, 0], [20, 5], [20, 9.99], [20, 10], [20, 15], [20, 20]], [20, null, null, 20, null, 20]],
      ['a real move resets the silence', [[20, 0], [21, 4], [21, 10], [21, 14]], [20, 21, null, 21]],
      ['event time: the readings\' timestamps, late ones included', [[20, 30], [20, 25], [20, 39], [20, 40]], [20, null, null, 20]],
    ];
    for (const [name, sequence, expected] of table) {
      it(name, function () {
        assert.deepStrictEqual(passed(rules, sequence), expected);
      });
    }

    it('without maxSilence a flat line stays silent', function () {
      assert.deepStrictEqual(passed([{ type: 'deadband', field: 'temperature', delta: 0.1 }], [[20, 0], [20, 600], [20, 6000]]), [20, null, null]);
    });
  });

  describe('what is dropped', function () {
    const rules = [{ type: 'deadband', field: 'temperature', delta: 0.5 }];

    it('only the field when other fields are left; the reading when none is', function () {
      const out = run(rules, [reading(20, 0, undefined, { humidity: 40 }), reading(20.1, 1, undefined, { humidity: 41 }), reading(20.2, 2)]);
      assert.deepStrictEqual(out, [{ temperature: 20, humidity: 40 }, { humidity: 41 }, 'suppressed']);
    });

    it('a suppressed reading is neither refused nor counted as a lookup drop', function () {
      const enrich = enricher(rules);
      enrich.apply(reading(20, 0), {});
      const result = enrich.apply([reading(20.1, 1), reading(30, 2), reading(30.1, 3)], {});
      assert.deepStrictEqual(
        { readings: result.readings.map((r) => r.fields.temperature), refused: result.refused, dropped: result.dropped, suppressed: result.suppressed },
        { readings: [30], refused: [], dropped: 0, suppressed: 2 },
      );
    });

    it('non-numeric values always pass and leave the state as it is', function () {
      const out = run(rules, [reading(20, 0), reading('n/a', 1), reading(true, 2), reading(20.1, 3)]);
      assert.deepStrictEqual(out, [{ temperature: 20 }, { temperature: 'n/a' }, { temperature: true }, 'suppressed']);
    });

    it('a reading without the field is left alone', function () {
      const out = run(rules, [{ measurement: 'telemetry', tags: {}, fields: { humidity: 1 }, timestamp: T0 }]);
      assert.deepStrictEqual(out, [{ humidity: 1 }]);
    });

    it('an invalid reading is refused as invalid and does not touch the state', function () {
      const out = run(rules, [reading(20, 0), { ...reading(99, 1), timestamp: 'soon' }, reading(20.1, 2)]);
      assert.deepStrictEqual(out, [{ temperature: 20 }, 'refused BAD_TIMESTAMP', 'suppressed']);
    });

    it('one rule per field: two rules compress two fields apart', function () {
      const both = [rules[0], { type: 'deadband', field: 'humidity', delta: 5 }];
      const out = run(both, [reading(20, 0, undefined, { humidity: 40 }), reading(21, 1, undefined, { humidity: 41 }), reading(21, 2, undefined, { humidity: 46 }), reading(21.1, 3, undefined, { humidity: 44 })]);
      assert.deepStrictEqual(out, [{ temperature: 20, humidity: 40 }, { temperature: 21 }, { humidity: 46 }, 'suppressed']);
    });
  });

  describe('in a chain', function () {
    it('after an asynchronous rule (JSONata), a batch is still compared in its order', async function () {
      const enrich = enricher([
        { type: 'set', target: 'tags', name: 'band', valueType: 'jsonata', value: 'anything' },
        { type: 'deadband', field: 'temperature', delta: 0.1 },
      ]);
      const result = await enrich.apply([reading(20, 0), reading(20.05, 1), reading(20.2, 2), reading(20.25, 3)], {});
      assert.deepStrictEqual({ passed: result.readings.map((r) => r.fields.temperature), suppressed: result.suppressed }, { passed: [20, 20.2], suppressed: 2 });
    });
  });

  describe('bounded memory', function () {
    it('beyond maxSeries new series pass uncompressed and are counted; known series stay compressed', function () {
      const rules = [{ type: 'deadband', field: 'temperature', delta: 1 }];
      const enrich = enricher(rules, { deadbandMaxSeries: 2 });
      const dev = (n) => ({ device: `dev-${n}` });
      const outs = [[5, 0, dev(1)], [5, 0, dev(2)], [5, 0, dev(3)], [5, 1, dev(3)], [5, 1, dev(1)]].map(([v, m, tags]) => enrich.apply(reading(v, m, tags), {}));
      assert.deepStrictEqual(outs.map((r) => r.readings.length), [1, 1, 1, 1, 0]);
      const { deadband } = enrich.deadbands()[0];
      assert.deepStrictEqual({ size: deadband.size, overflow: deadband.overflow }, { size: 2, overflow: 2 });
    });
  });
});
