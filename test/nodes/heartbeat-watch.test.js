'use strict';
// telemetry-heartbeat-watch in the real Node-RED runtime (node-red-node-test-helper), on a
// FakeClock: time moves only by clock.advance, so each alert is checked at its exact millisecond
// and "nothing more happened" holds for as long as the test says.
const assert = require('assert');
const helper = require('../support/helper');
const { fakeClockPerTest } = require('../support/fake-clock');
const heartbeatNode = require('../../nodes/telemetry-heartbeat-watch.js');
const { validateReading } = require('../../dist/core/reading');

const TYPE = 'telemetry-heartbeat-watch';

function flow(config = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'heartbeat' },
    { id: 'hb', type: TYPE, z: 'f1', name: '', timeout: '60ms', summaryInterval: '', wires: [['changes'], ['summary']], ...config },
    { id: 'changes', type: 'helper', z: 'f1' },
    { id: 'summary', type: 'helper', z: 'f1' },
    { id: 'catcher', type: 'catch', z: 'f1', scope: ['hb'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];
}

const T0 = Date.UTC(2026, 0, 1);
const reading = (device, extra = {}) => ({ measurement: 'telemetry', tags: { device }, fields: { temperature: 21.5 }, timestamp: T0, ...extra });

const { collect } = require('../support/collect');

let clock;
/** Puts the node on a fresh FakeClock for each test of the calling describe (plus `settings`). */
function useFakeClock(settings = {}) {
  fakeClockPerTest(helper, { start: T0, settings }, (c) => (clock = c));
}

/** Lets msgs already sent travel and async callbacks finish, without moving the clock. */
const settled = () => clock.advance(0);

async function summaryOf(hb, summary) {
  hb.receive({ control: 'status' });
  const [msg] = await summary.next();
  return msg.payload;
}

describe('telemetry-heartbeat-watch node', function () {
  this.timeout(5_000);
  useFakeClock();

  it('loads with its defaults and shows the counts', async function () {
    await helper.load(heartbeatNode, [{ id: 'hb', type: TYPE, wires: [[], []] }]); // every default
    const hb = helper.getNode('hb');
    assert.strictEqual(hb.type, TYPE);
    assert.strictEqual(helper.settings().telemetryClock, clock, 'the fake clock reaches the runtime settings');
    await settled();
    assert.ok(hb.status.calledWithMatch({ fill: 'green', shape: 'dot', text: `${TYPE}.status.counts` }), 'status shown');
  });

  it('sends down once when a device is silent for the timeout', async function () {
    await helper.load(heartbeatNode, flow());
    const changes = collect('changes');
    const before = clock.now();
    helper.getNode('hb').receive({ payload: reading('dev-1') });
    await clock.advance(59);
    assert.strictEqual(changes.seen.length, 0, 'not before the timeout');
    await clock.advance(1);
    const [msg] = await changes.next();
    assert.strictEqual(msg.topic, 'heartbeat/dev-1');
    assert.deepStrictEqual(Object.keys(msg.payload).sort(), ['device', 'flaps', 'lastSeen', 'silentMs', 'status', 'timeout']);
    assert.strictEqual(msg.payload.device, 'dev-1');
    assert.strictEqual(msg.payload.status, 'down');
    assert.strictEqual(msg.payload.silentMs, 60);
    assert.strictEqual(msg.payload.lastSeen, before, 'lastSeen is an epoch ms time');
    await clock.advance(3_600_000);
    assert.strictEqual(changes.seen.length, 0, 'no repeated down');
  });

  it('sends up once when a down device reports again', async function () {
    await helper.load(heartbeatNode, flow());
    const changes = collect('changes');
    const hb = helper.getNode('hb');
    hb.receive({ payload: reading('dev-1') });
    await clock.advance(60);
    await changes.next();
    await clock.advance(40);
    hb.receive({ payload: reading('dev-1') });
    hb.receive({ payload: reading('dev-1') });
    const [up] = await changes.next();
    assert.deepStrictEqual([up.topic, up.payload.status], ['heartbeat/dev-1', 'up']);
    assert.strictEqual(up.payload.silentMs, 100);
    await clock.advance(59);
    assert.strictEqual(changes.seen.length, 0, 'one up only');
  });

  it('alerts for an expected device that never reported, with lastSeen null', async function () {
    await helper.load(heartbeatNode, flow({ expected: 'never-1' }));
    const changes = collect('changes');
    await clock.advance(59);
    assert.strictEqual(changes.seen.length, 0, 'an expected device gets the timeout from the start');
    await clock.advance(1);
    const [msg] = await changes.next();
    assert.deepStrictEqual([msg.payload.device, msg.payload.status, msg.payload.lastSeen], ['never-1', 'down', null]);
  });

  it('counts every reading of a batch as a heartbeat of its device', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h' }));
    const summary = collect('summary');
    const hb = helper.getNode('hb');
    hb.receive({ payload: [reading('a'), reading('b'), reading('a')] });
    assert.deepStrictEqual(await summaryOf(hb, summary), { total: 2, up: 2, down: 0, downDevices: [] });
  });

  it('takes msg.topic as the device when the payload has no device key', async function () {
    await helper.load(heartbeatNode, flow());
    const changes = collect('changes');
    helper.getNode('hb').receive({ topic: 'plant/pump-7', payload: 'ping' });
    await clock.advance(60);
    const [msg] = await changes.next();
    assert.strictEqual(msg.payload.device, 'plant/pump-7');
  });

  it('reads the device from another deviceKey', async function () {
    await helper.load(heartbeatNode, flow({ deviceKey: 'tags.serial' }));
    const changes = collect('changes');
    helper.getNode('hb').receive({ payload: reading('x', { tags: { serial: 'SN-42' } }) });
    await clock.advance(60);
    const [msg] = await changes.next();
    assert.strictEqual(msg.payload.device, 'SN-42');
  });

  it('a msg without any device fails through done(err) for Catch nodes', async function () {
    await helper.load(heartbeatNode, flow());
    const caught = collect('caught');
    helper.getNode('hb').receive({ payload: { temperature: 3 } });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'NO_DEVICE');
    assert.ok(msg.error.message.endsWith(`${TYPE}.errors.NO_DEVICE`), msg.error.message);
    assert.deepStrictEqual(msg.payload, { temperature: 3 }, 'the original msg reaches the Catch node');
  });

  it('msg.timeout overrides the timeout for the devices of that msg', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h' }));
    const changes = collect('changes');
    helper.getNode('hb').receive({ payload: reading('fast'), timeout: '50ms' });
    await clock.advance(49);
    assert.strictEqual(changes.seen.length, 0);
    await clock.advance(1);
    const [msg] = await changes.next();
    assert.deepStrictEqual([msg.payload.device, msg.payload.timeout], ['fast', 50]);
  });

  it('looks timeouts up by a tag in the timeouts table', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h', timeoutTag: 'kind', timeouts: '{"fast":"40ms"}' }));
    const changes = collect('changes');
    const hb = helper.getNode('hb');
    hb.receive({ payload: [reading('a', { tags: { device: 'a', kind: 'slow' } }), reading('b', { tags: { device: 'b', kind: 'fast' } })] });
    await clock.advance(40);
    const [msg] = await changes.next();
    assert.deepStrictEqual([msg.payload.device, msg.payload.timeout], ['b', 40]);
    await clock.advance(3_600_000 - 41);
    assert.strictEqual(changes.seen.length, 0, 'the other device keeps the 1h timeout');
  });

  it('a bad msg.timeout still counts the heartbeat and reports the error', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h' }));
    const caught = collect('caught');
    const summary = collect('summary');
    const hb = helper.getNode('hb');
    hb.receive({ payload: reading('a'), timeout: 'soon' });
    const [err] = await caught.next();
    assert.strictEqual(err.error.code, 'BAD_TIMEOUT');
    assert.strictEqual((await summaryOf(hb, summary)).total, 1);
  });

  it('msg.control = "status" answers on output 2 with the asking msg', async function () {
    await helper.load(heartbeatNode, flow({ expected: 'e1' }));
    const summary = collect('summary');
    const changes = collect('changes');
    const hb = helper.getNode('hb');
    await clock.advance(60);
    await changes.next(); // e1 down
    hb.receive({ payload: reading('a') });
    hb.receive({ control: 'status', correlation: 42 });
    const [msg] = await summary.next();
    assert.deepStrictEqual(msg.payload, { total: 2, up: 1, down: 1, downDevices: ['e1'] });
    assert.strictEqual(msg.topic, 'heartbeat/summary');
    assert.strictEqual(msg.correlation, 42);
    assert.strictEqual(msg.control, undefined);
  });

  it('sends a summary every summaryInterval', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h', summaryInterval: '1s' }));
    const summary = collect('summary');
    helper.getNode('hb').receive({ payload: reading('a') });
    await clock.advance(999);
    assert.strictEqual(summary.seen.length, 0);
    await clock.advance(1);
    const [msg] = await summary.next();
    assert.deepStrictEqual(msg.payload, { total: 1, up: 1, down: 0, downDevices: [] });
    await clock.advance(2_000);
    assert.strictEqual((await summary.next(2)).length, 2, 'one every second');
  });

  it('with emitReading, each up/down carries a device_status reading in msg.reading', async function () {
    await helper.load(heartbeatNode, flow({ emitReading: true }));
    const changes = collect('changes');
    helper.getNode('hb').receive({ payload: reading('dev-1') });
    await clock.advance(60);
    const [msg] = await changes.next();
    assert.deepStrictEqual([msg.reading.measurement, msg.reading.tags, msg.reading.fields], ['device_status', { device: 'dev-1' }, { up: 0 }]);
    assert.strictEqual(validateReading(msg.reading), undefined);
    assert.strictEqual(msg.payload.status, 'down', 'the payload stays the state change');
  });

  it('without emitReading there is no msg.reading', async function () {
    await helper.load(heartbeatNode, flow());
    const changes = collect('changes');
    helper.getNode('hb').receive({ payload: reading('dev-1') });
    await clock.advance(60);
    const [msg] = await changes.next();
    assert.strictEqual(msg.reading, undefined);
  });

  it('retires a device silent for forgetAfter, once', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '40ms', forgetAfter: '120ms' }));
    const changes = collect('changes');
    const summary = collect('summary');
    const hb = helper.getNode('hb');
    hb.receive({ payload: reading('old') });
    await clock.advance(40);
    assert.deepStrictEqual((await changes.next()).map((m) => m.payload.status), ['down']);
    await clock.advance(79);
    assert.strictEqual(changes.seen.length, 0, 'not retired before forgetAfter');
    await clock.advance(1);
    assert.deepStrictEqual((await changes.next()).map((m) => m.payload.status), ['retired']);
    assert.strictEqual((await summaryOf(hb, summary)).total, 0);
  });

  it('msg.control = "forget" drops a device now and reports it retired', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h' }));
    const changes = collect('changes');
    const hb = helper.getNode('hb');
    hb.receive({ payload: reading('gone') });
    hb.receive({ control: 'forget', device: 'gone' });
    const [msg] = await changes.next();
    assert.deepStrictEqual([msg.topic, msg.payload.status], ['heartbeat/gone', 'retired']);
  });

  it('msg.control = "reset" forgets every device without alerts', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h' }));
    const summary = collect('summary');
    const hb = helper.getNode('hb');
    hb.receive({ payload: [reading('a'), reading('b')] });
    hb.receive({ control: 'reset' });
    assert.strictEqual((await summaryOf(hb, summary)).total, 0);
  });

  it('an unknown msg.control fails through done(err)', async function () {
    await helper.load(heartbeatNode, flow());
    const caught = collect('caught');
    helper.getNode('hb').receive({ control: 'explode' });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'UNKNOWN_CONTROL');
  });

  it('refuses new devices beyond maxDevices through done(err), keeps the known ones', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '1h', maxDevices: 2 }));
    const caught = collect('caught');
    const summary = collect('summary');
    const hb = helper.getNode('hb');
    hb.receive({ payload: [reading('a'), reading('b'), reading('c')] });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'REGISTRY_FULL');
    assert.strictEqual((await summaryOf(hb, summary)).total, 2);
  });

  it('emits a burst of simultaneous downs as one msg per device, all of them', async function () {
    const n = 5_000;
    await helper.load(heartbeatNode, flow({ timeout: '50ms' }));
    const changes = collect('changes');
    const batch = [];
    for (let i = 0; i < n; i++) batch.push(reading(`d${i}`));
    helper.getNode('hb').receive({ payload: batch });
    await clock.advance(50);
    const msgs = await changes.next(n, 4_000);
    assert.strictEqual(new Set(msgs.map((m) => m.payload.device)).size, n);
    assert.ok(msgs.every((m) => m.payload.status === 'down'));
  });

  it('invalid config: red status, an error logged, msgs fail through done(err), no crash', async function () {
    // The helper's RED._ drops parameters; show them, so the reasons can be checked.
    const withParams = (red) => (red._ = (key, params) => (params ? `${key} ${JSON.stringify(params)}` : key));
    await helper.load([withParams, heartbeatNode], flow({ timeout: 'soon', summaryInterval: '10ms' }));
    const hb = helper.getNode('hb');
    const caught = collect('caught');
    assert.ok(hb.status.calledWithMatch({ fill: 'red', shape: 'ring' }));
    assert.ok(hb.error.calledWithMatch(`${TYPE}.errors.config`));
    hb.receive({ payload: reading('a') });
    const [msg] = await caught.next();
    assert.strictEqual(msg.error.code, 'CONFIG');
    assert.ok(msg.error.message.includes(`${TYPE}.errors.bad-duration`), msg.error.message);
    assert.ok(msg.error.message.includes('timeout'), msg.error.message);
  });

  it('warns when persistState cannot work: no contextStorage in settings.js', async function () {
    await helper.load(heartbeatNode, flow({ persistState: true }));
    assert.ok(helper.getNode('hb').warn.calledWithMatch(`${TYPE}.warn.no-context-storage`));
  });

  it('stops its timers on close: nothing is sent after the node is gone', async function () {
    await helper.load(heartbeatNode, flow({ timeout: '30ms', summaryInterval: '1s' }));
    const hb = helper.getNode('hb');
    hb.receive({ payload: reading('a') });
    await settled();
    await helper.setFlows([], 'full');
    hb.send.resetHistory();
    assert.strictEqual(clock.pending, 0, 'no timer left armed');
    await clock.advance(10_000);
    assert.strictEqual(hb.send.callCount, 0);
  });
});

describe('telemetry-heartbeat-watch node: persistState', function () {
  this.timeout(5_000);
  // Node-RED keeps node context across a redeploy only when settings.js configures
  // contextStorage (else it deletes it on close). The helper never loads the stores itself, so
  // these tests configure one and load it; helper.load re-initialises context for other tests.
  useFakeClock({ contextStorage: { default: 'memory', memory: { module: 'memory' } } });

  async function load(config) {
    await helper.load(heartbeatNode, flow(config));
    await helper._context.load();
  }

  it('the registry survives a redeploy with no false alerts', async function () {
    const config = { timeout: '300ms', persistState: true };
    await load(config);
    helper.getNode('hb').receive({ payload: [reading('a'), reading('b')] });
    await clock.advance(200);
    // Redeploy the changed node: close (saves the registry), then a new instance (restores it).
    await helper.setFlows(flow({ ...config, name: 'renamed' }), 'nodes');
    const hb = helper.getNode('hb');
    const changes = collect('changes');
    const summary = collect('summary');
    assert.deepStrictEqual(await summaryOf(hb, summary), { total: 2, up: 2, down: 0, downDevices: [] });
    await clock.advance(299); // the old deadlines (300 ms after the readings) have passed: a fresh timeout holds
    assert.strictEqual(changes.seen.length, 0, 'no false down right after the redeploy');
    await clock.advance(1);
    const downs = await changes.next(2);
    assert.ok(downs.every((m) => m.payload.status === 'down' && m.payload.silentMs === 500), JSON.stringify(downs.map((m) => m.payload)));
  });

  it('saves the registry in the node context on close', async function () {
    await load({ timeout: '1h', persistState: true });
    const hb = helper.getNode('hb');
    hb.receive({ payload: reading('a') });
    await helper.setFlows(flow({ timeout: '1h', persistState: true, name: 'renamed' }), 'nodes');
    const saved = helper.getNode('hb').context().get('heartbeatRegistry');
    assert.deepStrictEqual([saved.format, saved.devices, saved.down], ['telemetry-heartbeat-watch/1', ['a'], '0']);
  });

  it('without persistState a redeploy starts empty', async function () {
    await load({ timeout: '1h' });
    helper.getNode('hb').receive({ payload: reading('a') });
    await helper.setFlows(flow({ timeout: '1h', name: 'renamed' }), 'nodes');
    const summary = collect('summary');
    assert.strictEqual((await summaryOf(helper.getNode('hb'), summary)).total, 0);
  });

  it('an unreadable saved registry is reported and the node starts empty', async function () {
    await load({ timeout: '1h', persistState: true });
    helper.getNode('hb').context().set('heartbeatRegistry', { format: 'something else' });
    await helper.setFlows(flow({ timeout: '1h', persistState: true, name: 'renamed' }), 'nodes');
    const hb = helper.getNode('hb');
    await settled();
    assert.ok(hb.warn.calledWithMatch(`${TYPE}.warn.bad-state`));
  });
});
