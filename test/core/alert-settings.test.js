'use strict';
// telemetry-alert's config: defaults, rules, every problem reported as an i18n key.
const assert = require('assert');
const { parseSettings } = require('../../dist/core/alert/settings');

const HOT = { field: 'temperature', op: 'above', value: 30, for: '5m', clear: 28, severity: 'warning' };
const keys = (result) => (result.ok ? [] : result.problems.map((p) => p.key));

describe('core/alert settings', function () {
  it('defaults: device, no summary, 100,000 keys', function () {
    const result = parseSettings({ rules: [HOT] });
    assert.ok(result.ok);
    assert.deepStrictEqual(result.settings, {
      rules: [{ field: 'temperature', op: 'above', value: 30, value2: 30, forMs: 300_000, clear: 28, severity: 'warning' }],
      groupBy: ['device'],
      summaryIntervalMs: undefined,
      persistState: false,
      contextStore: '',
      emitReading: false,
      maxKeys: 100_000,
    });
  });

  it('reads rules as JSON text and numbers as text (the editor saves strings)', function () {
    const result = parseSettings({ rules: JSON.stringify([{ field: 'p', op: 'outside', value: '1', value2: '2', for: '', clear: '' }]), groupBy: 'site, device', summaryInterval: '1m', persistState: 'true', emitReading: true, maxKeys: '10' });
    assert.ok(result.ok, JSON.stringify(result.problems));
    const s = result.settings;
    assert.deepStrictEqual([s.rules[0], s.groupBy, s.summaryIntervalMs, s.persistState, s.emitReading, s.maxKeys], [
      { field: 'p', op: 'outside', value: 1, value2: 2, forMs: 0, clear: 0, severity: '' }, ['site', 'device'], 60_000, true, true, 10,
    ]);
  });

  it('clear defaults to the threshold', function () {
    const result = parseSettings({ rules: [{ field: 'b', op: 'below', value: 10 }] });
    assert.strictEqual(result.settings.rules[0].clear, 10);
  });

  const bad = [
    [{}, ['no-rules']],
    [{ rules: '[' }, ['bad-rules']],
    [{ rules: [7] }, ['bad-rule']],
    [{ rules: [{ ...HOT, field: '' }] }, ['rule-no-field']],
    [{ rules: [{ ...HOT, op: 'equals' }] }, ['rule-bad-op']],
    [{ rules: [{ ...HOT, value: 'hot' }] }, ['rule-bad-value']],
    [{ rules: [{ ...HOT, op: 'inside', value2: 1 }] }, ['rule-bad-value2']],
    [{ rules: [{ ...HOT, for: 'a while' }] }, ['bad-duration']],
    [{ rules: [{ ...HOT, clear: 'x' }] }, ['rule-bad-clear']],
    [{ rules: [{ ...HOT, clear: 31 }] }, ['rule-clear-above']],
    [{ rules: [{ ...HOT, op: 'below', clear: 29 }] }, ['rule-clear-below']],
    [{ rules: [{ ...HOT, op: 'outside', value2: 40, clear: -1 }] }, ['rule-clear-outside']],
    [{ rules: [HOT], summaryInterval: '10ms' }, ['summary-too-short']],
    [{ rules: [HOT], summaryInterval: 'often' }, ['bad-duration']],
    [{ rules: [HOT], maxKeys: '0' }, ['bad-max-keys']],
    [{ rules: new Array(101).fill(HOT) }, ['too-many-rules']],
    [{ rules: [{ op: 'x' }], maxKeys: 'many' }, ['bad-max-keys', 'rule-no-field', 'rule-bad-op', 'rule-bad-value']],
  ];
  for (const [raw, expected] of bad) {
    it(`refuses ${JSON.stringify(raw).slice(0, 80)} with ${expected.join(', ')}`, function () {
      assert.deepStrictEqual(keys(parseSettings(raw)), expected);
    });
  }
});
