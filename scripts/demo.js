#!/usr/bin/env node
'use strict';
/**
 * `npm start`: Node-RED with this package, the demo flow and its dashboard (/dashboard), an MQTT broker, 50 simulated
 * devices and, when available, InfluxDB. Everything lives under `.demo/` (git-ignored), so a
 * second start reuses the data, the spool and the flow you edited. Ctrl-C stops what it started.
 *
 * Environment:
 *   MQTT_URL     use this broker (else one on 127.0.0.1:1883, else an embedded aedes broker)
 *   INFLUX_URL   use this InfluxDB (else an `influxd` on the PATH, else none: the archive spools)
 *   PORT         editor port (default 1880, or the next free one)
 *   DEMO_FAST=1  short timeouts (a device goes quiet within seconds) — used by the demo test
 *   DEMO_DIR     where the demo keeps its data (default .demo/)
 */
const fs = require('fs');
const path = require('path');
const net = require('net');
const { spawnSync } = require('child_process');
const { startInflux } = require('../test/support/services');
const { startNodeRed } = require('../test/support/node-red-process');
const { canConnect, freePort } = require('../test/support/free-port');
const simulator = require('./simulator');
const { demoFlow } = require('./lib/demo-flow');
const { withDashboard, DASHBOARD_PATH } = require('./lib/demo-dashboard');

const ROOT = path.resolve(__dirname, '..');
// DEMO_DIR lets the demo test run in a temp dir without touching your .demo/.
const DEMO_DIR = path.resolve(process.env.DEMO_DIR || path.join(ROOT, '.demo'));
const FAST = process.env.DEMO_FAST === '1';

async function portOr(preferred) {
  return (await canConnect(preferred)) ? freePort() : preferred;
}

async function startBroker() {
  if (process.env.MQTT_URL) return { url: process.env.MQTT_URL, how: 'MQTT_URL', stop: async () => {} };
  if (await canConnect(1883)) return { url: 'mqtt://127.0.0.1:1883', how: 'the broker already on 127.0.0.1:1883', stop: async () => {} };
  // aedes is an ES module; import() works from CommonJS.
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  const port = await portOr(1883);
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${port}`,
    how: 'an embedded aedes broker',
    stop: () => new Promise((resolve) => server.close(() => aedes.close(resolve))),
  };
}

async function startDatabase() {
  if (process.env.INFLUX_URL) return { url: process.env.INFLUX_URL, how: 'INFLUX_URL', stop: async () => {} };
  const found = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' }).stdout.trim();
  if (!found) return undefined;
  const influx = await startInflux(null, { dataDir: path.join(DEMO_DIR, 'influxdb'), port: await portOr(8086) });
  return { url: influx.url, how: `influxd (data in .demo/influxdb)`, stop: () => influx.stop() };
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'nodes'))) {
    console.error('dist/ is missing: run `npm run build` (npm start does it for you).');
    process.exit(1);
  }
  fs.mkdirSync(DEMO_DIR, { recursive: true });
  const broker = await startBroker();
  const database = await startDatabase();
  const userDir = path.join(DEMO_DIR, 'node-red');
  fs.mkdirSync(userDir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'examples', 'data', 'sites.csv'), path.join(userDir, 'sites.csv'));

  const flowsFile = path.join(userDir, 'flows.json');
  const existing = fs.existsSync(flowsFile) ? JSON.parse(fs.readFileSync(flowsFile, 'utf8')) : undefined;
  const servers = { mqttUrl: broker.url, influxUrl: database ? database.url : 'http://127.0.0.1:8086' };
  // The pipeline, and beside it the dashboard (examples/dashboard.json) on its own tab.
  const flows = withDashboard(demoFlow({ ...servers, fast: FAST, existing }), servers);

  const port = process.env.PORT ? Number(process.env.PORT) : await portOr(1880);
  const red = await startNodeRed({
    userDir,
    port,
    flows,
    echo: true,
    logLevel: 'info',
    startTimeout: 60000,
    settings: {
      contextStorage: { default: { module: 'localfilesystem' }, memory: { module: 'memory' } },
      flowFilePretty: true,
    },
  });
  // DEMO_FAST: dev-hot overheats once, 10 s after the start, for 30 s (the demo test waits for its alert and ok; the alert needs a 5-s mean above 30 for 10 s, so 15 s left too little margin on a loaded machine).
  const sim = simulator.start({
    url: broker.url,
    devices: 50,
    interval: FAST ? 500 : 2000,
    quietEveryMs: FAST ? 20000 : 300000,
    quietForMs: FAST ? 12000 : 60000,
    ...(FAST ? { hotAfterMs: 10000, hotForMs: 30000, hotEveryMs: 3600000 } : {}),
  });

  const line = '─'.repeat(72);
  console.log(`\n${line}\n  Node-RED editor   ${red.url}/\n  Dashboard         ${red.url}${DASHBOARD_PATH}${database ? '' : ' (live charts only: no InfluxDB to refill them from)'}`);
  console.log(`  MQTT broker       ${broker.url} (${broker.how})`);
  console.log(database
    ? `  InfluxDB          ${database.url} (${database.how}), database "telemetry"`
    : '  InfluxDB          none found: the archive nodes spool to disk until one answers.\n' +
      '                    Install it (apt-get install influxdb) or set INFLUX_URL=http://host:8086\n' +
      '                    (1.x, or 2.x/3.x through their v1 API), then npm start again.');
  console.log(`  Devices           50 simulated on sensors/<site>/<device>/telemetry\n  Data              ${DEMO_DIR}\n  Ctrl-C stops everything.\n${line}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the demo…');
    await sim.stop().catch(() => {});
    await red.stop().catch(() => {});
    if (database) await database.stop().catch(() => {});
    await broker.stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`demo failed: ${err.stack || err.message}`);
  process.exit(1);
});
