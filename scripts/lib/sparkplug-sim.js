'use strict';
/**
 * The simulator's Sparkplug B mode (`node scripts/simulator.js --sparkplug`): edge nodes of a
 * group `Plant` publishing Eclipse Sparkplug 3.0 over MQTT, encoded with Eclipse Tahu's
 * `sparkplug-payload` (a runtime dependency of the package, so this runs from an install too).
 *
 * - Each edge node `edge-<n>` (5 devices each) publishes NBIRTH (bdSeq, Node Control/Rebirth,
 *   Properties/…), a DBIRTH per device defining aliases, then DDATA by alias every interval:
 *   temperature, humidity (Float), running (Boolean), cycles (Int64) and a template instance
 *   `motor` (→ fields motor/rpm, motor/current). Its will is its NDEATH.
 * - `edge-1/dev-quiet` sends a DDEATH for `quietFor` every `quietEvery` (the heartbeat watch shows
 *   `down` at once), then a DBIRTH (`up`).
 * - An NCMD `Node Control/Rebirth = true` (the ingest asks after a restart of Node-RED, when it
 *   sees aliases it does not know) is answered with a new NBIRTH and DBIRTHs.
 */
const mqtt = require('mqtt');
const tahu = require('sparkplug-payload').get('spBv1.0');

const GROUP = 'Plant';
const DEVICES_PER_EDGE = 5;

function walker(base, step) {
  let value = base;
  return () => (value = Math.round((value + (Math.random() - 0.5) * step + (base - value) * 0.05) * 100) / 100);
}

function edgeNode(index, deviceCount, args) {
  const id = `edge-${index + 1}`;
  const devices = Array.from({ length: deviceCount }, (_, i) => ({
    name: index === 0 && i === 0 ? 'dev-quiet' : `dev-${String(i + 1).padStart(2, '0')}`,
    temperature: walker(21 + i, 0.4),
    humidity: walker(45, 1),
    rpm: walker(1450, 20),
    cycles: 0,
    dead: false,
  }));
  const bdSeq = Math.floor(Math.random() * 256);
  let seq = 0;
  const encode = (payload) => Buffer.from(tahu.encodePayload(payload));
  const topic = (type, device) => `spBv1.0/${GROUP}/${type}/${id}${device ? `/${device}` : ''}`;
  const death = encode({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: bdSeq }] });
  const client = mqtt.connect(args.url, {
    clientId: `sparkplug-sim-${id}-${process.pid}`,
    reconnectPeriod: 2000,
    clean: true,
    will: { topic: topic('NDEATH'), payload: death, qos: 1, retain: false },
  });
  const next = () => {
    const value = seq;
    seq = (seq + 1) % 256;
    return value;
  };
  // Aliases are unique per edge node: device d, metric m → d * 10 + m.
  const metrics = (device, d, birth) => {
    const alias = (m) => d * 10 + m;
    const named = (name, m, type, value) => (birth ? { name, alias: alias(m), type, value } : { alias: alias(m), type, value });
    device.cycles += 1;
    return [
      named('temperature', 1, 'Float', device.temperature()),
      named('humidity', 2, 'Float', device.humidity()),
      named('running', 3, 'Boolean', true),
      named('cycles', 4, 'Int64', device.cycles),
      named('motor', 5, 'Template', { templateRef: 'Motor', metrics: [{ name: 'rpm', type: 'Int32', value: Math.round(device.rpm()) }, { name: 'current', type: 'Float', value: 3.2 }] }),
    ];
  };
  const publish = (type, device, payload) => client.publish(topic(type, device), encode({ timestamp: Date.now(), seq: next(), ...payload }), { qos: 0 });
  let sent = 0;

  function births() {
    seq = 0;
    publish('NBIRTH', undefined, {
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: bdSeq },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'Properties/Make', type: 'String', value: 'ACME' },
        { name: 'Properties/Firmware', type: 'String', value: '3.1.4' },
      ],
    });
    devices.forEach((device, d) => {
      if (!device.dead) publish('DBIRTH', device.name, { metrics: metrics(device, d + 1, true) });
    });
    sent += 1 + devices.length;
  }

  client.on('connect', births);
  client.subscribe(topic('NCMD'), { qos: 0 });
  client.on('message', (_topic, payload) => {
    let command;
    try {
      command = tahu.decodePayload(payload);
    } catch {
      return;
    }
    if ((command.metrics || []).some((m) => m.name === 'Node Control/Rebirth' && m.value === true)) births();
  });
  client.on('error', (err) => console.error(`simulator ${id}: ${err.message}`));

  return {
    tick(now, quiet) {
      if (!client.connected) return;
      devices.forEach((device, d) => {
        const shouldBeDead = device.name === 'dev-quiet' && quiet;
        if (shouldBeDead && !device.dead) {
          device.dead = true;
          publish('DDEATH', device.name, {});
        } else if (!shouldBeDead && device.dead) {
          device.dead = false;
          publish('DBIRTH', device.name, { metrics: metrics(device, d + 1, true) });
        } else if (!device.dead) {
          publish('DDATA', device.name, { metrics: metrics(device, d + 1, false) });
        }
        sent++;
      });
    },
    get sent() {
      return sent;
    },
    stop() {
      // A clean stop publishes the NDEATH itself (the will only goes on a lost connection).
      client.publish(topic('NDEATH'), death, { qos: 1 });
      return new Promise((resolve) => client.end(false, {}, resolve));
    },
  };
}

function startSparkplug(args) {
  const startedAt = Date.now();
  const edges = Array.from({ length: Math.max(1, Math.ceil(args.devices / DEVICES_PER_EDGE)) }, (_, i) =>
    edgeNode(i, Math.min(DEVICES_PER_EDGE, args.devices - i * DEVICES_PER_EDGE), args),
  );
  const timer = setInterval(() => {
    const now = Date.now();
    const quiet = (now - startedAt) % args.quietEveryMs > args.quietEveryMs - args.quietForMs;
    for (const edge of edges) edge.tick(now, quiet);
  }, args.interval);
  return {
    get sent() {
      return edges.reduce((sum, e) => sum + e.sent, 0);
    },
    stop() {
      clearInterval(timer);
      return Promise.all(edges.map((e) => e.stop()));
    },
  };
}

module.exports = { startSparkplug, GROUP };
