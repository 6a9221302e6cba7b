'use strict';
// telemetry-window → telemetry-alert on the FakeClock: alert on the 1-minute mean above 30 °C for
// 5 minutes, ok when the mean is back below 28 (issue #22: "wired after a window it alerts on
// aggregates"). A single hot spike raises nothing: the mean absorbs it.
const assert = require('assert');
const helper = require('../support/helper');
const { installFakeClock } = require('../support/fake-clock');
const windowNode = require('../../nodes/telemetry-window.js');
const alertNode = require('../../nodes/telemetry-alert.js');
const { collect } = require('../support/collect');

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

describe('telemetry-window → telemetry-alert', function () {
  this.timeout(10_000);
  let clock;
  beforeEach(() => (clock = installFakeClock(helper, { start: T0 })));
  afterEach(async function () {
    await helper.unload();
    helper.settings({});
  });

  it('alerts once on temperature_mean above 30 for 5m and once when it is back below 28', async function () {
    await helper.load([windowNode, alertNode], [
      { id: 'w', type: 'telemetry-window', windowType: 'tumbling', size: '1m', aggregates: 'mean', wires: [['al'], []] },
      { id: 'al', type: 'telemetry-alert', rules: [{ field: 'temperature_mean', op: 'above', value: '30', for: '5m', clear: '28', severity: 'warning' }], wires: [['changes'], []] },
      { id: 'changes', type: 'helper' },
    ]);
    const w = helper.getNode('w');
    const changes = collect('changes', 5_000);
    // Minute by minute: three readings a minute. Minute 1 has one 45 °C spike (mean 28.3).
    const minutes = [[25, 25, 25], [20, 20, 45], [31, 32, 31], [31, 31, 31], [30, 31, 32], [31, 33, 31], [32, 31, 31], [31, 31, 31], [29, 29, 29], [27, 27, 27], [26, 26, 26]];
    for (let m = 0; m < minutes.length; m++) {
      for (let i = 0; i < 3; i++) {
        await clock.advance(T0 + m * MIN + i * 20_000 - clock.now());
        w.receive({ payload: { measurement: 'telemetry', tags: { device: 'oven-1' }, fields: { temperature: minutes[m][i] }, timestamp: T0 + m * MIN + i * 20_000 } });
      }
    }
    await clock.advance(5 * MIN);
    const msgs = await changes.next(2);
    assert.deepStrictEqual(msgs.map((msg) => [msg.topic, msg.payload.status]), [['alert/oven-1/temperature_mean', 'alert'], ['alert/oven-1/temperature_mean', 'ok']]);
    await clock.advance(MIN);
    assert.strictEqual(changes.seen.length, 0, 'nothing more');
  });
});
