'use strict';
// A strict conformance server for InfluxDB 2.x and 3.x (3 Core), for tests.
//
// No real 2.x/3.x server can be installed on this machine (FIELD-NOTES.md). This is an HTTP
// facade that speaks the vendor's published API — refusing every request the real server would
// refuse, with the real status code and error body (each behaviour cites its source in
// influxdata/influxdb: the 2.7 branch for 2.x, main's influxdb3_server for 3.x) — and stores and
// queries through a real influxd 1.6 (database = bucket name for 2.x, db for 3.x), so query
// semantics are real. See README.md beside this file for the API and its limits.
const http = require('http');
const zlib = require('zlib');
const crypto = require('crypto');
const { freePort } = require('../free-port');
const { startInflux } = require('../services');
const { attachToSuite } = require('../processes');

/**
 * Starts a conformance server. `mochaCtx`: the mocha context of a `before` hook (the server,
 * and the influxd it started, stop after that suite), or null (call `close()` yourself).
 * opts: version (2 | 3, required), token ('test-token'), org ('test-org', 2.x),
 * influx (an existing startInflux() handle to store into; default: a new one),
 * buckets (2.x: names to create, retention infinite), databases (3.x: names to create),
 * maxBodyBytes (2.x: default unlimited; 3.x: 10485760 as 3 Core's --max-http-request-size),
 * limits (3.x: { databases: 5, tables: 2000, columnsPerTable: 500 }, 3 Core's defaults),
 * virtualDbrps (2.x: true as 2.7, every bucket is reachable through /query under its name),
 * serverVersion (the X-Influxdb-Version header: 'v2.7.11' / '3.1.0'),
 * auth (3.x: false = started with --without-auth, no token needed).
 */
async function startConformance(mochaCtx, opts = {}) {
  const version = Number(opts.version);
  if (version !== 2 && version !== 3) throw new Error('startConformance: opts.version must be 2 or 3');
  const influx = opts.influx || (await startInflux(mochaCtx));
  const port = opts.port || (await freePort());
  const handle = {
    version,
    token: opts.token || 'test-token',
    org: opts.org || 'test-org',
    orgID: newId(),
    influx,
    port,
    url: `http://127.0.0.1:${port}`,
    /** Every request: { method, path, query, headers, body (decoded text), status, response }. */
    requests: [],
    /** `'POST /api/v2/write'` → number of requests. */
    counters: {},
    /** Faults injected with failNext(). */
    faults: [],
  };
  const api = version === 2 ? require('./v2').create(handle, opts) : require('./v3').create(handle, opts);
  Object.assign(handle, api.extras || {});

  /**
   * The next `count` requests (to `path` when given) get `status` and `body` instead, after
   * `delayMs`; `status: 'destroy'` cuts the connection; `status: null` only delays them and
   * then serves them normally (a slow server, for timeouts).
   */
  handle.failNext = ({ status = 503, body = '', count = 1, path, headers = {}, delayMs = 0 } = {}) => {
    handle.faults.push({ status, body, count, path, headers, delayMs });
  };
  handle.reset = () => {
    handle.requests.length = 0;
    for (const k of Object.keys(handle.counters)) delete handle.counters[k];
  };
  handle.count = (key) => handle.counters[key] || 0;

  const server = http.createServer((req, res) => {
    serve(handle, api, req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`conformance server: ${err.stack || err}`);
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // close(): stops the HTTP server; without a mocha context it also destroys the influxd this
  // server started itself (with one, startInflux's own suite hook does).
  const ownsStorage = !opts.influx && !mochaCtx;
  handle.close = async () => {
    await new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
    if (ownsStorage) await influx.destroy();
  };
  if (opts.setup !== false) await api.setup();
  attachToSuite(mochaCtx, `influx-conformance v${version}`, { cleanup: () => handle.close() });
  return handle;
}

async function serve(handle, api, req, res) {
  const u = new URL(req.url, 'http://x');
  const entry = {
    method: req.method,
    path: u.pathname,
    query: Object.fromEntries(u.searchParams),
    headers: req.headers,
    body: '',
    status: 0,
    response: '',
  };
  handle.requests.push(entry);
  const key = `${req.method} ${u.pathname}`;
  handle.counters[key] = (handle.counters[key] || 0) + 1;
  const raw = await readRaw(req);
  entry.rawLength = raw.length;
  // The body as sent, gzip inflated, for tests to assert on (undecodable gzip stays '').
  const decoded = decodeBody(raw, req.headers['content-encoding'] === 'gzip' ? 'gzip' : undefined, 0);
  entry.body = decoded.text || '';
  const reply = (status, body, headers = {}) => {
    const text = body === undefined || body === null ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    entry.status = status;
    entry.response = text;
    const h = { ...headers };
    if (text && !h['Content-Type']) h['Content-Type'] = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    res.writeHead(status, h);
    res.end(status === 204 ? undefined : text);
  };
  const fault = handle.faults.find((f) => f.count > 0 && (!f.path || f.path === u.pathname));
  if (fault) {
    fault.count--;
    if (fault.count === 0) handle.faults.splice(handle.faults.indexOf(fault), 1);
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.status === null) return api.handle({ req, url: u, raw, entry, reply });
    if (fault.status === 'destroy') {
      req.socket.destroy();
      return;
    }
    return reply(fault.status, fault.body, fault.headers);
  }
  await api.handle({ req, url: u, raw, entry, reply });
}

function readRaw(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The body after Content-Encoding: 'gzip' inflated, 'identity'/absent as is; anything else →
 * { error: 'encoding' }. Bodies longer than `max` (after inflating) → { error: 'size' }.
 */
function decodeBody(raw, encoding, max) {
  let buf = raw;
  if (encoding === 'gzip') {
    try {
      buf = zlib.gunzipSync(raw, max ? { maxOutputLength: max + 1 } : {});
    } catch (err) {
      if (err.code === 'ERR_BUFFER_TOO_LARGE') return { error: 'size' };
      return { error: 'gzip', message: err.message };
    }
  } else if (encoding && encoding !== 'identity') {
    return { error: 'encoding', message: encoding };
  }
  if (max && buf.length > max) return { error: 'size' };
  return { text: buf.toString('utf8') };
}

/** A 16-hex-digit id as 2.x uses for orgs, buckets and DBRP mappings. */
function newId() {
  return crypto.randomBytes(8).toString('hex');
}

module.exports = { startConformance, decodeBody, newId };
