#!/usr/bin/env node
'use strict';
/**
 * A fleet of simulated devices publishing telemetry over MQTT, for the demo and for trying flows.
 *
 *   node scripts/simulator.js [--url mqtt://127.0.0.1:1883] [--devices 50] [--interval 2s]
 *
 * Devices publish JSON to `sensors/<site>/<device>/telemetry`:
 *   { "ts": <ms>, "temperature": 21.4, "humidity": 48.2, "battery": 97.1 }
 * with slow drifts and noise. Device `dev-quiet` goes silent for a minute every five minutes
 * (the heartbeat watch reports it down, then up); device `dev-flaky` sometimes sends a
 * malformed payload (ingest routes it to its rejected output); device `dev-hot` overheats: 2
 * minutes after the start, then every 30 minutes, its temperature climbs to ~34 °C for 10
 * minutes and falls back to ~24 °C (the alert node raises `alert`, then `ok`). Every third
 * device is a thermostat-like sensor that reports temperature in 0.5 °C steps and humidity in
 * whole percent, so its values are often flat (what the archive's deadband saves).
 *
 *   node scripts/simulator.js --sparkplug [--devices 10] [--interval 2s]
 *
 * Sparkplug B instead (scripts/lib/sparkplug-sim.js): edge nodes `edge-<n>` of group `Plant`
 * with 5 devices each, BIRTHs with aliases, DDATA by alias, `edge-1/dev-quiet` dying (DDEATH)
 * and coming back, rebirth requests answered. For the flow in examples/sparkplug.json.
 */
const mqtt = require('mqtt');

const SITES = ['plant-a', 'plant-b', 'warehouse', 'office', 'lab'];

function parseArgs(argv) {
  const args = {
    url: process.env.MQTT_URL || 'mqtt://127.0.0.1:1883',
    devices: 50,
    interval: 2000,
    quietEveryMs: 300_000,
    quietForMs: 60_000,
    hotAfterMs: 120_000,
    hotEveryMs: 1_800_000,
    hotForMs: 600_000,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--sparkplug') {
      args.sparkplug = true; // a flag: no value follows
      i -= 1;
    } else if (key === '--url') args.url = value;
    else if (key === '--devices') args.devices = Number(value);
    else if (key === '--interval') args.interval = parseMs(value);
    else if (key === '--quiet-every') args.quietEveryMs = parseMs(value);
    else if (key === '--quiet-for') args.quietForMs = parseMs(value);
    else if (key === '--hot-after') args.hotAfterMs = parseMs(value);
    else if (key === '--hot-every') args.hotEveryMs = parseMs(value);
    else if (key === '--hot-for') args.hotForMs = parseMs(value);
    else throw new Error(`unknown option ${key}`);
  }
  return args;
}

function parseMs(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(text));
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 }[m[2] || 'ms']);
}

/** A random walk around a base value, so charts look like real sensors rather than noise. */
function walker(base, spread, step) {
  let value = base + (Math.random() - 0.5) * spread;
  return () => {
    value += (Math.random() - 0.5) * step + (base - value) * 0.02;
    return Math.round(value * 100) / 100;
  };
}

/** Rounds to a sensor's resolution, so a steady value repeats exactly. */
function quantized(next, step) {
  return () => Math.round(next() / step) * step;
}

/**
 * `dev-hot`: ~24 °C, or ~34 °C while `isHot()`; it moves a third of the way to its target per
 * tick, so it climbs and cools over a few readings instead of jumping.
 */
function overheating(isHot) {
  let value = 24;
  return () => {
    const target = isHot() ? 34 : 24;
    value += (target - value) / 3 + (Math.random() - 0.5) * 0.2;
    return Math.round(value * 100) / 100;
  };
}

function makeDevices(count, isHot) {
  const devices = [];
  for (let i = 0; i < count; i++) {
    const name = i === 0 ? 'dev-quiet' : i === 1 ? 'dev-flaky' : i === 2 ? 'dev-hot' : `dev-${String(i).padStart(3, '0')}`;
    // dev-003, dev-006, …: coarse sensors whose values are often flat.
    const flat = i > 2 && i % 3 === 0;
    devices.push({
      name,
      site: SITES[i % SITES.length],
      temperature: name === 'dev-hot' ? overheating(isHot) : flat ? quantized(walker(21, 6, 0.2), 0.5) : walker(21, 6, 0.4),
      humidity: flat ? quantized(walker(45, 20, 0.5), 1) : walker(45, 20, 1.5),
      battery: (() => {
        let level = 60 + Math.random() * 40;
        return () => (level = Math.max(5, level - Math.random() * 0.01)).toFixed(1) * 1;
      })(),
    });
  }
  return devices;
}

function start(options = {}) {
  const args = { ...parseArgs([]), ...options };
  if (args.sparkplug) return require('./lib/sparkplug-sim').startSparkplug(args);
  const startedAt = Date.now();
  // Hot from hotAfterMs on for hotForMs, again every hotEveryMs.
  const isHot = () => {
    const since = Date.now() - startedAt - args.hotAfterMs;
    return since >= 0 && since % args.hotEveryMs < args.hotForMs;
  };
  const devices = makeDevices(args.devices, isHot);
  const client = mqtt.connect(args.url, { clientId: `telemetry-simulator-${process.pid}`, reconnectPeriod: 2000 });
  let sent = 0;
  let timer;

  const isQuiet = (device, now) => device.name === 'dev-quiet' && (now - startedAt) % args.quietEveryMs > args.quietEveryMs - args.quietForMs;

  function tick() {
    const now = Date.now();
    for (const device of devices) {
      if (isQuiet(device, now)) continue;
      const topic = `sensors/${device.site}/${device.name}/telemetry`;
      let payload;
      if (device.name === 'dev-flaky' && Math.random() < 0.2) {
        payload = Math.random() < 0.5 ? '{"temperature": 21.5, "humidity": ' : JSON.stringify({ ts: now, temperature: 'n/a', humidity: { broken: [] } });
      } else {
        payload = JSON.stringify({ ts: now, temperature: device.temperature(), humidity: device.humidity(), battery: device.battery() });
      }
      client.publish(topic, payload, { qos: 0 });
      sent++;
    }
  }

  client.on('connect', () => {
    if (!timer) timer = setInterval(tick, args.interval);
  });
  client.on('error', (err) => console.error(`simulator: ${err.message}`));

  return {
    get sent() {
      return sent;
    },
    stop() {
      clearInterval(timer);
      return new Promise((resolve) => client.end(false, {}, resolve));
    },
  };
}

module.exports = { start };

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  const sim = start(args);
  const what = args.sparkplug ? 'Sparkplug B devices (group Plant)' : 'devices';
  console.log(`simulating ${args.devices} ${what} → ${args.url} every ${args.interval} ms (Ctrl-C to stop)`);
  process.on('SIGINT', () => sim.stop().then(() => process.exit(0)));
}
