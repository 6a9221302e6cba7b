'use strict';
// telemetry-alert in the real Node-RED runtime (node-red-node-test-helper), on a FakeClock: the
// alerts follow the readings' timestamps; the clock only paces the summary and the saves.
const assert = require('assert');
const helper = require('../support/helper');
const { installFakeClock } = require('../support/fake-clock');
const alertNode = require('../../nodes/telemetry-alert.js');
const { validateReading } = require('../../dist/core/reading');
const { collect } = require('../support/collect');

const TYPE = 'telemetry-alert';
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const HOT = { field: 'temperature', op: 'above', value: '30', value2: '', for: '5m', clear: '28', severity: 'warning' };

function flow(config = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'alert' },
    { id: 'al', type: TYPE, z: 'f1', name: '', rules: [HOT], wires: [['changes'], ['summary']], ...config },
    { id: 'changes', type: 'helper', z: 'f1' },
    { id: 'summary', type: 'helper', z: 'f1' },
    { id: 'catcher', type: 'catch', z: 'f1', scope: ['al'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'f1' },
  ];
}

const reading = (minute, temperature, device = 'd1') => ({ measurement: 'telemetry', tags: { device }, fields: { temperature }, timestamp: T0 + minute * MIN });

let clock;
function useFakeClock(settings = {}) {
  beforeEach(() => (clock = installFakeClock(helper, { start: T0, settings })));
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });
}
const settled = () => clock.advance(0);

async function summaryOf(node, summary) {
  node.receive({ control: 'status' });
  const [msg] = await summary.next();
  return msg.payload;
}

describe('telemetry-alert node', function () {
  this.timeout(5_000);
  useFakeClock();

  it('loads with one rule and shows ok', async function () {
    await helper.load(alertNode, [{ id: 'al', type: TYPE, rules: [HOT], wires: [[], []] }]);
    await settled();
    assert.ok(helper.getNode('al').status.calledWithMatch({ fill: 'green', shape: 'dot', text: `${TYPE}.status.ok` }));
  });

  it('refuses a config without rules, with the reason', async function () {
    await helper.load(alertNode, [{ id: 'al', type: TYPE, wires: [[], []] }]);
    const node = helper.getNode('al');
    assert.ok(node.error.calledWithMatch(`${TYPE}.errors.config`), 'config error logged');
    assert.ok(node.status.calledWithMatch({ fill: 'red', text: `${TYPE}.status.config-error` }));
  });

  it('the user story: above 30 for 5 minutes → one alert; below 28 → one ok', async function () {
    await helper.load(alertNode, flow({ emitReading: true }));
    const node = helper.getNode('al');
    const changes = collect('changes');
    for (const [m, v] of [[0, 31], [1, 32], [2, 29.5], [3, 31], [8, 31], [9, 33], [10, 29], [11, 27.5], [12, 27]]) node.receive({ payload: reading(m, v) });
    const [alert, ok] = await changes.next(2);
    assert.strictEqual(alert.topic, 'alert/d1/temperature');
    assert.deepStrictEqual(alert.payload, { key: 'd1', field: 'temperature', status: 'alert', value: 31, since: T0 + 3 * MIN, rule: 1, severity: 'warning' });
    assert.deepStrictEqual(ok.payload, { key: 'd1', field: 'temperature', status: 'ok', value: 27.5, since: T0 + 11 * MIN, rule: 1, severity: 'warning' });
    assert.deepStrictEqual(alert.reading, { measurement: 'alert_status', tags: { device: 'd1', field: 'temperature' }, fields: { alerting: 1, value: 31 }, timestamp: T0 + 8 * MIN });
    assert.strictEqual(validateReading(alert.reading), undefined, 'the reading is archivable');
    assert.strictEqual(ok.reading.fields.alerting, 0);
    await settled();
    assert.strictEqual(changes.seen.length, 0, 'nothing more');
  });

  it('a batch of readings of several devices; status counts alerts', async function () {
    await helper.load(alertNode, flow({ rules: [{ ...HOT, for: '' }] }));
    const node = helper.getNode('al');
    const changes = collect('changes');
    node.receive({ payload: [reading(0, 31, 'a'), reading(0, 20, 'b'), reading(0, 35, 'c')] });
    const msgs = await changes.next(2);
    assert.deepStrictEqual(msgs.map((m) => m.topic), ['alert/a/temperature', 'alert/c/temperature']);
    await clock.advance(1_000);
    assert.ok(node.status.calledWithMatch({ fill: 'red', text: `${TYPE}.status.alerting` }));
  });

  it('summary every summaryInterval and on msg.control status', async function () {
    await helper.load(alertNode, flow({ rules: [{ ...HOT, for: '' }], summaryInterval: '1m' }));
    const node = helper.getNode('al');
    const summary = collect('summary');
    node.receive({ payload: reading(0, 40, 'hot') });
    await clock.advance(MIN - 1);
    assert.strictEqual(summary.seen.length, 0);
    await clock.advance(1);
    const [tick] = await summary.next();
    assert.deepStrictEqual(tick.payload, { total: 1, alerting: [{ key: 'hot', field: 'temperature', value: 40, since: T0, rule: 1, severity: 'warning' }] });
    node.receive({ control: 'reset' });
    assert.deepStrictEqual(await summaryOf(node, summary), { total: 0, alerting: [] });
  });

  it('bad input, a missing tag and a full table fail the msg for Catch, without a crash', async function () {
    await helper.load(alertNode, flow({ rules: [{ ...HOT, for: '' }], maxKeys: 1 }));
    const node = helper.getNode('al');
    const caught = collect('caught');
    const changes = collect('changes');
    node.receive({ payload: 'hot' });
    node.receive({ payload: { measurement: 'm', tags: {}, fields: { temperature: 50 }, timestamp: T0 } });
    node.receive({ payload: [reading(0, 40, 'a'), reading(0, 40, 'b')] });
    node.receive({ control: 'explode' });
    const errors = await caught.next(4);
    assert.deepStrictEqual(errors.map((m) => m.error.code), ['NOT_A_READING', 'NO_KEY', 'KEYS_FULL', 'UNKNOWN_CONTROL']);
    assert.deepStrictEqual((await changes.next()).map((m) => m.topic), ['alert/a/temperature']);
  });
});

describe('telemetry-alert node: persistState', function () {
  this.timeout(5_000);
  useFakeClock({ contextStorage: { default: 'memory', memory: { module: 'memory' } } });

  async function load(config) {
    await helper.load(alertNode, flow(config));
    await helper._context.load();
  }

  it('an alert in force survives a redeploy: no second alert, one ok later', async function () {
    const config = { persistState: true };
    await load(config);
    let changes = collect('changes');
    const node = helper.getNode('al');
    node.receive({ payload: [reading(0, 31), reading(5, 31), reading(4, 31, 'd2')] });
    assert.strictEqual((await changes.next())[0].payload.status, 'alert');
    await helper.setFlows(flow({ ...config, name: 'renamed' }), 'nodes');
    const again = helper.getNode('al');
    changes = collect('changes');
    const summary = collect('summary');
    assert.strictEqual((await summaryOf(again, summary)).total, 1, 'restored');
    again.receive({ payload: [reading(6, 32), reading(9, 31, 'd2'), reading(10, 27)] });
    const msgs = await changes.next(2);
    assert.deepStrictEqual(msgs.map((m) => `${m.payload.key}:${m.payload.status}`), ['d2:alert', 'd1:ok'], 'the hold of d2 continued; d1 was not raised again');
  });

  it('without persistState a redeploy starts empty', async function () {
    await load({ persistState: true });
    helper.getNode('al').receive({ payload: [reading(0, 31), reading(5, 31)] });
    await helper.setFlows(flow({ persistState: false }), 'nodes');
    const summary = collect('summary');
    assert.strictEqual((await summaryOf(helper.getNode('al'), summary)).total, 0);
  });

  it('an unreadable saved state is reported and ignored', async function () {
    await load({ persistState: true });
    helper.getNode('al').context().set('alertState', { format: 'something else' });
    await helper.setFlows(flow({ persistState: true, name: 'renamed' }), 'nodes');
    await settled();
    assert.ok(helper.getNode('al').warn.calledWithMatch(`${TYPE}.warn.bad-state`));
  });
});
