'use strict';
// telemetry-window with persistState in a real Node-RED process (test/support/node-red-process):
// open windows kept in a localfilesystem context store survive a stop and a start of the whole
// runtime, and the window completes as one, not as two partial points.
// (A process-level test; it lives beside the helper tests because it covers this node only.)
const assert = require('assert');
const { startNodeRed } = require('../support/node-red-process');

const M = 60_000;
const T0 = Math.floor(Date.now() / M) * M - 10 * M; // a minute boundary ten minutes ago

const reading = (device, offset, temperature) => ({ measurement: 'telemetry', tags: { device }, fields: { temperature }, timestamp: T0 + offset });

describe('telemetry-window in a real Node-RED process: persistState across a restart', function () {
  this.timeout(90_000);
  let nr;

  before(async function () {
    this.timeout(60_000);
    // Ids are prefixed: a property value equal to a node id ("get", "in") reads as a config-node reference.
    const flows = [
      { id: 'wr-tab', type: 'tab', label: 'window' },
      { id: 'wr-in', type: 'http in', z: 'wr-tab', url: '/readings', method: 'post', upload: false, wires: [['wr-w', 'wr-ok']] },
      { id: 'wr-ok', type: 'change', z: 'wr-tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'ok', tot: 'str' }], wires: [['wr-res']] },
      { id: 'wr-res', type: 'http response', z: 'wr-tab', statusCode: '', headers: {}, wires: [] },
      {
        id: 'wr-w', type: 'telemetry-window', z: 'wr-tab', windowType: 'tumbling', size: '1m', aggregates: 'count,mean,p95,first,last',
        groupBy: 'device', fields: '*', timeMode: 'event', allowedLateness: '0s', persistState: true, contextStore: 'file', wires: [['wr-collect'], []],
      },
      {
        id: 'wr-collect', type: 'function', z: 'wr-tab', outputs: 0,
        func: "const list = global.get('windows') || []; list.push({ payload: msg.payload, window: msg.window }); global.set('windows', list); return null;",
        wires: [],
      },
      { id: 'wr-get', type: 'http in', z: 'wr-tab', url: '/windows', method: 'get', upload: false, wires: [['wr-list']] },
      { id: 'wr-list', type: 'function', z: 'wr-tab', outputs: 1, func: "msg.payload = global.get('windows') || []; return msg;", wires: [['wr-res2']] },
      { id: 'wr-res2', type: 'http response', z: 'wr-tab', statusCode: '', headers: {}, wires: [] },
    ];
    nr = await startNodeRed({ flows, mochaCtx: this });
  });

  async function post(readings) {
    const res = await fetch(`${nr.url}/readings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(readings) });
    assert.strictEqual(res.status, 200, `POST /readings: HTTP ${res.status}`);
  }

  async function windows() {
    const res = await fetch(`${nr.url}/windows`);
    return res.json();
  }

  it('a window half filled before the restart is completed after it', async function () {
    await post([reading('a', 1_000, 10), reading('a', 2_000, 20), reading('b', 1_000, 5)]);
    await nr.stop();
    const from = nr.logLines().length;
    await nr.start();
    await nr.waitForLog(/resumed 2 open window\(s\) of 2 key\(s\)/, { from, timeout: 10_000 });

    await post([reading('a', 3_000, 30), reading('a', M + 1_000, 99)]);
    let closed = [];
    for (let i = 0; i < 50 && closed.length === 0; i++) {
      closed = await windows();
      if (closed.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.strictEqual(closed.length, 1, JSON.stringify(closed));
    const [{ payload, window }] = closed;
    assert.deepStrictEqual(window, { start: T0, end: T0 + M, count: 3, key: 'telemetry,device=a' });
    assert.deepStrictEqual(payload.fields, { temperature_count: 3, temperature_mean: 20, temperature_p95: 30, temperature_first: 10, temperature_last: 30 });
  });
});
