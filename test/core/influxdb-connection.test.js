'use strict';
const assert = require('node:assert/strict');
const { parseInfluxConnection, parseInfluxVersion } = require('../../dist/core/influxdb/connection');
const { interpretProbe, majorVersion } = require('../../dist/core/influxdb/probe');

describe('influxdb/connection', function () {
  const versions = [
    // [value, parsed]
    [undefined, 1],
    ['', 1],
    ['1', 1],
    ['2', 2],
    [3, 3],
    ['4', undefined],
    ['v2', undefined],
  ];
  for (const [value, expected] of versions) {
    it(`version ${JSON.stringify(value)} → ${expected}`, function () {
      assert.equal(parseInfluxVersion(value), expected);
    });
  }

  it('a flow saved before `version` existed is 1.x exactly as before', function () {
    const result = parseInfluxConnection({ url: 'http://h:8086', database: 'db', retentionPolicy: 'rp', timeout: '5000' });
    assert.deepEqual(result, {
      ok: true,
      settings: { url: 'http://h:8086', version: 1, database: 'db', retentionPolicy: 'rp', org: undefined, bucket: undefined, timeoutMs: 5000, noSync: false },
    });
  });

  it('1.x keeps its defaults: database telemetry, timeout 10 s', function () {
    const { settings } = parseInfluxConnection({});
    assert.equal(settings.database, 'telemetry');
    assert.equal(settings.url, 'http://127.0.0.1:8086');
    assert.equal(settings.timeoutMs, 10000);
  });

  it('2.x writes go to the bucket; database, retention policy and noSync do not apply', function () {
    const { settings } = parseInfluxConnection({ version: '2', org: ' acme ', bucket: 'sensors', database: 'ignored', retentionPolicy: 'rp', noSync: true });
    assert.equal(settings.version, 2);
    assert.equal(settings.database, 'sensors');
    assert.equal(settings.org, 'acme');
    assert.equal(settings.bucket, 'sensors');
    assert.equal(settings.retentionPolicy, undefined);
    assert.equal(settings.noSync, false);
  });

  it('3.x: database, noSync; no retention policy, org or bucket', function () {
    const { settings } = parseInfluxConnection({ version: '3', database: 'db3', org: 'x', bucket: 'y', retentionPolicy: 'rp', noSync: 'true' });
    assert.deepEqual([settings.database, settings.noSync, settings.retentionPolicy, settings.org, settings.bucket], ['db3', true, undefined, undefined, undefined]);
  });

  const problems = [
    // [label, config, expected problem keys]
    ['unknown version', { version: '9' }, ['errors.version']],
    ['2.x without org and bucket', { version: '2' }, ['errors.org', 'errors.bucket']],
    ['2.x bucket with a line break', { version: '2', org: 'o', bucket: 'a\nb' }, ['errors.bucket']],
    ['3.x without database', { version: '3' }, ['errors.database']],
    ['a URL with user:password', { url: 'http://u:p@h:8086' }, ['errors.url']],
  ];
  for (const [label, config, keys] of problems) {
    it(`refuses ${label}`, function () {
      const result = parseInfluxConnection(config);
      assert.equal(result.ok, false);
      assert.deepEqual(
        result.problems.map((p) => p.key),
        keys,
      );
    });
  }
});

describe('influxdb/probe', function () {
  const majors = [
    ['1.6.7', 1],
    ['v2.7.11', 2],
    ['2.7.1', 2],
    ['3.0.3', 3],
    ['dev', undefined],
    [undefined, undefined],
  ];
  for (const [text, major] of majors) {
    it(`majorVersion(${JSON.stringify(text)}) = ${major}`, function () {
      assert.equal(majorVersion(text), major);
    });
  }

  const base = { configured: 2, serverVersion: 'v2.7.11', auth: 'ok', target: 'exists', name: 'b' };
  const reports = [
    // [label, facts, ok, keys]
    ['all well', {}, true, ['probe.version', 'probe.authOk', 'probe.bucketExists']],
    ['missing bucket will be created', { target: 'missing' }, true, ['probe.version', 'probe.authOk', 'probe.bucketWillBeCreated']],
    ['1.x database', { configured: 1, serverVersion: '1.6.7' }, true, ['probe.version', 'probe.authOk', 'probe.databaseExists']],
    ['version mismatch warns', { serverVersion: '1.6.7' }, true, ['probe.versionMismatch', 'probe.authOk', 'probe.bucketExists']],
    ['no version named', { serverVersion: undefined }, true, ['probe.versionUnknown', 'probe.authOk', 'probe.bucketExists']],
    ['refused credentials', { auth: 'refused', target: 'unknown', detail: '401' }, false, ['probe.version', 'probe.authRefused']],
    ['forbidden', { auth: 'forbidden', target: 'unknown' }, false, ['probe.version', 'probe.authForbidden']],
    ['org missing', { orgMissing: true, target: 'unknown' }, false, ['probe.version', 'probe.authOk', 'probe.orgMissing']],
    ['cannot list databases', { configured: 1, serverVersion: '1.6.7', target: 'unknown' }, true, ['probe.version', 'probe.authOk', 'probe.databaseUnknown']],
    ['unreachable', { unreachable: 'ECONNREFUSED' }, false, ['probe.unreachable']],
  ];
  for (const [label, facts, ok, keys] of reports) {
    it(`report: ${label}`, function () {
      const report = interpretProbe({ ...base, ...facts });
      assert.equal(report.ok, ok);
      assert.deepEqual(
        report.lines.map((l) => l.key),
        keys,
      );
    });
  }

  it('a refusal carries the server reason for the dialog', function () {
    const report = interpretProbe({ ...base, auth: 'refused', detail: 'unauthorized access' });
    assert.deepEqual(report.lines[1], { level: 'error', key: 'probe.authRefused', params: { reason: 'unauthorized access' } });
  });
});
