'use strict';
// A small TCP proxy for fault tests: sits between a client (the archive node) and a server
// (InfluxDB) on 127.0.0.1 and makes the server look slow, hung or gone, without touching it.
//
//   const proxy = await startSlowProxy({ target: { host: '127.0.0.1', port: influx.port }, responseDelayMs: 500 });
//   // point the client at proxy.url (http://127.0.0.1:<proxy.port>)
//   proxy.set({ responseDelayMs: 0 });   // heal
//   proxy.hold();  proxy.release();      // hang: bytes are kept, nothing moves
//   proxy.refuse(true);                  // new connections are reset at once (server "down")
//   await proxy.close();
//
// Delays are per chunk and keep the byte order of each direction (one FIFO per direction, one
// timer); a chunk that arrives while the delay is 500 ms leaves 500 ms later. Memory stays
// bounded: while more than `maxBufferedBytes` wait in one direction, its source socket is paused,
// so a slow proxy pushes back on the sender exactly as a slow network would.
const net = require('net');

/**
 * One direction of one connection: chunks wait `delay()` ms, in order, then go to `dest`.
 */
class DelayedPipe {
  constructor(source, dest, delay, { maxBufferedBytes, isHeld, onBytes }) {
    this.source = source;
    this.dest = dest;
    this.delay = delay;
    this.maxBufferedBytes = maxBufferedBytes;
    this.isHeld = isHeld;
    this.onBytes = onBytes;
    this.queue = []; // { due, chunk }
    this.bytes = 0;
    this.timer = null;
    this.ended = false;
    this.waitingDrain = false;
    source.on('data', (chunk) => this.push(chunk));
    source.on('end', () => {
      this.ended = true;
      this.drain();
    });
  }

  push(chunk) {
    this.queue.push({ due: Date.now() + this.delay(), chunk });
    this.bytes += chunk.length;
    if (this.bytes > this.maxBufferedBytes) this.source.pause();
    this.drain();
  }

  /** Sends every chunk whose time has come (unless held); re-arms the timer for the next one. */
  drain() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.dest.destroyed || this.waitingDrain) return;
    const now = Date.now();
    while (this.queue.length > 0 && !this.isHeld() && this.queue[0].due <= now) {
      const { chunk } = this.queue.shift();
      this.bytes -= chunk.length;
      this.onBytes(chunk.length);
      const ok = this.dest.write(chunk);
      if (!ok) {
        // The receiver is slow too: continue when it has drained.
        this.waitingDrain = true;
        this.dest.once('drain', () => {
          this.waitingDrain = false;
          this.drain();
        });
        return;
      }
    }
    if (this.bytes <= this.maxBufferedBytes / 2 && this.source.isPaused() && !this.source.destroyed) this.source.resume();
    if (this.queue.length > 0) {
      if (!this.isHeld()) this.timer = setTimeout(() => this.drain(), Math.max(0, this.queue[0].due - now));
    } else if (this.ended && !this.dest.destroyed) {
      this.dest.end();
    }
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.bytes = 0;
  }
}

/**
 * Starts the proxy on a free 127.0.0.1 port (or `port`).
 *
 * @param {object} opts
 * @param {{host?: string, port: number}} opts.target the real server
 * @param {number} [opts.responseDelayMs=0] delay of server → client bytes
 * @param {number} [opts.requestDelayMs=0] delay of client → server bytes
 * @param {number} [opts.maxBufferedBytes=8 MiB] per direction and connection, before the source is paused
 * @param {number} [opts.port] fixed listening port
 * @returns {Promise<{url, host, port, set(opts), hold(), release(), refuse(on), dropConnections(), stats(), close()}>}
 */
async function startSlowProxy(opts) {
  if (!opts || !opts.target || !opts.target.port) throw new Error('startSlowProxy: opts.target.port is required');
  const target = { host: opts.target.host || '127.0.0.1', port: opts.target.port };
  const settings = {
    responseDelayMs: opts.responseDelayMs || 0,
    requestDelayMs: opts.requestDelayMs || 0,
    maxBufferedBytes: opts.maxBufferedBytes || 8 * 1024 * 1024,
  };
  let held = false;
  let refusing = false;
  const connections = new Set();
  const counters = { connections: 0, refused: 0, requestBytes: 0, responseBytes: 0 };

  const server = net.createServer((client) => {
    if (refusing) {
      counters.refused++;
      client.resetAndDestroy ? client.resetAndDestroy() : client.destroy();
      return;
    }
    counters.connections++;
    client.setNoDelay(true);
    const upstream = net.connect(target);
    upstream.setNoDelay(true);
    const pipeOpts = (count) => ({ maxBufferedBytes: settings.maxBufferedBytes, isHeld: () => held, onBytes: count });
    const conn = {
      client,
      upstream,
      up: new DelayedPipe(client, upstream, () => settings.requestDelayMs, pipeOpts((n) => (counters.requestBytes += n))),
      down: new DelayedPipe(upstream, client, () => settings.responseDelayMs, pipeOpts((n) => (counters.responseBytes += n))),
    };
    connections.add(conn);
    const teardown = () => {
      if (!connections.delete(conn)) return;
      conn.up.dispose();
      conn.down.dispose();
      client.destroy();
      upstream.destroy();
    };
    for (const sock of [client, upstream]) {
      sock.on('error', teardown);
      sock.on('close', teardown);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port || 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = server.address().port;

  const kick = () => {
    for (const conn of connections) {
      conn.up.drain();
      conn.down.drain();
    }
  };

  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    /** Changes delays for chunks that arrive from now on. */
    set(next) {
      Object.assign(settings, next);
    },
    /** Keeps every byte where it is (a hung network); release() lets them go, in order. */
    hold() {
      held = true;
    },
    release() {
      held = false;
      kick();
    },
    /** While on, new connections are reset at once (the server looks down); open ones stay. */
    refuse(on = true) {
      refusing = on;
    },
    /** Resets every open connection (a network cut). */
    dropConnections() {
      for (const conn of [...connections]) {
        conn.client.destroy();
        conn.upstream.destroy();
      }
    },
    stats() {
      let buffered = 0;
      for (const conn of connections) buffered += conn.up.bytes + conn.down.bytes;
      return { ...counters, open: connections.size, bufferedBytes: buffered };
    },
    close() {
      for (const conn of [...connections]) {
        conn.client.destroy();
        conn.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startSlowProxy };
