'use strict';
// telemetry-window in the real Node-RED runtime (node-red-node-test-helper): msgs in and out,
// control, refusals, the wall-clock timer, status, and open windows across a redeploy.
// The node runs on a FakeClock: time moves only by clock.advance, so a timer that fires early
// or late fails the test instead of passing by luck.
const assert = require('assert');
const helper = require('../support/helper');
const { fakeClockPerTest } = require('../support/fake-clock');
const windowNode = require('../../nodes/telemetry-window.js');

const TYPE = 'telemetry-window';
const T0 = Date.UTC(2026, 0, 1);
const S = 1_000;
/** The node's wall clock at the start of each test: an hour after the readings' event time. */
const START = T0 + 3_600 * S;
const MEMORY_CONTEXT = { contextStorage: { default: 'memory', memory: { module: 'memory' } } };

let clock;
/** Puts the node on a fresh FakeClock for each test of the calling describe (plus `settings`). */
function useFakeClock(settings = {}) {
  fakeClockPerTest(helper, { start: START, settings }, (c) => (clock = c));
}

/** Lets msgs already sent travel and async callbacks finish, without moving the clock. */
const settled = () => clock.advance(0);

function flow(config = {}) {
  return [
    { id: 'w', type: TYPE, name: '', windowType: 'tumbling', size: '1m', aggregates: 'count,mean,max', ...config, wires: [['out'], ['late']] },
    { id: 'out', type: 'helper' },
    { id: 'late', type: 'helper' },
  ];
}

function reading(device, offset, v = 1, fields) {
  return { measurement: 'telemetry', tags: { device }, fields: fields || { temperature: v }, timestamp: T0 + offset };
}

/** Msgs arriving at a helper node; `next(n)` resolves with the next n. */
function collect(id) {
  const node = helper.getNode(id);
  const seen = [];
  const waiting = [];
  node.on('input', (msg) => {
    seen.push(msg);
    for (const w of waiting.splice(0)) if (!w()) waiting.push(w);
  });
  return {
    seen,
    next(n = 1, timeout = 2_000) {
      const from = seen.length;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${id}: expected ${n} msg(s), got ${seen.length - from}`)), timeout);
        const check = () => {
          if (seen.length - from < n) return false;
          clearTimeout(timer);
          resolve(seen.slice(from, from + n));
          return true;
        };
        if (!check()) waiting.push(check);
      });
    },
  };
}

describe('telemetry-window node: aggregates', function () {
  useFakeClock();

  it('registers and shows a running status', async function () {
    await helper.load(windowNode, flow());
    const w = helper.getNode('w');
    assert.strictEqual(w.type, TYPE);
    assert.strictEqual(helper.settings().telemetryClock, clock, 'the fake clock reaches the runtime settings');
    await settled();
    assert.ok(w.status.calledWithMatch({ fill: 'green', text: `${TYPE}.status.running` }));
  });

  it('sends one msg per closed window: reading payload, msg.window, key as topic', async function () {
    await helper.load(windowNode, flow());
    const out = collect('out');
    const w = helper.getNode('w');
    w.receive({ payload: [reading('a', 10 * S, 20), reading('a', 20 * S, 22)] });
    w.receive({ payload: reading('a', 61 * S, 30) });
    const [msg] = await out.next();
    assert.deepStrictEqual(msg.payload, {
      measurement: 'telemetry_1m',
      tags: { device: 'a' },
      fields: { temperature_count: 2, temperature_mean: 21, temperature_max: 22 },
      timestamp: T0,
    });
    assert.deepStrictEqual(msg.window, { start: T0, end: T0 + 60 * S, count: 2, key: 'telemetry,device=a' });
    assert.strictEqual(msg.topic, 'telemetry,device=a');
  });

  it('windows closing together leave as consecutive msgs', async function () {
    await helper.load(windowNode, flow());
    const out = collect('out');
    const w = helper.getNode('w');
    w.receive({ payload: ['a', 'b', 'c'].map((d) => reading(d, 0)) });
    w.receive({ payload: ['a', 'b', 'c'].map((d) => reading(d, 60 * S)) });
    const msgs = await out.next(3);
    assert.deepStrictEqual(msgs.map((m) => m.window.key), ['telemetry,device=a', 'telemetry,device=b', 'telemetry,device=c']);
  });
});

describe('telemetry-window node: output 2', function () {
  useFakeClock();

  it('a late reading goes out with msg.late = true and the original msg content', async function () {
    await helper.load(windowNode, flow());
    const late = collect('late');
    const w = helper.getNode('w');
    w.receive({ payload: [reading('a', 0), reading('a', 60 * S)] });
    w.receive({ payload: reading('a', 30 * S), topic: 'sensors/a', origin: 'gateway-1' });
    const [msg] = await late.next();
    assert.strictEqual(msg.late, true);
    assert.strictEqual(msg.error.code, 'LATE');
    assert.match(msg.error.message, /late reading at 2026-01-01T00:00:30.000Z for telemetry,device=a/);
    assert.deepStrictEqual([msg.topic, msg.origin, msg.payload.timestamp], ['sensors/a', 'gateway-1', T0 + 30 * S]);
  });

  it('invalid readings of a batch are refused by code; the valid ones are aggregated', async function () {
    await helper.load(windowNode, flow());
    const late = collect('late');
    const out = collect('out');
    const w = helper.getNode('w');
    w.receive({ payload: [reading('a', 0), { measurement: 'telemetry', fields: {}, timestamp: T0 }, reading('a', 1, 'warm'), 42] });
    const refused = await late.next(3);
    const byCode = Object.fromEntries(refused.map((m) => [m.error.code, m]));
    assert.deepStrictEqual(Object.keys(byCode).sort(), ['NOT_A_READING', 'NO_FIELDS', 'NO_NUMERIC_FIELDS']);
    assert.ok(Array.isArray(byCode.NO_FIELDS.payload), 'a batch input gives arrays');
    assert.ok(refused.every((m) => m.late === undefined));
    w.receive({ control: 'flush' });
    const [msg] = await out.next();
    assert.strictEqual(msg.window.count, 1);
  });

  it('a new key beyond maxKeys is refused with MAX_KEYS and the status turns red', async function () {
    await helper.load(windowNode, flow({ maxKeys: 2 }));
    const late = collect('late');
    const w = helper.getNode('w');
    w.receive({ payload: [reading('a', 0), reading('b', 0), reading('c', 0)] });
    const [msg] = await late.next();
    assert.strictEqual(msg.error.code, 'MAX_KEYS');
    assert.match(msg.error.message, /telemetry,device=c/);
    assert.deepStrictEqual(msg.payload, [reading('c', 0)]);
    await settled();
    assert.ok(!w.status.calledWithMatch({ fill: 'red' }), 'status is throttled to 1/s');
    await clock.advance(1_000);
    assert.ok(w.status.calledWithMatch({ fill: 'red', text: `${TYPE}.status.key-limit` }));
  });
});

describe('telemetry-window node: msg.control', function () {
  useFakeClock();

  it('flush closes every open window as partial; its payload is ignored', async function () {
    await helper.load(windowNode, flow());
    const out = collect('out');
    const late = collect('late');
    const w = helper.getNode('w');
    w.receive({ payload: [reading('a', 0), reading('b', 0)] });
    w.receive({ control: 'flush', payload: Date.now() });
    const msgs = await out.next(2);
    assert.ok(msgs.every((m) => m.window.partial === true));
    await settled();
    assert.strictEqual(late.seen.length, 0, 'the inject timestamp was not taken for a reading');
  });

  it('reset drops the open windows without sending them', async function () {
    await helper.load(windowNode, flow());
    const out = collect('out');
    const w = helper.getNode('w');
    w.receive({ payload: reading('a', 0) });
    w.receive({ control: 'reset' });
    w.receive({ control: 'flush' });
    await clock.advance(10 * 60 * S); // past every idle and window deadline the reading had
    assert.strictEqual(out.seen.length, 0);
  });

  it('an unknown control fails the msg so a Catch node sees it', async function () {
    await helper.load(windowNode, flow());
    const w = helper.getNode('w');
    const failed = new Promise((resolve) => w.on('call:error', resolve));
    w.receive({ control: 'pause' });
    const call = await failed;
    assert.match(String(call.args[0]), /telemetry-window\.errors\.control|UNKNOWN_CONTROL|pause/);
  });
});

describe('telemetry-window node: the wall clock', function () {
  useFakeClock();

  it('a device that goes quiet still gets its last window, from the single timer', async function () {
    await helper.load(windowNode, flow({ size: '200ms' }));
    await settled();
    const out = collect('out');
    helper.getNode('w').receive({ payload: { ...reading('a', 0), timestamp: clock.now() } });
    await clock.advance(199);
    assert.strictEqual(out.seen.length, 0, 'not before size + allowedLateness of silence');
    const closing = out.next();
    await clock.advance(1);
    const [msg] = await closing;
    assert.strictEqual(msg.window.count, 1);
    assert.strictEqual(msg.window.partial, undefined);
  });

  it('processing-time windows close when the clock passes their end', async function () {
    await helper.load(windowNode, flow({ size: '300ms', timeMode: 'processing' }));
    await settled();
    const out = collect('out');
    await clock.advance(50);
    // Event time 1970: processing time ignores it for placing the reading.
    helper.getNode('w').receive({ payload: { ...reading('a', 0), timestamp: 0 } });
    await clock.advance(249);
    assert.strictEqual(out.seen.length, 0, 'not before the window ends');
    const closing = out.next();
    await clock.advance(1);
    const [msg] = await closing;
    assert.deepStrictEqual([msg.window.start, msg.window.end], [START, START + 300]);
  });
});

describe('telemetry-window node: invalid configuration', function () {
  useFakeClock();

  it('stays deployed with a red status, reports once, and fails each msg', async function () {
    await helper.load(windowNode, flow({ windowType: 'hopping', size: '1m', slide: '5m', aggregates: 'mean,avg' }));
    const w = helper.getNode('w');
    assert.ok(w.status.calledWithMatch({ fill: 'red', text: `${TYPE}.status.config-error` }));
    assert.ok(w.error.calledWithMatch(`${TYPE}.errors.config`));
    const failed = new Promise((resolve) => w.on('call:error', resolve));
    w.receive({ payload: reading('a', 0) });
    await failed;
  });
});

describe('telemetry-window node: stopping and persistState', function () {
  this.timeout(5_000);
  useFakeClock();

  it('without persistState, a "modified nodes" deploy delivers the open windows downstream as partial', async function () {
    await helper.load(windowNode, flow());
    const out = collect('out');
    helper.getNode('w').receive({ payload: reading('a', 0) });
    await settled();
    const arrived = out.next();
    await helper.setFlows(flow({ name: 'renamed' }), 'nodes');
    const [msg] = await arrived;
    assert.strictEqual(msg.window.partial, true);
  });

  it('without persistState, open windows are sent as partial when the node stops, with a warning', async function () {
    await helper.load(windowNode, flow());
    const w = helper.getNode('w');
    const sent = new Promise((resolve) => w.on('call:send', resolve));
    w.receive({ payload: reading('a', 0) });
    await settled();
    await helper.clearFlows();
    const call = await sent;
    const [windows] = call.args[0];
    assert.strictEqual(windows.length, 1);
    assert.strictEqual(windows[0].window.partial, true);
    assert.ok(w.warn.calledWithMatch(`${TYPE}.warnings.partial-on-close`));
  });

  it('persistState without contextStorage in settings.js warns and falls back to partial on close', async function () {
    await helper.load(windowNode, flow({ persistState: true }));
    assert.ok(helper.getNode('w').warn.calledWithMatch(`${TYPE}.warnings.no-context-storage`));
  });
});

describe('telemetry-window node: open windows resume after a redeploy (persistState)', function () {
  this.timeout(5_000);
  // Node-RED keeps node context across a redeploy only when settings.js configures
  // contextStorage; the helper never loads the stores itself, so these tests do.
  useFakeClock(MEMORY_CONTEXT);

  async function load(config) {
    await helper.load(windowNode, flow(config));
    await helper._context.load();
  }

  it('a window half filled before the redeploy is completed after it, as one window', async function () {
    const config = { persistState: true, aggregates: 'count,mean,p95,first,last' };
    await load(config);
    helper.getNode('w').receive({ payload: [reading('a', 1 * S, 10), reading('a', 2 * S, 20), reading('b', 3 * S, 5)] });
    await settled();
    await helper.setFlows(flow({ ...config, name: 'renamed' }), 'nodes');
    const w = helper.getNode('w');
    const out = collect('out');
    await settled();
    assert.ok(w.log.calledWithMatch(`${TYPE}.log.restored`));
    w.receive({ payload: [reading('a', 3 * S, 30), reading('a', 61 * S, 99)] });
    const [msg] = await out.next();
    assert.deepStrictEqual(msg.payload.fields, { temperature_count: 3, temperature_mean: 20, temperature_p95: 30, temperature_first: 10, temperature_last: 30 });
    assert.strictEqual(msg.window.partial, undefined);
  });

  it('the stored state is consumed on start, so a crash later cannot replay it', async function () {
    await load({ persistState: true });
    helper.getNode('w').receive({ payload: reading('a', 0) });
    await helper.setFlows(flow({ persistState: true, name: 'renamed' }), 'nodes');
    await settled();
    assert.strictEqual(helper.getNode('w').context().get('windowState'), undefined);
  });

  it('changed window settings: the saved windows are sent as partial under the old ones', async function () {
    await load({ persistState: true });
    helper.getNode('w').receive({ payload: reading('a', 0, 7) });
    await settled();
    const arrived = collect('out').next(); // 'out' is unchanged: it keeps running across the deploy
    await helper.setFlows(flow({ persistState: true, size: '5m' }), 'nodes');
    const w = helper.getNode('w');
    const [msg] = await arrived;
    assert.deepStrictEqual([msg.payload.measurement, msg.window.partial, msg.payload.fields.temperature_mean], ['telemetry_1m', true, 7]);
    assert.ok(w.warn.calledWithMatch(`${TYPE}.warnings.state-not-resumed`));
  });

  it('an unreadable saved state is reported and the node starts empty', async function () {
    await load({ persistState: true });
    helper.getNode('w').context().set('windowState', { version: 99 });
    await helper.setFlows(flow({ persistState: true, name: 'renamed' }), 'nodes');
    await settled();
    assert.ok(helper.getNode('w').warn.calledWithMatch(`${TYPE}.warnings.bad-state`));
  });

  it('a removed node clears its saved state', async function () {
    await load({ persistState: true });
    const w = helper.getNode('w');
    w.receive({ payload: reading('a', 0) });
    await settled();
    const context = w.context();
    await helper.setFlows(flow().slice(1), 'full');
    assert.strictEqual(context.get('windowState'), undefined);
  });
});

describe('telemetry-window node: packaging', function () {
  const fs = require('fs');
  const path = require('path');
  useFakeClock();

  it('has a locale entry for every message key the runtime uses', function () {
    const messages = require('../../nodes/locales/en-US/telemetry-window.json')[TYPE];
    const sources = ['../../src/nodes/window/index.ts', '../../src/nodes/window/controller.ts']
      .map((f) => fs.readFileSync(path.join(__dirname, f), 'utf8'))
      .join('\n');
    const keys = [...sources.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]);
    assert.ok(keys.length >= 10, `found ${keys.length} keys`);
    for (const key of keys) {
      const value = key.split('.').reduce((o, k) => (o ? o[k] : undefined), messages);
      assert.strictEqual(typeof value, 'string', key);
    }
  });

  it('editor: every validator takes (value, opt) and gives a reason for a bad value', function () {
    const vm = require('vm');
    const html = fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', `${TYPE}.html`), 'utf8');
    const script = html.match(/<script type="text\/javascript">([\s\S]*?)<\/script>/)[1];
    let definition;
    const RED = { _: (key) => key, nodes: { registerType: (type, def) => (definition = def) }, settings: {} };
    const $ = () => ({ length: 0 }); // no edit dialog open: validators read the node's own values
    // The editors' shared duration grammar is loaded first, as the editor page does.
    const shared = fs.readFileSync(path.join(__dirname, '..', '..', 'resources', 'telemetry-editor.js'), 'utf8');
    const sandbox = vm.createContext({ RED, $ });
    sandbox.window = sandbox;
    vm.runInContext(shared, sandbox);
    vm.runInContext(script, sandbox);
    assert.strictEqual(definition.category, 'telemetry');
    assert.strictEqual(definition.color, '#A6BBCF');
    const node = Object.fromEntries(Object.entries(definition.defaults).map(([k, d]) => [k, d.value]));
    for (const [name, d] of Object.entries(definition.defaults)) {
      if (d.validate) {
        assert.strictEqual(d.validate.length, 2, `${name}: a one-parameter validator's reason is ignored by the editor`);
        assert.strictEqual(d.validate.call(node, node[name], {}), true, `${name}: the default is valid`);
      }
    }
    // [property, bad value, node overrides]
    const bad = [
      ['size', '1 minute', {}],
      ['slide', '2m', { windowType: 'hopping', size: '1m' }],
      ['gap', 'soon', { windowType: 'session' }],
      ['count', '0', { windowType: 'count' }],
      ['aggregates', 'mean,avg', {}],
      ['outputMeasurement', '{measurement}_{device}', {}],
      ['allowedLateness', '-1s', {}],
      ['maxKeys', '1.5', {}],
      ['fields', ' , ', {}],
    ];
    for (const [name, value, overrides] of bad) {
      const reason = definition.defaults[name].validate.call({ ...node, ...overrides }, value, {});
      assert.strictEqual(typeof reason, 'string', `${name} = ${JSON.stringify(value)}`);
    }
  });

  it('runs the example flow: simulated devices, a late reading, flush', async function () {
    this.timeout(5_000);
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'window.json'), 'utf8'));
    const core = ['common/20-inject.js', 'function/10-function.js', 'common/21-debug.js', 'common/25-catch.js', 'common/90-comment.js'].map(helper.coreNode);
    await helper.load([windowNode, ...core], example);
    const w = helper.getNode('wnx.win');
    const sends = [];
    const both = new Promise((resolve) => w.on('call:send', (call) => sends.push(call.args[0]) === 2 && resolve()));
    // The simulator's first batch, now rather than after its inject's real 0.5 s.
    const fed = new Promise((resolve) => w.once('input', resolve));
    helper.getNode('wnx.sim').receive({});
    await fed;
    await settled();
    helper.getNode('wnx.lateInject').receive({});
    helper.getNode('wnx.flush').receive({});
    await both;
    const late = sends.find(([, refused]) => refused);
    const flushed = sends.find(([windows]) => windows);
    assert.strictEqual(late[1][0].late, true);
    assert.deepStrictEqual(flushed[0].map((m) => m.window.key).sort(), ['telemetry,device=dev-1', 'telemetry,device=dev-2', 'telemetry,device=dev-3']);
    assert.ok(flushed[0].every((m) => m.window.partial && m.payload.measurement === 'telemetry_10s' && 'temperature_p95' in m.payload.fields));
  });
});
