'use strict';
// Proves `npm run bench` works end to end: the runner in quick mode (1 run, 20,000 messages) for
// scenario A at QoS 0 only, with its own Mosquitto and InfluxDB, no micro-benchmarks. The
// figures themselves are not asserted (performance belongs in the benchmark, not in tests);
// that the pipeline delivered every message, the JSON and the markdown table are.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { requireBinary } = require('../support/services');

const REPO = path.resolve(__dirname, '..', '..');

describe('npm run bench (quick smoke run of scenario A)', function () {
  this.timeout(60000);
  let resultsDir;
  let child;
  let exitCode;
  let stdout = '';
  let stderr = '';

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    requireBinary(this, 'mosquitto', 'mosquitto');
    resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    child = spawn(process.execPath, [path.join(REPO, 'bench', 'run.js'), '--quick', '--scenarios', 'A', '--qos', '0', '--no-micro', '--results-dir', resultsDir], {
      cwd: REPO,
      env: { ...process.env, BENCH_QUICK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    exitCode = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        resolve('timeout');
      }, 45000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  });

  after(function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (resultsDir) fs.rmSync(resultsDir, { recursive: true, force: true });
  });

  function results() {
    const files = fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
    assert.strictEqual(files.length, 1, `one results file expected, found ${files.join(', ')}`);
    return JSON.parse(fs.readFileSync(path.join(resultsDir, files[0]), 'utf8'));
  }

  it('exits 0 within the time limit', function () {
    assert.strictEqual(exitCode, 0, `exit ${exitCode}\n${stderr.slice(-2000)}`);
  });

  it('writes <timestamp>.json into the results dir', function () {
    const files = fs.readdirSync(resultsDir);
    assert.ok(files.some((f) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/.test(f)), files.join(', '));
  });

  it('lands every published message of each run in InfluxDB', function () {
    const { runs } = results();
    assert.deepStrictEqual(runs.map((r) => `${r.scenario}/${r.qos}/${r.mode}`), ['A/0/throughput', 'A/0/latency']);
    for (const r of runs) {
      assert.strictEqual(r.error, undefined, r.error);
      assert.strictEqual(r.published, r.messages);
      assert.strictEqual(r.landed, r.messages);
      assert.strictEqual(r.lost, 0);
    }
  });

  it('reports throughput, latency and the process figures of the run', function () {
    const [tput, lat] = results().runs;
    assert.ok(tput.pointsPerSec > 0, 'points/s');
    assert.ok(lat.latency.p50Ms > 0 && lat.latency.p99Ms >= lat.latency.p50Ms, JSON.stringify(lat.latency));
    assert.ok(tput.subject.rssPeakMB > 0 && tput.subject.cpuSeconds > 0, JSON.stringify(tput.subject));
  });

  it('prints the markdown table with the A row and the targets', function () {
    assert.match(stdout, /\| scenario \| QoS \| points\/s \|/);
    // A row may carry ¹ or ² when other processes disturbed the run (a busy machine, not a bench fault).
    assert.match(stdout, /\| A raw limit(?: [¹²])? \| 0 \| [\d,]+ \| 1\.00 \|/);
    assert.match(stdout, /\| B ≥ 0\.8 × A \(QoS 0\) \|/);
  });
});
