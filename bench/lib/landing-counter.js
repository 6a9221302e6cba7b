'use strict';
// Watches points land in InfluxDB: polls `SELECT COUNT(<field>) FROM <measurement>` every
// `intervalMs` and records each change with the time it was seen.
//
// The time of an observation is the midpoint of the query's request and answer: the count is
// the state at some instant in between. Polls never overlap (a slow answer delays the next).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class LandingCounter {
  /**
   * @param {string} influxUrl `http://127.0.0.1:<port>`
   * @param {{ db: string, measurement: string, field: string, intervalMs?: number }} opts
   */
  constructor(influxUrl, { db, measurement, field, intervalMs = 50 }) {
    const q = `SELECT COUNT("${field}") FROM "${measurement}"`;
    this.url = `${influxUrl}/query?${new URLSearchParams({ db, q })}`;
    this.intervalMs = intervalMs;
    this.count = 0;
    this.changes = []; // { t, count }
    this.lastChangeAt = undefined;
    this.polls = 0;
    this.errors = 0;
    this.queryMs = 0;
    this.running = false;
    this.loop = undefined;
  }

  /** One query: the current count (0 when nothing is there yet). */
  async poll() {
    const t0 = Date.now();
    const res = await fetch(this.url, { signal: AbortSignal.timeout(5000) });
    const body = await res.json();
    const t1 = Date.now();
    this.polls++;
    this.queryMs += t1 - t0;
    const series = body.results && body.results[0] && body.results[0].series;
    const count = series ? series[0].values[0][1] : 0;
    return { t: (t0 + t1) / 2, count };
  }

  start() {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        try {
          const { t, count } = await this.poll();
          if (count !== this.count) {
            this.count = count;
            this.changes.push({ t, count });
            this.lastChangeAt = t;
          }
        } catch {
          this.errors++;
        }
        await sleep(Math.max(0, this.intervalMs - (Date.now() - started)));
      }
    })();
  }

  async stop() {
    this.running = false;
    if (this.loop) await this.loop;
  }

  /**
   * Resolves when `expected` points are there, or nothing has changed for `quietMs` after
   * `quietFrom()` (e.g. the publisher finished), or at `deadline` (epoch ms).
   * Returns how it ended: 'complete' | 'quiet' | 'deadline'.
   */
  async waitForEnd({ expected, quietMs, quietFrom, deadline }) {
    for (;;) {
      if (this.count >= expected) return 'complete';
      const from = quietFrom();
      if (from !== undefined) {
        const since = Math.max(from, this.lastChangeAt || 0);
        if (Date.now() - since >= quietMs) return 'quiet';
      }
      if (Date.now() >= deadline) return 'deadline';
      await sleep(this.intervalMs);
    }
  }

  /** When the last point seen so far became queryable (epoch ms). */
  get lastLandedAt() {
    return this.lastChangeAt;
  }
}

module.exports = { LandingCounter };
