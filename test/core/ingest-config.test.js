'use strict';
const assert = require('assert');
const { parseIngestConfig, DEFAULTS, AUTO_BATCH } = require('../../dist/core/ingest/config');

const problems = (raw) => (parseIngestConfig(raw).problems || []).map((p) => p.key);
/** The settings of a config that must parse. */
const settings = (raw) => {
  const result = parseIngestConfig(raw);
  assert.ok(result.ok, JSON.stringify(result.problems));
  return result.settings;
};

describe('ingest config', function () {
  it('an empty config is wired-only with the documented defaults', function () {
    const config = settings({});
    assert.strictEqual(config.subscription, undefined);
    assert.deepStrictEqual(config.batch, { size: 1000, intervalMs: 2, auto: true }, 'automatic micro-batching');
    const o = config.options;
    assert.strictEqual(o.format, 'auto');
    assert.strictEqual(o.measurement, 'telemetry');
    assert.deepStrictEqual([...o.tagKeys], ['deviceId', 'device', 'site']);
    assert.strictEqual(o.timestampKey, undefined);
    assert.strictEqual(o.maxFutureMs, 86_400_000);
    assert.strictEqual(o.maxPastMs, 3650 * 86_400_000);
    assert.strictEqual(o.senmlUnits, 'tag');
    assert.strictEqual(o.template, undefined);
  });

  it('what the editor saves for a new node parses to the same defaults', function () {
    const editorDefaults = { name: '', broker: '', topic: '', qos: '1', format: 'auto', senmlUnits: 'tag', topicTemplate: '', measurement: 'telemetry', tagKeys: 'deviceId,device,site', timestampKey: '', maxFuture: '1d', maxPast: '3650d', batchSize: '', batchInterval: '' };
    assert.deepStrictEqual(parseIngestConfig(editorDefaults), parseIngestConfig({}));
  });

  describe('subscription', function () {
    const cases = [
      [{ broker: 'b1', topic: 'sensors/#' }, { topic: 'sensors/#', qos: 1 }],
      [{ broker: 'b1', topic: ' $share/g/sensors/+/x ', qos: '2' }, { topic: '$share/g/sensors/+/x', qos: 2 }],
      [{ broker: 'b1', topic: 'a', qos: 0 }, { topic: 'a', qos: 0 }],
      [{ broker: '', topic: 'ignored without a broker' }, undefined],
    ];
    for (const [raw, expected] of cases) {
      it(`${JSON.stringify(raw)}`, function () {
        assert.deepStrictEqual(settings(raw).subscription, expected);
      });
    }
  });

  describe('batching', function () {
    const AUTO = { size: 1000, intervalMs: 2, auto: true };
    const cases = [
      // Both empty (what the editor saves by default): automatic micro-batching.
      [{}, AUTO],
      [{ batchSize: '', batchInterval: '' }, AUTO],
      [{ batchSize: '  ', batchInterval: null }, AUTO],
      // An explicit 0 or 1 without an interval: off, one msg per message.
      [{ batchSize: '0' }, undefined],
      [{ batchSize: 1 }, undefined],
      [{ batchSize: '1', batchInterval: '' }, undefined],
      [{ batchSize: '500' }, { size: 500, intervalMs: 1000 }],
      [{ batchInterval: '250ms' }, { size: DEFAULTS.batchSize, intervalMs: 250 }],
      [{ batchSize: 2, batchInterval: '2s' }, { size: 2, intervalMs: 2000 }],
      [{ batchSize: 100000, batchInterval: '1m' }, { size: 100000, intervalMs: 60000 }],
    ];
    for (const [raw, expected] of cases) {
      it(`${JSON.stringify(raw)} → ${JSON.stringify(expected)}`, function () {
        assert.deepStrictEqual(settings(raw).batch, expected);
      });
    }

    it('the automatic window stays far below the issue\'s ~50 ms latency budget', function () {
      assert.deepStrictEqual(AUTO_BATCH, { size: 1000, intervalMs: 2 });
    });
  });

  describe('time bounds', function () {
    const cases = [
      [{ maxFuture: '5m', maxPast: '30d' }, [300_000, 2_592_000_000]],
      [{ maxFuture: '', maxPast: '' }, [undefined, undefined]],
      [{ maxFuture: '1h30m' }, [5_400_000, 3650 * 86_400_000]],
      [{ maxFuture: 500 }, [500, 3650 * 86_400_000]],
    ];
    for (const [raw, [future, past]] of cases) {
      it(`${JSON.stringify(raw)}`, function () {
        const { options } = settings(raw);
        assert.deepStrictEqual([options.maxFutureMs, options.maxPastMs], [future, past]);
      });
    }
  });

  describe('problems, all reported at once', function () {
    const cases = [
      [{ format: 'xml' }, ['badFormat']],
      [{ broker: 'b1' }, ['badTopic']],
      [{ broker: 'b1', topic: 'a/#/b' }, ['badTopic']],
      [{ broker: 'b1', topic: '$share/g' }, ['badTopic']],
      [{ broker: 'b1', topic: 'a', qos: 3 }, ['badQos']],
      [{ topicTemplate: 'a/{device}/{device}' }, ['badTemplate']],
      [{ measurement: '#comment' }, ['badMeasurement']],
      [{ measurement: 'a\nb' }, ['badMeasurement']],
      [{ tagKeys: 'device,constructor,time' }, ['badTagKey', 'badTagKey']],
      [{ timestampKey: '__proto__' }, ['badTimestampKey']],
      [{ maxFuture: 'soon' }, ['badDuration']],
      [{ maxPast: '-1d' }, ['badDuration']],
      [{ senmlUnits: 'keep' }, ['badSenmlUnits']],
      [{ batchSize: 'many' }, ['badBatchSize']],
      [{ batchSize: '1.5' }, ['badBatchSize']],
      [{ batchSize: '100001' }, ['badBatchSize']],
      [{ batchInterval: '0s' }, ['badDuration']],
      [{ batchInterval: 'often' }, ['badDuration']],
      [{ format: 'xml', broker: 'b', topic: '', maxFuture: 'x' }, ['badFormat', 'badDuration', 'badTopic']],
    ];
    for (const [raw, expected] of cases) {
      it(`${JSON.stringify(raw)} → ${expected.join(', ')}`, function () {
        assert.deepStrictEqual(problems(raw), expected);
        assert.strictEqual(parseIngestConfig(raw).ok, false);
      });
    }

    it('a problem carries the parameters its message needs', function () {
      assert.deepStrictEqual(parseIngestConfig({ topicTemplate: 'a/#/b' }).problems, [
        { key: 'badTemplate', params: { reason: '"#" must be the last level of the topic template' } },
      ]);
    });
  });
});
