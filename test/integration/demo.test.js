'use strict';
// `npm start` as a new user runs it: the demo comes up headless, readings land in InfluxDB,
// the quiet device is reported down, and Ctrl-C stops everything the demo started.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { requireBinary } = require('../support/services');
const { freePort } = require('../support/free-port');
const { waitFor, waitForExit } = require('../support/wait');
const { makeTempDir, removeDir, track } = require('../support/processes');

const ROOT = path.resolve(__dirname, '..', '..');

describe('the demo (npm start)', function () {
  this.timeout(90000);
  let child;
  let output = '';
  let demoDir;

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    demoDir = makeTempDir('test-demo');
    const port = await freePort();
    child = track(
      spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.js')], {
        cwd: ROOT,
        env: { ...process.env, DEMO_FAST: '1', DEMO_DIR: demoDir, PORT: String(port), MQTT_URL: '', INFLUX_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
  });

  after(async function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (demoDir) removeDir(demoDir);
  });

  afterEach(function () {
    if (this.currentTest.state === 'failed') console.log(output.split('\n').slice(-60).join('\n'));
  });

  it('prints the editor URL and where the data goes', async function () {
    await waitFor(() => /Node-RED editor\s+http:\/\/127\.0\.0\.1:\d+\//.test(output), { timeout: 60000, message: 'the demo banner' });
    assert.match(output, /InfluxDB\s+http:\/\/127\.0\.0\.1:\d+ \(influxd/);
    const editor = output.match(/Node-RED editor\s+(http:\S+)/)[1];
    assert.strictEqual((await fetch(editor)).status, 200);
  });

  it('lands simulated readings and window rollups in InfluxDB', async function () {
    const influxUrl = output.match(/InfluxDB\s+(http:\/\/\S+)/)[1];
    const count = async (measurement) => {
      const q = new URLSearchParams({ db: 'telemetry', q: `SELECT COUNT(temperature${measurement === 'telemetry' ? '' : '_mean'}) FROM "${measurement}"` });
      const body = await (await fetch(`${influxUrl}/query?${q}`)).json();
      const series = body.results && body.results[0].series;
      return series ? series[0].values[0][1] : 0;
    };
    await waitFor(async () => (await count('telemetry')) >= 100, { timeout: 30000, interval: 500, message: 'raw readings in InfluxDB' });
    await waitFor(async () => (await count('telemetry_5s')) > 0, { timeout: 30000, interval: 500, message: 'rollups in InfluxDB' });
  });

  it('reports the quiet device down (heartbeat watch)', async function () {
    await waitFor(() => /device: 'dev-quiet',\s*status: 'down'/.test(output), { timeout: 45000, message: 'a heartbeat down event' });
  });

  it('stops everything it started on Ctrl-C', async function () {
    child.kill('SIGINT');
    await waitForExit(child, 30000);
    assert.strictEqual(child.exitCode, 0, output.slice(-2000));
    assert.match(output, /stopping the demo/);
    const left = require('child_process').spawnSync('pgrep', ['-f', demoDir], { encoding: 'utf8' }).stdout.trim();
    assert.strictEqual(left, '', `processes left running: ${left}`);
  });
});
