'use strict';
// The fault suite's slow TCP proxy (test/support/slow-proxy.js) does what the fault tests rely
// on: it delays, holds, refuses and cuts, keeps byte order, and pushes back instead of buffering.
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { startSlowProxy } = require('../support/slow-proxy');
const { sleep } = require('../support/wait');

function startEchoServer() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res.end(Buffer.concat(chunks)));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function post(url, body, { timeoutMs = 5000 } = {}) {
  const t0 = Date.now();
  const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
  return { text: await res.text(), ms: Date.now() - t0 };
}

describe('slow TCP proxy (fault-suite infrastructure)', function () {
  let server;
  let proxy;

  before(async function () {
    server = await startEchoServer();
  });
  after(async function () {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(async function () {
    proxy = await startSlowProxy({ target: { port: server.address().port } });
  });
  afterEach(async function () {
    await proxy.close();
  });

  it('passes bytes through unchanged and in order when no delay is set', async function () {
    const body = Array.from({ length: 20000 }, (_, i) => i).join(',');
    const { text } = await post(proxy.url, body);
    assert.equal(text, body);
  });

  it('delays responses by responseDelayMs', async function () {
    proxy.set({ responseDelayMs: 300 });
    const { text, ms } = await post(proxy.url, 'x');
    assert.equal(text, 'x');
    assert.ok(ms >= 290, `answered after ${ms} ms`);
  });

  it('hold() keeps every byte until release()', async function () {
    proxy.hold();
    const pending = post(proxy.url, 'held');
    const raced = await Promise.race([pending.then(() => 'answered'), sleep(300).then(() => 'waiting')]);
    assert.equal(raced, 'waiting');
    proxy.release();
    assert.equal((await pending).text, 'held');
  });

  it('refuse() resets new connections while open ones keep working', async function () {
    proxy.refuse(true);
    await assert.rejects(post(proxy.url, 'x', { timeoutMs: 2000 }));
    assert.equal(proxy.stats().refused, 1);
    proxy.refuse(false);
    assert.equal((await post(proxy.url, 'back')).text, 'back');
  });

  it('pauses the sender instead of buffering without bound (maxBufferedBytes)', async function () {
    await proxy.close();
    proxy = await startSlowProxy({ target: { port: server.address().port }, maxBufferedBytes: 64 * 1024 });
    proxy.hold();
    const sock = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      sock.write(chunk); // 12.5 MB offered in total
      peak = Math.max(peak, proxy.stats().bufferedBytes);
      await new Promise((r) => setImmediate(r));
    }
    await sleep(100);
    peak = Math.max(peak, proxy.stats().bufferedBytes);
    sock.destroy();
    // The socket's own buffers take the rest: the proxy holds at most a few chunks over the bound.
    assert.ok(peak <= 4 * 64 * 1024 + 512 * 1024, `proxy buffered ${peak} bytes`);
  });

  it('dropConnections() cuts open connections', async function () {
    proxy.hold();
    const pending = post(proxy.url, 'cut', { timeoutMs: 3000 });
    await sleep(100);
    proxy.dropConnections();
    await assert.rejects(pending);
  });
});
