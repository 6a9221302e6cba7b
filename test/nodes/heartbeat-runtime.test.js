'use strict';
// telemetry-heartbeat-watch in a real Node-RED runtime (a child process with this package
// installed): the example flow runs as shipped, and persistState survives a real restart.
//
// persistState across a real Node-RED restart (a child process, settings.js with a
// localfilesystem context store): the registry comes back, there is no burst of false `down`s
// at start, and devices that went quiet while Node-RED was stopped are reported after the
// grace with their real silentMs. Driven over HTTP: http in → heartbeat → http response.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { startNodeRed } = require('../support/node-red-process');
const { sleep, waitFor } = require('../support/wait');

const TIMEOUT_MS = 2_000;

/** Records output-1 payloads in global context, served at GET /changes. */
function recorder(tab) {
  return [
    { id: 'record', type: 'function', z: tab, func: "const seen = global.get('changes') || [];\nseen.push(msg.payload);\nglobal.set('changes', seen);\nreturn null;", outputs: 1, wires: [] },
    { id: 'changesIn', type: 'http in', z: tab, url: '/changes', method: 'get', upload: false, wires: [['list']] },
    { id: 'list', type: 'function', z: tab, func: "msg.payload = global.get('changes') || [];\nreturn msg;", outputs: 1, wires: [['changesOut']] },
    { id: 'changesOut', type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
  ];
}

function flows() {
  const tab = 'hbtab';
  return [
    { id: tab, type: 'tab', label: 'heartbeat restart' },
    { id: 'beatIn', type: 'http in', z: tab, url: '/beat', method: 'post', upload: false, wires: [['hb', 'ack']] },
    { id: 'ack', type: 'http response', z: tab, statusCode: '204', headers: {}, wires: [] },
    { id: 'summaryIn', type: 'http in', z: tab, url: '/summary', method: 'get', upload: false, wires: [['ask']] },
    { id: 'ask', type: 'function', z: tab, func: "msg.control = 'status';\nreturn msg;", outputs: 1, wires: [['hb']] },
    {
      id: 'hb', type: 'telemetry-heartbeat-watch', z: tab, name: '', deviceKey: 'tags.device', timeout: `${TIMEOUT_MS}ms`,
      expected: '', forgetAfter: '', timeoutTag: '', timeouts: '', summaryInterval: '', emitReading: false,
      persistState: true, contextStore: 'file', maxDevices: 1000, wires: [['record'], ['summaryOut']],
    },
    { id: 'summaryOut', type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
    ...recorder(tab),
  ];
}

describe('examples/heartbeat-watch.json in a real Node-RED', function () {
  this.timeout(60_000);

  it('imports and runs: the quiet device and the never-seen expected device go down, the steady one does not', async function () {
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'heartbeat-watch.json'), 'utf8'));
    const tab = example.find((n) => n.type === 'tab').id;
    const hb = example.find((n) => n.type === 'telemetry-heartbeat-watch');
    // Faster than shipped so the test is short: 1.5 s timeout, pump-1 every 0.3 s, fan-2 at once.
    hb.timeout = '1500ms';
    Object.assign(example.find((n) => n.id === 'hbx.pump'), { repeat: '0.3', onceDelay: '0.1' });
    example.find((n) => n.id === 'hbx.fan').onceDelay = '0.1';
    hb.wires[0].push('record');
    const red = await startNodeRed({ flows: example.concat(recorder(tab)), mochaCtx: this });
    const changes = await waitFor(async () => {
      const list = await (await fetch(red.url + '/changes')).json();
      return list.length >= 2 ? list : false;
    }, { timeout: 10_000, interval: 100, message: 'two downs from the example flow' });
    await sleep(500);
    const all = await (await fetch(red.url + '/changes')).json();
    assert.deepStrictEqual(all.map((c) => [c.device, c.status]).sort(), [['fan-2', 'down'], ['valve-3', 'down']], JSON.stringify(changes));
    assert.strictEqual(all.find((c) => c.device === 'valve-3').lastSeen, null);
  });
});

describe('telemetry-heartbeat-watch across a Node-RED restart (real runtime)', function () {
  this.timeout(60_000);
  let red;

  before(async function () {
    red = await startNodeRed({ flows: flows(), mochaCtx: this });
  });

  const get = async (route) => (await fetch(red.url + route)).json();
  const beat = (device) =>
    fetch(red.url + '/beat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ measurement: 'm', tags: { device }, fields: { v: 1 }, timestamp: Date.now() }) });

  it('restores the registry, raises no false alerts, then reports the real silence', async function () {
    const beatsAt = Date.now();
    assert.strictEqual((await beat('dev-a')).status, 204);
    assert.strictEqual((await beat('dev-b')).status, 204);
    assert.deepStrictEqual(await get('/summary'), { total: 2, up: 2, down: 0, downDevices: [] });

    await red.stop();
    // Stay stopped past both deadlines: without the grace they would all be "down" at start.
    await sleep(Math.max(0, beatsAt + TIMEOUT_MS + 500 - Date.now()));
    const contextDir = path.join(red.userDir, 'context');
    assert.ok(fs.existsSync(contextDir), 'the localfilesystem store wrote the registry');

    await red.start();
    const restartedAt = Date.now();
    assert.deepStrictEqual(await get('/summary'), { total: 2, up: 2, down: 0, downDevices: [] });
    assert.deepStrictEqual(await get('/changes'), [], 'no burst of false downs at start');

    const changes = await waitFor(async () => {
      const list = await get('/changes');
      return list.length >= 2 ? list : false;
    }, { timeout: 10_000, interval: 100, message: 'the downs after the grace' });
    assert.deepStrictEqual(changes.map((c) => [c.device, c.status]).sort(), [['dev-a', 'down'], ['dev-b', 'down']]);
    for (const change of changes) {
      assert.ok(Math.abs(change.lastSeen - beatsAt) < 1_000, `lastSeen ${change.lastSeen} is the reading before the stop`);
      assert.ok(change.silentMs >= restartedAt - beatsAt, `silentMs ${change.silentMs} counts the time Node-RED was stopped`);
    }
    assert.deepStrictEqual(await get('/summary'), { total: 2, up: 0, down: 2, downDevices: ['dev-a', 'dev-b'] });
  });
});
