'use strict';
// telemetry-heartbeat-watch (issue #21) in the runtime, on a FakeClock: a msg with
// msg.retain === true is no heartbeat, and flapPeriod damps a flapping device, with the count
// of held-back pairs in payload.flaps.
const assert = require('assert');
const helper = require('../support/helper');
const { fakeClockPerTest } = require('../support/fake-clock');
const { collect } = require('../support/collect');
const heartbeatNode = require('../../nodes/telemetry-heartbeat-watch.js');

const T0 = Date.UTC(2026, 0, 1);
const reading = (device) => ({ measurement: 'telemetry', tags: { device }, fields: { t: 1 }, timestamp: T0 });

function flow(config = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'heartbeat' },
    { id: 'hb', type: 'telemetry-heartbeat-watch', z: 'f1', timeout: '100ms', summaryInterval: '', wires: [['changes'], ['summary']], ...config },
    { id: 'changes', type: 'helper', z: 'f1' },
    { id: 'summary', type: 'helper', z: 'f1' },
  ];
}

describe('telemetry-heartbeat-watch node: retained msgs and flapping (issue #21)', function () {
  let clock;
  fakeClockPerTest(helper, { start: T0 }, (c) => (clock = c));

  it('a retained msg is not a heartbeat: a down device stays down, a new one is not registered', async function () {
    await helper.load(heartbeatNode, flow({ flapPeriod: '0' }));
    const hb = helper.getNode('hb');
    const changes = collect('changes');
    const summary = collect('summary');
    hb.receive({ payload: reading('a') });
    await clock.advance(100);
    assert.deepStrictEqual((await changes.next()).map((m) => m.payload.status), ['down']);
    hb.receive({ payload: [reading('a'), reading('new')], retain: true });
    await clock.advance(0);
    hb.receive({ control: 'status' });
    const [msg] = await summary.next();
    assert.deepStrictEqual([msg.payload.total, msg.payload.down, changes.seen.length], [1, 1, 0]);
    hb.receive({ payload: reading('a'), retain: false });
    assert.deepStrictEqual((await changes.next()).map((m) => [m.payload.status, m.payload.flaps]), [['up', 0]]);
  });

  it('flapPeriod: one down/up pair, then the held-back down at the period end with payload.flaps', async function () {
    await helper.load(heartbeatNode, flow({ flapPeriod: '1s' }));
    const hb = helper.getNode('hb');
    const changes = collect('changes');
    hb.receive({ payload: reading('a') });
    await clock.advance(100); // down
    hb.receive({ payload: reading('a') }); // up: the period starts
    const pair = await changes.next(2);
    assert.deepStrictEqual(pair.map((m) => m.payload.status), ['down', 'up']);
    for (let i = 0; i < 3; i++) {
      await clock.advance(150); // silent past the timeout: held back
      hb.receive({ payload: reading('a') }); // back: the held-back pair is counted
    }
    await clock.advance(549); // 999 ms after the up
    assert.strictEqual(changes.seen.length, 0, 'nothing sent within the period');
    await clock.advance(1);
    const [down] = await changes.next();
    assert.deepStrictEqual([down.payload.status, down.payload.flaps, down.payload.silentMs], ['down', 3, 550]);
  });
});
