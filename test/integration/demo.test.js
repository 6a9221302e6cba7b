'use strict';
// `npm start` as a new user runs it: the demo comes up headless, readings land in InfluxDB
// (the raw ones thinned by the deadband), the quiet device is reported down, the overheating
// device raises one alert and one ok, and Ctrl-C stops everything the demo started.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const mqtt = require('mqtt');
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

  const influxUrl = () => output.match(/InfluxDB\s+(http:\/\/\S+)/)[1];
  /** The rows of the first series of an InfluxQL query on the demo's database ([] when none). */
  const rows = async (q) => {
    const body = await (await fetch(`${influxUrl()}/query?${new URLSearchParams({ db: 'telemetry', q })}`)).json();
    const series = body.results && body.results[0].series;
    return series ? series[0].values : [];
  };

  afterEach(function () {
    if (this.currentTest.state === 'failed') console.log(output.split('\n').slice(-60).join('\n'));
  });

  it('prints the editor URL and where the data goes', async function () {
    await waitFor(() => /Node-RED editor\s+http:\/\/127\.0\.0\.1:\d+\//.test(output), { timeout: 60000, message: 'the demo banner' });
    assert.match(output, /InfluxDB\s+http:\/\/127\.0\.0\.1:\d+ \(influxd/);
    const editor = output.match(/Node-RED editor\s+(http:\S+)/)[1];
    assert.strictEqual((await fetch(editor)).status, 200);
    // The dashboard (examples/dashboard.json) is served too, at the address the banner prints.
    const dashboard = output.match(/Dashboard\s+(http:\S+)/)[1];
    assert.strictEqual((await fetch(dashboard)).status, 200);
  });

  it('lands simulated readings and window rollups in InfluxDB', async function () {
    const count = async (measurement) => {
      const found = await rows(`SELECT COUNT(temperature${measurement === 'telemetry' ? '' : '_mean'}) FROM "${measurement}"`);
      return found.length > 0 ? found[0][1] : 0;
    };
    await waitFor(async () => (await count('telemetry')) >= 100, { timeout: 30000, interval: 500, message: 'raw readings in InfluxDB' });
    await waitFor(async () => (await count('telemetry_5s')) > 0, { timeout: 30000, interval: 500, message: 'rollups in InfluxDB' });
  });

  it('archives fewer raw points than the devices publish (deadband)', async function () {
    // Count what the simulator publishes over 15 s, then what the raw archive stored for the
    // same span of event time: the demo's deadband drops fields that did not move (and a
    // reading left with none), the window and heartbeat still see everything.
    const client = mqtt.connect(output.match(/MQTT broker\s+(mqtt:\S+)/)[1]);
    const published = [];
    try {
      await new Promise((resolve, reject) => {
        client.once('connect', () => client.subscribe('sensors/+/+/telemetry', (err) => (err ? reject(err) : resolve())));
        client.once('error', reject);
      });
      client.on('message', (_topic, payload) => {
        try {
          const reading = JSON.parse(payload);
          if (typeof reading.temperature === 'number') published.push(reading.ts);
        } catch {
          // dev-flaky's broken JSON: ingest rejects it, so it is no published reading either.
        }
      });
      const from = Date.now() + 1000;
      const to = from + 15000;
      await waitFor(() => Date.now() > to + 1000, { timeout: 20000, interval: 250, message: '15 s of published readings' });
      const span = `time >= ${from}ms AND time < ${to}ms`;
      const sent = published.filter((ts) => ts >= from && ts < to).length;
      // The raw archive writes every second: wait until the count for the span stops growing.
      let previous = -1;
      const stored = await waitFor(
        async () => {
          const n = (await rows(`SELECT * FROM "telemetry" WHERE ${span}`)).length;
          if (n > 0 && n === previous) return n;
          previous = n;
          return 0;
        },
        { timeout: 20000, interval: 1500, message: 'the raw archive to settle' },
      );
      const [[, temperature, humidity, battery]] = await rows(`SELECT COUNT(temperature), COUNT(humidity), COUNT(battery) FROM "telemetry" WHERE ${span}`);
      const values = temperature + humidity + battery;
      console.log(
        `      deadband: ${stored} of ${sent} published readings stored as points (${Math.round((100 * (sent - stored)) / sent)} % saved), ` +
          `${values} of ${3 * sent} field values (${Math.round((100 * (3 * sent - values)) / (3 * sent))} % saved)`,
      );
      assert.ok(sent > 1000, `only ${sent} readings published in 15 s`);
      assert.ok(stored < sent * 0.9, `the deadband saved too little: ${stored} points stored of ${sent} published`);
      assert.ok(stored > sent * 0.3, `the deadband dropped too much: ${stored} points stored of ${sent} published`);
      assert.ok(values < stored * 3, 'fields that did not move are left out of the points that are stored');
    } finally {
      await new Promise((resolve) => client.end(true, {}, resolve));
    }
  });

  it('reports the quiet device down (heartbeat watch)', async function () {
    await waitFor(() => /device: 'dev-quiet',\s*status: 'down'/.test(output), { timeout: 45000, message: 'a heartbeat down event' });
  });

  it('raises one alert and one ok for the overheating device, and archives both states', async function () {
    // DEMO_FAST: dev-hot is at ~34 °C from 10 s to 40 s after the start; its 5-s mean stays
    // above 30 for 10 s (alert), then falls below 28 (ok).
    const change = /key: '([^']+)',\s*field: '([^']+)',\s*status: '(alert|ok)'/g;
    const changes = () => [...output.matchAll(change)].map((m) => m.slice(1).join(' '));
    await waitFor(() => changes().includes('dev-hot temperature_mean ok'), { timeout: 80000, interval: 250, message: "dev-hot's ok" });
    assert.deepStrictEqual(changes(), ['dev-hot temperature_mean alert', 'dev-hot temperature_mean ok']);
    const states = await waitFor(
      async () => {
        const found = await rows(`SELECT "alerting", "value" FROM "alert_status" WHERE "device" = 'dev-hot' AND "field" = 'temperature_mean'`);
        return found.length >= 2 && found;
      },
      { timeout: 15000, interval: 500, message: 'both states in InfluxDB' },
    );
    assert.deepStrictEqual(states.map(([, alerting]) => alerting), [1, 0]);
    assert.ok(states[0][2] > 30 && states[1][2] < 28, `archived values ${states[0][2]} and ${states[1][2]}`);
    assert.strictEqual((await rows('SELECT COUNT("alerting") FROM "alert_status"'))[0][1], 2, 'no other device alerted');
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
