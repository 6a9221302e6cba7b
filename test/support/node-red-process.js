'use strict';
// A REAL Node-RED runtime as a child process, with this package installed in its user dir.
// API documented in test/support/README.md.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');

const { freePort } = require('./free-port');
const { waitFor, waitForExit } = require('./wait');
const { stopChild, track, makeTempDir, removeDir, attachToSuite } = require('./processes');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = require(path.join(REPO_ROOT, 'package.json')).name;
const CREDENTIAL_SECRET = 'telemetry-test-credential-secret';
const MAX_LOG_LINES = 20000;

/**
 * Directory of the node-red package to run: opts.nodeRedDir, else $TEST_NODE_RED_DIR (set by
 * scripts/test-nr5.sh to the Node-RED 5 install), else the repo's devDependency.
 */
function nodeRedDir(opts) {
  if (opts.nodeRedDir) return path.resolve(opts.nodeRedDir);
  if (process.env.TEST_NODE_RED_DIR) return path.resolve(process.env.TEST_NODE_RED_DIR);
  return path.dirname(require.resolve('node-red/package.json', { paths: [REPO_ROOT] }));
}

/** JavaScript source for a settings value; functions and RegExps are kept as code. */
function toSource(value, indent = '  ') {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `(${value.toString()})`;
  if (value instanceof RegExp) return value.toString();
  const next = indent + '  ';
  if (Array.isArray(value)) return `[${value.map((v) => toSource(v, next)).join(', ')}]`;
  const entries = Object.entries(value).map(([k, v]) => `${next}${JSON.stringify(k)}: ${toSource(v, next)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** Node-RED's own credentials file format: aes-256-ctr, key sha256(secret), hex IV + base64. */
function encryptCredentials(credentials, secret = CREDENTIAL_SECRET) {
  const key = crypto.createHash('sha256').update(secret).digest();
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-ctr', key, iv);
  return {
    $: iv.toString('hex') + cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64'),
  };
}

function decryptCredentials(file, secret = CREDENTIAL_SECRET) {
  const { $: blob } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const key = crypto.createHash('sha256').update(secret).digest();
  const decipher = crypto.createDecipheriv('aes-256-ctr', key, Buffer.from(blob.slice(0, 32), 'hex'));
  return JSON.parse(decipher.update(blob.slice(32), 'base64', 'utf8') + decipher.final('utf8'));
}

/** Makes `userDir` load this repo as an installed node module (symlink + package.json entry). */
function linkPackage(userDir) {
  const scopeDir = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/').slice(0, -1));
  fs.mkdirSync(scopeDir, { recursive: true });
  const link = path.join(userDir, 'node_modules', PACKAGE_NAME);
  if (!fs.existsSync(link)) fs.symlinkSync(REPO_ROOT, link, 'dir');
  const pkgFile = path.join(userDir, 'package.json');
  const pkg = fs.existsSync(pkgFile)
    ? JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
    : { name: 'node-red-project', description: 'test user dir', version: '0.0.1', private: true };
  pkg.dependencies = { ...(pkg.dependencies || {}), [PACKAGE_NAME]: `file:${REPO_ROOT}` };
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
}

/**
 * Starts Node-RED as a child process on 127.0.0.1 and resolves once its flows have started.
 *
 * @param {object} opts
 * @param {object[]} [opts.flows=[]] written to <userDir>/flows.json before start (unless
 *   `flows` is null and the file already exists: then the existing flows are kept)
 * @param {object} [opts.credentials] node id → credentials object; written encrypted to
 *   flows_cred.json with the fixed test credentialSecret
 * @param {string} [opts.userDir] default: a new temp dir (removed by cleanup())
 * @param {number} [opts.port] default: a free port
 * @param {object} [opts.settings] merged over the defaults in settings.js (functions allowed)
 * @param {object} [opts.env] extra environment variables for the child
 * @param {boolean} [opts.installPackage=true] symlink this repo into userDir/node_modules
 * @param {boolean} [opts.waitForFlows=true] wait for "Started flows" (fails fast on
 *   "Waiting for missing types")
 * @param {string} [opts.nodeRedDir] node-red package dir (default: see nodeRedDir())
 * @param {string} [opts.logLevel='info']
 * @param {number} [opts.startTimeout=30000]
 * @param {Mocha.Context} [opts.mochaCtx] `this` of a before hook: stop + clean up in that
 *   suite's after, print the log tail when one of its tests fails
 * @param {boolean} [opts.echo] mirror the child's output to this process (also
 *   NODE_RED_TEST_ECHO=1)
 */
async function startNodeRed(opts = {}) {
  const ownUserDir = !opts.userDir;
  const userDir = opts.userDir ? path.resolve(opts.userDir) : makeTempDir('test-node-red');
  fs.mkdirSync(userDir, { recursive: true });
  let port = opts.port || (await freePort()); // may change if the first start finds it taken
  const redDir = nodeRedDir(opts);
  const redJs = path.join(redDir, 'red.js');
  const logFile = path.join(userDir, 'node-red.log');
  const echo = opts.echo || process.env.NODE_RED_TEST_ECHO === '1';

  if (opts.installPackage !== false) linkPackage(userDir);

  const flowsFile = path.join(userDir, 'flows.json');
  if (opts.flows !== null || !fs.existsSync(flowsFile)) {
    fs.writeFileSync(flowsFile, JSON.stringify(opts.flows || [], null, 2));
  }
  if (opts.credentials) {
    fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(encryptCredentials(opts.credentials)));
  }

  const defaults = {
    uiHost: '127.0.0.1',
    userDir,
    flowFile: 'flows.json',
    credentialSecret: CREDENTIAL_SECRET,
    contextStorage: {
      default: 'memory',
      memory: { module: 'memory' },
      file: { module: 'localfilesystem' },
    },
    logging: { console: { level: opts.logLevel || 'info', metrics: false, audit: false } },
    // No network look-ups, no editor tours/consent prompts in tests.
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: true, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
  };
  const settings = { ...defaults, ...(opts.settings || {}) };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `// generated by test/support/node-red-process.js\nmodule.exports = ${toSource(settings, '')};\n`);

  let logLines = [];
  let proc = null;
  let startCount = 0;

  function onOutput(chunk) {
    const text = chunk.toString('utf8');
    fs.appendFileSync(logFile, text);
    if (echo) process.stdout.write(text);
    for (const line of text.split('\n')) if (line) logLines.push(line);
    if (logLines.length > MAX_LOG_LINES) logLines = logLines.slice(-MAX_LOG_LINES / 2);
  }

  const running = () => !!proc && proc.exitCode === null && proc.signalCode === null;

  async function start() {
    if (running()) return;
    startCount++;
    const firstLine = logLines.length;
    const child = spawn(process.execPath, [redJs, '--settings', settingsFile, '--userDir', userDir, '--port', String(port)], {
      cwd: userDir,
      env: { ...process.env, NODE_RED_HOME: redDir, ...(opts.env || {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    proc = child;
    handle.proc = child;
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    let exited = null;
    child.once('exit', (code, signal) => {
      exited = { code, signal };
    });
    const since = () => logLines.slice(firstLine);
    const t0 = Date.now();
    try {
      await waitFor(
        async () => {
          if (exited) {
            throw Object.assign(new Error(`Node-RED exited during start-up (${JSON.stringify(exited)})`), { fatal: true });
          }
          const lines = since();
          if (opts.waitForFlows !== false) {
            const missing = lines.find((l) => /Waiting for missing types to be registered/.test(l));
            if (missing) {
              const idx = lines.indexOf(missing);
              throw Object.assign(
                new Error(`Node-RED cannot start the flows: ${lines.slice(idx, idx + 12).join('\n')}`),
                { fatal: true },
              );
            }
            if (!lines.some((l) => /\bStarted flows\b/.test(l))) return false;
          }
          const res = await fetch(`http://127.0.0.1:${port}/settings`, { signal: AbortSignal.timeout(2000) });
          return res.ok;
        },
        { timeout: opts.startTimeout || 30000, interval: 50, message: `Node-RED on port ${port} to start its flows` },
      );
    } catch (err) {
      if (!exited) child.kill('SIGKILL');
      err.message += `\n----- Node-RED output -----\n${since().slice(-60).join('\n')}`;
      throw err;
    }
    handle.startupMs = Date.now() - t0;
  }

  async function stop(timeout = 20000) {
    if (!running()) return;
    await stopChild(proc, timeout);
  }

  async function kill(signal = 'SIGKILL') {
    if (!running()) return;
    proc.kill(signal);
    if (['SIGKILL', 'SIGTERM', 'SIGINT'].includes(signal)) await waitForExit(proc, 20000);
  }

  const baseUrl = () => `http://127.0.0.1:${port}`;

  /** fetch against the admin API; JSON bodies are encoded, JSON answers parsed. */
  async function api(method, route, body) {
    const res = await fetch(baseUrl() + route, {
      method,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        'Node-RED-API-Version': 'v2',
        ...(method === 'POST' && route === '/flows' ? { 'Node-RED-Deployment-Type': 'full' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = text;
    try {
      data = JSON.parse(text);
    } catch {
      // not JSON
    }
    if (!res.ok) throw Object.assign(new Error(`${method} ${route}: HTTP ${res.status}: ${text}`), { status: res.status, data });
    return data;
  }

  const handle = {
    get url() {
      return baseUrl();
    },
    get port() {
      return port;
    },
    userDir,
    settingsFile,
    flowsFile,
    logFile,
    proc: null,
    get pid() {
      return proc ? proc.pid : undefined;
    },
    get running() {
      return running();
    },
    get starts() {
      return startCount;
    },
    start,
    stop,
    kill,
    /** Everything the child printed so far (all starts), one string. */
    logs: () => logLines.join('\n'),
    /** Lines printed so far, as an array (take `.length` before an action to look only at what follows). */
    logLines: () => logLines.slice(),
    /** Resolves when a line matching `re` appears after line index `from` (default 0). */
    waitForLog: (re, { from = 0, timeout = 10000 } = {}) =>
      waitFor(() => logLines.slice(from).find((l) => re.test(l)), { timeout, message: `Node-RED log line ${re}` }),
    api,
    /** Deploys `flows` (full deployment) and waits for the runtime to restart them. */
    async deploy(flows) {
      const from = logLines.length;
      const res = await api('POST', '/flows', { flows });
      await waitFor(() => logLines.slice(from).some((l) => /\bStarted flows\b/.test(l)), {
        timeout: 15000,
        message: 'Node-RED to restart the flows after a deploy',
      });
      return res;
    },
    /** The flows_cred.json contents, decrypted. */
    readCredentials: () => decryptCredentials(path.join(userDir, 'flows_cred.json')),
    /** stop() and remove the user dir when the harness created it (unless KEEP_TEST_DATA). */
    async cleanup() {
      await stop();
      if (ownUserDir) removeDir(userDir);
    },
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      // The free port was taken between freePort() and Node-RED binding it: take another.
      if (attempt < 3 && !opts.port && /port in use|EADDRINUSE/i.test(err.message)) {
        port = await freePort();
        continue;
      }
      if (ownUserDir) removeDir(userDir);
      throw err;
    }
  }
  if (opts.mochaCtx) {
    attachToSuite(opts.mochaCtx, 'Node-RED', {
      cleanup: () => handle.cleanup(),
      logTail: () => logLines.slice(-60).join('\n'),
    });
  }
  return handle;
}

module.exports = { startNodeRed, nodeRedDir, encryptCredentials, decryptCredentials, CREDENTIAL_SECRET, PACKAGE_NAME, REPO_ROOT };
