'use strict';
const assert = require('node:assert/strict');
const { classifyWrite, parseRetryAfter, parseDropped, retryDelay, WRITE_RULES } = require('../../dist/core/archive/classify');

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const res = (status, reason = '', retryAfter) => ({ kind: 'response', status, reason, retryAfter });
const net = (code, message = 'boom') => ({ kind: 'transport', code, message });

describe('archive/classify: what to do with a write answer', function () {
  const table = [
    // [label, outcome, action, code]
    ['204 written', res(204), 'ok', 'OK'],
    ['200 written (2.x proxies)', res(200), 'ok', 'OK'],
    ['connection refused', net('ECONNREFUSED'), 'retry', 'NETWORK'],
    ['connection reset', net('ECONNRESET'), 'retry', 'NETWORK'],
    ['DNS failure', net('ENOTFOUND'), 'retry', 'NETWORK'],
    ['client timeout', net('ETIMEDOUT'), 'retry', 'TIMEOUT'],
    ['500', res(500, 'internal error'), 'retry', 'SERVER_ERROR'],
    ['502 from a proxy', res(502, 'bad gateway'), 'retry', 'SERVER_ERROR'],
    ['503 overloaded', res(503, 'engine: cache maximum memory size exceeded'), 'retry', 'SERVER_ERROR'],
    ['504', res(504), 'retry', 'SERVER_ERROR'],
    ['408 request timeout', res(408), 'retry', 'TIMEOUT'],
    ['429 rate limited', res(429, 'too many requests'), 'retry', 'RATE_LIMITED'],
    ['413 body too large', res(413, 'Request Entity Too Large'), 'split', 'TOO_LARGE'],
    ['400 field type conflict', res(400, 'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1'), 'bisect', 'REFUSED'],
    ['400 unable to parse', res(400, "partial write: unable to parse 'm v= 1': missing field value dropped=0"), 'bisect', 'REFUSED'],
    ['400 beyond retention', res(400, 'partial write: points beyond retention policy dropped=3'), 'bisect', 'REFUSED'],
    ['422 (2.x refused points)', res(422, 'failure writing points to database: partial write'), 'bisect', 'REFUSED'],
    ['404 database not found', res(404, 'database not found: "telemetry"'), 'create-database', 'DATABASE_NOT_FOUND'],
    ['404 without database (wrong path)', res(404, '404 page not found'), 'hold', 'UNEXPECTED'],
    ['500 retention policy not found (1.x)', res(500, 'retention policy not found: weekly'), 'hold', 'RETENTION_POLICY_NOT_FOUND'],
    ['400 retention policy not found', res(400, 'retention policy not found: weekly'), 'hold', 'RETENTION_POLICY_NOT_FOUND'],
    ['401 bad credentials', res(401, 'authorization failed'), 'hold', 'AUTH'],
    ['403 may not write', res(403, 'user is not authorized to write to database'), 'hold', 'FORBIDDEN'],
    ['405 (not InfluxDB)', res(405, 'method not allowed'), 'hold', 'UNEXPECTED'],
    ['301 redirect', res(301), 'hold', 'UNEXPECTED'],
  ];
  for (const [label, outcome, action, code] of table) {
    it(`${label} → ${action} (${code})`, function () {
      const verdict = classifyWrite(outcome, NOW);
      assert.equal(verdict.action, action);
      assert.equal(verdict.code, code);
    });
  }

  it('keeps the server reason and the status in the verdict reason', function () {
    const verdict = classifyWrite(res(400, 'partial write: field type conflict dropped=1'), NOW);
    assert.equal(verdict.reason, 'partial write: field type conflict dropped=1 (HTTP 400)');
  });

  it('names the transport error code in the reason', function () {
    assert.equal(classifyWrite(net('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), NOW).reason, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('carries the dropped count of a partial write', function () {
    assert.equal(classifyWrite(res(400, 'partial write: x dropped=17'), NOW).dropped, 17);
  });

  it('honours Retry-After on 429', function () {
    assert.equal(classifyWrite(res(429, '', '7'), NOW).retryAfterMs, 7000);
  });

  it('honours Retry-After on 503', function () {
    assert.equal(classifyWrite(res(503, '', '2'), NOW).retryAfterMs, 2000);
  });

  it('every rule has a name, an action and a code', function () {
    for (const rule of WRITE_RULES) {
      assert.ok(rule.name && rule.action && rule.code, JSON.stringify(rule));
    }
  });
});

describe('archive/classify: Retry-After and dropped parsing', function () {
  const retryAfter = [
    [undefined, undefined],
    ['0', 0],
    ['5', 5000],
    [' 12 ', 12000],
    ['Thu, 01 Jan 2026 12:00:30 GMT', 30000],
    ['Thu, 01 Jan 2026 11:59:00 GMT', 0],
    ['soon', undefined],
    ['-3', undefined],
    ['1.5', undefined],
  ];
  for (const [input, expected] of retryAfter) {
    it(`Retry-After ${JSON.stringify(input)} → ${expected}`, function () {
      assert.equal(parseRetryAfter(input, NOW), expected);
    });
  }

  const dropped = [
    ['partial write: field type conflict dropped=2', 2],
    ['partial write: unable to parse dropped=0', 0],
    ['no count here', undefined],
  ];
  for (const [reason, expected] of dropped) {
    it(`dropped in ${JSON.stringify(reason)} → ${expected}`, function () {
      assert.equal(parseDropped(reason), expected);
    });
  }
});

describe('archive/classify: retry delay', function () {
  const base = { baseMs: 500, maxMs: 30000 };
  const cases = [
    // [label, attempt, retryAfterMs, random, expected]
    ['first retry, low jitter', 0, undefined, 0, 250],
    ['first retry, high jitter', 0, undefined, 1, 500],
    ['grows exponentially', 3, undefined, 1, 4000],
    ['capped by maxBackoff', 20, undefined, 1, 30000],
    ['Retry-After longer than backoff wins', 0, 10000, 0, 10000],
    ['Retry-After shorter than backoff loses', 3, 100, 1, 4000],
    ['Retry-After beyond maxBackoff is capped', 0, 120000, 0, 30000],
  ];
  for (const [label, attempt, retryAfterMs, r, expected] of cases) {
    it(label, function () {
      const verdict = { action: 'retry', code: 'X', reason: '', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
      assert.equal(retryDelay(attempt, verdict, { ...base, random: () => r }), expected);
    });
  }
});

describe('archive/classify: InfluxDB 2.x and 3.x answers (each row names its rule)', function () {
  const v3Partial = (...lines) => ({
    kind: 'response',
    status: 400,
    reason: 'partial write of line protocol occurred',
    lineErrors: lines.map((line) => ({ line, message: `bad line ${line}` })),
  });
  const table = [
    // [rule name, outcome, action, code]
    ['partial write, the refused lines listed (3.x)', v3Partial(2, 5), 'refuse-lines', 'REFUSED'],
    ['partial write, the refused lines listed (3.x)', { ...v3Partial(3), status: 422 }, 'refuse-lines', 'REFUSED'],
    ['no more databases allowed (3.x)', res(422, 'Adding a new database would exceed limit of 5 databases'), 'hold', 'LIMIT_DATABASES'],
    ['bucket does not exist (2.x)', res(404, 'bucket "telemetry" not found'), 'create-database', 'DATABASE_NOT_FOUND'],
    ['database does not exist', res(404, 'database not found: telemetry'), 'create-database', 'DATABASE_NOT_FOUND'],
    ['credentials refused', res(401, 'unauthorized access'), 'hold', 'AUTH'],
    ['user may not write', res(403, 'insufficient permissions for write'), 'hold', 'FORBIDDEN'],
    ['request body too large', res(413, 'unable to read data: points batch is too large'), 'split', 'TOO_LARGE'],
    ['rate limited', res(429, 'too many requests', '3'), 'retry', 'RATE_LIMITED'],
    ['server error or overload', res(503, 'service unavailable', '4'), 'retry', 'SERVER_ERROR'],
    ['points refused (bad point, type conflict, partial write)', res(400, 'unable to parse \'m v=\': missing field value'), 'bisect', 'REFUSED'],
    ['points refused (bad point, type conflict, partial write)', res(422, 'failure writing points to database: partial write: points beyond retention policy dropped=2'), 'bisect', 'REFUSED'],
    ['points refused (bad point, type conflict, partial write)', res(400, 'parsing failed for write_lp endpoint'), 'bisect', 'REFUSED'],
  ];
  for (const [name, outcome, action, code] of table) {
    it(`${name}: HTTP ${outcome.status} → ${action} (${code})`, function () {
      assert.ok(WRITE_RULES.some((r) => r.name === name), `no rule named ${name}`);
      const verdict = classifyWrite(outcome, NOW);
      assert.equal(verdict.action, action);
      assert.equal(verdict.code, code);
    });
  }

  it('3.x partial write: the verdict carries the listed lines', function () {
    assert.deepEqual(classifyWrite(v3Partial(2), NOW).lineErrors, [{ line: 2, message: 'bad line 2 (HTTP 400, partial write)' }]);
    assert.deepEqual(classifyWrite({ ...v3Partial(2), status: 422 }, NOW).lineErrors, [{ line: 2, message: 'bad line 2 (HTTP 422, partial write)' }]);
  });

  it('2.x 422 beyond retention: dropped covers the range so it is refused without bisecting', function () {
    assert.equal(classifyWrite(res(422, 'partial write: points beyond retention policy dropped=2'), NOW).dropped, 2);
  });

  it('2.x 503 with Retry-After: waits no less', function () {
    assert.equal(classifyWrite(res(503, 'unavailable', '4'), NOW).retryAfterMs, 4000);
  });

  it('a 400 with an empty lineErrors list is bisected', function () {
    assert.equal(classifyWrite({ ...res(400, 'x'), lineErrors: [] }, NOW).action, 'bisect');
  });
});

describe('archive/classify: parseLineErrors reads 3.x partial-write bodies', function () {
  const { parseLineErrors } = require('../../dist/core/archive/classify');
  // The body influxdb3_server returns (its write_lp tests; docs "accept partial writes").
  const partial = JSON.stringify({
    error: 'partial write of line protocol occurred',
    data: [
      { original_line: 'cpu,host=a val= 123', line_number: 2, error_message: 'No fields were provided' },
      { original_line: 'home temp=hi 1', line_number: 4, error_message: "invalid column type for column 'temp'" },
    ],
  });
  const table = [
    ['a partial write', partial, [{ line: 2, message: 'No fields were provided' }, { line: 4, message: "invalid column type for column 'temp'" }]],
    ['accept_partial=false (nothing written: one data object)', JSON.stringify({ error: 'parsing failed for write_lp endpoint', data: { line_number: 2, error_message: 'x' } }), undefined],
    ['a 1.x error body', JSON.stringify({ error: 'partial write: field type conflict dropped=1' }), undefined],
    ['a 2.x error body', JSON.stringify({ code: 'invalid', message: 'unable to parse' }), undefined],
    ['not JSON', '404 page not found', undefined],
    ['a line number that is not a positive integer', JSON.stringify({ error: 'partial write of line protocol occurred', data: [{ line_number: 0, error_message: 'x' }] }), undefined],
    ['an empty list', JSON.stringify({ error: 'partial write of line protocol occurred', data: [] }), undefined],
    ['a missing message takes the error text', JSON.stringify({ error: 'partial write of line protocol occurred', data: [{ line_number: 1 }] }), [{ line: 1, message: 'partial write of line protocol occurred' }]],
  ];
  for (const [label, body, expected] of table) {
    it(label, function () {
      assert.deepEqual(parseLineErrors(body), expected);
    });
  }
});
