'use strict';
// The retain flag through ingest's output (issue #21): output-1 msgs keep msg.retain, a batch
// never mixes readings of retained and live messages, and `skip` shows in the status.
const assert = require('assert');
const helper = require('../support/helper');
const ingestNode = require('../../nodes/telemetry-ingest.js');
const { FakeClock } = require('../support/fake-clock');
const { collect } = require('../support/collect');

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function flow(config = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'ingest' },
    { id: 'in', type: 'telemetry-ingest', z: 'f1', name: '', wires: [['ok'], ['bad']], ...config },
    { id: 'ok', type: 'helper', z: 'f1' },
    { id: 'bad', type: 'helper', z: 'f1' },
  ];
}

describe('telemetry-ingest node: retained messages', function () {
  let clock;
  beforeEach(function () {
    clock = new FakeClock(Date.now());
    helper.settings({ telemetryClock: clock });
  });
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });

  it('unbatched: each output msg keeps msg.retain', async function () {
    await helper.load(ingestNode, flow({ batchSize: '1' }));
    const ok = collect('ok');
    helper.getNode('in').receive({ topic: 'a', payload: '{"v":1}', retain: true });
    helper.getNode('in').receive({ topic: 'a', payload: '{"v":2}', retain: false });
    const [first, second] = await ok.next(2);
    assert.deepStrictEqual([first.retain, second.retain], [true, false]);
  });

  it('a batch never mixes retained and live readings: a change of kind sends the pending batch first', async function () {
    await helper.load(ingestNode, flow({ batchSize: '100', batchInterval: '1s' }));
    const ok = collect('ok');
    const node = helper.getNode('in');
    node.receive({ topic: 'a', payload: '{"v":1}', retain: true });
    node.receive({ topic: 'b', payload: '{"v":2}', retain: true });
    node.receive({ topic: 'c', payload: '{"v":3}' });
    node.receive({ topic: 'd', payload: '{"v":4}' });
    node.receive({ topic: 'e', payload: '{"v":5}', retain: true });
    await clock.advance(1_000);
    const batches = await ok.next(3);
    assert.deepStrictEqual(
      batches.map((m) => [m.retain === true, m.payload.map((r) => r.fields.v)]),
      [[true, [1, 2]], [false, [3, 4]], [true, [5]]],
    );
  });

  it('skip: nothing on either output, the count in the status', async function () {
    await helper.load(ingestNode, flow({ batchSize: '1', retained: 'skip' }));
    const ok = collect('ok');
    const bad = collect('bad');
    const node = helper.getNode('in');
    node.receive({ topic: 'a', payload: '{"v":1}', retain: true });
    node.receive({ topic: 'a', payload: 'garbage {', retain: true });
    node.receive({ topic: 'a', payload: '{"v":2}' });
    const [live] = await ok.next();
    assert.strictEqual(live.payload.fields.v, 2);
    await clock.advance(1_000);
    await settle();
    assert.deepStrictEqual([ok.seen.length, bad.seen.length], [0, 0]);
    const status = node.status.lastCall.args[0];
    assert.match(status.text, /telemetry-ingest\.status\.retainedSkipped/);
  });

  it('timestamped: a retained reading without its own time goes to output 2 with RETAINED_NO_TIMESTAMP', async function () {
    await helper.load(ingestNode, flow({ batchSize: '1', retained: 'timestamped' }));
    const ok = collect('ok');
    const bad = collect('bad');
    const ts = Date.now() - 3_600_000;
    helper.getNode('in').receive({ topic: 'a', payload: `[{"v":1,"ts":${ts}},{"v":2}]`, retain: true });
    const [[good], [refused]] = await Promise.all([ok.next(), bad.next()]);
    assert.deepStrictEqual([good.retain, good.payload.map((r) => r.timestamp)], [true, [ts]]);
    assert.strictEqual(refused.error.code, 'RETAINED_NO_TIMESTAMP');
  });
});
