'use strict';
// The node's config read once: defaults, every problem reported (an i18n key) with the field it is in.
const assert = require('assert');
const { parseSettings, splitList } = require('../../dist/core/heartbeat/settings');

describe('core/heartbeat settings', function () {
  it('defaults: tags.device, 5m, no summary, never forget, 1,000,000 devices', function () {
    const result = parseSettings({});
    assert.ok(result.ok);
    const { timeoutTable, ...rest } = result.settings;
    assert.deepStrictEqual(rest, {
      devicePath: ['tags', 'device'],
      timeoutMs: 300_000,
      expected: [],
      summaryIntervalMs: undefined,
      forgetAfterMs: undefined,
      persistState: false,
      contextStore: '',
      timeoutTag: '',
      emitReading: false,
      maxDevices: 1_000_000,
      flapPeriodMs: 0,
    });
    assert.strictEqual(timeoutTable.size, 0);
  });

  it('reads a full config', function () {
    const result = parseSettings({
      deviceKey: 'tags.id', timeout: '30s', expected: 'a, b\nc,,a', summaryInterval: '1m', forgetAfter: '30d',
      persistState: true, contextStore: 'file', timeoutTag: 'kind', timeouts: '{"battery":"1h","mains":60000}',
      emitReading: true, maxDevices: '5000',
    });
    assert.ok(result.ok, JSON.stringify(result.problems));
    const s = result.settings;
    assert.deepStrictEqual(
      [s.devicePath, s.timeoutMs, s.expected, s.summaryIntervalMs, s.forgetAfterMs, s.persistState, s.contextStore, s.timeoutTag, [...s.timeoutTable], s.emitReading, s.maxDevices],
      [['tags', 'id'], 30_000, ['a', 'b', 'c'], 60_000, 2_592_000_000, true, 'file', 'kind', [['battery', 3_600_000], ['mains', 60_000]], true, 5_000],
    );
  });

  it('flapPeriod: a duration; 0, empty or absent (a flow saved before the option) is off', function () {
    assert.deepStrictEqual(
      [{ flapPeriod: '1h' }, { flapPeriod: '0' }, { flapPeriod: 0 }, { flapPeriod: '' }, {}].map((raw) => parseSettings(raw).settings.flapPeriodMs),
      [3_600_000, 0, 0, 0, 0],
    );
  });

  it('takes the timeouts table as an object too', function () {
    const result = parseSettings({ timeouts: { a: '2m' } });
    assert.deepStrictEqual([...result.settings.timeoutTable], [['a', 120_000]]);
  });

  const problems = [
    ['an unreadable timeout', { timeout: 'soon' }, 'timeout', 'bad-duration'],
    ['a zero timeout', { timeout: '0s' }, 'timeout', 'not-positive'],
    ['a summary more often than 1/s', { summaryInterval: '500ms' }, 'summaryInterval', 'summary-too-short'],
    ['an unreadable forgetAfter', { forgetAfter: 'later' }, 'forgetAfter', 'bad-duration'],
    ['an unreadable flapPeriod', { flapPeriod: 'often' }, 'flapPeriod', 'bad-duration'],
    ['a negative flapPeriod', { flapPeriod: '-1m' }, 'flapPeriod', 'bad-duration'],
    ['forgetAfter not longer than the timeout', { timeout: '5m', forgetAfter: '5m' }, 'forgetAfter', 'forget-too-short'],
    ['forgetAfter not longer than a table timeout', { timeout: '1m', forgetAfter: '1h', timeouts: '{"x":"2h"}' }, 'forgetAfter', 'forget-too-short'],
    ['a device key with an empty part', { deviceKey: 'tags..device' }, 'deviceKey', 'bad-device-key'],
    ['timeouts that are not JSON', { timeouts: '{battery: 1h}' }, 'timeouts', 'bad-timeouts'],
    ['timeouts that are an array', { timeouts: '["1h"]' }, 'timeouts', 'bad-timeouts'],
    ['a timeouts row that is no duration', { timeouts: '{"a":"often"}' }, 'timeouts', 'bad-timeouts'],
    ['a timeouts row of 0', { timeouts: '{"a":0}' }, 'timeouts', 'bad-timeouts'],
    ['maxDevices not a whole number', { maxDevices: '1e3.5' }, 'maxDevices', 'bad-max-devices'],
    ['maxDevices of 0', { maxDevices: 0 }, 'maxDevices', 'bad-max-devices'],
    ['maxDevices beyond what a Map can hold', { maxDevices: 20_000_000 }, 'maxDevices', 'bad-max-devices'],
    ['more expected devices than maxDevices', { expected: 'a,b,c', maxDevices: 2 }, 'expected', 'too-many-expected'],
    ['an expected id that is too long', { expected: 'x'.repeat(300) }, 'expected', 'id-too-long'],
  ];
  for (const [title, raw, field, code] of problems) {
    it(`refuses ${title}`, function () {
      const result = parseSettings(raw);
      assert.strictEqual(result.ok, false);
      assert.deepStrictEqual(result.problems.map((p) => [p.params.field, p.key]), [[field, code]]);
    });
  }

  it('reports every problem at once', function () {
    const result = parseSettings({ timeout: 'x', summaryInterval: 'y', deviceKey: '.' });
    assert.deepStrictEqual(result.problems.map((p) => p.params.field).sort(), ['deviceKey', 'summaryInterval', 'timeout']);
  });

  const lists = [['', []], [' a , b ', ['a', 'b']], ['a\nb,\n,c', ['a', 'b', 'c']], ['a,a', ['a']], [undefined, []]];
  for (const [input, expected] of lists) {
    it(`splitList(${JSON.stringify(input)})`, () => assert.deepStrictEqual(splitList(input), expected));
  }
});
