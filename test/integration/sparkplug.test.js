'use strict';
// Sparkplug B end to end: Eclipse Tahu's own edge-node client (sparkplug-client, a client
// nobody on this project wrote) → real Mosquitto → Node-RED (test helper) ingest with format
// "sparkplug" → heartbeat watch, and → archive → real InfluxDB 1.6.
// Births, DDATA by alias, every scalar metric type, an unknown alias refused with the NCMD
// rebirth request seen by the edge node through the broker, DDEATH and NDEATH → `down` within
// 1 s, garbage payloads refused; metric names and timestamps land in InfluxDB.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const sparkplug = require('sparkplug-client');
const tahu = require('sparkplug-payload').get('spBv1.0');
const helper = require('../support/helper');
const { startInflux, startMosquitto } = require('../support/services');
const { waitFor } = require('../support/wait');

const NODES = ['mqtt-broker', 'ingest', 'heartbeat-watch', 'influxdb', 'archive'].map((n) => require(`../../nodes/telemetry-${n}.js`));
const GROUP = 'IT';
const DB = 'sparkplug_it';

/** Msgs arriving at a helper node, kept in order. */
function record(id) {
  const seen = [];
  helper.getNode(id).on('input', (msg) => seen.push(msg));
  return seen;
}

describe('Sparkplug B: Tahu edge node → Mosquitto → ingest → heartbeat + archive → InfluxDB', function () {
  this.timeout(60_000);
  let mosquitto;
  let influx;
  let raw;
  let edge;
  let spoolDir;

  before(async function () {
    this.timeout(30_000);
    [mosquitto, influx] = await Promise.all([startMosquitto(this), startInflux(this)]);
    raw = await mqtt.connectAsync(mosquitto.url, { clientId: 'sparkplug-it-raw', clean: true });
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkplug-it-'));
  });
  after(async function () {
    edge?.stop();
    await raw?.endAsync();
    await helper.unload();
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  const flow = () => [
    { id: 'f1', type: 'tab', label: 'sparkplug' },
    { id: 'b1', type: 'telemetry-mqtt-broker', url: mosquitto.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true },
    { id: 'i1', z: 'f1', type: 'telemetry-ingest', broker: 'b1', topic: `spBv1.0/${GROUP}/#`, qos: '1', format: 'sparkplug', wires: [['hb', 'a1', 'readings'], ['refused']] },
    { id: 'hb', z: 'f1', type: 'telemetry-heartbeat-watch', timeout: '1h', summaryInterval: '', wires: [['changes'], []] },
    { id: 's1', type: 'telemetry-influxdb', url: influx.url, database: DB, retentionPolicy: '', timeout: 5000 },
    {
      id: 'a1', z: 'f1', type: 'telemetry-archive', server: 's1', batchSize: 1000, flushInterval: '100ms', maxConcurrent: 1, maxRetries: 1,
      maxBackoff: '500ms', spool: true, spoolDir, spoolMaxMB: 16, onSpoolFull: 'drop-oldest', gzip: false, allowMsgOverride: false,
      wires: [[], ['archiveRefused']],
    },
    { id: 'catcher', z: 'f1', type: 'catch', scope: ['i1', 'hb', 'a1'], uncaught: false, wires: [['caught']] },
    ...['readings', 'refused', 'changes', 'archiveRefused', 'caught'].map((id) => ({ id, z: 'f1', type: 'helper' })),
  ];

  it('births, data by alias, every type, unknown alias → rebirth request, deaths → down within 1 s, garbage refused', async function () {
    await helper.load(NODES, flow());
    const out = Object.fromEntries(['readings', 'refused', 'changes', 'archiveRefused', 'caught'].map((id) => [id, record(id)]));
    const readingsOf = (device) => out.readings.flatMap((m) => m.payload).filter((r) => r.tags.device === device);

    // The subscription is live once a probe (an NDATA by name) comes out.
    await waitFor(async () => {
      await raw.publishAsync(`spBv1.0/${GROUP}/NDATA/probe`, Buffer.from(tahu.encodePayload({ metrics: [{ name: 'probe', type: 'Int32', value: 1 }] })));
      return readingsOf('probe').length > 0;
    }, { timeout: 10_000, interval: 100, message: 'the ingest to receive a probe' });

    const t0 = Date.now() - 60_000;
    const commands = [];
    edge = sparkplug.newClient({ serverUrl: mosquitto.url, username: '', password: '', groupId: GROUP, edgeNode: 'E1', clientId: 'tahu-edge-E1', version: 'spBv1.0', publishDeath: true });
    edge.on('ncmd', (payload) => commands.push(payload));
    await new Promise((resolve) => edge.once('birth', resolve));
    edge.publishNodeBirth({
      timestamp: t0,
      metrics: [
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'Properties/Make', type: 'String', value: 'ACME' },
        { name: 'i8', alias: 1, type: 'Int8', value: -8 },
        { name: 'i16', alias: 2, type: 'Int16', value: -16 },
        { name: 'i32', alias: 3, type: 'Int32', value: -32 },
        { name: 'i64', alias: 4, type: 'Int64', value: -64 },
        { name: 'u8', alias: 5, type: 'UInt8', value: 8 },
        { name: 'u16', alias: 6, type: 'UInt16', value: 16 },
        { name: 'u32', alias: 7, type: 'UInt32', value: 32 },
        { name: 'u64', alias: 8, type: 'UInt64', value: 64 },
        { name: 'f', alias: 9, type: 'Float', value: 1.5 },
        { name: 'd', alias: 10, type: 'Double', value: 2.25 },
        { name: 'b', alias: 11, type: 'Boolean', value: true },
        { name: 's', alias: 12, type: 'String', value: 'text' },
        { name: 'dt', alias: 13, type: 'DateTime', value: t0 },
        { name: 'txt', alias: 14, type: 'Text', value: 'long' },
        { name: 'uuid', alias: 15, type: 'UUID', value: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6' },
      ],
    });
    edge.publishDeviceBirth('D1', { timestamp: t0 + 1, metrics: [{ name: 'line/temp', alias: 100, type: 'Float', value: 20 }] });
    edge.publishDeviceData('D1', { timestamp: t0 + 2, metrics: [{ alias: 100, type: 'Float', value: 21 }] });
    edge.publishNodeData({ timestamp: t0 + 3, metrics: [{ alias: 4, type: 'Int64', value: -65 }, { alias: 13, type: 'DateTime', value: t0 + 3 }] });
    await waitFor(() => readingsOf('E1/D1').length === 2 && readingsOf('E1').length === 2, { timeout: 10_000, message: 'births and data' });
    const [birth, data] = readingsOf('E1');
    assert.deepEqual(birth.fields, {
      bdSeq: birth.fields.bdSeq, 'Properties/Make': 'ACME', i8: -8, i16: -16, i32: -32, i64: -64, u8: 8, u16: 16, u32: 32, u64: 64,
      f: 1.5, d: 2.25, b: true, s: 'text', dt: t0, txt: 'long', uuid: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    });
    assert.deepEqual({ ...birth.tags }, { group: GROUP, edge: 'E1', device: 'E1' });
    assert.deepEqual([data.fields, data.timestamp], [{ i64: -65, dt: t0 + 3 }, t0 + 3]);
    assert.deepEqual(readingsOf('E1/D1').map((r) => [r.fields['line/temp'], r.timestamp]), [[20, t0 + 1], [21, t0 + 2]]);
    assert.deepEqual(out.refused, []);

    // An alias no BIRTH defined: refused, and the edge node gets NCMD Node Control/Rebirth = true.
    edge.publishDeviceData('D1', { timestamp: t0 + 4, metrics: [{ alias: 999, type: 'Int32', value: 5 }] });
    await waitFor(() => commands.length > 0 && out.refused.length > 0, { timeout: 10_000, message: 'refusal and rebirth request' });
    assert.equal(out.refused[0].error.code, 'UNKNOWN_ALIAS');
    assert.deepEqual(commands[0].metrics.map((m) => [m.name, m.value]), [['Node Control/Rebirth', true]]);

    // Garbage on a Sparkplug topic: refused with a reason, nothing else disturbed.
    await raw.publishAsync(`spBv1.0/${GROUP}/DDATA/E1/D1`, Buffer.from([0xff, 0xfe, 0x00, 0x13]));
    await raw.publishAsync(`spBv1.0/${GROUP}/NDATA/E1`, Buffer.from('{"json":"is not sparkplug"}'));
    await waitFor(() => out.refused.length >= 3, { timeout: 10_000, message: 'garbage refused' });
    assert.deepEqual(out.refused.slice(1).map((m) => m.error.code), ['PARSE_ERROR', 'PARSE_ERROR']);

    // Deaths: `down` within 1 s of the publish, not after the 1 h timeout.
    let at = Date.now();
    edge.publishDeviceDeath('D1', { timestamp: Date.now() });
    const deviceDown = await waitFor(() => out.changes.find((m) => m.payload.device === 'E1/D1'), { timeout: 5_000, message: 'DDEATH → down' });
    assert.equal(deviceDown.payload.status, 'down');
    assert.ok(Date.now() - at < 1_000, `DDEATH → down took ${Date.now() - at} ms`);
    at = Date.now();
    edge.stop(); // publishDeath: an NDEATH with the session's bdSeq
    edge = undefined;
    const nodeDown = await waitFor(() => out.changes.find((m) => m.payload.device === 'E1'), { timeout: 5_000, message: 'NDEATH → down' });
    assert.equal(nodeDown.payload.status, 'down');
    assert.ok(Date.now() - at < 1_000, `NDEATH → down took ${Date.now() - at} ms`);

    // InfluxDB: metric names (with their "/") and timestamps as sent; deaths wrote nothing.
    await waitFor(async () => (await influx.rows(`SELECT COUNT("line/temp") AS n FROM telemetry`, { db: DB }))[0]?.n === 2, { timeout: 15_000, interval: 200, message: 'E1/D1 in InfluxDB' });
    const rows = await influx.rows(`SELECT "line/temp" FROM telemetry WHERE device = 'E1/D1'`, { db: DB });
    assert.deepEqual(rows.map((r) => [r.time, r['line/temp']]), [[t0 + 1, 20], [t0 + 2, 21]]);
    const [node] = await influx.rows(`SELECT "Properties/Make", i64, u64, dt, uuid, edge, "group" FROM telemetry WHERE device = 'E1' AND time = ${t0}ms`, { db: DB });
    assert.deepEqual({ ...node }, { time: t0, 'Properties/Make': 'ACME', i64: -64, u64: 64, dt: t0, uuid: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', edge: 'E1', group: GROUP });
    assert.deepEqual([out.archiveRefused, out.caught.map((m) => m.error?.message)], [[], []]);
  });

  it('the simulator (--sparkplug): readings with flattened templates, dev-quiet dies and is back, no refusal', async function () {
    await helper.unload();
    await helper.load(NODES, flow().map((n) => (n.id === 'i1' ? { ...n, topic: 'spBv1.0/Plant/#' } : n)));
    const out = Object.fromEntries(['readings', 'refused', 'changes'].map((id) => [id, record(id)]));
    const { start } = require('../../scripts/simulator');
    // Subscribed before the simulator starts, so its BIRTHs are seen (no rebirth needed).
    await waitFor(async () => {
      await raw.publishAsync('spBv1.0/Plant/NDATA/probe', Buffer.from(tahu.encodePayload({ metrics: [{ name: 'probe', type: 'Int32', value: 1 }] })));
      return out.readings.length > 0;
    }, { timeout: 10_000, interval: 100, message: 'the ingest to receive a probe' });
    const sim = start({ url: mosquitto.url, sparkplug: true, devices: 5, interval: 100, quietEveryMs: 2_000, quietForMs: 1_000 });
    try {
      const changeOf = (status) => out.changes.find((m) => m.payload.device === 'edge-1/dev-quiet' && m.payload.status === status);
      await waitFor(() => changeOf('down') && changeOf('up'), { timeout: 15_000, message: 'dev-quiet down then up' });
      const data = out.readings.flatMap((m) => m.payload).find((r) => r.tags.device === 'edge-1/dev-02' && r.fields['motor/rpm'] !== undefined && r.fields.cycles > 1);
      assert.ok(data, 'DDATA by alias, template flattened');
      assert.deepEqual(Object.keys(data.fields).sort(), ['cycles', 'humidity', 'motor/current', 'motor/rpm', 'running', 'temperature']);
      assert.deepEqual(out.refused.map((m) => m.error), []);
    } finally {
      await sim.stop();
    }
  });
});
