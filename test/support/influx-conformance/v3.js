'use strict';
// InfluxDB 3 Core facade. Sources cited as `3:<file>` = influxdata/influxdb main
// (influxdb3_server/src/http.rs unless said otherwise). Error bodies as the server writes them:
// mostly plain text `err.to_string()`, JSON `{"error": …, "data": …}` (ErrorMessage) for line
// protocol, partial writes, database-name and limit errors.
const { decodeBody } = require('./index');
const { shardGroupDuration } = require('./v2');
const { parseLine, splitLines, toStorageLine } = require('./line-protocol');

const ident = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

// 3:influxdb3/src/commands/serve.rs: CORE_NUM_DBS_LIMIT 5, CORE_NUM_TABLES_LIMIT 2000,
// CORE_NUM_COLUMNS_PER_TABLE_LIMIT 500.
const CORE_LIMITS = { databases: 5, tables: 2000, columnsPerTable: 500 };
// 3:influxdb3/src/commands/serve.rs --max-http-request-size default 10485760 (10 MiB).
const CORE_MAX_REQUEST = 10485760;

function create(h, opts) {
  const serverVersion = opts.serverVersion || '3.1.0';
  const limits = { ...CORE_LIMITS, ...(opts.limits || {}) };
  const maxBody = opts.maxBodyBytes || CORE_MAX_REQUEST;
  /** The catalog: db → { tables: Map<table, Map<column, type>>, retentionPeriod (s) | null } */
  const catalog = new Map();
  const totalTables = () => [...catalog.values()].reduce((n, d) => n + d.tables.size, 0);

  // 3:influxdb3_server/src/http.rs validate_db_name: starts with a letter or digit, ASCII
  // letters/digits/_/-, one optional '/', at most 64 characters (MAXIMUM_DATABASE_NAME_LENGTH).
  function dbNameError(name) {
    if (!name) return 'db name cannot be empty';
    if (name.length > 64) return 'db name cannot be longer than 64 characters';
    if (!/^[A-Za-z0-9]/.test(name)) return 'db name must start with a letter or number';
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9_-]+)?$/.test(name)) return 'db name must use ASCII letters, numbers, underscores and hyphens only';
    return null;
  }
  const jsonErr = (error, data) => (data === undefined ? { error } : { error, data });

  async function createDb(name, retentionPeriod = null) {
    // 3:influxdb3_catalog/src/error.rs TooManyDbs: "Adding a new database would exceed limit of
    // {n} databases" (422 JSON, IntoResponse for CatalogError).
    if (catalog.size >= limits.databases) {
      const e = new Error(`Adding a new database would exceed limit of ${limits.databases} databases`);
      e.status = 422;
      throw e;
    }
    await h.influx.createDatabase(name);
    catalog.set(name, { tables: new Map(), retentionPeriod });
    if (retentionPeriod) await applyRetention(name, retentionPeriod);
  }

  // Database retention period = the storage's default retention policy. influxd 1.6 refuses
  // policies shorter than 1h: shorter periods are kept in the catalog and stored as 1h.
  async function applyRetention(name, seconds) {
    const kept = seconds ? Math.max(seconds, 3600) : 0;
    const d = kept ? `${kept}s` : 'INF';
    await h.influx.query(`ALTER RETENTION POLICY "autogen" ON ${ident(name)} DURATION ${d} SHARD DURATION ${shardGroupDuration(kept)}s`);
  }

  // 3:influxdb3_types/src/write.rs Precision::guess_precision for `auto`.
  function toNs(ts, precision) {
    let p = precision;
    if (p === 'auto') {
      const v = (ts < 0n ? -ts : ts) / 1000000000n;
      p = v < 5n ? 'second' : v < 5000n ? 'millisecond' : v < 5000000n ? 'microsecond' : 'nanosecond';
    }
    const mul = { second: 1000000000n, millisecond: 1000000n, microsecond: 1000n, nanosecond: 1n }[p];
    return ts * mul;
  }

  // core/schema/src/lib.rs Display for InfluxColumnType: the arrow metadata names.
  const typeName = (t) => (t === 'tag' ? 'iox::column_type::tag' : `iox::column_type::field::${t}`);

  /**
   * 3:influxdb3_write/src/write_buffer/validator.rs validate_and_qualify_v1_line: the table is
   * created on first write (TooManyTables), each tag and field column created with its type
   * (InvalidColumnType when it exists with another, TooManyColumns past the limit), duplicate
   * fields refused. Changes are staged in `staged` and apply only when the write commits.
   */
  function qualify(db, staged, pt) {
    const existing = (catalog.get(db) || { tables: new Map() }).tables;
    let table = staged.get(pt.measurement) || (existing.get(pt.measurement) && new Map(existing.get(pt.measurement)));
    if (!table) {
      const count = totalTables() + [...staged.keys()].filter((k) => !existing.has(k)).length;
      if (count >= limits.tables) {
        return `Update to schema would exceed number of tables limit: attempted to create table but already have ${count} table(s) (limit: ${limits.tables})`;
      }
      table = new Map();
    }
    const cols = [...pt.tags.map(([k]) => [k, 'tag']), ...pt.fields.map(([k, f]) => [k, f.type])];
    for (const [k, t] of cols) {
      const have = table.get(k);
      if (have && have !== t) return `invalid column type for column '${k}', expected ${typeName(have)}, got ${typeName(t)}`;
      if (!have) {
        if (table.size >= limits.columnsPerTable) {
          return `Update to schema would exceed number of columns per table limit of ${limits.columnsPerTable} columns`;
        }
        table.set(k, t);
      }
    }
    staged.set(pt.measurement, table);
    return null;
  }

  async function writeLp({ req, url, raw, reply }) {
    // 3:http.rs write_lp: no query string → 400 "missing query parameter 'db'"
    // (MissingWriteParams); WriteParams {db, precision, accept_partial, no_sync} decoded with
    // serde_urlencoded → 400 "serde error: …" for a missing db, an unknown precision
    // (3:influxdb3_types/src/write.rs Precision, rename_all lowercase: auto | nanosecond |
    // microsecond | millisecond | second) or a non-boolean flag.
    if (!url.search) return reply(400, "missing query parameter 'db'");
    const p = url.searchParams;
    const db = p.get('db');
    if (db === null) return reply(400, 'serde error: missing field `db`');
    const precision = p.get('precision') || 'auto';
    if (!['auto', 'nanosecond', 'microsecond', 'millisecond', 'second'].includes(precision)) {
      return reply(400, `serde error: unknown variant \`${precision}\`, expected one of \`auto\`, \`nanosecond\`, \`microsecond\`, \`millisecond\`, \`second\``);
    }
    for (const flag of ['accept_partial', 'no_sync']) {
      const v = p.get(flag);
      if (v !== null && v !== 'true' && v !== 'false') return reply(400, `serde error: provided string was not \`true\` or \`false\``);
    }
    return writeCore({ req, raw, reply, db, precision, acceptPartial: p.get('accept_partial') !== 'false', noSync: p.get('no_sync') === 'true' });
  }

  /** 3:http.rs write_lp_inner: what /api/v3/write_lp, /api/v2/write and /write share. */
  async function writeCore({ req, raw, reply, db, precision, acceptPartial, noSync }) {
    // 3:http.rs validate_db_name → 400 JSON {"error": …} (Self::DbName).
    const nameErr = dbNameError(db);
    if (nameErr) return reply(400, jsonErr(nameErr));
    // 3:http.rs read_body: Content-Encoding absent|identity|gzip else 400 "unacceptable
    // content-encoding: x"; bad gzip 400 "error decoding gzip stream: …"; over the max →
    // 413 "max request size (N bytes) exceeded".
    const body = decodeBody(raw, req.headers['content-encoding'], maxBody);
    if (body.error === 'encoding') return reply(400, `unacceptable content-encoding: ${body.message}`);
    if (body.error === 'gzip') return reply(400, `error decoding gzip stream: ${body.message}`);
    if (body.error === 'size') return reply(413, `max request size (${maxBody} bytes) exceeded`);
    // 3:write_buffer/validator.rs WriteValidator::initialize → catalog.begin: the database is
    // created on first write, unless that exceeds the database limit (CatalogError::TooManyDbs
    // → 422 JSON {"error": "Adding a new database would exceed limit of 5 databases"}).
    if (!catalog.has(db) && catalog.size >= limits.databases) {
      return reply(422, jsonErr(`Adding a new database would exceed limit of ${limits.databases} databases`));
    }
    const nowNs = BigInt(Date.now()) * 1000000n;
    const staged = new Map();
    const good = [];
    const invalid = [];
    for (const { line, ordinal } of splitLines(body.text)) {
      let err;
      let pt;
      try {
        pt = parseLine(line);
        err = qualify(db, staged, pt);
      } catch (e) {
        err = e.v3 || e.message;
      }
      if (err) {
        // 3:influxdb3_types/src/write.rs WriteLineError: {error_message, line_number (1-based),
        // original_line (serialized truncated to 20 bytes)}.
        const le = { error_message: err, line_number: ordinal, original_line: Buffer.from(line).subarray(0, 20).toString('utf8').replace(/\uFFFD$/, '') };
        // validator.rs: accept_partial=false → the first bad line fails the whole write:
        // 400 {"error":"line protocol parsing error","data":{…}} (IntoResponse ParseError).
        if (!acceptPartial) return reply(400, jsonErr('line protocol parsing error', le));
        invalid.push(le);
        continue;
      }
      const ts = pt.timestamp === null ? nowNs : toNs(pt.timestamp, precision);
      good.push(toStorageLine(pt, ts));
    }
    // 3:influxdb3_write/src/write_buffer/mod.rs: no line and no error → EmptyWrite, 400
    // "incoming write was empty".
    if (!good.length && !invalid.length) return reply(400, 'incoming write was empty');
    if (good.length) {
      if (!catalog.has(db)) await createDb(db);
      const d = catalog.get(db);
      for (const [t, cols] of staged) d.tables.set(t, cols);
      await h.influx.write(good.join('\n'), { db, precision: 'n' });
      h.writes.push({ db, lines: good.length, noSync, precision });
    }
    // 3:http.rs write_lp_inner → Error::PartialLpWrite: 400, or 422 when a line hit a limit
    // ("Update to schema would exceed number of…" / "Adding a new database would exceed
    // limit of…"), body {"error":"partial write of line protocol occurred","data":[…]}.
    if (invalid.length) {
      const limitHit = invalid.some((e) => /^(Update to schema would exceed number of|Adding a new database would exceed limit of)/.test(e.error_message));
      return reply(limitHit ? 422 : 400, jsonErr('partial write of line protocol occurred', invalid));
    }
    return reply(204);
  }

  // 3:http.rs route_request POST /api/v2/write and /write: legacy_write_param_unifier
  // parse_v2 / parse_v1 (bucket or db → the database, precision ns|us|ms|s as 2.x/1.x; /write
  // also n|u), then write_lp_inner with accept_partial = false (From<iox_http WriteParams>).
  // /api/v2/write errors are JSON {code, message} (V2WriteApiError: invalid 400,
  // unauthorized 401, forbidden 403, not found 404, request too large 413).
  const LEGACY_PRECISION = { ns: 'nanosecond', n: 'nanosecond', us: 'microsecond', u: 'microsecond', ms: 'millisecond', s: 'second' };
  async function legacyWrite({ req, url, raw, reply, v2 }) {
    const p = url.searchParams;
    const db = v2 ? p.get('bucket') : p.get('db');
    const prec = p.get('precision') || 'ns';
    const precision = LEGACY_PRECISION[prec];
    const codeOf = (status) => ({ 400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 413: 'request too large', 422: 'invalid' })[status] || 'internal error';
    const out = v2
      ? (status, body, headers) => {
          if (status < 300) return reply(status, body, headers);
          const message = typeof body === 'string' ? body : JSON.stringify(body);
          return reply(status === 422 ? 400 : status, { code: codeOf(status), message });
        }
      : reply;
    if (!db) return out(400, v2 ? 'missing bucket value' : 'missing db value');
    if (!precision || (v2 && (prec === 'n' || prec === 'u'))) return out(400, `invalid precision value: ${prec}`);
    return writeCore({ req, raw, reply: out, db, precision, acceptPartial: false, noSync: false });
  }

  function readJson(req, raw, reply) {
    // 3:http.rs read_body_json: Content-Type must be application/json → else 415
    // "unacceptable content-type, expected: application/json"; bad JSON → 400 "serde json error: …".
    const ct = req.headers['content-type'] || '';
    if (!/^application\/([a-z.+-]*\+)?json\b/i.test(ct)) {
      reply(415, 'unacceptable content-type, expected: application/json');
      return null;
    }
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (err) {
      reply(400, `serde json error: ${err.message}`);
      return null;
    }
  }

  // humantime durations as 3 Core's retention_period (humantime_serde): "30d", "1h 30m", "7days".
  function humantime(s) {
    const units = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, sec: 1, secs: 1, second: 1, seconds: 1, m: 60, min: 60, mins: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400, w: 604800, week: 604800, weeks: 604800, M: 2630016, month: 2630016, months: 2630016, y: 31557600, year: 31557600, years: 31557600 };
    const parts = String(s).trim().split(/\s+/);
    let total = 0;
    for (const part of parts) {
      const re = /(\d+)([A-Za-z]+)/gy;
      let m;
      let consumed = 0;
      while ((m = re.exec(part))) {
        if (!(m[2] in units)) return null;
        total += Number(m[1]) * units[m[2]];
        consumed = re.lastIndex;
      }
      if (consumed !== part.length || !part) return null;
    }
    return total;
  }

  async function configureDatabase({ req, url, raw, reply }) {
    if (req.method === 'GET') {
      // 3:http.rs show_databases: ShowDatabasesRequest {format (required), show_deleted} →
      // JSON rows [{"iox::database": name}] (3:influxdb3/tests/cli/mod.rs); `_internal` exists.
      const format = url.searchParams.get('format');
      if (!format) return reply(400, 'serde error: missing field `format`');
      if (format !== 'json') return reply(400, `format ${format} is not supported by the conformance server (json only)`);
      const rows = [{ 'iox::database': '_internal' }, ...[...catalog.keys()].sort().map((n) => ({ 'iox::database': n }))];
      return reply(200, rows, { 'Content-Type': 'application/json' });
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      // POST: CreateDatabaseRequest {db, retention_period (humantime, optional)} → 200 empty;
      // exists → CatalogError::AlreadyExists 409 "attempted to create a resource that already
      // exists". PUT: UpdateDatabaseRequest {db, retention_period}: absent clears it → 200.
      const body = readJson(req, raw, reply);
      if (!body) return undefined;
      if (typeof body.db !== 'string') return reply(400, 'serde json error: missing field `db`');
      let seconds = null;
      if (body.retention_period !== undefined && body.retention_period !== null) {
        seconds = humantime(body.retention_period);
        if (seconds === null) return reply(400, `serde json error: invalid duration ${JSON.stringify(body.retention_period)}`);
      }
      if (req.method === 'PUT') {
        const d = catalog.get(body.db);
        if (!d) return reply(404, `the requested resource was not found: ${body.db}`);
        d.retentionPeriod = seconds;
        await applyRetention(body.db, seconds);
        return reply(200, '');
      }
      const nameErr = dbNameError(body.db);
      if (nameErr) return reply(400, jsonErr(nameErr));
      if (catalog.has(body.db)) return reply(409, 'attempted to create a resource that already exists');
      try {
        await createDb(body.db, seconds);
      } catch (err) {
        if (err.status === 422) return reply(422, jsonErr(err.message));
        throw err;
      }
      return reply(200, '');
    }
    if (req.method === 'DELETE') {
      // DeleteDatabaseRequest {db} in the query → 200; unknown → 404 (CatalogError::NotFound).
      const db = url.searchParams.get('db');
      if (!db) return reply(400, 'serde error: missing field `db`');
      if (!catalog.has(db)) return reply(404, `the requested resource was not found: ${db}`);
      catalog.delete(db);
      await h.influx.query(`DROP DATABASE ${ident(db)}`);
      return reply(200, '');
    }
    return reply(404, 'not found');
  }

  async function retentionPeriod({ req, url, reply }) {
    // 3:http.rs set_/clear_retention_period_for_database: ?db=&duration=<humantime> → 204;
    // bad duration → 400 "Cannot parse the given human time: …"; unknown db → 404.
    const db = url.searchParams.get('db');
    if (!db) return reply(400, 'serde error: missing field `db`');
    const d = catalog.get(db);
    if (req.method === 'POST') {
      const dur = url.searchParams.get('duration');
      if (dur === null) return reply(400, 'serde error: missing field `duration`');
      const seconds = humantime(dur);
      if (seconds === null) return reply(400, `Cannot parse the given human time: ${dur}`);
      if (!d) return reply(404, `the requested resource was not found: ${db}`);
      d.retentionPeriod = seconds;
      await applyRetention(db, seconds);
      return reply(204);
    }
    if (!d) return reply(404, `the requested resource was not found: ${db}`);
    d.retentionPeriod = null;
    await applyRetention(db, 0);
    return reply(204);
  }

  // InfluxQL in 3 Core is read-only. core/iox_query_influxql/src/plan/planner.rs
  // statement_to_plan: CREATE DATABASE, DELETE, DROP MEASUREMENT → "This feature is not
  // implemented: <op>" (DataFusionError::NotImplemented); the InfluxQL parser knows no other
  // writing statement (ALTER, DROP SERIES, …): a parse error. 3 Core has no delete by time.
  const NOT_IMPLEMENTED = /^\s*(CREATE\s+DATABASE|DELETE|DROP\s+MEASUREMENT)\b/i;
  const READ_ONLY = /^\s*(SELECT|EXPLAIN|SHOW\s+(MEASUREMENTS|TAG\s+KEYS|TAG\s+VALUES|FIELD\s+KEYS|DATABASES|RETENTION\s+POLICIES))\b/i;
  function statementError(stmt) {
    const m = NOT_IMPLEMENTED.exec(stmt);
    if (m) return { kind: 'not implemented', message: `This feature is not implemented: ${m[1].toUpperCase().replace(/\s+/g, ' ')}` };
    if (!READ_ONLY.test(stmt)) return { kind: 'parse', message: `error in InfluxQL statement: parse error: ${stmt.trim().split(/\s+/)[0]}` };
    return null;
  }

  async function influxql({ req, url, raw, reply, v1 }) {
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      const ct = req.headers['content-type'] || '';
      if (/json/.test(ct)) {
        try {
          for (const [k, v] of Object.entries(JSON.parse(raw.toString('utf8')))) {
            // `params` (QueryRequestObject.params in 3 Core's API reference): an object of bound values.
            params.set(k === 'database' ? 'db' : k, k === 'params' ? JSON.stringify(v) : String(v));
          }
        } catch (err) {
          return reply(400, `serde json error: ${err.message}`);
        }
      } else if (/x-www-form-urlencoded/.test(ct)) {
        for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params.set(k, v);
      }
    }
    const q = params.get('q');
    const db = params.get('db') || params.get('database');
    // 3:http.rs MissingQueryParams / MissingQueryV1Params: 400.
    if (!q) return reply(400, v1 ? "missing query parameter 'q'" : "missing query parameters 'db' and 'q'");
    const statements = q.split(';').filter((s) => s.trim());
    // query_influxql: "must provide only one InfluxQl statement per query".
    if (!v1 && statements.length > 1) return reply(400, 'must provide only one InfluxQl statement per query');
    // core/iox_v1_query_api/src/handler.rs: on /query a statement that fails (not implemented,
    // parse error, "Database X not found") is an `error` in a 200 response, as 1.x; on
    // /api/v3/query_influxql NotImplemented → 405 and a parse error → 400 (3:http.rs
    // datafusion_error_status_code), an unknown database → 404 JSON (QueryExecutorError::
    // DatabaseNotFound).
    for (const st of statements) {
      const e = statementError(st);
      if (!e) continue;
      if (v1) return reply(200, { results: [{ statement_id: 0, error: e.message }] });
      return reply(e.kind === 'not implemented' ? 405 : 400, e.message);
    }
    // Error::InfluxqlNoDatabase: "must specify a 'db' parameter, or provide the database in the
    // InfluxQL query" (a statement error on /query, 400 on query_influxql).
    if (!db && !/^\s*SHOW\s+DATABASES/i.test(q) && !/\bFROM\s+"?[^".\s]+"?\."/i.test(q)) {
      const message = "must specify a 'db' parameter, or provide the database in the InfluxQL query";
      return v1 ? reply(200, { results: [{ statement_id: 0, error: message }] }) : reply(400, message);
    }
    if (db && !catalog.has(db) && !/^\s*SHOW\s+DATABASES/i.test(q)) {
      if (v1) return reply(200, { results: [{ statement_id: 0, error: `Database ${db} not found` }] });
      return reply(404, jsonErr(`query error: database not found: ${db}`));
    }
    // SHOW DATABASES lists the catalog's databases (core/iox_v1_query_api handler.rs
    // show_databases), not the storage's.
    if (/^\s*SHOW\s+DATABASES\s*;?\s*$/i.test(q)) {
      const values = [...catalog.keys()].sort().map((n) => [n]);
      if (v1) return reply(200, { results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values }] }] });
      return reply(200, values.map(([n]) => ({ 'iox::measurement': 'databases', name: n })), { 'Content-Type': 'application/json' });
    }
    const fwd = new URLSearchParams({ q });
    if (db) fwd.set('db', db);
    if (params.get('epoch')) fwd.set('epoch', params.get('epoch'));
    // /api/v3/query_influxql binds `$name` from `params` (3 Core API reference, QueryRequestObject);
    // the v1 /query is documented without it, so it is not forwarded there.
    if (!v1 && params.get('params')) fwd.set('params', params.get('params'));
    const res = await fetch(`${h.influx.url}/query`, { method: 'POST', body: fwd });
    const text = await res.text();
    if (v1) return reply(res.status, text, { 'Content-Type': 'application/json' });
    // /api/v3/query_influxql format=json: an array of rows with the measurement as
    // "iox::measurement".
    const parsed = JSON.parse(text);
    const rows = [];
    for (const r of parsed.results || []) {
      if (r.error) return reply(400, r.error);
      for (const s of r.series || []) {
        for (const v of s.values) {
          const row = { 'iox::measurement': s.name };
          Object.assign(row, s.tags || {});
          s.columns.forEach((c, i) => {
            if (v[i] !== null) row[c] = v[i];
          });
          rows.push(row);
        }
      }
    }
    return reply(200, rows, { 'Content-Type': 'application/json' });
  }

  async function handle(ctx) {
    const { req, url, reply } = ctx;
    const path = url.pathname;
    // /health and /api/v1/health (GET) → 200 "OK" text/plain; /ping (GET, POST) → 200 JSON
    // PingResponse {product_name: "InfluxDB 3 Core", version, revision, process_id}
    // (influxdb3_types/src/http.rs, influxdb3_server/src/lib.rs PRODUCT_NAME) with
    // X-Influxdb-Version and X-Influxdb-Build. Both need auth in 3 Core unless disabled with
    // --disable-authz health,ping; the facade requires it too.
    const bad = authError(req, url);
    if (bad) return reply(bad.status, bad.body);
    if ((path === '/health' || path === '/api/v1/health') && req.method === 'GET') return reply(200, 'OK');
    if (path === '/ping' && (req.method === 'GET' || req.method === 'POST')) {
      return reply(200, { product_name: 'InfluxDB 3 Core', version: serverVersion, revision: 'conformance', process_id: h.processId }, {
        'X-Influxdb-Version': serverVersion,
        'X-Influxdb-Build': 'Core',
      });
    }
    if (path === '/api/v3/write_lp' && req.method === 'POST') return writeLp(ctx);
    if (path === '/api/v2/write' && req.method === 'POST') return legacyWrite({ ...ctx, v2: true });
    if (path === '/write' && req.method === 'POST') return legacyWrite({ ...ctx, v2: false });
    if (path === '/api/v3/configure/database') return configureDatabase(ctx);
    if (path === '/api/v3/configure/database/retention_period' && (req.method === 'POST' || req.method === 'DELETE')) return retentionPeriod(ctx);
    if (path === '/query' && (req.method === 'GET' || req.method === 'POST')) return influxql({ ...ctx, v1: true });
    if (path === '/api/v3/query_influxql' && (req.method === 'GET' || req.method === 'POST')) return influxql({ ...ctx, v1: false });
    // 3:http.rs route_request: anything else → RoutingError::NotFound (404 "not found").
    // There is no delete endpoint for points in 3 Core.
    return reply(404, 'not found');
  }

  // 3:http.rs authenticate_request / validate_auth_header: `Authorization: Bearer|Token|Basic
  // <token>` (scheme case-sensitive, exactly two parts; Basic = base64 "user:token"), or
  // `?p=<token>` on /query and /write. Missing or wrong token → 401 {"error": "the request was
  // not authenticated"}; a malformed header → 400 {"error": "Authorization header was malformed,
  // …"} (IntoResponse for AuthenticationError).
  // opts.auth === false: a server started with --without-auth (3:http.rs started_without_auth):
  // no request is authenticated, any Authorization header is ignored.
  function authError(req, url) {
    if (opts.auth === false) return null;
    const a = req.headers.authorization;
    let token = null;
    if (a !== undefined) {
      const parts = a.split(' ');
      if (parts.length !== 2 || !['Bearer', 'Token', 'Basic'].includes(parts[0])) {
        return {
          status: 400,
          body: { error: "Authorization header was malformed, the request was not in the form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and Basic" },
        };
      }
      if (parts[0] === 'Basic') {
        const s = Buffer.from(parts[1], 'base64').toString('utf8');
        const i = s.lastIndexOf(':');
        if (i < 0) return { status: 400, body: { error: "Authorization header was malformed, the request was not in the form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and Basic" } };
        token = s.slice(i + 1);
      } else {
        token = parts[1];
      }
    } else if (url.pathname === '/query' || url.pathname === '/write') {
      token = url.searchParams.get('p');
    }
    if (token !== h.token) return { status: 401, body: { error: 'the request was not authenticated' } };
    return null;
  }

  async function setup() {
    for (const name of [].concat(opts.databases || [])) await createDb(name);
  }

  h.writes = [];
  h.processId = require('crypto').randomUUID();
  return {
    handle,
    setup,
    extras: {
      limits,
      /** Creates a database as POST /api/v3/configure/database would. */
      createDatabase: (name, retentionSeconds = null) => createDb(name, retentionSeconds),
      databaseNames: () => [...catalog.keys()],
      /** { tables: { name: { column: type } }, retentionPeriod (s) | null } or null. */
      catalog: (db) => {
        const d = catalog.get(db);
        if (!d) return null;
        const tables = {};
        for (const [t, cols] of d.tables) tables[t] = Object.fromEntries(cols);
        return { tables, retentionPeriod: d.retentionPeriod };
      },
    },
  };
}

module.exports = { create, CORE_LIMITS };
