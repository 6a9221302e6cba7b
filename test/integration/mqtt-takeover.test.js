'use strict';
// Two connections with one client id against a real Mosquitto (what two Node-RED instances
// running the same flow with a fixed client id do): each takes the session from the other. The
// connection reports it (error state naming the client id, an error log) and stops reconnecting
// after `stopAfter` takeovers instead of looping forever.
const assert = require('node:assert/strict');
const { startMosquitto } = require('../support/services');
const { waitFor, sleep } = require('../support/wait');
const { SharedMqttConnection } = require('../../dist/io/mqtt-connection');
const { systemClock } = require('../../dist/io/system-clock');

describe('integration: MQTT session takeover loop is detected and stopped', function () {
  this.timeout(60000);
  let broker;
  before(async function () {
    broker = await startMosquitto(this);
  });

  // One protocol version: Mosquitto treats both alike (below), and each case takes ~8 s.
  for (const protocolVersion of [4]) {
    // Mosquitto 2.0.11 closes the older connection without a DISCONNECT 0x8E even for MQTT 5
    // (checked with mqtt.js's packetreceive): both versions go the short-connection way here.
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: reported, then no more reconnects`, async function () {
      const clientId = `dup-${protocolVersion}`;
      const members = [0, 1].map(() => {
        const errors = [];
        const states = [];
        const conn = new SharedMqttConnection(
          { url: broker.url, clientId, clean: false, protocolVersion, maxReconnectMs: 2000, takeover: { shortMs: 10_000, suspectAfter: 2, stopAfter: 3 } },
          { warn: () => undefined, error: (m) => errors.push(m) },
          systemClock,
        );
        conn.register({ id: 'u', onState: (s) => states.push(s) });
        return { conn, errors, states };
      });
      try {
        // Every takeover stops one of the two; at least one ends stopped, the other may then
        // keep the session (nobody takes it any more).
        await waitFor(() => members.some((m) => m.errors.some((e) => /stopped reconnecting/.test(e))), { timeout: 40000, message: 'a stopped connection' });
        for (const m of members.filter((x) => x.errors.length > 0)) {
          assert.match(m.errors[0], new RegExp(`session takeover: .*"${clientId}"`));
        }
        const connects = () => members.reduce((n, m) => n + m.states.filter((s) => s.state === 'connected').length, 0);
        const before = connects();
        await sleep(3000);
        assert.equal(connects(), before, 'no reconnects after stopping');
        const stopped = members.find((m) => m.errors.some((e) => /stopped/.test(e)));
        assert.equal(stopped.conn.state.state, 'error');
      } finally {
        for (const m of members) await m.conn.close();
      }
    });
  }
});
