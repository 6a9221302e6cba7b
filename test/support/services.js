'use strict';
// Real InfluxDB 1.x and Mosquitto servers for tests: each on free 127.0.0.1 ports, with its own
// temp data dir, started as a child process of the test run and stopped by PID.
// API documented in test/support/README.md.
const fs = require('fs');
const path = require('path');
const net = require('net');
const tls = require('tls');
const { spawn, execFileSync } = require('child_process');

const { freePort } = require('./free-port');
const { waitFor, waitForExit } = require('./wait');
const { stopChild, track, requireBinary, makeTempDir, removeDir, tailFile, attachToSuite } = require('./processes');

const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 15000;

// Signals after which we wait for the process to be gone; others (SIGSTOP, SIGCONT, SIGHUP)
// leave it running.
const TERMINATING = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

/**
 * Process lifecycle shared by both servers: spawn → wait until ready → stop/kill/start.
 * `spawnChild()` returns a ChildProcess; `isReady()` resolves truthy once the server answers.
 */
class ServerProcess {
  constructor(name, { spawnChild, isReady, logFile }) {
    this.name = name;
    this.spawnChild = spawnChild;
    this.isReady = isReady;
    this.logFile = logFile;
    this.proc = null;
  }

  get running() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid() {
    return this.proc ? this.proc.pid : undefined;
  }

  async start() {
    if (this.running) return;
    const child = track(this.spawnChild());
    this.proc = child;
    let exited = null;
    child.once('exit', (code, signal) => {
      exited = { code, signal };
    });
    const started = Date.now();
    try {
      await waitFor(
        async () => {
          if (exited) {
            throw Object.assign(new Error(`${this.name} exited during start-up (${JSON.stringify(exited)})`), {
              fatal: true,
            });
          }
          return this.isReady();
        },
        { timeout: START_TIMEOUT_MS, interval: 25, message: `${this.name} to answer` },
      );
    } catch (err) {
      if (!exited) child.kill('SIGKILL');
      const tail = tailFile(this.logFile, 30);
      err.message += `\n${this.name} log (${this.logFile}):\n${tail}`;
      throw err;
    }
    this.startupMs = Date.now() - started;
  }

  async stop() {
    const child = this.proc;
    if (!child || !this.running) return;
    await stopChild(child, STOP_TIMEOUT_MS);
  }

  async kill(signal = 'SIGKILL') {
    const child = this.proc;
    if (!child || !this.running) return;
    child.kill(signal);
    if (TERMINATING.has(signal)) await waitForExit(child, STOP_TIMEOUT_MS);
  }
}

// MQTT 3.1.1 CONNECT, clean session, empty client id, keepalive 60 s.
const MQTT_CONNECT = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
const MQTT_DISCONNECT = Buffer.from([0xe0, 0x00]);

/** Resolves true when an MQTT broker on 127.0.0.1:port answers CONNECT with a CONNACK (any return code). */
function mqttAnswers(port, { tls: useTls = false, handshakeOnly = false, timeoutMs = 1000 } = {}) {
  return new Promise((resolve) => {
    const sock = useTls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : net.connect({ port, host: '127.0.0.1' });
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      if (ok) sock.end(MQTT_DISCONNECT);
      else sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => finish(false));
    // handshakeOnly: a listener that requires a client certificate closes on us after the TLS
    // handshake; a completed handshake is then the readiness signal.
    sock.once(useTls ? 'secureConnect' : 'connect', () => (handshakeOnly ? finish(true) : sock.write(MQTT_CONNECT)));
    sock.once('data', (buf) => finish(buf[0] === 0x20));
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
  });
}

/**
 * The process controls both server handles offer: pid/proc/running, start() again on the same
 * port and data (after stop/kill), stop() (SIGTERM, wait; idempotent), kill(signal = SIGKILL;
 * waits for exit on terminating signals), pause()/resume() (SIGSTOP/SIGCONT: sockets stay open
 * but nothing answers), destroy() (stop and remove the data dir unless KEEP_TEST_DATA is set).
 */
function withLifecycle(handle, server, removeDataDir) {
  Object.defineProperties(handle, {
    pid: { get: () => server.pid, enumerable: true },
    proc: { get: () => server.proc, enumerable: true },
    running: { get: () => server.running, enumerable: true },
  });
  return Object.assign(handle, {
    start: () => server.start(),
    stop: () => server.stop(),
    kill: (signal) => server.kill(signal),
    pause: () => server.kill('SIGSTOP'),
    resume: () => server.kill('SIGCONT'),
    async destroy() {
      if (server.running) await server.kill('SIGCONT');
      await server.stop();
      removeDataDir();
    },
  });
}

/** First start of a new server; its temp dir is removed when that fails. */
async function startOrCleanUp(server, dataDir) {
  try {
    await server.start();
  } catch (err) {
    if (dataDir) removeDir(dataDir);
    throw err;
  }
}

/**
 * A free port can be taken by someone else between freePort() and the server binding it:
 * when start-up fails with "address already in use", try again with new ports (not when the
 * caller fixed opts.port).
 */
async function withPortRetry(opts, attempt, tries = 3) {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= tries || opts.port || !/address already in use/i.test(err.message)) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// InfluxDB 1.x

function influxConfig({ dataDir, httpPort, rpcPort, auth, logLevel, retentionCheckInterval, tlsFiles }) {
  const q = (s) => JSON.stringify(s);
  return `# generated by test/support/services.js
reporting-enabled = false
bind-address = ${q(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${q(path.join(dataDir, 'meta'))}
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = ${q(path.join(dataDir, 'data'))}
  wal-dir = ${q(path.join(dataDir, 'wal'))}
  wal-fsync-delay = "0s"
  query-log-enabled = false
  trace-logging-enabled = false

[retention]
  enabled = true
  check-interval = ${q(retentionCheckInterval)}

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  auth-enabled = ${auth ? 'true' : 'false'}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false
  https-enabled = ${tlsFiles ? 'true' : 'false'}
${tlsFiles ? `  https-certificate = ${q(tlsFiles.cert)}\n  https-private-key = ${q(tlsFiles.key)}\n` : ''}  max-body-size = 0

[logging]
  level = ${q(logLevel)}
  suppress-logo = true

[ifql]
  enabled = false
  bind-address = ${q('127.0.0.1:0')}

[continuous_queries]
  enabled = true
  log-enabled = false
`;
}

/**
 * Starts InfluxDB 1.x (`influxd`) on free 127.0.0.1 ports with a fresh data dir.
 *
 * @param {Mocha.Context|null} mochaCtx `this` of a mocha `before` hook (skip/fail when influxd is
 *   missing; the server is stopped and its dir removed in that suite's `after`). May be null in
 *   scripts: then the caller stops it.
 * @param {object} [opts]
 * @param {boolean} [opts.auth=false] enable HTTP auth and create admin `admin`/`admin-pw`
 * @param {string}  [opts.logLevel='warn'] influxd log level (log file: <dataDir>/influxd.log)
 * @param {string}  [opts.dataDir] use (and keep) this data dir instead of a fresh temp dir (the demo's .demo/influxdb)
 * @param {string}  [opts.retentionCheckInterval='30m0s'] how often retention policies are enforced
 * @param {string|string[]} [opts.databases] databases to create before returning
 * @param {{cert, key, ca?}} [opts.tls] PEM text or file paths (e.g. from createTlsFiles()): serve
 *   HTTPS instead of HTTP (`[http] https-enabled`); `url` is then `https://127.0.0.1:<port>` and the
 *   helpers below verify the server against `ca` (never with verification switched off)
 */
async function startInflux(mochaCtx, opts = {}) {
  const binary = requireBinary(mochaCtx, 'influxd', 'influxdb');
  const handle = await withPortRetry(opts, () => startInfluxOnce(binary, opts));
  attachToSuite(mochaCtx, 'influxd', { cleanup: () => handle.destroy(), logTail: () => tailFile(handle.logFile, 40) });
  return handle;
}

async function startInfluxOnce(binary, opts) {
  // opts.dataDir: a persistent dir of the caller's (the demo's .demo/influxdb), never removed.
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : makeTempDir('test-influxdb');
  if (opts.dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const dropDataDir = () => opts.dataDir || removeDir(dataDir);
  const port = opts.port || (await freePort());
  const rpcPort = await freePort();
  const auth = !!opts.auth;
  const configFile = path.join(dataDir, 'influxdb.conf');
  const logFile = path.join(dataDir, 'influxd.log');
  const tlsFiles = opts.tls
    ? {
        cert: materialise(dataDir, 'tls-cert.pem', opts.tls.cert),
        key: materialise(dataDir, 'tls-key.pem', opts.tls.key),
        ca: materialise(dataDir, 'tls-ca.pem', opts.tls.ca),
      }
    : undefined;
  if (tlsFiles && (!tlsFiles.cert || !tlsFiles.key)) throw new Error('startInflux: opts.tls needs cert and key');
  fs.writeFileSync(
    configFile,
    influxConfig({
      dataDir,
      httpPort: port,
      rpcPort,
      auth,
      logLevel: opts.logLevel || 'warn',
      retentionCheckInterval: opts.retentionCheckInterval || '30m0s',
      tlsFiles,
    }),
  );

  const url = `${tlsFiles ? 'https' : 'http'}://127.0.0.1:${port}`;
  // fetch cannot take a CA per request: over TLS the helpers use https.request with the test CA.
  const fetch = tlsFiles ? httpsFetcher(tlsFiles.ca ? fs.readFileSync(tlsFiles.ca, 'utf8') : undefined) : globalThis.fetch;
  const adminUser = 'admin';
  const adminPassword = 'admin-pw';
  let adminCreated = false;
  const authHeader = () =>
    auth && adminCreated
      ? { authorization: 'Basic ' + Buffer.from(`${adminUser}:${adminPassword}`).toString('base64') }
      : {};

  const server = new ServerProcess('influxd', {
    logFile,
    spawnChild() {
      const fd = fs.openSync(logFile, 'a');
      try {
        return spawn(binary, ['run', '-config', configFile], {
          stdio: ['ignore', fd, fd],
          env: { ...process.env, INFLUXDB_CONFIG_PATH: configFile },
        });
      } finally {
        fs.closeSync(fd);
      }
    },
    async isReady() {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      return res.status === 204;
    },
  });

  async function query(q, { db, epoch = 'ms', method } = {}) {
    const params = new URLSearchParams({ q, epoch });
    if (db) params.set('db', db);
    // SELECT and SHOW may use GET; everything else needs POST. POST works for all.
    const res = await fetch(`${url}/query`, {
      method: method || 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...authHeader() },
      body: params.toString(),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw Object.assign(new Error(`InfluxDB query failed: HTTP ${res.status}: ${text}`), { status: res.status });
    }
    if (!res.ok || json.error) {
      throw Object.assign(new Error(`InfluxDB query failed: HTTP ${res.status}: ${json.error || text}`), {
        status: res.status,
      });
    }
    const failed = (json.results || []).find((r) => r.error);
    if (failed) {
      throw Object.assign(new Error(`InfluxDB query failed: ${failed.error} (query: ${q})`), { status: res.status });
    }
    return json.results;
  }

  /** Rows of every series of the first statement, as objects; series tags are merged in. */
  async function rows(q, opts2 = {}) {
    const [first] = await query(q, opts2);
    const out = [];
    for (const s of (first && first.series) || []) {
      for (const values of s.values || []) {
        const row = { ...(s.tags || {}) };
        s.columns.forEach((c, i) => {
          row[c] = values[i];
        });
        if (s.name !== undefined) Object.defineProperty(row, '$measurement', { value: s.name });
        out.push(row);
      }
    }
    return out;
  }

  async function write(lineProtocolText, { db, precision = 'ms', rp } = {}) {
    if (!db) throw new Error('write: opts.db is required');
    const params = new URLSearchParams({ db, precision });
    if (rp) params.set('rp', rp);
    const body = Array.isArray(lineProtocolText) ? lineProtocolText.join('\n') : String(lineProtocolText);
    const res = await fetch(`${url}/write?${params}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', ...authHeader() },
      body,
    });
    if (res.status !== 204) {
      const text = await res.text();
      throw Object.assign(new Error(`InfluxDB write failed: HTTP ${res.status}: ${text.trim()}`), {
        status: res.status,
        body: text,
      });
    }
  }

  const ident = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

  async function createDatabase(db) {
    await query(`CREATE DATABASE ${ident(db)}`);
  }

  /**
   * Number of points stored in `measurement`: for each series the largest per-field COUNT
   * (a point has at least one field; exact when every point of a series carries the field
   * with the most values, which holds for everything our nodes write). With `{exact: true}`
   * every row is fetched and counted instead (slow for big data sets). 0 when the
   * measurement or database does not exist.
   */
  async function count(db, measurement, { exact = false, where } = {}) {
    const cond = where ? ` WHERE ${where}` : '';
    let results;
    try {
      results = await query(
        exact
          ? `SELECT * FROM ${ident(measurement)}${cond} GROUP BY *`
          : `SELECT COUNT(*) FROM ${ident(measurement)}${cond} GROUP BY *`,
        { db },
      );
    } catch (err) {
      if (/database not found/.test(err.message)) return 0;
      throw err;
    }
    let total = 0;
    for (const s of (results[0] && results[0].series) || []) {
      if (exact) {
        total += s.values.length;
      } else {
        for (const values of s.values) {
          let max = 0;
          s.columns.forEach((c, i) => {
            if (c !== 'time' && typeof values[i] === 'number') max = Math.max(max, values[i]);
          });
          total += max;
        }
      }
    }
    return total;
  }

  const handle = {
    url,
    host: '127.0.0.1',
    port,
    tls: tlsFiles,
    rpcPort,
    dataDir,
    configFile,
    logFile,
    auth,
    adminUser: auth ? adminUser : undefined,
    adminPassword: auth ? adminPassword : undefined,
    logs: () => tailFile(logFile, 200),
    query,
    rows,
    write,
    createDatabase,
    count,
  };
  withLifecycle(handle, server, dropDataDir);

  await startOrCleanUp(server, opts.dataDir ? null : dataDir);
  if (auth) {
    // InfluxDB 1.x lets the first admin user be created without credentials while none exists.
    await query(`CREATE USER ${ident(adminUser)} WITH PASSWORD '${adminPassword}' WITH ALL PRIVILEGES`);
    adminCreated = true;
  }
  for (const db of [].concat(opts.databases || [])) await createDatabase(db);
  return handle;
}

/**
 * A fetch look-alike (status, ok, text()) over https.request that verifies the server against
 * `ca`: what the InfluxDB helpers need when influxd serves HTTPS with a test certificate.
 */
function httpsFetcher(ca) {
  const https = require('https');
  return (target, { method = 'GET', headers = {}, body, signal } = {}) =>
    new Promise((resolve, reject) => {
      const req = https.request(target, { method, headers, ca, signal }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300, text: async () => text });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}

// ---------------------------------------------------------------------------------------------
// Mosquitto

function materialise(dir, name, value) {
  if (value === undefined || value === null) return undefined;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  if (text.includes('-----BEGIN')) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }
  if (!fs.existsSync(text)) throw new Error(`startMosquitto: TLS file not found: ${text}`);
  return path.resolve(text);
}

/**
 * Starts Mosquitto on a free 127.0.0.1 port with a fresh persistence dir.
 *
 * @param {Mocha.Context|null} mochaCtx see startInflux
 * @param {object} [opts]
 * @param {Object<string,string>} [opts.users] name → password; turns anonymous access off
 * @param {{cert, key, ca, requireCertificate?}} [opts.tls] PEM text or file paths: adds a TLS
 *   listener on `tlsPort` (`mqtts://127.0.0.1:<tlsPort>`)
 * @param {number}  [opts.maxQueuedMessages=0] 0 = unlimited (mosquitto's default 1000 drops)
 * @param {boolean} [opts.verbose=false] also log connections/subscriptions to the log file
 * @param {string}  [opts.extraConfig] appended verbatim to mosquitto.conf
 */
async function startMosquitto(mochaCtx, opts = {}) {
  const binary = requireBinary(mochaCtx, 'mosquitto', 'mosquitto');
  const passwd = opts.users ? requireBinary(mochaCtx, 'mosquitto_passwd', 'mosquitto') : null;
  const handle = await withPortRetry(opts, () => startMosquittoOnce(binary, passwd, opts));
  attachToSuite(mochaCtx, 'mosquitto', { cleanup: () => handle.destroy(), logTail: () => handle.logs() });
  return handle;
}

async function startMosquittoOnce(binary, passwd, opts) {
  const dataDir = makeTempDir('test-mosquitto');
  const port = opts.port || (await freePort());
  const tlsPort = opts.tls ? await freePort() : undefined;
  const configFile = path.join(dataDir, 'mosquitto.conf');
  const logFile = path.join(dataDir, 'mosquitto.log');
  const users = opts.users || null;

  const lines = [
    '# generated by test/support/services.js',
    // Started as root, mosquitto switches to user "mosquitto" after reading this file and could
    // then not write into the 0700 mkdtemp dir.
    'user root',
    'per_listener_settings false',
    `listener ${port} 127.0.0.1`,
    // The default of 1000 silently drops QoS 0 and 1 messages for slow consumers.
    `max_queued_messages ${opts.maxQueuedMessages ?? 0}`,
    'set_tcp_nodelay true',
    'persistence true',
    `persistence_location ${dataDir}/`,
    'persistence_file mosquitto.db',
    'autosave_interval 1',
    `log_dest file ${logFile}`,
    'log_type error',
    'log_type warning',
    'log_type notice',
    ...(opts.verbose ? ['log_type information', 'log_type subscribe', 'connection_messages true'] : []),
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
  ];
  if (users) {
    const passwordFile = path.join(dataDir, 'passwd');
    let first = true;
    for (const [name, password] of Object.entries(users)) {
      execFileSync(passwd, [...(first ? ['-c'] : []), '-b', passwordFile, name, password], { stdio: 'pipe' });
      first = false;
    }
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  let tlsFiles;
  if (opts.tls) {
    tlsFiles = {
      ca: materialise(dataDir, 'tls-ca.pem', opts.tls.ca),
      cert: materialise(dataDir, 'tls-cert.pem', opts.tls.cert),
      key: materialise(dataDir, 'tls-key.pem', opts.tls.key),
    };
    if (!tlsFiles.cert || !tlsFiles.key) throw new Error('startMosquitto: opts.tls needs cert and key');
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      ...(tlsFiles.ca ? [`cafile ${tlsFiles.ca}`] : []),
      `certfile ${tlsFiles.cert}`,
      `keyfile ${tlsFiles.key}`,
      `require_certificate ${opts.tls.requireCertificate ? 'true' : 'false'}`,
    );
  }
  if (opts.extraConfig) lines.push(opts.extraConfig);
  fs.writeFileSync(configFile, lines.join('\n') + '\n');

  const server = new ServerProcess('mosquitto', {
    logFile,
    spawnChild() {
      const fd = fs.openSync(path.join(dataDir, 'mosquitto.stderr.log'), 'a');
      try {
        return spawn(binary, ['-c', configFile], { stdio: ['ignore', fd, fd] });
      } finally {
        fs.closeSync(fd);
      }
    },
    async isReady() {
      // An MQTT handshake, not just a TCP connect: something else could own the port.
      const handshakeOnly = !!(opts.tls && opts.tls.requireCertificate);
      return (await mqttAnswers(port)) && (!tlsPort || (await mqttAnswers(tlsPort, { tls: true, handshakeOnly })));
    },
  });

  const handle = {
    url: `mqtt://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    tlsPort,
    tlsUrl: tlsPort ? `mqtts://127.0.0.1:${tlsPort}` : undefined,
    tls: tlsFiles,
    users: users ? { ...users } : undefined,
    dataDir,
    configFile,
    logFile,
    logs: () => tailFile(logFile, 200) + tailFile(path.join(dataDir, 'mosquitto.stderr.log'), 50),
  };
  withLifecycle(handle, server, () => removeDir(dataDir));

  await startOrCleanUp(server, dataDir);
  return handle;
}

/**
 * Creates a throw-away CA plus a server certificate for 127.0.0.1/localhost and a client
 * certificate, with openssl, in `dir` (default: a new temp dir). Returns file paths and PEM text:
 * `{ dir, ca, cert, key, clientCert, clientKey, caPem, certPem, keyPem, clientCertPem, clientKeyPem }`.
 */
function createTlsFiles(dir = makeTempDir('test-tls')) {
  const openssl = requireBinary(null, 'openssl', 'openssl');
  const f = (n) => path.join(dir, n);
  const run = (args) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=telemetry-test-ca',
    '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'telemetry-test-client']]) {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
    run(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
  }
  const read = (n) => fs.readFileSync(f(n), 'utf8');
  return {
    dir,
    ca: f('ca.pem'),
    cert: f('server.pem'),
    key: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    caPem: read('ca.pem'),
    certPem: read('server.pem'),
    keyPem: read('server.key'),
    clientCertPem: read('client.pem'),
    clientKeyPem: read('client.key'),
  };
}

module.exports = { startInflux, startMosquitto, createTlsFiles, requireBinary };
