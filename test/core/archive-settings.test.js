'use strict';
// The archive's config reading (defaults, ranges, clear problems) and its compression choice.
const assert = require('node:assert/strict');
const path = require('node:path');
const { parseArchiveSettings, useGzip, checkTargetName } = require('../../dist/core/archive/settings');

const context = { userDir: '/home/nr/.node-red', nodeId: 'a1b2.c3' };
const read = (config) => parseArchiveSettings({ id: 'a1', type: 'telemetry-archive', server: 's1', ...config }, context);

describe('archive settings', function () {
  it('defaults every setting (an old or minimal flow)', function () {
    assert.deepEqual(read({}), {
      ok: true,
      settings: {
        batchSize: 5000,
        flushIntervalMs: 1000,
        maxConcurrent: 2,
        maxRetries: 3,
        maxBackoffMs: 30000,
        spool: true,
        spoolDir: path.join('/home/nr/.node-red', 'telemetry-spool', 'a1b2.c3'),
        spoolMaxBytes: 512 * 1024 * 1024,
        onSpoolFull: 'drop-oldest',
        gzip: 'auto',
        allowMsgOverride: false,
        fieldTypes: new Map(),
        replayRateCap: undefined,
      },
    });
  });

  it('replayRate: blank or auto is adaptive only, a number caps replay at that many points/s', function () {
    assert.equal(read({ replayRate: '' }).settings.replayRateCap, undefined);
    assert.equal(read({ replayRate: 'auto' }).settings.replayRateCap, undefined);
    assert.equal(read({ replayRate: '2000' }).settings.replayRateCap, 2000);
    assert.equal(read({ replayRate: 500 }).settings.replayRateCap, 500);
  });

  const accepted = [
    ['numbers as text (the editor saves them so)', { batchSize: '250', maxConcurrent: '4', maxRetries: '0' }, { batchSize: 250, maxConcurrent: 4, maxRetries: 0 }],
    ['durations', { flushInterval: '500ms', maxBackoff: '5m' }, { flushIntervalMs: 500, maxBackoffMs: 300000 }],
    ['a plain number of ms', { flushInterval: 250 }, { flushIntervalMs: 250 }],
    ['a relative spool dir is under the user dir', { spoolDir: 'spool/x' }, { spoolDir: path.resolve('/home/nr/.node-red', 'spool/x') }],
    ['an absolute spool dir', { spoolDir: '/var/spool/nr' }, { spoolDir: '/var/spool/nr' }],
    ['fractional MB', { spoolMaxMB: '0.5' }, { spoolMaxBytes: 524288 }],
    ['spool off (checkbox saved as boolean)', { spool: false }, { spool: false }],
    ['spool off (saved as text)', { spool: 'false' }, { spool: false }],
    ['reject-new', { onSpoolFull: 'reject-new' }, { onSpoolFull: 'reject-new' }],
    ['gzip always (old boolean flows)', { gzip: true }, { gzip: true }],
    ['gzip never', { gzip: 'false' }, { gzip: false }],
    ['msg override', { allowMsgOverride: true }, { allowMsgOverride: true }],
    ['field types', { fieldTypes: ' count:integer, state : string,,ok:boolean ' }, { fieldTypes: new Map([['count', 'integer'], ['state', 'string'], ['ok', 'boolean']]) }],
    ['a field name with a colon (the type follows the last one)', { fieldTypes: 'a:b:uinteger' }, { fieldTypes: new Map([['a:b', 'uinteger']]) }],
    ['the same field typed twice alike', { fieldTypes: 'n:float,n:float' }, { fieldTypes: new Map([['n', 'float']]) }],
  ];
  for (const [label, config, expected] of accepted) {
    it(`accepts ${label}`, function () {
      const result = read(config);
      assert.equal(result.ok, true, JSON.stringify(result));
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(result.settings[key], value, key);
    });
  }

  const refused = [
    ['batchSize 0', { batchSize: 0 }, 'badInteger', { name: 'batchSize' }],
    ['batchSize 2.5', { batchSize: 2.5 }, 'badInteger', { name: 'batchSize' }],
    ['batchSize too large', { batchSize: 1e6 }, 'badInteger', { max: '100000' }],
    ['maxConcurrent 0', { maxConcurrent: 0 }, 'badInteger', { name: 'maxConcurrent' }],
    ['maxRetries -1', { maxRetries: -1 }, 'badInteger', { name: 'maxRetries' }],
    ['replayRate 0', { replayRate: 0 }, 'badInteger', { name: 'replayRate' }],
    ['replayRate fast', { replayRate: 'fast' }, 'badInteger', { name: 'replayRate' }],
    ['an unreadable duration', { flushInterval: 'soon' }, 'badDuration', { name: 'flushInterval' }],
    ['flushInterval below 10ms', { flushInterval: '1ms' }, 'durationRange', { name: 'flushInterval' }],
    ['maxBackoff below 100ms', { maxBackoff: '50ms' }, 'durationRange', { name: 'maxBackoff' }],
    ['spoolMaxMB 0', { spoolMaxMB: 0 }, 'badSpoolMax', {}],
    ['spoolMaxMB text', { spoolMaxMB: 'lots' }, 'badSpoolMax', {}],
    ['an unknown onSpoolFull', { onSpoolFull: 'explode' }, 'badOnSpoolFull', { value: 'explode' }],
    ['a field type without a type', { fieldTypes: 'count' }, 'fieldTypeEntry', { entry: 'count' }],
    ['a field type without a name', { fieldTypes: ':integer' }, 'fieldTypeEntry', { entry: ':integer' }],
    ['an empty type', { fieldTypes: 'count:' }, 'fieldTypeEntry', { entry: 'count:' }],
    ['an unknown field type', { fieldTypes: 'count:int' }, 'fieldTypeUnknown', { type: 'int', types: 'float, integer, uinteger, string, boolean' }],
    ['a type in capitals (types are lower case)', { fieldTypes: 'count:Integer' }, 'fieldTypeUnknown', { type: 'Integer' }],
    ['one field typed twice differently', { fieldTypes: 'n:integer,n:float' }, 'fieldTypeTwice', { name: 'n', first: 'integer', second: 'float' }],
  ];
  for (const [label, config, key, params] of refused) {
    it(`refuses ${label} with a clear problem`, function () {
      const result = read(config);
      assert.equal(result.ok, false);
      assert.equal(result.problems[0].key, key);
      for (const [k, v] of Object.entries(params)) assert.equal(result.problems[0].params[k], v, k);
    });
  }

  it('reports every problem, not only the first', function () {
    const result = read({ batchSize: 0, flushInterval: 'soon', onSpoolFull: 'explode' });
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems.map((p) => p.key).sort(), ['badDuration', 'badInteger', 'badOnSpoolFull']);
  });

  it('makes a node id safe as a directory name', function () {
    const result = parseArchiveSettings({ id: 'x', type: 't', server: 's' }, { userDir: '/u', nodeId: 'a/../b' });
    assert.equal(result.settings.spoolDir, path.join('/u', 'telemetry-spool', 'a_.._b'));
  });
});

describe('archive compression choice', function () {
  const cases = [
    ['auto', 'http://127.0.0.1:8086', false],
    ['auto', 'http://localhost:8086', false],
    ['auto', 'http://127.1.2.3:8086', false],
    ['auto', 'http://[::1]:8086', false],
    ['auto', 'http://influx.example.com:8086', true],
    ['auto', 'https://10.0.0.5:8086', true],
    [true, 'http://127.0.0.1:8086', true],
    [false, 'http://influx.example.com:8086', false],
  ];
  for (const [setting, url, expected] of cases) {
    it(`${setting} for ${url} → ${expected ? 'gzip' : 'plain'}`, function () {
      assert.equal(useGzip(setting, url), expected);
    });
  }
});

describe('archive msg.database / msg.retentionPolicy names', function () {
  const cases = [
    ['telemetry', undefined],
    ['my db', undefined],
    [42, 'must be a string'],
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['x'.repeat(256), 'is longer than 255 characters'],
    ['a\nb', 'contains a control character'],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value).slice(0, 20)} → ${expected ?? 'usable'}`, function () {
      assert.equal(checkTargetName(value), expected);
    });
  }
});
