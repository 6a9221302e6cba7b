'use strict';
// Free TCP ports on 127.0.0.1 for test servers.
//
// The kernel picks an unused ephemeral port (listen on port 0), we close the socket and hand
// the number out. There is an unavoidable race between closing and the server binding it;
// the ports handed out by this process are remembered so two servers started by the same
// test run never get the same number.
const net = require('net');

const handedOut = new Set();

function probe(host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** One free port on `host` (default 127.0.0.1) that this process has not handed out before. */
async function freePort(host = '127.0.0.1') {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probe(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: no unused port found after 50 attempts');
}

/** `n` distinct free ports. */
async function freePorts(n, host = '127.0.0.1') {
  const ports = [];
  for (let i = 0; i < n; i++) ports.push(await freePort(host));
  return ports;
}

/** Resolves true when something accepts a TCP connection on host:port, false otherwise. */
function canConnect(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const finish = (ok) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => finish(false));
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}

module.exports = { freePort, freePorts, canConnect };
