'use strict';
// The process under test in a run ("subject"): the raw pipeline (scenario A) or a real Node-RED
// child process with a flow. Each has `{ pid, running, logs(), stop() }`.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const REPO = path.resolve(__dirname, '..', '..');
const { startNodeRed } = require(path.join(REPO, 'test', 'support', 'node-red-process'));
const { track } = require(path.join(REPO, 'test', 'support', 'processes'));

const PEER_PACKAGE = 'node-red-contrib-influxdb';

/**
 * Why node type `type` of this package cannot be loaded yet, or undefined when it can:
 * `nodes/<type>.js` must exist and the dist/ file it requires must be built.
 */
function missingNodeType(type) {
  const entry = path.join(REPO, 'nodes', `${type}.js`);
  if (!fs.existsSync(entry)) return `nodes/${type}.js does not exist yet`;
  const m = /require\(\s*['"]([^'"]+)['"]\s*\)/.exec(fs.readFileSync(entry, 'utf8'));
  if (m) {
    const target = path.resolve(path.dirname(entry), m[1]);
    if (!['', '.js'].some((ext) => fs.existsSync(target + ext))) return `${path.relative(REPO, target)}.js is not built (npm run build)`;
  }
  if (!fs.existsSync(path.join(REPO, 'nodes', `${type}.html`))) return `nodes/${type}.html does not exist yet`;
  return undefined;
}

function missingPeer() {
  return fs.existsSync(path.join(REPO, 'node_modules', PEER_PACKAGE, 'package.json'))
    ? undefined
    : `${PEER_PACKAGE} is not installed (it is a devDependency: npm install)`;
}

/** Scenario A's process: bench/lib/raw-pipeline.js, resolved once it has subscribed. */
async function startRawSubject({ mqttUrl, influxUrl, db, qos, env }) {
  const child = track(
    spawn(process.execPath, [path.join(__dirname, 'raw-pipeline.js'), JSON.stringify({ mqttUrl, influxUrl, db, qos })], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(env || {}) },
    }),
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`raw pipeline did not subscribe within 15 s: ${err.slice(-500)}`)), 15000);
    const check = () => {
      if (out.includes('"ready":true')) {
        clearTimeout(timer);
        resolve();
      } else if (out.includes('"error"')) {
        clearTimeout(timer);
        reject(new Error(`raw pipeline: ${out.trim()}`));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`raw pipeline exited (${code}): ${err.slice(-500)}`));
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid,
    get running() {
      return running();
    },
    logs: () => `${out}\n${err}`,
    /** The pipeline's own counts (received, written, write errors…), after stop(). */
    stats: undefined,
    async stop() {
      if (running()) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      const last = out.trim().split('\n').pop();
      try {
        this.stats = JSON.parse(last);
      } catch {
        this.stats = undefined;
      }
    },
  };
}

/**
 * A real Node-RED child process (test/support/node-red-process.js) running `flows`, with this
 * package installed in its user dir, plus node-red-contrib-influxdb when `peers` is set (linked
 * from this repo's node_modules the same way the harness links our package).
 */
async function startNodeRedSubject({ flows, credentials, peers, env, startTimeout = 60000 }) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-node-red-'));
  const remove = () => {
    if (!process.env.KEEP_TEST_DATA) fs.rmSync(userDir, { recursive: true, force: true });
  };
  if (peers) {
    fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(REPO, 'node_modules', PEER_PACKAGE), path.join(userDir, 'node_modules', PEER_PACKAGE), 'dir');
    const version = require(path.join(REPO, 'node_modules', PEER_PACKAGE, 'package.json')).version;
    fs.writeFileSync(
      path.join(userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true, dependencies: { [PEER_PACKAGE]: version } }, null, 2),
    );
  }
  let nr;
  try {
    nr = await startNodeRed({ flows, credentials, userDir, env, logLevel: 'info', startTimeout });
  } catch (err) {
    remove();
    throw err;
  }
  return {
    get pid() {
      return nr.pid;
    },
    get running() {
      return nr.running;
    },
    userDir,
    logs: () => nr.logs(),
    async stop() {
      try {
        await nr.stop(30000);
      } finally {
        remove();
      }
    },
  };
}

module.exports = { missingNodeType, missingPeer, startRawSubject, startNodeRedSubject, REPO };
