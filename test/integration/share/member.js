'use strict';
// A member of a `$share` group in its own process, for share-adoption.test.js: one persistent
// SharedMqttConnection (clean: false, MQTT 5, the broker config node's options) subscribed to a shared filter. Prints
// `GOT <payload>` for every message it takes (stdout to a pipe is synchronous on Linux, so a
// line is out before the message's PUBACK), `LOG <text>` for the connection's warnings, and
// `CONNECTED` (at every connect). SIGTERM: graceful leave (close), then exit.
const { SharedMqttConnection } = require('../../../dist/io/mqtt-connection');
const { systemClock } = require('../../../dist/io/system-clock');
const { clientOptions } = require('../../../dist/nodes/mqtt-broker/client-options');

const [url, clientId, filter] = process.argv.slice(2);
const out = (line) => process.stdout.write(`${line}\n`);
const conn = new SharedMqttConnection(
  {
    url,
    // The options a broker config node with Clean session unticked and MQTT 5 makes (session expiry, receive maximum).
    ...clientOptions('b1', { url, clientId, protocolVersion: 5, keepalive: 60, clean: false, tls: '' }, undefined, 'unused'),
    sharePresence: true,
    drain: { idleMs: 1000, maxMs: 60000, connectTimeoutMs: 10000 },
  },
  { warn: (m) => out(`LOG ${m}`), error: (m) => out(`LOG ${m}`) },
  systemClock,
);
conn.register({ id: 'u', onState: (s) => s.state === 'connected' && out('CONNECTED') });
// NEVER_ACK=1: every message is taken (GOT) but never settled, so never acknowledged — what a
// stopping member leaves in its session while its flow has not made the messages durable yet.
const neverAck = process.env.NEVER_ACK === '1';
const handler = (m) => {
  out(`GOT ${m.payload.toString()}`);
  return neverAck ? new Promise(() => undefined) : undefined;
};
conn.subscribe('u', filter, 1, handler, { ackAfterHandler: neverAck }).catch((err) => out(`LOG subscribe failed: ${err.message}`));
process.on('SIGTERM', () => {
  conn.close().then(() => process.exit(0), () => process.exit(1));
});
