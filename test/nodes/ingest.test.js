'use strict';
// telemetry-ingest in the real Node-RED runtime (node-red-node-test-helper): wired input, both
// outputs, batching, control msgs, config errors, status, and its own MQTT subscription through
// an in-process aedes broker (the Mosquitto scenarios live in test/integration/ingest-mqtt.test.js).
// Catch and Complete nodes come from the helper, which loads them from the runtime under test.
const assert = require('assert');
const net = require('net');
const helper = require('../support/helper');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const brokerNode = require('../../nodes/telemetry-mqtt-broker.js');
const { validateReading } = require('../../dist/core/reading');
const { SharedMqttConnection } = require('../../dist/io/mqtt-connection');
const { FakeClock } = require('../support/fake-clock');

const TYPE = 'telemetry-ingest';

function flow(config = {}, extra = []) {
  return [
    { id: 'f1', type: 'tab', label: 'ingest' },
    { id: 'in', type: TYPE, z: 'f1', name: '', wires: [['ok'], ['bad']], ...config },
    { id: 'ok', type: 'helper', z: 'f1' },
    { id: 'bad', type: 'helper', z: 'f1' },
    ...extra,
  ];
}

const { collect } = require('../support/collect');

/** Resolves once the runtime has delivered everything sent so far (delivery is by setImmediate). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * The node module with a RED._ that shows the parameters after the key (the helper's returns
 * the bare key): so a test sees which reasons went into a message.
 */
function withParams(nodeModule) {
  return (RED) => {
    const translate = RED._;
    RED._ = (key, params) => (params ? `${translate(key)} ${JSON.stringify(params)}` : translate(key));
    return nodeModule(RED);
  };
}

/** Counts the node's send() calls: one per input is the contract. */
function countSends(node) {
  const calls = [];
  node.on('call:send', (call) => calls.push(call.args[0]));
  return calls;
}

describe('telemetry-ingest node', function () {
  this.timeout(5_000);
  /** The nodes' clock (batchInterval, the status refresh): time moves only when a test says. */
  let clock;
  beforeEach(function () {
    clock = new FakeClock(Date.now()); // readings are checked against maxFuture/maxPast from now
    helper.settings({ telemetryClock: clock });
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });

  it('loads with every default (wired input only), on the clock of the runtime settings', async function () {
    await helper.load(ingestNode, [{ id: 'in', type: TYPE, wires: [[], []] }]);
    assert.ok(helper.getNode('in'));
    assert.strictEqual(clock.pending, 1, 'the status refresh is armed on the fake clock');
  });

  describe('wired input', function () {
    it('a JSON object becomes one reading on output 1, topic and other properties kept', async function () {
      await helper.load(ingestNode, flow({ topicTemplate: 'sensors/{site}/{device}' }));
      const ok = collect('ok');
      helper.getNode('in').receive({ topic: 'sensors/plant-a/dev-7', payload: '{"temperature":21.5,"ts":1714564800}', custom: 42 });
      const [msg] = await ok.next();
      assert.deepStrictEqual(msg.payload, { measurement: 'telemetry', tags: { site: 'plant-a', device: 'dev-7' }, fields: { temperature: 21.5 }, timestamp: 1714564800000 });
      assert.strictEqual(msg.topic, 'sensors/plant-a/dev-7');
      assert.strictEqual(msg.custom, 42);
    });

    it('a JSON array becomes a Reading[] msg', async function () {
      await helper.load(ingestNode, flow());
      const ok = collect('ok');
      helper.getNode('in').receive({ payload: [{ deviceId: 'a', t: 1 }, { deviceId: 'b', t: 2 }] });
      const [msg] = await ok.next();
      assert.ok(Array.isArray(msg.payload));
      assert.deepStrictEqual(msg.payload.map((r) => r.tags.device), ['a', 'b']);
      for (const r of msg.payload) assert.strictEqual(validateReading(r), undefined);
    });

    it('a partly valid message: valid readings on output 1, refused part on output 2, one msg each', async function () {
      await helper.load(ingestNode, flow());
      const ok = collect('ok');
      const bad = collect('bad');
      const sends = countSends(helper.getNode('in'));
      const raw = '[{"t":1},"oops",{"t":2,"x":null}]';
      helper.getNode('in').receive({ topic: 't', payload: raw });
      const [[good], [refused]] = await Promise.all([ok.next(), bad.next()]);
      await settle();
      assert.strictEqual(sends.length, 1);
      assert.strictEqual(ok.seen.length + bad.seen.length, 0, 'more than one msg per output');
      assert.deepStrictEqual(good.payload.map((r) => r.fields), [{ t: 1 }, { t: 2 }]);
      assert.strictEqual(refused.payload, raw, 'the raw payload is kept');
      assert.strictEqual(refused.topic, 't');
      assert.deepStrictEqual(refused.error, { code: 'NOT_AN_OBJECT', message: '2 parts refused (2 readings accepted); first: item 1: array element 1 is text, not an object' });
      assert.deepStrictEqual(refused.rejections.map((r) => [r.code, r.scope, r.index, r.field]), [
        ['NOT_AN_OBJECT', 'item', 1, undefined],
        ['BAD_FIELD_TYPE', 'field', 2, 'x'],
      ]);
    });

    it('an unreadable message goes to output 2 only, and done() is still called', async function () {
      await helper.load(ingestNode, flow({}, [
        { id: 'onDone', type: 'complete', z: 'f1', scope: ['in'], uncaught: false, wires: [['completed']] },
        { id: 'completed', type: 'helper', z: 'f1' },
      ]));
      const ok = collect('ok');
      const bad = collect('bad');
      const completed = collect('completed');
      const node = helper.getNode('in');
      const errors = [];
      node.on('call:error', (call) => errors.push(call.args[0]));
      node.receive({ payload: 'not json, not line protocol' });
      const [refused] = await bad.next();
      await completed.next();
      assert.strictEqual(refused.error.code, 'UNKNOWN_FORMAT');
      assert.strictEqual(refused.payload, 'not json, not line protocol');
      await settle();
      assert.deepStrictEqual(ok.seen, []);
      assert.deepStrictEqual(errors, []);
    });

    it('a Buffer that is not UTF-8 is refused with the Buffer kept', async function () {
      await helper.load(ingestNode, flow());
      const bad = collect('bad');
      const bytes = Buffer.from([0xc3, 0x28, 0xff]);
      helper.getNode('in').receive({ payload: bytes });
      const [refused] = await bad.next();
      assert.strictEqual(refused.error.code, 'BAD_ENCODING');
      assert.ok(Buffer.isBuffer(refused.payload) && refused.payload.equals(bytes));
    });

    it('more than 100 refusals are listed up to 100 and counted', async function () {
      await helper.load(ingestNode, flow({ format: 'line' }));
      const bad = collect('bad');
      helper.getNode('in').receive({ payload: Array(150).fill('bad line').join('\n') });
      const [refused] = await bad.next();
      assert.strictEqual(refused.rejections.length, 100);
      assert.strictEqual(refused.rejectionsNotListed, 50);
      assert.match(refused.error.message, /^150 parts refused \(0 readings accepted\)/);
    });

    it('a JSON payload with __proto__ keys pollutes nothing', async function () {
      await helper.load(ingestNode, flow());
      const ok = collect('ok');
      const bad = collect('bad');
      helper.getNode('in').receive({ payload: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"t":1}' });
      const [[good], [refused]] = await Promise.all([ok.next(), bad.next()]);
      assert.deepStrictEqual(good.payload.fields, { t: 1 });
      assert.deepStrictEqual(refused.rejections.map((r) => r.code), ['UNSAFE_KEY', 'UNSAFE_KEY']);
      assert.strictEqual({}.polluted, undefined);
    });
  });

  describe('micro-batching', function () {
    it('gathers readings from many messages into one Reading[] msg of batchSize', async function () {
      await helper.load(ingestNode, flow({ batchSize: '5', batchInterval: '1h' }));
      const ok = collect('ok');
      const node = helper.getNode('in');
      node.receive({ topic: 'a', payload: '[{"v":1},{"v":2}]' });
      node.receive({ topic: 'b', payload: '{"v":3}' });
      node.receive({ topic: 'c', payload: 'm v=4\nm v=5\nm v=6' });
      const [batch] = await ok.next();
      assert.deepStrictEqual(batch.payload.map((r) => r.fields.v), [1, 2, 3, 4, 5]);
      assert.strictEqual(batch.topic, 'a');
      await settle();
      assert.strictEqual(ok.seen.length, 0, 'the 6th reading waits for the next batch');
    });

    it('sends a partial batch when batchInterval has passed, not before', async function () {
      await helper.load(ingestNode, flow({ batchSize: '1000', batchInterval: '30s' }));
      const ok = collect('ok');
      helper.getNode('in').receive({ payload: '{"v":1}' });
      await clock.advance(10_000);
      helper.getNode('in').receive({ payload: '{"v":2}' });
      await clock.advance(19_999);
      await settle();
      assert.strictEqual(ok.seen.length, 0, 'sent before the first reading waited 30 s');
      await clock.advance(1);
      const [batch] = await ok.next();
      assert.deepStrictEqual(batch.payload.map((r) => r.fields.v), [1, 2]);
    });

    it('after a full batch, the next partial one waits its own batchInterval', async function () {
      await helper.load(ingestNode, flow({ batchSize: '2', batchInterval: '30s' }));
      const ok = collect('ok');
      const node = helper.getNode('in');
      node.receive({ payload: '{"v":1}' });
      await clock.advance(20_000);
      node.receive({ payload: '[{"v":2},{"v":3}]' }); // fills the batch; 3 starts the next one
      const [full] = await ok.next();
      assert.deepStrictEqual(full.payload.map((r) => r.fields.v), [1, 2]);
      await clock.advance(29_999);
      await settle();
      assert.strictEqual(ok.seen.length, 0, 'the second batch went out on the first one\'s deadline');
      await clock.advance(1);
      const [partial] = await ok.next();
      assert.deepStrictEqual(partial.payload.map((r) => r.fields.v), [3]);
    });

    it('msg.control "flush" sends the pending batch now', async function () {
      await helper.load(ingestNode, flow({ batchSize: '1000', batchInterval: '1h' }));
      const ok = collect('ok');
      const node = helper.getNode('in');
      node.receive({ payload: '{"v":1}' });
      node.receive({ control: 'flush' });
      const [batch] = await ok.next();
      assert.deepStrictEqual(batch.payload.map((r) => r.fields.v), [1]);
    });

    it('rejections are not held back by batching', async function () {
      await helper.load(ingestNode, flow({ batchSize: '1000', batchInterval: '1h' }));
      const bad = collect('bad');
      helper.getNode('in').receive({ payload: '{"v":null}' });
      const [refused] = await bad.next();
      assert.strictEqual(refused.rejections[0].code, 'BAD_FIELD_TYPE');
    });

    it('the pending batch is sent when the node closes (redeploy), not dropped', async function () {
      await helper.load(ingestNode, flow({ batchSize: '1000', batchInterval: '1h' }));
      const node = helper.getNode('in');
      const sends = countSends(node);
      node.receive({ payload: '{"v":1}' });
      node.receive({ payload: '{"v":2}' });
      await settle();
      assert.strictEqual(sends.length, 0);
      await helper.unload();
      await settle();
      assert.strictEqual(sends.length, 1);
      assert.deepStrictEqual(sends[0][0].payload.map((r) => r.fields.v), [1, 2]);
    });
  });

  describe('control and errors', function () {
    it('an unknown msg.control fails the msg with done(err), so Catch sees it', async function () {
      await helper.load(ingestNode, flow({}, [
        { id: 'catcher', type: 'catch', z: 'f1', scope: ['in'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f1' },
      ]));
      const caught = collect('caught');
      helper.getNode('in').receive({ control: 'explode' });
      const [msg] = await caught.next();
      assert.match(msg.error.message, /telemetry-ingest.errors.badControl/);
    });

    it('an invalid config: red status, one error, and every msg fails with done(err)', async function () {
      const flows = flow({ maxFuture: 'soon', topicTemplate: 'a/#/b' }, [
        { id: 'catcher', type: 'catch', z: 'f1', scope: ['in'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'f1' },
      ]);
      await helper.load(withParams(ingestNode), flows);
      const node = helper.getNode('in');
      const caught = collect('caught');
      const logged = helper.log().args.filter((a) => a[0].level === helper.log().ERROR).map((a) => a[0].msg);
      assert.strictEqual(logged.length, 1);
      assert.match(String(logged[0]), /telemetry-ingest.errors.config .*telemetry-ingest.errors.badTemplate/);
      node.receive({ payload: '{"t":1}' });
      const [msg] = await caught.next();
      assert.match(msg.error.message, /telemetry-ingest.errors.badTemplate/);
      assert.match(msg.error.message, /telemetry-ingest.errors.badDuration/);
    });

    it('a broker id that does not exist is a config error, not a crash', async function () {
      await helper.load(ingestNode, flow({ broker: 'missing', topic: 'a/#' }));
      await settle();
      assert.ok(helper.getNode('in'));
      const logged = helper.log().args.filter((a) => a[0].level === helper.log().ERROR).map((a) => String(a[0].msg));
      assert.ok(logged.some((m) => /errors\.config/.test(m)), logged.join('\n'));
    });
  });

  describe('status', function () {
    /** Status calls made by one node so far (the helper spies on Node.prototype.status). */
    const statusCalls = (node) => node.status.getCalls().filter((call) => call.thisValue === node).map((call) => call.args[0]);

    it('shows the reading rate from the start (a deployed, valid node)', async function () {
      await helper.load(ingestNode, flow());
      assert.deepStrictEqual(statusCalls(helper.getNode('in')), [{ fill: 'green', shape: 'dot', text: 'telemetry-ingest.status.rate' }]);
    });

    it('at most one status a second: a rejection shows up with the next refresh', async function () {
      await helper.load(ingestNode, flow());
      const node = helper.getNode('in');
      const before = statusCalls(node).length;
      node.receive({ payload: 'nonsense' });
      await clock.advance(999);
      assert.strictEqual(statusCalls(node).length, before, 'shown < 1 s after the start-up status');
      await clock.advance(1);
      assert.deepStrictEqual(statusCalls(node).at(-1), { fill: 'green', shape: 'dot', text: 'telemetry-ingest.status.rate · telemetry-ingest.status.rejected' });
    });

    it('a config error shows a red ring', async function () {
      await helper.load(ingestNode, flow({ format: 'xml' }));
      assert.deepStrictEqual(statusCalls(helper.getNode('in')), [{ fill: 'red', shape: 'ring', text: 'telemetry-ingest.status.config-error' }]);
    });
  });

  describe('its own MQTT subscription (in-process aedes broker)', function () {
    let aedes;
    let server;
    let url;

    before(async function () {
      const { Aedes } = require('aedes');
      aedes = await Aedes.createBroker();
      server = net.createServer(aedes.handle);
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `mqtt://127.0.0.1:${server.address().port}`;
    });
    after(async function () {
      await new Promise((resolve) => server.close(resolve));
      await new Promise((resolve) => aedes.close(resolve));
    });

    const broker = () => ({ id: 'b1', type: 'telemetry-mqtt-broker', url, clientId: '', protocolVersion: 4, keepalive: 60, clean: true });

    function publish(topic, payload, qos = 1) {
      return new Promise((resolve, reject) => aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())));
    }

    /** Resolves once aedes has taken a SUBSCRIBE for `filter` (call before loading the flow). */
    function subscribedTo(filter) {
      return new Promise((resolve) => {
        const onSubscribe = (subscriptions) => {
          if (!subscriptions.some((sub) => sub.topic === filter)) return;
          aedes.removeListener('subscribe', onSubscribe);
          resolve();
        };
        aedes.on('subscribe', onSubscribe);
      });
    }

    it('subscribes, reads MQTT messages like wired ones, and says "connected"', async function () {
      const subscribed = subscribedTo('sensors/+/+');
      await helper.load([brokerNode, ingestNode], [broker(), ...flow({ broker: 'b1', topic: 'sensors/+/+', qos: '1', topicTemplate: 'sensors/{site}/{device}' })]);
      const node = helper.getNode('in');
      const statuses = [];
      node.on('call:status', (call) => statuses.push(call.args[0]));
      const ok = collect('ok');
      await subscribed;
      await publish('sensors/site-1/dev-1', '{"temperature":20.5}');
      // Automatic batching holds it for 2 ms of the fake clock; it arrives over the real network.
      const [msg] = await nextWhileTicking(ok);
      assert.strictEqual(msg.topic, 'sensors/site-1/dev-1');
      assert.strictEqual(msg.qos, 1);
      assert.strictEqual(msg.retain, false);
      assert.deepStrictEqual(msg.payload.tags, { site: 'site-1', device: 'dev-1' });
      assert.deepStrictEqual(msg.payload.fields, { temperature: 20.5 });
      assert.ok(statuses.some((s) => s.fill === 'green' && /telemetry-ingest.status.connected/.test(s.text)), JSON.stringify(statuses));
    });

    it('the raw MQTT payload is kept as text on output 2', async function () {
      const subscribed = subscribedTo('raw/#');
      await helper.load([brokerNode, ingestNode], [broker(), ...flow({ broker: 'b1', topic: 'raw/#', format: 'json' })]);
      const bad = collect('bad');
      await subscribed;
      await publish('raw/x', '{"broken":');
      const [refused] = await bad.next();
      assert.strictEqual(refused.payload, '{"broken":');
      assert.strictEqual(refused.topic, 'raw/x');
      assert.strictEqual(refused.error.code, 'PARSE_ERROR');
    });

    /** Loads the flow; returns the handler the ingest node gives the connection (its public subscribe call). */
    async function loadCapturingHandler(config) {
      const handlers = [];
      const subscribe = SharedMqttConnection.prototype.subscribe;
      SharedMqttConnection.prototype.subscribe = function (userId, filter, qos, handler, options) {
        handlers.push(handler);
        return subscribe.call(this, userId, filter, qos, handler, options);
      };
      try {
        await helper.load([brokerNode, ingestNode], [broker(), ...flow({ broker: 'b1', ...config })]);
      } finally {
        SharedMqttConnection.prototype.subscribe = subscribe;
      }
      assert.strictEqual(handlers.length, 1);
      // Called as the connection calls it for each incoming message.
      return (topic, payload) => handlers[0]({ topic, payload: Buffer.from(payload), qos: 1, retain: false });
    }

    /** Resolves with the next n msgs at `col`, moving the fake clock 2 ms at a time meanwhile. */
    async function nextWhileTicking(col, n = 1) {
      const next = col.next(n);
      let over = false;
      next.then(() => (over = true), () => (over = true));
      while (!over) {
        await clock.advance(2);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return next;
    }

    describe('automatic micro-batching (batchSize and batchInterval empty)', function () {
      it('idle: each message goes out alone, as it would unbatched (a plain reading), 2 ms after it came', async function () {
        const receive = await loadCapturingHandler({ topic: 'auto/#' });
        const ok = collect('ok');
        receive('auto/a', '{"v":1}');
        await settle();
        assert.strictEqual(ok.seen.length, 0, 'held for the window');
        await clock.advance(1);
        await settle();
        assert.strictEqual(ok.seen.length, 0, 'still within the 2 ms window');
        await clock.advance(1);
        const [first] = await ok.next();
        assert.deepStrictEqual(first.payload.fields, { v: 1 }, 'a plain reading, not a 1-element array');
        assert.ok(!Array.isArray(first.payload));
        assert.strictEqual(first.topic, 'auto/a', 'its own topic');
        assert.strictEqual(first.qos, 1);
        await clock.advance(100);
        receive('auto/b', '[{"v":2},{"v":3}]');
        await clock.advance(2);
        const [second] = await ok.next();
        assert.deepStrictEqual(second.payload.map((r) => r.fields.v), [2, 3], 'an array payload stays an array, as unbatched');
        assert.strictEqual(second.topic, 'auto/b');
      });

      it('a burst in one turn: one Reading[] msg, topic = the subscription filter', async function () {
        const receive = await loadCapturingHandler({ topic: 'auto/#' });
        const ok = collect('ok');
        for (let i = 0; i < 50; i++) receive(`auto/${i}`, `{"v":${i}}`);
        await clock.advance(2);
        const [batch] = await ok.next();
        assert.deepStrictEqual(batch.payload.map((r) => r.fields.v), Array.from({ length: 50 }, (_, i) => i));
        assert.strictEqual(batch.topic, 'auto/#');
        await settle();
        assert.strictEqual(ok.seen.length, 0, 'one msg for the whole burst');
      });

      it('1,000 readings go at once, without waiting for the window', async function () {
        const receive = await loadCapturingHandler({ topic: 'auto/#' });
        const ok = collect('ok');
        for (let i = 0; i < 1_001; i++) receive('auto/x', `{"v":${i}}`);
        const [full] = await ok.next();
        assert.strictEqual(full.payload.length, 1_000);
        await clock.advance(2);
        const [rest] = await ok.next();
        assert.deepStrictEqual(rest.payload.fields, { v: 1000 }, 'the one left over went alone');
      });

      it('explicit batchSize 1: one msg per message at once, as before', async function () {
        const receive = await loadCapturingHandler({ topic: 'auto/#', batchSize: '1' });
        const ok = collect('ok');
        for (let i = 0; i < 3; i++) receive(`auto/${i}`, `{"v":${i}}`);
        const msgs = await ok.next(3);
        assert.deepStrictEqual(msgs.map((m) => [m.topic, m.payload.fields.v]), [['auto/0', 0], ['auto/1', 1], ['auto/2', 2]]);
        assert.strictEqual(clock.pending, 1, 'no batch timer, only the status refresh');
      });

      it('wired msgs are not held: one msg per input at once', async function () {
        await helper.load([brokerNode, ingestNode], [broker(), ...flow({ broker: 'b1', topic: 'auto/#' })]);
        const ok = collect('ok');
        helper.getNode('in').receive({ topic: 'w', payload: '{"v":7}' });
        const [msg] = await ok.next();
        assert.deepStrictEqual(msg.payload.fields, { v: 7 });
      });
    });

    it('backpressure (batchSize 1): the handler settles only after the next node has handled the msg', async function () {
      // With batching the readings wait in the batch (≤ 1,000) before this bound applies.
      const receive = await loadCapturingHandler({ topic: 'bp/#', batchSize: '1' });
      const handlers = [(m) => receive(m.topic, m.payload)];
      const order = [];
      helper.getNode('ok').on('input', () => order.push('delivered'));
      const settled = handlers[0]({ topic: 'bp/1', payload: '{"v":1}' });
      order.push('handled');
      assert.ok(settled && typeof settled.then === 'function', 'the handler returns a promise');
      await settled;
      order.push('settled');
      assert.deepStrictEqual(order, ['handled', 'delivered', 'settled']);
    });
  });
});
