'use strict';
// InfluxDB 2.x (OSS 2.7) facade. Sources cited as `2.7:<file>` = influxdata/influxdb branch 2.7;
// "OpenAPI" = influxdata/openapi contracts/oss.yml. Error bodies are `{code, message}` with the
// status from kit/transport/http/error_handler.go (influxDBErrorToStatusCode):
// invalid → 400, unauthorized → 401, forbidden → 403, not found → 404, conflict → 422,
// unprocessable entity → 422, request too large → 413, not implemented → 501.
const { decodeBody, newId } = require('./index');
const { parseLine, splitLines, toStorageLine } = require('./line-protocol');

const STATUS = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not found': 404,
  conflict: 422,
  'unprocessable entity': 422,
  'request too large': 413,
  'not implemented': 501,
  'method not allowed': 405,
  'internal error': 500,
};

const ident = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const str = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function create(h, opts) {
  const serverVersion = opts.serverVersion || 'v2.7.11';
  const maxBody = opts.maxBodyBytes || 0;
  const virtualDbrps = opts.virtualDbrps !== false;
  const org = { id: h.orgID, name: h.org };
  /** name → bucket (2.x shape) */
  const buckets = new Map();
  /** explicit DBRP mappings */
  const dbrps = [];
  /** bucket → measurement → field → type, for what influxd 1.6 cannot check (uinteger). */
  const fieldTypes = new Map();

  // 2.7:kit/transport/http/error_handler.go WriteErrorResponse: JSON {code, message} and the
  // X-Platform-Error-Code header.
  const fail = (reply, code, message) =>
    reply(STATUS[code] || 500, { code, message }, { 'X-Platform-Error-Code': code });

  function bucketJson(b) {
    return {
      id: b.id,
      orgID: org.id,
      type: b.type,
      name: b.name,
      retentionRules: b.everySeconds ? [{ type: 'expire', everySeconds: b.everySeconds, shardGroupDurationSeconds: b.shardGroupDurationSeconds || 0 }] : [],
      createdAt: b.createdAt,
      updatedAt: b.updatedAt,
      links: { self: `/api/v2/buckets/${b.id}`, org: `/api/v2/orgs/${org.id}` },
      labels: [],
    };
  }

  async function createBucket(name, everySeconds = 0) {
    const now = new Date().toISOString();
    const b = { id: newId(), name, type: 'user', everySeconds, createdAt: now, updatedAt: now };
    await h.influx.createDatabase(name);
    await applyRetention(b);
    buckets.set(name, b);
    return b;
  }

  // Bucket retention = the storage's default retention policy (influxd 1.6 keeps `autogen`).
  async function applyRetention(b) {
    b.shardGroupDurationSeconds = shardGroupDuration(b.everySeconds);
    const d = b.everySeconds ? `${b.everySeconds}s` : 'INF';
    await h.influx.query(`ALTER RETENTION POLICY "autogen" ON ${ident(b.name)} DURATION ${d} SHARD DURATION ${b.shardGroupDurationSeconds}s`);
  }

  const findBucket = (nameOrId) => buckets.get(nameOrId) || [...buckets.values()].find((b) => b.id === nameOrId);

  // 2.7:http/tokens.go GetToken: `Token <t>` or `Bearer <t>`, scheme case-insensitive;
  // 2.7:http/authentication_middleware.go: anything else → UnauthorizedError
  // (401 {code:"unauthorized", message:"unauthorized access"}).
  function tokenOf(req) {
    const a = req.headers.authorization || '';
    const m = /^(token|bearer) (.*)$/i.exec(a);
    return m ? m[2] : null;
  }

  // 2.7:http/legacy (v1 compatibility /query, /write): also Basic `user:token` and `?u=&p=token`.
  function v1TokenOf(req, url) {
    const t = tokenOf(req);
    if (t !== null) return t;
    const a = req.headers.authorization || '';
    const m = /^basic (.*)$/i.exec(a);
    if (m) {
      const s = Buffer.from(m[1], 'base64').toString('utf8');
      return s.slice(s.indexOf(':') + 1);
    }
    return url.searchParams.get('p');
  }

  // 2.7:http/requests.go queryOrganization (org= is a name or an id, orgID= an id);
  // 2.7:tenant/service_org.go: no filter → ErrInvalidOrgFilter (400 "Please provide either
  // orgID or org"); 2.7:tenant/error_org.go: unknown name → 404 `organization name "x" not found`,
  // unknown id → 404 "organization not found".
  function orgFrom(params) {
    const o = params.get('org');
    const id = params.get('orgID');
    if (id) return id === org.id ? { org } : { error: ['not found', 'organization not found'] };
    if (o) return o === org.name || o === org.id ? { org } : { error: ['not found', `organization name "${o}" not found`] };
    return { error: ['invalid', 'Please provide either orgID or org'] };
  }

  async function write({ req, url, raw, reply }) {
    const p = url.searchParams;
    // 2.7:http/write_handler.go decodeWriteRequest: precision ns|us|ms|s, default ns, else
    // 400 "invalid precision; valid precision units are ns, us, ms, and s".
    const precision = p.get('precision') || 'ns';
    const storagePrecision = { ns: 'n', us: 'u', ms: 'ms', s: 's' }[precision];
    if (!storagePrecision) return fail(reply, 'invalid', 'invalid precision; valid precision units are ns, us, ms, and s');
    // decodeWriteRequest: no bucket= → 404 "bucket not found".
    if (!p.get('bucket')) return fail(reply, 'not found', 'bucket not found');
    const text = readBatch(req, raw, reply);
    if (text === null) return undefined;
    const o = orgFrom(p);
    if (o.error) return fail(reply, ...o.error);
    // 2.7:tenant/error_bucket.go ErrBucketNotFoundByName: 404 `bucket "x" not found`.
    const b = findBucket(p.get('bucket'));
    if (!b) return fail(reply, 'not found', `bucket "${p.get('bucket')}" not found`);
    return writeInto(reply, b, text, storagePrecision);
  }

  // 2.7:http/points/points_parser.go: body read (gzip per Content-Encoding) errors: bad gzip →
  // 400 "unable to read data: …"; over the max batch size → 413 "unable to read data: …".
  // → the text, or null when a refusal was sent.
  function readBatch(req, raw, reply) {
    const enc = (req.headers['content-encoding'] || '').toLowerCase();
    const body = decodeBody(raw, enc === 'gzip' ? 'gzip' : undefined, maxBody);
    if (body.error === 'size') fail(reply, 'request too large', 'unable to read data: points batch is too large');
    else if (body.error) fail(reply, 'invalid', `unable to read data: ${body.message}`);
    return body.error ? null : body.text;
  }

  /** The bucket the DBRP mapping of `db` (+ `rp`) points to, the default mapping first. */
  function dbrpBucket(db, rp) {
    const list = allDbrps().filter((d) => d.database === db && (!rp || d.retention_policy === rp));
    const d = list.find((x) => x.default) || list[0];
    return d ? [...buckets.values()].find((x) => x.id === d.bucketID) || null : null;
  }

  // 2.7:http/legacy/write_handler.go (v1 compatibility /write): db required (400 "missing db"),
  // the bucket from the DBRP mapping of db (+ rp) (404 "no dbrp mapping found"), then the same
  // parse and write as /api/v2/write (precision as 1.x: n|ns, u|us, ms, s; default ns).
  async function v1write({ req, url, raw, reply }) {
    const p = url.searchParams;
    const storagePrecision = { n: 'n', ns: 'n', u: 'u', us: 'u', ms: 'ms', s: 's' }[p.get('precision') || 'ns'];
    if (!storagePrecision) return fail(reply, 'invalid', 'invalid precision; valid precision units are ns, us, ms, and s');
    if (!p.get('db')) return fail(reply, 'invalid', 'missing db');
    const text = readBatch(req, raw, reply);
    if (text === null) return undefined;
    const b = dbrpBucket(p.get('db'), p.get('rp'));
    if (!b) return fail(reply, 'not found', 'no dbrp mapping found');
    return writeInto(reply, b, text, storagePrecision);
  }

  async function writeInto(reply, b, text, storagePrecision) {
    // points_parser.go: models.ParsePointsWithPrecision; any bad line → 400 invalid with the
    // parser's message, nothing written (the whole batch is refused). OpenAPI documents a `line`
    // member (LineProtocolError), but the 2.7 handler writes only {code, message}.
    const lines = [];
    const errors = [];
    const types = fieldTypes.get(b.name) || new Map();
    for (const { line } of splitLines(text)) {
      try {
        lines.push(parseLine(line));
      } catch (err) {
        errors.push(`unable to parse '${line}': ${err.message}`);
      }
    }
    if (errors.length) return fail(reply, 'invalid', errors.join('\n'));
    if (!lines.length) return reply(204);
    // Field type conflicts: influxd checks float/integer/string/boolean itself; unsigned integers
    // (which influxd 1.6 stores as integers) are checked here, with the storage's message.
    const conflicts = [];
    const keep = [];
    for (const pt of lines) {
      const m = types.get(pt.measurement) || new Map();
      const bad = pt.fields.find(([k, f]) => {
        const t = m.get(k);
        return t && (t === 'uinteger') !== (f.type === 'uinteger');
      });
      if (bad) {
        conflicts.push(`input field "${bad[0]}" on measurement "${pt.measurement}" is type ${bad[1].type}, already exists as type ${m.get(bad[0])}`);
        continue;
      }
      keep.push(pt);
    }
    // Write what passed; a field type conflict in the storage refuses the request, so then the
    // points are written one at a time and the conflicting ones dropped, as 2.x's engine does.
    let storageError = null;
    const landed = [];
    if (keep.length) {
      const all = keep.map((pt) => toStorageLine(pt)).join('\n');
      try {
        await h.influx.write(all, { db: b.name, precision: storagePrecision });
        landed.push(...keep);
      } catch (err) {
        if (!/field type conflict/.test(err.message)) storageError = err;
        else {
          for (const pt of keep) {
            try {
              await h.influx.write(toStorageLine(pt), { db: b.name, precision: storagePrecision });
              landed.push(pt);
            } catch (e) {
              if (!/field type conflict/.test(e.message)) throw e;
              conflicts.push(storageMessage(e).replace(/^.*?field type conflict: /, '').replace(/ dropped=\d+$/, ''));
            }
          }
        }
      }
    }
    // Record the types of what landed (uinteger only matters; others are influxd's).
    for (const pt of landed) {
      if (!types.has(pt.measurement)) types.set(pt.measurement, new Map());
      const m = types.get(pt.measurement);
      for (const [k, f] of pt.fields) if (!m.has(k)) m.set(k, f.type);
    }
    fieldTypes.set(b.name, types);
    if (storageError) return fail(reply, 'internal error', `unexpected error writing points to database: ${storageMessage(storageError)}`);
    // 2.7:http/write_handler.go: tsdb.PartialWriteError (field type conflict: the other points
    // are written) → 422 {code:"unprocessable entity", message:"failure writing points to
    // database: partial write: field type conflict: … dropped=N"}.
    if (conflicts.length) {
      return fail(reply, 'unprocessable entity', `failure writing points to database: partial write: field type conflict: ${conflicts[0]} dropped=${conflicts.length}`);
    }
    return reply(204);
  }

  // 2.7:http/delete_handler.go + 2.7:predicate/parser.go. Predicate grammar: tag rules
  // `key = value` / `key != value` joined by AND, parentheses allowed; key an identifier (bare or
  // "double-quoted"); value an identifier ("double-quoted" or bare), number or true/false.
  // 'single-quoted' values are refused ("bad tag value"), OR is refused ("the logical operator
  // OR is not supported yet at position N"), regex operators are refused. `_measurement` selects
  // the measurement; `_field` → 501 "delete by field is not supported".
  function parsePredicate(src) {
    const toks = [];
    const re = /\s*(?:(\()|(\))|(!=|=~|!~|=|<>|<=|>=|<|>)|("(?:[^"\\]|\\.)*")|('(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*)|(-?\d+(?:\.\d+)?)|(\/(?:[^/\\]|\\.)*\/))/y;
    let m;
    let pos = 0;
    while (pos < src.length && /\S/.test(src.slice(pos))) {
      re.lastIndex = pos;
      m = re.exec(src);
      if (!m) throw new Error(`bad logical expression, at position ${pos}`);
      const at = pos + m[0].length - m[0].trimStart().length;
      if (m[1]) toks.push({ t: '(', at });
      else if (m[2]) toks.push({ t: ')', at });
      else if (m[3]) toks.push({ t: 'op', v: m[3], at });
      else if (m[4]) toks.push({ t: 'ident', v: m[4].slice(1, -1).replace(/\\(.)/g, '$1'), at });
      else if (m[5]) toks.push({ t: 'string', v: m[5], at });
      else if (m[6]) toks.push({ t: /^(and|or)$/i.test(m[6]) ? m[6].toUpperCase() : /^(true|false)$/i.test(m[6]) ? 'bool' : 'ident', v: m[6], at });
      else if (m[7]) toks.push({ t: 'number', v: m[7], at });
      else toks.push({ t: 'regex', v: m[8], at });
      pos = re.lastIndex;
    }
    const rules = [];
    let i = 0;
    let depth = 0;
    let expectRule = true;
    while (i < toks.length) {
      const t = toks[i];
      if (expectRule) {
        if (t.t === '(') {
          depth++;
          i++;
          continue;
        }
        if (t.t !== 'ident') throw new Error(`bad tag key, at position ${t.at}`);
        const op = toks[i + 1];
        if (!op || op.t !== 'op') throw new Error(`invalid operator ${JSON.stringify(op ? op.v || op.t : 'EOF')} at position: ${op ? op.at : src.length}`);
        if (op.v === '=~' || op.v === '!~') throw new Error(`operator: ${JSON.stringify(op.v)} at position: ${op.at} is not supported yet`);
        if (op.v !== '=' && op.v !== '!=') throw new Error(`invalid operator ${JSON.stringify(op.v)} at position: ${op.at}`);
        const val = toks[i + 2];
        if (!val || !['ident', 'number', 'bool'].includes(val.t)) throw new Error(`bad tag value: ${JSON.stringify(val ? val.v : '')}, at position ${val ? val.at : src.length}`);
        rules.push({ key: t.v, op: op.v, value: val.t === 'bool' ? val.v.toLowerCase() : val.v });
        i += 3;
        expectRule = false;
        continue;
      }
      if (t.t === ')') {
        if (--depth < 0) throw new Error('extra ) seen');
        i++;
        continue;
      }
      if (t.t === 'OR') throw new Error(`the logical operator OR is not supported yet at position ${t.at}`);
      if (t.t !== 'AND') throw new Error(`bad logical expression, at position ${t.at}`);
      i++;
      expectRule = true;
    }
    if (depth > 0) throw new Error('extra ( seen');
    if (expectRule && toks.length) throw new Error(`bad logical expression, at position ${src.length}`);
    return rules;
  }

  /** A JSON request body, or null after a 400 "error decoding json body: …" (2.7 handlers). */
  function jsonBody(raw, reply) {
    try {
      const v = JSON.parse(raw.toString('utf8'));
      if (v && typeof v === 'object') return v;
      throw new Error('not an object');
    } catch (err) {
      fail(reply, 'invalid', `error decoding json body: ${err.message}`);
      return null;
    }
  }

  // RFC3339Nano as Go's time.Parse accepts it (a zone is required).
  const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

  async function del({ url, raw, reply }) {
    const body = jsonBody(raw, reply);
    if (!body) return undefined;
    const wrap = (msg) => fail(reply, 'invalid', `error decoding json body: ${msg}`);
    if (typeof body.start !== 'string' || !RFC3339.test(body.start) || Number.isNaN(Date.parse(body.start))) {
      return wrap('invalid RFC3339Nano for field start, please format your time with RFC3339Nano format, example: 2009-01-02T23:00:00Z');
    }
    if (typeof body.stop !== 'string' || !RFC3339.test(body.stop) || Number.isNaN(Date.parse(body.stop))) {
      return wrap('invalid RFC3339Nano for field stop, please format your time with RFC3339Nano format, example: 2009-01-01T23:00:00Z');
    }
    let rules = [];
    if (body.predicate) {
      try {
        rules = parsePredicate(String(body.predicate));
      } catch (err) {
        return wrap(err.message);
      }
      if (rules.some((r) => r.key === '_field' && r.op === '=')) return fail(reply, 'not implemented', 'delete by field is not supported');
    }
    const o = orgFrom(url.searchParams);
    if (o.error) return fail(reply, ...o.error);
    // 2.7:http/requests.go queryBucket: neither bucket nor bucketID → 400 "Please provide
    // either bucketID or bucket".
    const bn = url.searchParams.get('bucketID') || url.searchParams.get('bucket');
    if (!bn) return fail(reply, 'invalid', 'Please provide either bucketID or bucket');
    const b = findBucket(bn);
    if (!b) return fail(reply, 'not found', url.searchParams.get('bucketID') ? 'bucket not found' : `bucket "${bn}" not found`);
    // The storage's delete: every point of the bucket in [start, stop] (both inclusive, as
    // DeleteBucketRangePredicate) matching the tag rules.
    const meas = rules.filter((r) => r.key === '_measurement');
    const tags = rules.filter((r) => r.key !== '_measurement');
    const startNs = toNs(body.start);
    const stopNs = toNs(body.stop);
    const where = [...tags.map((r) => `${ident(r.key)} ${r.op} ${str(r.value)}`), `time >= ${startNs}`, `time <= ${stopNs}`].join(' AND ');
    if (meas.some((r) => r.op === '!=')) {
      const all = await h.influx.query('SHOW MEASUREMENTS', { db: b.name });
      const names = ((all[0].series || [])[0] || { values: [] }).values.map((v) => v[0]);
      const excluded = new Set(meas.filter((r) => r.op === '!=').map((r) => r.value));
      const included = meas.filter((r) => r.op === '=').map((r) => r.value);
      for (const n of names) {
        if (excluded.has(n) || (included.length && !included.every((x) => x === n))) continue;
        await h.influx.query(`DELETE FROM ${ident(n)} WHERE ${where}`, { db: b.name });
      }
    } else if (meas.length) {
      const names = new Set(meas.map((r) => r.value));
      if (names.size === 1) await h.influx.query(`DELETE FROM ${ident(meas[0].value)} WHERE ${where}`, { db: b.name });
    } else {
      await h.influx.query(`DELETE WHERE ${where}`, { db: b.name });
    }
    h.deletes.push({ bucket: b.name, start: body.start, stop: body.stop, predicate: body.predicate || '', rules });
    return reply(204);
  }

  async function bucketsApi({ req, url, raw, reply }) {
    const id = url.pathname.split('/')[4];
    if (req.method === 'GET' && !id) {
      // OpenAPI GET /api/v2/buckets: filters org, orgID, name, id → {links, buckets}.
      let list = [...buckets.values()];
      const p = url.searchParams;
      const withOrg = !!(p.get('org') || p.get('orgID'));
      if (withOrg) {
        const o = orgFrom(p);
        if (o.error) return fail(reply, ...o.error);
      }
      // 2.7:tenant/service_bucket.go FindBuckets: name + org → GetBucketByName, so an unknown
      // name is 404 `bucket "x" not found`; name without org → a (possibly empty) list.
      if (p.get('name') && withOrg && !buckets.has(p.get('name'))) return fail(reply, 'not found', `bucket "${p.get('name')}" not found`);
      if (p.get('name')) list = list.filter((b) => b.name === p.get('name'));
      if (p.get('id')) list = list.filter((b) => b.id === p.get('id'));
      // 2.7:paging.go DecodeFindOptions: limit 1..100 (default 20; else 400 "limit must be
      // between 1 and 100"), offset ≥ 0 (else 400 "offset is invalid").
      const limit = p.get('limit') === null ? 20 : Number(p.get('limit'));
      if (!Number.isInteger(limit)) return fail(reply, 'invalid', 'limit is invalid');
      if (limit < 1 || limit > 100) return fail(reply, 'invalid', 'limit must be between 1 and 100');
      const offset = p.get('offset') === null ? 0 : Number(p.get('offset'));
      if (!Number.isInteger(offset) || offset < 0) return fail(reply, 'invalid', 'offset is invalid');
      list = list.slice(offset, offset + limit);
      return reply(200, { links: { self: '/api/v2/buckets' }, buckets: list.map(bucketJson) });
    }
    if (req.method === 'POST' && !id) {
      // OpenAPI PostBucketRequest: orgID and name required; retentionRules [{type:"expire",
      // everySeconds}] (0 = infinite). 2.7:tenant/error_bucket.go BucketAlreadyExistsError →
      // 422 {code:"conflict", message:"bucket with name x already exists"}.
      const body = jsonBody(raw, reply);
      if (!body) return undefined;
      if (!body.orgID) return fail(reply, 'invalid', 'organization id must be provided');
      if (body.orgID !== org.id) return fail(reply, 'not found', 'organization not found');
      if (!body.name) return fail(reply, 'invalid', 'bucket name is required');
      if (buckets.has(body.name)) return fail(reply, 'conflict', `bucket with name ${body.name} already exists`);
      const every = retentionOf(body.retentionRules);
      if (every.error) return fail(reply, ...every.error);
      const b = await createBucket(body.name, every.seconds);
      return reply(201, bucketJson(b));
    }
    const b = [...buckets.values()].find((x) => x.id === id);
    if (!b) return fail(reply, 'not found', 'bucket not found');
    if (req.method === 'GET') return reply(200, bucketJson(b));
    if (req.method === 'PATCH') {
      // OpenAPI PATCH /api/v2/buckets/{bucketID} (PatchBucketRequest: name, description,
      // retentionRules) → 200 with the bucket.
      const body = jsonBody(raw, reply);
      if (!body) return undefined;
      if (body.retentionRules) {
        const every = retentionOf(body.retentionRules);
        if (every.error) return fail(reply, ...every.error);
        b.everySeconds = every.seconds;
        await applyRetention(b);
      }
      b.updatedAt = new Date().toISOString();
      return reply(200, bucketJson(b));
    }
    if (req.method === 'DELETE') {
      await h.influx.query(`DROP DATABASE ${ident(b.name)}`);
      buckets.delete(b.name);
      return reply(204);
    }
    return fail(reply, 'method not allowed', 'method not allowed');
  }

  // 2.7:tenant/http_server_bucket.go postBucketRequest.OK / bucketUpdate.OK: more than one
  // rule → 422 "buckets cannot have more than one retention rule at this time", negative →
  // 422 "expiration seconds cannot be negative". Shorter than 1h (and not 0): the storage's
  // meta client refuses it with a plain error (2.7:v1/services/meta/client.go
  // ErrRetentionPolicyDurationTooLow), which the error handler turns into 500
  // {code:"internal error", message:"An internal error has occurred - check server logs"}.
  function retentionOf(rules) {
    const list = (rules || []).filter((x) => x);
    if (list.length > 1) return { error: ['unprocessable entity', 'buckets cannot have more than one retention rule at this time'] };
    const r = list[0];
    if (!r || r.everySeconds === undefined || r.everySeconds === null) return { seconds: 0 };
    const s = Number(r.everySeconds);
    if (!Number.isInteger(s)) return { error: ['invalid', 'error decoding json body: everySeconds must be an integer'] };
    if (s < 0) return { error: ['unprocessable entity', 'expiration seconds cannot be negative'] };
    if (s > 0 && s < 3600) return { error: ['internal error', 'An internal error has occurred - check server logs'] };
    return { seconds: s };
  }

  function orgs({ url, reply }) {
    // OpenAPI GET /api/v2/orgs?org=&orgID= → {links, orgs}; unknown name → 404 (tenant/error_org.go).
    const p = url.searchParams;
    if (p.get('org') && p.get('org') !== org.name) return fail(reply, 'not found', `organization name "${p.get('org')}" not found`);
    if (p.get('orgID') && p.get('orgID') !== org.id) return fail(reply, 'not found', 'organization not found');
    return reply(200, { links: { self: '/api/v2/orgs' }, orgs: [{ id: org.id, name: org.name, description: '', links: {} }] });
  }

  // 2.7:dbrp/service.go: every bucket also has a virtual mapping (database = bucket name,
  // retention_policy "autogen", default), listed with virtual: true; explicit mappings first.
  function allDbrps() {
    const out = dbrps.slice();
    if (virtualDbrps) {
      for (const b of buckets.values()) {
        if (b.type !== 'user') continue;
        out.push({ id: b.id, orgID: org.id, bucketID: b.id, database: b.name, retention_policy: 'autogen', default: !dbrps.some((d) => d.database === b.name && d.default), virtual: true });
      }
    }
    return out;
  }

  function dbrpApi({ req, url, raw, reply }) {
    if (req.method === 'GET') {
      // OpenAPI GET /api/v2/dbrps: org or orgID required; filters id, bucketID, default, db, rp.
      const p = url.searchParams;
      const o = orgFrom(p);
      if (o.error) return fail(reply, ...o.error);
      let list = allDbrps();
      if (p.get('db')) list = list.filter((d) => d.database === p.get('db'));
      if (p.get('rp')) list = list.filter((d) => d.retention_policy === p.get('rp'));
      if (p.get('bucketID')) list = list.filter((d) => d.bucketID === p.get('bucketID'));
      if (p.get('id')) list = list.filter((d) => d.id === p.get('id'));
      return reply(200, { content: list });
    }
    if (req.method === 'POST') {
      // OpenAPI DBRPCreate: orgID or org, bucketID, database, retention_policy required → 201.
      const body = jsonBody(raw, reply);
      if (!body) return undefined;
      const o = orgFrom(new URLSearchParams({ ...(body.org ? { org: body.org } : {}), ...(body.orgID ? { orgID: body.orgID } : {}) }));
      if (o.error) return fail(reply, ...o.error);
      const b = [...buckets.values()].find((x) => x.id === body.bucketID);
      if (!b) return fail(reply, 'not found', 'bucket not found');
      if (!body.database || !body.retention_policy) return fail(reply, 'invalid', 'database and retention_policy are required');
      const d = { id: newId(), orgID: org.id, bucketID: b.id, database: body.database, retention_policy: body.retention_policy, default: !!body.default, virtual: false };
      dbrps.push(d);
      return reply(201, d);
    }
    return fail(reply, 'method not allowed', 'method not allowed');
  }

  // v1 compatibility /query (2.7:http/legacy/influxqld_handler.go): InfluxQL on the bucket the
  // DBRP mapping of `db` (and `rp`) points to; no mapping → 404 "unable to find DBRP"
  // (2.7:dbrp/error.go). Statements 2.7 does not implement are refused
  // (2.7:v1/coordinator/statement_executor.go: ErrNotImplemented → "not implemented: <op>").
  const NOT_IMPLEMENTED = /^\s*(ALTER\s+RETENTION\s+POLICY|CREATE\s+(CONTINUOUS\s+QUERY|DATABASE|RETENTION\s+POLICY|SUBSCRIPTION|USER)|DROP\s+(CONTINUOUS\s+QUERY|DATABASE|SERIES|RETENTION\s+POLICY|SHARD|SUBSCRIPTION|USER)|GRANT|REVOKE|SHOW\s+(CONTINUOUS\s+QUERIES|DIAGNOSTICS|GRANTS|MEASUREMENT\s+CARDINALITY|SERIES\s+CARDINALITY|SHARDS|SHARD\s+GROUPS|STATS|SUBSCRIPTIONS|USERS))\b/i;

  async function v1query({ req, url, raw, reply }) {
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST' && /application\/x-www-form-urlencoded/.test(req.headers['content-type'] || '')) {
      for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params.set(k, v);
    }
    const q = params.get('q') || '';
    const db = params.get('db');
    const rp = params.get('rp');
    for (const stmt of q.split(';').filter((s) => s.trim())) {
      const m = NOT_IMPLEMENTED.exec(stmt);
      if (m) return reply(200, { results: [{ statement_id: 0, error: `not implemented: ${m[1].toUpperCase().replace(/\s+/g, ' ')}` }] });
    }
    // 2.7:v1/coordinator/statement_executor.go executeShowDatabasesStatement: the databases of
    // the DBRP mappings (not the storage's).
    if (/^\s*SHOW\s+DATABASES\s*;?\s*$/i.test(q)) {
      const values = [...new Set(allDbrps().map((d) => d.database))].sort().map((n) => [n]);
      return reply(200, { results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values }] }] });
    }
    let target = null;
    if (db) {
      target = dbrpBucket(db, rp);
      if (!target) return fail(reply, 'not found', 'unable to find DBRP');
    }
    const fwd = new URLSearchParams({ q });
    if (target) fwd.set('db', target.name);
    if (params.get('epoch')) fwd.set('epoch', params.get('epoch'));
    // Bound parameters: 2.7's v1 handler (http/legacy/influxqld_handler.go) reads `params` (JSON)
    // into the query request as 1.x does; the storage binds them.
    if (params.get('params')) fwd.set('params', params.get('params'));
    const res = await fetch(`${h.influx.url}/query`, { method: 'POST', body: fwd });
    const text = await res.text();
    return reply(res.status, text, { 'Content-Type': 'application/json' });
  }

  async function handle(ctx) {
    const { req, url, reply } = ctx;
    const path = url.pathname;
    // 2.7:http/handler.go: every response carries X-Influxdb-Build: OSS and X-Influxdb-Version.
    const headers = { 'X-Influxdb-Build': 'OSS', 'X-Influxdb-Version': serverVersion };
    const r = (status, body, extra = {}) => ctx.reply(status, body, { ...headers, ...extra });
    const c = { ...ctx, reply: r };
    // /ping (GET, HEAD) → 204; /health → 200 JSON (2.7:http/health.go); no auth on either.
    if (path === '/ping' && (req.method === 'GET' || req.method === 'HEAD')) return r(204);
    if (path === '/health' && req.method === 'GET') {
      return r(200, { name: 'influxdb', message: 'ready for queries and writes', status: 'pass', checks: [], version: serverVersion, commit: 'conformance' });
    }
    const v1 = path === '/query' || path === '/write';
    const token = v1 ? v1TokenOf(req, url) : tokenOf(req);
    if (token !== h.token) return fail(r, 'unauthorized', 'unauthorized access');
    if (path === '/api/v2/write' && req.method === 'POST') return write(c);
    if (path === '/api/v2/delete' && req.method === 'POST') return del(c);
    if (path === '/api/v2/buckets' || path.startsWith('/api/v2/buckets/')) return bucketsApi(c);
    if (path === '/api/v2/orgs' && req.method === 'GET') return orgs(c);
    if (path === '/api/v2/dbrps') return dbrpApi(c);
    if (path === '/query' && (req.method === 'GET' || req.method === 'POST')) return v1query(c);
    if (path === '/write' && req.method === 'POST') return v1write(c);
    return fail(r, 'not found', 'path not found');
  }

  async function setup() {
    for (const name of [].concat(opts.buckets || [])) await createBucket(name);
  }

  h.deletes = [];
  return {
    handle,
    setup,
    extras: {
      /** Creates a bucket (as POST /api/v2/buckets would); → the bucket JSON. */
      createBucket: async (name, everySeconds = 0) => bucketJson(await createBucket(name, everySeconds)),
      bucket: (name) => (buckets.has(name) ? bucketJson(buckets.get(name)) : null),
      bucketNames: () => [...buckets.keys()],
      dbrps: () => allDbrps(),
      parsePredicate,
    },
  };
}

/** The storage's error text (influxd's JSON `error`) of a failed services.js write. */
function storageMessage(err) {
  const m = /(\{.*\})\s*$/.exec(err.message);
  try {
    return m ? JSON.parse(m[1]).error : err.message;
  } catch {
    return err.message;
  }
}

/**
 * The shard group duration InfluxDB derives from a retention period (2.7:v1/services/meta
 * normalisedShardDuration / 1.x docs): < 2 days → 1h, ≤ 6 months → 1 day, else 7 days.
 */
function shardGroupDuration(everySeconds) {
  if (!everySeconds) return 604800;
  if (everySeconds < 2 * 86400) return 3600;
  if (everySeconds <= 180 * 86400) return 86400;
  return 604800;
}

function toNs(iso) {
  const m = /\.(\d{1,9})/.exec(iso);
  const frac = m ? m[1].padEnd(9, '0') : '000000000';
  const ms = Date.parse(iso.replace(/\.\d+/, ''));
  return (BigInt(Math.floor(ms / 1000)) * 1000000000n + BigInt(frac)).toString();
}

module.exports = { create, shardGroupDuration };
