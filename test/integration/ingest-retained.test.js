'use strict';
// Retained messages against a real Mosquitto (issue #21). The broker hands every new subscriber
// the last retained message of each topic, maybe days old: ingest's `retained` option decides
// what is read from it, and a heartbeat watch behind ingest never takes it for a sign of life.
//
// Every test publishes its retained messages first, then deploys, then publishes live probes
// until one comes out: Mosquitto sends the retained messages right after the SUBACK, before any
// live message on the same connection, so by then every retained message has been handled.
const assert = require('assert');
const mqtt = require('mqtt');
const helper = require('../support/helper');
const { startMosquitto } = require('../support/services');
const { waitFor } = require('../support/wait');
const { FakeClock } = require('../support/fake-clock');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const brokerNode = require('../../nodes/telemetry-mqtt-broker.js');
const heartbeatNode = require('../../nodes/telemetry-heartbeat-watch.js');
const { startNodeRed } = require('../support/node-red-process');

const tab = { id: 'f1', type: 'tab', label: 'retained' };
const figures = {};

describe('retained messages with a real Mosquitto (issue #21)', function () {
  this.timeout(30_000);
  let mosquitto;
  let publisher;

  before(async function () {
    mosquitto = await startMosquitto(this);
    publisher = await mqtt.connectAsync(mosquitto.url, { clientId: 'retained-publisher', clean: true });
  });
  after(async function () {
    if (publisher) await publisher.endAsync();
    console.log(`      RETAINED-FIGURES ${JSON.stringify(figures)}`);
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });

  const broker = (id) => ({ id, type: 'telemetry-mqtt-broker', url: mosquitto.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true });
  const ingest = (prefix, extra = {}) => ({
    id: 'in', type: 'telemetry-ingest', z: 'f1', broker: 'b1', topic: `${prefix}/+`, qos: '1', format: 'json',
    topicTemplate: `${prefix}/{device}`, batchSize: '1', wires: [['ok'], ['bad']], ...extra,
  });
  const sinks = [{ id: 'ok', type: 'helper', z: 'f1' }, { id: 'bad', type: 'helper', z: 'f1' }];

  /** Every msg reaching `id`, in order. */
  function record(id) {
    const msgs = [];
    helper.getNode(id).on('input', (msg) => msgs.push(msg));
    return msgs;
  }

  /** Publishes the retained set of a test: an old reading with its own time, one without, one broken. */
  async function publishRetained(prefix) {
    const old = Date.now() - 3_600_000;
    await publisher.publishAsync(`${prefix}/dev-stamped`, JSON.stringify({ t: 1, ts: old }), { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/dev-plain`, JSON.stringify({ t: 2 }), { qos: 1, retain: true });
    await publisher.publishAsync(`${prefix}/dev-broken`, 'not json {', { qos: 1, retain: true });
    return old;
  }

  /** Publishes live probes until one reaches `ok`: every retained message came before it. */
  async function probe(prefix, okMsgs) {
    await waitFor(async () => {
      await publisher.publishAsync(`${prefix}/probe`, '{"probe":1}', { qos: 1 });
      return okMsgs.some((m) => m.payload.fields.probe !== undefined);
    }, { timeout: 10_000, interval: 100, message: 'a live probe through ingest' });
  }

  /** [device, retain flag] of each reading that came out, probes left out. */
  const devices = (msgs) => msgs.filter((m) => m.payload.fields.probe === undefined).map((m) => [m.payload.tags.device, m.retain === true]);

  it('process (default): retained messages are read, marked msg.retain; the broken one is refused', async function () {
    await publishRetained('rp');
    await helper.load([brokerNode, ingestNode], [tab, broker('b1'), ingest('rp'), ...sinks]);
    const ok = record('ok');
    const bad = record('bad');
    await probe('rp', ok);
    assert.deepStrictEqual(devices(ok).sort(), [['dev-plain', true], ['dev-stamped', true]]);
    assert.deepStrictEqual(bad.map((m) => [m.topic, m.error.code, m.retain]), [['rp/dev-broken', 'PARSE_ERROR', true]]);
    assert.ok(ok.filter((m) => m.payload.fields.probe !== undefined).every((m) => m.retain === false), 'live probes are not marked retained');
    figures.process = { retainedRead: devices(ok).length, refused: bad.length };
  });

  it('skip: no retained message comes out on either output; live ones do', async function () {
    await publishRetained('rs');
    await helper.load([brokerNode, ingestNode], [tab, broker('b1'), ingest('rs', { retained: 'skip' }), ...sinks]);
    const ok = record('ok');
    const bad = record('bad');
    await probe('rs', ok);
    assert.deepStrictEqual([devices(ok), bad.length], [[], 0]);
    figures.skip = { retainedRead: 0, refused: 0, retainedPublished: 3 };
  });

  it('timestamped: only the retained reading with its own time, with that time; the other refused with a reason', async function () {
    const old = await publishRetained('rt');
    await helper.load([brokerNode, ingestNode], [tab, broker('b1'), ingest('rt', { retained: 'timestamped' }), ...sinks]);
    const ok = record('ok');
    const bad = record('bad');
    await probe('rt', ok);
    assert.deepStrictEqual(devices(ok), [['dev-stamped', true]]);
    assert.strictEqual(ok[0].payload.timestamp, old);
    assert.deepStrictEqual(bad.map((m) => [m.topic, m.error.code]).sort(), [['rt/dev-broken', 'PARSE_ERROR'], ['rt/dev-plain', 'RETAINED_NO_TIMESTAMP']]);
    figures.timestamped = { retainedRead: 1, refused: bad.length };
  });

  it('heartbeat watch: a device down before a restart stays down when its retained message comes back, and is up on its next live message', async function () {
    // Fake clock for the timeouts (MQTT stays real); persistState in a memory store, which a full
    // redeploy keeps: the same restore path as a Node-RED restart with a file store.
    const clock = new FakeClock(Date.now());
    helper.settings({ telemetryClock: clock, contextStorage: { default: 'memory', memory: { module: 'memory' } } });
    const flow = [
      tab, broker('b1'),
      { ...ingest('hb'), wires: [['ok', 'hb'], ['bad']] },
      { id: 'hb', type: 'telemetry-heartbeat-watch', z: 'f1', deviceKey: 'tags.device', timeout: '10s', persistState: true, contextStore: 'memory', flapPeriod: '0', wires: [['changes'], ['summary']] },
      ...sinks, { id: 'changes', type: 'helper', z: 'f1' }, { id: 'summary', type: 'helper', z: 'f1' },
    ];
    await helper.load([brokerNode, ingestNode, heartbeatNode], flow);
    await helper._context.load();
    let ok = record('ok');
    let changes = record('changes');
    await probe('hb', ok);
    // The device reports live, with retain set as devices often do: the broker keeps it as retained.
    await publisher.publishAsync('hb/dev-r', '{"t":1}', { qos: 1, retain: true });
    await waitFor(() => devices(ok).length === 1, { timeout: 10_000, message: 'the live reading of dev-r' });
    assert.deepStrictEqual(devices(ok), [['dev-r', false]], 'a live message to a running subscription is not retained');
    await clock.advance(10_000);
    await waitFor(() => changes.some((m) => m.payload.device === 'dev-r' && m.payload.status === 'down'), { timeout: 5_000, message: 'dev-r down' });

    // Restart (full redeploy): ingest resubscribes and Mosquitto replays dev-r's retained message.
    await helper.setFlows(flow, 'full');
    await helper._context.load();
    ok = record('ok');
    changes = record('changes');
    await waitFor(() => devices(ok).some(([d, retained]) => d === 'dev-r' && retained), { timeout: 10_000, message: 'dev-r\'s retained message after the restart' });
    await probe('hb', ok);
    const devR = changes.filter((m) => m.payload.device === 'dev-r');
    assert.deepStrictEqual(devR.map((m) => m.payload.status), [], 'the retained message did not bring dev-r up');
    const summary = record('summary');
    helper.getNode('hb').receive({ control: 'status' });
    await waitFor(() => summary.length === 1, { timeout: 5_000, message: 'a summary' });
    assert.deepStrictEqual(summary[0].payload.downDevices, ['dev-r']);

    // Its next live message is a sign of life.
    await publisher.publishAsync('hb/dev-r', '{"t":2}', { qos: 1 });
    await waitFor(() => changes.some((m) => m.payload.device === 'dev-r' && m.payload.status === 'up'), { timeout: 10_000, message: 'dev-r up on a live message' });
    figures.heartbeat = { retainedAfterRestart: 1, falseUps: devR.length };
    await publisher.publishAsync('hb/dev-r', '', { qos: 1, retain: true }); // clear it for reruns
  });

  it('heartbeat watch across a real Node-RED restart (SIGTERM, file context store): the replayed retained message of a down device brings no up', async function () {
    // A real runtime: the restart path a user has, with a real timeout (1.5 s) on the real clock.
    const z = 'rr';
    const record = (id, key, expr) => ({ id, type: 'function', z, outputs: 1, wires: [], func: `const seen = global.get('${key}') || [];\nseen.push(${expr});\nglobal.set('${key}', seen);\nreturn null;` });
    const serve = (route, key) => [
      { id: `${key}In`, type: 'http in', z, url: route, method: 'get', upload: false, wires: [[`${key}List`]] },
      { id: `${key}List`, type: 'function', z, outputs: 1, wires: [[`${key}Out`]], func: `msg.payload = global.get('${key}') || [];\nreturn msg;` },
      { id: `${key}Out`, type: 'http response', z, statusCode: '', headers: {}, wires: [] },
    ];
    const flows = [
      { id: z, type: 'tab', label: 'retained restart' },
      { id: 'b1', type: 'telemetry-mqtt-broker', url: mosquitto.url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true },
      { id: 'in', type: 'telemetry-ingest', z, broker: 'b1', topic: 'hbr/+', qos: '1', format: 'json', topicTemplate: 'hbr/{device}', batchSize: '1', wires: [['hb', 'recReading'], []] },
      {
        id: 'hb', type: 'telemetry-heartbeat-watch', z, deviceKey: 'tags.device', timeout: '1500ms', expected: '', forgetAfter: '', timeoutTag: '', timeouts: '',
        summaryInterval: '', emitReading: false, persistState: true, contextStore: 'file', maxDevices: 1000, flapPeriod: '0', wires: [['recChange'], []],
      },
      record('recReading', 'readings', '[msg.payload.tags.device, msg.retain === true]'),
      record('recChange', 'changes', '[msg.payload.device, msg.payload.status]'),
      ...serve('/readings', 'readings'),
      ...serve('/changes', 'changes'),
    ];
    const red = await startNodeRed({ flows, mochaCtx: this });
    const get = async (route) => (await fetch(red.url + route)).json();
    const probeLive = () => waitFor(async () => {
      await publisher.publishAsync('hbr/probe', '{"probe":1}', { qos: 1 });
      return (await get('/readings')).some(([d, retained]) => d === 'probe' && !retained);
    }, { timeout: 15_000, interval: 200, message: 'a live probe through the real runtime' });

    await probeLive();
    await publisher.publishAsync('hbr/dev-r', '{"t":1}', { qos: 1, retain: true }); // its last word, kept by the broker
    await waitFor(async () => (await get('/changes')).some(([d, s]) => d === 'dev-r' && s === 'down'), { timeout: 15_000, interval: 100, message: 'dev-r down' });

    await red.stop();
    await red.start();
    await waitFor(async () => (await get('/readings')).some(([d, retained]) => d === 'dev-r' && retained), { timeout: 15_000, interval: 100, message: 'the retained message replayed after the restart' });
    await probeLive(); // everything before it has been handled
    const falseUps = (await get('/changes')).filter(([d, s]) => d === 'dev-r' && s === 'up').length;
    assert.strictEqual(falseUps, 0, 'the replayed retained message brought dev-r up');

    await publisher.publishAsync('hbr/dev-r', '{"t":2}', { qos: 1 });
    await waitFor(async () => (await get('/changes')).some(([d, s]) => d === 'dev-r' && s === 'up'), { timeout: 15_000, interval: 100, message: 'dev-r up on a live message' });
    await publisher.publishAsync('hbr/dev-r', '', { qos: 1, retain: true });
    figures.heartbeatRealRestart = { retainedAfterRestart: 1, falseUps };
  });
});
