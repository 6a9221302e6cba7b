'use strict';
// Retained MQTT messages (issue #21): what ingest's `retained` option reads from them.
// `process` (default) as any message; `skip` nothing, and nothing refused; `timestamped` only the
// readings that carry their own event time.
const assert = require('assert');
const { parseIngestConfig } = require('../../dist/core/ingest/config');
const { ingest } = require('../../dist/core/ingest/ingest');
const { NOW, options, codes } = require('../fixtures/ingest/support');

const TS = NOW - 86_400_000; // a day-old retained value
const run = (payload, retained, raw = {}) => ingest({ payload, topic: 'd/dev-1', now: NOW, retained }, options(raw));

describe('ingest: retained messages (issue #21)', function () {
  it('config: process by default; skip and timestamped; anything else is a problem', function () {
    assert.strictEqual(parseIngestConfig({}).settings.options.retained, 'process');
    assert.strictEqual(parseIngestConfig({ retained: 'skip' }).settings.options.retained, 'skip');
    assert.strictEqual(parseIngestConfig({ retained: ' timestamped ' }).settings.options.retained, 'timestamped');
    assert.deepStrictEqual(parseIngestConfig({ retained: 'ignore' }).problems.map((p) => [p.key, p.params.value]), [['badRetained', 'ignore']]);
  });

  it('process: a retained message is read as any other (no time: the arrival time)', function () {
    const result = run('{"t":1}', true);
    assert.deepStrictEqual(result.readings.map((r) => r.timestamp), [NOW]);
    assert.strictEqual(result.skipped, undefined);
  });

  it('skip: a retained message yields nothing, not even a refusal; a live one is read', function () {
    const skipped = run('{"t":1,"ts":' + TS + '}', true, { retained: 'skip' });
    assert.deepStrictEqual([skipped.readings, skipped.rejections, skipped.skipped], [[], [], true]);
    const skippedBad = run('not json {', true, { retained: 'skip' });
    assert.deepStrictEqual([skippedBad.rejections, skippedBad.skipped], [[], true], 'not even parsed');
    assert.strictEqual(run('{"t":1}', false, { retained: 'skip' }).readings.length, 1);
    assert.strictEqual(run('{"t":1}', undefined, { retained: 'skip' }).readings.length, 1);
  });

  describe('timestamped: only readings with their own time', function () {
    // [title, payload, format, accepted timestamps, refusal codes]
    const cases = [
      ['JSON with ts', `{"t":1,"ts":${TS}}`, 'auto', [TS], []],
      ['JSON without a time', '{"t":1}', 'auto', [], ['RETAINED_NO_TIMESTAMP']],
      ['a JSON array: each element on its own', `[{"t":1,"ts":${TS}},{"t":2}]`, 'auto', [TS], ['RETAINED_NO_TIMESTAMP']],
      ['line protocol with a timestamp', `m t=1 ${TS}`, 'line', [TS], []],
      ['line protocol without one', 'm t=1', 'line', [], ['RETAINED_NO_TIMESTAMP']],
      ['line protocol, detected by auto, mixed', `m t=1 ${TS}\nm t=2`, 'auto', [TS], ['RETAINED_NO_TIMESTAMP']],
      ['SenML with an absolute time', `[{"bn":"d:","n":"t","v":1,"t":${TS / 1000}}]`, 'auto', [TS], []],
      ['SenML with a time relative to now is not its own', '[{"bn":"d:","n":"t","v":1,"t":-5}]', 'auto', [], ['RETAINED_NO_TIMESTAMP']],
      ['SenML without a time', '[{"bn":"d:","n":"t","v":1}]', 'senml', [], ['RETAINED_NO_TIMESTAMP']],
      ['a bare value never has one', '21.5', 'value', [], ['RETAINED_NO_TIMESTAMP']],
    ];
    for (const [title, payload, format, accepted, refused] of cases) {
      it(title, function () {
        const result = run(payload, true, { retained: 'timestamped', format });
        assert.deepStrictEqual(result.readings.map((r) => r.timestamp), accepted);
        assert.deepStrictEqual(codes(result), refused);
      });
    }

    it('a live message without a time still gets the arrival time', function () {
      for (const payload of ['{"t":1}', 'm t=1', '[{"n":"t","v":1}]', '21.5']) {
        assert.deepStrictEqual(run(payload, false, { retained: 'timestamped' }).readings.map((r) => r.timestamp), [NOW], payload);
      }
    });

    it('the refusal says why', function () {
      assert.match(run('{"t":1}', true, { retained: 'timestamped' }).rejections[0].message, /retained message.*own timestamp/);
    });
  });
});
