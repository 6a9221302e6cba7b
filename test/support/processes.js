'use strict';
// Child-process bookkeeping shared by services.js and node-red-process.js:
// - every server child is tracked and SIGKILLed when the test process exits, however it exits
//   (mocha's `exit: true`, an uncaught error, Ctrl-C), so no stray influxd/mosquitto/Node-RED
//   survives a test run;
// - binary lookup with the "skip locally, fail in CI" rule;
// - hooking a started service into the calling mocha suite (stop + clean up in `after`,
//   print the service log tail when a test of that suite fails).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { waitForExit } = require('./wait');

const live = new Set();
const tempDirs = new Set();

function killAllNow() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function onExit() {
  killAllNow();
  // Temp dirs of servers nobody destroyed (a test that only called stop()).
  for (const dir of tempDirs) removeDir(dir);
}

process.on('exit', onExit);
for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.on(sig, function onSignal() {
    killAllNow();
    // Only end the process ourselves when nobody else (mocha) handles the signal.
    if (process.listenerCount(sig) === 1) process.exit(128 + num);
  });
}

/** Remember `child` until it exits; it is SIGKILLed if the test process exits first. */
function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

const EXTRA_PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of `binary` on PATH (plus the sbin dirs, where Debian puts mosquitto), or null. */
function findBinary(binary) {
  if (binary.includes('/')) return fs.existsSync(binary) ? binary : null;
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean).concat(EXTRA_PATH_DIRS);
  for (const dir of dirs) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Returns the absolute path of `binary`. When it is missing:
 * - with CI=true: throws (a missing server is a failure in CI, never a skip);
 * - otherwise: prints a loud message naming the Debian package and skips the calling mocha
 *   hook/test through `mochaCtx.skip()` (throws when there is no mocha context).
 */
function requireBinary(mochaCtx, binary, debPackage) {
  const found = findBinary(binary);
  if (found) return found;
  const message =
    `'${binary}' is not installed: install it with ` +
    `\`sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${debPackage}\``;
  if (process.env.CI === 'true') {
    throw new Error(`${message} (CI=true: missing services are a failure, not a skip)`);
  }
  const bar = '!'.repeat(Math.min(100, message.length + 8));
  console.warn(`\n${bar}\n!!! SKIPPING: ${message}\n${bar}\n`);
  if (mochaCtx && typeof mochaCtx.skip === 'function') mochaCtx.skip();
  throw new Error(message);
}

/** A fresh 0700 temp dir, `prefix` in its name; removed at process exit at the latest. */
function makeTempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Removes `dir` now (unless KEEP_TEST_DATA is set). */
function removeDir(dir) {
  if (!dir || process.env.KEEP_TEST_DATA) return;
  tempDirs.delete(dir);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}

/** The last `lines` lines of a text file ('' when it does not exist). */
function tailFile(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

/**
 * Ties a started service to the mocha suite whose `before` hook started it:
 * `after` stops it (`cleanup()`), and when a test of the suite fails the tail of its log is
 * printed (set TEST_SERVICE_LOGS=0 to silence). No-op without a mocha context.
 */
function attachToSuite(mochaCtx, name, { cleanup, logTail }) {
  const suite = mochaCtx && mochaCtx.test && mochaCtx.test.parent;
  if (!suite || typeof suite.afterAll !== 'function') return false;
  if (logTail && process.env.TEST_SERVICE_LOGS !== '0') {
    suite.afterEach(`print ${name} log when a test failed`, function () {
      if (this.currentTest && this.currentTest.state === 'failed') {
        const tail = logTail();
        if (tail && tail.trim()) {
          console.log(`\n----- ${name} log (tail) -----\n${tail.trimEnd()}\n----- end of ${name} log -----\n`);
        }
      }
    });
  }
  suite.afterAll(`stop ${name}`, async function () {
    this.timeout(30000);
    await cleanup();
  });
  return true;
}

/** Stops `child` with SIGTERM, or SIGKILL when it has not exited within `timeout` ms; resolves once it has exited. */
async function stopChild(child, timeout) {
  child.kill('SIGTERM');
  try {
    await waitForExit(child, timeout);
  } catch {
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
  }
}

module.exports = { stopChild, track, killAllNow, findBinary, requireBinary, makeTempDir, removeDir, tailFile, attachToSuite };
