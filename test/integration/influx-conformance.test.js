'use strict';
// The InfluxDB 2.x / 3.x conformance server (test/support/influx-conformance) against a real
// influxd 1.6: every refusal and every success case with plain HTTP requests.
const assert = require('assert');
const zlib = require('zlib');
const { startInflux } = require('../support/services');
const { startConformance } = require('../support/influx-conformance');

const nowMs = () => Date.now();

async function call(server, method, path, { headers = {}, body, token = server.token, scheme = 'Token' } = {}) {
  const h = { ...headers };
  if (token !== null && !('Authorization' in h)) h.Authorization = `${scheme} ${token}`;
  if (h.Authorization === undefined) delete h.Authorization;
  const res = await fetch(server.url + path, { method, headers: h, body });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

describe('InfluxDB conformance server (real influxd 1.6 underneath)', function () {
  this.timeout(20000);
  let influx;

  before(async function () {
    influx = await startInflux(this);
  });

  describe('2.x', function () {
    let s;
    const org = 'acme';
    const w = (q = '') => `/api/v2/write?org=${org}&bucket=b2${q}`;

    before(async function () {
      s = await startConformance(this, { version: 2, influx, org, token: 'tok2', buckets: ['b2', 'other'] });
    });
    beforeEach(() => s.reset());

    it('/ping 204 with X-Influxdb-Version v2.x, /health JSON pass, both without a token', async function () {
      const p = await call(s, 'GET', '/ping', { token: null });
      assert.strictEqual(p.status, 204);
      assert.match(p.headers.get('x-influxdb-version'), /^v2\.7\./);
      const h = await call(s, 'GET', '/health', { token: null });
      assert.strictEqual(h.status, 200);
      assert.strictEqual(h.json.status, 'pass');
    });

    it('write with Token auth → 204 and the points are in the bucket\'s database', async function () {
      const t = nowMs();
      const r = await call(s, 'POST', w('&precision=ms'), { body: `cpu,host=a v=1 ${t}\ncpu,host=b v=2 ${t}` });
      assert.strictEqual(r.status, 204, r.text);
      assert.strictEqual(await influx.count('b2', 'cpu'), 2);
      assert.strictEqual(s.count('POST /api/v2/write'), 1);
      assert.strictEqual(s.requests[0].query.precision, 'ms');
    });

    it('gzip bodies are inflated; a broken gzip body → 400 invalid', async function () {
      const t = nowMs();
      const ok = await call(s, 'POST', w('&precision=ms'), { headers: { 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(`gz,host=a v=1 ${t}`) });
      assert.strictEqual(ok.status, 204, ok.text);
      assert.strictEqual(await influx.count('b2', 'gz'), 1);
      const bad = await call(s, 'POST', w(), { headers: { 'Content-Encoding': 'gzip' }, body: 'not gzip' });
      assert.strictEqual(bad.status, 400);
      assert.strictEqual(bad.json.code, 'invalid');
    });

    it('missing, wrong or badly schemed token → 401 {code:"unauthorized"}', async function () {
      for (const opts of [{ token: null }, { token: 'nope' }, { scheme: 'Basic' }]) {
        const r = await call(s, 'POST', w(), { ...opts, body: 'm v=1' });
        assert.strictEqual(r.status, 401, JSON.stringify(opts));
        assert.deepStrictEqual(r.json, { code: 'unauthorized', message: 'unauthorized access' });
      }
    });

    it('unknown org or bucket → 404 {code:"not found"}; no org → 400', async function () {
      let r = await call(s, 'POST', '/api/v2/write?org=nobody&bucket=b2', { body: 'm v=1' });
      assert.strictEqual(r.status, 404);
      assert.deepStrictEqual(r.json, { code: 'not found', message: 'organization name "nobody" not found' });
      r = await call(s, 'POST', `/api/v2/write?org=${org}&bucket=nope`, { body: 'm v=1' });
      assert.strictEqual(r.status, 404);
      assert.deepStrictEqual(r.json, { code: 'not found', message: 'bucket "nope" not found' });
      r = await call(s, 'POST', '/api/v2/write?bucket=b2', { body: 'm v=1' });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.code, 'invalid');
    });

    it('bad precision → 400 invalid with the server\'s message', async function () {
      const r = await call(s, 'POST', w('&precision=n'), { body: 'm v=1' });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.message, 'invalid precision; valid precision units are ns, us, ms, and s');
    });

    it('one bad line → 400 invalid and nothing of the batch is written', async function () {
      const t = nowMs();
      const r = await call(s, 'POST', w('&precision=ms'), { body: `bad1,host=a v=1 ${t}\nbad1,host=a v= ${t}` });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.code, 'invalid');
      assert.match(r.json.message, /unable to parse 'bad1,host=a v= \d+'/);
      assert.strictEqual(await influx.count('b2', 'bad1'), 0);
    });

    it('field type conflict → 422 unprocessable entity, the other points written', async function () {
      const t = nowMs();
      assert.strictEqual((await call(s, 'POST', w('&precision=ms'), { body: `ftc v=1 ${t}` })).status, 204);
      const r = await call(s, 'POST', w('&precision=ms'), { body: `ftc v=2i ${t + 1}\nftc,host=x v=3 ${t + 2}` });
      assert.strictEqual(r.status, 422);
      assert.strictEqual(r.json.code, 'unprocessable entity');
      assert.match(r.json.message, /^failure writing points to database: partial write: field type conflict: .* dropped=1$/);
      assert.strictEqual(await influx.count('b2', 'ftc'), 2);
    });

    it('an integer field takes integer points; unsigned integers conflict with integers', async function () {
      const t = nowMs();
      assert.strictEqual((await call(s, 'POST', w('&precision=ms'), { body: `ints n=1i ${t}` })).status, 204);
      assert.strictEqual((await call(s, 'POST', w('&precision=ms'), { body: `ints n=2i ${t + 1}` })).status, 204);
      const r = await call(s, 'POST', w('&precision=ms'), { body: `ints n=3u ${t + 2}` });
      assert.strictEqual(r.status, 422);
      assert.strictEqual(await influx.count('b2', 'ints'), 2);
    });

    it('delete: predicate with _measurement and tags, AND, time range → InfluxQL DELETE on the storage', async function () {
      const t = nowMs() - 60000;
      const body = [`del,host=a v=1 ${t}`, `del,host=b v=1 ${t}`, `del,host=a v=1 ${t + 30000}`, `keep,host=a v=1 ${t}`].join('\n');
      assert.strictEqual((await call(s, 'POST', w('&precision=ms'), { body })).status, 204);
      const r = await call(s, 'POST', `/api/v2/delete?org=${org}&bucket=b2`, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ start: '1970-01-01T00:00:00Z', stop: new Date(t + 1000).toISOString(), predicate: '_measurement="del" AND "host"="a"' }),
      });
      assert.strictEqual(r.status, 204, r.text);
      assert.strictEqual(await influx.count('b2', 'del'), 2);
      assert.strictEqual(await influx.count('b2', 'keep'), 1);
      assert.deepStrictEqual(s.deletes.at(-1).rules, [
        { key: '_measurement', op: '=', value: 'del' },
        { key: 'host', op: '=', value: 'a' },
      ]);
    });

    it('delete refusals: OR, single quotes, regex, bad time, _field, no bucket', async function () {
      const d = (body, q = `org=${org}&bucket=b2`) => call(s, 'POST', `/api/v2/delete?${q}`, { body: JSON.stringify(body) });
      const range = { start: '2020-01-01T00:00:00Z', stop: '2020-01-02T00:00:00Z' };
      let r = await d({ ...range, predicate: '_measurement="a" OR host="b"' });
      assert.strictEqual(r.status, 400);
      assert.match(r.json.message, /the logical operator OR is not supported yet/);
      r = await d({ ...range, predicate: "host='b'" });
      assert.strictEqual(r.status, 400);
      assert.match(r.json.message, /bad tag value/);
      r = await d({ ...range, predicate: 'host=~/b/' });
      assert.strictEqual(r.status, 400);
      r = await d({ start: 'yesterday', stop: range.stop });
      assert.strictEqual(r.status, 400);
      assert.match(r.json.message, /invalid RFC3339Nano for field start/);
      r = await d({ ...range, predicate: '_field="v"' });
      assert.strictEqual(r.status, 501);
      r = await d(range, `org=${org}`);
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.message, 'Please provide either bucketID or bucket');
    });

    it('buckets: list by name, create with retention, duplicate → 422 conflict, PATCH retention', async function () {
      let r = await call(s, 'GET', `/api/v2/buckets?org=${org}&name=b2`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.buckets.length, 1);
      assert.strictEqual(r.json.buckets[0].name, 'b2');
      r = await call(s, 'POST', '/api/v2/buckets', { body: JSON.stringify({ orgID: s.orgID, name: 'ret', retentionRules: [{ type: 'expire', everySeconds: 7200 }] }) });
      assert.strictEqual(r.status, 201, r.text);
      assert.strictEqual(r.json.retentionRules[0].everySeconds, 7200);
      const rp = await influx.rows('SHOW RETENTION POLICIES', { db: 'ret' });
      assert.strictEqual(rp[0].duration, '2h0m0s');
      const dup = await call(s, 'POST', '/api/v2/buckets', { body: JSON.stringify({ orgID: s.orgID, name: 'ret' }) });
      assert.strictEqual(dup.status, 422);
      assert.strictEqual(dup.json.code, 'conflict');
      const p = await call(s, 'PATCH', `/api/v2/buckets/${r.json.id}`, { body: JSON.stringify({ retentionRules: [{ type: 'expire', everySeconds: 86400 }] }) });
      assert.strictEqual(p.status, 200);
      assert.strictEqual((await influx.rows('SHOW RETENTION POLICIES', { db: 'ret' }))[0].duration, '24h0m0s');
      const short = await call(s, 'PATCH', `/api/v2/buckets/${r.json.id}`, { body: JSON.stringify({ retentionRules: [{ type: 'expire', everySeconds: 60 }] }) });
      assert.strictEqual(short.status, 500);
      const neg = await call(s, 'PATCH', `/api/v2/buckets/${r.json.id}`, { body: JSON.stringify({ retentionRules: [{ type: 'expire', everySeconds: -1 }] }) });
      assert.deepStrictEqual(neg.json, { code: 'unprocessable entity', message: 'expiration seconds cannot be negative' });
      assert.strictEqual((await call(s, 'GET', '/api/v2/buckets?limit=1')).json.buckets.length, 1);
      assert.strictEqual((await call(s, 'GET', '/api/v2/buckets?limit=101')).status, 400);
      const missing = await call(s, 'GET', `/api/v2/buckets?org=${org}&name=nope`);
      assert.strictEqual(missing.status, 404);
      assert.strictEqual(missing.json.message, 'bucket "nope" not found');
    });

    it('orgs lookup by name; unknown → 404', async function () {
      let r = await call(s, 'GET', `/api/v2/orgs?org=${org}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.orgs[0].id, s.orgID);
      r = await call(s, 'GET', '/api/v2/orgs?org=zzz');
      assert.strictEqual(r.status, 404);
    });

    it('dbrps: virtual mapping per bucket, explicit mapping created; /query needs a mapping', async function () {
      let r = await call(s, 'GET', `/api/v2/dbrps?orgID=${s.orgID}&db=b2`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.content[0].virtual, true);
      const bucket = s.bucket('other');
      r = await call(s, 'POST', '/api/v2/dbrps', { body: JSON.stringify({ orgID: s.orgID, bucketID: bucket.id, database: 'legacy', retention_policy: 'autogen', default: true }) });
      assert.strictEqual(r.status, 201, r.text);
      await call(s, 'POST', `/api/v2/write?org=${org}&bucket=other&precision=ms`, { body: `lq v=5 ${nowMs()}` });
      r = await call(s, 'GET', `/query?db=legacy&q=${encodeURIComponent('SELECT v FROM lq')}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.results[0].series[0].values[0][1], 5);
      r = await call(s, 'GET', `/query?db=unmapped&q=${encodeURIComponent('SELECT * FROM lq')}`);
      assert.strictEqual(r.status, 404);
      assert.strictEqual(r.json.message, 'unable to find DBRP');
      r = await call(s, 'GET', `/query?db=b2&q=${encodeURIComponent('SELECT * FROM lq')}`, { token: 'bad' });
      assert.strictEqual(r.status, 401);
      r = await call(s, 'GET', `/query?db=b2&u=x&p=tok2&q=${encodeURIComponent('SHOW MEASUREMENTS')}`, { token: null });
      assert.strictEqual(r.status, 200);
      r = await call(s, 'GET', `/query?q=${encodeURIComponent('SHOW DATABASES')}`);
      assert.deepStrictEqual(r.json.results[0].series[0].values, [['b2'], ['legacy'], ['other'], ['ret']]);
    });

    it('v1 compatibility /write: token as password, DBRP mapping → bucket; missing db 400, unmapped 404', async function () {
      const t = nowMs();
      let r = await call(s, 'POST', `/write?db=b2&u=any&p=tok2&precision=ms`, { token: null, body: `v1w v=1 ${t}` });
      assert.strictEqual(r.status, 204, r.text);
      assert.strictEqual(await influx.count('b2', 'v1w'), 1);
      r = await call(s, 'POST', '/write?precision=ms', { body: `v1w v=1 ${t}` });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.message, 'missing db');
      r = await call(s, 'POST', '/write?db=nomap', { body: `v1w v=1 ${t}` });
      assert.strictEqual(r.status, 404);
      assert.strictEqual(r.json.message, 'no dbrp mapping found');
      r = await call(s, 'POST', '/write?db=b2', { token: null, body: `v1w v=1 ${t}` });
      assert.strictEqual(r.status, 401);
    });

    it('v1 compatibility /query: DELETE works, statements 2.7 does not implement are refused', async function () {
      const t = nowMs() - 10000;
      await call(s, 'POST', w('&precision=ms'), { body: `qd v=1 ${t}\nqd v=2 ${t + 1}` });
      let r = await call(s, 'POST', `/query?db=b2&q=${encodeURIComponent(`DELETE FROM qd WHERE time <= ${t}ms`)}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(await influx.count('b2', 'qd'), 1);
      r = await call(s, 'POST', `/query?db=b2&q=${encodeURIComponent('DROP SERIES FROM qd')}`);
      assert.strictEqual(r.json.results[0].error, 'not implemented: DROP SERIES');
      r = await call(s, 'POST', `/query?q=${encodeURIComponent('CREATE DATABASE x')}`);
      assert.strictEqual(r.json.results[0].error, 'not implemented: CREATE DATABASE');
    });

    it('failNext: the next write gets the injected status, cut, or delay', async function () {
      s.failNext({ status: 503, body: 'overloaded', path: '/api/v2/write' });
      const r = await call(s, 'POST', w(), { body: 'm v=1' });
      assert.strictEqual(r.status, 503);
      assert.strictEqual((await call(s, 'GET', '/ping', { token: null })).status, 204);
      s.failNext({ status: 'destroy' });
      await assert.rejects(call(s, 'GET', '/ping', { token: null }));
      s.failNext({ status: null, delayMs: 300 });
      const t0 = Date.now();
      assert.strictEqual((await call(s, 'GET', '/ping', { token: null })).status, 204);
      assert.ok(Date.now() - t0 >= 280);
    });

    it('the request log keeps the body as sent, gzip inflated', async function () {
      const t = nowMs();
      await call(s, 'POST', w('&precision=ms'), { headers: { 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(`logged v=1 ${t}`) });
      const e = s.requests.at(-1);
      assert.strictEqual(e.body, `logged v=1 ${t}`);
      assert.strictEqual(e.headers['content-encoding'], 'gzip');
      assert.strictEqual(e.status, 204);
    });
  });

  describe('3.x', function () {
    let s;
    const wl = (q) => `/api/v3/write_lp?${q}`;

    before(async function () {
      s = await startConformance(this, { version: 3, influx, token: 'tok3' });
    });
    beforeEach(() => s.reset());

    it('/ping 200 JSON with X-Influxdb-Version 3.x; /health "OK"; both need the token', async function () {
      const p = await call(s, 'GET', '/ping', { scheme: 'Bearer' });
      assert.strictEqual(p.status, 200);
      assert.match(p.headers.get('x-influxdb-version'), /^3\./);
      assert.match(p.json.version, /^3\./);
      assert.strictEqual((await call(s, 'GET', '/health')).text, 'OK');
      assert.strictEqual((await call(s, 'GET', '/health', { token: null })).status, 401);
    });

    it('Bearer and Token both accepted; wrong token 401; malformed header 400', async function () {
      const t = nowMs();
      assert.strictEqual((await call(s, 'POST', wl('db=d1&precision=millisecond'), { scheme: 'Bearer', body: `m v=1 ${t}` })).status, 204);
      assert.strictEqual((await call(s, 'POST', wl('db=d1&precision=millisecond'), { scheme: 'Token', body: `m v=2 ${t + 1}` })).status, 204);
      const bad = await call(s, 'POST', wl('db=d1'), { token: 'x', body: 'm v=1' });
      assert.strictEqual(bad.status, 401);
      assert.deepStrictEqual(bad.json, { error: 'the request was not authenticated' });
      const mal = await call(s, 'POST', wl('db=d1'), { headers: { Authorization: 'tok3' }, body: 'm v=1' });
      assert.strictEqual(mal.status, 400);
      assert.strictEqual(await influx.count('d1', 'm'), 2);
    });

    it('the database is created on first write; configure/database lists it', async function () {
      const r = await call(s, 'GET', '/api/v3/configure/database?format=json');
      assert.strictEqual(r.status, 200);
      assert.ok(r.json.some((x) => x['iox::database'] === 'd1'));
      assert.strictEqual((await call(s, 'GET', '/api/v3/configure/database')).status, 400);
    });

    it('parameters: no db 400, unknown precision 400, bad db name 400, bad encoding 400', async function () {
      assert.strictEqual((await call(s, 'POST', '/api/v3/write_lp', { body: 'm v=1' })).status, 400);
      assert.strictEqual((await call(s, 'POST', wl('db=d1&precision=ms'), { body: 'm v=1' })).status, 400);
      assert.strictEqual((await call(s, 'POST', wl('db=_bad'), { body: 'm v=1' })).status, 400);
      assert.strictEqual((await call(s, 'POST', wl('db=d1'), { headers: { 'Content-Encoding': 'br' }, body: 'm v=1' })).status, 400);
      assert.strictEqual((await call(s, 'POST', wl('db=d1'), { body: '' })).text, 'incoming write was empty');
    });

    it('accept_partial (default): valid lines stored, invalid ones reported with line numbers → 400', async function () {
      const t = nowMs();
      const body = [`part,host=a v=1 ${t}`, '', '# comment', 'part,host=a v=', `part,host=a v="text" ${t + 1}`, `part,host=b v=2 ${t + 2}`].join('\n');
      const r = await call(s, 'POST', wl('db=d1&precision=millisecond'), { body });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.error, 'partial write of line protocol occurred');
      assert.deepStrictEqual(r.json.data.map((e) => e.line_number), [2, 3]);
      assert.strictEqual(r.json.data[1].error_message, "invalid column type for column 'v', expected iox::column_type::field::float, got iox::column_type::field::string");
      assert.ok(r.json.data[1].original_line.length <= 20);
      assert.strictEqual(await influx.count('d1', 'part'), 2);
    });

    it('accept_partial=false: the first bad line refuses the whole write', async function () {
      const t = nowMs();
      const r = await call(s, 'POST', wl('db=d1&precision=millisecond&accept_partial=false'), { body: `strict v=1 ${t}\nstrict v=oops ${t}` });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.error, 'line protocol parsing error');
      assert.strictEqual(r.json.data.line_number, 2);
      assert.strictEqual(await influx.count('d1', 'strict'), 0);
    });

    it('precision auto guesses the unit; nanosecond, second work', async function () {
      const t = nowMs();
      assert.strictEqual((await call(s, 'POST', wl('db=d1'), { body: `pa v=1 ${Math.floor(t / 1000)}\npa v=2 ${t}` })).status, 204);
      const rows = await influx.rows('SELECT v FROM pa', { db: 'd1' });
      assert.strictEqual(rows.length, 2);
      for (const row of rows) assert.ok(Math.abs(row.time - t) < 2000, String(row.time));
      assert.strictEqual((await call(s, 'POST', wl('db=d1&precision=second'), { body: `ps v=1 ${Math.floor(t / 1000)}` })).status, 204);
      assert.strictEqual((await call(s, 'POST', wl('db=d1&precision=nanosecond&no_sync=true'), { body: `ps v=2 ${BigInt(t) * 1000000n + 5n}` })).status, 204);
      assert.strictEqual(s.writes.at(-1).noSync, true);
    });

    it('configure/database: duplicate 409, JSON content type required 415; retention_period set and cleared', async function () {
      const json = { 'Content-Type': 'application/json' };
      assert.strictEqual((await call(s, 'POST', '/api/v3/configure/database', { headers: json, body: JSON.stringify({ db: 'd3', retention_period: '2d' }) })).status, 200);
      assert.strictEqual(s.catalog('d3').retentionPeriod, 172800);
      assert.strictEqual((await influx.rows('SHOW RETENTION POLICIES', { db: 'd3' }))[0].duration, '48h0m0s');
      assert.strictEqual((await call(s, 'POST', '/api/v3/configure/database', { headers: json, body: JSON.stringify({ db: 'd3' }) })).status, 409);
      assert.strictEqual((await call(s, 'POST', '/api/v3/configure/database', { body: JSON.stringify({ db: 'd9' }) })).status, 415);
      assert.strictEqual((await call(s, 'POST', '/api/v3/configure/database/retention_period?db=d3&duration=7d')).status, 204);
      assert.strictEqual(s.catalog('d3').retentionPeriod, 604800);
      assert.strictEqual((await call(s, 'POST', '/api/v3/configure/database/retention_period?db=d3&duration=soon')).status, 400);
      assert.strictEqual((await call(s, 'DELETE', '/api/v3/configure/database/retention_period?db=d3')).status, 204);
      assert.strictEqual(s.catalog('d3').retentionPeriod, null);
    });

    it('/api/v2/write and /write compatibility: no partial writes, 2.x-style JSON errors on /api/v2/write', async function () {
      const t = nowMs();
      let r = await call(s, 'POST', `/api/v2/write?bucket=d1&org=ignored&precision=ms`, { body: `compat v=1 ${t}` });
      assert.strictEqual(r.status, 204, r.text);
      r = await call(s, 'POST', `/api/v2/write?bucket=d1&precision=ms`, { body: `compat v=2 ${t + 1}\ncompat v= ${t + 2}` });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.code, 'invalid');
      r = await call(s, 'POST', `/write?db=d1&precision=ms&p=tok3`, { token: null, body: `compat v=3 ${t + 3}` });
      assert.strictEqual(r.status, 204, r.text);
      assert.strictEqual(await influx.count('d1', 'compat'), 2);
    });

    it('/query InfluxQL against the storage; writes and deletes through InfluxQL refused; no delete endpoint', async function () {
      let r = await call(s, 'GET', `/query?db=d1&q=${encodeURIComponent('SELECT count(v) FROM part')}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.results[0].series[0].values[0][1], 2);
      r = await call(s, 'GET', `/api/v3/query_influxql?db=d1&q=${encodeURIComponent('SELECT v FROM part')}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json[0]['iox::measurement'], 'part');
      r = await call(s, 'POST', `/query?db=d1&q=${encodeURIComponent('DELETE FROM part WHERE time < now()')}`);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.results[0].error, 'This feature is not implemented: DELETE');
      r = await call(s, 'POST', `/api/v3/query_influxql?db=d1&q=${encodeURIComponent('DROP MEASUREMENT part')}`);
      assert.strictEqual(r.status, 405);
      r = await call(s, 'POST', `/query?db=d1&q=${encodeURIComponent('DROP SERIES FROM part')}`);
      assert.match(r.json.results[0].error, /^error in InfluxQL statement/);
      assert.strictEqual(await influx.count('d1', 'part'), 2);
      r = await call(s, 'GET', `/query?db=nowhere&q=${encodeURIComponent('SELECT * FROM x')}`);
      assert.strictEqual(r.json.results[0].error, 'Database nowhere not found');
      r = await call(s, 'GET', `/query?q=${encodeURIComponent('SELECT * FROM x')}`);
      assert.match(r.json.results[0].error, /^must specify a 'db' parameter/);
      r = await call(s, 'GET', `/query?q=${encodeURIComponent('SHOW DATABASES')}`);
      assert.deepStrictEqual(r.json.results[0].series[0].values, [['d1'], ['d3']]);
      r = await call(s, 'GET', `/api/v3/query_influxql?db=nowhere&q=${encodeURIComponent('SELECT * FROM x')}`);
      assert.strictEqual(r.status, 404);
      assert.strictEqual((await call(s, 'POST', '/api/v2/delete?org=x&bucket=d1', { body: '{}' })).status, 404);
      assert.strictEqual(s.count('GET /query'), 4);
      assert.strictEqual(s.count('POST /query'), 2);
    });
  });

  describe('3.x limits (set small; 3 Core defaults: 5 databases, 2000 tables, 500 columns per table)', function () {
    let s;
    const wl = (q) => `/api/v3/write_lp?${q}`;

    before(async function () {
      s = await startConformance(this, { version: 3, influx, token: 'tok3', limits: { databases: 2, tables: 3, columnsPerTable: 4 }, maxBodyBytes: 1000 });
    });

    it('a body over the maximum (plain or once inflated) → 413', async function () {
      const big = 'm v=1\n'.repeat(200);
      let r = await call(s, 'POST', wl('db=l2'), { body: big });
      assert.strictEqual(r.status, 413);
      assert.strictEqual(r.text, 'max request size (1000 bytes) exceeded');
      r = await call(s, 'POST', wl('db=l2'), { headers: { 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(big) });
      assert.strictEqual(r.status, 413);
    });

    it('auth: false (--without-auth) takes requests without a token', async function () {
      const open = await startConformance(null, { version: 3, influx, auth: false });
      try {
        const r = await call(open, 'POST', wl('db=l2&precision=millisecond'), { token: null, body: `noauth v=1 ${nowMs()}` });
        assert.strictEqual(r.status, 204, r.text);
        assert.strictEqual((await call(open, 'GET', '/health', { token: null })).status, 200);
      } finally {
        await open.close();
      }
    });

    it('defaults are 3 Core\'s', function () {
      assert.deepStrictEqual(require('../support/influx-conformance/v3').CORE_LIMITS, { databases: 5, tables: 2000, columnsPerTable: 500 });
    });

    it('limits: columns per table and tables → 422 with the server\'s messages', async function () {
      const t = nowMs();
      let r = await call(s, 'POST', wl('db=l2&precision=millisecond'), { body: `wide a=1,b=2,c=3,d=4 ${t}\nwide e=5 ${t}` });
      assert.strictEqual(r.status, 422);
      assert.match(r.json.data[0].error_message, /^Update to schema would exceed number of columns per table limit of 4 columns$/);
      r = await call(s, 'POST', wl('db=l2&precision=millisecond'), { body: `t2 v=1 ${t}\nt3 v=1 ${t}\nt4 v=1 ${t}` });
      assert.strictEqual(r.status, 422);
      assert.match(r.json.data[0].error_message, /^Update to schema would exceed number of tables limit/);
    });

    it('limits: databases → 422 "Adding a new database would exceed limit of N databases"', async function () {
      assert.strictEqual((await call(s, 'POST', '/api/v3/configure/database', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ db: 'l3', retention_period: '2d' }) })).status, 200);
      const r = await call(s, 'POST', wl('db=l4'), { body: 'm v=1' });
      assert.strictEqual(r.status, 422);
      assert.deepStrictEqual(r.json, { error: 'Adding a new database would exceed limit of 2 databases' });
    });

  });
});

describe('conformance server line-protocol parser', function () {
  const { parseLine } = require('../support/influx-conformance/line-protocol');
  const ok = [
    ['m v=1', { measurement: 'm', fields: { v: ['float', 1] } }],
    ['m,host=a\\ b v=1i,s="x \\"y\\"",b=t,u=3u 1700000000000', { measurement: 'm', tags: { host: 'a b' }, fields: { v: ['integer', 1n], s: ['string', 'x "y"'], b: ['boolean', true], u: ['uinteger', 3n] }, timestamp: 1700000000000n }],
    ['we\\,ird,k\\=1=v\\,2 f\\ x=-1.5e3', { measurement: 'we,ird', tags: { 'k=1': 'v,2' }, fields: { 'f x': ['float', -1500] } }],
    ['m s="a,b c=d" 5', { measurement: 'm', fields: { s: ['string', 'a,b c=d'] }, timestamp: 5n }],
  ];
  for (const [line, want] of ok) {
    it(`parses ${line}`, function () {
      const p = parseLine(line);
      assert.strictEqual(p.measurement, want.measurement);
      assert.deepStrictEqual(Object.fromEntries(p.tags), want.tags || {});
      assert.deepStrictEqual(Object.fromEntries(p.fields.map(([k, f]) => [k, [f.type, f.value]])), want.fields);
      assert.strictEqual(p.timestamp, want.timestamp === undefined ? null : want.timestamp);
    });
  }
  const bad = [
    ['m', 'No fields were provided'],
    ['m v=', 'Unable to parse floating-point value ``'],
    ['m v=abc', 'Unable to parse floating-point value `abc`'],
    ['m v=1 12x', 'Unable to parse timestamp value `12x`'],
    ['m,a=1,a=2 v=1', 'Must not contain duplicate tags, but `a` was repeated'],
    ['m v=1,v=2', "invalid line protocol - multiple instances of 'v' field found"],
    ['m v=99999999999999999999i', 'Unable to parse integer value `99999999999999999999i`'],
    ['m v="open', 'invalid field format: unterminated string'],
    [',t=1 v=1', 'Invalid measurement was provided'],
  ];
  for (const [line, v3] of bad) {
    it(`refuses ${line}`, function () {
      assert.throws(() => parseLine(line), (err) => err.v3 === v3);
    });
  }
});

describe('conformance server 2.x delete predicate grammar', function () {
  let s;
  before(async function () {
    s = await startConformance(null, { version: 2, influx: { createDatabase: async () => {}, query: async () => [] }, setup: false });
  });
  after(() => s.close());
  const ok = [
    ['_measurement="cpu"', [{ key: '_measurement', op: '=', value: 'cpu' }]],
    ['(_measurement="cpu" AND host=server01) and "region" != "eu west"', [
      { key: '_measurement', op: '=', value: 'cpu' },
      { key: 'host', op: '=', value: 'server01' },
      { key: 'region', op: '!=', value: 'eu west' },
    ]],
    ['id=42 AND ok=true', [{ key: 'id', op: '=', value: '42' }, { key: 'ok', op: '=', value: 'true' }]],
    ['"tag \\"q\\""="x"', [{ key: 'tag "q"', op: '=', value: 'x' }]],
  ];
  for (const [src, rules] of ok) {
    it(`accepts ${src}`, function () {
      assert.deepStrictEqual(s.parsePredicate(src), rules);
    });
  }
  const bad = [
    ['a="x" OR b="y"', /the logical operator OR is not supported yet at position 6/],
    ["a='x'", /bad tag value/],
    ['a=~/x/', /not supported yet/],
    ['a > 1', /invalid operator/],
    ['(a="x"', /extra \( seen/],
    ['a="x")', /extra \) seen/],
    ['a="x" AND', /bad logical expression/],
  ];
  for (const [src, re] of bad) {
    it(`refuses ${src}`, function () {
      assert.throws(() => s.parsePredicate(src), re);
    });
  }
});
