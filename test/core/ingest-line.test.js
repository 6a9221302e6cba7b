'use strict';
const assert = require('assert');
const { NOW, run, fixture, codes } = require('../fixtures/ingest/support');

describe('ingest line protocol', function () {
  it('Telegraf output (ns, a comment, a trailing blank line)', function () {
    const result = run(fixture('telegraf-cpu-mem.lp'), { format: 'line' });
    assert.deepStrictEqual(result.rejections, []);
    assert.deepStrictEqual(result.readings, [
      { measurement: 'cpu', tags: { cpu: 'cpu-total', host: 'gw-1' }, fields: { usage_idle: 97.5, usage_user: 1.25, usage_system: 1.25 }, timestamp: NOW },
      { measurement: 'mem', tags: { host: 'gw-1' }, fields: { used_percent: 41.3, available: 8123456789 }, timestamp: NOW },
    ]);
    assert.strictEqual(result.multiple, true);
  });

  describe('timestamp units are read from the magnitude', function () {
    const cases = [
      ['nanoseconds', 'm v=1 1714564799123456789', NOW - 877],
      ['microseconds', 'm v=1 1714564799123456', NOW - 877],
      ['milliseconds', 'm v=1 1714564799123', NOW - 877],
      ['seconds', 'm v=1 1714564799', NOW - 1000],
      ['no timestamp: arrival time', 'm v=1', NOW],
    ];
    for (const [what, line, expected] of cases) {
      it(what, function () {
        assert.strictEqual(run(line, { format: 'line' }).readings[0].timestamp, expected);
      });
    }

    it('a nanosecond line after a seconds line is still read exactly', function () {
      const result = run('m v=1 1714564799\nm v=2 1714564799500000000', { format: 'line' });
      assert.deepStrictEqual(result.readings.map((r) => [r.fields.v, r.timestamp]), [[1, NOW - 1000], [2, NOW - 500]]);
    });
  });

  it('one line is a single reading, not an array', function () {
    const result = run('m,device=d1 v=1', { format: 'line' });
    assert.strictEqual(result.multiple, false);
    assert.deepStrictEqual(result.readings, [{ measurement: 'm', tags: { device: 'd1' }, fields: { v: 1 }, timestamp: NOW }]);
  });

  it('a bad line is refused alone, quoting it', function () {
    const result = run('m v=1\nm v=\nm v=3', { format: 'line' });
    assert.deepStrictEqual(result.readings.map((r) => r.fields.v), [1, 3]);
    assert.deepStrictEqual(codes(result), ['PARSE_ERROR']);
    assert.match(result.rejections[0].message, /in line "m v="/);
    assert.strictEqual(result.rejections[0].scope, 'item');
  });

  it('topic-template tags are added and win; the line keeps its measurement', function () {
    const result = run('cpu,host=spoofed,core=0 usage=5', { format: 'line', topic: 'lp/gw-7', topicTemplate: '{measurement}/{host}' });
    assert.deepStrictEqual(result.readings, [{ measurement: 'cpu', tags: { host: 'gw-7', core: '0' }, fields: { usage: 5 }, timestamp: NOW }]);
  });

  it('string fields stay strings, booleans booleans, integers numbers', function () {
    const result = run('m s="1.5",b=t,i=-3i,u=7u,f=1e3', { format: 'line' });
    assert.deepStrictEqual(result.readings[0].fields, { s: '1.5', b: true, i: -3, u: 7, f: 1000 });
  });

  it('a "time" field is refused alone (InfluxDB reserves it)', function () {
    const result = run('m v=1,time=2', { format: 'line' });
    assert.deepStrictEqual(result.readings[0].fields, { v: 1 });
    assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.field]), [['RESERVED_KEY', 'time']]);
  });

  it('a __proto__ tag or field is refused alone', function () {
    const result = run('m,__proto__=x v=1,__proto__=2', { format: 'line' });
    assert.deepStrictEqual(result.readings, [{ measurement: 'm', tags: {}, fields: { v: 1 }, timestamp: NOW }]);
    assert.deepStrictEqual(codes(result), ['UNSAFE_KEY', 'UNSAFE_KEY']);
    assert.strictEqual({}.x, undefined);
  });

  it('a line far in the past is refused with its position', function () {
    const result = run('m v=1 1714564799\nm v=2 946684800', { format: 'line' });
    assert.deepStrictEqual(result.rejections.map((r) => [r.code, r.index]), [['TIMESTAMP_OUT_OF_RANGE', 1]]);
  });

  it('only comments and blank lines: an empty payload', function () {
    assert.deepStrictEqual(codes(run('# nothing\n\n', { format: 'line' })), ['EMPTY_PAYLOAD']);
  });

  it('an already parsed object is not line protocol', function () {
    assert.deepStrictEqual(codes(run({ v: 1 }, { format: 'line' })), ['BAD_PAYLOAD']);
  });

  it('CRLF text works', function () {
    assert.strictEqual(run('m v=1\r\nm v=2\r\n', { format: 'line' }).readings.length, 2);
  });
});
