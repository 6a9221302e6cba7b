'use strict';
// Polling helpers for tests that wait on real servers and processes (never fixed sleeps).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `predicate` (sync or async) until it returns a truthy value, and resolves with that
 * value. A predicate that throws counts as "not yet"; the last error is reported on timeout —
 * except an error with `fatal: true`, which ends the wait at once (e.g. "process exited").
 *
 * @param {() => any | Promise<any>} predicate
 * @param {{ timeout?: number, interval?: number, message?: string }} [opts]
 *   timeout in ms (default 5000), interval in ms between attempts (default 50),
 *   message to put in the timeout error (default: the predicate's source).
 */
async function waitFor(predicate, opts = {}) {
  const timeout = opts.timeout ?? 5000;
  const interval = opts.interval ?? 50;
  const deadline = Date.now() + timeout;
  let lastError;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await predicate();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      if (err && err.fatal === true) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.message || String(predicate).replace(/\s+/g, ' ').slice(0, 200);
      const err = new Error(
        `waitFor timed out after ${timeout} ms (${attempts} attempts): ${what}` +
          (lastError ? ` — last error: ${lastError.message}` : ''),
      );
      if (lastError) err.cause = lastError;
      throw err;
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/** Resolves when `child` (a ChildProcess) has exited; resolves at once if it already has. */
function waitForExit(child, timeout = 15000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      reject(new Error(`process ${child.pid} did not exit within ${timeout} ms`));
    }, timeout);
    function onExit(code, signal) {
      clearTimeout(timer);
      resolve({ code, signal });
    }
    child.once('exit', onExit);
  });
}

module.exports = { waitFor, waitForExit, sleep };
