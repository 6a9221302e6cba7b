'use strict';
// Session takeover detection (src/core/mqtt/takeover.ts): two clients with one client id take
// the session from each other; each sees its connection closed right after it was made.
const assert = require('node:assert/strict');
const { TakeoverDetector } = require('../../dist/core/mqtt/takeover');
const { memberIdOf, sanitizeMemberId } = require('../../dist/nodes/shared/member-id');
const { clientOptions, persistentClientId } = require('../../dist/nodes/mqtt-broker/client-options');

const settings = { shortMs: 10_000, suspectAfter: 3, stopAfter: 5 };

/** Runs connect/close pairs: each step [lifetimeMs, takenOver?]; returns the verdict kinds. */
function run(steps, detector = new TakeoverDetector(settings)) {
  let now = 0;
  return steps.map(([lifetime, takenOver]) => {
    detector.connected(now);
    now += lifetime;
    const v = detector.closed(now, { takenOver });
    now += 1000;
    return v.kind === 'none' ? 'none' : `${v.kind}${v.certain ? '!' : ''}${v.count}`;
  });
}

describe('core: MQTT session takeover detection', function () {
  it('MQTT 3.1.1: reported after 3 short connections in a row, stopped after 5', function () {
    assert.deepEqual(run([[900], [1200], [800], [700], [600], [500]]), ['none', 'none', 'takeover3', 'takeover4', 'stop5', 'stop6']);
  });

  it('MQTT 5 reason 0x8E is certain at once, even after a long connection', function () {
    assert.deepEqual(run([[60_000, true], [900], [900, true]]), ['takeover!1', 'takeover!2', 'takeover!3']);
  });

  it('a connection that lives longer than shortMs ends the episode', function () {
    assert.deepEqual(run([[900], [900], [20_000], [900], [900]]), ['none', 'none', 'none', 'none', 'none']);
  });

  it('a broker that cannot be reached (an error before the next connect) is no takeover', function () {
    const d = new TakeoverDetector(settings);
    const out = [];
    for (let i = 0; i < 6; i++) {
      d.connected(i * 2000);
      out.push(d.closed(i * 2000 + 500).kind);
      d.failed();
    }
    assert.deepEqual(out, ['none', 'none', 'none', 'none', 'none', 'none']);
    assert.equal(d.count, 0);
  });

  it('closes we made ourselves, and closes without a connection, do not count', function () {
    const d = new TakeoverDetector(settings);
    for (let i = 0; i < 6; i++) {
      d.connected(i);
      assert.equal(d.closed(i + 1, { byUs: true }).kind, 'none');
      assert.equal(d.closed(i + 2).kind, 'none');
    }
    assert.equal(d.count, 0);
  });
});

describe('core: member id and persistent-session client ids', function () {
  it('member id = host name and Node-RED port, made safe for client ids and topic levels', function () {
    assert.equal(memberIdOf('edge-2', 1880), 'edge-2-1880');
    assert.equal(memberIdOf('my host/α+#', '1881'), 'my_host____-1881');
    assert.equal(memberIdOf('', undefined), 'node-red-1880');
    assert.equal(sanitizeMemberId('x'.repeat(200)).length, 64);
  });

  it('two members running the same flow get different persistent-session client ids; an explicit id is kept', function () {
    const config = { id: 'b1', url: 'mqtt://x', clientId: '', protocolVersion: 4, keepalive: 60, clean: false, tls: '' };
    const a = clientOptions('b1', config, undefined, 'host-a-1880').clientId;
    const b = clientOptions('b1', config, undefined, 'host-b-1880').clientId;
    assert.equal(a, 'telemetry_b1_host-a-1880');
    assert.equal(a, persistentClientId('b1', 'host-a-1880'));
    assert.notEqual(a, b);
    assert.equal(clientOptions('b1', { ...config, clientId: 'mine' }, undefined, 'host-a-1880').clientId, 'mine');
  });
});
