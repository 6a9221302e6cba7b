'use strict';
// Runs the per-node micro-benchmarks, bench/*.bench.js (written with each node: plain node
// scripts on dist/ that print one JSON object of figures to stdout), one at a time, each in its
// own process with a time limit, and collects their figures for the same report.
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const BENCH_DIR = path.resolve(__dirname, '..');

function findMicroBenchmarks(dir = BENCH_DIR) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.bench.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The JSON object a benchmark printed: the whole stdout, else the last `{…}` block in it. */
function parseFigures(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    // Some print progress first: take the last line that starts a JSON object and parses.
  }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].trimStart().startsWith('{')) continue;
    try {
      return JSON.parse(lines.slice(i).join('\n'));
    } catch {
      // keep looking further up
    }
  }
  return undefined;
}

function runOne(file, { timeoutMs, env }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], {
      cwd: path.resolve(BENCH_DIR, '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const name = path.basename(file, '.bench.js');
      const ms = Date.now() - started;
      const figures = parseFigures(out);
      if (timedOut) resolve({ name, ok: false, ms, error: `no result within ${timeoutMs / 1000} s` });
      else if (code !== 0 || !figures) {
        resolve({ name, ok: false, ms, error: `exit ${code ?? signal}${figures ? '' : ', no JSON object on stdout'}: ${(err || out).trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` });
      } else resolve({ name, ok: true, ms, figures });
    });
  });
}

async function runMicroBenchmarks({ timeoutMs = 90000, env = {}, log = () => {} } = {}) {
  const results = [];
  for (const file of findMicroBenchmarks()) {
    log(`micro-benchmark ${path.basename(file)} …`);
    const r = await runOne(file, { timeoutMs, env });
    log(r.ok ? `  done in ${(r.ms / 1000).toFixed(1)} s` : `  FAILED: ${r.error}`);
    results.push(r);
  }
  return results;
}

/** Flattens a figures object into [dotted.key, value] pairs of numbers/strings/booleans. */
function flatten(obj, prefix = '', out = []) {
  if (obj === null || typeof obj !== 'object') {
    out.push([prefix || 'value', obj]);
    return out;
  }
  if (Array.isArray(obj)) {
    if (obj.every((v) => v === null || typeof v !== 'object')) {
      out.push([prefix, obj.join(', ')]);
      return out;
    }
    obj.forEach((v, i) => flatten(v, prefix ? `${prefix}[${i}]` : `[${i}]`, out));
    return out;
  }
  for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

module.exports = { runMicroBenchmarks, findMicroBenchmarks, parseFigures, flatten };
