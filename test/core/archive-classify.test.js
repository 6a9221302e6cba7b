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
