'use strict';
// Fan-out sharing (src/nodes/shared/fan-out.ts) in the real runtime: the test helper's RED gets
// the runtime's own hooks (as in test/faults/ack-tracker.test.js), so Node-RED's send path and
// its onSend hook run as in production. An onReceive hook added by the test records the msg
// object each node receives: object identity shows where the runtime cloned and where not.
const assert = require('node:assert/strict');
const http = require('node:http');
const helper = require('../support/helper');
const { installFakeClock } = require('../support/fake-clock');
const { FanOutSharing, SHARING_TYPES } = require('../../dist/nodes/shared/fan-out');

const ours = ['ingest', 'enrich', 'window', 'archive', 'influxdb', 'heartbeat-watch'].map((n) => require(`../../nodes/telemetry-${n}.js`));
const functionNode = helper.coreNode('function/10-function.js');
/** node-red-node-test-helper's RED lacks `hooks` (a real runtime's has it): give it the runtime's own. */
const withHooks = (red) => {
  if (!red.hooks) red.hooks = helper._RED.hooks;
};
const withoutHooks = (red) => {
  delete red.hooks;
};

const T0 = Date.UTC(2026, 0, 1);
const reading = (device, v, extra = {}) => ({ measurement: 'env', tags: { device }, fields: { temperature: v, ...extra }, timestamp: T0 + v });

let influx; // a stand-in InfluxDB that accepts every write
let clock;
/** node id → msg objects it received, in order (the onReceive hook). */
let received;

function record() {
  received = new Map();
  helper._RED.hooks.add('onReceive.fanOutTest', (event) => {
    const list = received.get(event.destination.id) ?? [];
    list.push(event.msg);
    received.set(event.destination.id, list);
  });
}
const got = (id) => received.get(id) ?? [];

/** enrich (°C → °F) → [archive, window, ...extra wires]; the window's outputs go to helpers. */
function pipeline(extraWires = [], extraNodes = [], windowOut2 = 'late') {
  return [
    { id: 's1', type: 'telemetry-influxdb', url: `http://127.0.0.1:${influx.address().port}`, database: 'test', retentionPolicy: '', timeout: 2000 },
    { id: 'enrich', type: 'telemetry-enrich', rules: [{ type: 'convert', field: 'temperature', unit: 'C->F' }], wires: [['archive', 'window', ...extraWires], ['refused']] },
    { id: 'archive', type: 'telemetry-archive', server: 's1', batchSize: 1000, flushInterval: '1s', spool: false, wires: [[], ['archive2']] },
    { id: 'window', type: 'telemetry-window', windowType: 'tumbling', size: '1m', aggregates: 'count,mean', wires: [['out'], [windowOut2]] },
    { id: 'out', type: 'helper' },
    { id: 'late', type: 'helper' },
    { id: 'refused', type: 'helper' },
    { id: 'archive2', type: 'helper' },
    ...extraNodes,
  ];
}

/** Lets the msgs travel (the runtime delivers each on setImmediate) without moving the clock. */
async function settled() {
  for (let i = 0; i < 20; i++) await clock.advance(0);
}

describe('fan-out sharing between our nodes (onSend hook)', function () {
  this.timeout(10000);
  before((done) => {
    influx = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 204;
        res.end();
      });
    });
    influx.listen(0, '127.0.0.1', done);
  });
  after((done) => influx.close(done));
  beforeEach(() => {
    clock = installFakeClock(helper, { start: T0 + 30_000 });
    record();
  });
  afterEach(async () => {
    helper._RED.hooks.remove('onReceive.fanOutTest');
    await helper.unload();
    helper.settings({});
  });

  it('enrich → [archive, window]: both receive the same msg object, enrich leaves its input unchanged', async function () {
    await helper.load([withHooks, ...ours], pipeline());
    const input = { _msgid: 'm-1', payload: [reading('a', 10), reading('b', 20)] };
    helper.getNode('enrich').receive(input);
    await settled();
    const [atArchive] = got('archive');
    const [atWindow] = got('window');
    assert.ok(atArchive && atWindow, 'both received the msg');
    assert.equal(atArchive, atWindow, 'not cloned: one object');
    assert.equal(atArchive._msgid, 'm-1');
    assert.deepEqual(atArchive.payload.map((r) => r.fields.temperature), [50, 68]);
    // enrich built a new msg and new readings: the msg it received is as it was sent
    assert.deepEqual(input.payload.map((r) => r.fields.temperature), [10, 20]);
    assert.notEqual(atArchive, input);
  });

  it('ingest with a wired input → [archive, window]: one object for both, the input msg unchanged', async function () {
    const flow = pipeline();
    flow.push({ id: 'ingest', type: 'telemetry-ingest', measurement: 'env', wires: [['archive', 'window'], []] });
    await helper.load([withHooks, ...ours], flow);
    const input = { topic: 'sensors/a', payload: { temperature: 21 } };
    helper.getNode('ingest').receive(input);
    await settled();
    const [atArchive] = got('archive');
    assert.ok(atArchive);
    assert.equal(atArchive, got('window')[0]);
    assert.equal(atArchive.payload.fields.temperature, 21);
    assert.deepEqual(input.payload, { temperature: 21 }, 'ingest sent a new msg');
  });

  it('the window output is the same whether the runtime shares or clones', async function () {
    const run = async (hooks) => {
      await helper.load([hooks, ...ours], pipeline());
      helper.getNode('enrich').receive({ payload: [reading('a', 10), reading('a', 20), reading('b', 30)] });
      await settled();
      helper.getNode('window').receive({ control: 'flush' });
      await settled();
      const sharedOnce = got('archive')[0] === got('window')[0];
      const windows = got('out').map((m) => m.payload);
      await helper.unload();
      received.clear();
      return { sharedOnce, windows };
    };
    const shared = await run(withHooks);
    const cloned = await run(withoutHooks);
    assert.equal(shared.sharedOnce, true);
    assert.equal(cloned.sharedOnce, false, 'without RED.hooks Node-RED clones as usual');
    assert.equal(shared.windows.length, 2);
    assert.deepEqual(shared.windows, cloned.windows);
  });

  it('a function node on a wire of the fan-out restores cloning: its change never reaches archive or window', async function () {
    const mutate = {
      id: 'mutate', type: 'function', wires: [['after']],
      func: 'msg.payload[0].fields.temperature = -1; msg.payload[0].tags.device = "hacked"; msg.payload.push({ measurement: "x" }); return msg;',
    };
    await helper.load([withHooks, ...ours, functionNode], pipeline(['mutate'], [mutate, { id: 'after', type: 'helper' }]));
    helper.getNode('enrich').receive({ payload: [reading('a', 10)] });
    await settled();
    const [atArchive] = got('archive');
    const [atWindow] = got('window');
    const [atFunction] = got('mutate');
    assert.ok(atArchive && atWindow && atFunction);
    assert.equal(got('after').length, 1, 'the function ran');
    assert.notEqual(atArchive, atWindow);
    assert.notEqual(atFunction, atArchive);
    assert.notEqual(atFunction, atWindow);
    for (const msg of [atArchive, atWindow]) assert.deepEqual(msg.payload, [{ ...reading('a', 10), fields: { temperature: 50 } }]);
    helper.getNode('window').receive({ control: 'flush' });
    await settled();
    const [aggregate] = got('out');
    assert.equal(aggregate.payload.tags.device, 'a');
    assert.deepEqual(Object.values(aggregate.payload.fields).sort(), [1, 50]); // count, mean: untouched by the function
  });

  it('a refusal from a node that shared its input reaches a user node as a copy', async function () {
    const mutate = { id: 'mutate', type: 'function', wires: [[]], func: 'msg.payload[0].fields.label = "changed"; return msg;' };
    // The window refuses a reading without numeric fields; the archive takes it.
    await helper.load([withHooks, ...ours, functionNode], pipeline([], [mutate], 'mutate'));
    const text = { measurement: 'env', tags: { device: 'a' }, fields: { label: 'idle' }, timestamp: T0 };
    helper.getNode('enrich').receive({ payload: [text] });
    await settled();
    const [atArchive] = got('archive');
    const [refusal] = got('mutate');
    assert.ok(atArchive && refusal);
    assert.equal(refusal.error.code, 'NO_NUMERIC_FIELDS');
    assert.notEqual(refusal.payload[0], atArchive.payload[0], 'the refused reading is a copy');
    assert.equal(refusal.payload[0].fields.label, 'changed', 'the function ran on it');
    assert.equal(atArchive.payload[0].fields.label, 'idle');
  });

  it('msgs from a user node fanning out to ours are cloned as usual', async function () {
    const source = { id: 'src', type: 'function', func: 'return msg;', wires: [['archive', 'window']] };
    await helper.load([withHooks, ...ours, functionNode], [...pipeline(), source]);
    helper.getNode('src').receive({ payload: [reading('a', 10)] });
    await settled();
    assert.ok(got('archive')[0] && got('window')[0]);
    assert.notEqual(got('archive')[0], got('window')[0]);
  });

  it('the hook is there while one of our nodes is, and gone after', async function () {
    const hooks = helper._RED.hooks;
    assert.equal(hooks.has('onSend.telemetryFanOut'), false);
    await helper.load([withHooks, ...ours], pipeline());
    assert.equal(hooks.has('onSend.telemetryFanOut'), true);
    await helper.unload();
    assert.equal(hooks.has('onSend.telemetryFanOut'), false);
  });
});

describe('FanOutSharing.onSend (the rule, on SendEvents)', function () {
  const types = { e: 'telemetry-enrich', a: 'telemetry-archive', w: 'telemetry-window', h: 'telemetry-heartbeat-watch', p: 'telemetry-purge', f: 'function', d: 'debug' };
  const node = (id) => ({ id, type: types[id[0]] });
  const sharing = new FanOutSharing({ add() {}, remove() {} }, (id) => node(id));
  /** The SendEvents Node.prototype.send builds: the first event is never cloned. */
  const send = (from, wires) => {
    let sent = false;
    return wires.map(([id, msg]) => {
      const ev = { msg, source: { id: from, node: node(from) }, destination: { id }, cloneMessage: sent };
      sent = true;
      return ev;
    });
  };
  const clones = (events) => events.map((e) => e.cloneMessage);
  const m = 'a msg object of its own for each case';
  const refusal = { payload: 1, error: { code: 'X', message: 'x' } };

  const cases = [
    ['ours → [ours, ours]: shared', 'e1', [['a1', m], ['w1', m]], [false, false]],
    ['ours → [ours, ours, ours]: shared', 'e1', [['a1', m], ['w1', m], ['h1', m]], [false, false, false]],
    ['ours → [ours, function]: cloned', 'e1', [['a1', m], ['f1', m]], [false, true]],
    ['ours → [function, ours]: cloned', 'e1', [['f1', m], ['a1', m]], [false, true]],
    ['ours → [ours, debug, ours]: cloned', 'e1', [['a1', m], ['d1', m], ['w1', m]], [false, true, true]],
    ['ours → [ours, purge]: cloned (purge writes to its input on failure)', 'e1', [['a1', m], ['p1', m]], [false, true]],
    ['ours → unknown node id: cloned', 'e1', [['a1', m], ['zz', m]], [false, true]],
    ['function → [ours, ours]: untouched', 'f1', [['a1', m], ['w1', m]], [false, true]],
    ['purge → [ours, ours]: shared', 'p1', [['a1', m], ['w1', m]], [false, false]],
    ['ours → function, a plain msg on its only wire: as Node-RED does (not cloned)', 'e1', [['f1', m]], [false]],
    ['ours: a refusal to a user node is cloned, even on its only wire', 'w1', [['f1', refusal]], [true]],
    ['ours: a refusal to ours is not', 'w1', [['a1', refusal]], [false]],
  ];
  for (const [title, from, wires, expected] of cases) {
    it(title, function () {
      const msg = { payload: 1 };
      const events = send(from, wires.map(([id, sent]) => [id, sent === m ? msg : sent]));
      sharing.onSend(events);
      assert.deepEqual(clones(events), expected);
    });
  }

  it('two msgs on two outputs: each judged by its own wires', function () {
    const one = { payload: 1 };
    const two = { payload: 2 };
    const events = send('w1', [['a1', one], ['h1', one], ['f1', two], ['a2', two]]);
    sharing.onSend(events);
    assert.deepEqual(clones(events), [false, false, true, true]);
  });

  it('a msg once shared and passed on by our node to a user node is cloned there', function () {
    const control = { control: 'flush' };
    sharing.onSend(send('e1', [['a1', control], ['w1', control]]));
    const events = send('w1', [['f1', control]]);
    sharing.onSend(events);
    assert.deepEqual(clones(events), [true]);
  });

  it('a failing lookup leaves the events as they were', function () {
    const broken = new FanOutSharing({ add() {}, remove() {} }, () => {
      throw new Error('boom');
    });
    const msg = { payload: 1 };
    const events = send('e1', [['a1', msg], ['w1', msg]]);
    broken.onSend(events);
    assert.deepEqual(clones(events), [false, true]);
  });

  it('SHARING_TYPES are our node types, purge excluded', function () {
    assert.deepEqual([...SHARING_TYPES].sort(), ['telemetry-archive', 'telemetry-enrich', 'telemetry-heartbeat-watch', 'telemetry-ingest', 'telemetry-window']);
  });
});
