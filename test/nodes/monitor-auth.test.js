'use strict';
// adminAuth respected by the monitor and the parse preview, in a REAL Node-RED (child process,
// test/support/node-red-process.js) with users from an adminAuth `tokens` function:
// - the monitor goes over the real comms websocket only to users who may read flows;
// - the preview answers only users with telemetry-ingest.write or flows.write.
const assert = require('assert');
const WebSocket = require('ws');
const { startNodeRed } = require('../support/node-red-process');
const { waitFor } = require('../support/wait');

const HEADER = 'x-test-token';
const USERS = {
  admin: '*',
  reader: 'read',
  flowsWriter: ['flows.write', 'status.read'],
  ingestWriter: ['telemetry-ingest.write', 'status.read'],
  statusOnly: ['status.read'],
};

const flows = [
  { id: 'f1', type: 'tab', label: 'auth' },
  // A refused payload once a second: the monitor has figures and a refusal to show.
  { id: 'tick', type: 'inject', z: 'f1', repeat: '1', once: true, onceDelay: 0.1, topic: 't', payload: '{"device": broken', payloadType: 'str', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], wires: [['in']] },
  { id: 'in', type: 'telemetry-ingest', z: 'f1', format: 'json', wires: [[], []] },
];

describe('monitor and parse preview with adminAuth (real Node-RED)', function () {
  this.timeout(40_000);
  let nr;
  const sockets = [];

  before(async function () {
    nr = await startNodeRed({
      flows,
      mochaCtx: this,
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [],
          // The harness waits for GET /settings to answer: anonymous may read the settings, nothing else.
          default: { permissions: ['settings.read'] },
          tokenHeader: HEADER,
          // Runs inside Node-RED (serialised into settings.js): the table is repeated here.
          tokens: function (token) {
            const users = {
              admin: '*', reader: 'read', flowsWriter: ['flows.write', 'status.read'],
              ingestWriter: ['telemetry-ingest.write', 'status.read'], statusOnly: ['status.read'],
            };
            return Promise.resolve(users[token] ? { username: token, permissions: users[token] } : null);
          },
        },
      },
    });
  });
  after(function () {
    for (const ws of sockets) ws.terminate();
  });

  /** A comms websocket authenticated as `user` that asks for the monitor; collects what arrives. */
  async function watchAs(user) {
    const ws = new WebSocket(`ws://127.0.0.1:${nr.port}/comms`, { headers: { [HEADER]: user } });
    sockets.push(ws);
    const updates = [];
    ws.on('message', (data) => {
      for (const m of JSON.parse(String(data))) if (m.topic === 'telemetry/monitor') updates.push(m.data);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ topic: 'telemetry/monitor/watch', data: { watch: true } }));
    return updates;
  }

  function preview(user, body = { config: { format: 'json' }, payload: '{"device":"d1","t":1}' }) {
    const headers = { 'content-type': 'application/json', ...(user ? { [HEADER]: user } : {}) };
    return fetch(`${nr.url}/telemetry-ingest/in/preview`, { method: 'POST', headers, body: JSON.stringify(body) });
  }

  it('the monitor reaches users who may read flows, never a user with only status.read', async function () {
    assert.deepStrictEqual(Object.keys(USERS).length, 5);
    const reader = await watchAs('reader');
    const statusOnly = await watchAs('statusOnly');
    await waitFor(() => reader.some((u) => u.nodes.some((n) => n.id === 'in' && n.refusals.length > 0)), { timeout: 10_000, message: 'reader: an update with the refusal' });
    const ingest = reader.at(-1).nodes.find((n) => n.id === 'in');
    assert.match(ingest.refusals[0].reason, /JSON/i);
    // Same wait again for the other one: the reader got ≥ 1 more update meanwhile.
    const seen = reader.length;
    await waitFor(() => reader.length >= seen + 2, { timeout: 10_000 });
    assert.strictEqual(statusOnly.length, 0);
  });

  it('the preview answers telemetry-ingest.write or flows.write, 401 for readers and anonymous', async function () {
    assert.strictEqual((await preview(undefined)).status, 401);
    assert.strictEqual((await preview('reader')).status, 401);
    assert.strictEqual((await preview('statusOnly')).status, 401);
    for (const user of ['admin', 'flowsWriter', 'ingestWriter']) {
      const res = await preview(user);
      assert.strictEqual(res.status, 200, user);
      const answer = await res.json();
      assert.strictEqual(answer.readings[0].tags.device, 'd1');
    }
    const last = await (await preview('admin', { config: { format: 'json' }, useLast: true })).json();
    assert.strictEqual(last.input.payload, '{"device": broken');
    assert.strictEqual(last.readings.length, 0);
    assert.strictEqual(last.rejections.length, 1);
  });
});
